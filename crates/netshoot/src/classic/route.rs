//! `route` (net-tools 2.10), read-only: the kernel IPv4 routing table from our rtnetlink route
//! dump (the one `netshoot ip route` prints), as `/proc/net/route` and `route -n` show it.

use std::net::{IpAddr, Ipv4Addr};

use netshoot_inspect::names::Hosts;
use netshoot_inspect::{Family, Route, Table};

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["route"],
    about: "the kernel IPv4 routing table as net-tools prints it (read-only)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("n", Some('n'), &["numeric"], "numeric addresses"),
    Opt::flag(
        "e",
        Some('e'),
        &["extend"],
        "netstat -r's columns (MSS, Window, irtt)",
    ),
    Opt::flag(
        "v",
        Some('v'),
        &["verbose"],
        "accepted (nothing more to say)",
    ),
    Opt::flag("F", Some('F'), &["fib"], "the FIB (the default)"),
    Opt::flag("4", Some('4'), &[], "IPv4 (the default)"),
    Opt::value("A", Some('A'), &[], "FAMILY", "inet (the default)"),
    Opt::flag("json", None, &["json"], "JSON (netshoot's)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "6",
        Some('6'),
        &[],
        Takes::No,
        "IPv6 routes: `netshoot ip -6 route`",
    ),
    Opt::unsupported(
        "C",
        Some('C'),
        &["cache"],
        Takes::No,
        "the route cache is gone from Linux; route shows the FIB",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["symbolic"],
        Takes::No,
        "hardware names are not resolved; leave -N out",
    ),
];

/// route's grammar.
pub const SPEC: Spec = Spec {
    tool: "route",
    opts: OPTS,
    permute: true,
    usage: "[-nev] [-A inet]",
    notes: "\
Read-only: add, del and flush are refused (use `ip route` on the host for changes).
Without -n, 0.0.0.0/0 is `default` and addresses are named from /etc/hosts only (never DNS).
With -e, MSS is the advmss metric + 40, Window the window metric, irtt the rtt metric / 8.",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "route (netshoot {}): netshoot's own rtnetlink engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        let msg = match *a {
            "add" | "del" | "delete" | "flush" => format!(
                "'{a}' changes the routing table: netshoot is read-only; use `ip route {a} …` on the host"
            ),
            other => format!("unexpected operand '{other}': route takes options only (read-only)"),
        };
        return Err(usage("route", msg));
    }
    if p.count("e") > 1 {
        return Err(usage(
            "route",
            "-ee is not supported; use -e, or `netshoot ip route` for every attribute",
        ));
    }
    match p.value("A") {
        None | Some("inet") => {}
        Some("inet6") => {
            return Err(usage(
                "route",
                "-A inet6 is not supported: IPv6 routes with `netshoot ip -6 route`",
            ))
        }
        Some(other) => {
            return Err(usage(
                "route",
                format!("address family '{other}' is not supported; use -A inet"),
            ))
        }
    }
    let mut ctx = ctx.clone();
    if p.has("json") {
        ctx.json = true;
    }
    ctx.enter()?;
    print_table(p.has("n"), p.has("e"), &ctx)
}

/// RTF_* flags as route prints them, from what rtnetlink says of the route.
fn flags(r: &Route) -> String {
    // A reject route (unreachable, prohibit): route prints `!` alone and dashes.
    let mut f = if is_reject(r) {
        String::from("!")
    } else {
        String::from("U")
    };
    if gateway(r).is_some() {
        f.push('G');
    }
    if r.dst.parse::<Ipv4Addr>().is_ok() {
        f.push('H');
    }
    if r.protocol.as_deref() == Some("redirect") {
        f.push('D');
    }
    f
}

/// The gateway /proc/net/route shows: the route's, or a multipath route's first next hop's.
fn gateway(r: &Route) -> Option<IpAddr> {
    r.gateway
        .or_else(|| r.nexthops.first().and_then(|n| n.gateway))
}

/// The device likewise.
fn device(r: &Route) -> Option<&str> {
    r.dev
        .as_deref()
        .or_else(|| r.nexthops.first().and_then(|n| n.dev.as_deref()))
}

fn is_reject(r: &Route) -> bool {
    matches!(r.kind.as_deref(), Some("unreachable" | "prohibit"))
}

/// Destination and prefix length of a route's `dst`.
fn prefix(r: &Route) -> (Ipv4Addr, u8) {
    if r.dst == "default" {
        return (Ipv4Addr::UNSPECIFIED, 0);
    }
    match r.dst.split_once('/') {
        Some((a, l)) => (
            a.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            l.parse().unwrap_or(0),
        ),
        None => (r.dst.parse().unwrap_or(Ipv4Addr::UNSPECIFIED), 32),
    }
}

fn mask(len: u8) -> Ipv4Addr {
    let bits = if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32) as u32)
    };
    Ipv4Addr::from(bits)
}

/// Prints `Kernel IP routing table` and the main table's IPv4 routes (what /proc/net/route
/// holds: broadcast and multicast routes left out), in the (already entered) target. `extend`
/// selects route -e's (and netstat -r's) columns.
pub fn print_table(numeric: bool, extend: bool, ctx: &Ctx) -> anyhow::Result<i32> {
    let routes: Vec<Route> = netshoot_inspect::routes(Family::V4, Table::Main)
        .map_err(|e| anyhow::anyhow!("cannot dump routes over rtnetlink: {e}"))?
        .into_iter()
        .filter(|r| !matches!(r.kind.as_deref(), Some("broadcast" | "multicast")))
        .collect();
    if ctx.json {
        ctx.output().emit(&routes, |_| String::new())?;
        return Ok(0);
    }
    let hosts = (!numeric).then(Hosts::load);
    let name = |a: Ipv4Addr, is_dst_default: bool| -> String {
        match &hosts {
            None => a.to_string(),
            Some(_) if is_dst_default => "default".into(),
            Some(h) => h
                .name(IpAddr::V4(a))
                .map_or_else(|| a.to_string(), str::to_string),
        }
    };
    let mut out = String::from("Kernel IP routing table\n");
    if extend {
        out.push_str(
            "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n",
        );
    } else {
        out.push_str(
            "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n",
        );
    }
    for r in &routes {
        let (dst, len) = prefix(r);
        let gw = match gateway(r) {
            Some(IpAddr::V4(g)) => g,
            _ => Ipv4Addr::UNSPECIFIED,
        };
        let reject = is_reject(r);
        let dst = name(dst, len == 0);
        let m = mask(len);
        let f = flags(r);
        let (gw, zero, dev) = if reject {
            ("-".to_string(), "-", "-")
        } else {
            (name(gw, false), "0", device(r).unwrap_or("*"))
        };
        if extend {
            // /proc/net/route's MTU column is advmss + 40; IRTT the rtt metric >> 3.
            let (mss, window, irtt) = if reject {
                ("-".to_string(), "-".to_string(), "-".to_string())
            } else {
                (
                    r.advmss.map_or(0, |a| a + 40).to_string(),
                    r.window.unwrap_or(0).to_string(),
                    (r.rtt.unwrap_or(0) >> 3).to_string(),
                )
            };
            out.push_str(&format!(
                "{dst:<15} {gw:<15} {m:<15} {f:<5} {mss:>5} {window:<6} {irtt:>5} {dev}\n"
            ));
        } else {
            out.push_str(&format!(
                "{dst:<15} {gw:<15} {m:<15} {f:<5} {:<6} {zero:<2} {:>7} {dev}\n",
                r.metric.unwrap_or(0),
                0
            ));
        }
    }
    crate::render::write_text(&crate::render::safe_text(&out))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_from_lengths() {
        assert_eq!(mask(0), Ipv4Addr::UNSPECIFIED);
        assert_eq!(mask(24), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(mask(32), Ipv4Addr::BROADCAST);
    }
}
