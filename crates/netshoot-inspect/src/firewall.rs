//! nf_tables rule sets read over netlink (what iptables-nft and nft install), and an evaluator
//! that runs a chain's expressions against a synthetic packet: "would this SYN be dropped, and
//! by which rule?".
//!
//! Decoding is hand-written and bounds-checked: every attribute length is checked before it is
//! read, unknown attributes and expressions are kept by name, never trusted. The evaluator is
//! conservative: an expression it does not model makes its rule "not matching" (so the verdict
//! it reports is the one the modelled rules and the chain policy give).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netshoot_wire::{
    icmpv4, icmpv6, ip_proto, tcp, Icmpv4Repr, Icmpv6Repr, Ipv4Repr, Ipv6Repr, TcpRepr, UdpPacket,
    UdpRepr,
};

use crate::nfnl::{attrs, be32, be64, string};
use serde::{Deserialize, Serialize};

pub(crate) const NFT_MSG_GETCHAIN: u16 = 4;
pub(crate) const NFT_MSG_GETRULE: u16 = 7;

/// A verdict as nf_tables encodes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "verdict", content = "chain")]
pub enum Verdict {
    /// Accept.
    Accept,
    /// Drop.
    Drop,
    /// Jump to a chain (and come back).
    Jump(String),
    /// Go to a chain (no coming back).
    Goto(String),
    /// Return to the calling chain.
    Return,
    /// Go on with the next rule.
    Continue,
    /// Another code.
    Other(i32),
}

/// One expression of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "expr", rename_all = "lowercase")]
pub enum Expr {
    /// Load packet metadata into a register.
    Meta {
        /// `NFT_META_*` key.
        key: u32,
        /// Destination register.
        dreg: u32,
    },
    /// Load packet bytes into a register.
    Payload {
        /// 0 link layer, 1 network header, 2 transport header.
        base: u32,
        /// Offset in that header.
        offset: u32,
        /// Bytes.
        len: u32,
        /// Destination register.
        dreg: u32,
    },
    /// Load conntrack data into a register.
    Ct {
        /// `NFT_CT_*` key (0 = state).
        key: u32,
        /// Destination register.
        dreg: u32,
    },
    /// Compare a register with data.
    Cmp {
        /// Source register.
        sreg: u32,
        /// 0 eq, 1 neq, 2 lt, 3 lte, 4 gt, 5 gte.
        op: u32,
        /// The data.
        data: Vec<u8>,
    },
    /// `dreg = (sreg & mask) ^ xor`.
    Bitwise {
        /// Source register.
        sreg: u32,
        /// Destination register.
        dreg: u32,
        /// Bytes.
        len: u32,
        /// Mask.
        mask: Vec<u8>,
        /// Xor.
        xor: Vec<u8>,
    },
    /// A verdict (or data) into a register.
    Immediate {
        /// The verdict, when it is one.
        verdict: Option<Verdict>,
    },
    /// Packet and byte counters.
    Counter {
        /// Packets.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// An xtables target (iptables-nft's `-j REJECT`, `MASQUERADE`, …).
    Target {
        /// Its name.
        name: String,
        /// Its revision.
        rev: u32,
        /// Its `xt_*` info blob (decoded by [`crate::xt`]).
        #[serde(skip)]
        info: Vec<u8>,
    },
    /// An xtables match (`-m comment`, `-m addrtype`, …).
    Match {
        /// Its name.
        name: String,
        /// Its revision.
        rev: u32,
        /// Its `xt_*` info blob.
        #[serde(skip)]
        info: Vec<u8>,
    },
    /// `sreg` within (op 0) or outside (op 1) [from, to].
    Range {
        /// Source register.
        sreg: u32,
        /// 0 eq (inside), 1 neq (outside).
        op: u32,
        /// Lower bound.
        from: Vec<u8>,
        /// Upper bound.
        to: Vec<u8>,
    },
    /// nf_tables' own reject.
    Reject {
        /// 0 ICMP unreachable, 1 TCP reset, 2 ICMPx (inet) unreachable.
        kind: u32,
        /// The ICMP code.
        code: u8,
    },
    /// nf_tables' own log.
    Log {
        /// Its prefix.
        prefix: Option<String>,
    },
    /// Data loaded into a register (an immediate that is no verdict).
    Load {
        /// Destination register.
        dreg: u32,
        /// The value.
        data: Vec<u8>,
    },
    /// nf_tables' own source or destination NAT, its addresses and ports in registers.
    Nat {
        /// Destination NAT (else source NAT).
        dnat: bool,
        /// NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10).
        family: u32,
        /// Register of the lowest address.
        addr_min: Option<u32>,
        /// Register of the highest address.
        addr_max: Option<u32>,
        /// Register of the lowest port.
        proto_min: Option<u32>,
        /// Register of the highest port.
        proto_max: Option<u32>,
        /// NF_NAT_RANGE_* flags.
        flags: u32,
    },
    /// nf_tables' own masquerade, or redirect, with an optional port range in registers.
    Masq {
        /// `redirect` (else `masquerade`).
        redirect: bool,
        /// NF_NAT_RANGE_* flags.
        flags: u32,
        /// Register of the lowest port.
        proto_min: Option<u32>,
        /// Register of the highest port.
        proto_max: Option<u32>,
    },
    /// A set lookup (`tcp dport { 22, 80 }`): the register is looked up in `set`.
    Lookup {
        /// Source register.
        sreg: u32,
        /// The set's name (`__set0` for an anonymous set).
        set: String,
        /// `!=`: matches when the value is not in the set.
        inverted: bool,
        /// A map's destination register: 0 for a verdict map (`vmap`), none for a set.
        #[serde(skip_serializing_if = "Option::is_none")]
        dreg: Option<u32>,
        /// The elements of an anonymous set or map, read after the rules.
        elements: Elements,
        /// Those elements are intervals (some end one), noted when they are read.
        #[serde(skip)]
        interval: bool,
    },
    /// A number generator (`numgen random mod 2`): a value below `modulus`, plus `offset`.
    Numgen {
        /// Destination register.
        dreg: u32,
        /// The modulus.
        modulus: u32,
        /// `random` (else `inc`).
        random: bool,
        /// Added to the value.
        offset: u32,
    },
    /// A FIB lookup (`fib daddr type local`).
    Fib {
        /// Destination register.
        dreg: u32,
        /// NFT_FIB_RESULT_*: 1 oif, 2 oifname, 3 address type.
        result: u32,
        /// NFTA_FIB_F_*: 1 saddr, 2 daddr, 4 mark, 8 iif, 16 oif, 32 present.
        flags: u32,
    },
    /// nf_tables' own limit (iptables-nft writes `-m limit` as one).
    Limit {
        /// Tokens per `unit`.
        rate: u64,
        /// The period in seconds.
        unit: u64,
        /// Burst.
        burst: u32,
        /// Bytes (else packets).
        bytes: bool,
        /// `limit rate over`: matches above the rate.
        over: bool,
    },
    /// Anything else, by name.
    Other {
        /// The expression's name.
        name: String,
    },
}

/// One rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Handle.
    pub handle: u64,
    /// Its expressions in order.
    pub exprs: Vec<Expr>,
    /// An `iptables -S`-like rendering.
    pub text: String,
}

/// One chain with its rules.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// `ip`, `ip6`, `inet`, `bridge`, `arp`, `netdev`.
    pub family: &'static str,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub name: String,
    /// Netfilter hook for a base chain (0 prerouting, 1 input, 2 forward, 3 output, 4
    /// postrouting).
    pub hook: Option<u32>,
    /// Base chain priority.
    pub priority: Option<i32>,
    /// Base chain policy.
    pub policy: Option<Verdict>,
    /// The policy's counters (packets, bytes), for a base chain.
    pub counters: Option<(u64, u64)>,
    /// Base chain type: `filter`, `nat`, `route`.
    pub kind: Option<String>,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

fn family_name(f: u8) -> &'static str {
    match f {
        1 => "inet",
        2 => "ip",
        3 => "arp",
        5 => "netdev",
        7 => "bridge",
        10 => "ip6",
        _ => "unknown",
    }
}

/// `NFTA_DATA_VALUE` inside a nested data attribute.
fn data_value(b: &[u8]) -> Vec<u8> {
    attrs(b)
        .into_iter()
        .find(|(t, _)| *t == 1)
        .map(|(_, v)| v.to_vec())
        .unwrap_or_default()
}

fn verdict_of(b: &[u8]) -> Option<Verdict> {
    let mut code = None;
    let mut chain = None;
    for (t, v) in attrs(b) {
        match t {
            1 => code = be32(v).map(|c| c as i32),
            2 => chain = Some(string(v)),
            _ => {}
        }
    }
    Some(match code? {
        0 => Verdict::Drop,
        1 => Verdict::Accept,
        -1 => Verdict::Continue,
        -3 => Verdict::Jump(chain.unwrap_or_default()),
        -4 => Verdict::Goto(chain.unwrap_or_default()),
        -5 => Verdict::Return,
        c => Verdict::Other(c),
    })
}

fn expr_of(name: &str, d: &[u8]) -> Expr {
    let a = attrs(d);
    let u = |t: u16| a.iter().find(|(x, _)| *x == t).and_then(|(_, v)| be32(v));
    let raw = |t: u16| a.iter().find(|(x, _)| *x == t).map(|(_, v)| *v);
    match name {
        "meta" => Expr::Meta {
            key: u(2).unwrap_or(u32::MAX),
            dreg: u(1).unwrap_or(0),
        },
        "payload" => Expr::Payload {
            dreg: u(1).unwrap_or(0),
            base: u(2).unwrap_or(u32::MAX),
            offset: u(3).unwrap_or(0),
            len: u(4).unwrap_or(0),
        },
        "ct" => Expr::Ct {
            dreg: u(1).unwrap_or(0),
            key: u(2).unwrap_or(u32::MAX),
        },
        "cmp" => Expr::Cmp {
            sreg: u(1).unwrap_or(0),
            op: u(2).unwrap_or(0),
            data: raw(3).map(data_value).unwrap_or_default(),
        },
        "bitwise" => Expr::Bitwise {
            sreg: u(1).unwrap_or(0),
            dreg: u(2).unwrap_or(0),
            len: u(3).unwrap_or(0),
            mask: raw(4).map(data_value).unwrap_or_default(),
            xor: raw(5).map(data_value).unwrap_or_default(),
        },
        // Data for a register (a NAT address or port), or a verdict.
        "immediate" if raw(2).is_some_and(|v| attrs(v).iter().any(|(t, _)| *t == 1)) => {
            Expr::Load {
                dreg: u(1).unwrap_or(0),
                data: raw(2).map(data_value).unwrap_or_default(),
            }
        }
        "immediate" => Expr::Immediate {
            verdict: raw(2).and_then(|v| {
                attrs(v)
                    .into_iter()
                    .find(|(t, _)| *t == 2)
                    .and_then(|(_, vv)| verdict_of(vv))
            }),
        },
        "masq" | "redir" => Expr::Masq {
            redirect: name == "redir",
            flags: u(if name == "masq" { 1 } else { 3 }).unwrap_or(0),
            proto_min: u(if name == "masq" { 2 } else { 1 }),
            proto_max: u(if name == "masq" { 3 } else { 2 }),
        },
        "nat" => Expr::Nat {
            dnat: u(1) == Some(1),
            family: u(2).unwrap_or(0),
            addr_min: u(3),
            addr_max: u(4),
            proto_min: u(5),
            proto_max: u(6),
            flags: u(7).unwrap_or(0),
        },
        "counter" => Expr::Counter {
            bytes: raw(1).and_then(be64).unwrap_or(0),
            packets: raw(2).and_then(be64).unwrap_or(0),
        },
        "target" => Expr::Target {
            name: raw(1).map(string).unwrap_or_default(),
            rev: u(2).unwrap_or(0),
            info: raw(3).map(<[u8]>::to_vec).unwrap_or_default(),
        },
        "match" => Expr::Match {
            name: raw(1).map(string).unwrap_or_default(),
            rev: u(2).unwrap_or(0),
            info: raw(3).map(<[u8]>::to_vec).unwrap_or_default(),
        },
        "range" => Expr::Range {
            sreg: u(1).unwrap_or(0),
            op: u(2).unwrap_or(0),
            from: raw(3).map(data_value).unwrap_or_default(),
            to: raw(4).map(data_value).unwrap_or_default(),
        },
        "reject" => Expr::Reject {
            kind: u(1).unwrap_or(0),
            code: raw(2).and_then(|v| v.first().copied()).unwrap_or(0),
        },
        "log" => Expr::Log {
            prefix: raw(2).map(string),
        },
        "lookup" => Expr::Lookup {
            sreg: u(2).unwrap_or(0),
            set: raw(1).map(string).unwrap_or_default(),
            inverted: u(5).is_some_and(|f| f & 1 != 0),
            dreg: u(3),
            elements: Vec::new(),
            interval: false,
        },
        "numgen" => Expr::Numgen {
            dreg: u(1).unwrap_or(0),
            modulus: u(2).unwrap_or(0),
            random: u(3) == Some(1),
            offset: u(4).unwrap_or(0),
        },
        "fib" => Expr::Fib {
            dreg: u(1).unwrap_or(0),
            result: u(2).unwrap_or(0),
            flags: u(3).unwrap_or(0),
        },
        "limit" => Expr::Limit {
            rate: raw(1).and_then(be64).unwrap_or(0),
            unit: raw(2).and_then(be64).unwrap_or(1),
            burst: u(3).unwrap_or(0),
            bytes: u(4) == Some(1),
            over: u(5).is_some_and(|f| f & 1 != 0),
        },
        other => Expr::Other { name: other.into() },
    }
}

fn exprs_of(b: &[u8]) -> Vec<Expr> {
    attrs(b)
        .into_iter()
        .filter(|(t, _)| *t == 1)
        .map(|(_, elem)| {
            let e = attrs(elem);
            let name = e
                .iter()
                .find(|(t, _)| *t == 1)
                .map(|(_, v)| string(v))
                .unwrap_or_default();
            let data = e
                .iter()
                .find(|(t, _)| *t == 2)
                .map(|(_, v)| *v)
                .unwrap_or(&[]);
            expr_of(&name, data)
        })
        .collect()
}

pub(crate) const NFT_MSG_GETSETELEM: u16 = 13;

fn family_number(f: &str) -> u8 {
    match f {
        "inet" => 1,
        "ip" => 2,
        "arp" => 3,
        "netdev" => 5,
        "bridge" => 7,
        "ip6" => 10,
        _ => 0,
    }
}

/// One element of a set or map.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Element {
    /// Its key (a concatenation's fields each padded to 4 bytes).
    pub key: Vec<u8>,
    /// True for the end of an interval (the value after its last one).
    pub end: bool,
    /// A verdict map's verdict for the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// A data map's value for the key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub value: Vec<u8>,
    /// Its comment (`comment "…"`, kept in the element's user data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A set's elements, in kernel order.
pub type Elements = Vec<Element>;

/// The comment in an element's user data (nftnl's TLVs: type 0 is the comment, NUL-ended).
fn udata_comment(b: &[u8]) -> Option<String> {
    let mut i = 0;
    while i + 2 <= b.len() {
        let (t, l) = (b[i], b[i + 1] as usize);
        let v = b.get(i + 2..i + 2 + l)?;
        if t == 0 {
            return Some(string(v));
        }
        i += 2 + l;
    }
    None
}

/// The elements of one set.
fn set_elements(family: &str, table: &str, set: &str) -> io::Result<Elements> {
    let nul = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    };
    let mut req = crate::nfnl::attr(1, &nul(table));
    req.extend(crate::nfnl::attr(2, &nul(set)));
    Ok(elements_from(&crate::nfnl::dump_with(
        crate::nfnl::SUBSYS_NFTABLES,
        NFT_MSG_GETSETELEM,
        family_number(family),
        &req,
    )?))
}

/// A set's elements from the kernel's `NFT_MSG_GETSETELEM` replies (family, attributes).
#[doc(hidden)]
pub fn elements_from(replies: &[(u8, Vec<u8>)]) -> Elements {
    let mut out = Vec::new();
    for (_, body) in replies {
        for (t, list) in attrs(body) {
            if t != 3 {
                continue;
            }
            for (_, elem) in attrs(list).into_iter().filter(|(t, _)| *t == 1) {
                let e = attrs(elem);
                let get = |t: u16| e.iter().find(|(x, _)| *x == t).map(|(_, v)| *v);
                let key = get(1).map(data_value).unwrap_or_default();
                let end = get(3).and_then(be32).is_some_and(|f| f & 1 != 0);
                // NFTA_SET_ELEM_DATA: a value or (NFTA_DATA_VERDICT) a verdict.
                let data = get(2).map(attrs).unwrap_or_default();
                let verdict = data
                    .iter()
                    .find(|(t, _)| *t == 2)
                    .and_then(|(_, v)| verdict_of(v));
                let value = data
                    .iter()
                    .find(|(t, _)| *t == 1)
                    .map(|(_, v)| v.to_vec())
                    .unwrap_or_default();
                out.push(Element {
                    key,
                    end,
                    verdict,
                    value,
                    comment: get(6).and_then(udata_comment),
                });
            }
        }
    }
    out
}

pub(crate) const NFT_MSG_GETSET: u16 = 10;

/// A named set (`set NAME { type …; elements = { … } }`).
#[derive(Debug, Clone, Serialize)]
pub struct Set {
    /// `ip`, `ip6`, `inet`, …
    pub family: &'static str,
    /// Table name.
    pub table: String,
    /// Set name.
    pub name: String,
    /// NFT_SET_* flags (constant 0x2, interval 0x4, map 0x8, timeout 0x10, dynamic 0x20).
    pub flags: u32,
    /// nft's datatype id of the key (7 ipv4_addr, 8 ipv6_addr, 13 inet_service, …).
    pub key_type: u32,
    /// Key length in bytes.
    pub key_len: u32,
    /// A map's data type (0xffffff00 for verdicts), none for a set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<u32>,
    /// Its elements.
    #[serde(skip)]
    pub elements: Elements,
}

/// `NFT_DATA_VERDICT`: the data type of a verdict map.
pub const DATA_VERDICT: u32 = 0xffff_ff00;

/// Every named (not anonymous) set of the calling thread's namespace with its elements, in
/// kernel order.
pub fn sets() -> io::Result<Vec<Set>> {
    Ok(sets_from(&nft_dump(NFT_MSG_GETSET)?, |f, t, s| {
        set_elements(f, t, s).unwrap_or_default()
    }))
}

/// The named sets in the kernel's `NFT_MSG_GETSET` replies (family, attributes), each with
/// the elements `elements(family, table, set)` gives.
#[doc(hidden)]
pub fn sets_from(
    replies: &[(u8, Vec<u8>)],
    mut elements: impl FnMut(&str, &str, &str) -> Elements,
) -> Vec<Set> {
    let mut out = Vec::new();
    for (fam, body) in replies {
        let a = attrs(body);
        let s = |t: u16| {
            a.iter()
                .find(|(x, _)| *x == t)
                .map(|(_, v)| string(v))
                .unwrap_or_default()
        };
        let u = |t: u16| a.iter().find(|(x, _)| *x == t).and_then(|(_, v)| be32(v));
        let flags = u(3).unwrap_or(0);
        if flags & 1 != 0 {
            continue;
        }
        let (table, name) = (s(1), s(2));
        let family = family_name(*fam);
        let elements = elements(family, &table, &name);
        out.push(Set {
            family,
            table,
            name,
            flags,
            key_type: u(4).unwrap_or(0),
            key_len: u(5).unwrap_or(0),
            data_type: u(6),
            elements,
        });
    }
    out
}

fn nft_dump(msg: u16) -> io::Result<Vec<(u8, Vec<u8>)>> {
    crate::nfnl::dump(crate::nfnl::SUBSYS_NFTABLES, msg, 0)
}

/// Every nf_tables chain of the calling thread's namespace with its rules, in kernel order.
/// Needs CAP_NET_ADMIN (EPERM otherwise).
pub fn ruleset() -> io::Result<Vec<Chain>> {
    let chains = nft_dump(NFT_MSG_GETCHAIN)?;
    let rules = nft_dump(NFT_MSG_GETRULE)?;
    Ok(ruleset_from(&chains, &rules, |f, t, s| {
        set_elements(f, t, s).unwrap_or_default()
    }))
}

/// The chains in the kernel's `NFT_MSG_GETCHAIN` replies with the rules of its
/// `NFT_MSG_GETRULE` replies (family, attributes), anonymous sets filled with the elements
/// `elements(family, table, set)` gives.
#[doc(hidden)]
pub fn ruleset_from(
    chain_replies: &[(u8, Vec<u8>)],
    rule_replies: &[(u8, Vec<u8>)],
    mut elements: impl FnMut(&str, &str, &str) -> Elements,
) -> Vec<Chain> {
    let mut chains: Vec<Chain> = Vec::new();
    for (fam, body) in chain_replies {
        let a = attrs(body);
        let s = |t: u16| {
            a.iter()
                .find(|(x, _)| *x == t)
                .map(|(_, v)| string(v))
                .unwrap_or_default()
        };
        let hook = a.iter().find(|(t, _)| *t == 4).map(|(_, v)| attrs(v));
        chains.push(Chain {
            family: family_name(*fam),
            table: s(1),
            name: s(3),
            hook: hook
                .as_ref()
                .and_then(|h| h.iter().find(|(t, _)| *t == 1).and_then(|(_, v)| be32(v))),
            priority: hook.as_ref().and_then(|h| {
                h.iter()
                    .find(|(t, _)| *t == 2)
                    .and_then(|(_, v)| be32(v))
                    .map(|p| p as i32)
            }),
            policy: a
                .iter()
                .find(|(t, _)| *t == 5)
                .and_then(|(_, v)| be32(v))
                .map(|p| match p {
                    0 => Verdict::Drop,
                    1 => Verdict::Accept,
                    c => Verdict::Other(c as i32),
                }),
            kind: a.iter().find(|(t, _)| *t == 7).map(|(_, v)| string(v)),
            counters: a.iter().find(|(t, _)| *t == 8).map(|(_, v)| {
                let c = attrs(v);
                let get = |t: u16| {
                    c.iter()
                        .find(|(x, _)| *x == t)
                        .and_then(|(_, v)| be64(v))
                        .unwrap_or(0)
                };
                (get(2), get(1))
            }),
            rules: Vec::new(),
        });
    }
    let mut index: HashMap<(&'static str, String, String), usize> = HashMap::new();
    for (i, c) in chains.iter().enumerate() {
        index.insert((c.family, c.table.clone(), c.name.clone()), i);
    }
    for (fam, body) in rule_replies {
        let a = attrs(body);
        let s = |t: u16| {
            a.iter()
                .find(|(x, _)| *x == t)
                .map(|(_, v)| string(v))
                .unwrap_or_default()
        };
        let key = (family_name(*fam), s(1), s(2));
        let exprs = a
            .iter()
            .find(|(t, _)| *t == 4)
            .map(|(_, v)| exprs_of(v))
            .unwrap_or_default();
        let handle = a
            .iter()
            .find(|(t, _)| *t == 3)
            .and_then(|(_, v)| be64(v))
            .unwrap_or(0);
        if let Some(&i) = index.get(&key) {
            let text = format!(
                "-A {}{}",
                chains[i].name,
                crate::iptsave::rule_spec(&exprs, chains[i].family == "ip6", false)
            );
            chains[i].rules.push(Rule {
                handle,
                exprs,
                text,
            });
        }
    }
    // Anonymous sets (`{ 22, 80 }`) belong to their rule: read their elements into it. A set
    // that cannot be read stays without elements.
    let mut cache: HashMap<(&'static str, String, String), Elements> = HashMap::new();
    for c in chains.iter_mut() {
        for r in c.rules.iter_mut() {
            for e in r.exprs.iter_mut() {
                if let Expr::Lookup {
                    set,
                    elements: set_elems,
                    interval,
                    ..
                } = e
                {
                    // `__set%d` and `__map%d`.
                    if !set.starts_with("__") {
                        continue;
                    }
                    let key = (c.family, c.table.clone(), set.clone());
                    if !cache.contains_key(&key) {
                        let got = elements(c.family, &c.table, set);
                        cache.insert(key.clone(), got);
                    }
                    set_elems.clone_from(&cache[&key]);
                    *interval = set_elems.iter().any(|e| e.end);
                }
            }
        }
    }
    chains
}

/// A rule as `iptables -S` prints it (`-A CHAIN …`), for people; the evaluator works on the
/// expressions.
pub fn render(chain: &str, exprs: &[Expr]) -> String {
    format!(
        "-A {chain}{}",
        crate::iptsave::rule_spec(exprs, false, false)
    )
}

/// The packet the evaluator imagines: a TCP SYN (a new connection) or a UDP datagram.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Packet {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// 6 (TCP), 17 (UDP), 1 (ICMP) or 58 (ICMPv6): a SYN, a datagram, an echo request.
    pub proto: u8,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Input interface name (for input/forward hooks).
    pub iif: Option<String>,
    /// Output interface name (for forward/output hooks).
    pub oif: Option<String>,
    /// Where a destination NAT before the chains sends it (a kube-proxy Service's endpoint):
    /// the base chains of the prerouting and output hooks that run after NAT's priority
    /// (-100, dstnat) see this destination and port instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnat: Option<std::net::SocketAddr>,
}

/// What a hook's rule set does to a packet in the end (`accept`, `drop` or `reject` in text
/// and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PacketVerdict {
    /// The packet goes on.
    Accept,
    /// The packet is dropped silently.
    Drop,
    /// The packet is dropped and the sender told (an ICMP error or a TCP reset).
    Reject,
}

impl PacketVerdict {
    /// `accept`, `drop` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            PacketVerdict::Accept => "accept",
            PacketVerdict::Drop => "drop",
            PacketVerdict::Reject => "reject",
        }
    }
}

impl std::fmt::Display for PacketVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of walking a hook's chains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Accept, drop or reject.
    pub verdict: PacketVerdict,
    /// The rule that decided (`table/chain: text`), or the chain whose policy did.
    pub by: String,
    /// True when a chain policy (not a rule) decided.
    pub policy: bool,
}

impl Packet {
    /// Network and transport headers as bytes, for payload expressions: a real IPv4 (20 bytes)
    /// or IPv6 (40 bytes) header for the source's family, then a TCP SYN, a UDP header, an
    /// ICMP/ICMPv6 echo request, or (other protocols) 20 bytes starting with the ports.
    pub fn headers(&self) -> (Vec<u8>, Vec<u8>) {
        let l4 = self.transport();
        let mut ip = Vec::new();
        match (self.src, self.dst) {
            (IpAddr::V6(s), d) => {
                let d = match d {
                    IpAddr::V6(d) => d,
                    IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
                };
                let s = if self.dst.is_ipv6() {
                    s
                } else {
                    Ipv6Addr::UNSPECIFIED
                };
                let h = Ipv6Repr::new(s, d, self.proto, l4.len());
                ip.resize(h.header_len(), 0);
                let _ = h.emit(&mut ip);
            }
            (IpAddr::V4(s), d) => {
                let (s, d) = match d {
                    IpAddr::V4(d) => (s, d),
                    IpAddr::V6(_) => (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED),
                };
                let h = Ipv4Repr::new(s, d, self.proto, l4.len());
                ip.resize(h.header_len(), 0);
                let _ = h.emit(&mut ip);
            }
        }
        (ip, l4)
    }

    /// The transport header the packet would carry.
    fn transport(&self) -> Vec<u8> {
        let mut l4 = Vec::new();
        match self.proto {
            ip_proto::TCP => {
                let h = TcpRepr {
                    src_port: self.sport,
                    dst_port: self.dport,
                    flags: tcp::flags::SYN,
                    ..Default::default()
                };
                l4.resize(h.header_len(), 0);
                let _ = h.emit(&mut l4);
            }
            ip_proto::UDP => {
                let h = UdpRepr {
                    src_port: self.sport,
                    dst_port: self.dport,
                    payload_len: 0,
                };
                l4.resize(h.buffer_len(), 0);
                let _ = h.emit(&mut l4);
            }
            ip_proto::ICMP => {
                l4.resize(icmpv4::HEADER_LEN, 0);
                let _ = Icmpv4Repr::EchoRequest {
                    ident: self.sport,
                    seq_no: 1,
                }
                .emit(&mut l4);
            }
            ip_proto::ICMPV6 => {
                l4.resize(icmpv6::HEADER_LEN, 0);
                let addrs = match (self.src, self.dst) {
                    (IpAddr::V6(s), IpAddr::V6(d)) => Some((s, d)),
                    _ => None,
                };
                let _ = Icmpv6Repr::EchoRequest {
                    ident: self.sport,
                    seq_no: 1,
                }
                .emit(&mut l4, addrs.as_ref().map(|(s, d)| (s, d)));
            }
            _ => {
                // SCTP, DCCP, UDP-Lite…: the ports come first, as in UDP.
                l4.resize(20, 0);
                let mut u = UdpPacket::new_unchecked(&mut l4[..]);
                u.set_src_port(self.sport);
                u.set_dst_port(self.dport);
            }
        }
        l4
    }
}

fn ifname_bytes(n: &Option<String>) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    if let Some(n) = n {
        for (i, b) in n.bytes().take(15).enumerate() {
            v[i] = b;
        }
    }
    v
}

/// Register file offsets: NFT_REG_1..4 are 16 bytes each from 0; NFT_REG32_00..15 (8..23) 4
/// bytes each from 0.
pub(crate) fn reg_off(r: u32) -> Option<usize> {
    match r {
        1..=4 => Some((r as usize - 1) * 16),
        8..=23 => Some((r as usize - 8) * 4),
        _ => None,
    }
}

/// What the evaluator knows beyond the packet's headers. The default knows nothing more: a rule
/// that looks up a named set, draws a number, asks the FIB or translates addresses does not
/// match (what [`decide`] needs); kube-proxy's reader ([`crate::kubenft`]) fills it in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env<'a> {
    /// The named sets and maps of the rules' table, for lookups (`@service-ips`); with none,
    /// a lookup (of an anonymous set too) does not match.
    pub sets: Option<&'a [Set]>,
    /// The value `numgen` draws; none: the rule stops there as [`RuleOutcome::Split`] when
    /// `nat` is on (else it does not match).
    pub numgen: Option<u32>,
    /// Whether the destination is an address of this host (`fib daddr type local`).
    pub daddr_local: Option<bool>,
    /// Whether the source is (`fib saddr type local`).
    pub saddr_local: Option<bool>,
    /// Report `dnat to` as [`RuleOutcome::Nat`] and `numgen` as [`RuleOutcome::Split`].
    pub nat: bool,
    /// The elements of every set and map but interval ones (named, and anonymous in the
    /// rules) are sorted by key: lookups search them by halves.
    pub sorted: bool,
}

/// What one rule does to the packet.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// Its conditions do not hold (or it asks what the evaluator does not model).
    NoMatch,
    /// A verdict (`Continue` for a rule without one).
    Verdict(Verdict),
    /// A reject.
    Reject,
    /// A destination NAT to this address and port.
    Nat {
        /// The new destination address.
        addr: Option<IpAddr>,
        /// The new destination port.
        port: Option<u16>,
    },
    /// `numgen … mod N` with no value drawn: run the rule again with each of the N values.
    Split(u32),
}

/// The most values one `numgen` is split into (kube-proxy draws one per endpoint).
pub const MAX_SPLIT: u32 = 65_536;

/// Whether `value` is in a set's elements (`interval`: ranges of start and end elements,
/// compared as big-endian keys), and the element that holds it.
fn find_element<'e>(
    elements: &'e [Element],
    value: &[u8],
    interval: bool,
    sorted: bool,
) -> Option<&'e Element> {
    if !interval && sorted {
        return elements
            .binary_search_by(|e| e.key.as_slice().cmp(value))
            .ok()
            .and_then(|i| elements.get(i));
    }
    if !interval {
        return elements.iter().find(|e| !e.end && e.key == value);
    }
    // The greatest boundary at or below the value decides: a start holds it, an end does not.
    elements
        .iter()
        .filter(|e| e.key.len() == value.len() && e.key.as_slice() <= value)
        .max_by(|a, b| a.key.cmp(&b.key).then(b.end.cmp(&a.end)))
        .filter(|e| !e.end)
}

#[cfg(test)]
fn run_rule(exprs: &[Expr], pkt: &Packet, ip: &[u8], l4: &[u8]) -> RuleOutcome {
    run_rule_in(exprs, pkt, ip, l4, &Env::default())
}

/// Runs one rule's expressions against the packet whose headers are `ip` and `l4`.
pub fn run_rule_in(exprs: &[Expr], pkt: &Packet, ip: &[u8], l4: &[u8], env: &Env) -> RuleOutcome {
    let mut regs = [0u8; 80];
    // A value shorter than a 4-byte word is zero-padded to it, as the kernel stores it (a
    // concatenation's fields are compared padded).
    let put = |regs: &mut [u8; 80], r: u32, v: &[u8]| -> bool {
        let padded = v.len().div_ceil(4) * 4;
        match reg_off(r) {
            Some(o) if o + padded <= regs.len() => {
                regs[o..o + v.len()].copy_from_slice(v);
                regs[o + v.len()..o + padded].fill(0);
                true
            }
            _ => false,
        }
    };
    let get = |regs: &[u8; 80], r: u32, len: usize| -> Option<Vec<u8>> {
        let o = reg_off(r)?;
        regs.get(o..o + len).map(|s| s.to_vec())
    };
    for e in exprs {
        match e {
            Expr::Meta { key, dreg } => {
                let v: Vec<u8> = match key {
                    16 => vec![pkt.proto],                              // l4proto
                    15 => vec![if pkt.src.is_ipv4() { 2 } else { 10 }], // nfproto
                    1 => (if pkt.src.is_ipv4() { 0x0800u16 } else { 0x86dd })
                        .to_be_bytes()
                        .to_vec(),
                    6 => ifname_bytes(&pkt.iif),
                    7 => ifname_bytes(&pkt.oif),
                    _ => return RuleOutcome::NoMatch,
                };
                if !put(&mut regs, *dreg, &v) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let src = match base {
                    1 => ip,
                    2 => l4,
                    _ => return RuleOutcome::NoMatch,
                };
                let (o, l) = (*offset as usize, *len as usize);
                let Some(v) = src.get(o..o + l) else {
                    return RuleOutcome::NoMatch;
                };
                if !put(&mut regs, *dreg, v) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Ct { key: 0, dreg } => {
                // A new connection: conntrack state NEW (bit 3).
                if !put(&mut regs, *dreg, &8u32.to_ne_bytes()) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
            } => {
                let l = *len as usize;
                let Some(v) = get(&regs, *sreg, l) else {
                    return RuleOutcome::NoMatch;
                };
                if mask.len() < l || xor.len() < l {
                    return RuleOutcome::NoMatch;
                }
                let out: Vec<u8> = (0..l).map(|i| (v[i] & mask[i]) ^ xor[i]).collect();
                if !put(&mut regs, *dreg, &out) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Cmp { sreg, op, data } => {
                let Some(v) = get(&regs, *sreg, data.len()) else {
                    return RuleOutcome::NoMatch;
                };
                let ord = v.as_slice().cmp(data.as_slice());
                let ok = match op {
                    0 => ord.is_eq(),
                    1 => !ord.is_eq(),
                    2 => ord.is_lt(),
                    3 => ord.is_le(),
                    4 => ord.is_gt(),
                    5 => ord.is_ge(),
                    _ => false,
                };
                if !ok {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Load { dreg, data } => {
                if !put(&mut regs, *dreg, data) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Lookup {
                sreg,
                set,
                inverted,
                dreg,
                elements,
                interval,
            } => {
                let Some(sets) = env.sets else {
                    return RuleOutcome::NoMatch;
                };
                let (elements, key_len, interval) = if set.starts_with("__") {
                    let len = elements.first().map_or(0, |e| e.key.len());
                    (elements.as_slice(), len, *interval)
                } else {
                    match sets.iter().find(|s| &s.name == set) {
                        Some(s) => (
                            s.elements.as_slice(),
                            s.key_len as usize,
                            s.flags & 0x4 != 0,
                        ),
                        None => return RuleOutcome::NoMatch,
                    }
                };
                let Some(value) = (key_len > 0).then(|| get(&regs, *sreg, key_len)).flatten()
                else {
                    return RuleOutcome::NoMatch;
                };
                let found = find_element(elements, &value, interval, env.sorted);
                if found.is_some() == *inverted {
                    return RuleOutcome::NoMatch;
                }
                match (dreg, found) {
                    (Some(0), Some(el)) => match &el.verdict {
                        Some(v) => return RuleOutcome::Verdict(v.clone()),
                        None => return RuleOutcome::NoMatch,
                    },
                    (Some(r), Some(el)) if !put(&mut regs, *r, &el.value) => {
                        return RuleOutcome::NoMatch;
                    }
                    _ => {}
                }
            }
            Expr::Numgen {
                dreg,
                modulus,
                offset,
                ..
            } => {
                let value = match env.numgen {
                    Some(v) if v < *modulus => v,
                    None if env.nat && *modulus > 0 && *modulus <= MAX_SPLIT => {
                        return RuleOutcome::Split(*modulus)
                    }
                    _ => return RuleOutcome::NoMatch,
                };
                if !put(&mut regs, *dreg, &value.wrapping_add(*offset).to_ne_bytes()) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Fib {
                dreg,
                result: 3,
                flags,
            } => {
                // The address type of the source or destination (RTN_LOCAL 2, else
                // RTN_UNICAST 1), when known; other FIB questions are not modelled.
                let local = match flags & !0x20 {
                    1 => env.saddr_local,
                    2 => env.daddr_local,
                    _ => None,
                };
                let Some(local) = local else {
                    return RuleOutcome::NoMatch;
                };
                let rtn: u32 = if local { 2 } else { 1 };
                if !put(&mut regs, *dreg, &rtn.to_ne_bytes()) {
                    return RuleOutcome::NoMatch;
                }
            }
            Expr::Nat {
                dnat: true,
                family,
                addr_min,
                proto_min,
                ..
            } if env.nat => {
                let addr = addr_min.and_then(|r| match family {
                    2 => get(&regs, r, 4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(IpAddr::from),
                    10 => get(&regs, r, 16)
                        .and_then(|b| <[u8; 16]>::try_from(b).ok())
                        .map(IpAddr::from),
                    _ => None,
                });
                let port = proto_min
                    .and_then(|r| get(&regs, r, 2))
                    .map(|b| u16::from_be_bytes([b[0], b[1]]));
                return RuleOutcome::Nat { addr, port };
            }
            Expr::Counter { .. } => {}
            Expr::Reject { .. } => return RuleOutcome::Reject,
            Expr::Log { .. } => {}
            Expr::Immediate { verdict: Some(v) } => return RuleOutcome::Verdict(v.clone()),
            Expr::Immediate { verdict: None } => return RuleOutcome::NoMatch,
            Expr::Target { name, .. } => {
                return match name.as_str() {
                    "REJECT" => RuleOutcome::Reject,
                    // LOG, TRACE, NFLOG and friends do not decide.
                    "LOG" | "NFLOG" | "TRACE" | "MARK" | "CONNMARK" => {
                        RuleOutcome::Verdict(Verdict::Continue)
                    }
                    _ => RuleOutcome::NoMatch,
                };
            }
            // `-m comment` always matches; other xtables matches are not modelled.
            Expr::Match { name, .. } if name == "comment" => {}
            _ => return RuleOutcome::NoMatch,
        }
    }
    // A rule without a verdict (counters only) lets the packet go on.
    RuleOutcome::Verdict(Verdict::Continue)
}

/// Walks one chain (following jumps, at most 16 deep); `None` when the packet falls off the end
/// of a regular chain (back to the caller).
fn walk(
    chains: &[Chain],
    sets: Option<&TableSets>,
    c: &Chain,
    pkt: &Packet,
    ip: &[u8],
    l4: &[u8],
    depth: u8,
) -> Option<Decision> {
    if depth > 16 {
        return None;
    }
    let by = |r: &Rule| format!("{} {}/{}: {}", c.family, c.table, c.name, r.text);
    // The named sets of the chain's table, when known: its lookups are evaluated.
    let env = Env {
        sets: sets.map(|m| {
            m.get(&(c.family, c.table.as_str()))
                .map_or(&[][..], Vec::as_slice)
        }),
        ..Env::default()
    };
    for r in &c.rules {
        match run_rule_in(&r.exprs, pkt, ip, l4, &env) {
            RuleOutcome::NoMatch
            | RuleOutcome::Verdict(Verdict::Continue)
            | RuleOutcome::Nat { .. }
            | RuleOutcome::Split(_) => {}
            RuleOutcome::Reject => {
                return Some(Decision {
                    verdict: PacketVerdict::Reject,
                    by: by(r),
                    policy: false,
                })
            }
            RuleOutcome::Verdict(Verdict::Accept) => {
                return Some(Decision {
                    verdict: PacketVerdict::Accept,
                    by: by(r),
                    policy: false,
                })
            }
            RuleOutcome::Verdict(Verdict::Drop) => {
                return Some(Decision {
                    verdict: PacketVerdict::Drop,
                    by: by(r),
                    policy: false,
                })
            }
            RuleOutcome::Verdict(Verdict::Return) => return None,
            RuleOutcome::Verdict(Verdict::Jump(t)) | RuleOutcome::Verdict(Verdict::Goto(t)) => {
                let goto = matches!(
                    run_rule_in(&r.exprs, pkt, ip, l4, &env),
                    RuleOutcome::Verdict(Verdict::Goto(_))
                );
                if let Some(next) = chains
                    .iter()
                    .find(|x| x.family == c.family && x.table == c.table && x.name == t)
                {
                    if let Some(d) = walk(chains, sets, next, pkt, ip, l4, depth + 1) {
                        return Some(d);
                    }
                    if goto {
                        return None;
                    }
                }
            }
            RuleOutcome::Verdict(Verdict::Other(_)) => {}
        }
    }
    None
}

/// Named sets by (family, table).
type TableSets<'a> = HashMap<(&'a str, &'a str), Vec<Set>>;

/// What the calling namespace's rule set does to `pkt` at `hook` (1 input, 2 forward, 3
/// output): every base chain on that hook for the packet's family, in priority order; the first
/// drop or reject decides, else accept (with the deciding rule or policy named). A rule that
/// looks up a set does not match (see [`decide_with_sets`]).
pub fn decide(chains: &[Chain], hook: u32, pkt: &Packet) -> Decision {
    decide_in(chains, None, hook, pkt)
}

/// [`decide`] with the named sets and maps of the rule set ([`sets`]): lookups in them and in
/// anonymous sets are evaluated (`ip daddr @cluster-ips reject`, `tcp dport { 22, 80 } drop`,
/// verdict maps such as kube-proxy's `vmap @no-endpoint-services`).
pub fn decide_with_sets(chains: &[Chain], sets: &[Set], hook: u32, pkt: &Packet) -> Decision {
    let mut by_table: TableSets = HashMap::new();
    for s in sets {
        by_table
            .entry((s.family, s.table.as_str()))
            .or_default()
            .push(s.clone());
    }
    decide_in(chains, Some(&by_table), hook, pkt)
}

fn decide_in(chains: &[Chain], sets: Option<&TableSets>, hook: u32, pkt: &Packet) -> Decision {
    let fam = if pkt.src.is_ipv4() { "ip" } else { "ip6" };
    let mut bases: Vec<&Chain> = chains
        .iter()
        .filter(|c| c.hook == Some(hook) && (c.family == fam || c.family == "inet"))
        .collect();
    bases.sort_by_key(|c| c.priority.unwrap_or(0));
    let (ip, l4) = pkt.headers();
    let mut last = Decision {
        verdict: PacketVerdict::Accept,
        by: "no rule set on this hook".into(),
        policy: true,
    };
    let translated = pkt.dnat.map(|to| {
        let p = Packet {
            dst: to.ip(),
            dport: to.port(),
            dnat: None,
            ..pkt.clone()
        };
        let (ip, l4) = p.headers();
        (p, ip, l4)
    });
    for c in bases {
        // After the destination NAT (priority dstnat, -100) of prerouting and output, the
        // chains see the translated packet.
        let (pkt, ip, l4) = match &translated {
            Some((p, tip, tl4)) if matches!(hook, 0 | 3) && c.priority.unwrap_or(0) > -100 => {
                (p, tip, tl4)
            }
            _ => (pkt, &ip, &l4),
        };
        let d = walk(chains, sets, c, pkt, ip, l4, 0).unwrap_or_else(|| Decision {
            verdict: match c.policy {
                Some(Verdict::Drop) => PacketVerdict::Drop,
                _ => PacketVerdict::Accept,
            },
            by: format!(
                "{} {}/{} policy {}",
                c.family,
                c.table,
                c.name,
                match c.policy {
                    Some(Verdict::Drop) => "DROP",
                    _ => "ACCEPT",
                }
            ),
            policy: true,
        });
        if d.verdict != PacketVerdict::Accept {
            return d;
        }
        last = d;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_parsing_is_bounds_checked() {
        for junk in [
            &[][..],
            &[1][..],
            &[4, 0][..],
            &[255, 255, 1, 0, 9][..],
            &[8, 0, 1, 0, 1, 2][..],
        ] {
            let _ = attrs(junk);
            let _ = exprs_of(junk);
            let _ = verdict_of(junk);
        }
        // A well-formed attribute: len 8, type 1, value 0x00000001.
        let a = [8u8, 0, 1, 0, 0, 0, 0, 1];
        let v = attrs(&a);
        assert_eq!(v.len(), 1);
        assert_eq!(be32(v[0].1), Some(1));
    }

    fn drop_dport(port: u16) -> Vec<Expr> {
        vec![
            Expr::Meta { key: 16, dreg: 1 },
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![6],
            },
            Expr::Payload {
                base: 2,
                offset: 2,
                len: 2,
                dreg: 1,
            },
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: port.to_be_bytes().to_vec(),
            },
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            Expr::Immediate {
                verdict: Some(Verdict::Drop),
            },
        ]
    }

    #[test]
    fn evaluator_follows_rules_jumps_and_policies() {
        let pkt = Packet {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 6,
            sport: 40000,
            dport: 8080,
            iif: Some("eth0".into()),
            oif: None,
            dnat: None,
        };
        let chain =
            |name: &str, hook: Option<u32>, policy: Option<Verdict>, rules: Vec<Vec<Expr>>| Chain {
                family: "ip",
                table: "filter".into(),
                name: name.into(),
                hook,
                priority: Some(0),
                policy,
                counters: None,
                kind: None,
                rules: rules
                    .into_iter()
                    .map(|exprs| Rule {
                        handle: 1,
                        text: render(name, &exprs),
                        exprs,
                    })
                    .collect(),
            };
        let set = vec![
            chain(
                "INPUT",
                Some(1),
                Some(Verdict::Accept),
                vec![vec![Expr::Immediate {
                    verdict: Some(Verdict::Jump("USER".into())),
                }]],
            ),
            chain("USER", None, None, vec![drop_dport(9999), drop_dport(8080)]),
        ];
        let d = decide(&set, 1, &pkt);
        assert_eq!(d.verdict, PacketVerdict::Drop);
        assert!(d.by.contains("--dport 8080 -j DROP"), "{}", d.by);
        let other = Packet {
            dport: 22,
            ..pkt.clone()
        };
        let d = decide(&set, 1, &other);
        assert_eq!((d.verdict, d.policy), (PacketVerdict::Accept, true));
        let strict = vec![chain("FORWARD", Some(2), Some(Verdict::Drop), vec![])];
        assert_eq!(decide(&strict, 2, &pkt).verdict, PacketVerdict::Drop);
        assert_eq!(decide(&strict, 1, &pkt).verdict, PacketVerdict::Accept);
    }

    #[test]
    fn the_imagined_packet_has_real_ipv4_and_ipv6_headers() {
        let v6 = Packet {
            src: "2001:db8::1".parse().unwrap(),
            dst: "2001:db8::2".parse().unwrap(),
            proto: 6,
            sport: 40000,
            dport: 443,
            iif: None,
            oif: None,
            dnat: None,
        };
        let (ip, l4) = v6.headers();
        let p = netshoot_wire::Ipv6Packet::new_checked(&ip[..]).unwrap();
        assert_eq!((ip.len(), p.next_header()), (40, 6));
        assert_eq!(p.dst_addr(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
        // `ip6 daddr 2001:db8::2 drop` as nft compiles it: network header, offset 24, 16 bytes.
        let rule = vec![
            Expr::Payload {
                base: 1,
                offset: 24,
                len: 16,
                dreg: 1,
            },
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: p.dst_addr().octets().to_vec(),
            },
            Expr::Immediate {
                verdict: Some(Verdict::Drop),
            },
        ];
        assert!(matches!(
            run_rule(&rule, &v6, &ip, &l4),
            RuleOutcome::Verdict(Verdict::Drop)
        ));
        let t = netshoot_wire::TcpPacket::new_checked(&l4[..]).unwrap();
        assert_eq!(
            (t.src_port(), t.dst_port(), t.syn(), t.ack()),
            (40000, 443, true, false)
        );

        let v4 = Packet {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 17,
            ..v6.clone()
        };
        let (ip, l4) = v4.headers();
        let p = netshoot_wire::Ipv4Packet::new_checked(&ip[..]).unwrap();
        assert_eq!((ip.len(), p.protocol(), p.ttl()), (20, 17, 64));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert!(!matches!(
            run_rule(&rule, &v4, &ip, &l4),
            RuleOutcome::Verdict(Verdict::Drop)
        ));
        let u = netshoot_wire::UdpPacket::new_checked(&l4[..]).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.len()), (40000, 443, 8));
    }

    #[test]
    fn set_elements_carry_verdicts_and_comments() {
        use crate::nfnl::attr;
        // One element of a verdict map, as NFT_MSG_GETSETELEM gives it: key, data (a goto),
        // and user data holding the comment.
        let key = attr(1, &attr(1, &[10, 0, 0, 1]));
        let verdict = [attr(1, &(-4i32).to_be_bytes()), attr(2, b"reject-chain\0")].concat();
        let data = attr(2, &attr(2, &verdict));
        let udata = attr(6, &[0, 4, b'n', b's', b'/', 0]);
        let elem = attr(1, &[key, data, udata].concat());
        let body = [attr(1, b"kube-proxy\0"), attr(3, &elem)].concat();
        let got = elements_from(&[(2, body)]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key, [10, 0, 0, 1]);
        assert_eq!(got[0].verdict, Some(Verdict::Goto("reject-chain".into())));
        assert_eq!(got[0].comment.as_deref(), Some("ns/"));
        // A comment whose length runs past the data is none.
        assert_eq!(udata_comment(&[0, 9, b'x']), None);
    }

    #[test]
    fn interval_lookups_take_the_greatest_boundary_below() {
        let e = |k: [u8; 4], end: bool| Element {
            key: k.to_vec(),
            end,
            ..Default::default()
        };
        // { 10.0.0.0/8, 192.168.1.1 } as the kernel keeps it: starts and end flags.
        let set = vec![
            e([11, 0, 0, 0], true),
            e([10, 0, 0, 0], false),
            e([192, 168, 1, 2], true),
            e([192, 168, 1, 1], false),
        ];
        for (k, inside) in [
            ([10, 1, 2, 3], true),
            ([10, 0, 0, 0], true),
            ([11, 0, 0, 0], false),
            ([9, 255, 255, 255], false),
            ([192, 168, 1, 1], true),
            ([192, 168, 1, 2], false),
        ] {
            assert_eq!(
                find_element(&set, &k, true, false).is_some(),
                inside,
                "{k:?}"
            );
        }
        assert!(find_element(&set, &[10, 0, 0, 0], false, false).is_some());
        assert!(find_element(&set, &[10, 1, 2, 3], false, false).is_none());
        let mut plain: Vec<Element> = [[9, 0, 0, 1], [10, 0, 0, 1], [8, 0, 0, 1]]
            .iter()
            .map(|k| e(*k, false))
            .collect();
        plain.sort_by(|a, b| a.key.cmp(&b.key));
        for k in [[9, 0, 0, 1], [10, 0, 0, 1], [8, 0, 0, 1]] {
            assert_eq!(
                find_element(&plain, &k, false, true).map(|e| e.key.clone()),
                Some(k.to_vec())
            );
        }
        assert!(find_element(&plain, &[9, 0, 0, 2], false, true).is_none());
    }

    #[test]
    fn decide_with_sets_follows_verdict_maps() {
        let pkt = Packet {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.9".parse().unwrap(),
            proto: 6,
            sport: 40000,
            dport: 80,
            iif: None,
            oif: None,
            dnat: None,
        };
        let chain = |name: &str, hook: Option<u32>, exprs: Vec<Expr>| Chain {
            family: "ip",
            table: "t".into(),
            name: name.into(),
            hook,
            priority: Some(0),
            policy: Some(Verdict::Accept),
            counters: None,
            kind: None,
            rules: vec![Rule {
                handle: 1,
                text: String::new(),
                exprs,
            }],
        };
        // `ip daddr vmap @m` with `10.0.0.9 : goto rej`, and `rej` rejects.
        let chains = vec![
            chain(
                "out",
                Some(3),
                vec![
                    Expr::Payload {
                        base: 1,
                        offset: 16,
                        len: 4,
                        dreg: 1,
                    },
                    Expr::Lookup {
                        sreg: 1,
                        set: "m".into(),
                        inverted: false,
                        dreg: Some(0),
                        elements: Vec::new(),
                        interval: false,
                    },
                ],
            ),
            chain("rej", None, vec![Expr::Reject { kind: 0, code: 3 }]),
        ];
        let sets = vec![Set {
            family: "ip",
            table: "t".into(),
            name: "m".into(),
            flags: 0x8,
            key_type: 7,
            key_len: 4,
            data_type: Some(DATA_VERDICT),
            elements: vec![Element {
                key: vec![10, 0, 0, 9],
                verdict: Some(Verdict::Goto("rej".into())),
                ..Default::default()
            }],
        }];
        assert_eq!(decide(&chains, 3, &pkt).verdict, PacketVerdict::Accept);
        let d = decide_with_sets(&chains, &sets, 3, &pkt);
        assert_eq!(d.verdict, PacketVerdict::Reject, "{d:?}");
        assert!(d.by.contains("t/rej"), "{}", d.by);
        // Another address is not in the map; a set of another table is not this one's.
        let other = Packet {
            dst: "10.0.0.8".parse().unwrap(),
            ..pkt.clone()
        };
        assert_eq!(
            decide_with_sets(&chains, &sets, 3, &other).verdict,
            PacketVerdict::Accept
        );
        let foreign: Vec<Set> = sets
            .iter()
            .map(|s| Set {
                table: "u".into(),
                ..s.clone()
            })
            .collect();
        assert_eq!(
            decide_with_sets(&chains, &foreign, 3, &pkt).verdict,
            PacketVerdict::Accept
        );
    }
}
