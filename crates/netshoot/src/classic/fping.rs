//! `fping`: fping 5's command line onto our `ping` engine (the same sessions `netshoot ping
//! HOST HOST…` runs concurrently), with fping's lines: `HOST is alive`, the per-reply lines
//! of `-c`, and the `xmt/rcv/%loss` summaries on stderr.

use std::fmt::Write as _;

use netshoot_probe::ping::PingEvent;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::ping::PingArgs;
use netshoot_probe::sweep::HostReport;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["fping"],
    about: "ping many hosts at once like fping (netshoot ping)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "a",
        Some('a'),
        &["alive"],
        "show only the hosts that are alive",
    ),
    Opt::flag(
        "u",
        Some('u'),
        &["unreach"],
        "show only the hosts that are unreachable",
    ),
    Opt::value(
        "c",
        Some('c'),
        &["count"],
        "N",
        "send N requests to each host, print each reply and a summary",
    ),
    Opt::value(
        "C",
        Some('C'),
        &["vcount"],
        "N",
        "like -c, summary as the list of round trips",
    ),
    Opt::flag(
        "q",
        Some('q'),
        &["quiet"],
        "no per-host or per-reply lines (summaries only)",
    ),
    Opt::flag(
        "g",
        Some('g'),
        &["generate"],
        "the targets are a CIDR, or a first and last address",
    ),
    Opt::value(
        "f",
        Some('f'),
        &["file"],
        "FILE",
        "read the targets from FILE (one a line)",
    ),
    Opt::value(
        "p",
        Some('p'),
        &["period"],
        "MS",
        "milliseconds between requests to one host (default 1000)",
    ),
    Opt::value(
        "t",
        Some('t'),
        &["timeout"],
        "MS",
        "milliseconds to wait for a reply (default 500)",
    ),
    Opt::value(
        "r",
        Some('r'),
        &["retry"],
        "N",
        "without -c: retries per host (default 3)",
    ),
    Opt::value(
        "b",
        Some('b'),
        &["size"],
        "BYTES",
        "ICMP payload bytes (default 56)",
    ),
    Opt::value("H", Some('H'), &["ttl"], "TTL", "IP TTL"),
    Opt::value(
        "I",
        Some('I'),
        &["iface"],
        "IFACE",
        "send from this interface",
    ),
    Opt::value(
        "S",
        Some('S'),
        &["src"],
        "ADDRESS",
        "send from this source address",
    ),
    Opt::flag("M", Some('M'), &["dontfrag"], "set DF (never fragment)"),
    Opt::flag(
        "e",
        Some('e'),
        &["elapsed"],
        "show the round trip of alive hosts",
    ),
    Opt::flag(
        "A",
        Some('A'),
        &["addr"],
        "show addresses (always so for addresses given)",
    ),
    Opt::flag("4", Some('4'), &["ipv4"], "IPv4 only"),
    Opt::flag("6", Some('6'), &["ipv6"], "IPv6 only"),
    Opt::flag("v", Some('v'), &["version"], "print the version"),
    Opt::unsupported(
        "i",
        Some('i'),
        &["interval"],
        Takes::Value,
        "hosts are pinged concurrently; -p sets the period per host",
    ),
    Opt::unsupported(
        "l",
        Some('l'),
        &["loop"],
        Takes::No,
        "use a large -c instead (Ctrl-C ends it with the summary)",
    ),
    Opt::unsupported(
        "s",
        Some('s'),
        &["stats"],
        Takes::No,
        "the -c summaries give the counts per host",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &["rdns"],
        Takes::No,
        "addresses are not resolved back to names",
    ),
    Opt::unsupported(
        "n",
        Some('n'),
        &["name"],
        Takes::No,
        "addresses are not resolved back to names",
    ),
    Opt::unsupported(
        "D",
        Some('D'),
        &["timestamp"],
        Takes::No,
        "use ping -D HOST for timestamps",
    ),
    Opt::unsupported(
        "o",
        Some('o'),
        &["outage"],
        Takes::No,
        "outage time is not computed; use -c and the loss",
    ),
    Opt::unsupported(
        "Q",
        Some('Q'),
        &["squiet"],
        Takes::Value,
        "no interval reports; use -c for the summary",
    ),
    Opt::unsupported(
        "x",
        Some('x'),
        &["reachable"],
        Takes::Value,
        "count the -a lines instead (fping -a … | wc -l)",
    ),
    Opt::unsupported(
        "X",
        Some('X'),
        &["fast-reachable"],
        Takes::Value,
        "count the -a lines instead",
    ),
    Opt::unsupported(
        "m",
        Some('m'),
        &["all"],
        Takes::No,
        "give each address as its own target",
    ),
    Opt::unsupported(
        "O",
        Some('O'),
        &["tos"],
        Takes::Value,
        "the TOS byte is not settable",
    ),
    Opt::unsupported(
        "R",
        Some('R'),
        &["random"],
        Takes::No,
        "the payload is fixed",
    ),
    Opt::unsupported(
        "B",
        Some('B'),
        &["backoff"],
        Takes::Value,
        "retries are spaced by -t without backoff",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &[],
        Takes::Value,
        "leave -T out (fping ignores it too)",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["netdata"],
        Takes::No,
        "use --json with netshoot ping",
    ),
];

/// fping's grammar (options may follow the targets).
pub const SPEC: Spec = Spec {
    tool: "fping",
    opts: OPTS,
    permute: true,
    usage: "[-46aAeMqu] [-b BYTES] [-c N | -C N] [-f FILE] [-H TTL] [-I IFACE] [-p MS] [-r N] [-S ADDRESS] [-t MS] [-g] TARGET...",
    notes: "\
Hosts are pinged concurrently (64 at a time); lines are printed when every host is done, host by
host, rather than as replies arrive. Retries are spaced by -t without fping's backoff.
The same engine as `netshoot ping HOST HOST…` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn num<T: std::str::FromStr>(
    p: &super::getopt::Parsed,
    id: &str,
    what: &str,
) -> anyhow::Result<Option<T>> {
    p.value(id)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| usage("fping", format!("-{id} '{v}': {what}")))
        })
        .transpose()
}

/// fping's round-trip format: 3 decimals below 1 ms, fewer above.
fn tm(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.3}")
    } else if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// fping's name for an ICMP error (ours are iputils').
fn icmp_words(text: &str) -> String {
    match text {
        "Destination Net Unreachable" => "Network Unreachable".into(),
        "Destination Host Unreachable" => "Host Unreachable".into(),
        "Destination Protocol Unreachable" => "Protocol Unreachable".into(),
        "Destination Port Unreachable" => "Port Unreachable".into(),
        "Frag needed and DF set" => "Unreachable (Fragmentation Needed)".into(),
        "Packet filtered" => "Unreachable (Communication Administratively Prohibited)".into(),
        "Time to live exceeded" => "Time Exceeded".into(),
        other => other.to_string(),
    }
}

/// `-g FIRST LAST`: every IPv4 address between the two, inclusive.
fn range(a: &str, b: &str) -> anyhow::Result<Vec<String>> {
    let bad = || {
        usage(
            "fping",
            format!("-g {a} {b}: give two IPv4 addresses, or one CIDR"),
        )
    };
    let (x, y): (std::net::Ipv4Addr, std::net::Ipv4Addr) =
        (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    let (x, y) = (u32::from(x), u32::from(y));
    if y < x || y - x > 65_536 {
        return Err(usage(
            "fping",
            format!("-g {a} {b}: the range is reversed or larger than 65536 addresses"),
        ));
    }
    Ok((x..=y)
        .map(|i| std::net::Ipv4Addr::from(i).to_string())
        .collect())
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if p.has("v") {
        println!("fping: netshoot {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    let count: Option<u32> = num(&p, "c", "give a number of requests")?;
    let vcount: Option<u32> = num(&p, "C", "give a number of requests")?;
    if count.is_some() && vcount.is_some() {
        return Err(usage("fping", "give -c or -C, not both"));
    }
    let period: u64 = num(&p, "p", "give milliseconds")?.unwrap_or(1000);
    let timeout: Option<u64> = num(&p, "t", "give milliseconds")?;
    let retries: u32 = num(&p, "r", "give a number of retries")?.unwrap_or(3);
    let size: usize = num(&p, "b", "give a number of bytes")?.unwrap_or(56);
    let ttl: Option<u8> = num(&p, "H", "give a TTL 1-255")?;
    if p.has("I") && p.has("S") {
        return Err(usage("fping", "give -I IFACE or -S ADDRESS, not both"));
    }
    let mut targets: Vec<String> = p.args().iter().map(|s| s.to_string()).collect();
    if let Some(f) = p.value("f") {
        let text = std::fs::read_to_string(f)
            .map_err(|e| usage("fping", format!("-f {f}: cannot read: {e}")))?;
        targets.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    if p.has("g") {
        targets = match targets.as_slice() {
            [c] if c.contains('/') => vec![c.clone()],
            [a, b] => range(a, b)?,
            _ => {
                return Err(usage(
                    "fping",
                    "-g needs one CIDR (10.0.0.0/24) or a first and a last address",
                ))
            }
        };
    } else if targets.iter().any(|t| t.contains('/')) {
        return Err(usage("fping", "a CIDR needs -g (fping -g 10.0.0.0/24)"));
    }
    if targets.is_empty() {
        return Err(usage("fping", "no targets: give hosts, -g CIDR or -f FILE"));
    }
    let counting = count.or(vcount);
    let t_ms = timeout.unwrap_or(if counting.is_some() {
        period.min(2000)
    } else {
        500
    });
    let pargs = PingArgs {
        hosts: targets,
        count: Some(counting.unwrap_or(retries + 1)),
        interval: if counting.is_some() { period } else { t_ms } as f64 / 1000.0,
        size,
        ttl,
        pmtu: p.has("M").then(|| "do".to_string()),
        wait: t_ms as f64 / 1000.0,
        deadline: None,
        quiet: true,
        alive: p.has("a"),
        force: false,
        v4: p.has("4"),
        v6: p.has("6"),
        interface: p.value("I").or(p.value("S")).map(String::from),
        timestamps: false,
        outstanding: false,
        numeric: true,
    };
    let target = ctx.enter()?;
    let hosts = crate::cmd::ping::hosts(&pargs, &target)?;
    let opts = crate::cmd::ping::options(&pargs, true)?;
    // Every socket the sweep uses is open: the sessions read replies without a capability.
    let sockets = netshoot_probe::sweep::Sockets::open(&hosts, &opts)?;
    crate::privs::drop_all_but(&[])?;
    let reports = netshoot_probe::sweep::sessions_with(sockets, &hosts, &opts, counting.is_none())?;
    let down = reports.iter().any(|r| r.stats.received == 0);
    if ctx.json {
        ctx.output().emit(&reports, |_| String::new())?;
        return Ok(i32::from(down));
    }
    let quiet = p.has("q");
    let (out, err) = match counting {
        None => (alive_lines(&reports, &p, quiet), String::new()),
        Some(_) => counted(&reports, &p, quiet, vcount.is_some()),
    };
    // fping reports the ICMP errors its requests drew, on stderr; not the local stack's own
    // (a neighbour that never answered ARP), which its raw socket does not see.
    let local = |ip: std::net::IpAddr| std::net::UdpSocket::bind((ip, 0)).is_ok();
    for r in &reports {
        for e in &r.events {
            if let PingEvent::Error { from, text, .. } = e {
                if local(*from) {
                    continue;
                }
                eprintln!(
                    "ICMP {} from {from} for ICMP Echo sent to {}",
                    icmp_words(text),
                    r.address
                );
            }
        }
    }
    print!("{out}");
    eprint!("{err}");
    Ok(i32::from(down))
}

/// Without -c: `HOST is alive` / `HOST is unreachable` (or only names with -a / -u).
fn alive_lines(reports: &[HostReport], p: &super::getopt::Parsed, quiet: bool) -> String {
    let mut s = String::new();
    if quiet {
        return s;
    }
    let (only_alive, only_down) = (p.has("a"), p.has("u"));
    for r in reports {
        let up = r.stats.received > 0;
        match (only_alive, only_down, up) {
            (true, _, true) | (_, true, false) => {
                let _ = writeln!(s, "{}", r.host);
            }
            (false, false, true) => {
                let _ = write!(s, "{} is alive", r.host);
                if p.has("e") {
                    if let Some(ms) = r.stats.rtt_min {
                        let _ = write!(s, " ({} ms)", tm(ms));
                    }
                }
                s.push('\n');
            }
            (false, false, false) => {
                let _ = writeln!(s, "{} is unreachable", r.host);
            }
            _ => {}
        }
    }
    s
}

/// With -c / -C: the per-reply lines (stdout) and the summaries (stderr).
fn counted(
    reports: &[HostReport],
    p: &super::getopt::Parsed,
    quiet: bool,
    vcount: bool,
) -> (String, String) {
    let w = reports.iter().map(|r| r.host.len()).max().unwrap_or(0);
    let (mut out, mut err) = (String::new(), String::new());
    let per_reply = !quiet && !p.has("a") && !p.has("u");
    if per_reply {
        // fping separates the reply lines from the summaries with an empty line.
        err.push('\n');
    }
    for r in reports {
        let mut rtts: Vec<Option<(f64, usize)>> = vec![None; r.stats.transmitted as usize];
        for e in &r.events {
            if let PingEvent::Reply {
                seq, bytes, rtt_ms, ..
            } = e
            {
                if let Some(slot) = rtts.get_mut(usize::from(*seq).saturating_sub(1)) {
                    *slot = Some((*rtt_ms, *bytes));
                }
            }
        }
        // One line per request in order, as fping prints them: the reply, or `timed out`.
        let (mut got, mut sum) = (0u32, 0.0);
        for (i, x) in rtts.iter().enumerate() {
            let sent = i as u32 + 1;
            if let Some((ms, _)) = x {
                got += 1;
                sum += ms;
            }
            if !per_reply {
                continue;
            }
            let avg = if got == 0 {
                "NaN".to_string()
            } else {
                tm(sum / f64::from(got))
            };
            let loss = (sent - got) * 100 / sent;
            let _ = match x {
                Some((ms, bytes)) => writeln!(
                    out,
                    "{:<w$} : [{i}], {bytes} bytes, {} ms ({avg} avg, {loss}% loss)",
                    r.host,
                    tm(*ms)
                ),
                None => writeln!(
                    out,
                    "{:<w$} : [{i}], timed out ({avg} avg, {loss}% loss)",
                    r.host
                ),
            };
        }
        let rtts: Vec<Option<f64>> = rtts.iter().map(|x| x.map(|(ms, _)| ms)).collect();
        if vcount {
            let list: Vec<String> = rtts
                .iter()
                .map(|x| x.map(tm).unwrap_or_else(|| "-".into()))
                .collect();
            let _ = writeln!(err, "{:<w$} : {}", r.host, list.join(" "));
        } else {
            let st = &r.stats;
            let loss = (st.transmitted - st.received.min(st.transmitted))
                .checked_mul(100)
                .and_then(|x| x.checked_div(st.transmitted))
                .unwrap_or(0);
            let _ = write!(
                err,
                "{:<w$} : xmt/rcv/%loss = {}/{}/{loss}%",
                r.host, st.transmitted, st.received
            );
            if let (Some(a), Some(b), Some(c)) = (st.rtt_min, st.rtt_avg, st.rtt_max) {
                let _ = write!(err, ", min/avg/max = {}/{}/{}", tm(a), tm(b), tm(c));
            }
            err.push('\n');
        }
    }
    (out, err)
}
