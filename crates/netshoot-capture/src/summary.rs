//! One line per packet in tcpdump's words (`-n -S`: numeric, absolute sequence numbers):
//! Ethernet (`-e`), ARP, IPv4/IPv6, ICMP/ICMPv6, TCP (flags, seq, ack, win, options, length),
//! UDP, DNS queries and answers, VXLAN (with the inner frame), the HTTP request or status line.
//! Every read is bounds-checked: a truncated or hostile packet gives "[|proto]", never a panic.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Options for the line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// `-e`: the link-level header.
    pub link: bool,
    /// `-v`: IP header details.
    pub verbose: bool,
}

fn be16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?]))
}
fn be32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(o)?,
        *b.get(o + 1)?,
        *b.get(o + 2)?,
        *b.get(o + 3)?,
    ]))
}
fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The summary of an Ethernet frame (`orig_len` = length on the wire).
pub fn summarize(frame: &[u8], orig_len: u32, style: Style) -> String {
    let mut s = String::new();
    ethernet(&mut s, frame, orig_len, style, 0);
    s
}

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

fn ethernet(s: &mut String, f: &[u8], orig_len: u32, style: Style, depth: u8) {
    let Some(mut t) = be16(f, 12) else {
        s.push_str("[|ether]");
        return;
    };
    let mut off = 14;
    if style.link {
        let _ = write!(s, "{} > {}, ", mac(&f[6..12]), mac(&f[0..6]));
    }
    // VLAN tags.
    while matches!(t, 0x8100 | 0x88a8 | 0x9100) {
        let (Some(tci), Some(inner)) = (be16(f, off), be16(f, off + 2)) else {
            s.push_str("[|vlan]");
            return;
        };
        if style.link {
            let _ = write!(
                s,
                "ethertype {} (0x{t:04x}), length {orig_len}: vlan {}, p {}, ",
                ethertype_name(t),
                tci & 0xfff,
                tci >> 13
            );
        }
        t = inner;
        off += 4;
    }
    if t <= 1500 {
        let _ = write!(s, "802.3, length {t}: LLC");
        return;
    }
    if style.link {
        let _ = write!(
            s,
            "ethertype {} (0x{t:04x}), length {orig_len}: ",
            ethertype_name(t)
        );
    }
    let p = &f[off..];
    let plen = orig_len.saturating_sub(off as u32);
    match t {
        0x0800 => ipv4(s, p, style, depth),
        0x86dd => ipv6(s, p, style, depth),
        0x0806 | 0x8035 => arp(s, p, plen),
        0x88cc => {
            let _ = write!(s, "LLDP, length {}", plen);
        }
        _ => {
            let _ = write!(s, "ethertype Unknown (0x{t:04x}), length {orig_len}");
        }
    }
}

fn arp(s: &mut String, p: &[u8], len: u32) {
    let (Some(op), Some(spa), Some(tpa)) = (be16(p, 6), be32(p, 14), be32(p, 24)) else {
        s.push_str("ARP, [|arp]");
        return;
    };
    let sha = p.get(8..14).map(mac).unwrap_or_default();
    let (spa, tpa) = (Ipv4Addr::from(spa), Ipv4Addr::from(tpa));
    let _ = match op {
        1 => write!(s, "ARP, Request who-has {tpa} tell {spa}, length {len}"),
        2 => write!(s, "ARP, Reply {spa} is-at {sha}, length {len}"),
        3 => write!(
            s,
            "ARP, Reverse Request who-is {} tell {sha}, length {len}",
            p.get(18..24).map(mac).unwrap_or_default()
        ),
        4 => write!(
            s,
            "ARP, Reverse Reply {} at {tpa}, length {len}",
            p.get(18..24).map(mac).unwrap_or_default()
        ),
        o => write!(s, "ARP, Unknown opcode ({o}), length {len}"),
    };
}

fn proto_name(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        47 => "GRE",
        58 => "ICMP6",
        132 => "SCTP",
        _ => "unknown",
    }
}

fn ipv4(s: &mut String, p: &[u8], style: Style, depth: u8) {
    let Some(&vihl) = p.first() else {
        s.push_str("IP [|ip]");
        return;
    };
    let ihl = usize::from(vihl & 0xf) * 4;
    let (Some(total), Some(id), Some(frag), Some(ttl), Some(proto), Some(src), Some(dst)) = (
        be16(p, 2),
        be16(p, 4),
        be16(p, 6),
        p.get(8).copied(),
        p.get(9).copied(),
        be32(p, 12),
        be32(p, 16),
    ) else {
        s.push_str("IP [|ip]");
        return;
    };
    let (src, dst) = (Ipv4Addr::from(src), Ipv4Addr::from(dst));
    s.push_str("IP ");
    if style.verbose {
        let mut flags = Vec::new();
        if frag & 0x4000 != 0 {
            flags.push("DF");
        }
        if frag & 0x2000 != 0 {
            flags.push("+");
        }
        let _ = write!(
            s,
            "(tos 0x{:x}, ttl {ttl}, id {id}, offset {}, flags [{}], proto {} ({proto}), length {total}) ",
            p.get(1).copied().unwrap_or(0),
            (frag & 0x1fff) * 8,
            if flags.is_empty() { "none".to_string() } else { flags.join("") },
            proto_name(proto)
        );
    }
    let payload_len = usize::from(total).saturating_sub(ihl);
    let body = p.get(ihl..).unwrap_or(&[]);
    let body = &body[..body.len().min(payload_len)];
    if frag & 0x1fff != 0 {
        let _ = write!(s, "{src} > {dst}: ip-proto-{proto}");
        return;
    }
    transport(
        s,
        &src.to_string(),
        &dst.to_string(),
        proto,
        body,
        payload_len,
        style,
        depth,
    );
}

fn ipv6(s: &mut String, p: &[u8], style: Style, depth: u8) {
    let (Some(plen), Some(mut next), Some(src), Some(dst)) =
        (be16(p, 4), p.get(6).copied(), p.get(8..24), p.get(24..40))
    else {
        s.push_str("IP6 [|ip6]");
        return;
    };
    let to6 = |b: &[u8]| {
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ipv6Addr::from(a).to_string()
    };
    let (src, dst) = (to6(src), to6(dst));
    s.push_str("IP6 ");
    let mut off = 40usize;
    let mut left = usize::from(plen);
    let mut ext = String::new();
    // Extension headers: hop-by-hop, routing, destination options, fragment.
    let mut guard = 0;
    while matches!(next, 0 | 43 | 60 | 44) && guard < 8 {
        guard += 1;
        let (Some(nh), Some(hl)) = (p.get(off).copied(), p.get(off + 1).copied()) else {
            s.push_str("[|ip6]");
            return;
        };
        let len = if next == 44 {
            8
        } else {
            (usize::from(hl) + 1) * 8
        };
        if next == 44 {
            let fo = be16(p, off + 2).unwrap_or(0);
            let _ = write!(ext, "frag ({}|{}) ", fo & 0xfff8, left.saturating_sub(8));
            if fo & 0xfff8 != 0 {
                let _ = write!(s, "{src} > {dst}: {ext}");
                return;
            }
        } else {
            ext.push_str(match next {
                0 => "HBH ",
                43 => "srcrt ",
                _ => "DSTOPT ",
            });
        }
        next = nh;
        off += len;
        left = left.saturating_sub(len);
    }
    let body = p.get(off..).unwrap_or(&[]);
    let body = &body[..body.len().min(left)];
    if !ext.is_empty() && matches!(next, 6 | 17) {
        // tcpdump: the addresses once, the extension headers, then ports only.
        let _ = write!(s, "{src} > {dst}: {ext}");
        transport(s, "", "", next, body, left, style, depth);
        return;
    }
    transport(s, &src, &dst, next, body, left, style, depth);
}

/// `addr.port` — or the port alone after IPv6 extension headers (tcpdump's layout).
fn endpoint(addr: &str, port: u16) -> String {
    if addr.is_empty() {
        port.to_string()
    } else {
        format!("{addr}.{port}")
    }
}

#[allow(clippy::too_many_arguments)]
fn transport(
    s: &mut String,
    src: &str,
    dst: &str,
    proto: u8,
    b: &[u8],
    len: usize,
    style: Style,
    depth: u8,
) {
    match proto {
        6 => tcp(s, src, dst, b, len),
        17 => udp(s, src, dst, b, len, style, depth),
        1 => icmp(s, src, dst, b, len),
        58 => icmp6(s, src, dst, b, len),
        _ => {
            let _ = write!(s, "{src} > {dst}: ip-proto-{proto} {len}");
        }
    }
}

fn tcp(s: &mut String, src: &str, dst: &str, b: &[u8], len: usize) {
    let (Some(sp), Some(dp), Some(seq), Some(ack), Some(&doff), Some(&fl), Some(win)) = (
        be16(b, 0),
        be16(b, 2),
        be32(b, 4),
        be32(b, 8),
        b.get(12),
        b.get(13),
        be16(b, 14),
    ) else {
        let _ = write!(s, "{src} > {dst}: [|tcp]");
        return;
    };
    let hl = usize::from(doff >> 4) * 4;
    let data_len = len.saturating_sub(hl);
    let mut flags = String::new();
    for (bit, c) in [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ] {
        if fl & bit != 0 {
            flags.push(c);
        }
    }
    if fl & 0x10 != 0 {
        flags.push('.');
    }
    if flags.is_empty() {
        flags.push_str("none");
    }
    let _ = write!(
        s,
        "{} > {}: Flags [{flags}]",
        endpoint(src, sp),
        endpoint(dst, dp)
    );
    if data_len > 0 || fl & 0x07 != 0 {
        if data_len > 0 {
            let _ = write!(s, ", seq {seq}:{}", seq.wrapping_add(data_len as u32));
        } else {
            let _ = write!(s, ", seq {seq}");
        }
    }
    if fl & 0x10 != 0 {
        let _ = write!(s, ", ack {ack}");
    }
    let _ = write!(s, ", win {win}");
    if hl > 20 {
        if let Some(opts) = b.get(20..hl) {
            let _ = write!(s, ", options [{}]", tcp_options(opts));
        }
    }
    let _ = write!(s, ", length {data_len}");
    if data_len > 0 && [80, 8080, 3128].iter().any(|p| *p == sp || *p == dp) {
        match b.get(hl..).and_then(http_line) {
            Some(line) => {
                let _ = write!(s, ": HTTP: {line}");
            }
            None => s.push_str(": HTTP"),
        }
    }
}

fn tcp_options(o: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < o.len() {
        let kind = o[i];
        match kind {
            0 => {
                out.push("eol".to_string());
                break;
            }
            1 => {
                out.push("nop".into());
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&l) = o.get(i + 1) else { break };
        let l = usize::from(l);
        if l < 2 || i + l > o.len() {
            out.push("[|tcp]".into());
            break;
        }
        let v = &o[i + 2..i + l];
        out.push(match (kind, v.len()) {
            (2, 2) => format!("mss {}", u16::from_be_bytes([v[0], v[1]])),
            (3, 1) => format!("wscale {}", v[0]),
            (4, 0) => "sackOK".into(),
            (8, 8) => format!(
                "TS val {} ecr {}",
                u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                u32::from_be_bytes([v[4], v[5], v[6], v[7]])
            ),
            (5, _) => format!("sack {}", v.len() / 8),
            (k, _) => format!("unknown-{k}"),
        });
        i += l;
    }
    out.join(",")
}

fn http_line(p: &[u8]) -> Option<String> {
    let end = p.iter().position(|&c| c == b'\r' || c == b'\n')?;
    let line = std::str::from_utf8(&p[..end]).ok()?;
    let methods = [
        "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "HTTP/1.",
    ];
    methods
        .iter()
        .any(|m| line.starts_with(m))
        .then(|| line.to_string())
}

fn udp(s: &mut String, src: &str, dst: &str, b: &[u8], len: usize, style: Style, depth: u8) {
    let (Some(sp), Some(dp), Some(ulen)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
        let _ = write!(s, "{src} > {dst}: [|udp]");
        return;
    };
    let payload = b.get(8..).unwrap_or(&[]);
    let plen = usize::from(ulen)
        .saturating_sub(8)
        .min(len.saturating_sub(8));
    let _ = write!(s, "{} > {}: ", endpoint(src, sp), endpoint(dst, dp));
    if (dp == 4789 || sp == 4789) && depth < 2 {
        if let (Some(&flags), Some(vni)) = (payload.first(), be32(payload, 4)) {
            let _ = writeln!(
                s,
                "VXLAN, flags [{}] (0x{flags:02x}), vni {}",
                if flags & 0x08 != 0 { "I" } else { "." },
                vni >> 8
            );
            let inner = payload.get(8..).unwrap_or(&[]);
            ethernet(s, inner, inner.len() as u32, style, depth + 1);
            return;
        }
    }
    if sp == 53 || dp == 53 || sp == 5353 || dp == 5353 {
        if let Some(d) = dns(payload) {
            let _ = write!(s, "{d} ({plen})");
            return;
        }
    }
    let _ = write!(s, "UDP, length {plen}");
}

fn dns_name(m: &[u8], mut off: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut jumped = false;
    let mut end = off;
    for _ in 0..64 {
        let l = *m.get(off)?;
        if l == 0 {
            if !jumped {
                end = off + 1;
            }
            if name.is_empty() {
                name.push('.');
            }
            return Some((name, end));
        }
        if l & 0xc0 == 0xc0 {
            let ptr = usize::from(u16::from_be_bytes([l, *m.get(off + 1)?]) & 0x3fff);
            if !jumped {
                end = off + 2;
            }
            jumped = true;
            off = ptr;
            continue;
        }
        let label = m.get(off + 1..off + 1 + usize::from(l))?;
        name.push_str(&String::from_utf8_lossy(label));
        name.push('.');
        off += 1 + usize::from(l);
    }
    None
}

fn qtype(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        255 => "ANY".into(),
        t => format!("Type{t}"),
    }
}

/// `4660+ A? web.test.` for queries; `4660 1/0/0 A 10.0.0.5` for answers, as tcpdump prints.
fn dns(m: &[u8]) -> Option<String> {
    let id = be16(m, 0)?;
    let flags = be16(m, 2)?;
    let (qd, an, ns, ar) = (be16(m, 4)?, be16(m, 6)?, be16(m, 8)?, be16(m, 10)?);
    let mut off = 12;
    let mut q = None;
    if qd > 0 {
        let (name, end) = dns_name(m, off)?;
        let t = be16(m, end)?;
        q = Some((name, t));
        off = end + 4;
    }
    if flags & 0x8000 == 0 {
        let (name, t) = q?;
        let rd = if flags & 0x0100 != 0 { "+" } else { "" };
        return Some(format!("{id}{rd} {}? {name}", qtype(t)));
    }
    let rcode = flags & 0xf;
    let mut s = format!("{id}");
    if rcode == 3 {
        s.push_str(" NXDomain");
    } else if rcode != 0 {
        let _ = write!(s, " rcode {rcode}");
    }
    if flags & 0x0400 != 0 {
        s.push('*');
    }
    let _ = write!(s, " {an}/{ns}/{ar}");
    for _ in 0..an.min(16) {
        let (_, end) = dns_name(m, off)?;
        let t = be16(m, end)?;
        let rdlen = usize::from(be16(m, end + 8)?);
        let rd = m.get(end + 10..end + 10 + rdlen)?;
        let v = match (t, rdlen) {
            (1, 4) => Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]).to_string(),
            (28, 16) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(rd);
                Ipv6Addr::from(a).to_string()
            }
            (5 | 2 | 12, _) => dns_name(m, end + 10).map(|x| x.0).unwrap_or_default(),
            _ => String::new(),
        };
        let _ = write!(s, " {} {v}", qtype(t));
        off = end + 10 + rdlen;
    }
    Some(s.trim_end().to_string())
}

fn icmp(s: &mut String, src: &str, dst: &str, b: &[u8], len: usize) {
    let (Some(&t), Some(&code)) = (b.first(), b.get(1)) else {
        let _ = write!(s, "{src} > {dst}: [|icmp]");
        return;
    };
    let id = be16(b, 4).unwrap_or(0);
    let seq = be16(b, 6).unwrap_or(0);
    let _ = write!(s, "{src} > {dst}: ICMP ");
    let _ = match (t, code) {
        (8, _) => write!(s, "echo request, id {id}, seq {seq}, length {len}"),
        (0, _) => write!(s, "echo reply, id {id}, seq {seq}, length {len}"),
        (3, c) => {
            // The quoted datagram names what was unreachable.
            let inner = b.get(8..).unwrap_or(&[]);
            let what = match (c, inner.get(9), be32(inner, 16)) {
                (3, Some(17), Some(d)) => {
                    let ihl = usize::from(inner[0] & 0xf) * 4;
                    format!(
                        "{} udp port {} unreachable",
                        Ipv4Addr::from(d),
                        be16(inner, ihl + 2).unwrap_or(0)
                    )
                }
                (3, Some(6), Some(d)) => {
                    let ihl = usize::from(inner[0] & 0xf) * 4;
                    format!(
                        "{} tcp port {} unreachable",
                        Ipv4Addr::from(d),
                        be16(inner, ihl + 2).unwrap_or(0)
                    )
                }
                (1, _, Some(d)) => format!("{} host unreachable", Ipv4Addr::from(d)),
                (4, _, Some(d)) => format!(
                    "{} unreachable - need to frag (mtu {})",
                    Ipv4Addr::from(d),
                    be16(b, 6).unwrap_or(0)
                ),
                (13, _, Some(d)) => format!(
                    "host {} unreachable - admin prohibited filter",
                    Ipv4Addr::from(d)
                ),
                (c, _, _) => format!("unreachable code {c}"),
            };
            write!(s, "{what}, length {len}")
        }
        (11, 0) => write!(s, "time exceeded in-transit, length {len}"),
        (11, _) => write!(s, "ip reassembly time exceeded, length {len}"),
        (5, _) => write!(s, "redirect, length {len}"),
        (t, c) => write!(s, "type-#{t} code {c}, length {len}"),
    };
}

fn icmp6(s: &mut String, src: &str, dst: &str, b: &[u8], len: usize) {
    let Some(&t) = b.first() else {
        let _ = write!(s, "{src} > {dst}: [|icmp6]");
        return;
    };
    let id = be16(b, 4).unwrap_or(0);
    let seq = be16(b, 6).unwrap_or(0);
    let _ = write!(s, "{src} > {dst}: ICMP6, ");
    let _ = match t {
        128 => write!(s, "echo request, id {id}, seq {seq}, length {len}"),
        129 => write!(s, "echo reply, id {id}, seq {seq}, length {len}"),
        135 => {
            let target = b.get(8..24).map(|a| {
                let mut x = [0u8; 16];
                x.copy_from_slice(a);
                Ipv6Addr::from(x).to_string()
            });
            write!(
                s,
                "neighbor solicitation, who has {}, length {len}",
                target.unwrap_or_default()
            )
        }
        136 => write!(s, "neighbor advertisement, length {len}"),
        133 => write!(s, "router solicitation, length {len}"),
        134 => write!(s, "router advertisement, length {len}"),
        1 => write!(s, "destination unreachable, length {len}"),
        2 => write!(
            s,
            "packet too big, mtu {}, length {len}",
            be32(b, 4).unwrap_or(0)
        ),
        3 => write!(s, "time exceeded in-transit, length {len}"),
        143 => write!(s, "multicast listener report v2, length {len}"),
        t => write!(s, "type {t}, length {len}"),
    };
}

/// `-X` (hex and ASCII), `-x` (hex) or `-A` (ASCII) of `data`, 16 bytes a line as tcpdump
/// prints it; the caller picks where `data` starts (tcpdump: the network header, unless -e).
pub fn hex_ascii(data: &[u8], ascii: bool, hex: bool) -> String {
    let mut s = String::new();
    if !hex {
        s.push_str(
            &data
                .iter()
                .map(|&c| {
                    if c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c) {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect::<String>(),
        );
        s.push('\n');
        return s;
    }
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = write!(s, "\t0x{:04x}:  ", i * 16);
        for pair in 0..8 {
            match (chunk.get(pair * 2), chunk.get(pair * 2 + 1)) {
                (Some(a), Some(b)) => {
                    let _ = write!(s, "{a:02x}{b:02x} ");
                }
                (Some(a), None) => {
                    let _ = write!(s, "{a:02x}   ");
                }
                _ => s.push_str("     "),
            }
        }
        if ascii {
            s.push(' ');
            s.extend(chunk.iter().map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            }));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_for_the_crafted_corpus() {
        let c = crate::craft::corpus();
        let get = |n: &str| {
            let f = &c.iter().find(|(name, _)| name.starts_with(n)).unwrap().1;
            summarize(f, f.len() as u32, Style::default())
        };
        assert_eq!(
            get("tcp syn 10.0.0.1"),
            "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65535, length 0"
        );
        assert_eq!(get("tcp http request"), "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1000:1029, ack 2000, win 65535, length 29: HTTP: GET / HTTP/1.1");
        assert_eq!(
            get("udp dns query"),
            "IP 10.0.0.1.40001 > 10.0.0.2.53: 4660+ A? web.test. (26)"
        );
        assert_eq!(
            get("arp request"),
            "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
        );
        assert_eq!(
            get("icmp echo reply"),
            "IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 4660, seq 1, length 12"
        );
        assert!(get("vxlan").contains(
            "VXLAN, flags [I] (0x08), vni 4096\nIP 10.0.1.2 > 10.0.1.3: ICMP echo request"
        ));
    }

    #[test]
    fn truncated_and_junk_never_panic() {
        for (_, f) in crate::craft::corpus() {
            for cut in 0..f.len() {
                let _ = summarize(
                    &f[..cut],
                    f.len() as u32,
                    Style {
                        link: true,
                        verbose: true,
                    },
                );
            }
        }
        let mut seed = 17u32;
        for n in 0..3000 {
            let mut f: Vec<u8> = (0..(n % 200))
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            if f.len() > 14 {
                f[12] = [0x08, 0x86, 0x81, 0x08][n % 4];
                f[13] = [0x00, 0xdd, 0x00, 0x06][n % 4];
            }
            let _ = summarize(
                &f,
                f.len() as u32,
                Style {
                    link: true,
                    verbose: true,
                },
            );
        }
    }
}
