// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

/// `replies`: what a raw or ICMP socket received while probing 10.0.0.1 (or fd00::1).
/// Layout: a selector byte, the probe's identifier (2 bytes), its key (2 bytes: sequence, port),
/// then the received bytes. Selector % 3: 0 ping's `parse_received` (bit 2: an IPv4 header
/// first, bit 3: ICMPv6, bit 4: raw socket, bit 5: from another address); 1 trace's
/// `match_icmp` (bits 2-3: ICMP, TCP or UDP probe); 2 scan's `classify_reply`.
pub fn replies(data: &[u8]) {
    use netshoot_probe::{ping, scan, trace};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if data.len() < 5 {
        return;
    }
    let sel = data[0];
    let id = u16::from_be_bytes([data[1], data[2]]);
    let key = u16::from_be_bytes([data[3], data[4]]);
    let pkt = &data[5..];
    let v4 = Ipv4Addr::new(10, 0, 0, 1);
    match sel % 3 {
        0 => {
            let v6 = sel & 8 != 0;
            let dst = if v6 {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1))
            } else {
                IpAddr::V4(v4)
            };
            let from = if sel & 32 != 0 {
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 254))
            } else {
                dst
            };
            let method = if sel & 16 != 0 {
                ping::Method::Raw
            } else {
                ping::Method::Datagram
            };
            let _ = ping::parse_received(pkt, sel & 4 != 0, v6, id, method, dst, from);
        }
        1 => {
            let proto = [1, 6, 17][usize::from((sel >> 2) & 3) % 3];
            let from = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 254));
            let _ = trace::match_icmp(pkt, proto, key, from, 1.5, v4, id);
            let _ = trace::match_icmp(pkt, proto, key, IpAddr::V4(v4), 1.5, v4, id);
        }
        _ => {
            let _ = scan::classify_reply(pkt, v4, key);
        }
    }
}
