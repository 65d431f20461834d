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
    /// `-v`: IP header details on their own line, TCP checksums, ICMP's quoted datagram, HTTP
    /// headers.
    pub verbose: bool,
    /// `-vv`: also UDP checksums and the sequence number of every TCP segment.
    pub very_verbose: bool,
}

/// tcpdump's relative TCP sequence numbers: the first sequence and acknowledgement numbers of
/// each conversation, kept across packets (bounded: the table starts over when full).
#[derive(Debug, Default)]
pub struct Seqs {
    map: std::collections::HashMap<ConvKey, (u32, u32)>,
}

/// A TCP conversation in one collating order: address, address, the two ports.
type ConvKey = (Vec<u8>, Vec<u8>, u32);

impl Seqs {
    /// At most this many conversations are remembered.
    pub const CAP: usize = 65_536;
}

/// Summaries across packets: `relative` gives tcpdump's default relative sequence numbers
/// (without it, `-S`'s absolute numbers).
#[derive(Debug)]
pub struct Summarizer {
    style: Style,
    seqs: Option<Seqs>,
}

impl Summarizer {
    /// A summariser with `style`; `relative` for tcpdump's default sequence numbers.
    pub fn new(style: Style, relative: bool) -> Summarizer {
        Summarizer {
            style,
            seqs: relative.then(Seqs::default),
        }
    }

    /// The line for one frame (`orig_len` = length on the wire).
    pub fn line(&mut self, frame: &[u8], orig_len: u32) -> String {
        let mut s = String::new();
        let mut cx = Cx {
            style: self.style,
            seqs: self.seqs.as_mut(),
        };
        ethernet(&mut s, frame, orig_len, &mut cx, 0);
        s
    }
}

/// What the printers carry down a frame.
struct Cx<'a> {
    style: Style,
    seqs: Option<&'a mut Seqs>,
}

/// A transport header's endpoints: printable addresses (empty to print ports only) and the raw
/// address bytes for the pseudo-header checksum (empty when unknown).
struct Ends<'a> {
    src: &'a str,
    dst: &'a str,
    raw_src: &'a [u8],
    raw_dst: &'a [u8],
    /// The IP payload is a fragment, or not wholly captured: no checksum verdict.
    partial: bool,
}

/// The Internet checksum (RFC 1071) over `parts`, folded and complemented.
fn inet_csum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The checksum a transport segment should carry: over the pseudo-header and the segment with
/// its checksum field (at `at`) taken as zero.
fn transport_csum(ep: &Ends<'_>, proto: u8, seg: &[u8], at: usize) -> u16 {
    let len = seg.len() as u32;
    let pseudo: Vec<u8> = if ep.raw_src.len() == 16 {
        let mut v = Vec::with_capacity(40);
        v.extend_from_slice(ep.raw_src);
        v.extend_from_slice(ep.raw_dst);
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, proto]);
        v
    } else {
        let mut v = Vec::with_capacity(12);
        v.extend_from_slice(ep.raw_src);
        v.extend_from_slice(ep.raw_dst);
        v.extend_from_slice(&[0, proto]);
        v.extend_from_slice(&(len as u16).to_be_bytes());
        v
    };
    let head = seg.get(..at).unwrap_or(seg);
    let tail = seg.get(at + 2..).unwrap_or(&[]);
    inet_csum(&[&pseudo, head, &[0, 0], tail])
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

/// One frame alone, with absolute sequence numbers (tcpdump -S).
pub fn summarize(frame: &[u8], orig_len: u32, style: Style) -> String {
    Summarizer::new(style, false).line(frame, orig_len)
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

fn ethernet(s: &mut String, f: &[u8], orig_len: u32, cx: &mut Cx<'_>, depth: u8) {
    let Some(mut t) = be16(f, 12) else {
        s.push_str("[|ether]");
        return;
    };
    let mut off = 14;
    if cx.style.link {
        let _ = write!(s, "{} > {}, ", mac(&f[6..12]), mac(&f[0..6]));
    }
    // VLAN tags.
    while matches!(t, 0x8100 | 0x88a8 | 0x9100) {
        let (Some(tci), Some(inner)) = (be16(f, off), be16(f, off + 2)) else {
            s.push_str("[|vlan]");
            return;
        };
        if cx.style.link {
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
    if cx.style.link {
        let _ = write!(
            s,
            "ethertype {} (0x{t:04x}), length {orig_len}: ",
            ethertype_name(t)
        );
    }
    let p = &f[off..];
    let plen = orig_len.saturating_sub(off as u32);
    match t {
        0x0800 => ipv4(s, p, cx, depth),
        0x86dd => ipv6(s, p, cx, depth),
        0x0806 | 0x8035 => {
            // With -e the link header has named ARP already.
            let mut a = String::new();
            arp(&mut a, p, plen, cx.style);
            if cx.style.link {
                s.push_str(a.strip_prefix("ARP, ").unwrap_or(&a));
            } else {
                s.push_str(&a);
            }
        }
        0x88cc => {
            let _ = write!(s, "LLDP, length {}", plen);
        }
        _ => {
            let _ = write!(s, "ethertype Unknown (0x{t:04x}), length {orig_len}");
        }
    }
}

fn arp(s: &mut String, p: &[u8], len: u32, style: Style) {
    let (Some(op), Some(spa), Some(tpa)) = (be16(p, 6), be32(p, 14), be32(p, 24)) else {
        s.push_str("ARP, [|arp]");
        return;
    };
    if style.verbose {
        // tcpdump -v names the hardware and protocol address formats first; the words that
        // follow keep their "ARP, " prefix, so print it here and drop it below.
        let _ = write!(
            s,
            "ARP, Ethernet (len {}), IPv4 (len {}), ",
            p.get(4).copied().unwrap_or(0),
            p.get(5).copied().unwrap_or(0)
        );
        let mut rest = String::new();
        arp(&mut rest, p, len, Style::default());
        s.push_str(rest.strip_prefix("ARP, ").unwrap_or(&rest));
        return;
    }
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

fn ipv4(s: &mut String, p: &[u8], cx: &mut Cx<'_>, depth: u8) {
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
    let (raw_src, raw_dst) = (src.to_be_bytes(), dst.to_be_bytes());
    let (src, dst) = (Ipv4Addr::from(src), Ipv4Addr::from(dst));
    // With -e the link header has named the protocol already.
    if !cx.style.link {
        s.push_str("IP ");
    }
    if cx.style.verbose {
        let mut flags = Vec::new();
        if frag & 0x4000 != 0 {
            flags.push("DF");
        }
        if frag & 0x2000 != 0 {
            flags.push("+");
        }
        let _ = write!(
            s,
            "(tos 0x{:x}, ttl {ttl}, id {id}, offset {}, flags [{}], proto {} ({proto}), length {total}",
            p.get(1).copied().unwrap_or(0),
            (frag & 0x1fff) * 8,
            if flags.is_empty() { "none".to_string() } else { flags.join("") },
            proto_name(proto)
        );
        if let Some(opts) = p.get(20..ihl).filter(|o| !o.is_empty()) {
            let _ = write!(s, ", options ({})", ip_options(opts));
        }
        if let (Some(hdr), Some(sum)) = (p.get(..ihl.max(20)), be16(p, 10)) {
            let should = inet_csum(&[&hdr[..10], &[0, 0], &hdr[12..]]);
            if should != sum {
                let _ = write!(s, ", bad cksum {sum:x} (->{should:x})!");
            }
        }
        // tcpdump puts the transport on its own indented line.
        s.push_str(")\n    ");
    }
    let payload_len = usize::from(total).saturating_sub(ihl);
    let body = p.get(ihl..).unwrap_or(&[]);
    let partial = body.len() < payload_len || frag & 0x3fff & !0x4000 != 0;
    let body = &body[..body.len().min(payload_len)];
    if frag & 0x1fff != 0 {
        let _ = write!(s, "{src} > {dst}: ip-proto-{proto}");
        return;
    }
    let (src, dst) = (src.to_string(), dst.to_string());
    let ep = Ends {
        src: &src,
        dst: &dst,
        raw_src: &raw_src,
        raw_dst: &raw_dst,
        partial,
    };
    transport(s, &ep, proto, body, payload_len, cx, depth);
}

/// IPv4 options as tcpdump -v names them.
fn ip_options(o: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < o.len() && out.len() < 40 {
        let kind = o[i];
        let name = match kind {
            0 => "EOL",
            1 => "NOP",
            7 => "RR",
            68 => "TS",
            131 => "LSRR",
            137 => "SSRR",
            148 => "RA",
            _ => "",
        };
        if kind <= 1 {
            out.push(name.to_string());
            i += 1;
            if kind == 0 {
                break;
            }
            continue;
        }
        let l = usize::from(o.get(i + 1).copied().unwrap_or(0));
        out.push(if name.is_empty() {
            format!("unknown {kind}")
        } else {
            name.to_string()
        });
        if l < 2 {
            break;
        }
        i += l;
    }
    out.join(",")
}

fn ipv6(s: &mut String, p: &[u8], cx: &mut Cx<'_>, depth: u8) {
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
    let (raw_src, raw_dst) = (src, dst);
    let (src, dst) = (to6(src), to6(dst));
    if !cx.style.link {
        s.push_str("IP6 ");
    }
    if cx.style.verbose {
        let first = be32(p, 0).unwrap_or(0);
        let class = (first >> 20) & 0xff;
        let label = first & 0xfffff;
        s.push('(');
        if class != 0 {
            let _ = write!(s, "class 0x{class:x}, ");
        }
        if label != 0 {
            let _ = write!(s, "flowlabel 0x{label:05x}, ");
        }
        let _ = write!(
            s,
            "hlim {}, next-header {} ({next}) payload length: {plen}) ",
            p.get(7).copied().unwrap_or(0),
            proto_name(next)
        );
    }
    let mut off = 40usize;
    let mut left = usize::from(plen);
    let mut ext = String::new();
    let mut fragmented = false;
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
            fragmented = true;
            if cx.style.verbose {
                let _ = write!(
                    ext,
                    "frag (0x{:08x}:{}|{}) ",
                    be32(p, off + 4).unwrap_or(0),
                    fo & 0xfff8,
                    left.saturating_sub(8)
                );
            } else {
                let _ = write!(ext, "frag ({}|{}) ", fo & 0xfff8, left.saturating_sub(8));
            }
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
    let partial = body.len() < left || fragmented;
    let body = &body[..body.len().min(left)];
    if !ext.is_empty() && matches!(next, 6 | 17 | 58) {
        // tcpdump: the addresses once, the extension headers, then ports only.
        let _ = write!(s, "{src} > {dst}: {ext}");
        let ep = Ends {
            src: "",
            dst: "",
            raw_src,
            raw_dst,
            partial,
        };
        transport(s, &ep, next, body, left, cx, depth);
        return;
    }
    let ep = Ends {
        src: &src,
        dst: &dst,
        raw_src,
        raw_dst,
        partial,
    };
    transport(s, &ep, next, body, left, cx, depth);
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
    ep: &Ends<'_>,
    proto: u8,
    b: &[u8],
    len: usize,
    cx: &mut Cx<'_>,
    depth: u8,
) {
    let (src, dst) = (ep.src, ep.dst);
    match proto {
        6 => tcp(s, ep, b, len, cx),
        17 => udp(s, ep, b, len, cx, depth),
        1 => icmp(s, src, dst, b, len, cx, depth),
        58 => icmp6(s, ep, b, len, cx),
        _ => {
            let _ = write!(s, "{src} > {dst}: ip-proto-{proto} {len}");
        }
    }
}

fn tcp(s: &mut String, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    let (src, dst) = (ep.src, ep.dst);
    let (Some(sp), Some(dp), Some(mut seq), Some(mut ack), Some(&doff), Some(&fl), Some(win)) = (
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
    if cx.style.verbose && !ep.partial && !ep.raw_src.is_empty() && b.len() >= len {
        if let Some(sum) = be16(b, 16) {
            let should = transport_csum(ep, 6, &b[..len], 16);
            if should == sum {
                let _ = write!(s, ", cksum 0x{sum:04x} (correct)");
            } else {
                let _ = write!(s, ", cksum 0x{sum:04x} (incorrect -> 0x{should:04x})");
            }
        }
    }
    // tcpdump's relative numbers: a conversation is keyed in one collating order for both
    // directions; SYN (re)starts it; numbers are relative only when ACK is set.
    if let (Some(seqs), true) = (cx.seqs.as_deref_mut(), fl & 0x10 != 0) {
        let rev = sp > dp || (sp == dp && ep.raw_src > ep.raw_dst);
        let key = if rev {
            (
                ep.raw_dst.to_vec(),
                ep.raw_src.to_vec(),
                u32::from(dp) << 16 | u32::from(sp),
            )
        } else {
            (
                ep.raw_src.to_vec(),
                ep.raw_dst.to_vec(),
                u32::from(sp) << 16 | u32::from(dp),
            )
        };
        match seqs.map.get(&key) {
            Some(&(tseq, tack)) if fl & 0x02 == 0 => {
                if rev {
                    seq = seq.wrapping_sub(tack);
                    ack = ack.wrapping_sub(tseq);
                } else {
                    seq = seq.wrapping_sub(tseq);
                    ack = ack.wrapping_sub(tack);
                }
            }
            _ => {
                if seqs.map.len() >= Seqs::CAP {
                    seqs.map.clear();
                }
                let v = if rev {
                    (ack.wrapping_sub(1), seq)
                } else {
                    (seq, ack.wrapping_sub(1))
                };
                seqs.map.insert(key, v);
            }
        }
    }
    if data_len > 0 || fl & 0x07 != 0 || cx.style.very_verbose {
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
        let payload = b.get(hl..).unwrap_or(&[]);
        match http_line(payload) {
            Some(_) if cx.style.verbose => {
                // -v: the request or status line and the headers, a line each.
                let _ = write!(s, ": HTTP, length: {data_len}");
                for line in header_lines(payload) {
                    let _ = write!(s, "\n\t{line}");
                }
            }
            Some(line) => {
                let _ = write!(s, ": HTTP: {line}");
            }
            None => s.push_str(": HTTP"),
        }
    }
}

/// The lines of an HTTP message as tcpdump -v prints them: every line of the segment (at most
/// 64), non-printable bytes shown as `.`; a last line without its end gets ` [|http]`.
fn header_lines(p: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = p;
    let show = |line: &[u8]| -> String {
        line.iter()
            .map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect()
    };
    while !rest.is_empty() && out.len() < 64 {
        match rest.iter().position(|&c| c == b'\n') {
            Some(e) => {
                let line = &rest[..e];
                out.push(show(line.strip_suffix(b"\r").unwrap_or(line)));
                rest = &rest[e + 1..];
            }
            None => {
                out.push(format!("{} [|http]", show(rest)));
                break;
            }
        }
    }
    out
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

fn udp(s: &mut String, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
    let (src, dst) = (ep.src, ep.dst);
    let (Some(sp), Some(dp), Some(ulen)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
        let _ = write!(s, "{src} > {dst}: [|udp]");
        return;
    };
    let payload = b.get(8..).unwrap_or(&[]);
    let plen = usize::from(ulen)
        .saturating_sub(8)
        .min(len.saturating_sub(8));
    let _ = write!(s, "{} > {}: ", endpoint(src, sp), endpoint(dst, dp));
    let v6 = ep.raw_src.len() == 16;
    let check = if v6 {
        cx.style.verbose
    } else {
        cx.style.very_verbose
    };
    if check && !ep.partial && !ep.raw_src.is_empty() && b.len() >= len {
        if let Some(sum) = be16(b, 6) {
            if sum == 0 && ep.raw_src.len() == 4 {
                s.push_str("[no cksum] ");
            } else {
                let should = transport_csum(ep, 17, &b[..len], 6);
                // 0 is sent as 0xffff (RFC 768).
                let should = if should == 0 { 0xffff } else { should };
                if should == sum {
                    s.push_str("[udp sum ok] ");
                } else {
                    let _ = write!(s, "[bad udp cksum 0x{sum:04x} -> 0x{should:04x}!] ");
                }
            }
        }
    }
    if (dp == 4789 || sp == 4789) && depth < 2 {
        if let (Some(&flags), Some(vni)) = (payload.first(), be32(payload, 4)) {
            let _ = writeln!(
                s,
                "VXLAN, flags [{}] (0x{flags:02x}), vni {}",
                if flags & 0x08 != 0 { "I" } else { "." },
                vni >> 8
            );
            let inner = payload.get(8..).unwrap_or(&[]);
            ethernet(s, inner, inner.len() as u32, cx, depth + 1);
            return;
        }
    }
    if sp == 53 || dp == 53 || sp == 5353 || dp == 5353 {
        if plen < 12 {
            let _ = write!(s, "domain [length {plen} < 12] (invalid)");
            return;
        }
        if let Some(d) = dns(payload, cx.style.very_verbose) {
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
fn dns(m: &[u8], vv: bool) -> Option<String> {
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
        let rd = if flags & 0x0100 != 0 { "+" } else { "" };
        // tcpdump names unusual section counts of a query: [Nq] questions, [Na] answers,
        // [Nn] authority, [Nau] additional (an EDNS OPT record makes it [1au]).
        let mut head = format!("{id}{rd}");
        if qd != 1 {
            let _ = write!(head, " [{qd}q]");
        }
        for (n, tag) in [(an, "a"), (ns, "n"), (ar, "au")] {
            if n != 0 {
                let _ = write!(head, " [{n}{tag}]");
            }
        }
        let mut line = match q {
            Some((name, t)) => format!("{head} {}? {name}", qtype(t)),
            None => head,
        };
        // -vv: the additional section of a query (an EDNS OPT record, as dig sends it).
        if vv && an == 0 && ns == 0 && ar > 0 {
            let mut at = off;
            for i in 0..ar.min(4) {
                let (name, end) = dns_name(m, at)?;
                let (t, class, ttl) = (be16(m, end)?, be16(m, end + 2)?, be32(m, end + 4)?);
                let rdlen = usize::from(be16(m, end + 8)?);
                let rd = m.get(end + 10..end + 10 + rdlen)?;
                line.push_str(if i == 0 { " ar: " } else { ", " });
                if t == 41 {
                    let _ = write!(line, "{name} OPT UDPsize={class}");
                    if ttl & 0x8000 != 0 {
                        line.push_str(" DO");
                    }
                    let mut o = rd;
                    while o.len() >= 4 {
                        let code = u16::from_be_bytes([o[0], o[1]]);
                        let olen = usize::from(u16::from_be_bytes([o[2], o[3]]));
                        let Some(data) = o.get(4..4 + olen) else {
                            break;
                        };
                        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
                        let _ = match code {
                            10 => write!(line, " [COOKIE {hex}]"),
                            3 => write!(line, " [NSID {hex}]"),
                            c => write!(line, " [OPT{c} {hex}]"),
                        };
                        o = &o[4 + olen..];
                    }
                } else {
                    let _ = write!(line, "{name} {}", qtype(t));
                }
                at = end + 10 + rdlen;
            }
        }
        return Some(line);
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

fn icmp(s: &mut String, src: &str, dst: &str, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
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
    if cx.style.verbose && b.len() >= len {
        if let Some(sum) = be16(b, 2) {
            let should = inet_csum(&[&b[..2], &[0, 0], &b[4..len]]);
            if should != sum {
                let _ = write!(s, " (wrong icmp cksum {sum:x} (->{should:x})!)");
            }
        }
    }
    // -v: the datagram an ICMP error quotes, on its own line (as tcpdump prints it).
    if cx.style.verbose && matches!(t, 3 | 4 | 5 | 11 | 12) && depth < 2 {
        if let Some(inner) = b.get(8..).filter(|i| i.len() >= 20) {
            s.push_str("\n\t");
            // The quote is a fragment of a datagram: its numbers are not a conversation's.
            let mut quoted = Cx {
                style: cx.style,
                seqs: None,
            };
            ipv4(s, inner, &mut quoted, depth + 1);
        }
    }
}

fn icmp6(s: &mut String, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    let (src, dst) = (ep.src, ep.dst);
    let Some(&t) = b.first() else {
        let _ = write!(s, "{src} > {dst}: [|icmp6]");
        return;
    };
    let id = be16(b, 4).unwrap_or(0);
    let seq = be16(b, 6).unwrap_or(0);
    if !src.is_empty() {
        let _ = write!(s, "{src} > {dst}: ");
    }
    let verbose = cx.style.verbose;
    if verbose && !ep.partial && ep.raw_src.len() == 16 && b.len() >= len {
        if let Some(sum) = be16(b, 2) {
            let should = transport_csum(ep, 58, &b[..len], 2);
            if should == sum {
                s.push_str("[icmp6 sum ok] ");
            } else {
                let _ = write!(s, "[bad icmp6 cksum 0x{sum:04x} -> 0x{should:04x}!] ");
            }
        }
    }
    s.push_str("ICMP6, ");
    let _ = match t {
        // tcpdump -v leaves the length off echo messages.
        128 if verbose => write!(s, "echo request, id {id}, seq {seq}"),
        129 if verbose => write!(s, "echo reply, id {id}, seq {seq}"),
        128 => write!(s, "echo request, id {id}, seq {seq}, length {len}"),
        129 => write!(s, "echo reply, id {id}, seq {seq}, length {len}"),
        1 if b.get(1) == Some(&4) && b.len() >= 8 + 40 + 4 => {
            // Port unreachable: the quoted datagram names the address and port.
            let q = &b[8..];
            let mut a = [0u8; 16];
            a.copy_from_slice(&q[24..40]);
            let proto = match q[6] {
                6 => "tcp",
                17 => "udp",
                _ => "ip",
            };
            let port = be16(q, 42).unwrap_or(0);
            let what = format!(
                "destination unreachable, unreachable port, {} {proto} port {port}",
                Ipv6Addr::from(a)
            );
            if verbose {
                write!(s, "{what}")
            } else {
                write!(s, "{what}, length {len}")
            }
        }
        135 => {
            let target = b.get(8..24).map(|a| {
                let mut x = [0u8; 16];
                x.copy_from_slice(a);
                Ipv6Addr::from(x).to_string()
            });
            if verbose {
                let _ = write!(
                    s,
                    "neighbor solicitation, length {len}, who has {}",
                    target.unwrap_or_default()
                );
                nd_options(s, b.get(24..).unwrap_or(&[]), cx.style.very_verbose);
                Ok(())
            } else {
                write!(
                    s,
                    "neighbor solicitation, who has {}, length {len}",
                    target.unwrap_or_default()
                )
            }
        }
        136 => {
            let target = b.get(8..24).map(|a| {
                let mut x = [0u8; 16];
                x.copy_from_slice(a);
                Ipv6Addr::from(x).to_string()
            });
            match target {
                Some(t) if verbose => {
                    let f = b.get(4).copied().unwrap_or(0);
                    let names: Vec<&str> =
                        [(0x80, "router"), (0x40, "solicited"), (0x20, "override")]
                            .iter()
                            .filter(|(bit, _)| f & bit != 0)
                            .map(|(_, n)| *n)
                            .collect();
                    let _ = write!(
                        s,
                        "neighbor advertisement, length {len}, tgt is {t}, Flags [{}]",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    );
                    nd_options(s, b.get(24..).unwrap_or(&[]), cx.style.very_verbose);
                    Ok(())
                }
                Some(t) => write!(s, "neighbor advertisement, tgt is {t}, length {len}"),
                None => write!(s, "neighbor advertisement, length {len}"),
            }
        }
        143 if !verbose => write!(
            s,
            "multicast listener report v2, {} group record(s), length {len}",
            be16(b, 6).unwrap_or(0)
        ),
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

/// Neighbour discovery options as tcpdump -v prints them (link-layer addresses).
fn nd_options(s: &mut String, mut o: &[u8], vv: bool) {
    while o.len() >= 2 {
        let (t, units) = (o[0], usize::from(o[1]));
        let l = units * 8;
        if l == 0 || l > o.len() {
            break;
        }
        let name = match t {
            1 => "source link-address option",
            2 => "destination link-address option",
            3 => "prefix info option",
            5 => "mtu option",
            _ => "unknown option",
        };
        let _ = write!(s, "\n\t  {name} ({t}), length {l} ({units})");
        if matches!(t, 1 | 2) {
            let _ = write!(s, ": {}", mac(&o[2..l]));
        }
        if vv {
            // -vv: the option's bytes, two to a group.
            let groups: Vec<String> = o[2..l]
                .chunks(2)
                .map(|c| c.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            let _ = write!(s, "\n\t    0x0000:  {}", groups.join(" "));
        }
        o = &o[l..];
    }
}

/// `-X` (hex and ASCII), `-x` (hex) or `-A` (ASCII) of `data`, 16 bytes a line as tcpdump
/// prints it; the caller picks where `data` starts (tcpdump: the network header, unless -e).
pub fn hex_ascii(data: &[u8], ascii: bool, hex: bool) -> String {
    let mut s = String::new();
    if !hex {
        // tcpdump -A: printable characters, tabs, spaces and newlines as they are; a CR
        // before a newline dropped; anything else as '.'.
        for (i, &c) in data.iter().enumerate() {
            match c {
                b'\r' if data.get(i + 1) == Some(&b'\n') => {}
                b'\t' | b' ' | b'\n' | 0x21..=0x7e => s.push(c as char),
                _ => s.push('.'),
            }
        }
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
        if !ascii {
            // tcpdump -x ends its lines at the last byte.
            while s.ends_with(' ') {
                s.pop();
            }
        }
        if ascii {
            s.push(' ');
            s.extend(chunk.iter().map(|&c| {
                if (0x21..0x7f).contains(&c) {
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
                        very_verbose: true,
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
                    very_verbose: true,
                },
            );
        }
    }
}
