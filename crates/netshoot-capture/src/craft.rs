//! Crafted Ethernet frames for tests and fuzz seeds: the edge cases a filter or a summariser
//! must get right (IPv4 options and fragments, IPv6 extension headers, ARP, VLAN and QinQ,
//! VXLAN, truncation), with valid lengths and checksums left zero. Headers are emitted through
//! `netshoot-wire`'s Reprs.

use netshoot_wire::{
    dns, icmpv4, tcp, vlan, vxlan, ArpRepr, DnsHeader, EthernetRepr, Icmpv4Packet, Ipv4Packet,
    Ipv4Repr, Ipv6Repr, TcpRepr, UdpRepr,
};

const MAC_A: [u8; 6] = [0x02, 0x42, 0x0a, 0x00, 0x00, 0x01];
const MAC_B: [u8; 6] = [0x02, 0x42, 0x0a, 0x00, 0x00, 0x02];
const BCAST: [u8; 6] = [0xff; 6];
const MCAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let h = EthernetRepr {
        src_addr: src,
        dst_addr: dst,
        ethertype,
    };
    let mut f = vec![0u8; h.buffer_len() + payload.len()];
    let n = h.emit(&mut f).expect("room for the header");
    f[n..].copy_from_slice(payload);
    f
}

fn vlan(tpid: u16, id: u16, inner_type: u16, payload: &[u8]) -> Vec<u8> {
    eth(MAC_B, MAC_A, tpid, &tag(id, inner_type, payload))
}

/// A VLAN tag (TCI, inner EtherType) before `payload`.
fn tag(tci: u16, inner_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; vlan::HEADER_LEN + payload.len()];
    let n = vlan::emit(tci, inner_type, &mut p).expect("room for the tag");
    p[n..].copy_from_slice(payload);
    p
}

/// An IPv4 header (+ options) around `payload`; the header checksum is left zero.
fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    frag: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let h = Ipv4Repr {
        ident: 0x1234,
        flags_frag: frag,
        options_len: options.len(),
        ..Ipv4Repr::new(src.into(), dst.into(), proto, payload.len())
    };
    let mut b = vec![0u8; h.buffer_len()];
    h.emit(&mut b).expect("a valid IPv4 header");
    let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
    p.options_mut().copy_from_slice(options);
    p.payload_mut().copy_from_slice(payload);
    p.set_checksum(0);
    b
}

fn ipv6(src: [u16; 8], dst: [u16; 8], next: u8, payload: &[u8]) -> Vec<u8> {
    let h = Ipv6Repr::new(src.into(), dst.into(), next, payload.len());
    let mut b = vec![0u8; h.buffer_len()];
    let n = h.emit(&mut b).expect("a valid IPv6 header");
    b[n..].copy_from_slice(payload);
    b
}

/// A TCP segment (no options, window 65535, checksum zero).
fn tcp(sport: u16, dport: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let h = TcpRepr {
        src_port: sport,
        dst_port: dport,
        seq_number: 1000,
        ack_number: if flags & tcp::flags::ACK != 0 {
            2000
        } else {
            0
        },
        flags,
        window_len: 0xffff,
        ..Default::default()
    };
    let mut t = vec![0u8; h.header_len() + payload.len()];
    let n = h.emit(&mut t).expect("room for the header");
    t[n..].copy_from_slice(payload);
    t
}

/// A UDP datagram (checksum zero).
fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let h = UdpRepr {
        src_port: sport,
        dst_port: dport,
        payload_len: payload.len(),
    };
    let mut u = vec![0u8; h.buffer_len()];
    let n = h.emit(&mut u).expect("room for the header");
    u[n..].copy_from_slice(payload);
    u
}

/// An ICMP or ICMPv6 message: id 0x1234, seq 1, data "nsht", checksum zero.
fn icmp(t: u8, code: u8) -> Vec<u8> {
    let mut b = vec![0u8; icmpv4::HEADER_LEN + 4];
    let mut m = Icmpv4Packet::new_unchecked(&mut b[..]);
    m.set_msg_type(t);
    m.set_msg_code(code);
    m.set_echo_ident(0x1234);
    m.set_echo_seq_no(1);
    m.data_mut().copy_from_slice(b"nsht");
    b
}

fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tpa: [u8; 4]) -> Vec<u8> {
    let a = ArpRepr {
        operation: op,
        source_hardware_addr: sha,
        source_protocol_addr: spa.into(),
        target_hardware_addr: [0; 6],
        target_protocol_addr: tpa.into(),
    };
    let mut b = vec![0u8; a.buffer_len()];
    a.emit(&mut b).expect("room for the packet");
    b
}

/// A DNS query for `name` (type A).
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut d = vec![0u8; dns::HEADER_LEN];
    let mut h = DnsHeader::new_unchecked(&mut d[..]);
    h.set_id(id);
    h.set_flags(0x0100); // RD
    h.set_counts(1, 0, 0, 0);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        d.push(label.len() as u8);
        d.extend_from_slice(label.as_bytes());
    }
    d.extend_from_slice(&[0, 0, 1, 0, 1]);
    d
}

const A1: [u8; 4] = [10, 0, 0, 1];
const A2: [u8; 4] = [10, 0, 0, 2];
const B1: [u8; 4] = [192, 168, 1, 10];
const B2: [u8; 4] = [192, 168, 1, 20];
const M1: [u8; 4] = [224, 0, 0, 251];
const V6A: [u16; 8] = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1];
const V6B: [u16; 8] = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 2];
const V6L: [u16; 8] = [0xfe80, 0, 0, 0, 0, 0, 0, 1];
const V6M: [u16; 8] = [0xff02, 0, 0, 0, 0, 0, 0, 0xfb];

/// The crafted corpus: (name, frame). Every frame is also offered truncated by the caller.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |n: &str, f: Vec<u8>| v.push((n.to_string(), f));
    let http = b"GET / HTTP/1.1\r\nHost: web\r\n\r\n";
    add(
        "tcp syn 10.0.0.1:40000 > 10.0.0.2:80",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0x4000, &[], &tcp(40000, 80, 0x02, &[])),
        ),
    );
    add(
        "tcp syn-ack 80 > 40000",
        eth(
            MAC_A,
            MAC_B,
            0x800,
            &ipv4(A2, A1, 6, 0x4000, &[], &tcp(80, 40000, 0x12, &[])),
        ),
    );
    add(
        "tcp http request",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0x4000, &[], &tcp(40000, 80, 0x18, http)),
        ),
    );
    add(
        "tcp rst 443",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(B1, B2, 6, 0, &[], &tcp(443, 5555, 0x04, &[])),
        ),
    );
    add(
        "tcp fin-ack 22",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(B2, A1, 6, 0, &[], &tcp(22, 61000, 0x11, &[])),
        ),
    );
    add(
        "tcp ece-cwr 8080",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, B1, 6, 0, &[], &tcp(8080, 9999, 0xc2, &[])),
        ),
    );
    add(
        "ipv4 options tcp 80",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0, &[1, 1, 1, 0], &tcp(1234, 80, 0x02, &[])),
        ),
    );
    add(
        "ipv4 first fragment udp 53",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 17, 0x2000, &[], &udp(5353, 53, &[0; 32])),
        ),
    );
    add(
        "ipv4 non-first fragment (offset 185)",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 17, 185, &[], &[0, 53, 0, 53, 0, 8, 0, 0]),
        ),
    );
    add(
        "ipv4 non-first fragment tcp",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0x2000 | 3, &[], &[0, 80, 0, 80, 0, 0, 0, 0]),
        ),
    );
    add(
        "udp dns query 53",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(
                A1,
                A2,
                17,
                0,
                &[],
                &udp(40001, 53, &dns_query(0x1234, "web.test")),
            ),
        ),
    );
    add(
        "udp 0x1234 payload",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(
                A2,
                A1,
                17,
                0,
                &[],
                &udp(53, 40001, &[0x12, 0x34, 0x56, 0x78]),
            ),
        ),
    );
    add(
        "udp ntp 123",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(B1, B2, 17, 0, &[], &udp(123, 123, &[0; 48])),
        ),
    );
    add(
        "udp mdns multicast",
        eth(
            MCAST,
            MAC_A,
            0x800,
            &ipv4(B1, M1, 17, 0, &[], &udp(5353, 5353, &[0; 12])),
        ),
    );
    add(
        "udp broadcast dhcp",
        eth(
            BCAST,
            MAC_A,
            0x800,
            &ipv4([0; 4], [255; 4], 17, 0, &[], &udp(68, 67, &[0; 20])),
        ),
    );
    add(
        "icmp echo",
        eth(MAC_B, MAC_A, 0x800, &ipv4(A1, A2, 1, 0, &[], &icmp(8, 0))),
    );
    add(
        "icmp echo reply",
        eth(MAC_A, MAC_B, 0x800, &ipv4(A2, A1, 1, 0, &[], &icmp(0, 0))),
    );
    add(
        "icmp port unreachable",
        eth(MAC_A, MAC_B, 0x800, &ipv4(A2, A1, 1, 0, &[], &icmp(3, 3))),
    );
    add(
        "icmp time exceeded",
        eth(MAC_A, MAC_B, 0x800, &ipv4(B1, A1, 1, 0, &[], &icmp(11, 0))),
    );
    add(
        "igmp",
        eth(
            MCAST,
            MAC_A,
            0x800,
            &ipv4(
                B1,
                M1,
                2,
                0,
                &[0x94, 4, 0, 0],
                &[0x16, 0, 0, 0, 224, 0, 0, 251],
            ),
        ),
    );
    add(
        "sctp 80",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(
                A1,
                A2,
                132,
                0,
                &[],
                &[0x13, 0x88, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0],
            ),
        ),
    );
    add(
        "gre",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 47, 0, &[], &[0, 0, 0x08, 0]),
        ),
    );
    add("ipv4 ttl 1", {
        let mut p = ipv4(A1, A2, 17, 0, &[], &udp(33434, 33435, &[0; 8]));
        Ipv4Packet::new_unchecked(&mut p[..]).set_ttl(1);
        eth(MAC_B, MAC_A, 0x800, &p)
    });
    add(
        "ipv6 tcp 443",
        eth(
            MAC_B,
            MAC_A,
            0x86dd,
            &ipv6(V6A, V6B, 6, &tcp(50000, 443, 0x02, &[])),
        ),
    );
    add(
        "ipv6 udp 53",
        eth(
            MAC_B,
            MAC_A,
            0x86dd,
            &ipv6(V6B, V6A, 17, &udp(53, 50001, &[0; 16])),
        ),
    );
    add(
        "ipv6 icmp6 echo",
        eth(MAC_B, MAC_A, 0x86dd, &ipv6(V6A, V6B, 58, &icmp(128, 0))),
    );
    add(
        "ipv6 icmp6 neighbour solicitation",
        eth(
            [0x33, 0x33, 0xff, 0, 0, 1],
            MAC_A,
            0x86dd,
            &ipv6(V6L, V6M, 58, &icmp(135, 0)),
        ),
    );
    add("ipv6 fragment header then udp", {
        let mut fh = vec![17, 0, 0, 1, 0, 0, 0, 7];
        fh.extend_from_slice(&udp(5000, 53, &[0; 8]));
        eth(MAC_B, MAC_A, 0x86dd, &ipv6(V6A, V6B, 44, &fh))
    });
    add("ipv6 fragment header then tcp", {
        let mut fh = vec![6, 0, 0, 1, 0, 0, 0, 7];
        fh.extend_from_slice(&tcp(5000, 80, 0x02, &[]));
        eth(MAC_B, MAC_A, 0x86dd, &ipv6(V6A, V6B, 44, &fh))
    });
    add("ipv6 hop-by-hop then tcp", {
        let mut hh = vec![6, 0, 1, 4, 0, 0, 0, 0];
        hh.extend_from_slice(&tcp(5000, 80, 0x02, &[]));
        eth(MAC_B, MAC_A, 0x86dd, &ipv6(V6A, V6B, 0, &hh))
    });
    add(
        "ipv6 multicast udp",
        eth(
            [0x33, 0x33, 0, 0, 0, 0xfb],
            MAC_A,
            0x86dd,
            &ipv6(V6L, V6M, 17, &udp(5353, 5353, &[0; 12])),
        ),
    );
    add(
        "arp request",
        eth(BCAST, MAC_A, 0x806, &arp(1, MAC_A, A1, A2)),
    );
    add(
        "arp reply",
        eth(MAC_A, MAC_B, 0x806, &arp(2, MAC_B, A2, A1)),
    );
    add("rarp", eth(BCAST, MAC_A, 0x8035, &arp(3, MAC_A, B1, B2)));
    add(
        "vlan 10 ipv4 tcp 80",
        vlan(
            0x8100,
            10,
            0x800,
            &ipv4(A1, A2, 6, 0, &[], &tcp(40000, 80, 0x02, &[])),
        ),
    );
    add(
        "vlan 20 arp",
        vlan(0x8100, 20, 0x806, &arp(1, MAC_A, A1, A2)),
    );
    add("qinq 100/10 udp 53", {
        let inner = tag(
            10,
            0x800,
            &ipv4(A1, A2, 17, 0, &[], &udp(4000, 53, &[0; 8])),
        );
        vlan(0x88a8, 100, 0x8100, &inner)
    });
    add("vxlan with inner icmp", {
        let mut vx = vec![0u8; vxlan::HEADER_LEN];
        vxlan::emit(4096, &mut vx).expect("room for the header");
        vx.extend_from_slice(&eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4([10, 0, 1, 2], [10, 0, 1, 3], 1, 0, &[], &icmp(8, 0)),
        ));
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(B1, B2, 17, 0, &[], &udp(51000, 4789, &vx)),
        )
    });
    add(
        "lldp",
        eth(
            [0x01, 0x80, 0xc2, 0, 0, 0x0e],
            MAC_A,
            0x88cc,
            &[0x02, 0x07, 0x04, 0, 0, 0, 0, 0, 1],
        ),
    );
    add(
        "802.3 llc stp",
        eth(
            [0x01, 0x80, 0xc2, 0, 0, 0],
            MAC_A,
            38,
            &[0x42, 0x42, 0x03, 0, 0, 0, 0],
        ),
    );
    add(
        "ipv4 big",
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0x4000, &[], &tcp(40000, 80, 0x10, &[0x61; 1400])),
        ),
    );
    v
}

/// Frames whose text a hostile peer wrote (escape sequences in an HTTP request line and
/// header, in a DNS label and a TXT string): (name, frame), for the summariser's escaping tests.
pub fn hostile() -> Vec<(String, Vec<u8>)> {
    let tcp4 = |sport, dport, payload: &[u8]| {
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 6, 0x4000, &[], &tcp(sport, dport, 0x18, payload)),
        )
    };
    let udp4 = |sport, dport, payload: &[u8]| {
        eth(
            MAC_B,
            MAC_A,
            0x800,
            &ipv4(A1, A2, 17, 0x4000, &[], &udp(sport, dport, payload)),
        )
    };
    let mut txt = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    txt.extend_from_slice(b"\x01x\x00\x00\x10\x00\x01");
    txt.extend_from_slice(b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x06\x05\x1b[31m");
    vec![
        (
            "http request line with ESC".into(),
            tcp4(40000, 80, b"GET /\x1b[31mred HTTP/1.1\r\nHost: a\r\n\r\n"),
        ),
        (
            "http header with ESC".into(),
            tcp4(
                80,
                40000,
                b"HTTP/1.1 200 OK\r\nX: a\x1b]0;t\x07\r\nY: b\r\n\r\n",
            ),
        ),
        (
            "dns label with ESC".into(),
            udp4(40001, 53, &dns_query(0x1234, "a\x1b[2Jb.test")),
        ),
        ("dns txt with ESC".into(), udp4(53, 40001, &txt)),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn corpus_is_built() {
        let c = super::corpus();
        assert!(c.len() >= 40);
        assert!(c.iter().all(|(_, f)| f.len() >= 14));
    }
}
