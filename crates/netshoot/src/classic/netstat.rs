//! `netstat` (net-tools 2.10): sockets from our sock_diag selection (the same function `ss` and
//! `netshoot sockets` list through), `-r` from our rtnetlink routes (as `route` prints them) and
//! `-i` from our rtnetlink interfaces (as `ifconfig -s` prints them), in netstat's own layout.

use std::collections::HashMap;
use std::net::IpAddr;

use netshoot_inspect::names::{Hosts, Services};
use netshoot_inspect::sockets::{select, unix_refcounts, Owner, Query, Selector, SocketState};
use netshoot_inspect::{Proto, Socket, UnixSocket};

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["netstat"],
    about: "sockets, routes and interfaces as net-tools prints them",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("t", Some('t'), &["tcp"], "TCP sockets"),
    Opt::flag("u", Some('u'), &["udp"], "UDP sockets"),
    Opt::flag("w", Some('w'), &["raw"], "raw sockets"),
    Opt::flag("x", Some('x'), &["unix"], "unix-domain sockets"),
    Opt::flag("l", Some('l'), &["listening"], "listening sockets only"),
    Opt::flag("a", Some('a'), &["all"], "listening and connected sockets"),
    Opt::flag(
        "n",
        Some('n'),
        &["numeric"],
        "numeric addresses, ports and users",
    ),
    Opt::flag(
        "numeric-hosts",
        None,
        &["numeric-hosts"],
        "numeric addresses",
    ),
    Opt::flag("numeric-ports", None, &["numeric-ports"], "numeric ports"),
    Opt::flag(
        "numeric-users",
        None,
        &["numeric-users"],
        "numeric user ids",
    ),
    Opt::flag(
        "p",
        Some('p'),
        &["program"],
        "PID/Program name of each socket",
    ),
    Opt::flag("e", Some('e'), &["extend"], "the User and Inode columns"),
    Opt::flag(
        "W",
        Some('W'),
        &["wide"],
        "do not truncate addresses to 23 characters",
    ),
    Opt::flag("T", Some('T'), &["notrim"], "as -W"),
    Opt::flag("4", Some('4'), &["inet"], "IPv4 sockets only"),
    Opt::flag("6", Some('6'), &["inet6"], "IPv6 sockets only"),
    Opt::value(
        "A",
        Some('A'),
        &["protocol"],
        "FAMILIES",
        "comma-separated: inet, inet6, unix",
    ),
    Opt::flag(
        "r",
        Some('r'),
        &["route"],
        "the kernel routing table (as `route -e`)",
    ),
    Opt::flag(
        "i",
        Some('i'),
        &["interfaces"],
        "the interface table (with -e: as ifconfig)",
    ),
    Opt::flag("F", Some('F'), &["fib"], "with -r: the FIB (the default)"),
    Opt::flag(
        "v",
        Some('v'),
        &["verbose"],
        "accepted (nothing more to say)",
    ),
    Opt::flag("json", None, &["json"], "JSON (netshoot's)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "s",
        Some('s'),
        &["statistics"],
        Takes::No,
        "protocol counters are not summarised; `cat /proc/net/snmp` or `nstat -a` has them",
    ),
    Opt::flag(
        "c",
        Some('c'),
        &["continuous"],
        "print again every second until interrupted",
    ),
    Opt::unsupported(
        "g",
        Some('g'),
        &["groups"],
        Takes::No,
        "multicast memberships: `ip maddr` (netshoot exec -- ip maddr)",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &["masquerade"],
        Takes::No,
        "masqueraded connections: `netshoot conntrack -L`",
    ),
    Opt::unsupported(
        "o",
        Some('o'),
        &["timers"],
        Takes::No,
        "timers are not shown; leave -o out",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["symbolic"],
        Takes::No,
        "hardware names are not resolved; leave -N out",
    ),
    Opt::unsupported(
        "C",
        Some('C'),
        &["cache"],
        Takes::No,
        "the route cache is gone from Linux; -r shows the FIB",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["context"],
        Takes::No,
        "SELinux contexts are not shown; -p names the processes",
    ),
    Opt::unsupported(
        "U",
        Some('U'),
        &["udplite"],
        Takes::No,
        "UDP-Lite sockets are not listed; use -u",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["sctp"],
        Takes::No,
        "SCTP sockets are not listed; use -t or -u",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &[],
        Takes::Optional,
        "give -i alone, or `ifconfig IFACE` for one interface",
    ),
];

/// netstat's grammar (GNU permutation; it takes no operands).
pub const SPEC: Spec = Spec {
    tool: "netstat",
    opts: OPTS,
    permute: true,
    usage: "[-tuwxlanpeWvc46] [-A FAMILIES] | -r [-nec] | -i [-aec]",
    notes: "\
Without -n, ports are named from /etc/services and addresses from /etc/hosts only (netshoot never
asks DNS); an address /etc/hosts does not name stays numeric.
The same engines as `netshoot sockets`, `ip route` and `ip link` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

/// How names are printed.
#[derive(Debug, Clone, Copy)]
struct Numeric {
    hosts: bool,
    ports: bool,
    users: bool,
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "netstat (netshoot {}): netshoot's own sock_diag and rtnetlink engines",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        return Err(usage(
            "netstat",
            format!("unexpected operand '{a}': netstat takes options only"),
        ));
    }
    let n = p.has("n");
    let numeric = Numeric {
        hosts: n || p.has("numeric-hosts"),
        ports: n || p.has("numeric-ports"),
        users: n || p.has("numeric-users"),
    };
    let mut ctx = ctx.clone();
    if p.has("json") {
        ctx.json = true;
    }
    if p.has("r") && p.has("i") {
        return Err(usage("netstat", "give one of -r and -i"));
    }
    // Check the socket selection before anything runs (a bad -A fails at once).
    let k = kinds(&p)?;
    ctx.enter()?;
    let mut first = true;
    loop {
        if p.has("r") {
            // netstat -r prints route -e's columns; netstat -re route's.
            super::route::print_table(numeric.hosts, !p.has("e"), &ctx)?;
        } else if p.has("i") {
            // With -c the title comes once, the table's heading every time.
            super::ifconfig::print_interface_table(p.has("a"), p.has("e"), first, &ctx)?;
        } else {
            sockets(&p, k, numeric, &ctx)?;
        }
        // -c: again every second, until interrupted (as netstat).
        if !p.has("c") {
            return Ok(0);
        }
        first = false;
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Which socket kinds to list.
#[derive(Debug, Default, Clone, Copy)]
struct Kinds {
    tcp: bool,
    udp: bool,
    raw: bool,
    unix: bool,
    v4: bool,
    v6: bool,
}

fn kinds(p: &super::getopt::Parsed) -> anyhow::Result<Kinds> {
    let mut k = Kinds {
        tcp: p.has("t"),
        udp: p.has("u"),
        raw: p.has("w"),
        unix: p.has("x"),
        v4: p.has("4"),
        v6: p.has("6"),
    };
    let mut unix_family = false;
    for list in p.values("A") {
        for f in list.split(',') {
            match f {
                "inet" => k.v4 = true,
                "inet6" => k.v6 = true,
                "unix" => unix_family = true,
                other => {
                    return Err(usage(
                        "netstat",
                        format!("address family '{other}' is not listed; use inet, inet6 or unix"),
                    ))
                }
            }
        }
    }
    let any_family = k.v4 || k.v6 || unix_family;
    let any_proto = k.tcp || k.udp || k.raw || k.unix;
    if !any_proto {
        // netstat lists every protocol of the families asked for (all of them by default).
        let inet = !any_family || k.v4 || k.v6;
        k.tcp = inet;
        k.udp = inet;
        k.raw = inet;
        k.unix = !any_family || unix_family;
    } else if unix_family {
        k.unix = true;
    }
    if !k.v4 && !k.v6 {
        k.v4 = true;
        k.v6 = true;
    }
    Ok(k)
}

/// Lists the sockets `k` selects, in the (already entered) target.
fn sockets(
    p: &super::getopt::Parsed,
    k: Kinds,
    numeric: Numeric,
    ctx: &Ctx,
) -> anyhow::Result<i32> {
    let (listening, all) = (p.has("l"), p.has("a"));
    let progs = p.has("p");
    // Every state, then netstat's own rule below: -l keeps what accepts (TCP LISTEN, UDP and
    // raw without a peer, unix sockets with ACC), the default keeps the rest, -a both.
    let query = Query {
        tcp: k.tcp,
        udp: k.udp,
        raw: k.raw,
        unix: k.unix,
        listening: false,
        all: true,
        processes: progs,
        v4: k.v4 && !k.v6,
        v6: k.v6 && !k.v4,
        filter: Vec::new(),
    };
    let keep = |l: bool| all || l == listening;
    if ctx.json {
        let mut sel = select(&query)?;
        sel.report.sockets.retain(|s| keep(s.is_listening()));
        sel.report.unix.retain(|s| keep(s.is_listening()));
        // netstat reads /proc/net/tcp, tcp6, udp, udp6, raw, raw6 in that order.
        let rank = |s: &Socket| match s.proto {
            Proto::Tcp => 0,
            Proto::Udp => 1,
            Proto::Raw => 2,
        };
        sel.report.sockets.sort_by_key(rank);
        ctx.output().emit(&sel.report, |_| String::new())?;
        return Ok(0);
    }
    // Text: each row written as the dump is parsed (netstat's columns are fixed).
    let sel = Selector::new(&query)?;
    let mode = if all {
        "servers and established"
    } else if listening {
        "only servers"
    } else {
        "w/o servers"
    };
    let opts = RowOpts {
        wide: p.has("W") || p.has("T"),
        extend: p.has("e"),
        progs,
    };
    let mut out = Chunks::default();
    let names = Names::load(numeric);
    let programs = if progs {
        Programs::default()
    } else {
        Programs::none()
    };
    if k.tcp || k.udp || k.raw {
        out.push(&format!("Active Internet connections ({mode})\n"));
        out.push(&inet_header(&opts));
        // netstat reads /proc/net/tcp, tcp6, udp, udp6, raw, raw6 in that order.
        let r = sel.each_inet(&[Proto::Tcp, Proto::Udp, Proto::Raw], |s| {
            if keep(s.is_listening()) {
                out.push(&inet_row(&s, &opts, &names, &programs));
            }
            out.status()
        });
        out.check(r)?;
    }
    if k.unix {
        out.push(&format!("Active UNIX domain sockets ({mode})\n"));
        out.push("Proto RefCnt Flags       Type       State         I-Node  ");
        if progs {
            out.push(&format!(" {:<20}", "PID/Program name"));
        }
        out.push(" Path\n");
        let refs = unix_refcounts();
        let r = sel.each_unix(|s| {
            if keep(s.is_listening()) {
                out.push(&unix_row(&s, &refs, progs, &programs));
            }
            out.status()
        });
        out.check(r)?;
    }
    out.flush()?;
    Ok(0)
}

/// Text written to stdout in 64 KiB pieces while a dump runs; a failed write stops the dump
/// and is the error reported.
#[derive(Default)]
struct Chunks {
    buf: String,
    failed: Option<anyhow::Error>,
}

impl Chunks {
    fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        if self.buf.len() >= 64 * 1024 && self.failed.is_none() {
            if let Err(e) = crate::render::write_text(&self.buf) {
                self.failed = Some(e);
            }
            self.buf.clear();
        }
    }

    /// Err (stopping the dump) once a write failed.
    fn status(&self) -> std::io::Result<()> {
        match self.failed {
            Some(_) => Err(std::io::Error::other("write to stdout failed")),
            None => Ok(()),
        }
    }

    /// The write error if there was one, else the dump's result.
    fn check<E: Into<anyhow::Error>>(&mut self, r: Result<(), E>) -> anyhow::Result<()> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => r.map_err(Into::into),
        }
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        crate::render::write_text(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

struct RowOpts {
    wide: bool,
    extend: bool,
    progs: bool,
}

/// Host, service and user names from local files only.
struct Names {
    hosts: Option<Hosts>,
    services: Option<Services>,
    users: Option<HashMap<u32, String>>,
}

impl Names {
    fn load(n: Numeric) -> Names {
        Names {
            hosts: (!n.hosts).then(Hosts::load),
            services: (!n.ports).then(Services::load),
            users: (!n.users).then(|| {
                std::fs::read_to_string("/etc/passwd")
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| {
                        let f: Vec<&str> = l.split(':').collect();
                        Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
                    })
                    .rev()
                    .collect()
            }),
        }
    }

    /// netstat's host part: `0.0.0.0`, `[::]` and names only without -n.
    fn host(&self, a: IpAddr) -> String {
        match &self.hosts {
            None => a.to_string(),
            Some(h) => {
                if a.is_unspecified() {
                    return if a.is_ipv4() {
                        "0.0.0.0".into()
                    } else {
                        "[::]".into()
                    };
                }
                h.name(a).map_or_else(
                    || a.to_string(),
                    |n| netshoot_wire::text::escape(n).into_owned(),
                )
            }
        }
    }

    fn port(&self, port: u16, proto: Proto) -> String {
        if port == 0 {
            return "*".into();
        }
        let name = match (&self.services, proto) {
            (Some(s), Proto::Tcp) => s.name(port, "tcp"),
            (Some(s), Proto::Udp) => s.name(port, "udp"),
            _ => None,
        };
        name.map_or_else(|| port.to_string(), str::to_string)
    }

    fn user(&self, uid: u32) -> String {
        self.users
            .as_ref()
            .and_then(|u| u.get(&uid).cloned())
            .unwrap_or_else(|| uid.to_string())
    }
}

/// `PID/name` of a socket's holder as netstat finds it: the first process in /proc order that
/// holds the inode, named by its argv[0] (the file name when it is an absolute path), at most
/// 19 characters.
#[derive(Default)]
struct Programs {
    off: bool,
    argv0: std::cell::RefCell<HashMap<u32, String>>,
}

impl Programs {
    fn none() -> Programs {
        Programs {
            off: true,
            ..Default::default()
        }
    }

    fn of(&self, owners: &[Owner]) -> String {
        if self.off {
            return String::new();
        }
        // Our owner list is in ss's order (the last found first): netstat keeps the first.
        let Some(o) = owners.last() else {
            return "-".into();
        };
        let mut cache = self.argv0.borrow_mut();
        let name = cache
            .entry(o.pid)
            .or_insert_with(|| {
                let raw = std::fs::read(format!("/proc/{}/cmdline", o.pid)).unwrap_or_default();
                let first = raw.split(|b| *b == 0).next().unwrap_or(&[]);
                let a = String::from_utf8_lossy(first).into_owned();
                if a.starts_with('/') {
                    a.rsplit('/').next().unwrap_or("").to_string()
                } else {
                    a
                }
            })
            .clone();
        // argv[0] is the process's own to set: escaped, then cut to 19 characters.
        format!("{}/{}", o.pid, netshoot_wire::text::escape(&name))
            .chars()
            .take(19)
            .collect()
    }
}

fn inet_header(o: &RowOpts) -> String {
    let mut h = format!(
        "Proto Recv-Q Send-Q {:<23} {:<23} State      ",
        "Local Address", "Foreign Address"
    );
    if o.extend {
        h.push_str(" User       Inode     ");
    }
    if o.progs {
        h.push_str(&format!(" {:<20}", "PID/Program name"));
    }
    h.push('\n');
    h
}

/// `addr:port`, the address cut so that both fit 23 characters unless -W.
fn endpoint(names: &Names, a: IpAddr, port: u16, proto: Proto, wide: bool) -> String {
    let mut host = names.host(a);
    let port = names.port(port, proto);
    if !wide && host.len() + port.len() > 22 {
        host.truncate(22usize.saturating_sub(port.len()));
    }
    format!("{host}:{port}")
}

/// netstat's word for a TCP state (`/proc/net/tcp` as net-tools names it).
fn tcp_state(s: SocketState) -> &'static str {
    match s {
        SocketState::Established => "ESTABLISHED",
        SocketState::SynSent => "SYN_SENT",
        SocketState::SynRecv => "SYN_RECV",
        SocketState::FinWait1 => "FIN_WAIT1",
        SocketState::FinWait2 => "FIN_WAIT2",
        SocketState::TimeWait => "TIME_WAIT",
        SocketState::Unconnected => "CLOSE",
        SocketState::CloseWait => "CLOSE_WAIT",
        SocketState::LastAck => "LAST_ACK",
        SocketState::Listen => "LISTEN",
        SocketState::Closing => "CLOSING",
        SocketState::Unknown => "UNKNOWN",
    }
}

fn inet_row(s: &Socket, o: &RowOpts, names: &Names, progs: &Programs) -> String {
    let v6 = s.local.is_ipv6();
    let proto = match (s.proto, v6) {
        (Proto::Tcp, false) => "tcp",
        (Proto::Tcp, true) => "tcp6",
        (Proto::Udp, false) => "udp",
        (Proto::Udp, true) => "udp6",
        (Proto::Raw, false) => "raw",
        (Proto::Raw, true) => "raw6",
    };
    let state: String = match s.proto {
        Proto::Tcp => tcp_state(s.state).into(),
        Proto::Udp => match s.state {
            SocketState::Established => "ESTABLISHED".into(),
            _ => String::new(),
        },
        // netstat prints a raw socket's state as the kernel's number.
        Proto::Raw => s.state.number().to_string(),
    };
    // /proc/net/tcp reports a listener's send queue as 0 (sock_diag gives its backlog).
    let send_q = if s.proto == Proto::Tcp && s.state == SocketState::Listen {
        0
    } else {
        s.send_q
    };
    let local = endpoint(names, s.local, s.local_port, s.proto, o.wide);
    let peer = endpoint(names, s.peer, s.peer_port, s.proto, o.wide);
    let mut line = format!(
        "{proto:<4}  {:>6} {:>6} {local:<23} {peer:<23} {state:<11}",
        s.recv_q, send_q
    );
    if o.extend {
        line.push_str(&format!(" {:<10} {:<10}", names.user(s.uid), s.inode));
    }
    if o.progs {
        line.push_str(&format!(" {:<20}", progs.of(&s.processes)));
    }
    line.push('\n');
    line
}

fn unix_row(s: &UnixSocket, refs: &HashMap<u32, u32>, progs: bool, p: &Programs) -> String {
    let flags = if s.is_listening() { "[ ACC ]" } else { "[ ]" };
    let kind = match s.kind.as_str() {
        "u_str" => "STREAM",
        "u_dgr" => "DGRAM",
        "u_seq" => "SEQPACKET",
        _ => "UNKNOWN",
    };
    let state = match s.state {
        SocketState::Listen => "LISTENING",
        SocketState::Established => "CONNECTED",
        SocketState::SynSent => "CONNECTING",
        _ => "",
    };
    let mut line = format!(
        "unix  {:<6} {flags:<11} {kind:<10} {state:<13} {:<8}",
        refs.get(&s.inode).copied().unwrap_or(0),
        s.inode
    );
    if progs {
        line.push_str(&format!(" {:<20}", p.of(&s.processes)));
    }
    line.push(' ');
    line.push_str(s.path.as_deref().unwrap_or(""));
    line.push('\n');
    line
}
