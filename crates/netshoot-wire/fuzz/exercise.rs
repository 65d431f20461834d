// Every view's `new_checked` and every accessor over arbitrary bytes: none may panic. Shared by
// the cargo-fuzz target (fuzz_targets/views.rs) and the corpus test (tests/fuzz_corpus.rs),
// both through `include!`.

/// Runs every view over `data` (and over `data` as each layer's payload).
pub fn exercise(data: &[u8]) {
    use netshoot_wire::*;
    use std::net::IpAddr;
    if let Ok(f) = EthernetFrame::new_checked(data) {
        let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload().len());
        let _ = f.payload_slice();
        let _ = EthernetRepr::parse(&f);
    }
    if let Ok(v) = VlanHeader::new_checked(data) {
        let _ = (v.pcp(), v.dei(), v.vid(), v.tci(), v.ethertype(), v.payload().len());
        let _ = v.payload_slice();
    }
    if let Ok(a) = ArpPacket::new_checked(data) {
        let _ = (a.htype(), a.ptype(), a.hlen(), a.plen(), a.oper());
        let _ = (a.sha(), a.spa(), a.tha(), a.tpa(), a.is_ethernet_ipv4());
        let _ = ArpRepr::parse(&a);
    }
    let mut addrs: Option<(IpAddr, IpAddr)> = None;
    if let Ok(p) = Ipv4Packet::new_checked(data) {
        let _ = (p.version(), p.header_len(), p.tos(), p.total_len(), p.ident());
        let _ = (p.flags_frag(), p.dont_frag(), p.more_frags(), p.frag_offset(), p.is_fragment());
        let _ = (p.ttl(), p.protocol(), p.checksum(), p.src_addr(), p.dst_addr());
        let _ = (p.options(), p.header(), p.payload(), p.after_header(), p.is_truncated());
        let _ = (p.verify_checksum(), Ipv4Repr::parse(&p));
        let _ = (p.payload_slice(), p.after_header_slice());
        addrs = Some((p.src_addr().into(), p.dst_addr().into()));
        transport(p.protocol(), p.payload(), addrs);
        let _ = icmp_error::parse_v4(p.after_header());
    }
    if let Ok(p) = Ipv6Packet::new_checked(data) {
        let _ = (p.version(), p.traffic_class(), p.flow_label(), p.payload_len());
        let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
        let _ = (p.payload(), p.is_truncated(), Ipv6Repr::parse(&p));
        let mut it = p.ext_headers();
        for h in it.by_ref() {
            let _ = (h.kind, h.offset, h.len, h.next_header);
        }
        let _ = (it.position(), it.error());
        let _ = (p.upper_layer(), p.payload_slice(), p.upper_payload_slice());
        addrs = Some((p.src_addr().into(), p.dst_addr().into()));
        if let Ok((proto, rest)) = p.upper_payload() {
            transport(proto, rest, addrs);
        }
    }
    transport(6, data, addrs);
    transport(17, data, addrs);
    transport(1, data, addrs);
    transport(58, data, addrs);
    if let Ok(v) = VxlanHeader::new_checked(data) {
        let _ = (v.flags(), v.vni(), v.payload().len(), v.payload_slice());
    }
    if let Ok(d) = DnsHeader::new_checked(data) {
        let _ = (d.id(), d.flags(), d.is_response(), d.opcode(), d.aa(), d.tc(), d.rd());
        let _ = (d.ra(), d.ad(), d.cd(), d.rcode(), d.qdcount(), d.ancount());
        let _ = (d.nscount(), d.arcount(), d.body().len(), d.body_slice());
    }
    let _ = checksum::data(data);
    let _ = checksum::data_parts(&[data, data]);
    let _ = icmp_error::parse_v4(data);
    let _ = icmp_error::parse_v6(data);
    for o in tcp::TcpOptions::new(data) {
        let _ = o;
    }
    if let [t, c, ..] = *data {
        for v in [IcmpVersion::V4, IcmpVersion::V6] {
            let _ = (icmp_meaning(v, t, c), icmp_meaning::words(v, t, c));
            let _ = (icmp_meaning::iputils(v, t, c), icmp_meaning::tcpdump(v, t, c));
        }
        let _ = (icmp_meaning::nmap_reason(t, c), icmp_meaning::traceroute_flag(t, c));
    }
}

fn transport(proto: u8, b: &[u8], addrs: Option<(std::net::IpAddr, std::net::IpAddr)>) {
    use netshoot_wire::*;
    let (s, d) = addrs.unwrap_or((
        std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::Ipv4Addr::LOCALHOST.into(),
    ));
    match proto {
        6 => {
            if let Ok(t) = TcpPacket::new_checked(b) {
                let _ = (t.src_port(), t.dst_port(), t.seq_number(), t.ack_number());
                let _ = (t.header_len(), t.flags(), t.fin(), t.syn(), t.rst(), t.psh());
                let _ = (t.ack(), t.urg(), t.ece(), t.cwr(), t.window_len(), t.checksum());
                let _ = (t.urgent_at(), t.options_raw(), t.payload(), t.verify_checksum(&s, &d));
                for o in t.options().chain(t.options_slice()) {
                    let _ = o;
                }
                let _ = t.payload_slice();
                let _ = TcpRepr::parse(&t);
            }
        }
        17 => {
            if let Ok(u) = UdpPacket::new_checked(b) {
                let _ = (u.src_port(), u.dst_port(), u.len(), u.is_empty(), u.checksum());
                let _ = (u.payload(), u.verify_checksum(&s, &d), UdpRepr::parse(&u));
                let _ = u.payload_slice();
            }
        }
        1 => {
            if let Ok(i) = Icmpv4Packet::new_checked(b) {
                let _ = (i.msg_type(), i.msg_code(), i.checksum(), i.echo_ident());
                let _ = (i.echo_seq_no(), i.next_hop_mtu(), i.gateway(), i.pointer());
                let _ = (i.rest_of_header(), i.data(), i.is_error(), i.verify_checksum());
                let _ = (Icmpv4Repr::parse(&i), i.data_slice());
            }
        }
        _ => {
            if let Ok(i) = Icmpv6Packet::new_checked(b) {
                let _ = (i.msg_type(), i.msg_code(), i.checksum(), i.echo_ident());
                let _ = (i.echo_seq_no(), i.mtu(), i.pointer(), i.rest_of_header());
                let _ = (i.na_flags(), i.target_addr(), i.nd_options(), i.data(), i.is_error());
                let _ = (icmpv6::verify_checksum_ip(b, &s, &d), Icmpv6Repr::parse(&i));
                let _ = i.data_slice();
            }
        }
    }
}
