//! A [`Packet`] to tcpdump's line (`-n`; `-e`, `-v`, `-vv` by [`Style`]).

use std::fmt::Write as _;

use netshoot_wire::icmp_meaning::{self, IcmpVersion};
use netshoot_wire::tcp::flags;

use super::packet::*;
use super::parse::{is_dns_port, is_http_port};
use super::Style;
use netshoot_wire::text::caret;

fn ethertype_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x88a8 => "802.1Q-QinQ",
        0x8035 => "Reverse ARP",
        0x88cc => "LLDP",
        _ => "Unknown",
    }
}

fn proto_name(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        0 => "Options",
        4 => "IPIP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Fragment",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => "unknown",
    }
}

fn mac(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    let _ = colon_hex(&mut s, b);
    s
}

/// The line for a frame (or, without an Ethernet layer, for an IP datagram).
pub(super) fn packet(s: &mut String, p: &Packet, st: Style) {
    let Some(e) = &p.ethernet else {
        if p.truncated == Some(Truncated::Ether) {
            s.push_str("[|ether]");
        } else {
            network(s, p, st);
        }
        return;
    };
    if st.link {
        let _ = write!(s, "{} > {}, ", e.src, e.dst);
        for v in &e.vlans {
            let _ = write!(
                s,
                "ethertype {} (0x{:04x}), length {}: vlan {}, p {}, ",
                ethertype_name(v.tpid),
                v.tpid,
                e.length,
                v.id,
                v.pcp
            );
        }
    }
    if p.truncated == Some(Truncated::Vlan) {
        s.push_str("[|vlan]");
        return;
    }
    let t = e.ethertype;
    if t <= 1500 {
        let _ = write!(s, "802.3, length {t}: LLC");
        return;
    }
    if st.link {
        let _ = write!(
            s,
            "ethertype {} (0x{t:04x}), length {}: ",
            ethertype_name(t),
            e.length
        );
    }
    match t {
        0x0800 | 0x86dd => network(s, p, st),
        0x0806 | 0x8035 => {
            // With -e the link header has named ARP already.
            if !st.link {
                s.push_str("ARP, ");
            }
            arp(s, p, st);
        }
        0x88cc => {
            let _ = write!(s, "LLDP, length {}", e.payload_length());
        }
        _ => {
            let _ = write!(s, "ethertype Unknown (0x{t:04x}), length {}", e.length);
        }
    }
}

/// ARP after its "ARP, ".
fn arp(s: &mut String, p: &Packet, st: Style) {
    let Some(a) = &p.arp else {
        s.push_str("[|arp]");
        return;
    };
    if st.verbose {
        let _ = write!(s, "Ethernet (len {}), IPv4 (len {}), ", a.hlen, a.plen);
    }
    let len = a.length;
    let (spa, tpa) = (a.sender_ip, a.target_ip);
    let _ = match a.op {
        1 => write!(s, "Request who-has {tpa} tell {spa}, length {len}"),
        2 => write!(s, "Reply {spa} is-at {}, length {len}", a.sender_mac),
        3 => write!(
            s,
            "Reverse Request who-is {} tell {}, length {len}",
            a.target_mac, a.sender_mac
        ),
        4 => write!(s, "Reverse Reply {} at {tpa}, length {len}", a.target_mac),
        o => write!(s, "Unknown opcode ({o}), length {len}"),
    };
}

fn network(s: &mut String, p: &Packet, st: Style) {
    if let Some(ip) = &p.ipv4 {
        ipv4(s, p, ip, st);
    } else if let Some(ip) = &p.ipv6 {
        ipv6(s, p, ip, st);
    } else if p.truncated == Some(Truncated::Ip6) {
        s.push_str("IP6 [|ip6]");
    } else {
        s.push_str("IP [|ip]");
    }
}

fn ipv4(s: &mut String, p: &Packet, ip: &Ipv4, st: Style) {
    // With -e the link header has named the protocol already.
    if !st.link {
        s.push_str("IP ");
    }
    if st.verbose {
        let flags = match (ip.df, ip.mf) {
            (false, false) => "none",
            (true, false) => "DF",
            (false, true) => "+",
            (true, true) => "DF+",
        };
        let _ = write!(
            s,
            "(tos 0x{:x}, ttl {}, id {}, offset {}, flags [{flags}], proto {} ({}), length {}",
            ip.tos,
            ip.ttl,
            ip.id,
            ip.fragment_offset,
            proto_name(ip.protocol),
            ip.protocol,
            ip.length
        );
        if !ip.options.is_empty() {
            let _ = write!(s, ", options ({})", ip.options.join(","));
        }
        if let Some(Checksum {
            value,
            expected: Some(should),
            status: ChecksumStatus::Bad,
        }) = ip.checksum
        {
            let _ = write!(s, ", bad cksum {value:x} (->{should:x})!");
        }
        // tcpdump puts the transport on its own indented line.
        s.push_str(")\n    ");
    }
    let (src, dst) = (ip.src.to_string(), ip.dst.to_string());
    if ip.fragment_offset != 0 {
        let _ = write!(s, "{src} > {dst}: ip-proto-{}", ip.protocol);
        return;
    }
    transport(s, p, (&src, &dst), ip.protocol, ip.payload_length, st);
}

fn ipv6(s: &mut String, p: &Packet, ip: &Ipv6, st: Style) {
    if !st.link {
        s.push_str("IP6 ");
    }
    if st.verbose {
        s.push('(');
        if ip.traffic_class != 0 {
            let _ = write!(s, "class 0x{:x}, ", ip.traffic_class);
        }
        if ip.flow_label != 0 {
            let _ = write!(s, "flowlabel 0x{:05x}, ", ip.flow_label);
        }
        let _ = write!(
            s,
            "hlim {}, next-header {} ({}) payload length: {}) ",
            ip.hop_limit,
            proto_name(ip.next_header),
            ip.next_header,
            ip.length
        );
    }
    if p.truncated == Some(Truncated::Ip6) {
        s.push_str("[|ip6]");
        return;
    }
    let (src, dst) = (ip.src.to_string(), ip.dst.to_string());
    let mut ext = String::new();
    for x in &ip.extensions {
        match *x {
            Extension::HopByHop => ext.push_str("HBH "),
            Extension::Routing => ext.push_str("srcrt "),
            Extension::DestinationOptions => ext.push_str("DSTOPT "),
            Extension::Fragment { id, offset, length } => {
                if st.verbose {
                    let _ = write!(ext, "frag (0x{id:08x}:{offset}|{length}) ");
                } else {
                    let _ = write!(ext, "frag ({offset}|{length}) ");
                }
                if offset != 0 {
                    let _ = write!(s, "{src} > {dst}: {ext}");
                    return;
                }
            }
        }
    }
    if !ext.is_empty() && matches!(ip.protocol, 6 | 17 | 58) {
        // tcpdump: the addresses once, the extension headers, then ports only.
        let _ = write!(s, "{src} > {dst}: {ext}");
        transport(s, p, ("", ""), ip.protocol, ip.payload_length, st);
        return;
    }
    transport(s, p, (&src, &dst), ip.protocol, ip.payload_length, st);
}

/// `addr.port` — or the port alone after IPv6 extension headers (tcpdump's layout).
fn endpoint(addr: &str, port: u16) -> String {
    if addr.is_empty() {
        port.to_string()
    } else {
        format!("{addr}.{port}")
    }
}

fn transport(
    s: &mut String,
    p: &Packet,
    (src, dst): (&str, &str),
    proto: u8,
    len: usize,
    st: Style,
) {
    match proto {
        6 => match &p.tcp {
            Some(t) => tcp(s, p, t, (src, dst), st),
            None => {
                let _ = write!(s, "{src} > {dst}: [|tcp]");
            }
        },
        17 => match &p.udp {
            Some(u) => udp(s, p, u, (src, dst), st),
            None => {
                let _ = write!(s, "{src} > {dst}: [|udp]");
            }
        },
        1 => match &p.icmp {
            Some(m) => icmp(s, m, (src, dst), st),
            None => {
                let _ = write!(s, "{src} > {dst}: [|icmp]");
            }
        },
        58 => match &p.icmp6 {
            Some(m) => icmp6(s, m, (src, dst), st),
            None => {
                let _ = write!(s, "{src} > {dst}: [|icmp6]");
            }
        },
        _ => {
            let _ = write!(s, "{src} > {dst}: ip-proto-{proto} {len}");
        }
    }
}

fn tcp(s: &mut String, p: &Packet, t: &Tcp, (src, dst): (&str, &str), st: Style) {
    let fl = t.flags;
    let mut flags = String::new();
    for (bit, c) in [
        (flags::FIN, 'F'),
        (flags::SYN, 'S'),
        (flags::RST, 'R'),
        (flags::PSH, 'P'),
        (flags::URG, 'U'),
        (flags::ECE, 'E'),
        (flags::CWR, 'W'),
    ] {
        if fl.has(bit) {
            flags.push(c);
        }
    }
    if fl.has(flags::ACK) {
        flags.push('.');
    }
    if flags.is_empty() {
        flags.push_str("none");
    }
    let _ = write!(
        s,
        "{} > {}: Flags [{flags}]",
        endpoint(src, t.src_port),
        endpoint(dst, t.dst_port)
    );
    if let Some(c) = t.checksum {
        match c.expected {
            Some(should) if c.status == ChecksumStatus::Bad => {
                let _ = write!(s, ", cksum 0x{:04x} (incorrect -> 0x{should:04x})", c.value);
            }
            _ => {
                let _ = write!(s, ", cksum 0x{:04x} (correct)", c.value);
            }
        }
    }
    let (seq, ack) = match t.relative {
        Some(r) => (r.seq, r.ack),
        None => (t.seq, t.ack),
    };
    let data_len = p.payload_length.unwrap_or(0);
    if data_len > 0 || fl.0 & (flags::FIN | flags::SYN | flags::RST) != 0 || st.very_verbose {
        if data_len > 0 {
            let _ = write!(s, ", seq {seq}:{}", seq.wrapping_add(data_len as u32));
        } else {
            let _ = write!(s, ", seq {seq}");
        }
    }
    if fl.has(flags::ACK) {
        let _ = write!(s, ", ack {ack}");
    }
    let _ = write!(s, ", win {}", t.window);
    if let Some(opts) = &t.options {
        s.push_str(", options [");
        for (i, o) in opts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = match *o {
                TcpOption::Eol => write!(s, "eol"),
                TcpOption::Nop => write!(s, "nop"),
                TcpOption::Mss(m) => write!(s, "mss {m}"),
                TcpOption::Wscale(w) => write!(s, "wscale {w}"),
                TcpOption::SackOk => write!(s, "sackOK"),
                TcpOption::Timestamp { val, ecr } => write!(s, "TS val {val} ecr {ecr}"),
                TcpOption::Sack(n) => write!(s, "sack {n}"),
                TcpOption::Unknown(k) => write!(s, "unknown-{k}"),
                TcpOption::Truncated => write!(s, "[|tcp]"),
            };
        }
        s.push(']');
    }
    let _ = write!(s, ", length {data_len}");
    if data_len > 0 && is_http_port(t.src_port, t.dst_port) {
        match p.http.as_ref().and_then(|h| h.start_line.as_ref()) {
            Some(_) if st.verbose => {
                // -v: the request or status line and the headers, a line each.
                let _ = write!(s, ": HTTP, length: {data_len}");
                for line in p.http.iter().flat_map(|h| &h.lines) {
                    let _ = write!(s, "\n\t{line}");
                }
            }
            // tcpdump prints the first line only when it is printable ASCII (tabs allowed):
            // anything else is binary to it, and the line says `HTTP` alone.
            Some(line)
                if line
                    .bytes()
                    .all(|c| c == b'\t' || (0x20..0x7f).contains(&c)) =>
            {
                let _ = write!(s, ": HTTP: {line}");
            }
            Some(_) => s.push_str(": HTTP"),
            None => s.push_str(": HTTP"),
        }
    }
}

fn udp(s: &mut String, p: &Packet, u: &Udp, (src, dst): (&str, &str), st: Style) {
    let _ = write!(
        s,
        "{} > {}: ",
        endpoint(src, u.src_port),
        endpoint(dst, u.dst_port)
    );
    if let Some(c) = u.checksum {
        match (c.status, c.expected) {
            (ChecksumStatus::Absent, _) => s.push_str("[no cksum] "),
            (ChecksumStatus::Bad, Some(should)) => {
                let _ = write!(s, "[bad udp cksum 0x{:04x} -> 0x{should:04x}!] ", c.value);
            }
            _ => s.push_str("[udp sum ok] "),
        }
    }
    if let Some(v) = &p.vxlan {
        let _ = writeln!(
            s,
            "VXLAN, flags [{}] (0x{:02x}), vni {}",
            if v.flags & 0x08 != 0 { "I" } else { "." },
            v.flags,
            v.vni
        );
        packet(s, &v.inner, st);
        return;
    }
    let plen = p.payload_length.unwrap_or(0);
    if is_dns_port(u.src_port, u.dst_port) {
        if plen < 12 {
            let _ = write!(s, "domain [length {plen} < 12] (invalid)");
            return;
        }
        if let Some(d) = &p.dns {
            dns(s, d);
            let _ = write!(s, " ({plen})");
            return;
        }
    }
    let _ = write!(s, "UDP, length {plen}");
}

/// `4660+ A? web.test.` for queries; `4660 1/0/0 A 10.0.0.5` for answers, as tcpdump prints.
fn dns(out: &mut String, d: &Dns) {
    if !d.response {
        let _ = write!(
            out,
            "{}{}",
            d.id,
            if d.recursion_desired { "+" } else { "" }
        );
        // tcpdump names unusual section counts of a query: [Nq] questions, [Na] answers,
        // [Nn] authority, [Nau] additional (an EDNS OPT record makes it [1au]).
        if d.questions != 1 {
            let _ = write!(out, " [{}q]", d.questions);
        }
        for (n, tag) in [(d.answers, "a"), (d.authority, "n"), (d.additional, "au")] {
            if n != 0 {
                let _ = write!(out, " [{n}{tag}]");
            }
        }
        if let Some(q) = &d.question {
            let _ = write!(out, " {}? {}", q.kind, caret(&q.name));
        }
        for (i, r) in d.additional_records.iter().enumerate() {
            out.push_str(if i == 0 { " ar: " } else { ", " });
            match r {
                Additional::Opt {
                    name,
                    udp_size,
                    dnssec_ok,
                    options,
                } => {
                    let _ = write!(out, "{} OPT UDPsize={udp_size}", caret(name));
                    if *dnssec_ok {
                        out.push_str(" DO");
                    }
                    for o in options {
                        let _ = match o.code {
                            10 => write!(out, " [COOKIE "),
                            3 => write!(out, " [NSID "),
                            c => write!(out, " [OPT{c} "),
                        };
                        for b in &o.data.0 {
                            let _ = write!(out, "{b:02x}");
                        }
                        out.push(']');
                    }
                }
                Additional::Record { name, kind } => {
                    let _ = write!(out, "{} {kind}", caret(name));
                }
            }
        }
        return;
    }
    let mut s = format!("{}", d.id);
    if d.rcode == 3 {
        s.push_str(" NXDomain");
    } else if d.rcode != 0 {
        let _ = write!(s, " rcode {}", d.rcode);
    }
    if d.authoritative {
        s.push('*');
    }
    let _ = write!(s, " {}/{}/{}", d.answers, d.authority, d.additional);
    for a in &d.answer {
        let _ = write!(s, " {} {}", a.kind, caret(&a.data));
    }
    out.push_str(s.trim_end());
}

fn icmp(s: &mut String, m: &Icmp, (src, dst): (&str, &str), st: Style) {
    let len = m.length;
    let (id, seq) = (m.id.unwrap_or(0), m.seq.unwrap_or(0));
    let name = icmp_meaning::tcpdump(IcmpVersion::V4, m.kind, m.code);
    let _ = write!(s, "{src} > {dst}: ICMP ");
    let _ = match (m.kind, m.code) {
        (8 | 0, _) => write!(s, "{name}, id {id}, seq {seq}, length {len}"),
        (3, c) => {
            // The quoted datagram names what was unreachable; without it, only the code.
            let _ = match (c, m.unreachable) {
                (3, Some(u)) if matches!(u.protocol, 6 | 17) => write!(
                    s,
                    "{} {} port {} unreachable",
                    u.dst,
                    if u.protocol == 17 { "udp" } else { "tcp" },
                    u.port
                ),
                (1, Some(u)) => write!(s, "{} {name}", u.dst),
                (4, Some(u)) => write!(s, "{} {name} (mtu {})", u.dst, m.mtu.unwrap_or(0)),
                (13, Some(u)) => write!(s, "host {} {name}", u.dst),
                (c, _) => write!(s, "unreachable code {c}"),
            };
            write!(s, ", length {len}")
        }
        _ => write!(s, "{name}, length {len}"),
    };
    if let Some(Checksum {
        value,
        expected: Some(should),
        status: ChecksumStatus::Bad,
    }) = m.checksum
    {
        let _ = write!(s, " (wrong icmp cksum {value:x} (->{should:x})!)");
    }
    // -v: the datagram an ICMP error quotes, on its own line (as tcpdump prints it).
    if st.verbose {
        if let Some(q) = &m.quoted {
            s.push_str("\n\t");
            packet(s, q, st);
        }
    }
}

fn icmp6(s: &mut String, m: &Icmp6, (src, dst): (&str, &str), st: Style) {
    let len = m.length;
    let (id, seq) = (m.id.unwrap_or(0), m.seq.unwrap_or(0));
    if !src.is_empty() {
        let _ = write!(s, "{src} > {dst}: ");
    }
    let verbose = st.verbose;
    if let Some(c) = m.checksum {
        match c.expected {
            Some(should) if c.status == ChecksumStatus::Bad => {
                let _ = write!(s, "[bad icmp6 cksum 0x{:04x} -> 0x{should:04x}!] ", c.value);
            }
            _ => s.push_str("[icmp6 sum ok] "),
        }
    }
    s.push_str("ICMP6, ");
    let name = icmp_meaning::tcpdump(IcmpVersion::V6, m.kind, m.code.unwrap_or(0));
    let target = m.target.map(|t| t.to_string());
    let _ = match m.kind {
        // tcpdump -v leaves the length off echo messages.
        128 | 129 if verbose => write!(s, "{name}, id {id}, seq {seq}"),
        128 | 129 => write!(s, "{name}, id {id}, seq {seq}, length {len}"),
        1 => match m.unreachable {
            Some(u) => {
                let proto = match u.protocol {
                    6 => "tcp",
                    17 => "udp",
                    _ => "ip",
                };
                let _ = write!(s, "{name}, {} {proto} port {}", u.dst, u.port);
                if verbose {
                    Ok(())
                } else {
                    write!(s, ", length {len}")
                }
            }
            // A quote too short to name the port: the message's name alone.
            None => write!(s, "destination unreachable, length {len}"),
        },
        135 => {
            if verbose {
                let _ = write!(
                    s,
                    "{name}, length {len}, who has {}",
                    target.unwrap_or_default()
                );
                nd_options(s, &m.nd_options, st.very_verbose);
                Ok(())
            } else {
                write!(
                    s,
                    "{name}, who has {}, length {len}",
                    target.unwrap_or_default()
                )
            }
        }
        136 => match target {
            Some(t) if verbose => {
                let f = m.nd_flags.unwrap_or(0);
                let names: Vec<&str> = [(0x80, "router"), (0x40, "solicited"), (0x20, "override")]
                    .iter()
                    .filter(|(bit, _)| f & bit != 0)
                    .map(|(_, n)| *n)
                    .collect();
                let _ = write!(
                    s,
                    "{name}, length {len}, tgt is {t}, Flags [{}]",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                );
                nd_options(s, &m.nd_options, st.very_verbose);
                Ok(())
            }
            Some(t) => write!(s, "{name}, tgt is {t}, length {len}"),
            None => write!(s, "{name}, length {len}"),
        },
        143 if !verbose => write!(
            s,
            "{name}, {} group record(s), length {len}",
            m.group_records.unwrap_or(0)
        ),
        2 => write!(s, "{name}, mtu {}, length {len}", m.mtu.unwrap_or(0)),
        _ => write!(s, "{name}, length {len}"),
    };
}

/// Neighbour discovery options as tcpdump -v prints them (link-layer addresses).
fn nd_options(s: &mut String, opts: &[NdOption], vv: bool) {
    for o in opts {
        let (t, l) = (o.kind, o.length);
        let name = match t {
            1 => "source link-address option",
            2 => "destination link-address option",
            3 => "prefix info option",
            5 => "mtu option",
            _ => "unknown option",
        };
        let _ = write!(s, "\n\t  {name} ({t}), length {l} ({})", l / 8);
        if matches!(t, 1 | 2) {
            let _ = write!(s, ": {}", mac(&o.data.0));
        }
        if vv {
            // -vv: the option's bytes, two to a group.
            let groups: Vec<String> = o
                .data
                .0
                .chunks(2)
                .map(|c| c.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            let _ = write!(s, "\n\t    0x0000:  {}", groups.join(" "));
        }
    }
}
