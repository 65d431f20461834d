//! Bytes to a [`Packet`]: every read bounds-checked, so a truncated or hostile frame gives a
//! description that says where it ended (`truncated`), never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::packet::*;
use super::{Seqs, Style};

/// What parsing carries down a frame.
pub(super) struct Cx<'a> {
    pub style: Style,
    pub seqs: Option<&'a mut Seqs>,
}

/// A transport's endpoints as raw address bytes (for the pseudo-header and conversation key).
struct Ends<'a> {
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
fn mac_at(b: &[u8], o: usize) -> Mac {
    let mut m = [0u8; 6];
    if let Some(x) = b.get(o..o + 6) {
        m.copy_from_slice(x);
    }
    Mac(m)
}
fn v6_at(b: &[u8], o: usize) -> Option<Ipv6Addr> {
    let mut a = [0u8; 16];
    a.copy_from_slice(b.get(o..o + 16)?);
    Some(Ipv6Addr::from(a))
}

/// Whether a UDP datagram between these ports is read as DNS.
pub(super) fn is_dns_port(sp: u16, dp: u16) -> bool {
    sp == 53 || dp == 53 || sp == 5353 || dp == 5353
}

/// Whether a TCP segment between these ports is read as HTTP.
pub(super) fn is_http_port(sp: u16, dp: u16) -> bool {
    [80, 8080, 3128].iter().any(|p| *p == sp || *p == dp)
}

/// An Ethernet frame (`orig_len` = its length on the wire).
pub(super) fn ethernet(f: &[u8], orig_len: u32, cx: &mut Cx<'_>, depth: u8) -> Packet {
    let mut pkt = Packet::default();
    let Some(mut t) = be16(f, 12) else {
        pkt.truncated = Some(Truncated::Ether);
        return pkt;
    };
    let mut off = 14;
    let mut e = Ethernet {
        src: mac_at(f, 6),
        dst: mac_at(f, 0),
        vlans: Vec::new(),
        ethertype: t,
        length: orig_len,
    };
    while matches!(t, 0x8100 | 0x88a8 | 0x9100) {
        let (Some(tci), Some(inner)) = (be16(f, off), be16(f, off + 2)) else {
            pkt.truncated = Some(Truncated::Vlan);
            pkt.ethernet = Some(e);
            return pkt;
        };
        e.vlans.push(Vlan {
            tpid: t,
            id: tci & 0xfff,
            pcp: (tci >> 13) as u8,
        });
        t = inner;
        off += 4;
    }
    e.ethertype = t;
    let plen = e.payload_length();
    pkt.ethernet = Some(e);
    if t <= 1500 {
        return pkt;
    }
    let p = f.get(off..).unwrap_or(&[]);
    match t {
        0x0800 => ipv4(&mut pkt, p, cx, depth),
        0x86dd => ipv6(&mut pkt, p, cx, depth),
        0x0806 | 0x8035 => arp(&mut pkt, p, plen),
        _ => {}
    }
    pkt
}

fn arp(pkt: &mut Packet, p: &[u8], len: u32) {
    let (Some(op), Some(spa), Some(tpa)) = (be16(p, 6), be32(p, 14), be32(p, 24)) else {
        pkt.truncated = Some(Truncated::Arp);
        return;
    };
    pkt.arp = Some(Arp {
        op,
        hlen: p[4],
        plen: p[5],
        sender_mac: mac_at(p, 8),
        sender_ip: Ipv4Addr::from(spa),
        target_mac: mac_at(p, 18),
        target_ip: Ipv4Addr::from(tpa),
        length: len,
    });
}

/// An IPv4 datagram (a frame's payload or an ICMP error's quote).
pub(super) fn ipv4(pkt: &mut Packet, p: &[u8], cx: &mut Cx<'_>, depth: u8) {
    let Some(&vihl) = p.first() else {
        pkt.truncated = Some(Truncated::Ip);
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
        pkt.truncated = Some(Truncated::Ip);
        return;
    };
    let (raw_src, raw_dst) = (src.to_be_bytes(), dst.to_be_bytes());
    let mut checksum = None;
    if cx.style.verbose {
        if let (Some(hdr), Some(sum)) = (p.get(..ihl.max(20)), be16(p, 10)) {
            checksum = Some(Checksum::verify(
                sum,
                inet_csum(&[&hdr[..10], &[0, 0], &hdr[12..]]),
            ));
        }
    }
    let payload_len = usize::from(total).saturating_sub(ihl);
    pkt.ipv4 = Some(Ipv4 {
        src: Ipv4Addr::from(src),
        dst: Ipv4Addr::from(dst),
        tos: p[1],
        ttl,
        id,
        df: frag & 0x4000 != 0,
        mf: frag & 0x2000 != 0,
        fragment_offset: (frag & 0x1fff) * 8,
        protocol: proto,
        length: total,
        header_length: ihl,
        options: p
            .get(20..ihl)
            .filter(|o| !o.is_empty())
            .map(ip_options)
            .unwrap_or_default(),
        payload_length: payload_len,
        checksum,
    });
    let body = p.get(ihl..).unwrap_or(&[]);
    let partial = body.len() < payload_len || frag & 0x3fff & !0x4000 != 0;
    let body = &body[..body.len().min(payload_len)];
    if frag & 0x1fff != 0 {
        return;
    }
    let ep = Ends {
        raw_src: &raw_src,
        raw_dst: &raw_dst,
        partial,
    };
    transport(pkt, &ep, proto, body, payload_len, cx, depth);
}

/// IPv4 options as tcpdump -v names them.
fn ip_options(o: &[u8]) -> Vec<String> {
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
    out
}

fn ipv6(pkt: &mut Packet, p: &[u8], cx: &mut Cx<'_>, depth: u8) {
    let (Some(plen), Some(first_next), Some(src), Some(dst)) =
        (be16(p, 4), p.get(6).copied(), v6_at(p, 8), v6_at(p, 24))
    else {
        pkt.truncated = Some(Truncated::Ip6);
        return;
    };
    let first = be32(p, 0).unwrap_or(0);
    let mut ip = Ipv6 {
        src,
        dst,
        traffic_class: ((first >> 20) & 0xff) as u8,
        flow_label: first & 0xfffff,
        hop_limit: p[7],
        next_header: first_next,
        length: plen,
        extensions: Vec::new(),
        protocol: first_next,
        payload_length: 0,
    };
    let mut next = first_next;
    let mut off = 40usize;
    let mut left = usize::from(plen);
    let mut fragmented = false;
    // Extension headers: hop-by-hop, routing, destination options, fragment.
    let mut guard = 0;
    while matches!(next, 0 | 43 | 60 | 44) && guard < 8 {
        guard += 1;
        let (Some(nh), Some(hl)) = (p.get(off).copied(), p.get(off + 1).copied()) else {
            pkt.truncated = Some(Truncated::Ip6);
            pkt.ipv6 = Some(ip);
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
            ip.extensions.push(Extension::Fragment {
                id: be32(p, off + 4).unwrap_or(0),
                offset: fo & 0xfff8,
                length: left.saturating_sub(8),
            });
            if fo & 0xfff8 != 0 {
                ip.protocol = nh;
                ip.payload_length = left.saturating_sub(8);
                pkt.ipv6 = Some(ip);
                return;
            }
        } else {
            ip.extensions.push(match next {
                0 => Extension::HopByHop,
                43 => Extension::Routing,
                _ => Extension::DestinationOptions,
            });
        }
        next = nh;
        off += len;
        left = left.saturating_sub(len);
    }
    ip.protocol = next;
    ip.payload_length = left;
    let body = p.get(off..).unwrap_or(&[]);
    let partial = body.len() < left || fragmented;
    let body = &body[..body.len().min(left)];
    pkt.ipv6 = Some(ip);
    let ep = Ends {
        raw_src: p.get(8..24).unwrap_or(&[]),
        raw_dst: p.get(24..40).unwrap_or(&[]),
        partial,
    };
    transport(pkt, &ep, next, body, left, cx, depth);
}

fn transport(
    pkt: &mut Packet,
    ep: &Ends<'_>,
    proto: u8,
    b: &[u8],
    len: usize,
    cx: &mut Cx<'_>,
    depth: u8,
) {
    match proto {
        6 => tcp(pkt, ep, b, len, cx),
        17 => udp(pkt, ep, b, len, cx, depth),
        1 => icmp(pkt, b, len, cx, depth),
        58 => icmp6(pkt, ep, b, len, cx),
        _ => {}
    }
}

fn tcp(pkt: &mut Packet, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    let (Some(sp), Some(dp), Some(seq), Some(ack), Some(&doff), Some(&fl), Some(win)) = (
        be16(b, 0),
        be16(b, 2),
        be32(b, 4),
        be32(b, 8),
        b.get(12),
        b.get(13),
        be16(b, 14),
    ) else {
        pkt.truncated = Some(Truncated::Tcp);
        return;
    };
    let hl = usize::from(doff >> 4) * 4;
    let data_len = len.saturating_sub(hl);
    let mut checksum = None;
    if cx.style.verbose && !ep.partial && !ep.raw_src.is_empty() && b.len() >= len {
        if let Some(sum) = be16(b, 16) {
            checksum = Some(Checksum::verify(sum, transport_csum(ep, 6, &b[..len], 16)));
        }
    }
    // tcpdump's relative numbers: a conversation is keyed in one collating order for both
    // directions; SYN (re)starts it; numbers are relative only when ACK is set.
    let mut relative = None;
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
                relative = Some(if rev {
                    RelativeSeq {
                        seq: seq.wrapping_sub(tack),
                        ack: ack.wrapping_sub(tseq),
                    }
                } else {
                    RelativeSeq {
                        seq: seq.wrapping_sub(tseq),
                        ack: ack.wrapping_sub(tack),
                    }
                });
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
    let options = if hl > 20 {
        b.get(20..hl).map(tcp_options)
    } else {
        None
    };
    pkt.tcp = Some(Tcp {
        src_port: sp,
        dst_port: dp,
        seq,
        ack,
        relative,
        flags: TcpFlags(fl),
        window: win,
        header_length: hl,
        options,
        checksum,
    });
    pkt.payload_length = Some(data_len);
    if data_len > 0 && is_http_port(sp, dp) {
        let payload = b.get(hl..).unwrap_or(&[]);
        let start_line = http_line(payload);
        let lines = if start_line.is_some() && cx.style.verbose {
            header_lines(payload)
        } else {
            Vec::new()
        };
        pkt.http = Some(Http { start_line, lines });
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

fn tcp_options(o: &[u8]) -> Vec<TcpOption> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < o.len() {
        let kind = o[i];
        match kind {
            0 => {
                out.push(TcpOption::Eol);
                break;
            }
            1 => {
                out.push(TcpOption::Nop);
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&l) = o.get(i + 1) else { break };
        let l = usize::from(l);
        if l < 2 || i + l > o.len() {
            out.push(TcpOption::Truncated);
            break;
        }
        let v = &o[i + 2..i + l];
        out.push(match (kind, v.len()) {
            (2, 2) => TcpOption::Mss(u16::from_be_bytes([v[0], v[1]])),
            (3, 1) => TcpOption::Wscale(v[0]),
            (4, 0) => TcpOption::SackOk,
            (8, 8) => TcpOption::Timestamp {
                val: u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                ecr: u32::from_be_bytes([v[4], v[5], v[6], v[7]]),
            },
            (5, _) => TcpOption::Sack(v.len() / 8),
            (k, _) => TcpOption::Unknown(k),
        });
        i += l;
    }
    out
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

fn udp(pkt: &mut Packet, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
    let (Some(sp), Some(dp), Some(ulen)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
        pkt.truncated = Some(Truncated::Udp);
        return;
    };
    let payload = b.get(8..).unwrap_or(&[]);
    let plen = usize::from(ulen)
        .saturating_sub(8)
        .min(len.saturating_sub(8));
    let v6 = ep.raw_src.len() == 16;
    let check = if v6 {
        cx.style.verbose
    } else {
        cx.style.very_verbose
    };
    let mut checksum = None;
    if check && !ep.partial && !ep.raw_src.is_empty() && b.len() >= len {
        if let Some(sum) = be16(b, 6) {
            checksum = Some(if sum == 0 && ep.raw_src.len() == 4 {
                Checksum {
                    value: 0,
                    expected: None,
                    status: ChecksumStatus::Absent,
                }
            } else {
                let should = transport_csum(ep, 17, &b[..len], 6);
                // 0 is sent as 0xffff (RFC 768).
                Checksum::verify(sum, if should == 0 { 0xffff } else { should })
            });
        }
    }
    pkt.udp = Some(Udp {
        src_port: sp,
        dst_port: dp,
        length: ulen,
        checksum,
    });
    pkt.payload_length = Some(plen);
    if (dp == 4789 || sp == 4789) && depth < 2 {
        if let (Some(&flags), Some(vni)) = (payload.first(), be32(payload, 4)) {
            let inner = payload.get(8..).unwrap_or(&[]);
            pkt.vxlan = Some(Vxlan {
                flags,
                vni: vni >> 8,
                inner: Box::new(ethernet(inner, inner.len() as u32, cx, depth + 1)),
            });
            return;
        }
    }
    if is_dns_port(sp, dp) && plen >= 12 {
        pkt.dns = dns(payload, cx.style.very_verbose);
    }
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

/// The DNS message tcpdump summarises: a query's question (and with `-vv` its additional
/// records), a response's answers. `None` when it does not parse (the line says UDP then).
fn dns(m: &[u8], vv: bool) -> Option<Dns> {
    let id = be16(m, 0)?;
    let flags = be16(m, 2)?;
    let (qd, an, ns, ar) = (be16(m, 4)?, be16(m, 6)?, be16(m, 8)?, be16(m, 10)?);
    let mut off = 12;
    let mut question = None;
    if qd > 0 {
        let (name, end) = dns_name(m, off)?;
        let t = be16(m, end)?;
        question = Some(Question {
            name,
            kind: qtype(t),
        });
        off = end + 4;
    }
    let mut d = Dns {
        id,
        response: flags & 0x8000 != 0,
        recursion_desired: flags & 0x0100 != 0,
        authoritative: flags & 0x0400 != 0,
        rcode: (flags & 0xf) as u8,
        questions: qd,
        answers: an,
        authority: ns,
        additional: ar,
        question,
        answer: Vec::new(),
        additional_records: Vec::new(),
    };
    if !d.response {
        // -vv: the additional section of a query (an EDNS OPT record, as dig sends it).
        if vv && an == 0 && ns == 0 && ar > 0 {
            let mut at = off;
            for _ in 0..ar.min(4) {
                let (name, end) = dns_name(m, at)?;
                let (t, class, ttl) = (be16(m, end)?, be16(m, end + 2)?, be32(m, end + 4)?);
                let rdlen = usize::from(be16(m, end + 8)?);
                let rd = m.get(end + 10..end + 10 + rdlen)?;
                d.additional_records.push(if t == 41 {
                    let mut options = Vec::new();
                    let mut o = rd;
                    while o.len() >= 4 {
                        let code = u16::from_be_bytes([o[0], o[1]]);
                        let olen = usize::from(u16::from_be_bytes([o[2], o[3]]));
                        let Some(data) = o.get(4..4 + olen) else {
                            break;
                        };
                        options.push(EdnsOption {
                            code,
                            data: Hex(data.to_vec()),
                        });
                        o = &o[4 + olen..];
                    }
                    Additional::Opt {
                        name,
                        udp_size: class,
                        dnssec_ok: ttl & 0x8000 != 0,
                        options,
                    }
                } else {
                    Additional::Record {
                        name,
                        kind: qtype(t),
                    }
                });
                at = end + 10 + rdlen;
            }
        }
        return Some(d);
    }
    for _ in 0..an.min(16) {
        let (_, end) = dns_name(m, off)?;
        let t = be16(m, end)?;
        let rdlen = usize::from(be16(m, end + 8)?);
        let rd = m.get(end + 10..end + 10 + rdlen)?;
        let data = match (t, rdlen) {
            (1, 4) => Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]).to_string(),
            (28, 16) => v6_at(rd, 0).map(|a| a.to_string()).unwrap_or_default(),
            (5 | 2 | 12, _) => dns_name(m, end + 10).map(|x| x.0).unwrap_or_default(),
            _ => String::new(),
        };
        d.answer.push(Answer {
            kind: qtype(t),
            data,
        });
        off = end + 10 + rdlen;
    }
    Some(d)
}

fn icmp(pkt: &mut Packet, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
    let (Some(&t), Some(&code)) = (b.first(), b.get(1)) else {
        pkt.truncated = Some(Truncated::Icmp);
        return;
    };
    let echo = matches!(t, 0 | 8);
    let mut unreachable = None;
    let mut mtu = None;
    if t == 3 {
        // The quoted datagram names what was unreachable.
        let inner = b.get(8..).unwrap_or(&[]);
        if let Some(d) = be32(inner, 16) {
            let ihl = usize::from(inner[0] & 0xf) * 4;
            unreachable = Some(Unreachable {
                dst: Ipv4Addr::from(d),
                protocol: inner[9],
                port: be16(inner, ihl + 2).unwrap_or(0),
            });
        }
        if code == 4 {
            mtu = Some(be16(b, 6).unwrap_or(0));
        }
    }
    let mut checksum = None;
    if cx.style.verbose && b.len() >= len {
        if let Some(sum) = be16(b, 2) {
            checksum = Some(Checksum::verify(
                sum,
                inet_csum(&[&b[..2], &[0, 0], &b[4..len]]),
            ));
        }
    }
    // The datagram an ICMP error quotes.
    let mut quoted = None;
    if matches!(t, 3 | 4 | 5 | 11 | 12) && depth < 2 {
        if let Some(inner) = b.get(8..).filter(|i| i.len() >= 20) {
            // The quote is a fragment of a datagram: its numbers are not a conversation's.
            let mut q = Cx {
                style: cx.style,
                seqs: None,
            };
            let mut p = Packet::default();
            ipv4(&mut p, inner, &mut q, depth + 1);
            quoted = Some(Box::new(p));
        }
    }
    pkt.icmp = Some(Icmp {
        kind: t,
        code,
        id: echo.then(|| be16(b, 4).unwrap_or(0)),
        seq: echo.then(|| be16(b, 6).unwrap_or(0)),
        mtu,
        unreachable,
        length: len,
        checksum,
        quoted,
    });
}

fn icmp6(pkt: &mut Packet, ep: &Ends<'_>, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    let Some(&t) = b.first() else {
        pkt.truncated = Some(Truncated::Icmp6);
        return;
    };
    let mut checksum = None;
    if cx.style.verbose && !ep.partial && ep.raw_src.len() == 16 && b.len() >= len {
        if let Some(sum) = be16(b, 2) {
            checksum = Some(Checksum::verify(sum, transport_csum(ep, 58, &b[..len], 2)));
        }
    }
    let echo = matches!(t, 128 | 129);
    let mut m = Icmp6 {
        kind: t,
        code: b.get(1).copied(),
        id: echo.then(|| be16(b, 4).unwrap_or(0)),
        seq: echo.then(|| be16(b, 6).unwrap_or(0)),
        mtu: (t == 2).then(|| be32(b, 4).unwrap_or(0)),
        group_records: (t == 143).then(|| be16(b, 6).unwrap_or(0)),
        target: None,
        nd_flags: None,
        nd_options: Vec::new(),
        unreachable: None,
        length: len,
        checksum,
    };
    match t {
        1 if m.code == Some(4) && b.len() >= 8 + 40 + 4 => {
            // Port unreachable: the quoted datagram names the address and port.
            let q = &b[8..];
            m.unreachable = v6_at(q, 24).map(|dst| Unreachable {
                dst,
                protocol: q[6],
                port: be16(q, 42).unwrap_or(0),
            });
        }
        135 | 136 => {
            m.target = v6_at(b, 8);
            if t == 136 {
                m.nd_flags = Some(b.get(4).copied().unwrap_or(0));
            }
            m.nd_options = nd_options(b.get(24..).unwrap_or(&[]));
        }
        _ => {}
    }
    pkt.icmp6 = Some(m);
}

/// Neighbour discovery options, up to the first malformed one.
fn nd_options(mut o: &[u8]) -> Vec<NdOption> {
    let mut out = Vec::new();
    while o.len() >= 2 {
        let (t, units) = (o[0], usize::from(o[1]));
        let l = units * 8;
        if l == 0 || l > o.len() {
            break;
        }
        out.push(NdOption {
            kind: t,
            length: l,
            data: Hex(o[2..l].to_vec()),
        });
        o = &o[l..];
    }
    out
}
