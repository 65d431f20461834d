//! `ip`: iproute2's command line (`ip [OPTIONS] OBJECT [COMMAND] [ARGS]`) for the read-only
//! objects `addr`, `link`, `route` and `neigh`, printed as iproute2 6.1 prints them, from the
//! same netlink views as our `ip` verb (`netshoot_inspect::{interfaces, routes, route_get,
//! neighbours}`). Also accepts the verb's own options (`--dev`, `--table`) since `netshoot ip`
//! lands here.

use super::getopt::usage;
use super::{Ctx, Tool};
use crate::cmd::ip::{self as view, View};
use netshoot_inspect::{Family, Interface, Table};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ip"],
    about: "addresses, links, routes, neighbours (iproute2's ip, read-only)",
    run,
};

const HELP: &str = "\
Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { address | link | route | neighbour }
       OPTIONS := { -4 | -6 | -s[tatistics] | -h[uman] | -iec | -d[etails] | -br[ief] | -o[neline] |
                    -j[son] | -p[retty] |
                    -n[etns] NAME | -f[amily] { inet | inet6 } | -V[ersion] }
Commands (read-only; netshoot never changes the namespace):
  ip [-4|-6] addr [show] [dev] [IFACE] [up] [master BRIDGE] [type KIND]
  ip link [show] [dev] [IFACE] [up] [master BRIDGE] [type KIND]
  ip [-6] route [show] [table main|local|all|default|N] [dev IFACE]
                [[to] [root|match|exact] PREFIX | default]
  ip route get [to] ADDRESS
  ip [-4|-6] neigh [show] [dev IFACE] [nud STATE|all]...
netshoot's own spellings work too: --dev IFACE, --table T; before the name:
  netshoot [-t TARGET] [--json] ip ...  (--json: netshoot's JSON, -j: iproute2's)
  netshoot -v ip link                   iproute2's lines plus where each veth's peer lives
  netshoot -v ip neigh                  iproute2's lines plus '# container web' (Docker's names)
Not supported: -r/-resolve, -c/-color, -b/-batch, -t/-timestamp,
and every write (add, del, set, change, replace, flush, ...): use the host's ip for those.
";

/// What was asked for.
#[derive(Debug, Default)]
struct Req {
    view: View,
    netns: Option<String>,
    object: Obj,
    dev: Option<String>,
    up: bool,
    master: Option<String>,
    kind: Option<String>,
    table: Option<String>,
    get: Option<String>,
    /// `ip route show [root|match|exact] PREFIX`.
    sel: Option<(Sel, Prefix)>,
    /// `ip neigh show nud STATE…`: the state mask.
    nud: Option<u32>,
}

/// iproute2's `nud_state_a2n`.
fn nud_state(arg: &str) -> Option<u32> {
    Some(match arg {
        a if matches(a, "permanent") => 0x80,
        a if matches(a, "reachable") => 0x02,
        "noarp" => 0x40,
        "none" => 0,
        "stale" => 0x04,
        "incomplete" => 0x01,
        "delay" => 0x08,
        "probe" => 0x10,
        a if matches(a, "failed") => 0x20,
        a => {
            let n: u32 = if let Some(h) = a.strip_prefix("0x") {
                u32::from_str_radix(h, 16).ok()?
            } else {
                a.parse().ok()?
            };
            if n >= 0x100 || n & n.wrapping_sub(1) != 0 {
                return None;
            }
            n
        }
    })
}

/// How a route prefix selects (iproute2's `root`, `match`, `exact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sel {
    /// Routes inside the prefix.
    Root,
    /// Routes covering the prefix.
    Match,
    /// The prefix itself.
    Exact,
}

/// A prefix: address (none for `default`, any family) and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prefix(Option<std::net::IpAddr>, u8);

fn parse_prefix(s: &str) -> anyhow::Result<Prefix> {
    if s == "default" {
        return Ok(Prefix(None, 0));
    }
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip: std::net::IpAddr = a.parse().map_err(|_| {
        usage(
            "ip",
            format!("invalid prefix '{s}': give ADDRESS[/LEN] or default"),
        )
    })?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    let len = match l {
        None => full,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= full)
            .ok_or_else(|| usage("ip", format!("invalid prefix length in '{s}'")))?,
    };
    Ok(Prefix(Some(ip), len))
}

/// The first `bits` of two addresses of one family agree.
fn same_bits(a: std::net::IpAddr, b: std::net::IpAddr, bits: u8) -> bool {
    let (x, y): (Vec<u8>, Vec<u8>) = match (a, b) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
            (a.octets().to_vec(), b.octets().to_vec())
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) => {
            (a.octets().to_vec(), b.octets().to_vec())
        }
        _ => return false,
    };
    let full = (bits / 8) as usize;
    if x[..full] != y[..full] {
        return false;
    }
    let rem = bits % 8;
    rem == 0 || {
        let m = 0xffu8 << (8 - rem);
        x[full] & m == y[full] & m
    }
}

/// iproute2's `filter_nlmsg` for `root`/`match`/`exact` on one route.
fn route_selected(r: &netshoot_inspect::Route, sel: Sel, p: Prefix) -> bool {
    let (dst, len) = match r.dst.as_str() {
        "default" => (None, 0u8),
        d => match d.split_once('/') {
            Some((a, l)) => (a.parse().ok(), l.parse().unwrap_or(0)),
            None => {
                let ip: Option<std::net::IpAddr> = d.parse().ok();
                (
                    ip,
                    if ip.is_some_and(|i| i.is_ipv4()) {
                        32
                    } else {
                        128
                    },
                )
            }
        },
    };
    let fam_ok = match p.0 {
        Some(ip) => (ip.is_ipv4() && r.family == "inet") || (ip.is_ipv6() && r.family == "inet6"),
        None => true,
    };
    if !fam_ok {
        return false;
    }
    // The route's destination as an address (0.0.0.0 or :: for default).
    let dst = dst.unwrap_or(if r.family == "inet" {
        std::net::IpAddr::from([0u8; 4])
    } else {
        std::net::IpAddr::from([0u8; 16])
    });
    let pip = p.0.unwrap_or(if r.family == "inet" {
        std::net::IpAddr::from([0u8; 4])
    } else {
        std::net::IpAddr::from([0u8; 16])
    });
    let root = |_: ()| p.1 <= len && same_bits(dst, pip, p.1);
    let matched = |_: ()| len <= p.1 && same_bits(dst, pip, len);
    match sel {
        Sel::Root => root(()),
        Sel::Match => matched(()),
        Sel::Exact => root(()) && matched(()),
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Obj {
    #[default]
    Addr,
    Link,
    Route,
    Neigh,
}

impl Obj {
    fn name(self) -> &'static str {
        match self {
            Obj::Addr => "address",
            Obj::Link => "link",
            Obj::Route => "route",
            Obj::Neigh => "neighbour",
        }
    }
}

/// iproute2's `matches()`: `arg` is a non-empty prefix of `word`.
fn matches(arg: &str, word: &str) -> bool {
    !arg.is_empty() && word.starts_with(arg)
}

/// ip's objects in the order ip.c tries them (a prefix picks the first that fits).
const OBJECTS: &[&str] = &[
    "address",
    "addrlabel",
    "maddress",
    "route",
    "rule",
    "neighbor",
    "neighbour",
    "ntable",
    "ntbl",
    "link",
    "l2tp",
    "fou",
    "ila",
    "macsec",
    "tunnel",
    "tunl",
    "tuntap",
    "tap",
    "token",
    "tcpmetrics",
    "tcp_metrics",
    "monitor",
    "xfrm",
    "mroute",
    "mrule",
    "netns",
    "netconf",
    "vrf",
    "sr",
    "nexthop",
    "mptcp",
    "ioam",
    "stats",
    "help",
];

fn refuse_write(obj: Obj, cmd: &str) -> anyhow::Error {
    usage(
        "ip",
        format!(
            "'ip {} {cmd}' changes the namespace and netshoot is read-only: run the host's ip \
             there (nsenter -n -t PID ip {} {cmd} ...)",
            obj.name(),
            obj.name()
        ),
    )
}

fn parse(args: &[String]) -> anyhow::Result<Option<Req>> {
    let mut r = Req::default();
    let mut i = 0;
    // Global options, before the object.
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        let raw = args[i].as_str();
        // iproute2 takes `--opt` as `-opt`.
        let opt = if raw.starts_with("--") {
            &raw[1..]
        } else {
            raw
        };
        let value = |i: usize| -> anyhow::Result<String> {
            args.get(i + 1)
                .cloned()
                .ok_or_else(|| usage("ip", format!("option '{raw}' needs a value")))
        };
        if opt == "-" {
            i += 1;
            break;
        } else if opt == "-4" {
            r.view.family = Some(Family::V4);
        } else if opt == "-6" {
            r.view.family = Some(Family::V6);
        } else if matches(opt, "-family") && opt.len() > 1 {
            let f = value(i)?;
            i += 1;
            r.view.family = match f.as_str() {
                "inet" | "ipv4" => Some(Family::V4),
                "inet6" | "ipv6" => Some(Family::V6),
                _ => {
                    return Err(usage(
                        "ip",
                        format!("family '{f}' is not supported; give inet or inet6 (or -4/-6)"),
                    ))
                }
            };
        } else if opt == "-0" {
            return Err(usage(
                "ip",
                "option '-0' (link family) is not supported; use 'ip link'",
            ));
        } else if matches(opt, "-stats") || matches(opt, "-statistics") {
            r.view.stats = r.view.stats.saturating_add(1);
        } else if matches(opt, "-details") {
            r.view.details = true;
        } else if matches(opt, "-netns") {
            r.netns = Some(value(i)?);
            i += 1;
        } else if opt.len() >= 3 && matches(opt, "-brief") {
            r.view.brief = true;
        } else if matches(opt, "-json") {
            r.view.json = true;
        } else if matches(opt, "-pretty") {
            r.view.pretty = true;
        } else if matches(opt, "-Version") {
            println!(
                "ip (netshoot {}): iproute2 6.1's output, read over netlink by netshoot",
                env!("CARGO_PKG_VERSION")
            );
            return Ok(None);
        } else if matches(opt, "-help") && opt.len() >= 3 {
            print!("{HELP}");
            return Ok(None);
        } else {
            let (what, hint) = if matches(opt, "-oneline") {
                r.view.oneline = true;
                i += 1;
                continue;
            } else if matches(opt, "-resolve") {
                ("-r", "addresses are printed as numbers")
            } else if matches(opt, "-human") || matches(opt, "-human-readable") {
                r.view.human = true;
                i += 1;
                continue;
            } else if matches(opt, "-iec") {
                r.view.iec = true;
                i += 1;
                continue;
            } else if matches(opt, "-color") || opt.starts_with("-c") {
                ("-c", "netshoot's ip prints without colour")
            } else if matches(opt, "-batch") {
                ("-b", "run one ip command per invocation")
            } else if matches(opt, "-timestamp") || matches(opt, "-tshort") {
                ("-t", "there is no monitor mode")
            } else if matches(opt, "-force") || matches(opt, "-all") {
                (raw, "they only apply to writes and batches")
            } else {
                return Err(usage(
                    "ip",
                    format!(
                        "Option \"{raw}\" is unknown: supported are -4 -6 -s -d -br -j -p -n -f"
                    ),
                ));
            };
            return Err(usage(
                "ip",
                format!("option '{what}' is not supported by netshoot; {hint}"),
            ));
        }
        i += 1;
    }
    let Some(word) = args.get(i) else {
        return Err(usage(
            "ip",
            "give an object: address, link, route or neighbour",
        ));
    };
    let obj = OBJECTS.iter().find(|o| matches(word, o)).copied();
    r.object = match obj {
        Some("address") => Obj::Addr,
        Some("link") => Obj::Link,
        Some("route") => Obj::Route,
        Some("neighbor" | "neighbour") => Obj::Neigh,
        Some("help") => {
            print!("{HELP}");
            return Ok(None);
        }
        Some(other) => {
            return Err(usage(
                "ip",
                format!(
                    "object '{other}' is not supported by netshoot; supported: address, link, \
                     route, neighbour"
                ),
            ))
        }
        None => {
            return Err(usage(
                "ip",
                format!("Object \"{word}\" is unknown, try \"ip help\""),
            ))
        }
    };
    i += 1;
    if r.view.details && r.view.json && matches!(r.object, Obj::Addr | Obj::Link) {
        return Err(usage(
            "ip",
            "-d with -j is not supported by netshoot for addr and link; use -d for the text or \
             -j without -d",
        ));
    }
    let rest = &args[i..];
    let mut j = 0;
    // The command.
    if let Some(c) = rest.first().map(String::as_str) {
        let is = |w: &str| matches(c, w);
        let show = is("list") || is("show") || is("lst");
        let write = match r.object {
            Obj::Addr => {
                ["add", "change", "chg", "replace", "delete", "flush", "save"]
                    .iter()
                    .any(|w| is(w))
                    || ["restore", "showdump"].contains(&c)
            }
            Obj::Link => {
                ["add", "delete", "set", "change", "replace"]
                    .iter()
                    .any(|w| is(w))
                    || ["xstats", "afstats", "property", "prop"].contains(&c)
            }
            Obj::Route => {
                [
                    "add", "change", "chg", "replace", "prepend", "append", "test", "delete",
                    "flush", "save",
                ]
                .iter()
                .any(|w| is(w))
                    || ["restore", "showdump"].contains(&c)
            }
            Obj::Neigh => ["add", "change", "chg", "replace", "delete", "flush"]
                .iter()
                .any(|w| is(w)),
        };
        if matches(c, "help") {
            print!("{HELP}");
            return Ok(None);
        }
        if r.object == Obj::Route && is("get") && !show {
            j = 1;
            let mut k = j;
            while k < rest.len() {
                match rest[k].as_str() {
                    "to" if k + 1 < rest.len() => {
                        r.get = Some(rest[k + 1].clone());
                        k += 2;
                    }
                    w if !w.starts_with('-') && r.get.is_none() => {
                        r.get = Some(w.to_string());
                        k += 1;
                    }
                    w => {
                        return Err(usage(
                            "ip",
                            format!(
                                "'ip route get' takes only [to] ADDRESS here; '{w}' is not \
                                 supported"
                            ),
                        ))
                    }
                }
            }
            if r.get.is_none() {
                return Err(usage("ip", "'ip route get' needs an address"));
            }
            return Ok(Some(r));
        }
        if r.object == Obj::Neigh && is("get") {
            return Err(usage(
                "ip",
                "'ip neigh get' is not supported; use 'ip neigh show dev IFACE'",
            ));
        }
        if write && !show {
            return Err(refuse_write(r.object, c));
        }
        if show {
            j = 1;
        } else if !c.starts_with('-')
            && !(matches!(r.object, Obj::Addr | Obj::Link))
            && !["dev", "table"].contains(&c)
        {
            return Err(usage(
                "ip",
                format!(
                    "Command \"{c}\" is unknown for 'ip {}'; try show",
                    r.object.name()
                ),
            ));
        }
    }
    // The selectors.
    while j < rest.len() {
        let a = rest[j].as_str();
        let next = |j: usize| -> anyhow::Result<String> {
            rest.get(j + 1)
                .cloned()
                .ok_or_else(|| usage("ip", format!("'{a}' needs a value")))
        };
        if let Some(v) = a.strip_prefix("--dev=") {
            r.dev = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("--table=") {
            r.table = Some(v.to_string());
        } else if a == "dev" || a == "--dev" {
            r.dev = Some(next(j)?);
            j += 1;
        } else if (a == "table" || a == "--table") && r.object == Obj::Route {
            r.table = Some(next(j)?);
            j += 1;
        } else if r.object == Obj::Route && ["to", "root", "match", "exact"].contains(&a) {
            let v = next(j)?;
            j += 1;
            let (sel, pfx) = match (a, v.as_str()) {
                ("to", q @ ("root" | "match" | "exact")) => {
                    let p = rest
                        .get(j + 1)
                        .cloned()
                        .ok_or_else(|| usage("ip", format!("'{q}' needs a prefix")))?;
                    j += 1;
                    (q, p)
                }
                _ => (a, v),
            };
            let sel = match sel {
                "root" => Sel::Root,
                "match" => Sel::Match,
                _ => Sel::Exact,
            };
            r.sel = Some((sel, parse_prefix(&pfx)?));
        } else if r.object == Obj::Route
            && r.sel.is_none()
            && (a == "default" || a.parse::<std::net::IpAddr>().is_ok() || a.contains('/'))
        {
            r.sel = Some((Sel::Exact, parse_prefix(a)?));
        } else if a == "nud" && r.object == Obj::Neigh {
            let v = next(j)?;
            j += 1;
            let mut st = match (nud_state(&v), v.as_str()) {
                (Some(s), _) => s,
                (None, "all") => !0,
                _ => {
                    return Err(usage(
                        "ip",
                        format!(
                            "nud state '{v}' is bad: give permanent, reachable, noarp, none, \
                             stale, incomplete, delay, probe, failed or all"
                        ),
                    ))
                }
            };
            if st == 0 {
                st = 0x100;
            }
            *r.nud.get_or_insert(0) |= st;
        } else if a == "up" && matches!(r.object, Obj::Addr | Obj::Link) {
            r.up = true;
        } else if a == "master" && matches!(r.object, Obj::Addr | Obj::Link) {
            r.master = Some(next(j)?);
            j += 1;
        } else if a == "type" && matches!(r.object, Obj::Addr | Obj::Link) {
            r.kind = Some(next(j)?);
            j += 1;
        } else if !a.starts_with('-')
            && matches!(r.object, Obj::Addr | Obj::Link)
            && r.dev.is_none()
            && ![
                "to", "scope", "label", "master", "vrf", "type", "group", "nomaster",
            ]
            .contains(&a)
        {
            r.dev = Some(a.to_string());
        } else {
            let supported = match r.object {
                Obj::Addr | Obj::Link => "[dev] IFACE, up, master BRIDGE, type KIND",
                Obj::Route => "table T, dev IFACE, [root|match|exact] PREFIX, default",
                Obj::Neigh => "dev IFACE, nud STATE",
            };
            return Err(usage(
                "ip",
                format!(
                    "'ip {} show {a}' is not supported by netshoot; supported: {supported}",
                    r.object.name()
                ),
            ));
        }
        j += 1;
    }
    Ok(Some(r))
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(r) = parse(args)? else {
        return Ok(0);
    };
    let mut ctx = ctx.clone();
    if let Some(n) = &r.netns {
        ctx.target = Some(format!("netns:{n}"));
    }
    if ctx.json {
        return ctx.verb(&verb_args(&r));
    }
    let target = ctx.enter()?;
    let v = r.view;
    let out = match r.object {
        Obj::Addr | Obj::Link => {
            let mut ifs = view::netlink(netshoot_inspect::interfaces())?;
            if let Some(d) = &r.dev {
                view::check_dev(&ifs, d, &target)?;
                ifs.retain(|i| &i.name == d);
            }
            if r.up {
                ifs.retain(|i| i.up);
            }
            if let Some(m) = &r.master {
                view::check_dev(&ifs, m, &target)?;
                ifs.retain(|i| i.master_name.as_ref() == Some(m));
            }
            if let Some(k) = &r.kind {
                // `type bridge_slave` picks the ports by their role under a master.
                match k.strip_suffix("_slave") {
                    Some(m) => ifs.retain(|i| i.details.slave_kind.as_deref() == Some(m)),
                    None => ifs.retain(|i| i.kind.as_deref() == Some(k)),
                }
            }
            if ctx.verbose > 0 && r.object == Obj::Link && !v.json && !v.brief {
                // `netshoot -v ip link`: iproute2's lines, each veth followed by where its peer
                // lives (the verb's cross-namespace resolution).
                view::netlink(netshoot_inspect::resolve_peers(&mut ifs))?;
                ifs.iter()
                    .map(|i| {
                        let mut s = links(std::slice::from_ref(i), &v, true);
                        if let Some(p) = &i.peer {
                            let name = p.name.clone().unwrap_or_else(|| format!("if{}", p.index));
                            s.push_str(&format!(
                                "    peer {name} in {} (-t {})\n",
                                p.owner, p.target
                            ));
                        }
                        s
                    })
                    .collect()
            } else {
                links(&ifs, &v, r.object == Obj::Link)
            }
        }
        Obj::Route => match &r.get {
            Some(dest) => {
                let ip = view::parse_dest(dest, &target)?;
                let route =
                    netshoot_inspect::route_get(ip).map_err(|e| view::route_get_error(ip, e))?;
                let o = view::RouteOpts {
                    details: v.details,
                    stats: v.stats > 0,
                    ..Default::default()
                };
                if v.json {
                    view::json_text(&view::route_json(&[route], &o), v.pretty)
                } else {
                    fold_if(v.oneline, view::route_line(&route, &o))
                }
            }
            None => {
                let (table, listed) = match r.table.as_deref().unwrap_or("main") {
                    "main" => (Table::Main, Some(254)),
                    "all" => (Table::All, None),
                    "local" => (Table::Id(255), Some(255)),
                    "default" => (Table::Id(253), Some(253)),
                    t => {
                        let n: u32 = t.parse().map_err(|_| {
                            usage(
                                "ip",
                                format!(
                                    "table '{t}' is unknown: give main, local, default, all or a \
                                     number"
                                ),
                            )
                        })?;
                        if n == 0 {
                            (Table::All, None)
                        } else {
                            (Table::Id(n), Some(n))
                        }
                    }
                };
                let fams = match (v.family, table) {
                    (Some(f), _) => vec![f],
                    (None, Table::All) => vec![Family::V4, Family::V6],
                    (None, _) => vec![Family::V4],
                };
                let mut routes = Vec::new();
                for f in fams {
                    routes.extend(view::netlink(netshoot_inspect::routes(f, table))?);
                }
                // A listing leaves out cached clones, as iproute2 does.
                routes.retain(|x| x.rtm_flags & 0x200 == 0);
                if let Some((sel, p)) = r.sel {
                    routes.retain(|x| route_selected(x, sel, p));
                }
                let oif = match &r.dev {
                    Some(d) => {
                        let ifs = view::netlink(netshoot_inspect::interfaces())?;
                        view::check_dev(&ifs, d, &target)?;
                        let idx = ifs.iter().find(|i| &i.name == d).map(|i| i.index);
                        routes.retain(|x| x.oif == idx);
                        true
                    }
                    None => false,
                };
                let o = view::RouteOpts {
                    listed_table: listed,
                    hide_dev: oif,
                    details: v.details,
                    stats: v.stats > 0,
                };
                if v.json {
                    view::json_text(&view::route_json(&routes, &o), v.pretty)
                } else {
                    routes
                        .iter()
                        .map(|x| fold_if(v.oneline, view::route_line(x, &o)))
                        .collect()
                }
            }
        },
        Obj::Neigh => {
            let states = r.nud.unwrap_or(netshoot_inspect::neigh::DEFAULT_STATES);
            let mut n = view::netlink(netshoot_inspect::neighbours_in_states(v.family, states))?;
            if let Some(d) = &r.dev {
                let ifs = view::netlink(netshoot_inspect::interfaces())?;
                view::check_dev(&ifs, d, &target)?;
                n.retain(|x| &x.dev == d);
            }
            if !v.json {
                // `netshoot -v ip neigh`: each entry's container, task or service VIP.
                view::owners(ctx.verbose > 0).name_neighbours(&mut n);
            }
            if v.json {
                view::json_text(&view::neigh_json(&n, r.dev.is_some(), &v), v.pretty)
            } else {
                view::neigh_lines(&n, r.dev.is_some(), &v)
            }
        }
    };
    // Interface names and other kernel strings are any netns root's to set: escaped in text
    // (iproute2 prints them raw).
    if v.json {
        print!("{out}");
    } else {
        print!("{}", crate::render::safe_text(&out));
    }
    Ok(0)
}

fn fold_if(oneline: bool, rec: String) -> String {
    if oneline {
        view::fold(&rec)
    } else {
        rec
    }
}

fn links(ifs: &[Interface], v: &View, do_link: bool) -> String {
    match (v.json, do_link) {
        (true, true) => view::json_text(&view::link_json_all(ifs, v), v.pretty),
        (true, false) => view::json_text(&view::addr_json(ifs, v), v.pretty),
        (false, true) => view::link_lines(ifs, v),
        (false, false) => view::addr_lines(ifs, v),
    }
}

/// The same request in our verb's syntax, for `netshoot --json ip …` (netshoot's JSON).
fn verb_args(r: &Req) -> Vec<String> {
    let mut v = vec!["ip".to_string()];
    match r.view.family {
        Some(Family::V4) => v.push("-4".into()),
        Some(Family::V6) => v.push("-6".into()),
        None => {}
    }
    v.push(
        match r.object {
            Obj::Addr => "addr",
            Obj::Link => "link",
            Obj::Route => "route",
            Obj::Neigh => "neigh",
        }
        .into(),
    );
    if r.object != Obj::Route {
        if let Some(d) = &r.dev {
            v.push("--dev".into());
            v.push(d.clone());
        }
        return v;
    }
    if let Some(t) = &r.table {
        v.push("--table".into());
        v.push(t.clone());
    }
    if let Some(g) = &r.get {
        v.push("get".into());
        v.push(g.clone());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> anyhow::Result<Option<Req>> {
        parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn objects_and_prefixes_pick_what_ip_picks() {
        assert_eq!(p(&["a"]).unwrap().unwrap().object, Obj::Addr);
        assert_eq!(p(&["l"]).unwrap().unwrap().object, Obj::Link);
        assert_eq!(p(&["r"]).unwrap().unwrap().object, Obj::Route);
        assert_eq!(p(&["n"]).unwrap().unwrap().object, Obj::Neigh);
        let r = p(&["-s", "-s", "-d", "link", "show", "lo"])
            .unwrap()
            .unwrap();
        assert_eq!((r.view.stats, r.view.details), (2, true));
        assert_eq!(r.dev.as_deref(), Some("lo"));
        let r = p(&["-br", "-j", "-p", "addr", "show", "dev", "eth0"])
            .unwrap()
            .unwrap();
        assert!(r.view.brief && r.view.json && r.view.pretty);
        assert_eq!(r.dev.as_deref(), Some("eth0"));
        let r = p(&["route", "--table", "all"]).unwrap().unwrap();
        assert_eq!(r.table.as_deref(), Some("all"));
        let r = p(&["route", "get", "10.0.0.1"]).unwrap().unwrap();
        assert_eq!(r.get.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn writes_unknown_objects_and_flags_are_usage_errors() {
        for a in [
            &["link", "set", "lo", "up"][..],
            &["addr", "add", "10.0.0.1/24", "dev", "lo"],
            &["route", "add", "default", "via", "10.0.0.1"],
            &["neigh", "flush", "all"],
            &["bogus"],
            &["-zz", "link"],
            &["rule"],
        ] {
            let e = p(a).err().unwrap_or_else(|| panic!("{a:?} accepted"));
            assert!(e.downcast_ref::<super::super::getopt::Usage>().is_some());
        }
    }
}
