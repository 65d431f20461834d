//! What `ip -d link` prints about a device's driver (`IFLA_INFO_DATA`) and its role under a
//! master (`IFLA_INFO_SLAVE_DATA`): `key value` pairs in iproute2 6.1's order.

use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoMacVlan, InfoPortData, InfoPortKind,
    InfoVxlan, MacVlanMode, VxlanDf,
};

/// One `key value` (or a bare word when the value is empty).
pub type Pair = (String, String);

fn pair(k: &str, v: impl ToString) -> Pair {
    (k.to_string(), v.to_string())
}

fn word(k: &str) -> Pair {
    (k.to_string(), String::new())
}

/// The IPv6 address generation mode, from `IFLA_AF_SPEC`.
pub fn addrgenmode(specs: &[AfSpecUnspec]) -> Option<String> {
    for s in specs {
        if let AfSpecUnspec::Inet6(v) = s {
            for a in v {
                if let AfSpecInet6::AddrGenMode(m) = a {
                    return Some(match m {
                        In6AddrGenMode::Eui64 => "eui64".into(),
                        In6AddrGenMode::None => "none".into(),
                        In6AddrGenMode::StablePrivacy => "stable_secret".into(),
                        In6AddrGenMode::Random => "random".into(),
                        In6AddrGenMode::Other(n) => n.to_string(),
                        _ => "unknown".into(),
                    });
                }
            }
        }
    }
    None
}

/// The master's kind (`bridge`, `bond`, …).
pub fn port_kind(k: &InfoPortKind) -> String {
    match k {
        InfoPortKind::Bond => "bond".into(),
        InfoPortKind::Bridge => "bridge".into(),
        InfoPortKind::Vrf => "vrf".into(),
        InfoPortKind::Team => "team".into(),
        InfoPortKind::Other(s) => s.clone(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The driver's data, for the kinds netshoot knows (vxlan, bridge, macvlan); empty for others.
pub fn kind_data(d: &InfoData) -> Vec<Pair> {
    match d {
        InfoData::Vxlan(v) => vxlan(v),
        InfoData::Bridge(v) => crate::details_bridge::bridge(v),
        InfoData::MacVlan(v) => macvlan(v),
        _ => Vec::new(),
    }
}

fn macvlan(attrs: &[InfoMacVlan]) -> Vec<Pair> {
    let mut out = Vec::new();
    let Some(mode) = attrs.iter().find_map(|a| match a {
        InfoMacVlan::Mode(m) => Some(*m),
        _ => None,
    }) else {
        return out;
    };
    out.push(pair(
        "mode",
        match mode {
            MacVlanMode::Private => "private",
            MacVlanMode::Vepa => "vepa",
            MacVlanMode::Bridge => "bridge",
            MacVlanMode::Passthrough => "passthru",
            MacVlanMode::Source => "source",
            _ => "unknown",
        },
    ));
    let flags = attrs
        .iter()
        .find_map(|a| match a {
            InfoMacVlan::Flags(f) => Some(f.bits()),
            _ => None,
        })
        .unwrap_or(0);
    if flags & 1 != 0 {
        out.push(word("nopromisc"));
    }
    if flags & 2 != 0 {
        out.push(word("nodst"));
    }
    for a in attrs {
        if let InfoMacVlan::BcQueueLen(n) = a {
            out.push(pair("bcqueuelen", n));
        }
    }
    for a in attrs {
        if let InfoMacVlan::BcQueueLenUsed(n) = a {
            out.push(pair("usedbcqueuelen", n));
        }
    }
    if matches!(mode, MacVlanMode::Source) {
        if let Some(n) = attrs.iter().find_map(|a| match a {
            InfoMacVlan::MacAddrCount(n) => Some(*n),
            _ => None,
        }) {
            out.push(word(&format!("remotes ({n})")));
            for a in attrs {
                if let InfoMacVlan::MacAddrData(v) = a {
                    for m in v {
                        if let InfoMacVlan::MacAddr(b) = m {
                            out.push(word(&crate::link::mac(b)));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The port's data under its master, for bridge ports; empty for others.
pub fn port_data(d: &InfoPortData) -> Vec<Pair> {
    match d {
        InfoPortData::BridgePort(v) => crate::details_bridge::bridge_port(v),
        _ => Vec::new(),
    }
}

fn vxlan(attrs: &[InfoVxlan]) -> Vec<Pair> {
    let get = |f: &dyn Fn(&InfoVxlan) -> bool| attrs.iter().find(|a| f(a));
    let mut out = Vec::new();
    if let Some(InfoVxlan::CollectMetadata(true)) =
        get(&|a| matches!(a, InfoVxlan::CollectMetadata(_)))
    {
        out.push(word("external"));
    }
    if let Some(InfoVxlan::Vnifilter(true)) = get(&|a| matches!(a, InfoVxlan::Vnifilter(_))) {
        out.push(word("vnifilter"));
    }
    if let Some(InfoVxlan::Id(id)) = get(&|a| matches!(a, InfoVxlan::Id(_))) {
        out.push(pair("id", id));
    }
    if let Some(InfoVxlan::Group(g)) = get(&|a| matches!(a, InfoVxlan::Group(_))) {
        if !g.is_unspecified() {
            out.push(pair(if g.is_multicast() { "group" } else { "remote" }, g));
        }
    } else if let Some(InfoVxlan::Group6(g)) = get(&|a| matches!(a, InfoVxlan::Group6(_))) {
        if !g.is_unspecified() {
            out.push(pair(if g.is_multicast() { "group" } else { "remote" }, g));
        }
    }
    if let Some(InfoVxlan::Local(l)) = get(&|a| matches!(a, InfoVxlan::Local(_))) {
        if !l.is_unspecified() {
            out.push(pair("local", l));
        }
    } else if let Some(InfoVxlan::Local6(l)) = get(&|a| matches!(a, InfoVxlan::Local6(_))) {
        if !l.is_unspecified() {
            out.push(pair("local", l));
        }
    }
    if let Some(InfoVxlan::Link(l)) = get(&|a| matches!(a, InfoVxlan::Link(_))) {
        if *l != 0 {
            // Named by the caller, who knows the interfaces (`dev NAME`).
            out.push(pair("dev", format!("@{l}")));
        }
    }
    if let Some(InfoVxlan::PortRange((lo, hi))) = get(&|a| matches!(a, InfoVxlan::PortRange(_))) {
        out.push(pair("srcport", format!("{lo} {hi}")));
    }
    if let Some(InfoVxlan::Port(p)) = get(&|a| matches!(a, InfoVxlan::Port(_))) {
        out.push(pair("dstport", p));
    }
    if let Some(InfoVxlan::Learning(false)) = get(&|a| matches!(a, InfoVxlan::Learning(_))) {
        out.push(word("nolearning"));
    }
    for (f, name) in [
        (
            &(|a: &InfoVxlan| matches!(a, InfoVxlan::Proxy(true))) as &dyn Fn(&InfoVxlan) -> bool,
            "proxy",
        ),
        (&|a: &InfoVxlan| matches!(a, InfoVxlan::Rsc(true)), "rsc"),
        (
            &|a: &InfoVxlan| matches!(a, InfoVxlan::L2Miss(true)),
            "l2miss",
        ),
        (
            &|a: &InfoVxlan| matches!(a, InfoVxlan::L3Miss(true)),
            "l3miss",
        ),
    ] {
        if get(f).is_some() {
            out.push(word(name));
        }
    }
    if let Some(InfoVxlan::Tos(t)) = get(&|a| matches!(a, InfoVxlan::Tos(_))) {
        match *t {
            0 => {}
            1 => out.push(pair("tos", "inherit")),
            t => out.push(pair("tos", format!("{t:#x}"))),
        }
    }
    if let Some(InfoVxlan::TtlInherit(x)) = get(&|a| matches!(a, InfoVxlan::TtlInherit(_))) {
        if *x != 0 {
            out.push(pair("ttl", "inherit"));
        }
    }
    let inherit = matches!(
        get(&|a| matches!(a, InfoVxlan::TtlInherit(_))),
        Some(InfoVxlan::TtlInherit(x)) if *x != 0
    );
    if !inherit {
        if let Some(InfoVxlan::Ttl(t)) = get(&|a| matches!(a, InfoVxlan::Ttl(_))) {
            if *t == 0 {
                out.push(pair("ttl", "auto"));
            } else {
                out.push(pair("ttl", t));
            }
        }
    }
    if let Some(InfoVxlan::Df(df)) = get(&|a| matches!(a, InfoVxlan::Df(_))) {
        match df {
            VxlanDf::Set => out.push(pair("df", "set")),
            VxlanDf::Inherit => out.push(pair("df", "inherit")),
            _ => {}
        }
    }
    if let Some(InfoVxlan::Label(l)) = get(&|a| matches!(a, InfoVxlan::Label(_))) {
        if *l != 0 {
            out.push(pair("flowlabel", format!("{:#x}", u32::from_be(*l))));
        }
    }
    if let Some(InfoVxlan::Ageing(a)) = get(&|a| matches!(a, InfoVxlan::Ageing(_))) {
        if *a == 0 {
            out.push(pair("ageing", "none"));
        } else {
            out.push(pair("ageing", a));
        }
    }
    if let Some(InfoVxlan::Limit(l)) = get(&|a| matches!(a, InfoVxlan::Limit(_))) {
        if *l != 0 {
            out.push(pair("maxaddr", l));
        }
    }
    for (f, name) in [
        (
            &(|a: &InfoVxlan| match a {
                InfoVxlan::UDPCsum(x) => Some(*x),
                _ => None,
            }) as &dyn Fn(&InfoVxlan) -> Option<bool>,
            "udpcsum",
        ),
        (
            &|a: &InfoVxlan| match a {
                InfoVxlan::UDPZeroCsumTX(x) => Some(*x),
                _ => None,
            },
            "udp6zerocsumtx",
        ),
        (
            &|a: &InfoVxlan| match a {
                InfoVxlan::UDPZeroCsumRX(x) => Some(*x),
                _ => None,
            },
            "udp6zerocsumrx",
        ),
    ] {
        if let Some(on) = attrs.iter().find_map(f) {
            out.push(word(&format!("{}{name}", if on { "" } else { "no" })));
        }
    }
    if get(&|a| matches!(a, InfoVxlan::RemCsumTX(true))).is_some() {
        out.push(word("remcsumtx"));
    }
    if get(&|a| matches!(a, InfoVxlan::RemCsumRX(true))).is_some() {
        out.push(word("remcsumrx"));
    }
    if get(&|a| matches!(a, InfoVxlan::Gbp)).is_some() {
        out.push(word("gbp"));
    }
    if get(&|a| matches!(a, InfoVxlan::Gpe)).is_some() {
        out.push(word("gpe"));
    }
    out
}
