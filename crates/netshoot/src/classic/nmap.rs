//! `nmap`: nmap 7's command line for port scans (`-sT`, `-sS`, `-sU`) and host discovery
//! (`-sn`, `-Pn`) onto our `scan` and `ping` engines, with nmap's report: `Nmap scan report
//! for …`, `Host is up (…s latency).`, `Not shown: …`, the `PORT STATE SERVICE` table with
//! nmap-services names, and `Discovered open port …` with -v/-d.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use netshoot_probe::scan::PortState;
use netshoot_probe::{tcp_connect, ConnectOutcome};

use super::getopt::{usage, Opt, Parsed, Spec, Takes};
use super::services;
use super::{Ctx, Tool};
use crate::cmd::scan::HostScan;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["nmap"],
    about: "port scans and host discovery like nmap (netshoot scan)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "p",
        Some('p'),
        &[],
        "PORTS",
        "ports: 22,80,8000-8100, - or 1-65535 for all (default: nmap's top 1000)",
    ),
    Opt::flag("F", Some('F'), &[], "fast: nmap's top 100 ports"),
    Opt::value(
        "top-ports",
        None,
        &["top-ports"],
        "N",
        "nmap's N most common ports",
    ),
    Opt::flag("sT", None, &["sT"], "TCP connect scan"),
    Opt::flag(
        "sS",
        None,
        &["sS"],
        "TCP SYN scan (raw sockets; the default as root)",
    ),
    Opt::flag("sU", None, &["sU"], "UDP scan"),
    Opt::flag(
        "sn",
        None,
        &["sn", "sP"],
        "host discovery only, no port scan",
    ),
    Opt::flag(
        "Pn",
        None,
        &["Pn"],
        "no host discovery: treat every host as up",
    ),
    Opt::flag("n", Some('n'), &[], "never resolve names (always so)"),
    Opt::value(
        "T",
        Some('T'),
        &[],
        "0-5",
        "timing template (T5: at most 300 ms per reply; else the scan adapts)",
    ),
    Opt::flag("v", Some('v'), &[], "verbose: Discovered open port lines"),
    Opt::flag(
        "d",
        Some('d'),
        &[],
        "debugging: Discovered lines, REASON column, every port listed",
    ),
    Opt::flag(
        "open",
        None,
        &["open"],
        "show only open (and open|filtered) ports",
    ),
    Opt::flag("reason", None, &["reason"], "the REASON column"),
    Opt::value("oN", None, &["oN"], "FILE", "write the report to FILE too"),
    Opt::value("iL", None, &["iL"], "FILE", "read targets from FILE"),
    Opt::value(
        "max-rtt-timeout",
        None,
        &["max-rtt-timeout"],
        "TIME",
        "longest wait for a reply (500ms, 1s, …)",
    ),
    Opt::flag("r", Some('r'), &[], "ports in order (always so)"),
    Opt::flag("4", Some('4'), &[], "IPv4 (the default)"),
    Opt::flag("6", Some('6'), &[], "IPv6 targets (with -sT)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "oX",
        None,
        &["oX"],
        Takes::Value,
        "XML output is not offered; use -oN FILE, or netshoot --json scan",
    ),
    Opt::unsupported(
        "oG",
        None,
        &["oG"],
        Takes::Value,
        "grepable output is not offered; use -oN FILE, or netshoot --json scan",
    ),
    Opt::unsupported(
        "oA",
        None,
        &["oA"],
        Takes::Value,
        "use -oN FILE, or netshoot --json scan",
    ),
    Opt::unsupported("oS", None, &["oS"], Takes::Value, "use -oN FILE"),
    Opt::unsupported(
        "sV",
        None,
        &["sV"],
        Takes::No,
        "version detection is not offered; read a banner with nc HOST PORT or curl",
    ),
    Opt::unsupported(
        "sC",
        None,
        &["sC", "script"],
        Takes::No,
        "scripts are not offered",
    ),
    Opt::unsupported(
        "O",
        Some('O'),
        &[],
        Takes::No,
        "OS detection is not offered",
    ),
    Opt::unsupported(
        "A",
        Some('A'),
        &[],
        Takes::No,
        "OS and version detection are not offered; use -sT/-sS -p PORTS",
    ),
    Opt::unsupported("sA", None, &["sA"], Takes::No, "use -sS or -sT"),
    Opt::unsupported("sF", None, &["sF"], Takes::No, "use -sS or -sT"),
    Opt::unsupported("sX", None, &["sX"], Takes::No, "use -sS or -sT"),
    Opt::unsupported("sN", None, &["sN"], Takes::No, "use -sS or -sT"),
    Opt::unsupported("sW", None, &["sW"], Takes::No, "use -sS or -sT"),
    Opt::unsupported("sM", None, &["sM"], Takes::No, "use -sS or -sT"),
    Opt::unsupported(
        "sO",
        None,
        &["sO"],
        Takes::No,
        "IP protocol scans are not offered",
    ),
    Opt::unsupported("sY", None, &["sY"], Takes::No, "SCTP is not offered"),
    Opt::unsupported("sZ", None, &["sZ"], Takes::No, "SCTP is not offered"),
    Opt::unsupported(
        "sL",
        None,
        &["sL"],
        Takes::No,
        "list the addresses with fping -g -a … or leave -sL out",
    ),
    Opt::unsupported(
        "sI",
        None,
        &["sI"],
        Takes::Value,
        "idle scans are not offered",
    ),
    Opt::unsupported(
        "PE",
        None,
        &["PE"],
        Takes::No,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "PS",
        None,
        &["PS"],
        Takes::Optional,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "PA",
        None,
        &["PA"],
        Takes::Optional,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "PU",
        None,
        &["PU"],
        Takes::Optional,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "PP",
        None,
        &["PP"],
        Takes::No,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "PR",
        None,
        &["PR"],
        Takes::No,
        "discovery uses ICMP echo, then TCP 443 and 80; or give -Pn",
    ),
    Opt::unsupported(
        "R",
        Some('R'),
        &[],
        Takes::No,
        "addresses are never resolved back to names",
    ),
    Opt::unsupported(
        "exclude",
        None,
        &["exclude"],
        Takes::Value,
        "give the targets to scan explicitly",
    ),
    Opt::unsupported(
        "min-rate",
        None,
        &["min-rate"],
        Takes::Value,
        "the scan paces itself; use -T5",
    ),
    Opt::unsupported(
        "max-rate",
        None,
        &["max-rate"],
        Takes::Value,
        "the scan paces itself",
    ),
    Opt::unsupported(
        "max-retries",
        None,
        &["max-retries"],
        Takes::Value,
        "retries are fixed; use --max-rtt-timeout",
    ),
    Opt::unsupported(
        "host-timeout",
        None,
        &["host-timeout"],
        Takes::Value,
        "use --max-rtt-timeout",
    ),
    Opt::unsupported(
        "traceroute",
        None,
        &["traceroute"],
        Takes::No,
        "use traceroute -T -p PORT HOST",
    ),
    Opt::unsupported(
        "packet-trace",
        None,
        &["packet-trace"],
        Takes::No,
        "watch with tcpdump",
    ),
    Opt::unsupported(
        "e",
        Some('e'),
        &[],
        Takes::Value,
        "the route decides the interface",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &[],
        Takes::Value,
        "the route decides the source address",
    ),
    Opt::unsupported("D", Some('D'), &[], Takes::Value, "decoys are not offered"),
    Opt::unsupported(
        "f",
        Some('f'),
        &[],
        Takes::No,
        "fragmented probes are not offered",
    ),
    Opt::unsupported(
        "g",
        Some('g'),
        &["source-port"],
        Takes::Value,
        "the source port is chosen by netshoot",
    ),
    Opt::unsupported(
        "ttl",
        None,
        &["ttl"],
        Takes::Value,
        "the TTL is not settable here",
    ),
    Opt::unsupported(
        "data-length",
        None,
        &["data-length"],
        Takes::Value,
        "probes carry no payload",
    ),
];

/// nmap's grammar: one-dash long options (`-sT`, `-Pn`, `-oN FILE`).
pub const SPEC: Spec = Spec {
    tool: "nmap",
    opts: OPTS,
    permute: true,
    usage: "[-sT|-sS|-sU|-sn] [-Pn] [-n] [-p PORTS|-F|--top-ports N] [-T0-5] [-v] [-d] [--open] [--reason] [-oN FILE] [-iL FILE] TARGET...",
    notes: "\
Host discovery: one ICMP echo, then TCP connects to 443 and 80 (nmap also uses ARP on the local
link). CIDRs include their network and broadcast addresses, as nmap's do. REASON shows no TTL.
The same engines as `netshoot scan` and `netshoot ping` (see docs/CLASSIC.md).",
    single_dash_long: true,
};

/// A target as given, its address, and whether it was a name.
struct Target {
    shown: String,
    ip: IpAddr,
}

/// nmap's latency: two significant digits (`0.000058s`, `0.0010s`).
fn latency(secs: f64) -> String {
    if secs <= 0.0 || !secs.is_finite() {
        return "0.000s".into();
    }
    let decimals = (1 - crate::render::decimal_exponent(secs)).max(0) as usize;
    format!("{secs:.decimals$}s")
}

/// `500ms`, `1s`, `2m`, `300` (seconds) → milliseconds.
fn time_ms(v: &str) -> anyhow::Result<u64> {
    let bad = || {
        usage(
            "nmap",
            format!("--max-rtt-timeout '{v}': give a time like 500ms or 1s"),
        )
    };
    let (n, mult) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (v, 1000.0)
    };
    let x: f64 = n.parse().map_err(|_| bad())?;
    if !(x.is_finite() && x > 0.0) {
        return Err(bad());
    }
    Ok((x * mult) as u64)
}

/// Every address of `spec` as nmap takes it: a CIDR with its network and broadcast addresses.
fn expand(spec: &str, target: &netshoot_ns::Target, v6: bool) -> anyhow::Result<Vec<Target>> {
    if let Some((a, bits)) = spec.split_once('/') {
        let mut list = crate::args::cidr(spec, false)
            .map_err(|e| usage("nmap", e))?
            .unwrap_or_default();
        if let (Ok(IpAddr::V4(v)), Ok(bits)) = (a.parse::<IpAddr>(), bits.parse::<u32>()) {
            if bits < 31 {
                let n = 1u32 << (32 - bits);
                let base = u32::from(v) & !(n - 1);
                list.insert(0, IpAddr::V4(base.into()));
                list.push(IpAddr::V4((base + n - 1).into()));
            }
        }
        return Ok(list
            .into_iter()
            .map(|ip| Target {
                shown: ip.to_string(),
                ip,
            })
            .collect());
    }
    let ip = crate::args::host(spec, target, crate::args::family(!v6, v6))?;
    let shown = if spec.parse::<IpAddr>().is_ok() {
        spec.to_string()
    } else {
        format!("{spec} ({ip})")
    };
    Ok(vec![Target { shown, ip }])
}

/// Host discovery: one ICMP echo to every host at once, then TCP 443 and 80 for the silent
/// ones. The latency (seconds) of each host that answered, and nmap's word for how.
fn discover(hosts: &[Target]) -> anyhow::Result<Vec<Option<(f64, &'static str)>>> {
    let list: Vec<(String, IpAddr)> = hosts.iter().map(|t| (t.ip.to_string(), t.ip)).collect();
    let opts = netshoot_probe::ping::PingOptions {
        count: Some(1),
        wait: Duration::from_secs(1),
        stop: Some(crate::interrupt::flag()),
        ..Default::default()
    };
    let reports = netshoot_probe::sweep::sessions(&list, &opts, true)?;
    let mut up: Vec<Option<(f64, &'static str)>> = reports
        .iter()
        .map(|r| r.stats.rtt_min.map(|ms| (ms / 1000.0, "echo-reply")))
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = up
            .iter()
            .zip(hosts)
            .map(|(u, t)| {
                let need = u.is_none();
                let ip = t.ip;
                s.spawn(move || {
                    if !need {
                        return None;
                    }
                    for port in [443, 80] {
                        let start = Instant::now();
                        match tcp_connect(SocketAddr::new(ip, port), Duration::from_secs(1)) {
                            ConnectOutcome::Open { .. } => {
                                return Some((start.elapsed().as_secs_f64(), "syn-ack"))
                            }
                            ConnectOutcome::Refused => {
                                return Some((start.elapsed().as_secs_f64(), "reset"))
                            }
                            _ => {}
                        }
                    }
                    None
                })
            })
            .collect();
        for (u, h) in up.iter_mut().zip(handles) {
            if let Ok(Some(x)) = h.join() {
                *u = Some(x);
            }
        }
    });
    Ok(up)
}

/// The MAC address of `ip` in the neighbour table (a host on the local link), as nmap shows it.
fn mac_of(ip: IpAddr) -> Option<String> {
    let text = std::fs::read_to_string("/proc/net/arp").ok()?;
    text.lines().skip(1).find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.len() >= 4 && w[0] == ip.to_string() && w[3] != "00:00:00:00:00:00")
            .then(|| w[3].to_uppercase())
    })
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "Nmap (netshoot {}): netshoot's scan engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    let kinds = ["sT", "sS", "sU", "sn"].iter().filter(|k| p.has(k)).count();
    if kinds > 1 {
        return Err(usage("nmap", "give one scan type: -sT, -sS, -sU or -sn"));
    }
    services::preload();
    let udp = p.has("sU");
    let proto = if udp { "udp" } else { "tcp" };
    let ports: Vec<u16> = if let Some(spec) = p.value("p") {
        let spec = spec.trim_start_matches("T:").trim_start_matches("U:");
        crate::args::port_list(spec).map_err(|e| usage("nmap", e))?
    } else {
        let n = if p.has("F") {
            100
        } else if let Some(n) = p.value("top-ports") {
            n.parse()
                .map_err(|_| usage("nmap", format!("--top-ports '{n}': give a number")))?
        } else {
            1000
        };
        services::nmap_top(n, proto).unwrap_or_else(|| crate::cmd::scan::COMMON.to_vec())
    };
    let timing: Option<u8> = p
        .value("T")
        .map(|t| {
            t.parse::<u8>()
                .ok()
                .filter(|t| *t <= 5)
                .ok_or_else(|| usage("nmap", format!("-T{t}: give a template 0-5")))
        })
        .transpose()?;
    let mut max_rtt = match timing {
        Some(5) => 300,
        _ => 1000,
    };
    if let Some(t) = p.value("max-rtt-timeout") {
        max_rtt = time_ms(t)?;
    }
    let mut specs: Vec<String> = p.args().iter().map(|s| s.to_string()).collect();
    if let Some(f) = p.value("iL") {
        let text = std::fs::read_to_string(f)
            .map_err(|e| usage("nmap", format!("-iL {f}: cannot read: {e}")))?;
        specs.extend(text.split_whitespace().map(String::from));
    }
    if specs.is_empty() {
        return Err(usage("nmap", "give at least one target"));
    }
    let started = Instant::now();
    let stamp = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64;
        let (y, m, d) = crate::cmd::capture::civil_date(now.div_euclid(86_400));
        let s = now.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
            s / 3600,
            s / 60 % 60
        )
    };
    let target = ctx.enter()?;
    let mut hosts = Vec::new();
    for s in &specs {
        hosts.extend(expand(s, &target, p.has("6"))?);
    }
    let mut text = format!(
        "Starting Nmap (netshoot {}) at {stamp}\n",
        env!("CARGO_PKG_VERSION")
    );
    let up: Vec<Option<Option<(f64, &str)>>> = if p.has("Pn") {
        vec![Some(None); hosts.len()]
    } else {
        discover(&hosts)?.into_iter().map(|x| x.map(Some)).collect()
    };
    let n_up = up.iter().filter(|u| u.is_some()).count();
    // `netshoot --json nmap …`: one JSON document at the end instead of the report.
    let json = ctx.json;
    let show = |text: &mut String| {
        if !json {
            print!("{text}");
        }
        text.clear();
    };
    let mut all_scans: Vec<HostScan> = Vec::new();
    let mut whole = String::new();
    let flush = |text: &mut String, whole: &mut String| {
        whole.push_str(text);
        show(text);
    };
    if p.has("sn") {
        // As nmap: the target's own addresses last, without a latency.
        let local = |ip: IpAddr| std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok();
        let mut order: Vec<(usize, bool)> =
            (0..hosts.len()).map(|i| (i, local(hosts[i].ip))).collect();
        order.sort_by_key(|x| x.1);
        for (i, own) in order {
            let (t, u) = (&hosts[i], &up[i]);
            if let Some(lat) = u {
                let lat = if own { None } else { *lat };
                let _ = writeln!(text, "Nmap scan report for {}", t.shown);
                let _ = writeln!(
                    text,
                    "{}",
                    up_line(lat, t.ip, p.has("reason") || p.has("d"))
                );
                if let Some(mac) = mac_of(t.ip) {
                    let _ = writeln!(text, "MAC Address: {mac} (Unknown)");
                }
            }
        }
    } else {
        flush(&mut text, &mut whole);
        let kind = if p.has("sT") {
            "connect"
        } else if p.has("sS") {
            "syn"
        } else if udp {
            "udp"
        } else if nix::unistd::geteuid().is_root() {
            "syn"
        } else {
            "connect"
        };
        let live: Vec<(String, IpAddr)> = hosts
            .iter()
            .zip(&up)
            .filter(|(_, u)| u.is_some())
            .map(|(t, _)| (t.shown.clone(), t.ip))
            .collect();
        let syn = crate::cmd::scan::open_syn_and_drop_privileges(&live, kind)?;
        for (t, u) in hosts.iter().zip(&up) {
            let Some(lat) = u else { continue };
            let scans = crate::cmd::scan::scan_hosts(
                &[(t.shown.clone(), t.ip)],
                &ports,
                kind,
                syn.as_ref(),
                max_rtt,
                if udp {
                    services::nmap_payloads()
                } else {
                    Default::default()
                },
            )?;
            // nmap learns a local host's MAC address from its ARP ping or its raw scans.
            let mac = !p.has("Pn") || kind != "connect";
            for h in &scans {
                report(&mut text, &p, t, *lat, h, proto, mac);
            }
            flush(&mut text, &mut whole);
            all_scans.extend(scans);
        }
    }
    if hosts.len() == 1 && n_up == 0 {
        text.push_str(
            "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n",
        );
    }
    let _ = writeln!(
        text,
        "Nmap done: {} IP address{} ({} host{} up) scanned in {:.2} seconds",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "es" },
        n_up,
        if n_up == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    flush(&mut text, &mut whole);
    if json {
        let hosts_json: Vec<serde_json::Value> = hosts
            .iter()
            .zip(&up)
            .map(|(t, u)| {
                serde_json::json!({
                    "host": t.shown,
                    "address": t.ip,
                    "up": u.is_some(),
                    "latency_s": u.flatten().map(|x| x.0),
                })
            })
            .collect();
        let doc = serde_json::json!({ "hosts": hosts_json, "scans": all_scans });
        ctx.output().emit(&doc, |_| String::new())?;
    }
    if let Some(f) = p.value("oN") {
        let mut all = format!(
            "# Nmap (netshoot) scan initiated {stamp} as: nmap {}\n",
            args.join(" ")
        );
        all.push_str(whole.split_once('\n').map(|x| x.1).unwrap_or(""));
        std::fs::write(f, all).map_err(|e| usage("nmap", format!("-oN {f}: cannot write: {e}")))?;
    }
    Ok(0)
}

/// `Host is up (0.00012s latency).`; with `why` (--reason, -d) how it answered: on the local
/// link nmap's ARP ping (our echo needed the kernel's ARP too), else the echo or TCP answer.
fn up_line(found: Option<(f64, &str)>, ip: IpAddr, why: bool) -> String {
    let reason = match found {
        Some(_) if mac_of(ip).is_some() => "arp-response",
        Some((_, r)) => r,
        None => "user-set",
    };
    let why = if why {
        format!(", received {reason}")
    } else {
        String::new()
    };
    match found {
        Some((s, _)) => format!("Host is up{why} ({} latency).", latency(s)),
        None => format!("Host is up{why}."),
    }
}

/// One host's report: Discovered lines (-v/-d), the header, Not shown, the table.
fn report(
    s: &mut String,
    p: &Parsed,
    t: &Target,
    lat: Option<(f64, &str)>,
    h: &HostScan,
    proto: &str,
    mac: bool,
) {
    let debug = p.has("d");
    if p.has("v") || debug {
        for r in h.ports.iter().filter(|r| r.state == PortState::Open) {
            let _ = writeln!(s, "Discovered open port {}/{proto} on {}", r.port, t.ip);
        }
    }
    let _ = writeln!(s, "Nmap scan report for {}", t.shown);
    let _ = writeln!(s, "{}", up_line(lat, t.ip, debug || p.has("reason")));
    // As nmap: a state held by more than 25 ports is summarised (not with -d), and --open
    // hides every state but open and open|filtered.
    let mut counts: BTreeMap<PortState, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for r in &h.ports {
        let e = counts.entry(r.state).or_default();
        e.0 += 1;
        *e.1.entry(r.reason.as_str()).or_default() += 1;
    }
    let open_only = p.has("open");
    let hidden: Vec<PortState> = counts
        .iter()
        .filter(|(st, (n, _))| {
            (!debug && *n > 25 && **st != PortState::Open)
                || (open_only && !matches!(st, PortState::Open | PortState::OpenFiltered))
        })
        .map(|(st, _)| *st)
        .collect();
    let visible: Vec<_> = h
        .ports
        .iter()
        .filter(|r| !hidden.contains(&r.state))
        .collect();
    if visible.is_empty() {
        let _ = writeln!(
            s,
            "All {} scanned ports on {} are in ignored states.",
            h.ports.len(),
            t.shown
        );
    }
    if !hidden.is_empty() {
        let mut parts: Vec<(usize, String)> = hidden
            .iter()
            .map(|st| {
                let (n, reasons) = &counts[st];
                let reason = reasons
                    .iter()
                    .max_by_key(|(_, c)| **c)
                    .map(|(r, _)| *r)
                    .unwrap_or("no-response");
                (
                    *n,
                    format!(
                        "{n} {} {proto} port{} ({reason})",
                        st.word(),
                        if *n == 1 { "" } else { "s" }
                    ),
                )
            })
            .collect();
        parts.sort_by_key(|x| std::cmp::Reverse(x.0));
        let parts: Vec<String> = parts.into_iter().map(|x| x.1).collect();
        let _ = writeln!(s, "Not shown: {}", parts.join(", "));
    } else {
        s.push('\n');
    }
    if !visible.is_empty() {
        let reason = debug || p.has("reason");
        let rows: Vec<[String; 4]> = visible
            .iter()
            .map(|r| {
                [
                    format!("{}/{proto}", r.port),
                    r.state.word().to_string(),
                    services::nmap_name(r.port, proto)
                        .map(String::from)
                        .unwrap_or_else(|| {
                            let n = crate::cmd::scan::service(r.port, proto == "udp");
                            n.to_string()
                        }),
                    r.reason.clone(),
                ]
            })
            .collect();
        let w = |i: usize, head: &str| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([head.len()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (w(0, "PORT"), w(1, "STATE"), w(2, "SERVICE"));
        if reason {
            let _ = writeln!(
                s,
                "{:<w0$} {:<w1$} {:<w2$} REASON",
                "PORT", "STATE", "SERVICE"
            );
        } else {
            let _ = writeln!(s, "{:<w0$} {:<w1$} SERVICE", "PORT", "STATE");
        }
        for r in &rows {
            if reason {
                let _ = writeln!(s, "{:<w0$} {:<w1$} {:<w2$} {}", r[0], r[1], r[2], r[3]);
            } else {
                let _ = writeln!(s, "{:<w0$} {:<w1$} {}", r[0], r[1], r[2]);
            }
        }
    }
    if let Some(mac) = mac.then(|| mac_of(t.ip)).flatten() {
        let _ = writeln!(s, "MAC Address: {mac} (Unknown)");
    }
    s.push('\n');
}
