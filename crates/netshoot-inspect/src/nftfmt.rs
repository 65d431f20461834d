//! Native nf_tables rule sets in `nft list ruleset` syntax: base chains with type, hook,
//! priority and policy; rules with interface names, addresses and prefixes, ports, ranges and
//! comparisons, conntrack state, counters, log, reject, masquerade and verdicts. The protocol
//! dependencies nft adds itself (`meta nfproto`, `meta l4proto` before a header match) are
//! folded back as nft does. Set and map lookups with concatenated keys (`ip daddr . meta l4proto
//! . th dport vmap @service-ips`), `numgen`, `fib … type` and named maps with their verdicts
//! and element comments print too (kube-proxy's nftables mode writes them); other expressions
//! are named, not rendered.

use std::net::IpAddr;

use crate::firewall::{Chain, Expr, Verdict};
use crate::nfnl::string;

/// Whether a table is one iptables-nft manages (rendered by [`crate::iptsave`] instead).
pub fn is_iptables_table(family: &str, table: &str) -> bool {
    matches!(family, "ip" | "ip6") && crate::iptsave::TABLES.contains(&table)
}

fn hook_name(family: &str, h: u32) -> String {
    if family == "netdev" {
        return if h == 0 {
            "ingress".into()
        } else {
            "egress".into()
        };
    }
    match h {
        0 => "prerouting",
        1 => "input",
        2 => "forward",
        3 => "output",
        4 => "postrouting",
        _ => return h.to_string(),
    }
    .into()
}

fn priority_name(p: i32, hook: u32) -> String {
    match (p, hook) {
        (0, _) => "filter".into(),
        (-300, _) => "raw".into(),
        (-150, _) => "mangle".into(),
        (50, _) => "security".into(),
        (-100, 0) => "dstnat".into(),
        (100, 4) => "srcnat".into(),
        (p, _) => p.to_string(),
    }
}

fn op_word(op: u32) -> &'static str {
    match op {
        1 => "!= ",
        2 => "< ",
        3 => "<= ",
        4 => "> ",
        5 => ">= ",
        _ => "",
    }
}

fn proto_word(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "ipv6-icmp".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        47 => "gre".into(),
        // The other names nft takes from /etc/protocols.
        2 => "igmp".into(),
        4 => "ipencap".into(),
        33 => "dccp".into(),
        41 => "ipv6".into(),
        50 => "esp".into(),
        51 => "ah".into(),
        89 => "ospf".into(),
        103 => "pim".into(),
        112 => "vrrp".into(),
        115 => "l2tp".into(),
        n => n.to_string(),
    }
}

#[derive(Clone, Debug)]
enum Reg {
    /// A value loaded by an immediate.
    Data(Vec<u8>),
    Meta(u32),
    Net {
        v6: bool,
        offset: u32,
        len: u32,
        mask: Option<Vec<u8>>,
    },
    Transport {
        offset: u32,
        len: u32,
    },
    CtState {
        mask: Option<Vec<u8>>,
    },
    Numgen {
        modulus: u32,
        random: bool,
        offset: u32,
    },
    Fib {
        flags: u32,
    },
    Other,
}

impl Reg {
    /// Its bytes in a register (a concatenation pads each field to 4).
    fn len(&self) -> usize {
        let l = match self {
            Reg::Data(d) => d.len(),
            Reg::Meta(16) => 1,
            Reg::Meta(6 | 7) => 16,
            Reg::Net { len, .. } | Reg::Transport { len, .. } => *len as usize,
            _ => 4,
        };
        l.div_ceil(4) * 4
    }

    /// How nft names what it holds in a concatenation or lookup (`ip daddr`, `meta l4proto`,
    /// `th dport`, `numgen random mod 2`).
    fn field(&self, v6: bool, l4: Option<u8>) -> Option<String> {
        Some(match self {
            Reg::Net { v6: x, offset, .. } => format!(
                "{} {}",
                if *x || v6 { "ip6" } else { "ip" },
                match (*x || v6, offset) {
                    (false, 12) | (true, 8) => "saddr",
                    (false, 16) | (true, 24) => "daddr",
                    _ => return None,
                }
            ),
            Reg::Transport { offset, len: 2 } => format!(
                "{} {}",
                l4.map(proto_word).unwrap_or_else(|| "th".into()),
                if *offset == 0 { "sport" } else { "dport" }
            ),
            Reg::Meta(16) => "meta l4proto".into(),
            Reg::Meta(6) => "iifname".into(),
            Reg::Meta(7) => "oifname".into(),
            Reg::Numgen {
                modulus,
                random,
                offset,
            } => {
                let mut t = format!(
                    "numgen {} mod {modulus}",
                    if *random { "random" } else { "inc" }
                );
                if *offset != 0 {
                    t.push_str(&format!(" offset {offset}"));
                }
                t
            }
            _ => return None,
        })
    }
}

/// The fields of a concatenation starting at register `sreg`: the registers loaded at
/// consecutive 4-byte-aligned places from it.
fn concat_fields(regs: &[(u32, Reg)], sreg: u32) -> Vec<Reg> {
    let off = |r: u32| crate::firewall::reg_off(r);
    let mut out = Vec::new();
    let Some(mut at) = off(sreg) else {
        return out;
    };
    while let Some((_, r)) = regs.iter().rev().find(|(x, _)| off(*x) == Some(at)) {
        at += r.len();
        out.push(r.clone());
        if out.len() >= 8 {
            break;
        }
    }
    out
}

/// A verdict as nft prints it.
pub fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Accept => "accept".into(),
        Verdict::Drop => "drop".into(),
        Verdict::Return => "return".into(),
        Verdict::Jump(c) => format!("jump {c}"),
        Verdict::Goto(c) => format!("goto {c}"),
        Verdict::Continue => "continue".into(),
        Verdict::Other(c) => format!("verdict {c}"),
    }
}

/// The basic types of a set's key type: one, or a concatenation's in order (nft packs them 6
/// bits each, the first highest).
pub fn concat_types(key_type: u32) -> Vec<u32> {
    let mut v = Vec::new();
    let mut t = key_type;
    while t != 0 && v.len() < 6 {
        v.push(t & 0x3f);
        t >>= 6;
    }
    v.reverse();
    v
}

/// One field of a key of basic type `t` and its bytes in the key (padded to 4).
fn typed_field(t: u32, k: &[u8]) -> (String, usize) {
    let (kind, len) = match t {
        7 => (ElemKind::Addr, 4),
        8 => (ElemKind::Addr, 16),
        12 => (ElemKind::Proto, 1),
        13 => (ElemKind::Port, 2),
        41 => (ElemKind::Name, 16),
        _ => (ElemKind::Hex, 4),
    };
    let b = k.get(..len.min(k.len())).unwrap_or(&[]);
    (elem_text(b, kind), len.div_ceil(4) * 4)
}

/// A key of a set of type `key_type` as nft prints it (`172.30.0.41 . tcp . 80`).
pub fn key_text(key_type: u32, key: &[u8]) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for t in concat_types(key_type) {
        let (text, len) = typed_field(t, key.get(at..).unwrap_or(&[]));
        out.push(text);
        at += len;
    }
    if out.is_empty() {
        return format!("0x{}", hex(key));
    }
    out.join(" . ")
}

/// One element of a named set or map as nft prints it: its key, its comment, and a map's
/// verdict or value (`172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain`).
pub fn element_text(set: &crate::firewall::Set, e: &crate::firewall::Element) -> String {
    let mut t = key_text(set.key_type, &e.key);
    if let Some(c) = &e.comment {
        t.push_str(&format!(" comment \"{c}\""));
    }
    if let Some(v) = &e.verdict {
        t.push_str(&format!(" : {}", verdict_text(v)));
    } else if set.data_type.is_some() {
        t.push_str(&format!(" : 0x{}", hex(&e.value)));
    }
    t
}

/// One rule's statement text.
pub fn rule_text(family: &str, exprs: &[Expr]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut regs: Vec<(u32, Reg)> = Vec::new();
    let mut nfproto: Option<u8> = None;
    let mut l4: Option<u8> = None;
    // The indexes in `out` of dependencies nft folds into the next header match (`meta nfproto
    // ipv4` and `meta l4proto icmp` before `icmp type` in an inet table).
    let mut pending_dep: Vec<usize> = Vec::new();
    let mut last_port: Option<(u32, usize)> = None;
    let set = |regs: &mut Vec<(u32, Reg)>, r: u32, v: Reg| {
        regs.retain(|(x, _)| *x != r);
        regs.push((r, v));
    };
    let mut i = 0;
    while i < exprs.len() {
        let e = &exprs[i];
        match e {
            Expr::Meta { key, dreg } => set(&mut regs, *dreg, Reg::Meta(*key)),
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                for d in pending_dep.drain(..).rev() {
                    out.remove(d);
                }
                let r = match base {
                    1 => Reg::Net {
                        v6: family == "ip6" || nfproto == Some(10),
                        offset: *offset,
                        len: *len,
                        mask: None,
                    },
                    2 => Reg::Transport {
                        offset: *offset,
                        len: *len,
                    },
                    _ => Reg::Other,
                };
                set(&mut regs, *dreg, r);
            }
            Expr::Numgen {
                dreg,
                modulus,
                random,
                offset,
            } => set(
                &mut regs,
                *dreg,
                Reg::Numgen {
                    modulus: *modulus,
                    random: *random,
                    offset: *offset,
                },
            ),
            Expr::Fib {
                dreg,
                result: 3,
                flags,
            } => set(&mut regs, *dreg, Reg::Fib { flags: *flags }),
            Expr::Fib { dreg, .. } => set(&mut regs, *dreg, Reg::Other),
            Expr::Ct { key: 0, dreg } => set(&mut regs, *dreg, Reg::CtState { mask: None }),
            Expr::Ct { dreg, .. } => set(&mut regs, *dreg, Reg::Other),
            Expr::Bitwise {
                sreg, dreg, mask, ..
            } => {
                let r = match regs.iter().find(|(x, _)| x == sreg).map(|(_, r)| r.clone()) {
                    Some(Reg::Net {
                        v6, offset, len, ..
                    }) => Reg::Net {
                        v6,
                        offset,
                        len,
                        mask: Some(mask.clone()),
                    },
                    Some(Reg::CtState { .. }) => Reg::CtState {
                        mask: Some(mask.clone()),
                    },
                    _ => Reg::Other,
                };
                set(&mut regs, *dreg, r);
            }
            Expr::Cmp { sreg, op, data } => {
                let Some(r) = regs.iter().find(|(x, _)| x == sreg).map(|(_, r)| r.clone()) else {
                    i += 1;
                    continue;
                };
                match r {
                    Reg::Meta(6 | 7) => {
                        let name = string(data);
                        let star = if data.contains(&0) { "" } else { "*" };
                        let key = if matches!(r, Reg::Meta(6)) {
                            "iifname"
                        } else {
                            "oifname"
                        };
                        out.push(format!("{key} {}\"{name}{star}\"", op_word(*op)));
                    }
                    Reg::Meta(15) => {
                        nfproto = data.first().copied();
                        let word = if nfproto == Some(10) { "ipv6" } else { "ipv4" };
                        out.push(format!("meta nfproto {}{word}", op_word(*op)));
                        if *op == 0 {
                            pending_dep.push(out.len() - 1);
                        }
                    }
                    Reg::Meta(16) => {
                        let p = data.first().copied().unwrap_or(0);
                        l4 = Some(p);
                        out.push(format!("meta l4proto {}{}", op_word(*op), proto_word(p)));
                        if *op == 0 {
                            pending_dep.push(out.len() - 1);
                        }
                    }
                    Reg::Meta(k) => out.push(format!("meta {k} {}0x{}", op_word(*op), hex(data))),
                    Reg::Fib { flags } if data.len() == 4 => {
                        let mut what: Vec<&str> = Vec::new();
                        for (bit, w) in [
                            (1, "saddr"),
                            (2, "daddr"),
                            (4, "mark"),
                            (8, "iif"),
                            (16, "oif"),
                        ] {
                            if flags & bit != 0 {
                                what.push(w);
                            }
                        }
                        let rtn = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]);
                        let ty = match rtn {
                            1 => "unicast".to_string(),
                            2 => "local".into(),
                            3 => "broadcast".into(),
                            4 => "anycast".into(),
                            5 => "multicast".into(),
                            6 => "blackhole".into(),
                            7 => "unreachable".into(),
                            8 => "prohibit".into(),
                            n => n.to_string(),
                        };
                        out.push(format!(
                            "fib {} type {}{ty}",
                            what.join(" . "),
                            op_word(*op)
                        ));
                    }
                    Reg::Net {
                        v6,
                        offset,
                        len,
                        mask,
                    } => {
                        let hdr = if v6 { "ip6" } else { "ip" };
                        let field = match (v6, offset) {
                            (false, 12) | (true, 8) => "saddr",
                            (false, 16) | (true, 24) => "daddr",
                            (false, 9) => "protocol",
                            (true, 6) => "nexthdr",
                            _ => "",
                        };
                        if field == "protocol" || field == "nexthdr" {
                            out.push(format!(
                                "{hdr} {field} {}{}",
                                op_word(*op),
                                proto_word(data.first().copied().unwrap_or(0))
                            ));
                        } else if !field.is_empty() {
                            let full = if v6 { 16 } else { 4 };
                            let mut b = vec![0u8; full];
                            let n = data.len().min(full);
                            b[..n].copy_from_slice(&data[..n]);
                            let ip = if v6 {
                                IpAddr::from(<[u8; 16]>::try_from(&b[..]).unwrap_or([0; 16]))
                            } else {
                                IpAddr::from([b[0], b[1], b[2], b[3]])
                            };
                            let prefix: u32 = match &mask {
                                Some(m) => m.iter().map(|x| x.count_ones()).sum(),
                                None => len.saturating_mul(8),
                            };
                            let shown = if prefix as usize == full * 8 {
                                ip.to_string()
                            } else {
                                format!("{ip}/{prefix}")
                            };
                            out.push(format!("{hdr} {field} {}{shown}", op_word(*op)));
                        }
                    }
                    Reg::Transport { offset, len } if len == 2 && data.len() >= 2 => {
                        let port = u16::from_be_bytes([data[0], data[1]]);
                        let field = if offset == 0 { "sport" } else { "dport" };
                        let proto = proto_word(l4.unwrap_or(6));
                        // gte then lte on the same register: a range.
                        if *op == 3 {
                            if let Some((reg, idx)) = last_port {
                                if reg == *sreg {
                                    if let Some(s) = out.get_mut(idx) {
                                        *s = s.replacen(">= ", "", 1) + &format!("-{port}");
                                    }
                                    i += 1;
                                    continue;
                                }
                            }
                        }
                        out.push(format!("{proto} {field} {}{port}", op_word(*op)));
                        last_port = Some((*sreg, out.len() - 1));
                    }
                    // ICMP / ICMPv6 type.
                    Reg::Transport { offset: 0, len: 1 }
                        if matches!(l4, Some(1 | 58)) && !data.is_empty() =>
                    {
                        let (hdr, name) = if l4 == Some(58) {
                            ("icmpv6", icmpv6_type(data[0]))
                        } else {
                            ("icmp", icmp_type(data[0]))
                        };
                        let shown = name
                            .map(str::to_string)
                            .unwrap_or_else(|| data[0].to_string());
                        out.push(format!("{hdr} type {}{shown}", op_word(*op)));
                    }
                    Reg::CtState { mask } if *op == 1 && data.iter().all(|b| *b == 0) => {
                        let m = mask
                            .as_deref()
                            .and_then(|m| m.get(..4))
                            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                            .unwrap_or(0);
                        let names: Vec<&str> = [
                            (1, "invalid"),
                            (2, "established"),
                            (4, "related"),
                            (8, "new"),
                            (64, "untracked"),
                        ]
                        .iter()
                        .filter(|(b, _)| m & b != 0)
                        .map(|(_, n)| *n)
                        .collect();
                        out.push(format!("ct state {}", names.join(",")));
                    }
                    _ => out.push(format!("# cmp 0x{}", hex(data))),
                }
            }
            Expr::Range { sreg, op, from, to } => {
                if let (Some(Reg::Transport { offset, .. }), true) = (
                    regs.iter().find(|(x, _)| x == sreg).map(|(_, r)| r.clone()),
                    from.len() >= 2 && to.len() >= 2,
                ) {
                    out.push(format!(
                        "{} {} {}{}-{}",
                        proto_word(l4.unwrap_or(6)),
                        if offset == 0 { "sport" } else { "dport" },
                        if *op == 1 { "!= " } else { "" },
                        u16::from_be_bytes([from[0], from[1]]),
                        u16::from_be_bytes([to[0], to[1]])
                    ));
                }
            }
            Expr::Counter { packets, bytes } => {
                out.push(format!("counter packets {packets} bytes {bytes}"))
            }
            Expr::Log { prefix } => out.push(match prefix {
                Some(p) => format!("log prefix \"{p}\""),
                None => "log".into(),
            }),
            Expr::Reject { kind, code } => out.push(match (kind, code) {
                (1, _) => "reject with tcp reset".into(),
                (0, 3) | (2, 1) => "reject".into(),
                (0, c) => format!("reject with icmp {}", icmp_code(*c)),
                (_, c) => format!("reject with icmpx {}", icmpx_code(*c)),
            }),
            Expr::Immediate { verdict: Some(v) } => out.push(verdict_text(v)),
            Expr::Load { dreg, data } => set(&mut regs, *dreg, Reg::Data(data.clone())),
            Expr::Nat {
                dnat,
                family: nat_family,
                addr_min,
                addr_max,
                proto_min,
                proto_max,
                flags,
            } => {
                let data = |r: &Option<u32>| -> Option<Vec<u8>> {
                    let r = (*r)?;
                    match regs.iter().find(|(x, _)| *x == r).map(|(_, v)| v.clone()) {
                        Some(Reg::Data(d)) => Some(d),
                        _ => None,
                    }
                };
                let v6 = *nat_family == 10;
                let ip = |d: Vec<u8>| -> String {
                    if v6 && d.len() >= 16 {
                        IpAddr::from(<[u8; 16]>::try_from(&d[..16]).unwrap_or([0; 16])).to_string()
                    } else if d.len() >= 4 {
                        IpAddr::from([d[0], d[1], d[2], d[3]]).to_string()
                    } else {
                        format!("0x{}", hex(&d))
                    }
                };
                let port = |d: Vec<u8>| -> String {
                    d.get(..2)
                        .map(|b| u16::from_be_bytes([b[0], b[1]]).to_string())
                        .unwrap_or_default()
                };
                let (lo, hi) = (data(addr_min), data(addr_max));
                let mut addr = lo.clone().map(ip).unwrap_or_default();
                if let (Some(l), Some(h)) = (lo, hi) {
                    if l != h {
                        addr = format!("{addr}-{}", ip(h));
                    }
                }
                let (plo, phi) = (data(proto_min), data(proto_max));
                let mut ports = plo.clone().map(port).unwrap_or_default();
                if let (Some(l), Some(h)) = (plo, phi) {
                    if l != h {
                        ports = format!("{ports}-{}", port(h));
                    }
                }
                let mut t = String::from(if *dnat { "dnat" } else { "snat" });
                if family == "inet" {
                    t.push_str(if v6 { " ip6" } else { " ip" });
                }
                t.push_str(" to ");
                if v6 && !ports.is_empty() && !addr.is_empty() {
                    t.push_str(&format!("[{addr}]"));
                } else {
                    t.push_str(&addr);
                }
                if !ports.is_empty() {
                    t.push_str(&format!(":{ports}"));
                }
                for (bit, word) in [(4, " random"), (16, " fully-random"), (8, " persistent")] {
                    if flags & bit != 0 {
                        t.push_str(word);
                    }
                }
                out.push(t);
            }
            Expr::Lookup {
                sreg,
                set,
                inverted,
                dreg,
                elements,
                ..
            } if *dreg == Some(0)
                || concat_fields(&regs, *sreg).len() > 1
                || matches!(
                    concat_fields(&regs, *sreg).first(),
                    Some(Reg::Numgen { .. })
                ) =>
            {
                // A concatenation, a number, or a verdict map.
                let fields = concat_fields(&regs, *sreg);
                let v6 = family == "ip6";
                let lhs: Vec<String> = fields
                    .iter()
                    .map(|r| {
                        r.field(v6, if fields.len() > 1 { None } else { l4 })
                            .unwrap_or_else(|| "?".into())
                    })
                    .collect();
                let lhs = lhs.join(" . ");
                let word = match (dreg, inverted) {
                    (Some(0), _) => "vmap ",
                    (Some(_), _) => "map ",
                    (None, true) => "!= ",
                    (None, false) => "",
                };
                if !set.starts_with("__") {
                    out.push(format!("{lhs} {word}@{set}").trim_start().to_string());
                } else {
                    // An anonymous map's keys: numbers (numgen's, host order) or hex.
                    let mut items: Vec<(u128, String)> = elements
                        .iter()
                        .filter(|e| !e.end)
                        .map(|e| {
                            let k = match (&fields.first(), e.key.len()) {
                                (Some(Reg::Numgen { .. }), 4) => {
                                    let n = u32::from_ne_bytes([
                                        e.key[0], e.key[1], e.key[2], e.key[3],
                                    ]);
                                    (u128::from(n), n.to_string())
                                }
                                _ => (key_num(&e.key), format!("0x{}", hex(&e.key))),
                            };
                            let v = e
                                .verdict
                                .as_ref()
                                .map(|v| format!(" : {}", verdict_text(v)))
                                .unwrap_or_default();
                            (k.0, format!("{}{v}", k.1))
                        })
                        .collect();
                    items.sort_by_key(|(n, _)| *n);
                    let body: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
                    out.push(format!("{lhs} {word}{{ {} }}", body.join(", ")));
                }
            }
            Expr::Lookup {
                sreg,
                set,
                inverted,
                elements,
                ..
            } => {
                let keys: Vec<(Vec<u8>, bool)> =
                    elements.iter().map(|e| (e.key.clone(), e.end)).collect();
                let elements = &keys;
                let reg = regs.iter().find(|(x, _)| x == sreg).map(|(_, r)| r.clone());
                let neg = if *inverted { "!= " } else { "" };
                let (lhs, kind) = match &reg {
                    Some(Reg::Transport { offset, len: 2 }) => (
                        format!(
                            "{} {}",
                            proto_word(l4.unwrap_or(6)),
                            if *offset == 0 { "sport" } else { "dport" }
                        ),
                        ElemKind::Port,
                    ),
                    Some(Reg::Net {
                        v6, offset, len, ..
                    }) if *len == 4 || *len == 16 => (
                        format!(
                            "{} {}",
                            if *v6 { "ip6" } else { "ip" },
                            if matches!((*v6, *offset), (false, 12) | (true, 8)) {
                                "saddr"
                            } else {
                                "daddr"
                            }
                        ),
                        ElemKind::Addr,
                    ),
                    Some(Reg::Meta(16)) => ("meta l4proto".to_string(), ElemKind::Proto),
                    Some(Reg::Meta(6)) => ("iifname".to_string(), ElemKind::Name),
                    Some(Reg::Meta(7)) => ("oifname".to_string(), ElemKind::Name),
                    _ => (String::new(), ElemKind::Hex),
                };
                if !set.starts_with("__set") || lhs.is_empty() {
                    out.push(format!("{lhs} {neg}@{set}").trim_start().to_string());
                } else {
                    out.push(format!(
                        "{lhs} {neg}{{ {} }}",
                        elements_text(elements, kind)
                    ));
                }
            }
            Expr::Limit {
                rate,
                unit,
                burst,
                bytes,
                over,
            } => {
                let per = match unit {
                    1 => "second",
                    60 => "minute",
                    3600 => "hour",
                    86400 => "day",
                    604_800 => "week",
                    _ => "second",
                };
                let mut l = format!("limit rate {}", if *over { "over " } else { "" });
                if *bytes {
                    l.push_str(&format!("{rate} bytes/{per}"));
                    if *burst != 0 {
                        l.push_str(&format!(" burst {burst} bytes"));
                    }
                } else {
                    l.push_str(&format!("{rate}/{per}"));
                    // nft omits its default burst of 5 packets.
                    if *burst != 5 && *burst != 0 {
                        l.push_str(&format!(" burst {burst} packets"));
                    }
                }
                out.push(l);
            }
            Expr::Masq {
                redirect,
                flags,
                proto_min,
                proto_max,
            } => {
                let port = |r: &Option<u32>| -> Option<u16> {
                    let r = (*r)?;
                    match regs.iter().find(|(x, _)| *x == r).map(|(_, v)| v.clone()) {
                        Some(Reg::Data(d)) if d.len() >= 2 => {
                            Some(u16::from_be_bytes([d[0], d[1]]))
                        }
                        _ => None,
                    }
                };
                let mut t = String::from(if *redirect { "redirect" } else { "masquerade" });
                match (port(proto_min), port(proto_max)) {
                    (Some(l), Some(h)) if l != h => t.push_str(&format!(" to :{l}-{h}")),
                    (Some(l), _) => t.push_str(&format!(" to :{l}")),
                    _ => {}
                }
                for (bit, word) in [(4, " random"), (16, " fully-random"), (8, " persistent")] {
                    if flags & bit != 0 {
                        t.push_str(word);
                    }
                }
                out.push(t);
            }
            Expr::Other { name } => out.push(format!("# {name}")),
            Expr::Match { name, .. } => out.push(format!("# xt match \"{name}\"")),
            Expr::Target { name, .. } => out.push(format!("# xt target \"{name}\"")),
            Expr::Immediate { verdict: None } => {}
        }
        i += 1;
    }
    out.join(" ")
}

fn icmp_code(c: u8) -> &'static str {
    match c {
        0 => "net-unreachable",
        1 => "host-unreachable",
        2 => "prot-unreachable",
        9 => "net-prohibited",
        10 => "host-prohibited",
        13 => "admin-prohibited",
        _ => "port-unreachable",
    }
}

fn icmpx_code(c: u8) -> &'static str {
    match c {
        0 => "no-route",
        2 => "host-unreachable",
        3 => "admin-prohibited",
        _ => "port-unreachable",
    }
}

/// How a set's keys print.
#[derive(Clone, Copy)]
enum ElemKind {
    Port,
    Addr,
    Proto,
    Name,
    Hex,
}

fn elem_text(k: &[u8], kind: ElemKind) -> String {
    match kind {
        ElemKind::Port if k.len() >= 2 => u16::from_be_bytes([k[0], k[1]]).to_string(),
        ElemKind::Addr if k.len() == 4 => IpAddr::from([k[0], k[1], k[2], k[3]]).to_string(),
        ElemKind::Addr if k.len() == 16 => {
            IpAddr::from(<[u8; 16]>::try_from(k).unwrap_or([0; 16])).to_string()
        }
        ElemKind::Proto if !k.is_empty() => proto_word(k[0]),
        ElemKind::Name => format!("\"{}\"", string(k)),
        _ => format!("0x{}", hex(k)),
    }
}

/// A big-endian key as a number, to order elements (nft prints them sorted).
fn key_num(k: &[u8]) -> u128 {
    k.iter()
        .take(16)
        .fold(0u128, |a, b| (a << 8) | u128::from(*b))
}

/// The order nft sorts keys in: as numbers in the key's byte order (host order, little-endian
/// here, for interface names; network order otherwise).
fn sort_num(k: &[u8], kind: ElemKind) -> u128 {
    match kind {
        ElemKind::Name => k
            .iter()
            .take(16)
            .rev()
            .fold(0u128, |a, b| (a << 8) | u128::from(*b)),
        _ => key_num(k),
    }
}

/// An anonymous set's elements as nft prints them: sorted, intervals as `A-B` (the kernel keeps
/// an interval as its start and, flagged as end, the value after its last one).
fn elements_text(elements: &[(Vec<u8>, bool)], kind: ElemKind) -> String {
    let mut e: Vec<&(Vec<u8>, bool)> = elements.iter().collect();
    e.sort_by_key(|(k, end)| (sort_num(k, kind), !*end));
    let interval = e.iter().any(|(_, end)| *end);
    let mut out = Vec::new();
    if interval {
        let starts: Vec<&Vec<u8>> = e.iter().filter(|(_, end)| !end).map(|(k, _)| k).collect();
        for s in starts {
            let sn = key_num(s);
            // The end is the first end flag above the start.
            let end = e
                .iter()
                .filter(|(k, end)| *end && key_num(k) > sn)
                .map(|(k, _)| key_num(k))
                .min();
            match end {
                Some(en) if en == sn + 1 => out.push(elem_text(s, kind)),
                Some(en) => {
                    let size = en - sn;
                    // Keys are compared by their first 16 bytes (a longer, concatenated key is
                    // shown by those).
                    let shown = s.len().min(16);
                    let bits = (shown * 8) as u32;
                    // An address block nft prints as a prefix.
                    let prefix = bits.checked_sub(size.trailing_zeros());
                    if let (ElemKind::Addr, true, Some(prefix)) =
                        (kind, size.is_power_of_two() && sn % size == 0, prefix)
                    {
                        out.push(format!("{}/{prefix}", elem_text(s, kind)));
                    } else {
                        let last = (en - 1).to_be_bytes();
                        let last = &last[16 - shown..];
                        out.push(format!("{}-{}", elem_text(s, kind), elem_text(last, kind)));
                    }
                }
                // An open interval runs to the top of the key's range.
                None => {
                    let top = vec![0xffu8; s.len()];
                    out.push(format!("{}-{}", elem_text(s, kind), elem_text(&top, kind)));
                }
            }
        }
    } else {
        out.extend(e.iter().map(|(k, _)| elem_text(k, kind)));
    }
    out.join(", ")
}

fn icmp_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "echo-reply",
        3 => "destination-unreachable",
        4 => "source-quench",
        5 => "redirect",
        8 => "echo-request",
        9 => "router-advertisement",
        10 => "router-solicitation",
        11 => "time-exceeded",
        12 => "parameter-problem",
        13 => "timestamp-request",
        14 => "timestamp-reply",
        15 => "info-request",
        16 => "info-reply",
        17 => "address-mask-request",
        18 => "address-mask-reply",
        _ => return None,
    })
}

fn icmpv6_type(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "destination-unreachable",
        2 => "packet-too-big",
        3 => "time-exceeded",
        4 => "parameter-problem",
        128 => "echo-request",
        129 => "echo-reply",
        130 => "mld-listener-query",
        131 => "mld-listener-report",
        132 => "mld-listener-done",
        133 => "nd-router-solicit",
        134 => "nd-router-advert",
        135 => "nd-neighbor-solicit",
        136 => "nd-neighbor-advert",
        137 => "nd-redirect",
        138 => "router-renumbering",
        _ => return None,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `nft list ruleset` for the native tables among `chains` (iptables-nft's are left out).
pub fn ruleset(chains: &[Chain]) -> String {
    let mut s = String::new();
    for (fam, table) in tables(chains) {
        if !is_iptables_table(fam, table) {
            s.push_str(&table_text(chains, fam, table, None, true));
        }
    }
    s
}

/// Every (family, table) among `chains`, in the kernel's order.
pub fn tables(chains: &[Chain]) -> Vec<(&'static str, &str)> {
    let mut out: Vec<(&'static str, &str)> = Vec::new();
    for c in chains {
        if !out.contains(&(c.family, c.table.as_str())) {
            out.push((c.family, c.table.as_str()));
        }
    }
    out
}

/// Whether a table holds iptables-nft's compat (x_tables) expressions, which nft prints
/// through iptables' translations (and flags as managed by iptables-nft).
pub fn has_xt(chains: &[Chain], family: &str, table: &str) -> bool {
    chains
        .iter()
        .filter(|c| c.family == family && c.table == table)
        .flat_map(|c| c.rules.iter())
        .flat_map(|r| r.exprs.iter())
        .any(|e| matches!(e, Expr::Match { .. } | Expr::Target { .. }))
}

/// One table as `nft list table` prints it: only `chain` when given (`nft list chain`), and
/// without rules for `nft list chains`.
pub fn table_text(
    chains: &[Chain],
    fam: &str,
    table: &str,
    chain: Option<&str>,
    rules: bool,
) -> String {
    table_with_sets(chains, &[], fam, table, chain, rules, false)
}

fn set_type(t: u32) -> (&'static str, ElemKind) {
    match t {
        7 => ("ipv4_addr", ElemKind::Addr),
        8 => ("ipv6_addr", ElemKind::Addr),
        12 => ("inet_proto", ElemKind::Proto),
        13 => ("inet_service", ElemKind::Port),
        41 => ("ifname", ElemKind::Name),
        _ => ("", ElemKind::Hex),
    }
}

/// A named set's declaration as nft prints it inside its table (without its elements when
/// `terse`, as `nft -t`).
pub fn set_text(set: &crate::firewall::Set, terse: bool) -> String {
    let (mut tname, kind) = set_type(set.key_type);
    let types = concat_types(set.key_type);
    let concat = types.len() > 1;
    let names: Vec<&str> = types.iter().map(|t| set_type(*t).0).collect();
    if concat && names.iter().all(|n| !n.is_empty()) {
        tname = "";
    }
    let map = set.data_type.is_some();
    let mut s = format!("\t{} {} {{\n", if map { "map" } else { "set" }, set.name);
    let data = match set.data_type {
        Some(crate::firewall::DATA_VERDICT) => " : verdict".to_string(),
        Some(t) => format!(" : {}", set_type(t).0),
        None => String::new(),
    };
    if concat && tname.is_empty() && names.iter().all(|n| !n.is_empty()) {
        s.push_str(&format!("\t\ttype {}{data}\n", names.join(" . ")));
    } else if tname.is_empty() {
        s.push_str(&format!("\t\t# type {} not rendered\n", set.key_type));
    } else {
        s.push_str(&format!("\t\ttype {tname}{data}\n"));
    }
    let flags: Vec<&str> = [
        (0x2, "constant"),
        (0x4, "interval"),
        (0x10, "timeout"),
        (0x20, "dynamic"),
    ]
    .iter()
    .filter(|(b, _)| set.flags & b != 0)
    .map(|(_, n)| *n)
    .collect();
    if !flags.is_empty() {
        s.push_str(&format!("\t\tflags {}\n", flags.join(",")));
    }
    if !set.elements.is_empty() && !terse {
        // nft breaks a named set's elements into lines: 5 per line for keys up to 16 bits, 2
        // up to 32 bits, one for longer keys.
        let per_line = match set.key_len.saturating_mul(8) {
            0..=16 => 5,
            17..=32 => 2,
            _ => 1,
        };
        let keys: Vec<(Vec<u8>, bool)> = set
            .elements
            .iter()
            .map(|e| (e.key.clone(), e.end))
            .collect();
        let items: Vec<String> = if map || concat {
            let mut e: Vec<&crate::firewall::Element> =
                set.elements.iter().filter(|e| !e.end).collect();
            e.sort_by(|a, b| a.key.cmp(&b.key));
            e.into_iter().map(|e| element_text(set, e)).collect()
        } else {
            elements_text(&keys, kind)
                .split(", ")
                .map(str::to_string)
                .collect()
        };
        let mut body = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                body.push_str(if i % per_line == 0 {
                    ",\n\t\t\t     "
                } else {
                    ", "
                });
            }
            body.push_str(item);
        }
        s.push_str(&format!("\t\telements = {{ {body} }}\n"));
    }
    s.push_str("\t}\n");
    s
}

/// [`table_text`] with the table's named sets before its chains (`nft list table`,
/// `nft list ruleset`); sets are left out for `nft list chain`; `terse` leaves out their
/// elements (`nft -t`).
pub fn table_with_sets(
    chains: &[Chain],
    sets: &[crate::firewall::Set],
    fam: &str,
    table: &str,
    chain: Option<&str>,
    rules: bool,
    terse: bool,
) -> String {
    let mut s = format!("table {fam} {table} {{\n");
    if chain.is_none() && rules {
        let mine: Vec<&crate::firewall::Set> = sets
            .iter()
            .filter(|x| x.family == fam && x.table == table)
            .collect();
        let has_chains = chains.iter().any(|c| c.family == fam && c.table == table);
        for (i, set) in mine.iter().enumerate() {
            s.push_str(&set_text(set, terse));
            if i + 1 < mine.len() || has_chains {
                s.push('\n');
            }
        }
    }
    let mine: Vec<&Chain> = chains
        .iter()
        .filter(|c| c.family == fam && c.table == table && chain.is_none_or(|n| c.name == n))
        .collect();
    for (i, c) in mine.iter().enumerate() {
        // nft separates chains with a blank line when it lists their rules.
        if i > 0 && rules {
            s.push('\n');
        }
        s.push_str(&format!("\tchain {} {{\n", c.name));
        if let Some(h) = c.hook {
            let policy = match c.policy {
                Some(Verdict::Drop) => "drop",
                _ => "accept",
            };
            s.push_str(&format!(
                "\t\ttype {} hook {} priority {}; policy {policy};\n",
                c.kind.as_deref().unwrap_or("filter"),
                hook_name(fam, h),
                priority_name(c.priority.unwrap_or(0), h)
            ));
        }
        if rules {
            for r in &c.rules {
                s.push_str(&format!("\t\t{}\n", rule_text(fam, &r.exprs)));
            }
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(p: u16, end: bool) -> (Vec<u8>, bool) {
        (p.to_be_bytes().to_vec(), end)
    }

    #[test]
    fn sets_print_sorted_with_ranges_and_prefixes() {
        // { 9000, 80, 8000-8100 } as the kernel keeps an interval set (with its leading end).
        let e = vec![
            port(0, true),
            port(9001, true),
            port(9000, false),
            port(8101, true),
            port(8000, false),
            port(81, true),
            port(80, false),
        ];
        assert_eq!(elements_text(&e, ElemKind::Port), "80, 8000-8100, 9000");
        let plain = vec![port(443, false), port(22, false)];
        assert_eq!(elements_text(&plain, ElemKind::Port), "22, 443");
        let a = |b: [u8; 4], end| (b.to_vec(), end);
        let nets = vec![
            a([10, 1, 0, 0], false),
            a([10, 2, 0, 0], true),
            a([10, 9, 0, 1], false),
            a([10, 9, 0, 6], true),
        ];
        assert_eq!(
            elements_text(&nets, ElemKind::Addr),
            "10.1.0.0/16, 10.9.0.1-10.9.0.5"
        );
    }

    #[test]
    fn concatenated_keys_and_map_elements_print_as_nft_does() {
        // ipv4_addr . inet_proto . inet_service
        let t = (7 << 12) | (12 << 6) | 13;
        assert_eq!(concat_types(t), [7, 12, 13]);
        assert_eq!(concat_types(7), [7]);
        let key = [172, 30, 0, 41, 6, 0, 0, 0, 0, 80, 0, 0];
        assert_eq!(key_text(t, &key), "172.30.0.41 . tcp . 80");
        // A short key prints what it has, without a panic.
        assert_eq!(key_text(t, &key[..5]), "172.30.0.41 . tcp . 0x");
        let set = crate::firewall::Set {
            family: "ip",
            table: "kube-proxy".into(),
            name: "no-endpoint-services".into(),
            flags: 0x8,
            key_type: t,
            key_len: 12,
            data_type: Some(crate::firewall::DATA_VERDICT),
            elements: Vec::new(),
        };
        let e = crate::firewall::Element {
            key: key.to_vec(),
            verdict: Some(Verdict::Goto("reject-chain".into())),
            comment: Some("ns6/svc6:p80".into()),
            ..Default::default()
        };
        assert_eq!(
            element_text(&set, &e),
            "172.30.0.41 . tcp . 80 comment \"ns6/svc6:p80\" : goto reject-chain"
        );
        let text = set_text(
            &crate::firewall::Set {
                elements: vec![e],
                ..set.clone()
            },
            false,
        );
        assert!(
            text.starts_with("\tmap no-endpoint-services {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"),
            "{text}"
        );
    }
}
