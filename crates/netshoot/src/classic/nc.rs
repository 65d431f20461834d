//! `nc` / `netcat`: OpenBSD netcat's command line onto our `connect` and `listen` engines
//! (`netshoot connect`, `netshoot listen`), with netcat-openbsd's messages (`Connection to
//! HOST PORT port [tcp/SERVICE] succeeded!`, `nc: connect to HOST port PORT (tcp) failed: …`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::getopt::{usage, Opt, Spec, Takes};
use super::services;
use super::{Ctx, Tool};
use crate::cmd::nc::ListenArgs;
use netshoot_probe::connect::{check_ports, PortCheck, Proto, Verdict};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["nc", "netcat"],
    about: "connect, check or listen like OpenBSD netcat (netshoot connect / listen)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("v", Some('v'), &[], "say what happens (on stderr)"),
    Opt::flag(
        "z",
        Some('z'),
        &[],
        "only check whether the ports answer; send nothing",
    ),
    Opt::value(
        "w",
        Some('w'),
        &[],
        "SECONDS",
        "connect timeout (default 5) and idle timeout (default none)",
    ),
    Opt::flag("u", Some('u'), &[], "UDP instead of TCP"),
    Opt::flag(
        "l",
        Some('l'),
        &[],
        "listen for a connection instead of connecting",
    ),
    Opt::flag(
        "k",
        Some('k'),
        &[],
        "with -l: keep listening after a connection ends",
    ),
    Opt::value(
        "p",
        Some('p'),
        &[],
        "PORT",
        "with -l: the port to listen on",
    ),
    Opt::value(
        "s",
        Some('s'),
        &[],
        "ADDRESS",
        "with -l: the address to listen on",
    ),
    Opt::flag("n", Some('n'), &[], "addresses only: never resolve names"),
    Opt::flag("4", Some('4'), &[], "IPv4 only"),
    Opt::flag("6", Some('6'), &[], "IPv6 only"),
    Opt::flag(
        "N",
        Some('N'),
        &[],
        "shut down the sending side after EOF on stdin",
    ),
    Opt::value(
        "q",
        Some('q'),
        &[],
        "SECONDS",
        "after EOF on stdin, wait SECONDS, then quit",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &[],
        Takes::No,
        "stdin is always read; redirect it from /dev/null",
    ),
    Opt::unsupported("D", Some('D'), &[], Takes::No, "leave -D out"),
    Opt::unsupported(
        "U",
        Some('U'),
        &[],
        Takes::No,
        "Unix sockets are not offered; use socat",
    ),
    Opt::unsupported(
        "X",
        Some('X'),
        &[],
        Takes::Value,
        "proxies are not offered; use curl -x or socat",
    ),
    Opt::unsupported(
        "x",
        Some('x'),
        &[],
        Takes::Value,
        "proxies are not offered; use curl -x or socat",
    ),
    Opt::unsupported("P", Some('P'), &[], Takes::Value, "proxies are not offered"),
    Opt::unsupported(
        "e",
        Some('e'),
        &[],
        Takes::Value,
        "running a program is not offered (OpenBSD nc has no -e either); use socat",
    ),
    Opt::unsupported(
        "c",
        Some('c'),
        &[],
        Takes::Value,
        "running a program is not offered; use socat",
    ),
    Opt::unsupported(
        "C",
        Some('C'),
        &[],
        Takes::No,
        "lines are sent as read; use printf 'x\\r\\n'",
    ),
    Opt::unsupported(
        "t",
        Some('t'),
        &[],
        Takes::No,
        "telnet negotiation is not answered",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &[],
        Takes::Value,
        "the TOS byte is not settable",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &[],
        Takes::Value,
        "lines are sent as read, without a pause",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &[],
        Takes::Value,
        "buffer sizes are the kernel's",
    ),
    Opt::unsupported(
        "O",
        Some('O'),
        &[],
        Takes::Value,
        "buffer sizes are the kernel's",
    ),
    Opt::unsupported("r", Some('r'), &[], Takes::No, "ports are tried in order"),
    Opt::unsupported(
        "S",
        Some('S'),
        &[],
        Takes::No,
        "TCP MD5 signatures are not offered",
    ),
    Opt::unsupported("b", Some('b'), &[], Takes::No, "broadcast is not offered"),
    Opt::unsupported(
        "F",
        Some('F'),
        &[],
        Takes::No,
        "descriptor passing is not offered",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &[],
        Takes::Value,
        "the TTL is not settable here; use ping -t or traceroute",
    ),
    Opt::unsupported(
        "m",
        Some('m'),
        &[],
        Takes::Value,
        "the minimum TTL is not settable",
    ),
    Opt::unsupported(
        "V",
        Some('V'),
        &[],
        Takes::Value,
        "routing tables (rtable) are OpenBSD's",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &[],
        Takes::Value,
        "TLS is not offered; use curl or openssl s_client",
    ),
    Opt::unsupported(
        "o",
        Some('o'),
        &[],
        Takes::Value,
        "TLS is not offered; use curl or openssl s_client",
    ),
];

/// OpenBSD netcat's grammar (options may follow the operands, as its getopt permutes).
pub const SPEC: Spec = Spec {
    tool: "nc",
    opts: OPTS,
    permute: true,
    usage: "[-46klNnuvz] [-p PORT] [-q SECONDS] [-s ADDRESS] [-w SECONDS] [HOST] [PORT[-PORT]...]",
    notes: "\
Messages are netcat-openbsd's. Without -w the connection timeout is 5 s (nc waits for the
kernel's) and an idle connection stays open, as nc's; -w SECONDS also closes a connection idle
that long (exit 0), and with -l bounds only the idle connection, not the wait for one.
The same engines as `netshoot connect` and `netshoot listen` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

/// A port spec of nc: `80`, `80-90`.
fn ports(spec: &str) -> anyhow::Result<Vec<u16>> {
    crate::args::port_range(spec).map_err(|_| usage("nc", format!("port number invalid: {spec}")))
}

fn seconds(v: Option<&str>, flag: &str) -> anyhow::Result<Option<f64>> {
    v.map(|s| {
        crate::args::seconds_text(s, flag, false)
            .map(|d| d.as_secs_f64())
            .map_err(|_| {
                usage(
                    "nc",
                    format!(
                        "{flag} '{s}': give seconds (at most {})",
                        crate::args::MAX_SECONDS
                    ),
                )
            })
    })
    .transpose()
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let verbose = p.count("v") as u8 + ctx.verbose;
    let udp = p.has("u");
    if p.has("l") {
        if p.has("z") {
            return Err(usage("nc", "-l and -z cannot be used together"));
        }
        let ops = p.args();
        let (addr, port) = match (ops.as_slice(), p.value("p")) {
            ([], Some(port)) => (p.value("s"), port),
            ([port], None) => (p.value("s"), *port),
            ([a, port], None) => (Some(*a), *port),
            _ => {
                return Err(usage(
                    "nc",
                    "nc -l [-s ADDRESS] [-p] PORT: give one port, by -p or as the operand",
                ))
            }
        };
        let port: u16 = port
            .parse()
            .map_err(|_| usage("nc", format!("port number invalid: {port}")))?;
        let bind = addr
            .map(|a| {
                a.parse::<IpAddr>()
                    .map_err(|_| usage("nc", format!("-s {a}: give an address")))
            })
            .transpose()?;
        // nc -l -w: accept waits forever; a connection idle for -w seconds ends (nc's default:
        // no idle bound).
        let idle = seconds(p.value("w"), "-w")?.unwrap_or(0.0);
        let la = ListenArgs {
            port,
            bind,
            keep_open: p.has("k"),
            udp,
            idle,
            classic: true,
        };
        ctx.enter()?;
        let mut out = ctx.output();
        out.verbose = verbose;
        return crate::cmd::nc::listen(&la, &out);
    }
    // Service names for the verdict lines, read before entering the target (the listener
    // above names none: it binds at once, without parsing nmap's files first).
    services::preload();
    let ops = p.args();
    let Some((host, specs)) = ops.split_first() else {
        return Err(usage("nc", "give a host and a port (or -l PORT)"));
    };
    if specs.is_empty() {
        return Err(usage("nc", "missing port number"));
    }
    if p.has("k") || p.has("p") || p.has("s") {
        return Err(usage(
            "nc",
            "-k, -p and -s are for listening (-l); the source of a connection is the route's",
        ));
    }
    let mut list = Vec::new();
    for s in specs {
        list.extend(ports(s)?);
    }
    let given = seconds(p.value("w"), "-w")?;
    let timeout = given.unwrap_or(5.0);
    let quit = seconds(p.value("q"), "-q")?;
    if p.has("n") && host.parse::<IpAddr>().is_err() {
        return Err(usage(
            "nc",
            format!("getaddrinfo for host \"{host}\": -n takes addresses only"),
        ));
    }
    let target = ctx.enter()?;
    let ip = crate::args::host(host, &target, crate::args::family(p.has("4"), p.has("6")))?;
    let proto = if udp { "udp" } else { "tcp" };
    // nc names a host given by name with its address too.
    let shown = if host.parse::<IpAddr>().is_ok() {
        host.to_string()
    } else {
        format!("{host} ({ip})")
    };
    let succeeded = |port: u16| {
        eprintln!(
            "Connection to {shown} {port} port [{proto}/{}] succeeded!",
            services::etc_name(port, proto).unwrap_or("*")
        )
    };
    let failed = |r: &PortCheck| {
        let why = r.detail.as_deref().unwrap_or(r.state.word());
        let why = why.split(" (os error").next().unwrap_or(why);
        let at = if udp {
            return; // nc -u says nothing when an ICMP port-unreachable refuses the check
        } else if r.state == Verdict::Timeout {
            "timed out: Operation now in progress".to_string()
        } else {
            format!("failed: {why}")
        };
        eprintln!("nc: connect to {shown} port {} ({proto}) {at}", r.port);
    };
    let wait = Duration::from_secs_f64(timeout);
    if p.has("z") {
        let checked = if udp { Proto::Udp } else { Proto::Tcp };
        let results = check_ports(host, ip, &list, checked, wait, |r| {
            if verbose == 0 || ctx.json {
                return;
            }
            if r.state.succeeded() {
                succeeded(r.port);
            } else {
                failed(r);
            }
        });
        if ctx.json {
            ctx.output().emit(&results, |_| String::new())?;
        }
        // nc exits 0 when any port answered.
        let any = results.iter().any(|r| r.state.succeeded());
        return Ok(if any { 0 } else { 1 });
    }
    if list.len() != 1 {
        return Err(usage("nc", "give one port to connect to (ranges need -z)"));
    }
    let addr = SocketAddr::new(ip, list[0]);
    if udp {
        if verbose > 0 {
            succeeded(list[0]);
        }
        // nc -u -w: a silent exchange that long ends, exit 0 and silent (without -w: no
        // bound); after EOF on stdin, -q (else min(-w, 1 s)) for answers.
        let stop = crate::interrupt::flag();
        let bounds = crate::cmd::nc::Bounds {
            idle: given.filter(|w| *w > 0.0).map(Duration::from_secs_f64),
            deadline: None,
            stop: Some(&stop),
        };
        let linger = quit
            .map(Duration::from_secs_f64)
            .unwrap_or(wait.min(Duration::from_secs(1)));
        crate::cmd::nc::pipe_udp(addr, linger, &bounds)?;
        return Ok(0);
    }
    match std::net::TcpStream::connect_timeout(&addr, wait) {
        Ok(stream) => {
            if verbose > 0 {
                succeeded(list[0]);
            }
            let quit = quit.map(Duration::from_secs_f64);
            // nc -w: a connection idle that long ends, exit 0 and silent (without -w: no bound).
            let bounds = crate::cmd::nc::Bounds {
                idle: given.filter(|w| *w > 0.0).map(Duration::from_secs_f64),
                ..Default::default()
            };
            crate::cmd::nc::duplex(stream, quit, p.has("N") || quit.is_some(), &bounds)?;
            Ok(0)
        }
        Err(e) => {
            if verbose > 0 {
                let state = if e.kind() == std::io::ErrorKind::TimedOut {
                    Verdict::Timeout
                } else {
                    Verdict::Unreachable
                };
                failed(&PortCheck {
                    host: host.to_string(),
                    address: ip,
                    port: list[0],
                    proto: Proto::Tcp,
                    state,
                    detail: Some(e.to_string()),
                    elapsed_ms: 0.0,
                });
            }
            Ok(1)
        }
    }
}
