//! Bytes to a [`Packet`]: every read bounds-checked, so a truncated or hostile frame gives a
//! description that says where it ended (`truncated`), never a panic.
//!
//! Headers are read through netshoot-wire's views, checksums with its one checksum. tcpdump
//! prints what it can of a header cut short or with a wrong version or length field, so where
//! a view's `new_checked` would refuse more than tcpdump does, the view is wrapped unchecked
//! (its accessors read zeros past the end, never panic) after checking the fields the line
//! needs are captured (`tcp::field::WIN_SIZE.end` for TCP, for instance). Still read here, as
//! netshoot-wire has no view of them: the IPv6 extension-header walk as tcpdump does it (two
//! bytes of each header suffice; AH ends it), DNS names and records, ND options, IPv4 option
//! names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netshoot_wire::{
    arp, checksum, dns as wdns, ethernet, icmpv4, icmpv6, ipv4, ipv6, tcp, udp, vlan, vxlan,
    ArpPacket, DnsHeader, EthernetFrame, Icmpv4Packet, Icmpv6Packet, Ipv4Packet, Ipv6Packet,
    TcpOption as WireOption, TcpPacket, UdpPacket, VlanHeader, VxlanHeader,
};

use super::packet::*;
use super::{Seqs, Style};

/// What parsing carries down a frame.
pub(super) struct Cx<'a> {
    pub style: Style,
    pub seqs: Option<&'a mut Seqs>,
}

/// A transport's endpoints (for the pseudo-header and the conversation key).
struct Ends {
    src: IpAddr,
    dst: IpAddr,
    /// The IP payload is a fragment, or not wholly captured: no checksum verdict.
    partial: bool,
}

impl Ends {
    fn raw(a: &IpAddr) -> Vec<u8> {
        match a {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    }
}

/// The checksum a header should carry: over `seg` with its checksum field (at `at`) taken as
/// zero, and the pseudo-header of `ep` when there is one.
fn expected_sum(ep: Option<&Ends>, proto: u8, seg: &[u8], at: usize) -> u16 {
    match ep {
        Some(ep) => checksum::transport(&ep.src, &ep.dst, proto, seg, at).unwrap_or(0),
        None => {
            let head = seg.get(..at).unwrap_or(seg);
            let tail = seg.get(at + 2..).unwrap_or(&[]);
            checksum::finish(&[checksum::data_parts(&[head, &[0, 0], tail])])
        }
    }
}

/// Big-endian reads for the parts netshoot-wire has no view of (IPv6 extension headers past
/// their first two bytes, DNS names and records): `None` past the end.
fn be16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?]))
}
fn be32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

/// `n` bytes from `r.start` of `b` (a field of a header whose length we checked).
fn bytes<const N: usize>(b: &[u8], r: std::ops::Range<usize>) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(x) = b.get(r).filter(|x| x.len() == N) {
        a.copy_from_slice(x);
    }
    a
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
    let Ok(frame) = EthernetFrame::new_checked(f) else {
        pkt.truncated = Some(Truncated::Ether);
        return pkt;
    };
    let mut t = frame.ethertype();
    let mut e = Ethernet {
        src: Mac(frame.src_addr()),
        dst: Mac(frame.dst_addr()),
        vlans: Vec::new(),
        ethertype: t,
        length: orig_len,
    };
    let mut p = frame.payload();
    while matches!(
        t,
        ethernet::ethertype::VLAN | ethernet::ethertype::QINQ | 0x9100
    ) {
        let Ok(tag) = VlanHeader::new_checked(p) else {
            pkt.truncated = Some(Truncated::Vlan);
            pkt.ethernet = Some(e);
            return pkt;
        };
        e.vlans.push(Vlan {
            tpid: t,
            id: tag.vid(),
            pcp: tag.pcp(),
        });
        t = tag.ethertype();
        p = p.get(vlan::HEADER_LEN..).unwrap_or(&[]);
    }
    e.ethertype = t;
    let plen = e.payload_length();
    pkt.ethernet = Some(e);
    if t <= 1500 {
        return pkt;
    }
    match t {
        ethernet::ethertype::IPV4 => ipv4(&mut pkt, p, cx, depth),
        ethernet::ethertype::IPV6 => ipv6(&mut pkt, p, cx, depth),
        ethernet::ethertype::ARP | 0x8035 => arp(&mut pkt, p, plen),
        _ => {}
    }
    pkt
}

/// ARP as tcpdump reads it: the Ethernet/IPv4 layout (6-byte hardware, 4-byte protocol
/// addresses), whatever the length fields say.
fn arp(pkt: &mut Packet, p: &[u8], len: u32) {
    const H: usize = 6;
    const P: usize = 4;
    if p.len() < arp::field::tpa(H, P).end {
        pkt.truncated = Some(Truncated::Arp);
        return;
    }
    let a = ArpPacket::new_unchecked(p);
    pkt.arp = Some(Arp {
        op: a.oper(),
        hlen: a.hlen() as u8,
        plen: a.plen() as u8,
        sender_mac: Mac(bytes(p, arp::field::sha(H, P))),
        sender_ip: Ipv4Addr::from(bytes::<4>(p, arp::field::spa(H, P))),
        target_mac: Mac(bytes(p, arp::field::tha(H, P))),
        target_ip: Ipv4Addr::from(bytes::<4>(p, arp::field::tpa(H, P))),
        length: len,
    });
}

/// An IPv4 datagram (a frame's payload or an ICMP error's quote). As tcpdump, the fixed
/// header is read whatever its version and IHL say.
pub(super) fn ipv4(pkt: &mut Packet, p: &[u8], cx: &mut Cx<'_>, depth: u8) {
    if p.len() < ipv4::HEADER_LEN {
        pkt.truncated = Some(Truncated::Ip);
        return;
    }
    let ip = Ipv4Packet::new_unchecked(p);
    let ihl = ip.header_len();
    let whole_header = ihl <= p.len();
    let mut checksum = None;
    if cx.style.verbose {
        if let Some(hdr) = p.get(..ihl.max(ipv4::HEADER_LEN)) {
            let at = ipv4::field::CHECKSUM.start;
            checksum = Some(Checksum::verify(
                ip.checksum(),
                expected_sum(None, 0, hdr, at),
            ));
        }
    }
    let payload_len = usize::from(ip.total_len()).saturating_sub(ihl);
    let proto = ip.protocol();
    pkt.ipv4 = Some(Ipv4 {
        src: ip.src_addr(),
        dst: ip.dst_addr(),
        tos: ip.tos(),
        ttl: ip.ttl(),
        id: ip.ident(),
        df: ip.dont_frag(),
        mf: ip.more_frags(),
        fragment_offset: ip.frag_offset(),
        protocol: proto,
        length: ip.total_len(),
        header_length: ihl,
        options: if whole_header && ihl > ipv4::HEADER_LEN {
            ip_options(ip.options())
        } else {
            Vec::new()
        },
        payload_length: payload_len,
        checksum,
    });
    let body = ip.payload();
    let partial = body.len() < payload_len || ip.is_fragment();
    if ip.frag_offset() != 0 {
        return;
    }
    let ep = Ends {
        src: IpAddr::V4(ip.src_addr()),
        dst: IpAddr::V4(ip.dst_addr()),
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
    if p.len() < ipv6::HEADER_LEN {
        pkt.truncated = Some(Truncated::Ip6);
        return;
    }
    let v6 = Ipv6Packet::new_unchecked(p);
    let (plen, first_next) = (v6.payload_len(), v6.next_header());
    let mut ip = Ipv6 {
        src: v6.src_addr(),
        dst: v6.dst_addr(),
        traffic_class: v6.traffic_class(),
        flow_label: v6.flow_label(),
        hop_limit: v6.hop_limit(),
        next_header: first_next,
        length: plen,
        extensions: Vec::new(),
        protocol: first_next,
        payload_length: 0,
    };
    let mut next = first_next;
    let mut off = ipv6::HEADER_LEN;
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
        src: IpAddr::V6(v6.src_addr()),
        dst: IpAddr::V6(v6.dst_addr()),
        partial,
    };
    transport(pkt, &ep, next, body, left, cx, depth);
}

fn transport(
    pkt: &mut Packet,
    ep: &Ends,
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

/// TCP as tcpdump reads it: the header up to the window is enough for the line.
fn tcp(pkt: &mut Packet, ep: &Ends, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    if b.len() < tcp::field::WIN_SIZE.end {
        pkt.truncated = Some(Truncated::Tcp);
        return;
    }
    let t = TcpPacket::new_unchecked(b);
    let (sp, dp, seq, ack) = (t.src_port(), t.dst_port(), t.seq_number(), t.ack_number());
    let (fl, win, hl) = (t.flags(), t.window_len(), t.header_len());
    let data_len = len.saturating_sub(hl);
    let mut checksum = None;
    let at = tcp::field::CHECKSUM;
    if cx.style.verbose && !ep.partial && b.len() >= len && b.len() >= at.end {
        checksum = Some(Checksum::verify(
            t.checksum(),
            expected_sum(Some(ep), 6, &b[..len], at.start),
        ));
    }
    // tcpdump's relative numbers: a conversation is keyed in one collating order for both
    // directions; SYN (re)starts it; numbers are relative only when ACK is set.
    let mut relative = None;
    if let (Some(seqs), true) = (cx.seqs.as_deref_mut(), fl & tcp::flags::ACK != 0) {
        let (rs, rd) = (Ends::raw(&ep.src), Ends::raw(&ep.dst));
        let rev = sp > dp || (sp == dp && rs > rd);
        let key = if rev {
            (rd, rs, u32::from(dp) << 16 | u32::from(sp))
        } else {
            (rs, rd, u32::from(sp) << 16 | u32::from(dp))
        };
        match seqs.map.get(&key) {
            Some(&(tseq, tack)) if fl & tcp::flags::SYN == 0 => {
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
    let options = (hl > tcp::HEADER_LEN && hl <= b.len()).then(|| tcp_options(t.options_raw()));
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
        let payload = t.payload();
        let start_line = http_line(payload);
        let lines = if start_line.is_some() && cx.style.verbose {
            header_lines(payload)
        } else {
            Vec::new()
        };
        pkt.http = Some(Http { start_line, lines });
    }
}

/// The lines of an HTTP message as tcpdump -v prints them (`print_txt_line`): each line of the
/// segment (at most 64) up to the first that is not text to tcpdump (a byte other than tab
/// outside printable ASCII, or a CR not followed by LF), which ends the list unprinted, so no
/// control byte from a peer is kept; a last line without its end gets ` [|http]`.
fn header_lines(p: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = p;
    let text = |c: u8| c == b'\t' || (0x20..0x7f).contains(&c);
    while !rest.is_empty() && out.len() < 64 {
        let Some(e) = rest.iter().position(|&c| !text(c)) else {
            out.push(format!("{} [|http]", String::from_utf8_lossy(rest)));
            break;
        };
        let line = String::from_utf8_lossy(&rest[..e]).into_owned();
        match &rest[e..] {
            [b'\n', ..] => rest = &rest[e + 1..],
            [b'\r', b'\n', ..] => rest = &rest[e + 2..],
            _ => break,
        }
        out.push(line);
    }
    out
}

/// TCP options as tcpdump prints them, from netshoot-wire's option walk. tcpdump goes on past
/// a known kind with an unexpected length (`unknown-K`, SACK of any length), which the walk
/// calls malformed; a length that does not fit ends the list (`[|tcp]`).
fn tcp_options(o: &[u8]) -> Vec<TcpOption> {
    let mut out = Vec::new();
    let mut walk = tcp::TcpOptions::new(o);
    while let Some(opt) = walk.next() {
        let item = match opt {
            WireOption::EndOfList => {
                out.push(TcpOption::Eol);
                break;
            }
            WireOption::NoOp => TcpOption::Nop,
            WireOption::MaxSegmentSize(m) => TcpOption::Mss(m),
            WireOption::WindowScale(w) => TcpOption::Wscale(w),
            WireOption::SackPermitted => TcpOption::SackOk,
            WireOption::Sack(blocks) => TcpOption::Sack(blocks.len() / 8),
            WireOption::Timestamp { tsval, tsecr } => TcpOption::Timestamp {
                val: tsval,
                ecr: tsecr,
            },
            WireOption::Unknown { kind, .. } => TcpOption::Unknown(kind),
            WireOption::Malformed(rest) => {
                let (kind, len) = match rest {
                    [kind, len, ..] => (*kind, usize::from(*len)),
                    // A kind without its length byte: tcpdump prints nothing more.
                    _ => break,
                };
                if len < 2 || len > rest.len() {
                    out.push(TcpOption::Truncated);
                    break;
                }
                walk = tcp::TcpOptions::new(&rest[len..]);
                if kind == 5 {
                    TcpOption::Sack((len - 2) / 8)
                } else {
                    TcpOption::Unknown(kind)
                }
            }
        };
        out.push(item);
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

/// UDP as tcpdump reads it: the ports and the length are enough for the line; the payload is
/// what was captured after the header, whatever the length field says.
fn udp(pkt: &mut Packet, ep: &Ends, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
    if b.len() < udp::field::LENGTH.end {
        pkt.truncated = Some(Truncated::Udp);
        return;
    }
    let u = UdpPacket::new_unchecked(b);
    let (sp, dp, ulen) = (u.src_port(), u.dst_port(), u.len());
    let payload = b.get(udp::field::PAYLOAD).unwrap_or(&[]);
    let plen = usize::from(ulen)
        .saturating_sub(8)
        .min(len.saturating_sub(8));
    let v6 = ep.src.is_ipv6();
    let check = if v6 {
        cx.style.verbose
    } else {
        cx.style.very_verbose
    };
    let mut checksum = None;
    let at = udp::field::CHECKSUM;
    if check && !ep.partial && b.len() >= len && b.len() >= at.end {
        let sum = u.checksum();
        {
            checksum = Some(if sum == 0 && !v6 {
                Checksum {
                    value: 0,
                    expected: None,
                    status: ChecksumStatus::Absent,
                }
            } else {
                let should = expected_sum(Some(ep), 17, &b[..len], at.start);
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
    if (dp == vxlan::PORT || sp == vxlan::PORT) && depth < 2 {
        if let Ok(v) = VxlanHeader::new_checked(payload) {
            let inner = v.payload();
            pkt.vxlan = Some(Vxlan {
                flags: v.flags(),
                vni: v.vni(),
                inner: Box::new(ethernet(inner, inner.len() as u32, cx, depth + 1)),
            });
            return;
        }
    }
    if is_dns_port(sp, dp) && plen >= wdns::HEADER_LEN {
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

/// A TXT record's character-strings, each quoted, space-separated (as tcpdump's `ns_rprint`);
/// the text itself is exact here and escaped when the line is rendered.
fn txt_strings(mut rd: &[u8]) -> String {
    let mut out = Vec::new();
    while let Some((&l, rest)) = rd.split_first() {
        let Some(t) = rest.get(..usize::from(l)) else {
            break;
        };
        out.push(format!("\"{}\"", String::from_utf8_lossy(t)));
        rd = &rest[usize::from(l)..];
    }
    out.join(" ")
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
    let h = DnsHeader::new_checked(m).ok()?;
    let (qd, an, ns, ar) = (h.qdcount(), h.ancount(), h.nscount(), h.arcount());
    let mut off = wdns::HEADER_LEN;
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
        id: h.id(),
        response: h.is_response(),
        recursion_desired: h.rd(),
        authoritative: h.aa(),
        rcode: h.rcode(),
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
            (28, 16) => Ipv6Addr::from(bytes::<16>(rd, 0..16)).to_string(),
            (5 | 2 | 12, _) => dns_name(m, end + 10).map(|x| x.0).unwrap_or_default(),
            // tcpdump quotes each character-string of a TXT record.
            (16, _) => txt_strings(rd),
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

/// ICMP as tcpdump reads it: type and code are enough for the line.
fn icmp(pkt: &mut Packet, b: &[u8], len: usize, cx: &mut Cx<'_>, depth: u8) {
    if b.len() <= icmpv4::field::CODE {
        pkt.truncated = Some(Truncated::Icmp);
        return;
    }
    let m = Icmpv4Packet::new_unchecked(b);
    let (t, code) = (m.msg_type(), m.msg_code());
    let echo = matches!(
        t,
        icmpv4::msg_type::ECHO_REPLY | icmpv4::msg_type::ECHO_REQUEST
    );
    let quote = m.data();
    let mut unreachable = None;
    let mut mtu = None;
    if t == icmpv4::msg_type::DST_UNREACHABLE {
        // The quoted datagram names what was unreachable.
        if quote.len() >= ipv4::field::DST_ADDR.end {
            let q = Ipv4Packet::new_unchecked(quote);
            unreachable = Some(Unreachable {
                dst: q.dst_addr(),
                protocol: q.protocol(),
                port: UdpPacket::new_unchecked(q.after_header()).dst_port(),
            });
        }
        if code == 4 {
            mtu = Some(m.next_hop_mtu());
        }
    }
    let mut checksum = None;
    let at = icmpv4::field::CHECKSUM;
    if cx.style.verbose && b.len() >= len && b.len() >= at.end {
        checksum = Some(Checksum::verify(
            m.checksum(),
            expected_sum(None, 1, &b[..len], at.start),
        ));
    }
    // The datagram an ICMP error quotes.
    let mut quoted = None;
    if matches!(t, 3 | 4 | 5 | 11 | 12) && depth < 2 && quote.len() >= ipv4::HEADER_LEN {
        // The quote is a fragment of a datagram: its numbers are not a conversation's.
        let mut q = Cx {
            style: cx.style,
            seqs: None,
        };
        let mut p = Packet::default();
        ipv4(&mut p, quote, &mut q, depth + 1);
        quoted = Some(Box::new(p));
    }
    pkt.icmp = Some(Icmp {
        kind: t,
        code,
        id: echo.then(|| m.echo_ident()),
        seq: echo.then(|| m.echo_seq_no()),
        mtu,
        unreachable,
        length: len,
        checksum,
        quoted,
    });
}

/// ICMPv6 as tcpdump reads it: the type is enough for the line.
fn icmp6(pkt: &mut Packet, ep: &Ends, b: &[u8], len: usize, cx: &mut Cx<'_>) {
    if b.is_empty() {
        pkt.truncated = Some(Truncated::Icmp6);
        return;
    }
    let m = Icmpv6Packet::new_unchecked(b);
    let t = m.msg_type();
    let mut checksum = None;
    let at = icmpv6::field::CHECKSUM;
    if cx.style.verbose && !ep.partial && ep.src.is_ipv6() && b.len() >= len && b.len() >= at.end {
        checksum = Some(Checksum::verify(
            m.checksum(),
            expected_sum(Some(ep), 58, &b[..len], at.start),
        ));
    }
    let echo = matches!(t, 128 | 129);
    let code = b.get(icmpv6::field::CODE).copied();
    let mut m6 = Icmp6 {
        kind: t,
        code,
        id: echo.then(|| m.echo_ident()),
        seq: echo.then(|| m.echo_seq_no()),
        mtu: (t == 2).then(|| m.mtu()),
        group_records: (t == 143).then(|| m.echo_seq_no()),
        target: None,
        nd_flags: None,
        nd_options: Vec::new(),
        unreachable: None,
        length: len,
        checksum,
    };
    let quote = m.data();
    match t {
        1 if code == Some(4) && quote.len() >= ipv6::HEADER_LEN + udp::field::DST_PORT.end => {
            // Port unreachable: the quoted datagram names the address and port (tcpdump reads
            // the port right after the fixed header).
            let q = Ipv6Packet::new_unchecked(quote);
            let after = quote.get(ipv6::HEADER_LEN..).unwrap_or(&[]);
            m6.unreachable = Some(Unreachable {
                dst: q.dst_addr(),
                protocol: q.next_header(),
                port: UdpPacket::new_unchecked(after).dst_port(),
            });
        }
        135 | 136 => {
            m6.target = m.target_addr();
            if t == 136 {
                m6.nd_flags = Some(m.na_flags());
            }
            m6.nd_options = nd_options(m.nd_options());
        }
        _ => {}
    }
    pkt.icmp6 = Some(m6);
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
