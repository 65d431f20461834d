//! Routes (`ip route`) and route lookups (`ip route get`).

use std::io;
use std::net::IpAddr;

use netlink_packet_route::address::AddressScope;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteMetric, RouteProtocol,
    RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde::Serialize;

use crate::netlink::{dump, request};

/// One route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `default`, or the destination prefix (`10.0.0.0/24`, `fd00::/64`), or for a lookup the
    /// address looked up.
    pub dst: String,
    /// Route type when not plain unicast (`local`, `broadcast`, `blackhole`, `unreachable`,
    /// `prohibit`, `multicast`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Next hop.
    pub gateway: Option<IpAddr>,
    /// Output device name.
    pub dev: Option<String>,
    /// Output device index.
    pub oif: Option<u32>,
    /// Who installed it (`kernel`, `boot`, `static`, `dhcp`, `ra`, …); `None` for `boot`, the
    /// default, which `ip route` does not print.
    pub protocol: Option<String>,
    /// Scope when not `global` (`link`, `host`).
    pub scope: Option<String>,
    /// Preferred source address.
    pub prefsrc: Option<IpAddr>,
    /// Metric.
    pub metric: Option<u32>,
    /// Routing table id (254 is `main`, 255 `local`).
    pub table: u32,
    /// `inet` or `inet6`.
    pub family: &'static str,
    /// `from PREFIX` (a source-specific route, or what `ip route get` echoes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Raw `rtm_flags` (`RTM_F_CLONED`, `RTNH_F_LINKDOWN`, …, and the `RTCF_*` cache bits of
    /// a lookup).
    pub rtm_flags: u32,
    /// IPv6 router preference (`low`, `medium`, `high`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pref: Option<String>,
    /// The uid a lookup was made for (`ip route get`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Seconds until the route expires (`RTA_CACHEINFO`), when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// `RTA_CACHEINFO`: users, uses, and seconds since last use (`ip -s route`; `None` when
    /// the kernel says the entry was never used, so `age 0sec` is told from no age at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<(u32, u32, Option<u32>)>,
    /// `RTA_CACHEINFO`'s error, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<u32>,
    /// Route metrics (`mtu 1400`, `advmss 1360`, …) as name and value, in kernel order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<(String, String)>,
    /// A multipath route's next hops (`nexthop via … dev …`), in kernel order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nexthops: Vec<NextHop>,
    /// The `advmss` metric (bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advmss: Option<u32>,
    /// The `window` metric (bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// The `rtt` metric as the kernel stores it (1/8 ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<u32>,
}

/// One next hop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextHop {
    /// Its gateway.
    pub gateway: Option<IpAddr>,
    /// Its device name.
    pub dev: Option<String>,
    /// Its weight (`rtnh_hops` + 1).
    pub weight: u16,
}

/// Which routes to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The main table (what `ip route` shows).
    Main,
    /// Every table (`ip route show table all`).
    All,
    /// One table by id.
    Id(u32),
}

/// Address family selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// Routes of the calling thread's namespace, in kernel order.
pub fn routes(family: Family, table: Table) -> io::Result<Vec<Route>> {
    let mut msg = RouteMessage::default();
    msg.header.address_family = af(family);
    let names = crate::link::interfaces()?;
    let out = dump(RouteNetlinkMessage::GetRoute(msg))?
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewRoute(r) => Some(route_of(&r, &names)),
            _ => None,
        })
        .filter(|r| match table {
            Table::Main => r.table == RouteHeader::RT_TABLE_MAIN as u32,
            Table::All => true,
            Table::Id(t) => r.table == t,
        })
        .collect();
    Ok(out)
}

/// The route the kernel would use for `dst` (`ip route get DST`). `ENETUNREACH` and
/// `EHOSTUNREACH` come back as errors with those kinds' raw OS codes.
pub fn route_get(dst: IpAddr) -> io::Result<Route> {
    let mut msg = RouteMessage::default();
    msg.header.address_family = match dst {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    msg.header.destination_prefix_length = if dst.is_ipv4() { 32 } else { 128 };
    msg.attributes
        .push(RouteAttribute::Destination(RouteAddress::from(dst)));
    let names = crate::link::interfaces()?;
    let replies = request(RouteNetlinkMessage::GetRoute(msg))?;
    replies
        .into_iter()
        .find_map(|m| match m {
            RouteNetlinkMessage::NewRoute(r) => Some(route_of(&r, &names)),
            _ => None,
        })
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no route in the kernel's reply"))
}

fn af(f: Family) -> AddressFamily {
    match f {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    }
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    }
}

fn route_of(r: &RouteMessage, ifs: &[crate::Interface]) -> Route {
    let h = &r.header;
    let mut dst = None;
    let mut out = Route {
        dst: String::new(),
        kind: match h.kind {
            RouteType::Unicast => None,
            RouteType::Local => Some("local".into()),
            RouteType::Broadcast => Some("broadcast".into()),
            RouteType::Anycast => Some("anycast".into()),
            RouteType::Multicast => Some("multicast".into()),
            RouteType::BlackHole => Some("blackhole".into()),
            RouteType::Unreachable => Some("unreachable".into()),
            RouteType::Prohibit => Some("prohibit".into()),
            RouteType::Throw => Some("throw".into()),
            RouteType::Nat => Some("nat".into()),
            other => Some(format!("{other:?}").to_lowercase()),
        },
        gateway: None,
        dev: None,
        oif: None,
        protocol: match h.protocol {
            RouteProtocol::Boot => None,
            RouteProtocol::Kernel => Some("kernel".into()),
            RouteProtocol::Static => Some("static".into()),
            RouteProtocol::Dhcp => Some("dhcp".into()),
            RouteProtocol::Ra => Some("ra".into()),
            RouteProtocol::IcmpRedirect => Some("redirect".into()),
            RouteProtocol::Unspec => None,
            other => Some(format!("{other:?}").to_lowercase()),
        },
        scope: match h.scope {
            RouteScope::Universe => None,
            RouteScope::Link => Some("link".into()),
            RouteScope::Host => Some("host".into()),
            RouteScope::Site => Some("site".into()),
            RouteScope::NoWhere => Some("nowhere".into()),
            other => Some(crate::link::scope_name(AddressScope::from(u8::from(other)))),
        },
        prefsrc: None,
        metric: None,
        table: h.table as u32,
        family: if h.address_family == AddressFamily::Inet6 {
            "inet6"
        } else {
            "inet"
        },
        from: None,
        rtm_flags: h.flags.bits(),
        pref: None,
        uid: None,
        expires: None,
        usage: None,
        error: None,
        metrics: Vec::new(),
        nexthops: Vec::new(),
        advmss: None,
        window: None,
        rtt: None,
    };
    let full = if h.address_family == AddressFamily::Inet6 {
        128
    } else {
        32
    };
    let dev_name = |i: u32| ifs.iter().find(|x| x.index == i).map(|x| x.name.clone());
    for a in &r.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = ip_of(d),
            RouteAttribute::Gateway(g) => out.gateway = ip_of(g),
            RouteAttribute::PrefSource(p) => out.prefsrc = ip_of(p),
            RouteAttribute::Oif(i) => out.oif = Some(*i),
            RouteAttribute::Priority(p) => out.metric = Some(*p),
            RouteAttribute::Table(t) => out.table = *t,
            RouteAttribute::Source(src) => {
                if let Some(ip) = ip_of(src) {
                    out.from = Some(if h.source_prefix_length == full {
                        ip.to_string()
                    } else {
                        format!("{ip}/{}", h.source_prefix_length)
                    });
                }
            }
            RouteAttribute::Preference(p) => {
                out.pref = Some(match u8::from(*p) {
                    3 => "low".into(),
                    0 => "medium".into(),
                    1 => "high".into(),
                    n => n.to_string(),
                })
            }
            RouteAttribute::Uid(u) => out.uid = Some(*u),
            RouteAttribute::CacheInfo(c) => {
                // The kernel gives expiry in clock ticks (USER_HZ, 100 on Linux).
                if c.expires != 0 {
                    out.expires = Some((c.expires as i32 as i64) / 100);
                }
                if c.error != 0 {
                    out.error = Some(c.error);
                }
                // iproute2 prints the age whenever the kernel's value is not 0, also `age 0sec`.
                let age = (c.last_use != 0).then_some(c.last_use / 100);
                out.usage = Some((c.clntref, c.used, age));
            }
            RouteAttribute::Metrics(ms) => {
                for m in ms {
                    // The numbers route -e needs, raw; the names and values ip prints.
                    match m {
                        RouteMetric::Advmss(v) => out.advmss = Some(*v),
                        RouteMetric::Window(v) => out.window = Some(*v),
                        RouteMetric::Rtt(v) => out.rtt = Some(*v),
                        _ => {}
                    }
                    if let Some((n, v)) = metric_of(m) {
                        out.metrics.push((n, v));
                    }
                }
            }
            RouteAttribute::MultiPath(hops) => {
                for hop in hops {
                    let gateway = hop.attributes.iter().find_map(|a| match a {
                        RouteAttribute::Gateway(g) => ip_of(g),
                        _ => None,
                    });
                    out.nexthops.push(NextHop {
                        gateway,
                        dev: dev_name(hop.interface_index),
                        weight: hop.hops as u16 + 1,
                    });
                }
            }
            _ => {}
        }
    }
    if out.from.is_none() && h.source_prefix_length != 0 {
        out.from = Some(format!("0/{}", h.source_prefix_length));
    }
    out.dev = out
        .oif
        .and_then(|i| ifs.iter().find(|x| x.index == i).map(|x| x.name.clone()));
    out.dst = match dst {
        None => "default".into(),
        Some(ip) => {
            let full = if ip.is_ipv4() { 32 } else { 128 };
            if h.destination_prefix_length == full {
                ip.to_string()
            } else {
                format!("{ip}/{}", h.destination_prefix_length)
            }
        }
    };
    out
}

fn metric_of(m: &netlink_packet_route::route::RouteMetric) -> Option<(String, String)> {
    use netlink_packet_route::route::RouteMetric as M;
    let (n, v) = match m {
        M::Lock(v) => ("lock", *v),
        M::Mtu(v) => ("mtu", *v),
        M::Window(v) => ("window", *v),
        M::Rtt(v) => ("rtt", *v),
        M::RttVar(v) => ("rttvar", *v),
        M::SsThresh(v) => ("ssthresh", *v),
        M::Cwnd(v) => ("cwnd", *v),
        M::Advmss(v) => ("advmss", *v),
        M::Reordering(v) => ("reordering", *v),
        M::Hoplimit(v) => ("hoplimit", *v),
        M::InitCwnd(v) => ("initcwnd", *v),
        M::Features(v) => ("features", *v),
        M::RtoMin(v) => ("rto_min", *v),
        M::InitRwnd(v) => ("initrwnd", *v),
        M::QuickAck(v) => ("quickack", *v),
        M::CcAlgo(v) => return Some(("congctl".into(), v.clone())),
        M::FastopenNoCookie(v) => ("fastopen_no_cookie", *v),
        _ => return None,
    };
    Some((n.to_string(), v.to_string()))
}

impl std::fmt::Display for Route {
    /// The `ip route` line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(k) = &self.kind {
            write!(f, "{k} ")?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(g) = self.gateway {
            write!(f, " via {g}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if self.table != RouteHeader::RT_TABLE_MAIN as u32 {
            match self.table {
                255 => write!(f, " table local")?,
                t => write!(f, " table {t}")?,
            }
        }
        if let Some(p) = &self.protocol {
            write!(f, " proto {p}")?;
        }
        if let Some(s) = &self.scope {
            write!(f, " scope {s}")?;
        }
        if let Some(s) = self.prefsrc {
            write!(f, " src {s}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        Ok(())
    }
}
