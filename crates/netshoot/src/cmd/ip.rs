//! `ip addr|link|route|neigh`, `ip route get`: iproute2's views, read over netlink.

use std::fmt::Write as _;
use std::net::IpAddr;

use clap::{Args, Subcommand};
use netshoot_inspect::{Family, Interface, Neighbour, Route, Table};
use netshoot_ns::Target;

use crate::render::Output;

/// The `ip` command family.
#[derive(Debug, Subcommand)]
pub enum IpCommand {
    /// Interfaces, addresses, routes and neighbours, like iproute2's `ip`.
    #[command(after_help = "\
Examples:
  netshoot -t web ip addr                 addresses inside container web
  netshoot -t web ip link                 counters, and each veth's peer: which vethXXXX on the host
  netshoot ip link                        on the host: which container each vethXXXX belongs to
  netshoot -t web ip route get 10.0.1.5   the route, source address and device the kernel picks
  netshoot -t web ip -6 route
  netshoot -t web ip neigh                ARP/NDP entries: INCOMPLETE and FAILED mean no answer")]
    Ip(IpArgs),
}

/// `ip` options.
#[derive(Debug, Args)]
pub struct IpArgs {
    /// IPv4 only.
    #[arg(short = '4', global = true, conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6', global = true)]
    pub v6: bool,
    /// What to show.
    #[command(subcommand)]
    pub what: IpWhat,
}

/// `ip` objects.
#[derive(Debug, Subcommand)]
pub enum IpWhat {
    /// Addresses per interface (`ip addr`).
    #[command(visible_aliases = ["a", "address"])]
    Addr(DevArgs),
    /// Interfaces with counters and veth peers (`ip -s link`).
    #[command(visible_alias = "l")]
    Link(DevArgs),
    /// Routes (`ip route`), or the route to one destination (`ip route get DEST`).
    #[command(visible_alias = "r")]
    Route(RouteArgs),
    /// Neighbours: ARP and NDP entries with their states (`ip neigh`).
    #[command(visible_aliases = ["n", "neighbour", "neighbor"])]
    Neigh(DevArgs),
}

/// Device filter.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// `show`, as iproute2 accepts it (optional).
    #[arg(value_parser = ["show", "list", "ls"], hide = true)]
    pub show: Option<String>,
    /// Only this interface.
    #[arg(long = "dev", value_name = "IFACE")]
    pub dev: Option<String>,
}

/// `ip route` options.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// `show` (the default) or `get DEST`.
    #[command(subcommand)]
    pub action: Option<RouteAction>,
    /// Routing table: `main` (default), `local`, `all`, or a number.
    #[arg(long, value_name = "TABLE", default_value = "main")]
    pub table: String,
}

/// `ip route` actions.
#[derive(Debug, Subcommand)]
pub enum RouteAction {
    /// List routes.
    #[command(visible_alias = "list")]
    Show,
    /// The route the kernel picks for DEST: gateway, device, source address.
    Get {
        /// An IPv4 or IPv6 address, or a name from the target's hosts file.
        dest: String,
    },
}

/// Runs an `ip` command inside the (already entered) target.
pub fn run(cmd: &IpCommand, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let IpCommand::Ip(args) = cmd;
    let family = match (args.v4, args.v6) {
        (true, _) => Some(Family::V4),
        (_, true) => Some(Family::V6),
        _ => None,
    };
    match &args.what {
        IpWhat::Addr(d) => {
            let mut ifs = select(netlink(netshoot_inspect::interfaces())?, d, target)?;
            for i in &mut ifs {
                i.addresses.retain(|a| match family {
                    Some(Family::V4) => a.address.is_ipv4(),
                    Some(Family::V6) => a.address.is_ipv6(),
                    None => true,
                });
            }
            out.emit(&ifs, |v| addr_text(v, out.tty()))?;
        }
        IpWhat::Link(d) => {
            let mut ifs = netlink(netshoot_inspect::interfaces())?;
            netlink(netshoot_inspect::resolve_peers(&mut ifs))?;
            let mut ifs = select(ifs, d, target)?;
            for i in &mut ifs {
                i.addresses.clear();
            }
            out.emit(&ifs, |v| link_text(v, out.tty()))?;
        }
        IpWhat::Route(r) => match &r.action {
            Some(RouteAction::Get { dest }) => {
                let ip = parse_dest(dest, target)?;
                let route = netshoot_inspect::route_get(ip).map_err(|e| route_get_error(ip, e))?;
                out.emit(&route, |r| format!("{r}\n"))?;
            }
            None | Some(RouteAction::Show) => {
                let table = match r.table.as_str() {
                    "main" => Table::Main,
                    "all" => Table::All,
                    "local" => Table::Id(255),
                    t => Table::Id(t.parse().map_err(|_| {
                        anyhow::anyhow!("unknown table '{t}': give main, local, all or a number")
                    })?),
                };
                let mut routes = Vec::new();
                for f in match family {
                    Some(f) => vec![f],
                    None => vec![Family::V4],
                } {
                    routes.extend(netlink(netshoot_inspect::routes(f, table))?);
                }
                out.emit(&routes, |v: &Vec<Route>| {
                    v.iter().map(|r| format!("{r}\n")).collect::<String>()
                })?;
            }
        },
        IpWhat::Neigh(d) => {
            let mut n = netlink(netshoot_inspect::neighbours(family))?;
            if let Some(dev) = &d.dev {
                let ifs = netlink(netshoot_inspect::interfaces())?;
                check_dev(&ifs, dev, target)?;
                n.retain(|x| &x.dev == dev);
            }
            out.emit(&n, |v| neigh_text(v, out.tty()))?;
        }
    }
    Ok(0)
}

fn netlink<T>(r: std::io::Result<T>) -> anyhow::Result<T> {
    r.map_err(|e| {
        if e.raw_os_error() == Some(nix::libc::EPERM) || e.raw_os_error() == Some(nix::libc::EACCES) {
            anyhow::anyhow!("netlink refused the request ({e}): this view needs CAP_NET_ADMIN; run as root or add --cap-add NET_ADMIN")
        } else {
            anyhow::anyhow!("netlink: {e}")
        }
    })
}

fn check_dev(ifs: &[Interface], dev: &str, target: &Target) -> anyhow::Result<()> {
    if ifs.iter().any(|i| i.name == dev) {
        return Ok(());
    }
    let names: Vec<&str> = ifs.iter().map(|i| i.name.as_str()).collect();
    anyhow::bail!(
        "no interface '{dev}' in {}; its interfaces: {}",
        target.label,
        names.join(", ")
    )
}

fn select(ifs: Vec<Interface>, d: &DevArgs, target: &Target) -> anyhow::Result<Vec<Interface>> {
    match &d.dev {
        None => Ok(ifs),
        Some(dev) => {
            check_dev(&ifs, dev, target)?;
            Ok(ifs.into_iter().filter(|i| &i.name == dev).collect())
        }
    }
}

fn parse_dest(dest: &str, target: &Target) -> anyhow::Result<IpAddr> {
    if let Ok(ip) = dest.parse::<IpAddr>() {
        return Ok(ip);
    }
    let from_hosts = target.hosts.as_deref().and_then(|h| {
        h.lines().find_map(|l| {
            let l = l.split('#').next()?;
            let mut f = l.split_whitespace();
            let ip: IpAddr = f.next()?.parse().ok()?;
            f.any(|n| n == dest).then_some(ip)
        })
    });
    from_hosts.ok_or_else(|| {
        anyhow::anyhow!(
            "'{dest}' is not an address and not in {}'s hosts file: give an IPv4 or IPv6 address",
            target.label
        )
    })
}

fn route_get_error(ip: IpAddr, e: std::io::Error) -> anyhow::Error {
    match e.raw_os_error() {
        Some(nix::libc::ENETUNREACH) => {
            anyhow::anyhow!(
                "no route to {ip}: network unreachable (no default route and no route covering it)"
            )
        }
        Some(nix::libc::EHOSTUNREACH) => anyhow::anyhow!("no route to {ip}: host unreachable"),
        Some(nix::libc::EINVAL) => {
            anyhow::anyhow!("no route to {ip}: the kernel refused the lookup (invalid argument)")
        }
        _ => anyhow::anyhow!("route lookup for {ip}: {e}"),
    }
}

fn paint(s: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn header(s: &mut String, i: &Interface) {
    let at = match (i.link_index, i.link_netnsid) {
        (Some(l), _) if l != i.index && l != 0 => format!("@if{l}"),
        _ => String::new(),
    };
    let _ = write!(s, "{}: {}{at}: <{}>", i.index, i.name, i.flags.join(","));
    if let Some(m) = i.mtu {
        let _ = write!(s, " mtu {m}");
    }
    if let Some(q) = &i.qdisc {
        let _ = write!(s, " qdisc {q}");
    }
    if let Some(m) = i.master {
        let _ = write!(s, " master if{m}");
    }
    let _ = writeln!(s, " state {}", i.operstate);
    let _ = write!(
        s,
        "    link/{} {}",
        i.link_type,
        i.mac.as_deref().unwrap_or("")
    );
    if let Some(b) = &i.broadcast {
        let _ = write!(s, " brd {b}");
    }
    if let Some(n) = i.link_netnsid {
        let _ = write!(s, " link-netnsid {n}");
    }
    let _ = writeln!(s);
}

fn addr_text(ifs: &[Interface], _colour: bool) -> String {
    let mut s = String::new();
    for i in ifs {
        header(&mut s, i);
        for a in &i.addresses {
            let _ = write!(s, "    {} {}/{}", a.family, a.address, a.prefix_len);
            if let Some(b) = a.broadcast {
                let _ = write!(s, " brd {b}");
            }
            let _ = write!(s, " scope {}", a.scope);
            for f in &a.flags {
                let _ = write!(s, " {f}");
            }
            if let Some(l) = &a.label {
                let _ = write!(s, " {l}");
            }
            let _ = writeln!(s);
        }
    }
    s
}

fn link_text(ifs: &[Interface], colour: bool) -> String {
    let mut s = String::new();
    for i in ifs {
        header(&mut s, i);
        if let Some(p) = &i.peer {
            let name = p.name.clone().unwrap_or_else(|| format!("if{}", p.index));
            let _ = writeln!(
                s,
                "    {} {name} in {} (-t {})",
                paint("peer", "1", colour),
                p.owner,
                p.target
            );
        }
        if let Some(st) = &i.stats {
            let _ = writeln!(
                s,
                "    RX: {:>14} {:>10} {:>7} {:>7}\n        {:>14} {:>10} {:>7} {:>7}",
                "bytes",
                "packets",
                "errors",
                "dropped",
                st.rx_bytes,
                st.rx_packets,
                st.rx_errors,
                st.rx_dropped
            );
            let _ = writeln!(
                s,
                "    TX: {:>14} {:>10} {:>7} {:>7}\n        {:>14} {:>10} {:>7} {:>7}",
                "bytes",
                "packets",
                "errors",
                "dropped",
                st.tx_bytes,
                st.tx_packets,
                st.tx_errors,
                st.tx_dropped
            );
        }
    }
    s
}

fn neigh_text(n: &[Neighbour], colour: bool) -> String {
    let mut s = String::new();
    for x in n {
        let code = match x.state.as_str() {
            "FAILED" | "INCOMPLETE" => "1;31",
            "STALE" | "DELAY" | "PROBE" => "33",
            _ => "32",
        };
        let _ = write!(s, "{} dev {}", x.dst, x.dev);
        if let Some(l) = &x.lladdr {
            let _ = write!(s, " lladdr {l}");
        }
        if x.router {
            let _ = write!(s, " router");
        }
        let _ = writeln!(s, " {}", paint(&x.state, code, colour));
    }
    s
}
