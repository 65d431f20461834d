//! `iptables -S` / `ip6tables -S` from nf_tables: the rules iptables-nft installed, turned back
//! into iptables syntax (addresses and prefixes, interfaces, protocols, ports, the x_tables
//! matches and targets it keeps as compat expressions, verdicts, policies and counters).

use std::net::IpAddr;

use crate::firewall::{Chain, Expr, Verdict};
use crate::xt;

/// The built-in chains of each iptables table, in the order `iptables -S` prints them.
pub fn builtin_chains(table: &str) -> Option<&'static [&'static str]> {
    Some(match table {
        "filter" | "security" => &["INPUT", "FORWARD", "OUTPUT"],
        "nat" => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle" => &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw" => &["PREROUTING", "OUTPUT"],
        _ => return None,
    })
}

/// The tables iptables knows.
pub const TABLES: [&str; 5] = ["filter", "nat", "mangle", "raw", "security"];

fn proto_name(p: u8, ipv6: bool) -> String {
    match p {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        41 => "ipv6".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        51 => "ah".into(),
        58 if ipv6 => "ipv6-icmp".into(),
        58 => "ipv6-icmp".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        n => n.to_string(),
    }
}

/// What a register holds, as far as iptables syntax is concerned.
#[derive(Clone, Copy, Debug)]
enum Loaded {
    Iif,
    Oif,
    L4proto,
    Mark,
    /// Network header source/destination address; `len` bytes loaded.
    Addr {
        src: bool,
        len: u32,
    },
    Sport,
    Dport,
    IcmpType {
        len: u32,
    },
    /// The TCP flags byte.
    TcpFlags,
    /// IPv4's fragment offset field (`-f`).
    Frag,
    Other,
}

#[derive(Default)]
struct Ports {
    sport: Option<(bool, String)>,
    dport: Option<(bool, String)>,
    icmp: Option<String>,
    /// `--tcp-flags`: negated, mask, compare.
    flags: Option<(bool, u8, u8)>,
}

const TCP_FLAG_NAMES: [(&str, u8); 6] = [
    ("FIN", 0x01),
    ("SYN", 0x02),
    ("RST", 0x04),
    ("PSH", 0x08),
    ("ACK", 0x10),
    ("URG", 0x20),
];

/// TCP flags as iptables names them (`FIN,SYN,RST,ACK`, `NONE`).
pub fn tcp_flag_names(mut f: u8) -> String {
    let mut out = Vec::new();
    for (n, bit) in TCP_FLAG_NAMES {
        if f & bit != 0 {
            out.push(n);
            f &= !bit;
        }
    }
    if out.is_empty() {
        "NONE".into()
    } else {
        out.join(",")
    }
}

/// `--limit R/UNIT` as iptables-nft derives it from nft's rate and unit (libxt_limit's
/// print_rate over `avg = 10000 * unit / rate`).
fn limit_rate(rate: u64, unit: u64) -> String {
    const SCALE: u64 = 10_000;
    if rate == 0 {
        return "inf".into();
    }
    let period = (SCALE.saturating_mul(unit) / rate).max(1);
    let rates = [
        ("day", SCALE * 86_400),
        ("hour", SCALE * 3600),
        ("min", SCALE * 60),
        ("sec", SCALE),
    ];
    let mut i = 1;
    while i < rates.len() {
        let m = rates[i].1;
        if period > m || m / period < m % period {
            break;
        }
        i += 1;
    }
    format!("{}/{}", rates[i - 1].1 / period, rates[i - 1].0)
}

/// One rule in iptables syntax (without the `-A CHAIN` prefix).
pub fn rule_spec(exprs: &[Expr], ipv6: bool, counters: bool) -> String {
    let mut regs: Vec<(u32, Loaded, Option<Vec<u8>>)> = Vec::new();
    let set = |regs: &mut Vec<(u32, Loaded, Option<Vec<u8>>)>, r: u32, l: Loaded, m| {
        regs.retain(|(x, _, _)| *x != r);
        regs.push((r, l, m));
    };
    let mut src = String::new();
    let mut dst = String::new();
    let mut iif = String::new();
    let mut oif = String::new();
    let mut proto: Option<(bool, u8)> = None;
    let mut frag: Option<bool> = None;
    // Match fragments in order; `None` marks where the implicit transport match goes.
    let mut frags: Vec<Option<String>> = Vec::new();
    let mut ports = Ports::default();
    let mut counter = None;
    let mut target = String::new();
    let not = |op: u32| if op == 1 { "! " } else { "" };
    for e in exprs {
        match e {
            Expr::Meta { key, dreg } => {
                let l = match key {
                    6 => Loaded::Iif,
                    7 => Loaded::Oif,
                    16 => Loaded::L4proto,
                    3 => Loaded::Mark,
                    _ => Loaded::Other,
                };
                set(&mut regs, *dreg, l, None);
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let l = match (base, offset, ipv6) {
                    (1, 12, false) | (1, 8, true) => Loaded::Addr {
                        src: true,
                        len: *len,
                    },
                    (1, 16, false) | (1, 24, true) => Loaded::Addr {
                        src: false,
                        len: *len,
                    },
                    (1, 9, false) | (1, 6, true) if *len == 1 => Loaded::L4proto,
                    (2, 0, _) if matches!(proto, Some((_, 1 | 58))) => {
                        Loaded::IcmpType { len: *len }
                    }
                    (2, 13, _) if *len == 1 => Loaded::TcpFlags,
                    (1, 6, false) if *len == 2 => Loaded::Frag,
                    (2, 0, _) if *len == 2 => Loaded::Sport,
                    (2, 2, _) if *len == 2 => Loaded::Dport,
                    _ => Loaded::Other,
                };
                set(&mut regs, *dreg, l, None);
            }
            Expr::Ct { dreg, .. } => set(&mut regs, *dreg, Loaded::Other, None),
            Expr::Bitwise {
                sreg, dreg, mask, ..
            } => {
                let l = regs
                    .iter()
                    .find(|(x, _, _)| x == sreg)
                    .map(|(_, l, _)| *l)
                    .unwrap_or(Loaded::Other);
                set(&mut regs, *dreg, l, Some(mask.clone()));
            }
            Expr::Cmp { sreg, op, data } => {
                let Some((_, l, mask)) = regs.iter().find(|(x, _, _)| x == sreg).cloned() else {
                    continue;
                };
                match l {
                    Loaded::Iif | Loaded::Oif => {
                        let name = crate::nfnl::string(data);
                        let wild = if data.last() == Some(&0) { "" } else { "+" };
                        let s = format!(
                            " {}{} {name}{wild}",
                            not(*op),
                            if matches!(l, Loaded::Iif) { "-i" } else { "-o" }
                        );
                        if matches!(l, Loaded::Iif) {
                            iif = s;
                        } else {
                            oif = s;
                        }
                    }
                    Loaded::L4proto => proto = data.first().map(|p| (*op == 1, *p)),
                    Loaded::Addr { src: is_src, len } => {
                        let mut full = vec![0u8; if ipv6 { 16 } else { 4 }];
                        let n = data.len().min(full.len()).min(len as usize);
                        full[..n].copy_from_slice(&data[..n]);
                        let prefix: u32 = match &mask {
                            Some(m) => m.iter().map(|b| b.count_ones()).sum(),
                            None => len.saturating_mul(8),
                        };
                        let ip = if ipv6 {
                            IpAddr::from(<[u8; 16]>::try_from(&full[..]).unwrap_or([0; 16]))
                        } else {
                            IpAddr::from([full[0], full[1], full[2], full[3]])
                        };
                        let s = format!(
                            " {}{} {ip}/{prefix}",
                            not(*op),
                            if is_src { "-s" } else { "-d" }
                        );
                        if is_src {
                            src = s;
                        } else {
                            dst = s;
                        }
                    }
                    Loaded::Sport | Loaded::Dport if data.len() >= 2 => {
                        if !frags.iter().any(Option::is_none) {
                            frags.push(None);
                        }
                        let p = u16::from_be_bytes([data[0], data[1]]).to_string();
                        let slot = if matches!(l, Loaded::Sport) {
                            &mut ports.sport
                        } else {
                            &mut ports.dport
                        };
                        match (op, slot.as_mut()) {
                            // gte then lte: a range.
                            (3, Some((_, lo))) => *lo = format!("{lo}:{p}"),
                            _ => *slot = Some((*op == 1, p)),
                        }
                    }
                    Loaded::IcmpType { len } => {
                        if !frags.iter().any(Option::is_none) {
                            frags.push(None);
                        }
                        ports.icmp = Some(match (len, data.as_slice()) {
                            (2, [t, c, ..]) => format!("{t}/{c}"),
                            (_, [t, ..]) => t.to_string(),
                            _ => String::new(),
                        });
                    }
                    Loaded::TcpFlags => {
                        if !frags.iter().any(Option::is_none) {
                            frags.push(None);
                        }
                        let m = mask
                            .as_deref()
                            .and_then(|m| m.first().copied())
                            .unwrap_or(0xff);
                        ports.flags = Some((*op == 1, m, data.first().copied().unwrap_or(0)));
                    }
                    // `-f`: the fragment offset is not zero; `! -f`: it is.
                    Loaded::Frag => frag = Some(*op == 0),
                    Loaded::Mark => {
                        let v = |d: &[u8]| {
                            d.get(..4)
                                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        };
                        let m = mask.as_deref().and_then(v).unwrap_or(u32::MAX);
                        let val = v(data).unwrap_or(0);
                        let shown = if m == u32::MAX {
                            format!("0x{val:x}")
                        } else {
                            format!("0x{val:x}/0x{m:x}")
                        };
                        frags.push(Some(format!(" -m mark {}--mark {shown}", not(*op))));
                    }
                    _ => {}
                }
            }
            Expr::Range { sreg, op, from, to } => {
                let Some((_, l, _)) = regs.iter().find(|(x, _, _)| x == sreg).cloned() else {
                    continue;
                };
                if from.len() >= 2 && to.len() >= 2 && matches!(l, Loaded::Sport | Loaded::Dport) {
                    if !frags.iter().any(Option::is_none) {
                        frags.push(None);
                    }
                    let r = format!(
                        "{}:{}",
                        u16::from_be_bytes([from[0], from[1]]),
                        u16::from_be_bytes([to[0], to[1]])
                    );
                    let v = Some((*op == 1, r));
                    if matches!(l, Loaded::Sport) {
                        ports.sport = v;
                    } else {
                        ports.dport = v;
                    }
                }
            }
            Expr::Counter { packets, bytes } => counter = Some((*packets, *bytes)),
            Expr::Match { name, rev, info } => {
                frags.push(Some(xt::match_save_af(name, *rev, info, ipv6)))
            }
            Expr::Limit {
                rate,
                unit,
                burst,
                over: false,
                bytes: false,
            } => {
                let mut m = format!(" -m limit --limit {}", limit_rate(*rate, *unit));
                if *burst != 5 {
                    m.push_str(&format!(" --limit-burst {burst}"));
                }
                frags.push(Some(m));
            }
            Expr::Limit { .. } => frags.push(Some(" -m limit".into())),
            Expr::Target { name, rev, info } => target = xt::target_save(name, *rev, info, ipv6),
            Expr::Immediate { verdict: Some(v) } => {
                target = match v {
                    Verdict::Accept => " -j ACCEPT".into(),
                    Verdict::Drop => " -j DROP".into(),
                    Verdict::Return => " -j RETURN".into(),
                    Verdict::Jump(c) => format!(" -j {c}"),
                    Verdict::Goto(c) => format!(" -g {c}"),
                    Verdict::Continue => String::new(),
                    Verdict::Other(c) => format!(" -j verdict{c}"),
                }
            }
            Expr::Reject { kind, code } => {
                target = match (kind, code) {
                    (1, _) => " -j REJECT --reject-with tcp-reset".into(),
                    _ => " -j REJECT".into(),
                }
            }
            Expr::Log { .. } => target = " -j LOG".into(),
            Expr::Immediate { verdict: None }
            | Expr::Other { .. }
            | Expr::Lookup { .. }
            | Expr::Numgen { .. }
            | Expr::Fib { .. }
            | Expr::Load { .. }
            | Expr::Nat { .. }
            | Expr::Masq { .. } => {}
        }
    }
    let mut s = String::new();
    s.push_str(&src);
    s.push_str(&dst);
    s.push_str(&iif);
    s.push_str(&oif);
    if let Some((neg, p)) = proto {
        s.push_str(&format!(
            " {}-p {}",
            if neg { "! " } else { "" },
            proto_name(p, ipv6)
        ));
    }
    if let Some(neg) = frag {
        s.push_str(if neg { " ! -f" } else { " -f" });
    }
    let module = match proto.map(|p| p.1) {
        Some(6) => "tcp",
        Some(17) => "udp",
        Some(132) => "sctp",
        Some(1) => "icmp",
        Some(58) => "icmp6",
        _ => "tcp",
    };
    for f in frags {
        match f {
            Some(x) => s.push_str(&x),
            None => {
                s.push_str(&format!(" -m {module}"));
                if let Some(t) = &ports.icmp {
                    s.push_str(&format!(
                        " --{} {t}",
                        if module == "icmp6" {
                            "icmpv6-type"
                        } else {
                            "icmp-type"
                        }
                    ));
                }
                if let Some((neg, p)) = &ports.sport {
                    s.push_str(&format!(" {}--sport {p}", if *neg { "! " } else { "" }));
                }
                if let Some((neg, p)) = &ports.dport {
                    s.push_str(&format!(" {}--dport {p}", if *neg { "! " } else { "" }));
                }
                if let Some((neg, m, c)) = ports.flags {
                    s.push_str(&format!(
                        " {}--tcp-flags {} {}",
                        if neg { "! " } else { "" },
                        tcp_flag_names(m),
                        tcp_flag_names(c)
                    ));
                }
            }
        }
    }
    if counters {
        let (p, b) = counter.unwrap_or((0, 0));
        s.push_str(&format!(" -c {p} {b}"));
    }
    s.push_str(&target);
    s
}

/// `iptables -S` (`family` "ip") or `ip6tables -S` ("ip6") for one table, from the chains of
/// [`crate::firewall::ruleset`]. `None` when the name is not an iptables table.
pub fn save(chains: &[Chain], family: &str, table: &str, counters: bool) -> Option<Vec<String>> {
    let builtins = builtin_chains(table)?;
    let ipv6 = family == "ip6";
    let mine: Vec<&Chain> = chains
        .iter()
        .filter(|c| c.family == family && c.table == table)
        .collect();
    let mut out = Vec::new();
    for b in builtins {
        let c = mine.iter().find(|c| c.name == *b);
        let policy = match c.and_then(|c| c.policy.as_ref()) {
            Some(Verdict::Drop) => "DROP",
            _ => "ACCEPT",
        };
        let mut line = format!("-P {b} {policy}");
        if counters {
            let (p, by) = c.and_then(|c| c.counters).unwrap_or((0, 0));
            line.push_str(&format!(" -c {p} {by}"));
        }
        out.push(line);
    }
    let mut user: Vec<&&Chain> = mine
        .iter()
        .filter(|c| !builtins.contains(&c.name.as_str()))
        .collect();
    user.sort_by(|a, b| a.name.cmp(&b.name));
    for c in &user {
        out.push(format!("-N {}", c.name));
    }
    let ordered = builtins
        .iter()
        .filter_map(|b| mine.iter().find(|c| c.name == *b))
        .chain(user.iter().copied());
    for c in ordered {
        for r in &c.rules {
            out.push(format!(
                "-A {}{}",
                c.name,
                rule_spec(&r.exprs, ipv6, counters)
            ));
        }
    }
    Some(out)
}
