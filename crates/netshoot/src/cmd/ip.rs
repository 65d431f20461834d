//! `ip addr|link|route|neigh`, `ip route get`: iproute2's views, read over netlink.

use std::fmt::Write as _;
use std::net::IpAddr;

use clap::{Args, Subcommand};
use netshoot_inspect::{Family, Interface, LinkStats, Neighbour, Route, Table};
use netshoot_ns::Target;

use crate::render::{safe_text, Output};

/// The `ip` command family.
#[derive(Debug, Subcommand)]
pub enum IpCommand {
    /// Interfaces, addresses, routes and neighbours, like iproute2's `ip`.
    #[command(after_help = "\
Examples:
  netshoot -t web ip addr                 addresses inside container web
  netshoot -t web ip -s link              interfaces with counters, as iproute2 prints them
  netshoot --json ip link                 on the host: which container each vethXXXX belongs to
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
    /// Interfaces with counters, and (with --json) each veth's peer across namespaces.
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
            out.emit(&ifs, |v| safe_text(&addr_lines(v, &View::default())))?;
        }
        IpWhat::Link(d) => {
            let mut ifs = netlink(netshoot_inspect::interfaces())?;
            netlink(netshoot_inspect::resolve_peers(&mut ifs))?;
            let mut ifs = select(ifs, d, target)?;
            for i in &mut ifs {
                i.addresses.clear();
            }
            out.emit(&ifs, |v| safe_text(&link_lines(v, &View::default())))?;
        }
        IpWhat::Route(r) => match &r.action {
            Some(RouteAction::Get { dest }) => {
                let ip = parse_dest(dest, target)?;
                let route = netshoot_inspect::route_get(ip).map_err(|e| route_get_error(ip, e))?;
                out.emit(&route, |r| safe_text(&route_line(r, &RouteOpts::default())))?;
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
                    safe_text(
                        &v.iter()
                            .map(|r| route_line(r, &RouteOpts::default()))
                            .collect::<String>(),
                    )
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
            owners(out.json || out.verbose > 0).name_neighbours(&mut n);
            out.emit(&n, |x| safe_text(&neigh_lines(x, false, &View::default())))?;
        }
    }
    Ok(0)
}

/// The owners of addresses and MACs from the Docker engine when `wanted` (`--json` or `-v`),
/// else none (iproute2's lines stay as iproute2 prints them). A partial map is said on stderr.
pub(crate) fn owners(wanted: bool) -> netshoot_inspect::whose::Owners {
    if !wanted {
        return Default::default();
    }
    let o = netshoot_inspect::whose::Owners::from_env();
    if let Some(w) = &o.warning {
        eprintln!("netshoot: warning: names of containers and tasks left out: {w}");
    }
    o
}

/// `# container web`, `# task web.2`: the annotation after an entry's line, the name escaped.
pub(crate) fn owner_note(o: &netshoot_inspect::whose::Owner) -> String {
    let clean = netshoot_inspect::whose::Owner {
        name: crate::cmd::motd::clean(&o.name),
        network: None,
        ..o.clone()
    };
    format!("# {clean}")
}

/// [`owners`], plus the host-side veth of each container (`veth of container web`), for the
/// fdb's own entries of a bridge's ports.
pub(crate) fn fdb_owners(wanted: bool) -> netshoot_inspect::whose::Owners {
    let mut o = owners(wanted);
    if wanted {
        if let Ok(mut ifs) = netshoot_inspect::interfaces() {
            if netshoot_inspect::resolve_peers(&mut ifs).is_ok() {
                o.name_veths(&ifs);
            }
        }
    }
    o
}

pub(crate) fn netlink<T>(r: std::io::Result<T>) -> anyhow::Result<T> {
    r.map_err(|e| {
        if e.raw_os_error() == Some(nix::libc::EPERM) || e.raw_os_error() == Some(nix::libc::EACCES) {
            anyhow::anyhow!("netlink refused the request ({e}): this view needs CAP_NET_ADMIN; run as root or add --cap-add NET_ADMIN")
        } else {
            anyhow::anyhow!("netlink: {e}")
        }
    })
}

pub(crate) fn check_dev(ifs: &[Interface], dev: &str, target: &Target) -> anyhow::Result<()> {
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

pub(crate) fn parse_dest(dest: &str, target: &Target) -> anyhow::Result<IpAddr> {
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

pub(crate) fn route_get_error(ip: IpAddr, e: std::io::Error) -> anyhow::Error {
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

/// How iproute2's `ip` was asked to print: its global options.
#[derive(Debug, Clone, Copy, Default)]
pub struct View {
    /// `-4` / `-6`.
    pub family: Option<Family>,
    /// `-s` given this many times.
    pub stats: u8,
    /// `-d`.
    pub details: bool,
    /// `-br`.
    pub brief: bool,
    /// `-j`: iproute2's JSON.
    pub json: bool,
    /// `-p` with `-j`.
    pub pretty: bool,
    /// `-o`: one record per line, its inner line breaks written as `\`.
    pub oneline: bool,
    /// `-h`: counters in human units (`-iec`: powers of 1024).
    pub human: bool,
    /// `-iec`.
    pub iec: bool,
}

/// iproute2's `print_num`: a counter right-aligned in `width`, in k/M/G… with `-h`.
fn print_num(s: &mut String, width: usize, count: u64, v: &View) {
    let base: u64 = if v.iec { 1024 } else { 1000 };
    if !v.human || count < base {
        let _ = write!(s, "{count:>width$} ");
        return;
    }
    let prefixes = b"kMGTPE";
    let mut p = 0;
    let mut powi: u64 = 1;
    loop {
        powi = powi.saturating_mul(base);
        if count / base < powi {
            break;
        }
        if p + 1 >= prefixes.len() {
            break;
        }
        p += 1;
    }
    let mut precision = 2;
    let mut powj: u64 = 1;
    while precision > 0 {
        powj *= 10;
        if count / powi < powj {
            break;
        }
        precision -= 1;
    }
    let txt = format!(
        "{:.*}{}{}",
        precision,
        count as f64 / powi as f64,
        prefixes[p] as char,
        if v.iec { "i" } else { "" }
    );
    let _ = write!(s, "{txt:>width$} ");
}

/// A record on one line, as `ip -o` writes it: inner line breaks become `\`.
pub fn fold(rec: &str) -> String {
    let body = rec.strip_suffix('\n').unwrap_or(rec);
    format!("{}\n", body.replace('\n', "\\"))
}

/// A JSON value that keeps its keys in the order iproute2 writes them.
#[derive(Debug, Clone)]
pub enum J {
    /// An object, keys in order.
    Obj(Vec<(&'static str, J)>),
    /// An array.
    Arr(Vec<J>),
    /// A string.
    Str(String),
    /// An unsigned number.
    U(u64),
    /// A signed number.
    I(i64),
    /// A boolean.
    Bool(bool),
    /// null.
    Null,
}

impl serde::Serialize for J {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            J::Obj(kv) => {
                let mut m = s.serialize_map(Some(kv.len()))?;
                for (k, v) in kv {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            J::Arr(v) => {
                let mut q = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    q.serialize_element(x)?;
                }
                q.end()
            }
            J::Str(x) => s.serialize_str(x),
            J::U(x) => s.serialize_u64(*x),
            J::I(x) => s.serialize_i64(*x),
            J::Bool(x) => s.serialize_bool(*x),
            J::Null => s.serialize_unit(),
        }
    }
}

/// iproute2's JSON text, written as its `json_writer` writes it (compact, or with `-p` its own
/// layout: `[ {`, four-space levels, `"key": value`, `[ "a","b" ]`, `},{`, `} ]`); one newline
/// after.
pub fn json_text(v: &J, pretty: bool) -> String {
    let mut w = JsonWriter {
        out: String::new(),
        depth: 0,
        sep: false,
        pretty,
    };
    w.value(v);
    w.out.push('\n');
    w.out
}

/// iproute2's `lib/json_writer.c`, state for state.
struct JsonWriter {
    out: String,
    depth: usize,
    /// A separator (`,`) is due before the next element.
    sep: bool,
    pretty: bool,
}

impl JsonWriter {
    fn eol(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
    }
    fn eor(&mut self) {
        if self.sep {
            self.out.push(',');
        }
        self.sep = true;
    }
    fn begin(&mut self, c: char) {
        self.eor();
        self.out.push(c);
        self.depth += 1;
        self.sep = false;
    }
    fn end(&mut self, c: char) {
        self.depth -= 1;
        if self.sep {
            self.eol();
        }
        self.out.push(c);
        self.sep = true;
    }
    fn puts(&mut self, s: &str) {
        self.out.push('"');
        for ch in s.chars() {
            match ch {
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\u{c}' => self.out.push_str("\\f"),
                '\u{8}' => self.out.push_str("\\b"),
                '\\' => self.out.push_str("\\\\"),
                '"' => self.out.push_str("\\\""),
                // iproute2 writes other control characters raw (invalid JSON); an interface
                // name may hold ESC, so they are escaped as JSON requires.
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
    fn value(&mut self, v: &J) {
        match v {
            J::Obj(kv) => {
                self.begin('{');
                for (k, x) in kv {
                    self.eor();
                    self.eol();
                    self.sep = false;
                    self.puts(k);
                    self.out.push(':');
                    if self.pretty {
                        self.out.push(' ');
                    }
                    self.value(x);
                }
                self.end('}');
            }
            J::Arr(xs) => {
                self.begin('[');
                if self.pretty {
                    self.out.push(' ');
                }
                for x in xs {
                    self.value(x);
                }
                if self.pretty && self.sep {
                    self.out.push(' ');
                }
                self.sep = false;
                self.end(']');
            }
            J::Str(x) => {
                self.eor();
                self.puts(x);
            }
            J::U(x) => {
                self.eor();
                self.out.push_str(&x.to_string());
            }
            J::I(x) => {
                self.eor();
                self.out.push_str(&x.to_string());
            }
            J::Bool(x) => {
                self.eor();
                self.out.push_str(if *x { "true" } else { "false" });
            }
            J::Null => {
                self.eor();
                self.out.push_str("null");
            }
        }
    }
}

const IFF_RUNNING: u32 = 0x40;

/// The `<…>` flag names in iproute2's order, `NO-CARRIER` first when up without carrier,
/// leftover bits in hex.
fn link_flags(i: &Interface) -> Vec<String> {
    let mut flags = i.if_flags;
    let mut out = Vec::new();
    if flags & 0x1 != 0 && flags & IFF_RUNNING == 0 {
        out.push("NO-CARRIER".to_string());
    }
    flags &= !IFF_RUNNING;
    const NAMES: [(u32, &str); 18] = [
        (0x8, "LOOPBACK"),
        (0x2, "BROADCAST"),
        (0x10, "POINTOPOINT"),
        (0x1000, "MULTICAST"),
        (0x80, "NOARP"),
        (0x200, "ALLMULTI"),
        (0x100, "PROMISC"),
        (0x400, "MASTER"),
        (0x800, "SLAVE"),
        (0x4, "DEBUG"),
        (0x8000, "DYNAMIC"),
        (0x4000, "AUTOMEDIA"),
        (0x2000, "PORTSEL"),
        (0x20, "NOTRAILERS"),
        (0x1, "UP"),
        (0x10000, "LOWER_UP"),
        (0x20000, "DORMANT"),
        (0x40000, "ECHO"),
    ];
    for (bit, name) in NAMES {
        if flags & bit != 0 {
            flags &= !bit;
            out.push(name.to_string());
        }
    }
    if flags != 0 {
        out.push(format!("{flags:x}"));
    }
    out
}

/// The lower device is down (`M-DOWN`).
fn m_down(i: &Interface, v6: bool) -> bool {
    if v6 {
        i.link_index.is_some_and(|l| l != 0) && i.link_index_here.as_ref().is_some_and(|x| x.1)
    } else {
        i.link_down
    }
}

/// The flags as iproute2's JSON lists them (`M-DOWN` last).
pub(crate) fn flags_json(i: &Interface, v6: bool) -> J {
    let mut f: Vec<J> = link_flags(i).into_iter().map(J::Str).collect();
    if m_down(i, v6) {
        f.push(J::Str("M-DOWN".into()));
    }
    J::Arr(f)
}

pub(crate) fn flags_text(i: &Interface, v6: bool) -> String {
    let mut s = format!("<{}", link_flags(i).join(","));
    if m_down(i, v6) {
        s.push_str(",M-DOWN");
    }
    s.push_str("> ");
    s
}

/// What an `AF_INET6` link message (`ip -6 addr`) lets iproute2 name the lower device: the
/// interface of this namespace with that index, else `ifN`.
pub(crate) fn link_here(i: &Interface, l: u32) -> String {
    i.link_index_here
        .as_ref()
        .map(|x| x.0.clone())
        .unwrap_or_else(|| format!("if{l}"))
}

/// `name` or `name@link`, as iproute2 prints it.
pub(crate) fn name_and_link(i: &Interface, v6: bool) -> String {
    match (i.link_index, i.link_netnsid, &i.link_name) {
        (Some(0), _, _) => format!("{}@NONE", i.name),
        (Some(l), _, _) if v6 => format!("{}@{}", i.name, link_here(i, l)),
        (Some(l), Some(_), _) => format!("{}@if{l}", i.name),
        (Some(_), None, Some(n)) => format!("{}@{n}", i.name),
        _ => i.name.clone(),
    }
}

fn group_name(g: u32) -> String {
    if g == 0 {
        "default".into()
    } else {
        g.to_string()
    }
}

/// The interface part of `ip link` / `ip addr`: header, link line, details, stats (for
/// `ip link -s`).
fn link_text(s: &mut String, i: &Interface, v: &View, do_link: bool) {
    // `ip -6 addr` asks the kernel for AF_INET6 links, whose messages carry only name, mtu,
    // operstate and the lower link (the queue length iproute2 then reads by ioctl).
    let v6 = !do_link && v.family == Some(Family::V6);
    let _ = write!(s, "{}: {}: ", i.index, name_and_link(i, v6));
    s.push_str(&flags_text(i, v6));
    if let Some(m) = i.mtu {
        let _ = write!(s, "mtu {m} ");
    }
    if let Some(q) = i.qdisc.as_ref().filter(|_| !v6) {
        let _ = write!(s, "qdisc {q} ");
    }
    if let Some(m) = i.master_name.as_ref().filter(|_| !v6) {
        let _ = write!(s, "master {m} ");
    }
    let _ = write!(s, "state {} ", i.operstate);
    if do_link {
        if let Some(m) = &i.link_mode {
            let _ = write!(s, "mode {m} ");
        }
    }
    if let Some(g) = i.group.filter(|_| !v6) {
        let _ = write!(s, "group {} ", group_name(g));
    }
    if let Some(q) = i.txqlen.filter(|q| *q != 0) {
        let _ = write!(s, "qlen {q}");
    }
    if v.family.is_none() || do_link || v.details {
        let _ = write!(s, "\n    link/{} ", i.link_type);
        if let Some(m) = &i.mac {
            s.push_str(m);
        }
        if let Some(b) = &i.broadcast {
            if i.if_flags & 0x10 != 0 {
                let _ = write!(s, " peer {b}");
            } else {
                let _ = write!(s, " brd {b}");
            }
        }
    }
    if let Some(n) = i.link_netnsid.filter(|_| !v6) {
        match (&i.link_netns, n >= 0) {
            (Some(name), true) => {
                let _ = write!(s, " link-netns {name}");
            }
            (None, true) => {
                let _ = write!(s, " link-netnsid {n}");
            }
            _ => s.push_str(" link-netnsid unknown"),
        }
    }
    if v.details {
        details_text(s, i, do_link);
    }
    if do_link && v.stats > 0 {
        if let Some(st) = &i.stats {
            s.push('\n');
            stats_text(s, st, v.stats, v);
        }
    }
    s.push('\n');
}

fn details_text(s: &mut String, i: &Interface, do_link: bool) {
    let d = &i.details;
    if let Some(x) = d.promiscuity {
        let _ = write!(s, " promiscuity {x} ");
    }
    if let Some(x) = d.allmulti {
        let _ = write!(s, " allmulti {x} ");
    }
    if let Some(x) = d.min_mtu {
        let _ = write!(s, "minmtu {x} ");
    }
    if let Some(x) = d.max_mtu {
        let _ = write!(s, "maxmtu {x} ");
    }
    if let Some(k) = &i.kind {
        let _ = write!(s, "\n    {k} ");
        for (key, val) in &d.kind_data {
            kv(s, key, val);
        }
    }
    if let Some(k) = &d.slave_kind {
        let _ = write!(s, "\n    {k}_slave ");
        for (key, val) in &d.slave_data {
            kv(s, key, val);
        }
    }
    if do_link {
        if let Some(m) = &d.addrgenmode {
            let _ = write!(s, "addrgenmode {m} ");
        }
    }
    for (name, x) in [
        ("numtxqueues", d.num_tx_queues),
        ("numrxqueues", d.num_rx_queues),
        ("gso_max_size", d.gso_max_size),
        ("gso_max_segs", d.gso_max_segs),
        ("tso_max_size", d.tso_max_size),
        ("tso_max_segs", d.tso_max_segs),
        ("gro_max_size", d.gro_max_size),
    ] {
        if let Some(x) = x {
            let _ = write!(s, "{name} {x} ");
        }
    }
    if let Some(x) = &d.parent_bus {
        let _ = write!(s, "parentbus {x} ");
    }
    if let Some(x) = &d.parent_dev {
        let _ = write!(s, "parentdev {x} ");
    }
}

/// One `key value ` pair of a driver's detail line; an empty value prints the key alone.
fn kv(s: &mut String, key: &str, val: &str) {
    if val.is_empty() {
        let _ = write!(s, "{key} ");
    } else {
        let _ = write!(s, "{key} {val} ");
    }
}

fn width(cols: &mut [usize], vals: &[u64]) {
    for (c, v) in cols.iter_mut().zip(vals) {
        let len = v.to_string().len();
        if len > *c {
            *c = len;
        }
    }
}

/// iproute2 6.1's `print_stats64` text (`-s`, and the error rows with `-s -s`).
fn stats_text(s: &mut String, st: &LinkStats, level: u8, v: &View) {
    let mut c = [10usize, 7, 6, 7, 7, 7, 10, 9];
    let width = |c: &mut [usize], vals: &[u64]| {
        if !v.human {
            width(c, vals)
        }
    };
    width(
        &mut c,
        &[
            st.rx_bytes,
            st.rx_packets,
            st.rx_errors,
            st.rx_dropped,
            st.rx_missed_errors,
            st.multicast,
            st.rx_compressed,
            0,
        ],
    );
    if level > 1 {
        width(
            &mut c,
            &[
                0,
                st.rx_length_errors,
                st.rx_crc_errors,
                st.rx_frame_errors,
                st.rx_fifo_errors,
                st.rx_over_errors,
                st.rx_nohandler,
                st.rx_otherhost_dropped,
            ],
        );
    }
    width(
        &mut c,
        &[
            st.tx_bytes,
            st.tx_packets,
            st.tx_errors,
            st.tx_dropped,
            st.tx_carrier_errors,
            st.collisions,
            st.tx_compressed,
            0,
        ],
    );
    let cc = st.carrier_changes.unwrap_or(0) as u64;
    if level > 1 {
        width(
            &mut c,
            &[
                0,
                0,
                st.tx_aborted_errors,
                st.tx_fifo_errors,
                st.tx_window_errors,
                st.tx_heartbeat_errors,
                cc,
                0,
            ],
        );
    }
    let num = |s: &mut String, w: usize, n: u64| print_num(s, w, n, v);
    let _ = write!(
        s,
        "    RX: {:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$} {:>h$}\n    ",
        "bytes",
        "packets",
        "errors",
        "dropped",
        "missed",
        "mcast",
        if st.rx_compressed != 0 {
            "compressed"
        } else {
            ""
        },
        a = c[0] - 4,
        b = c[1],
        d = c[2],
        e = c[3],
        f = c[4],
        g = c[5],
        h = c[6]
    );
    for (w, n) in [
        (c[0], st.rx_bytes),
        (c[1], st.rx_packets),
        (c[2], st.rx_errors),
        (c[3], st.rx_dropped),
        (c[4], st.rx_missed_errors),
        (c[5], st.multicast),
    ] {
        num(s, w, n);
    }
    if st.rx_compressed != 0 {
        num(s, c[6], st.rx_compressed);
    }
    if level > 1 {
        let _ = write!(
            s,
            "\n    RX errors:{:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$}{:>h$}{:>i$}\n",
            "",
            "length",
            "crc",
            "frame",
            "fifo",
            "overrun",
            if st.rx_nohandler != 0 {
                " nohandler"
            } else {
                ""
            },
            if st.rx_otherhost_dropped != 0 {
                " otherhost"
            } else {
                ""
            },
            a = c[0] - 10,
            b = c[1],
            d = c[2],
            e = c[3],
            f = c[4],
            g = c[5],
            h = if st.rx_nohandler != 0 { c[6] + 1 } else { 0 },
            i = if st.rx_otherhost_dropped != 0 {
                c[7] + 1
            } else {
                0
            },
        );
        let _ = write!(s, "{:w$}", "", w = c[0] + 5);
        for (w, n) in [
            (c[1], st.rx_length_errors),
            (c[2], st.rx_crc_errors),
            (c[3], st.rx_frame_errors),
            (c[4], st.rx_fifo_errors),
            (c[5], st.rx_over_errors),
        ] {
            num(s, w, n);
        }
        if st.rx_nohandler != 0 {
            num(s, c[6], st.rx_nohandler);
        }
        if st.rx_otherhost_dropped != 0 {
            num(s, c[7], st.rx_otherhost_dropped);
        }
    }
    let _ = write!(
        s,
        "\n    TX: {:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$} {:>h$}\n    ",
        "bytes",
        "packets",
        "errors",
        "dropped",
        "carrier",
        "collsns",
        if st.tx_compressed != 0 {
            "compressed"
        } else {
            ""
        },
        a = c[0] - 4,
        b = c[1],
        d = c[2],
        e = c[3],
        f = c[4],
        g = c[5],
        h = c[6]
    );
    for (w, n) in [
        (c[0], st.tx_bytes),
        (c[1], st.tx_packets),
        (c[2], st.tx_errors),
        (c[3], st.tx_dropped),
        (c[4], st.tx_carrier_errors),
        (c[5], st.collisions),
    ] {
        num(s, w, n);
    }
    if st.tx_compressed != 0 {
        num(s, c[6], st.tx_compressed);
    }
    if level > 1 {
        let _ = write!(
            s,
            "\n    TX errors:{:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$}\n",
            "",
            "aborted",
            "fifo",
            "window",
            "heartbt",
            if st.carrier_changes.is_some() {
                "transns"
            } else {
                ""
            },
            a = c[0] - 10,
            b = c[1],
            d = c[2],
            e = c[3],
            f = c[4],
            g = c[5],
        );
        let _ = write!(s, "{:w$}", "", w = c[0] + 5);
        for (w, n) in [
            (c[1], st.tx_aborted_errors),
            (c[2], st.tx_fifo_errors),
            (c[3], st.tx_window_errors),
            (c[4], st.tx_heartbeat_errors),
        ] {
            num(s, w, n);
        }
        if let Some(x) = st.carrier_changes {
            num(s, c[5], x as u64);
        }
    }
}

/// The `IFA_F_*` words in iproute2's order (`dynamic` where `permanent` is missing).
fn ifa_flag_words(a: &netshoot_inspect::InterfaceAddress) -> Vec<&'static str> {
    let mut f = a.ifa_flags;
    let mut out = Vec::new();
    const T: [(u32, &str); 12] = [
        (0x01, "secondary"),
        (0x02, "nodad"),
        (0x04, "optimistic"),
        (0x08, "dadfailed"),
        (0x10, "home"),
        (0x20, "deprecated"),
        (0x40, "tentative"),
        (0x80, "permanent"),
        (0x100, "mngtmpaddr"),
        (0x200, "noprefixroute"),
        (0x400, "autojoin"),
        (0x800, "stable-privacy"),
    ];
    for (bit, name) in T {
        if bit == 0x80 {
            if f & bit == 0 {
                out.push("dynamic");
            }
        } else if f & bit != 0 {
            out.push(if bit == 1 && a.family == "inet6" {
                "temporary"
            } else {
                name
            });
        }
        f &= !bit;
    }
    out
}

fn lft(x: u32) -> String {
    if x == u32::MAX {
        "forever".into()
    } else {
        format!("{x}sec")
    }
}

fn address_text(s: &mut String, a: &netshoot_inspect::InterfaceAddress) {
    let _ = write!(s, "    {} {}", a.family, a.address);
    if let Some(p) = a.peer {
        let _ = write!(s, " peer {p}");
    }
    let _ = write!(s, "/{} ", a.prefix_len);
    if let Some(m) = a.metric {
        let _ = write!(s, "metric {m} ");
    }
    if let Some(b) = a.broadcast {
        let _ = write!(s, "brd {b} ");
    }
    if let Some(b) = a.anycast {
        let _ = write!(s, "any {b} ");
    }
    let _ = write!(s, "scope {} ", a.scope);
    for f in ifa_flag_words(a) {
        let _ = write!(s, "{f} ");
    }
    if let Some(l) = &a.label {
        s.push_str(l);
    }
    if let (Some(va), Some(pr)) = (a.valid_lft, a.preferred_lft) {
        let _ = write!(
            s,
            "\n       valid_lft {} preferred_lft {}",
            lft(va),
            lft(pr)
        );
    }
    s.push('\n');
}

fn family_ok(v: &View, a: &netshoot_inspect::InterfaceAddress) -> bool {
    match v.family {
        Some(Family::V4) => a.address.is_ipv4(),
        Some(Family::V6) => a.address.is_ipv6(),
        None => true,
    }
}

/// `ip addr` lines for these interfaces (already narrowed to a device if one was asked for).
pub fn addr_lines(ifs: &[Interface], v: &View) -> String {
    let mut s = String::new();
    for i in ifs {
        if v.family.is_some() && !i.addresses.iter().any(|a| family_ok(v, a)) {
            continue;
        }
        if v.brief {
            let v6 = v.family == Some(Family::V6);
            let _ = write!(s, "{:<16} {:<14} ", name_and_link(i, v6), i.operstate);
            for a in i.addresses.iter().filter(|a| family_ok(v, a)) {
                let _ = write!(s, "{}", a.address);
                if let Some(p) = a.peer {
                    let _ = write!(s, " peer {p}");
                }
                let _ = write!(s, "/{} ", a.prefix_len);
            }
            s.push('\n');
            continue;
        }
        if v.oneline {
            // `ip -o addr` leaves the links out and prefixes each address with its device.
            for a in i.addresses.iter().filter(|a| family_ok(v, a)) {
                let mut rec = format!("{}: {}", i.index, i.name);
                address_text(&mut rec, a);
                s.push_str(&fold(&rec));
            }
            continue;
        }
        link_text(&mut s, i, v, false);
        for a in i.addresses.iter().filter(|a| family_ok(v, a)) {
            address_text(&mut s, a);
        }
        if v.stats > 0 {
            if let Some(st) = &i.stats {
                stats_text(&mut s, st, v.stats, v);
                s.push('\n');
            }
        }
    }
    s
}

/// `ip link` lines.
pub fn link_lines(ifs: &[Interface], v: &View) -> String {
    let mut s = String::new();
    for i in ifs {
        if v.brief {
            let _ = write!(s, "{:<16} {:<14} ", name_and_link(i, false), i.operstate);
            if let Some(m) = &i.mac {
                let _ = write!(s, "{m} ");
            }
            s.push_str(&flags_text(i, false));
            s.push('\n');
            continue;
        }
        if v.oneline {
            let mut rec = String::new();
            link_text(&mut rec, i, v, true);
            s.push_str(&fold(&rec));
        } else {
            link_text(&mut s, i, v, true);
        }
    }
    s
}

fn stats_json(st: &LinkStats, level: u8) -> J {
    let mut rx = vec![
        ("bytes", J::U(st.rx_bytes)),
        ("packets", J::U(st.rx_packets)),
        ("errors", J::U(st.rx_errors)),
        ("dropped", J::U(st.rx_dropped)),
        ("over_errors", J::U(st.rx_over_errors)),
        ("multicast", J::U(st.multicast)),
    ];
    if st.rx_compressed != 0 {
        rx.push(("compressed", J::U(st.rx_compressed)));
    }
    if level > 1 {
        rx.push(("length_errors", J::U(st.rx_length_errors)));
        rx.push(("crc_errors", J::U(st.rx_crc_errors)));
        rx.push(("frame_errors", J::U(st.rx_frame_errors)));
        rx.push(("fifo_errors", J::U(st.rx_fifo_errors)));
        rx.push(("missed_errors", J::U(st.rx_missed_errors)));
        if st.rx_nohandler != 0 {
            rx.push(("nohandler", J::U(st.rx_nohandler)));
        }
        if st.rx_otherhost_dropped != 0 {
            rx.push(("otherhost", J::U(st.rx_otherhost_dropped)));
        }
    }
    let mut tx = vec![
        ("bytes", J::U(st.tx_bytes)),
        ("packets", J::U(st.tx_packets)),
        ("errors", J::U(st.tx_errors)),
        ("dropped", J::U(st.tx_dropped)),
        ("carrier_errors", J::U(st.tx_carrier_errors)),
        ("collisions", J::U(st.collisions)),
    ];
    if st.tx_compressed != 0 {
        tx.push(("compressed", J::U(st.tx_compressed)));
    }
    if level > 1 {
        tx.push(("aborted_errors", J::U(st.tx_aborted_errors)));
        tx.push(("fifo_errors", J::U(st.tx_fifo_errors)));
        tx.push(("window_errors", J::U(st.tx_window_errors)));
        tx.push(("heartbeat_errors", J::U(st.tx_heartbeat_errors)));
        if let Some(c) = st.carrier_changes {
            tx.push(("carrier_changes", J::U(c as u64)));
        }
    }
    J::Obj(vec![("rx", J::Obj(rx)), ("tx", J::Obj(tx))])
}

fn link_json(i: &Interface, v: &View, do_link: bool) -> Vec<(&'static str, J)> {
    let v6 = !do_link && v.family == Some(Family::V6);
    let mut o = vec![("ifindex", J::U(i.index as u64))];
    o.extend(name_json(i, v6));
    o.push(("flags", flags_json(i, v6)));
    if let Some(m) = i.mtu {
        o.push(("mtu", J::U(m as u64)));
    }
    if let Some(q) = i.qdisc.as_ref().filter(|_| !v6) {
        o.push(("qdisc", J::Str(q.clone())));
    }
    if let Some(m) = i.master_name.as_ref().filter(|_| !v6) {
        o.push(("master", J::Str(m.clone())));
    }
    o.push(("operstate", J::Str(i.operstate.clone())));
    if do_link {
        if let Some(m) = &i.link_mode {
            o.push(("linkmode", J::Str(m.clone())));
        }
    }
    if let Some(g) = i.group.filter(|_| !v6) {
        o.push(("group", J::Str(group_name(g))));
    }
    if let Some(q) = i.txqlen.filter(|q| *q != 0) {
        o.push(("txqlen", J::U(q as u64)));
    }
    if v.family.is_none() || do_link || v.details {
        o.push(("link_type", J::Str(i.link_type.clone())));
        if let Some(m) = &i.mac {
            o.push(("address", J::Str(m.clone())));
        }
        if let Some(b) = &i.broadcast {
            if i.if_flags & 0x10 != 0 {
                o.push(("link_pointtopoint", J::Bool(true)));
            }
            o.push(("broadcast", J::Str(b.clone())));
        }
    }
    if let Some(n) = i.link_netnsid.filter(|_| !v6) {
        o.push(("link_netnsid", J::I(n as i64)));
    }
    if do_link && v.stats > 0 {
        if let Some(st) = &i.stats {
            o.push(("stats64", stats_json(st, v.stats)));
        }
    }
    o
}

/// `link`/`link_index` and `ifname`, as iproute2's JSON names an interface.
fn name_json(i: &Interface, v6: bool) -> Vec<(&'static str, J)> {
    let mut o = Vec::new();
    match (i.link_index, i.link_netnsid, &i.link_name) {
        (Some(0), _, _) => o.push(("link", J::Null)),
        (Some(l), _, _) if v6 => o.push(("link", J::Str(link_here(i, l)))),
        (Some(l), Some(_), _) => o.push(("link_index", J::U(l as u64))),
        (Some(_), None, Some(n)) => o.push(("link", J::Str(n.clone()))),
        _ => {}
    }
    o.push(("ifname", J::Str(i.name.clone())));
    o
}

fn address_json(a: &netshoot_inspect::InterfaceAddress) -> J {
    let mut o = vec![
        ("family", J::Str(a.family.into())),
        ("local", J::Str(a.address.to_string())),
    ];
    if let Some(p) = a.peer {
        o.push(("address", J::Str(p.to_string())));
    }
    o.push(("prefixlen", J::U(a.prefix_len as u64)));
    if let Some(m) = a.metric {
        o.push(("metric", J::U(m as u64)));
    }
    if let Some(b) = a.broadcast {
        o.push(("broadcast", J::Str(b.to_string())));
    }
    if let Some(b) = a.anycast {
        o.push(("anycast", J::Str(b.to_string())));
    }
    o.push(("scope", J::Str(a.scope.clone())));
    for f in ifa_flag_words(a) {
        o.push((f, J::Bool(true)));
    }
    if let Some(l) = &a.label {
        o.push(("label", J::Str(l.clone())));
    }
    if let (Some(va), Some(pr)) = (a.valid_lft, a.preferred_lft) {
        o.push(("valid_life_time", J::U(va as u64)));
        o.push(("preferred_life_time", J::U(pr as u64)));
    }
    J::Obj(o)
}

/// `ip -j addr`.
pub fn addr_json(ifs: &[Interface], v: &View) -> J {
    let mut out = Vec::new();
    for i in ifs {
        if v.family.is_some() && !i.addresses.iter().any(|a| family_ok(v, a)) {
            continue;
        }
        let mut o = if v.brief {
            let mut o = name_json(i, v.family == Some(Family::V6));
            o.push(("operstate", J::Str(i.operstate.clone())));
            o
        } else {
            link_json(i, v, false)
        };
        o.push((
            "addr_info",
            J::Arr(
                i.addresses
                    .iter()
                    .filter(|a| family_ok(v, a))
                    .map(|a| {
                        if v.brief {
                            J::Obj(vec![
                                ("local", J::Str(a.address.to_string())),
                                ("prefixlen", J::U(a.prefix_len as u64)),
                            ])
                        } else {
                            address_json(a)
                        }
                    })
                    .collect(),
            ),
        ));
        if !v.brief && v.stats > 0 {
            if let Some(st) = &i.stats {
                o.push(("stats64", stats_json(st, v.stats)));
            }
        }
        out.push(J::Obj(o));
    }
    J::Arr(out)
}

/// `ip -j link`.
pub fn link_json_all(ifs: &[Interface], v: &View) -> J {
    J::Arr(
        ifs.iter()
            .map(|i| {
                if v.brief {
                    let mut o = name_json(i, false);
                    o.push(("operstate", J::Str(i.operstate.clone())));
                    if let Some(m) = &i.mac {
                        o.push(("address", J::Str(m.clone())));
                    }
                    o.push(("flags", flags_json(i, false)));
                    J::Obj(o)
                } else {
                    J::Obj(link_json(i, v, true))
                }
            })
            .collect(),
    )
}

fn table_name(t: u32) -> String {
    match t {
        255 => "local".into(),
        254 => "main".into(),
        253 => "default".into(),
        0 => "unspec".into(),
        n => n.to_string(),
    }
}

const RT_FLAGS: [(u32, &str); 11] = [
    (1, "dead"),
    (4, "onlink"),
    (2, "pervasive"),
    (8, "offload"),
    (64, "trap"),
    (0x100, "notify"),
    (16, "linkdown"),
    (32, "unresolved"),
    (0x4000, "rt_offload"),
    (0x8000, "rt_trap"),
    (0x2000_0000, "rt_offload_failed"),
];

const CACHE_FLAGS: [(u32, &str); 14] = [
    (0x8000_0000, "local"),
    (0x4000_0000, "reject"),
    (0x2000_0000, "mc"),
    (0x1000_0000, "brd"),
    (0x0800_0000, "dst-nat"),
    (0x0080_0000, "src-nat"),
    (0x0040_0000, "masq"),
    (0x0002_0000, "dst-direct"),
    (0x0400_0000, "src-direct"),
    (0x0004_0000, "redirected"),
    (0x0100_0000, "redirect"),
    (0x0020_0000, "fastroute"),
    (0x0001_0000, "notify"),
    (0x0008_0000, "proxy"),
];

const RTM_F_CLONED: u32 = 0x200;

/// How a route list was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteOpts {
    /// The table `show table T` named (its routes do not repeat it).
    pub listed_table: Option<u32>,
    /// `dev X` was given (iproute2 leaves the device out then).
    pub hide_dev: bool,
    /// `-d`: type, table, protocol and scope always.
    pub details: bool,
    /// `-s`: cache users, uses and age.
    pub stats: bool,
}

/// One `ip route` line; `listed_table` is the table `show table T` asked for (its routes do
/// not repeat it).
pub fn route_line(r: &Route, o: &RouteOpts) -> String {
    let (listed_table, hide_dev) = (o.listed_table, o.hide_dev);
    let mut s = String::new();
    match (&r.kind, o.details) {
        (Some(k), _) => {
            let _ = write!(s, "{k} ");
        }
        (None, true) => s.push_str("unicast "),
        _ => {}
    }
    let _ = write!(s, "{} ", r.dst);
    if let Some(f) = &r.from {
        let _ = write!(s, "from {f} ");
    }
    if let Some(g) = r.gateway {
        let _ = write!(s, "via {g} ");
    }
    if let Some(d) = r.dev.as_ref().filter(|_| !hide_dev) {
        let _ = write!(s, "dev {d} ");
    }
    if r.table != 0 && (r.table != 254 || o.details) && listed_table.is_none() {
        let _ = write!(s, "table {} ", table_name(r.table));
    }
    if r.rtm_flags & RTM_F_CLONED == 0 {
        match (&r.protocol, o.details) {
            (Some(p), _) => {
                let _ = write!(s, "proto {p} ");
            }
            (None, true) => s.push_str("proto boot "),
            _ => {}
        }
        match (&r.scope, o.details) {
            (Some(sc), _) => {
                let _ = write!(s, "scope {sc} ");
            }
            (None, true) => s.push_str("scope global "),
            _ => {}
        }
    }
    if let Some(p) = r.prefsrc {
        let _ = write!(s, "src {p} ");
    }
    if let Some(m) = r.metric {
        let _ = write!(s, "metric {m} ");
    }
    for (bit, name) in RT_FLAGS {
        if r.rtm_flags & bit != 0 {
            let _ = write!(s, "{name} ");
        }
    }
    if let Some(u) = r.uid {
        let _ = write!(s, "uid {u} ");
    }
    if r.family == "inet" && r.rtm_flags & RTM_F_CLONED != 0 {
        s.push_str("\n    cache ");
        let mut f = r.rtm_flags & !0xffff;
        if f != 0 {
            s.push('<');
            for (bit, name) in CACHE_FLAGS {
                if f & bit != 0 {
                    f &= !bit;
                    let _ = write!(s, "{name}{}", if f != 0 { "," } else { "> " });
                }
            }
            if f != 0 {
                let _ = write!(s, "{f:x}>");
            }
        }
    }
    if let Some(e) = r.expires {
        let _ = write!(s, "expires {e}sec ");
    }
    if let Some(e) = r.error {
        let _ = write!(s, "error {e} ");
    }
    if let (true, Some((users, used, age))) = (o.stats, r.usage) {
        if users != 0 {
            let _ = write!(s, "users {users} ");
        }
        if used != 0 {
            let _ = write!(s, "used {used} ");
        }
        if let Some(age) = age {
            let _ = write!(s, "age {age}sec ");
        }
    }
    for (k, v) in &r.metrics {
        let _ = write!(s, "{k} {v} ");
    }
    if let Some(p) = &r.pref {
        let _ = write!(s, "pref {p}");
    }
    s.push('\n');
    s
}

/// `ip -j route` objects.
pub fn route_json(routes: &[Route], opts: &RouteOpts) -> J {
    let (listed_table, hide_dev) = (opts.listed_table, opts.hide_dev);
    J::Arr(
        routes
            .iter()
            .map(|r| {
                let mut o = Vec::new();
                match (&r.kind, opts.details) {
                    (Some(k), _) => o.push(("type", J::Str(k.clone()))),
                    (None, true) => o.push(("type", J::Str("unicast".into()))),
                    _ => {}
                }
                o.push(("dst", J::Str(r.dst.clone())));
                if let Some(f) = &r.from {
                    o.push(("from", J::Str(f.clone())));
                }
                if let Some(g) = r.gateway {
                    o.push(("gateway", J::Str(g.to_string())));
                }
                if let Some(d) = r.dev.as_ref().filter(|_| !hide_dev) {
                    o.push(("dev", J::Str(d.clone())));
                }
                if r.table != 0 && (r.table != 254 || opts.details) && listed_table.is_none() {
                    o.push(("table", J::Str(table_name(r.table))));
                }
                if r.rtm_flags & RTM_F_CLONED == 0 {
                    match (&r.protocol, opts.details) {
                        (Some(p), _) => o.push(("protocol", J::Str(p.clone()))),
                        (None, true) => o.push(("protocol", J::Str("boot".into()))),
                        _ => {}
                    }
                    match (&r.scope, opts.details) {
                        (Some(sc), _) => o.push(("scope", J::Str(sc.clone()))),
                        (None, true) => o.push(("scope", J::Str("global".into()))),
                        _ => {}
                    }
                }
                if let Some(p) = r.prefsrc {
                    o.push(("prefsrc", J::Str(p.to_string())));
                }
                if let Some(m) = r.metric {
                    o.push(("metric", J::U(m as u64)));
                }
                o.push((
                    "flags",
                    J::Arr(
                        RT_FLAGS
                            .iter()
                            .filter(|(b, _)| r.rtm_flags & b != 0)
                            .map(|(_, n)| J::Str((*n).into()))
                            .collect(),
                    ),
                ));
                if let Some(u) = r.uid {
                    o.push(("uid", J::U(u as u64)));
                }
                if r.family == "inet" && r.rtm_flags & RTM_F_CLONED != 0 {
                    o.push((
                        "cache",
                        J::Arr(
                            CACHE_FLAGS
                                .iter()
                                .filter(|(b, _)| r.rtm_flags & b != 0)
                                .map(|(_, n)| J::Str((*n).into()))
                                .collect(),
                        ),
                    ));
                }
                if let Some(e) = r.expires {
                    o.push(("expires", J::I(e)));
                }
                if let (true, Some((users, used, age))) = (opts.stats, r.usage) {
                    if users != 0 {
                        o.push(("users", J::U(users as u64)));
                    }
                    if used != 0 {
                        o.push(("used", J::U(used as u64)));
                    }
                    if let Some(age) = age {
                        o.push(("age", J::U(age as u64)));
                    }
                }
                if let Some(p) = &r.pref {
                    o.push(("pref", J::Str(p.clone())));
                }
                J::Obj(o)
            })
            .collect(),
    )
}

const NUD: [(u16, &str); 8] = [
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];

fn neigh_flags(n: &Neighbour) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (bit, name) in [
        (0x80u8, "router"),
        (0x08, "proxy"),
        (0x10, "extern_learn"),
        (0x20, "offload"),
    ] {
        if n.ntf_flags & bit != 0 {
            out.push(name);
        }
    }
    out
}

/// `ip neigh` lines; `dev_filtered` drops the `dev X` word as iproute2 does under `dev X`.
pub fn neigh_lines(ns: &[Neighbour], dev_filtered: bool, v: &View) -> String {
    let mut s = String::new();
    for n in ns {
        if v.brief {
            let _ = write!(s, "{:<39} ", n.dst.to_string());
            if !dev_filtered && n.ifindex != 0 {
                let _ = write!(s, "{:<16} ", n.dev);
            }
            if let Some(l) = &n.lladdr {
                s.push_str(l);
            }
            if let Some(o) = &n.owner {
                let _ = write!(s, " {}", owner_note(o));
            }
            s.push('\n');
            continue;
        }
        let _ = write!(s, "{} ", n.dst);
        if !dev_filtered && n.ifindex != 0 {
            let _ = write!(s, "dev {} ", n.dev);
        }
        if let Some(l) = &n.lladdr {
            let _ = write!(s, "lladdr {l} ");
        }
        for f in neigh_flags(n) {
            let _ = write!(s, "{f} ");
        }
        if v.stats > 0 {
            if let Some((used, confirmed, updated, refcnt)) = n.cache {
                if refcnt != 0 {
                    let _ = write!(s, " ref {refcnt}");
                }
                let _ = write!(s, " used {used}/{confirmed}/{updated}");
            }
            if let Some(p) = n.probes {
                let _ = write!(s, "probes {p} ");
            }
        }
        for (bit, name) in NUD {
            if n.nud & bit != 0 {
                let _ = write!(s, "{name} ");
            }
        }
        if let Some(o) = &n.owner {
            s.push_str(&owner_note(o));
        }
        s.push('\n');
    }
    s
}

/// `ip -j neigh`.
pub fn neigh_json(ns: &[Neighbour], dev_filtered: bool, v: &View) -> J {
    J::Arr(
        ns.iter()
            .map(|n| {
                let mut o = vec![("dst", J::Str(n.dst.to_string()))];
                if !dev_filtered && n.ifindex != 0 {
                    o.push(("dev", J::Str(n.dev.clone())));
                }
                if let Some(l) = &n.lladdr {
                    o.push(("lladdr", J::Str(l.clone())));
                }
                if v.brief {
                    return J::Obj(o);
                }
                for f in neigh_flags(n) {
                    o.push((f, J::Null));
                }
                if v.stats > 0 {
                    if let Some((used, confirmed, updated, refcnt)) = n.cache {
                        if refcnt != 0 {
                            o.push(("refcnt", J::U(refcnt as u64)));
                        }
                        o.push(("used", J::U(used as u64)));
                        o.push(("confirmed", J::U(confirmed as u64)));
                        o.push(("updated", J::U(updated as u64)));
                    }
                    if let Some(p) = n.probes {
                        o.push(("probes", J::U(p as u64)));
                    }
                }
                if n.nud != 0 {
                    o.push((
                        "state",
                        J::Arr(
                            NUD.iter()
                                .filter(|(b, _)| n.nud & b != 0)
                                .map(|(_, x)| J::Str((*x).into()))
                                .collect(),
                        ),
                    ));
                }
                J::Obj(o)
            })
            .collect(),
    )
}
