//! `iptables -L` / `ip6tables -L` and `iptables-save` from nf_tables: the rules of
//! [`crate::iptsave`] laid out as iptables prints them (the table with target, prot, opt, in, out,
//! source and destination columns, each match's and target's own print text, counters with or
//! without K/M/G, line numbers, policies and references), and the `iptables-save` dump.

use std::fmt::Write as _;

use crate::firewall::{Chain, Expr, Verdict};
use crate::iptsave::{builtin_chains, rule_spec};

/// How `iptables -L` lays the table out.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFormat {
    /// `-n`: addresses, ports and protocols as numbers.
    pub numeric: bool,
    /// `-v`: counters and interfaces.
    pub verbose: bool,
    /// `-x`: exact counters (no K/M/G).
    pub exact: bool,
    /// `--line-numbers`.
    pub line_numbers: bool,
}

/// The chains of one iptables table in `iptables -S` order: the built-in chains (present or
/// not: `None` for one the kernel does not have yet), then user chains by name.
fn ordered<'a>(chains: &'a [Chain], family: &str, table: &str) -> Vec<(String, Option<&'a Chain>)> {
    let builtins = builtin_chains(table).unwrap_or(&[]);
    let mine: Vec<&Chain> = chains
        .iter()
        .filter(|c| c.family == family && c.table == table)
        .collect();
    let mut out: Vec<(String, Option<&Chain>)> = builtins
        .iter()
        .map(|b| (b.to_string(), mine.iter().copied().find(|c| c.name == *b)))
        .collect();
    let mut user: Vec<&Chain> = mine
        .iter()
        .copied()
        .filter(|c| !builtins.contains(&c.name.as_str()))
        .collect();
    user.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(user.into_iter().map(|c| (c.name.clone(), Some(c))));
    out
}

/// The chain names of a table as `iptables -S` orders them.
pub fn chain_names(chains: &[Chain], family: &str, table: &str) -> Vec<String> {
    ordered(chains, family, table)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

fn rule_counters(exprs: &[Expr]) -> (u64, u64) {
    exprs
        .iter()
        .find_map(|e| match e {
            Expr::Counter { packets, bytes } => Some((*packets, *bytes)),
            _ => None,
        })
        .unwrap_or((0, 0))
}

/// How many rules of the table jump or go to `name` (what iptables prints as references).
fn references(chains: &[Chain], family: &str, table: &str, name: &str) -> usize {
    chains
        .iter()
        .filter(|c| c.family == family && c.table == table)
        .flat_map(|c| c.rules.iter())
        .flat_map(|r| r.exprs.iter())
        .filter(|e| {
            matches!(e, Expr::Immediate { verdict: Some(Verdict::Jump(t) | Verdict::Goto(t)) } if t == name)
        })
        .count()
}

/// Splits an `iptables -S` rule into words, undoing its double quotes.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// One option of a match or target: negated, its name (without dashes), its values.
#[derive(Debug, Clone, Default)]
struct OptWords {
    neg: bool,
    key: String,
    vals: Vec<String>,
}

fn options(ws: &[String]) -> Vec<OptWords> {
    let mut out: Vec<OptWords> = Vec::new();
    let mut neg = false;
    for w in ws {
        if w == "!" {
            neg = true;
        } else if let Some(k) = w.strip_prefix("--") {
            out.push(OptWords {
                neg,
                key: k.to_string(),
                vals: Vec::new(),
            });
            neg = false;
        } else if let Some(last) = out.last_mut() {
            last.vals.push(w.clone());
        }
    }
    out
}

/// A parsed rule: the columns and the match/target words.
#[derive(Debug, Default)]
struct Parsed {
    src: Option<(bool, String)>,
    dst: Option<(bool, String)>,
    iif: Option<(bool, String)>,
    oif: Option<(bool, String)>,
    proto: Option<(bool, String)>,
    frag: Option<bool>,
    matches: Vec<(String, Vec<OptWords>)>,
    target: String,
    target_opts: Vec<OptWords>,
    goto: bool,
}

fn parse(spec: &str) -> Parsed {
    let ws = words(spec);
    let mut p = Parsed::default();
    let mut i = 0;
    let mut neg = false;
    let take = |i: &mut usize| -> String {
        *i += 1;
        ws.get(*i).cloned().unwrap_or_default()
    };
    while i < ws.len() {
        let w = ws[i].as_str();
        match w {
            "!" => {
                neg = true;
                i += 1;
                continue;
            }
            "-s" => p.src = Some((neg, take(&mut i))),
            "-d" => p.dst = Some((neg, take(&mut i))),
            "-i" => p.iif = Some((neg, take(&mut i))),
            "-o" => p.oif = Some((neg, take(&mut i))),
            "-p" => p.proto = Some((neg, take(&mut i))),
            "-f" => p.frag = Some(neg),
            "-m" | "-j" | "-g" => {
                let name = take(&mut i);
                // A rule ending in `-j` (a target without a name) has no words after it.
                let start = (i + 1).min(ws.len());
                let mut end = start;
                while end < ws.len() && !matches!(ws[end].as_str(), "-m" | "-j" | "-g") {
                    // A `!` right before the next -m belongs to nothing here (iptables writes
                    // negations after -m NAME), so words run up to the next module.
                    end += 1;
                }
                let opts = options(&ws[start..end]);
                if w == "-m" {
                    p.matches.push((name, opts));
                } else {
                    p.goto = w == "-g";
                    p.target = name;
                    p.target_opts = opts;
                }
                i = end;
                neg = false;
                continue;
            }
            _ => {}
        }
        neg = false;
        i += 1;
    }
    p
}

fn proto_number(name: &str) -> Option<u8> {
    Some(match name {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "ipv6" => 41,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        "udplite" => 136,
        n => return n.parse().ok(),
    })
}

/// A port's service name from /etc/services (as iptables prints without -n), read once.
fn service(port: &str, proto: &str) -> Option<String> {
    static TABLE: std::sync::OnceLock<crate::names::Services> = std::sync::OnceLock::new();
    let port: u16 = port.parse().ok()?;
    TABLE
        .get_or_init(crate::names::Services::load)
        .name(port, proto)
        .map(str::to_string)
}

fn port(p: &str, proto: &str, numeric: bool) -> String {
    if numeric {
        return p.to_string();
    }
    service(p, proto).unwrap_or_else(|| p.to_string())
}

fn ports(list: &str, proto: &str, numeric: bool) -> String {
    list.split(',')
        .map(|item| {
            item.split(':')
                .map(|x| port(x, proto, numeric))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// tcp/udp/sctp's ` spt:N` / ` dpts:A:B` with `!` after the colon.
fn port_match(s: &mut String, label: &str, o: &OptWords, proto: &str, numeric: bool) {
    let v = o.vals.first().map(String::as_str).unwrap_or("");
    let inv = if o.neg { "!" } else { "" };
    match v.split_once(':') {
        Some((a, b)) => {
            let _ = write!(
                s,
                " {label}s:{inv}{}:{}",
                port(a, proto, numeric),
                port(b, proto, numeric)
            );
        }
        None => {
            let _ = write!(s, " {label}:{inv}{}", port(v, proto, numeric));
        }
    }
}

fn tcp_flags(list: &str) -> u8 {
    list.split(',')
        .map(|f| match f {
            "FIN" => 0x01,
            "SYN" => 0x02,
            "RST" => 0x04,
            "PSH" => 0x08,
            "ACK" => 0x10,
            "URG" => 0x20,
            "ECE" => 0x40,
            "CWR" => 0x80,
            "ALL" => 0x3f,
            _ => 0,
        })
        .fold(0, |a, b| a | b)
}

const ICMP_NAMES: &[(u8, &str)] = &[
    (0, "echo-reply"),
    (3, "destination-unreachable"),
    (4, "source-quench"),
    (5, "redirect"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicitation"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
    (14, "timestamp-reply"),
    (17, "address-mask-request"),
    (18, "address-mask-reply"),
];

const ICMP6_NAMES: &[(u8, &str)] = &[
    (1, "destination-unreachable"),
    (2, "packet-too-big"),
    (3, "time-exceeded"),
    (4, "parameter-problem"),
    (128, "echo-request"),
    (129, "echo-reply"),
    (133, "router-solicitation"),
    (134, "router-advertisement"),
    (135, "neighbour-solicitation"),
    (136, "neighbour-advertisement"),
    (137, "redirect"),
];

/// ICMP type/code pairs iptables names (its table for codes of one type).
const ICMP_CODE_NAMES: &[(u8, u8, &str)] = &[
    (3, 0, "network-unreachable"),
    (3, 1, "host-unreachable"),
    (3, 2, "protocol-unreachable"),
    (3, 3, "port-unreachable"),
    (3, 4, "fragmentation-needed"),
    (3, 5, "source-route-failed"),
    (3, 6, "network-unknown"),
    (3, 7, "host-unknown"),
    (3, 9, "network-prohibited"),
    (3, 10, "host-prohibited"),
    (3, 11, "TOS-network-unreachable"),
    (3, 12, "TOS-host-unreachable"),
    (3, 13, "communication-prohibited"),
    (3, 14, "host-precedence-violation"),
    (3, 15, "precedence-cutoff"),
    (5, 0, "network-redirect"),
    (5, 1, "host-redirect"),
    (5, 2, "TOS-network-redirect"),
    (5, 3, "TOS-host-redirect"),
    (11, 0, "ttl-zero-during-transit"),
    (11, 1, "ttl-zero-during-reassembly"),
    (12, 0, "ip-header-bad"),
    (12, 1, "required-option-missing"),
];

fn raw_opts(s: &mut String, opts: &[OptWords]) {
    for o in opts {
        let _ = write!(s, " {}{}", if o.neg { "! " } else { "" }, o.key);
        for v in &o.vals {
            let _ = write!(s, " {v}");
        }
    }
}

fn first(o: &OptWords) -> &str {
    o.vals.first().map(String::as_str).unwrap_or("")
}

/// One match as iptables -L prints it (with its leading space).
fn match_text(
    s: &mut String,
    name: &str,
    opts: &[OptWords],
    proto: &str,
    numeric: bool,
    ipv6: bool,
) {
    match name {
        "tcp" | "udp" | "sctp" | "udplite" => {
            let _ = write!(s, " {name}");
            for o in opts {
                match o.key.as_str() {
                    "sport" | "source-port" => port_match(s, "spt", o, name, numeric),
                    "dport" | "destination-port" => port_match(s, "dpt", o, name, numeric),
                    "tcp-flags" | "syn" => {
                        let (mask, cmp) = if o.key == "syn" {
                            (0x17, 0x02)
                        } else {
                            (
                                tcp_flags(first(o)),
                                tcp_flags(o.vals.get(1).map(String::as_str).unwrap_or("")),
                            )
                        };
                        let inv = if o.neg { "!" } else { "" };
                        if numeric {
                            let _ = write!(s, " flags:{inv}0x{mask:02X}/0x{cmp:02X}");
                        } else {
                            let _ = write!(
                                s,
                                " flags:{inv}{}/{}",
                                crate::iptsave::tcp_flag_names(mask),
                                crate::iptsave::tcp_flag_names(cmp)
                            );
                        }
                    }
                    "tcp-option" => {
                        let _ = write!(s, " option={}{}", if o.neg { "!" } else { "" }, first(o));
                    }
                    _ => raw_opts(s, std::slice::from_ref(o)),
                }
            }
        }
        "icmp" | "icmp6" => {
            let _ = write!(s, " {}", if name == "icmp6" { "ipv6-icmp" } else { "icmp" });
            for o in opts {
                let v = first(o);
                let (t, code) = match v.split_once('/') {
                    Some((t, c)) => (t, Some(c)),
                    None => (v, None),
                };
                let inv = if o.neg { "!" } else { "" };
                let tn = t.parse::<u8>().ok();
                let named = if numeric {
                    None
                } else {
                    match (code.and_then(|c| c.parse::<u8>().ok()), ipv6) {
                        (Some(c), false) => ICMP_CODE_NAMES
                            .iter()
                            .find(|(x, y, _)| Some(*x) == tn && *y == c)
                            .map(|(_, _, n)| *n),
                        (None, false) => ICMP_NAMES
                            .iter()
                            .find(|(x, _)| Some(*x) == tn)
                            .map(|(_, n)| *n),
                        (None, true) => ICMP6_NAMES
                            .iter()
                            .find(|(x, _)| Some(*x) == tn)
                            .map(|(_, n)| *n),
                        (Some(_), true) => None,
                    }
                };
                match named {
                    Some(n) => {
                        let _ = write!(s, " {inv}{n}");
                    }
                    None => {
                        if o.neg {
                            s.push_str(" !");
                        }
                        let _ = write!(s, "type {t}");
                        if let Some(c) = code {
                            let _ = write!(s, " code {c}");
                        }
                    }
                }
            }
        }
        "multiport" => {
            for o in opts {
                let which = match o.key.as_str() {
                    "sports" | "source-ports" => "sports",
                    "dports" | "destination-ports" => "dports",
                    _ => "ports",
                };
                let _ = write!(s, " multiport {which} ");
                if o.neg {
                    s.push_str(" !");
                }
                s.push_str(&ports(first(o), proto, numeric));
            }
        }
        "conntrack" | "state" => {
            for o in opts {
                let inv = if o.neg { " !" } else { "" };
                match o.key.as_str() {
                    "ctstate" => {
                        let _ = write!(s, "{inv} ctstate {}", first(o));
                    }
                    "state" => {
                        let _ = write!(s, "{inv} state {}", first(o));
                    }
                    "ctstatus" => {
                        let _ = write!(s, "{inv} ctstatus {}", first(o));
                    }
                    "ctproto" => {
                        let _ = write!(s, "{inv} ctproto {}", first(o));
                    }
                    "ctdir" => {
                        let _ = write!(s, " ctdir {}", first(o));
                    }
                    k @ ("ctorigsrc" | "ctorigdst" | "ctreplsrc" | "ctrepldst") => {
                        let _ = write!(s, "{inv} {k} {}", first(o));
                    }
                    k @ ("ctorigsrcport" | "ctorigdstport" | "ctreplsrcport" | "ctrepldstport") => {
                        let _ = write!(s, "{inv} {k} {}", first(o));
                    }
                    _ => raw_opts(s, std::slice::from_ref(o)),
                }
            }
        }
        "comment" => {
            for o in opts {
                let _ = write!(s, " /* {} */", first(o));
            }
        }
        "addrtype" => {
            s.push_str(" ADDRTYPE match");
            for o in opts {
                let inv = if o.neg { "!" } else { "" };
                match o.key.as_str() {
                    "src-type" => {
                        let _ = write!(s, " src-type {inv}{}", first(o));
                    }
                    "dst-type" => {
                        let _ = write!(s, " dst-type {inv}{}", first(o));
                    }
                    "limit-iface-in" => s.push_str(" limit-in"),
                    "limit-iface-out" => s.push_str(" limit-out"),
                    _ => raw_opts(s, std::slice::from_ref(o)),
                }
            }
        }
        "mark" | "connmark" => {
            for o in opts {
                // libxt_mark: " mark match" [" !"] " V"; libxt_connmark: " connmark match "
                // ["!"] " V".
                if name == "mark" {
                    let _ = write!(s, " mark match{}", if o.neg { " !" } else { "" });
                } else {
                    let _ = write!(s, " connmark match {}", if o.neg { "!" } else { "" });
                }
                let v = first(o);
                let _ = write!(s, " {}", v.strip_suffix("/0xffffffff").unwrap_or(v));
            }
        }
        "limit" => {
            let avg = opts
                .iter()
                .find(|o| o.key == "limit")
                .map(|o| first(o).to_string())
                .unwrap_or_else(|| "3/hour".into());
            let burst = opts
                .iter()
                .find(|o| o.key == "limit-burst")
                .map(|o| first(o).to_string())
                .unwrap_or_else(|| "5".into());
            let _ = write!(s, " limit: avg {avg} burst {burst}");
        }
        "iprange" => {
            for o in opts {
                let inv = if o.neg { "! " } else { "" };
                let which = if o.key == "src-range" {
                    "source"
                } else {
                    "destination"
                };
                let _ = write!(s, " {which} IP range {inv}{}", first(o));
            }
        }
        _ => {
            let _ = write!(s, " {name}");
            raw_opts(s, opts);
        }
    }
}

fn mark_target(s: &mut String, label: &str, o: &OptWords) {
    let v = first(o);
    let (m, mask) = match v.split_once('/') {
        Some((m, k)) => (m, k),
        None => (v, "0xffffffff"),
    };
    let num = |x: &str| u32::from_str_radix(x.trim_start_matches("0x"), 16).unwrap_or(0);
    let (m, mask) = (num(m), num(mask));
    if o.key == "set-mark" || mask == u32::MAX {
        let _ = write!(s, " {label} set 0x{m:x}");
    } else if m == 0 {
        let _ = write!(s, " {label} and 0x{:x}", !mask);
    } else if m == mask {
        let _ = write!(s, " {label} or 0x{m:x}");
    } else if mask == 0 {
        let _ = write!(s, " {label} xor 0x{m:x}");
    } else {
        let _ = write!(s, " {label} xset 0x{m:x}/0x{mask:x}");
    }
}

/// The target's own print text (with its leading space).
fn target_text(s: &mut String, name: &str, opts: &[OptWords], numeric: bool) {
    match name {
        "REJECT" => {
            for o in opts {
                let _ = write!(s, " reject-with {}", first(o));
            }
        }
        "LOG" => {
            let level = opts
                .iter()
                .find(|o| o.key == "log-level")
                .map(|o| first(o).to_string())
                .unwrap_or_else(|| "4".into());
            let mut flags = 0u8;
            for o in opts {
                flags |= match o.key.as_str() {
                    "log-tcp-sequence" => 0x01,
                    "log-tcp-options" => 0x02,
                    "log-ip-options" => 0x04,
                    "log-uid" => 0x08,
                    "log-macdecode" => 0x20,
                    _ => 0,
                };
            }
            if numeric {
                let _ = write!(s, " LOG flags {flags} level {level}");
            } else {
                const LEVELS: [&str; 8] = [
                    "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
                ];
                let name = level
                    .parse::<usize>()
                    .ok()
                    .and_then(|l| LEVELS.get(l))
                    .copied()
                    .unwrap_or(level.as_str());
                let _ = write!(s, " LOG level {name}");
                for (bit, n) in [
                    (0x01, "tcp-sequence"),
                    (0x02, "tcp-options"),
                    (0x04, "ip-options"),
                    (0x08, "uid"),
                    (0x20, "macdecode"),
                ] {
                    if flags & bit != 0 {
                        let _ = write!(s, " {n}");
                    }
                }
            }
            if let Some(p) = opts.iter().find(|o| o.key == "log-prefix") {
                let _ = write!(s, " prefix \"{}\"", first(p));
            }
        }
        "DNAT" | "SNAT" => {
            for o in opts {
                match o.key.as_str() {
                    "to-destination" | "to-source" => {
                        let _ = write!(s, " to:{}", first(o));
                    }
                    k => {
                        let _ = write!(s, " {k}");
                    }
                }
            }
        }
        "MASQUERADE" | "REDIRECT" => {
            for o in opts {
                match o.key.as_str() {
                    "to-ports" => {
                        let label = if name == "MASQUERADE" {
                            "masq ports:"
                        } else {
                            "redir ports"
                        };
                        let _ = write!(s, " {label} {}", first(o));
                    }
                    k => {
                        let _ = write!(s, " {k}");
                    }
                }
            }
        }
        "MARK" | "CONNMARK" => {
            for o in opts {
                match o.key.as_str() {
                    "set-xmark" | "set-mark" => mark_target(s, name, o),
                    "save-mark" => {
                        let _ = write!(s, " {name} save");
                    }
                    "restore-mark" => {
                        let _ = write!(s, " {name} restore");
                    }
                    // libxt_CONNMARK prints the masks only when they are not all ones.
                    "nfmask" | "ctmask" if first(o) == "0xffffffff" => {}
                    "nfmask" | "ctmask" => {
                        let _ = write!(s, " {} {}", o.key, first(o));
                    }
                    _ => raw_opts(s, std::slice::from_ref(o)),
                }
            }
        }
        "CT" => {
            for o in opts {
                match o.key.as_str() {
                    "notrack" => s.push_str(" CT notrack"),
                    "zone" => {
                        let _ = write!(s, " CT zone {}", first(o));
                    }
                    k => {
                        let _ = write!(s, " CT {k}");
                        for v in &o.vals {
                            let _ = write!(s, " {v}");
                        }
                    }
                }
            }
        }
        "TCPMSS" => {
            for o in opts {
                match o.key.as_str() {
                    "clamp-mss-to-pmtu" => s.push_str(" TCPMSS clamp to PMTU"),
                    "set-mss" => {
                        let _ = write!(s, " TCPMSS set {}", first(o));
                    }
                    _ => raw_opts(s, std::slice::from_ref(o)),
                }
            }
        }
        _ => raw_opts(s, opts),
    }
}

/// iptables' `xtables_print_num`: exact with `-x`, else K/M/G/T past 99999.
fn num(n: u64, exact: bool, table: bool) -> String {
    if exact {
        return if table {
            format!("{n:>8} ")
        } else {
            format!("{n} ")
        };
    }
    let w = |x: u64, suffix: &str| {
        if table {
            if suffix.is_empty() {
                format!("{x:>5} ")
            } else {
                format!("{x:>4}{suffix} ")
            }
        } else {
            format!("{x}{suffix} ")
        }
    };
    if n <= 99_999 {
        return w(n, "");
    }
    let mut x = n;
    for suffix in ["K", "M", "G"] {
        x = (x + 500) / 1000;
        if x <= 9999 {
            return w(x, suffix);
        }
    }
    w((x + 500) / 1000, "T")
}

fn addr(a: Option<&(bool, String)>, ipv6: bool, numeric: bool) -> String {
    let (neg, text) = match a {
        Some((n, t)) => (*n, t.as_str()),
        None => (false, if ipv6 { "::/0" } else { "0.0.0.0/0" }),
    };
    let any = text.ends_with("/0");
    let shown = if any && !numeric {
        "anywhere".to_string()
    } else {
        let full = if ipv6 { "/128" } else { "/32" };
        text.strip_suffix(full).unwrap_or(text).to_string()
    };
    format!("{}{shown:<19} ", if neg { '!' } else { ' ' })
}

fn iface(a: Option<&(bool, String)>, numeric: bool) -> String {
    match a {
        Some((neg, n)) => format!("{}{n}", if *neg { "!" } else { "" }),
        None if numeric => "*".to_string(),
        None => "any".to_string(),
    }
}

fn header(s: &mut String, f: &ListFormat) {
    if f.line_numbers {
        let _ = write!(s, "{:<4} ", "num");
    }
    if f.verbose {
        if f.exact {
            let _ = write!(s, "{:>8} {:>10} ", "pkts", "bytes");
        } else {
            let _ = write!(s, "{:>5} {:>5} ", "pkts", "bytes");
        }
    }
    let _ = write!(s, "{:<9} ", "target");
    s.push_str(" prot opt");
    if f.verbose {
        let _ = write!(s, " {:<6} {:<6} ", "in", "out");
    }
    let _ = writeln!(s, " {:<19}  {:<19} ", "source", "destination");
}

/// One rule as a row of `iptables -L`.
fn row(s: &mut String, n: usize, exprs: &[Expr], ipv6: bool, f: &ListFormat) {
    let p = parse(&rule_spec(exprs, ipv6, false));
    if f.line_numbers {
        let _ = write!(s, "{n:<4} ");
    }
    if f.verbose {
        let (pk, by) = rule_counters(exprs);
        s.push_str(&num(pk, f.exact, true));
        s.push_str(&num(by, f.exact, true));
    }
    let _ = write!(s, "{:<9} ", p.target);
    let (pneg, proto) = match &p.proto {
        Some((neg, name)) => (*neg, name.as_str()),
        None => (false, "all"),
    };
    s.push(if pneg { '!' } else { ' ' });
    let shown = if f.numeric {
        if proto == "all" {
            "0".to_string()
        } else {
            proto_number(proto)
                .map(|n| n.to_string())
                .unwrap_or_else(|| proto.to_string())
        }
    } else {
        proto.to_string()
    };
    let _ = write!(s, "{shown:<4} ");
    let _ = write!(
        s,
        "{}{} ",
        if p.frag == Some(true) { '!' } else { '-' },
        if p.frag.is_some() { 'f' } else { '-' }
    );
    if f.verbose {
        let _ = write!(
            s,
            " {:<6} {:<6} ",
            iface(p.iif.as_ref(), f.numeric),
            iface(p.oif.as_ref(), f.numeric)
        );
    }
    s.push_str(&addr(p.src.as_ref(), ipv6, f.numeric));
    s.push_str(&addr(p.dst.as_ref(), ipv6, f.numeric));
    if p.goto {
        s.push_str("[goto] ");
    }
    for (name, opts) in &p.matches {
        match_text(s, name, opts, proto, f.numeric, ipv6);
    }
    target_text(s, &p.target, &p.target_opts, f.numeric);
    s.push('\n');
}

/// `iptables -L [CHAIN]` (`family` "ip") or `ip6tables -L` ("ip6") for one table. `None` when
/// `only` names no chain of the table.
pub fn list(
    chains: &[Chain],
    family: &str,
    table: &str,
    only: Option<&str>,
    f: &ListFormat,
) -> Option<String> {
    let ipv6 = family == "ip6";
    let builtins = builtin_chains(table).unwrap_or(&[]);
    let all = ordered(chains, family, table);
    if let Some(c) = only {
        if !all.iter().any(|(n, _)| n == c) {
            return None;
        }
    }
    let mut s = String::new();
    for (name, chain) in all.iter().filter(|(n, _)| only.is_none_or(|o| o == n)) {
        if !s.is_empty() {
            s.push('\n');
        }
        if builtins.contains(&name.as_str()) {
            let policy = match chain.and_then(|c| c.policy.as_ref()) {
                Some(Verdict::Drop) => "DROP",
                _ => "ACCEPT",
            };
            let _ = write!(s, "Chain {name} (policy {policy}");
            if f.verbose {
                let (p, b) = chain.and_then(|c| c.counters).unwrap_or((0, 0));
                let _ = write!(
                    s,
                    " {}packets, {}bytes",
                    num(p, f.exact, false),
                    num(b, f.exact, false)
                );
            }
            s.push_str(")\n");
        } else {
            let _ = writeln!(
                s,
                "Chain {name} ({} references)",
                references(chains, family, table, name)
            );
        }
        header(&mut s, f);
        for (i, r) in chain
            .map(|c| c.rules.as_slice())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            row(&mut s, i + 1, &r.exprs, ipv6, f);
        }
    }
    Some(s)
}

/// The iptables tables of `family` that exist, in the order iptables-nft's save walks them
/// (its table array: mangle, security, raw, filter, nat).
pub fn tables(chains: &[Chain], family: &str) -> Vec<String> {
    ["mangle", "security", "raw", "filter", "nat"]
        .iter()
        .filter(|t| chains.iter().any(|c| c.family == family && c.table == **t))
        .map(|t| t.to_string())
        .collect()
}

/// One table in `iptables-save` layout, from `*TABLE` to `COMMIT` (without the comment lines
/// around it): chain lines with policy and counters, rules, with `[packets:bytes]` before each
/// rule when `counters`.
pub fn save_table(chains: &[Chain], family: &str, table: &str, counters: bool) -> String {
    let ipv6 = family == "ip6";
    let builtins = builtin_chains(table).unwrap_or(&[]);
    let all = ordered(chains, family, table);
    let mut s = format!("*{table}\n");
    for (name, chain) in &all {
        let (p, b) = chain.and_then(|c| c.counters).unwrap_or((0, 0));
        let policy = if builtins.contains(&name.as_str()) {
            match chain.and_then(|c| c.policy.as_ref()) {
                Some(Verdict::Drop) => "DROP",
                _ => "ACCEPT",
            }
        } else {
            "-"
        };
        let _ = writeln!(s, ":{name} {policy} [{p}:{b}]");
    }
    for (name, chain) in &all {
        for r in chain.map(|c| c.rules.as_slice()).unwrap_or(&[]) {
            if counters {
                let (p, b) = rule_counters(&r.exprs);
                let _ = write!(s, "[{p}:{b}] ");
            }
            let _ = writeln!(s, "-A {name}{}", rule_spec(&r.exprs, ipv6, false));
        }
    }
    s.push_str("COMMIT\n");
    s
}

/// One DNAT rule of a nat table: a published port (Docker's `DOCKER` chain, Swarm's
/// `DOCKER-INGRESS`) or anyone's port forward, taken from its `iptables -S` form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dnat {
    /// The chain (`DOCKER`, `DOCKER-INGRESS`, `PREROUTING`, …).
    pub chain: String,
    /// IPv6 (`ip6tables`).
    pub ipv6: bool,
    /// `tcp`, `udp`, `sctp`, … (any when absent).
    pub proto: Option<String>,
    /// The destination the rule matches (`127.0.0.1/32`; any address when absent), `!` first
    /// when negated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    /// The input interface it matches, `!` first when negated (Docker writes `! -i docker0`:
    /// not from the bridge itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_iface: Option<String>,
    /// The destination port or range (`8080`, `1000:1010`) it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<String>,
    /// Where it sends the packet, as iptables writes it (`172.17.0.2:80`, `[fd00::2]:80`,
    /// `10.0.0.3-10.0.0.5`).
    pub to: String,
    /// The first address of `to`.
    pub to_addr: Option<std::net::IpAddr>,
    /// The port or range of `to`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<String>,
}

impl Dnat {
    /// `tcp 127.0.0.1:18081` / `tcp *:8080`: what the rule catches, as `docker port` shows it.
    pub fn from_text(&self) -> String {
        let addr = match self.dst.as_deref() {
            None => "*".to_string(),
            Some(d) => {
                let d = d
                    .strip_suffix("/32")
                    .or(d.strip_suffix("/128"))
                    .unwrap_or(d);
                if self.ipv6 && !d.starts_with('!') {
                    format!("[{d}]")
                } else {
                    d.to_string()
                }
            }
        };
        let port = self
            .dport
            .as_deref()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!("{} {addr}{port}", self.proto.as_deref().unwrap_or("all"))
    }
}

/// Splits a `--to-destination` value into its first address and its port part:
/// `172.17.0.2:80`, `[fd00::2]:80`, `10.0.0.3-10.0.0.5`, `fd00::2`.
fn nat_to(to: &str, ipv6: bool) -> (Option<std::net::IpAddr>, Option<String>) {
    let (addrs, port) = if let Some(rest) = to.strip_prefix('[') {
        match rest.split_once(']') {
            Some((a, p)) => (a, p.strip_prefix(':')),
            None => (rest, None),
        }
    } else if ipv6 {
        (to, None)
    } else {
        match to.split_once(':') {
            Some((a, p)) => (a, Some(p)),
            None => (to, None),
        }
    };
    let first = addrs.split('-').next().unwrap_or(addrs);
    (
        first.parse().ok(),
        port.filter(|p| !p.is_empty()).map(str::to_string),
    )
}

/// One `-A CHAIN …` line of `iptables -S`, taken apart by the parser `iptables -L` lays rules out
/// with: its addresses, protocol, interfaces, matches and target, for readers that follow rules
/// by their text (published ports, kube-proxy's chains).
#[derive(Debug)]
pub struct SavedRule {
    /// The chain it is in.
    pub chain: String,
    /// The line as given.
    pub text: String,
    parsed: Parsed,
}

/// A rule column: negated (`!`), and its value.
pub type Negatable = Option<(bool, String)>;

impl SavedRule {
    /// Takes an `-A CHAIN …` line apart; `None` for other lines (`-P`, `-N`) and for a rule
    /// without a spec.
    pub fn parse(line: &str) -> Option<SavedRule> {
        let rest = line.strip_prefix("-A ")?;
        let (chain, spec) = rest.split_once(' ')?;
        Some(SavedRule {
            chain: chain.to_string(),
            text: line.to_string(),
            parsed: parse(spec),
        })
    }

    /// `-s`.
    pub fn src(&self) -> &Negatable {
        &self.parsed.src
    }

    /// `-d`.
    pub fn dst(&self) -> &Negatable {
        &self.parsed.dst
    }

    /// `-i`.
    pub fn in_iface(&self) -> &Negatable {
        &self.parsed.iif
    }

    /// `-o`.
    pub fn out_iface(&self) -> &Negatable {
        &self.parsed.oif
    }

    /// `-p`.
    pub fn proto(&self) -> &Negatable {
        &self.parsed.proto
    }

    /// The target (`-j`/`-g`), empty when the rule has none.
    pub fn target(&self) -> &str {
        &self.parsed.target
    }

    /// True for `-g` (go to, no coming back).
    pub fn goto(&self) -> bool {
        self.parsed.goto
    }

    /// The names of its matches (`-m NAME`), in order.
    pub fn matches(&self) -> impl Iterator<Item = &str> {
        self.parsed.matches.iter().map(|(n, _)| n.as_str())
    }

    /// The first value of option `--key` of match `-m module` (any match when `module` is
    /// `None`), with its negation.
    pub fn match_opt(&self, module: Option<&str>, key: &str) -> Negatable {
        self.parsed
            .matches
            .iter()
            .filter(|(n, _)| module.is_none_or(|m| m == n))
            .flat_map(|(_, opts)| opts)
            .find(|o| o.key == key)
            .map(|o| (o.neg, first(o).to_string()))
    }

    /// The first value of the target's option `--key`.
    pub fn target_opt(&self, key: &str) -> Option<String> {
        self.parsed
            .target_opts
            .iter()
            .find(|o| o.key == key)
            .map(|o| first(o).to_string())
    }

    /// Its `-m comment --comment` text.
    pub fn comment(&self) -> Option<String> {
        self.match_opt(Some("comment"), "comment").map(|(_, c)| c)
    }
}

/// The DNAT rules among `iptables -S` lines (`-A CHAIN … -j DNAT --to-destination X`).
pub fn dnat_rules(lines: &[String], ipv6: bool) -> Vec<Dnat> {
    let neg = |v: &Negatable| {
        v.as_ref()
            .map(|(n, s)| if *n { format!("!{s}") } else { s.clone() })
    };
    lines
        .iter()
        .filter_map(|l| {
            let r = SavedRule::parse(l)?;
            if r.target() != "DNAT" {
                return None;
            }
            let to = r.target_opt("to-destination")?;
            let dport = r
                .match_opt(None, "dport")
                .or_else(|| r.match_opt(None, "destination-port"))
                .map(|(_, p)| p);
            let (to_addr, to_port) = nat_to(&to, ipv6);
            Some(Dnat {
                chain: r.chain.clone(),
                ipv6,
                proto: r.proto().as_ref().map(|(_, s)| s.clone()),
                dst: neg(r.dst()),
                in_iface: neg(r.in_iface()),
                dport,
                to,
                to_addr,
                to_port,
            })
        })
        .collect()
}

/// The `iptables -S` lines of one table of the calling thread's namespace (`family` `ip` or
/// `ip6`): from nf_tables (`chains`, as iptables-nft wrote them) when it has that table, else,
/// for IPv4, from the legacy x_tables table; `None` when neither has it. Legacy needs
/// CAP_NET_ADMIN.
pub fn table_lines(
    chains: &[Chain],
    family: &str,
    table: &str,
) -> std::io::Result<Option<Vec<String>>> {
    if chains
        .iter()
        .any(|c| c.family == family && c.table == table)
    {
        return Ok(crate::iptsave::save(chains, family, table, false));
    }
    if family == "ip" && crate::legacy::tables().iter().any(|t| t == table) {
        let blob = crate::legacy::read(table)?;
        return Ok(Some(crate::legacy::save(&blob, false)));
    }
    Ok(None)
}

/// The DNAT rules of the calling thread's namespace: its nat tables in nf_tables (IPv4 and IPv6,
/// as iptables-nft wrote them) and, where nf_tables has no IPv4 nat table, the legacy one.
/// Needs CAP_NET_ADMIN.
pub fn dnat_here() -> std::io::Result<Vec<Dnat>> {
    let chains = crate::firewall::ruleset()?;
    let mut out = Vec::new();
    if let Some(lines) = table_lines(&chains, "ip", "nat")? {
        out.extend(dnat_rules(&lines, false));
    }
    if chains.iter().any(|c| c.family == "ip6" && c.table == "nat") {
        out.extend(dnat_rules(
            &crate::iptsave::save(&chains, "ip6", "nat", false).unwrap_or_default(),
            true,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnat_rules_take_dockers_published_ports_and_any_port_forward() {
        let lines: Vec<String> = [
            "-P PREROUTING ACCEPT",
            "-N DOCKER",
            "-A DOCKER -i docker0 -j RETURN",
            "-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p udp -m udp --dport 18081 -j DNAT --to-destination 172.17.0.2:81",
            "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 18080 -j DNAT --to-destination 172.17.0.2:80",
            "-A PREROUTING -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.3-10.0.0.5",
            "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let d = dnat_rules(&lines, false);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].chain, "DOCKER");
        assert_eq!(d[0].proto.as_deref(), Some("udp"));
        assert_eq!(d[0].dst.as_deref(), Some("127.0.0.1/32"));
        assert_eq!(d[0].in_iface.as_deref(), Some("!docker0"));
        assert_eq!(d[0].dport.as_deref(), Some("18081"));
        assert_eq!(d[0].to_addr, Some("172.17.0.2".parse().unwrap()));
        assert_eq!(d[0].to_port.as_deref(), Some("81"));
        assert_eq!(d[0].from_text(), "udp 127.0.0.1:18081");
        assert_eq!(d[1].from_text(), "tcp *:18080");
        assert_eq!(d[2].to_addr, Some("10.0.0.3".parse().unwrap()));
        assert_eq!(d[2].to_port, None);
        let v6 = dnat_rules(
            &["-A DOCKER ! -i docker0 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:8080".to_string()],
            true,
        );
        assert_eq!(v6[0].to_addr, Some("fd00::2".parse().unwrap()));
        assert_eq!(v6[0].to_port.as_deref(), Some("8080"));
        // A DNAT without its destination, or a truncated line, is no rule and no panic.
        assert!(dnat_rules(
            &[
                "-A X -j DNAT".to_string(),
                "-A".to_string(),
                "-A X".to_string()
            ],
            false
        )
        .is_empty());
    }

    #[test]
    fn words_undo_quotes() {
        assert_eq!(
            words(r#" -m comment --comment "ping from anywhere" -j LOG --log-prefix "a \"b\" ""#),
            [
                "-m",
                "comment",
                "--comment",
                "ping from anywhere",
                "-j",
                "LOG",
                "--log-prefix",
                "a \"b\" "
            ]
        );
    }

    #[test]
    fn counters_as_iptables_prints_them() {
        assert_eq!(num(4, false, true), "    4 ");
        assert_eq!(num(123_456, false, true), " 123K ");
        assert_eq!(num(123_456, true, true), "  123456 ");
        assert_eq!(num(0, false, false), "0 ");
    }

    #[test]
    fn a_rule_row() {
        let p = parse(" -s 10.1.2.3/32 -p tcp -m tcp ! --dport 8080 -j RETURN");
        assert_eq!(p.src, Some((false, "10.1.2.3/32".into())));
        assert_eq!(p.target, "RETURN");
        let mut s = String::new();
        match_text(&mut s, &p.matches[0].0, &p.matches[0].1, "tcp", true, false);
        assert_eq!(s, " tcp dpt:!8080");
    }
}
