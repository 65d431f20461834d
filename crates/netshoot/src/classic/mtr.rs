//! `mtr`: mtr 0.95's report mode (`-r`, `--json`) on our `trace` engine's per-hop statistics
//! (the same as `netshoot trace --report`), with mtr's table and JSON layout.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use netshoot_probe::trace::{TraceMethod, TraceOptions};

use super::getopt::{usage, Opt, Spec, Takes};
use super::traceroute::num;
use super::{Ctx, Tool};
use crate::cmd::trace::ReportHop;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["mtr"],
    about: "loss and latency per hop like mtr: screen or --report (netshoot trace --report)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "r",
        Some('r'),
        &["report"],
        "report mode: run the cycles, then print the table",
    ),
    Opt::flag(
        "w",
        Some('w'),
        &["report-wide"],
        "report mode, host column as wide as the longest address",
    ),
    Opt::value(
        "c",
        Some('c'),
        &["report-cycles"],
        "COUNT",
        "cycles (default 10)",
    ),
    Opt::flag("n", Some('n'), &["no-dns"], "numeric addresses (always so)"),
    Opt::flag("b", Some('b'), &["show-ips"], "show addresses (always so)"),
    Opt::flag("j", Some('j'), &["json"], "the report as mtr's JSON"),
    Opt::flag(
        "T",
        Some('T'),
        &["tcp"],
        "TCP SYN probes (port 80 unless -P)",
    ),
    Opt::flag(
        "u",
        Some('u'),
        &["udp"],
        "UDP probes (port 33434 unless -P)",
    ),
    Opt::value("P", Some('P'), &["port"], "PORT", "the TCP or UDP port"),
    Opt::value(
        "m",
        Some('m'),
        &["max-ttl"],
        "HOPS",
        "maximum hops (default 30)",
    ),
    Opt::value(
        "f",
        Some('f'),
        &["first-ttl"],
        "TTL",
        "first TTL (default 1)",
    ),
    Opt::value(
        "i",
        Some('i'),
        &["interval"],
        "SECONDS",
        "seconds between cycles (default 1)",
    ),
    Opt::value(
        "Z",
        Some('Z'),
        &["timeout"],
        "SECONDS",
        "seconds to wait for each probe (default 1)",
    ),
    Opt::flag("4", Some('4'), &[], "IPv4 (the only family traced)"),
    Opt::flag("v", Some('v'), &["version"], "print the version"),
    Opt::unsupported(
        "6",
        Some('6'),
        &[],
        Takes::No,
        "IPv6 tracing is not offered; trace an IPv4 address",
    ),
    Opt::flag(
        "t",
        Some('t'),
        &["curses"],
        "the screen refreshed every cycle (the default on a terminal)",
    ),
    Opt::unsupported(
        "g",
        Some('g'),
        &["gtk"],
        Takes::No,
        "the GTK window is not offered; the terminal screen is the default (-t)",
    ),
    Opt::unsupported("l", Some('l'), &["raw"], Takes::No, "use --json"),
    Opt::unsupported("C", Some('C'), &["csv"], Takes::No, "use --json"),
    Opt::unsupported("x", Some('x'), &["xml"], Takes::No, "use --json"),
    Opt::unsupported("p", Some('p'), &["split"], Takes::No, "use --json"),
    Opt::unsupported(
        "s",
        Some('s'),
        &["psize"],
        Takes::Value,
        "the probe size is fixed",
    ),
    Opt::unsupported(
        "B",
        Some('B'),
        &["bitpattern"],
        Takes::Value,
        "the payload is fixed",
    ),
    Opt::unsupported(
        "Q",
        Some('Q'),
        &["tos"],
        Takes::Value,
        "the TOS byte is not settable",
    ),
    Opt::unsupported(
        "a",
        Some('a'),
        &["address"],
        Takes::Value,
        "the route decides the source address",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &["interface"],
        Takes::Value,
        "the route decides the interface",
    ),
    Opt::unsupported(
        "L",
        Some('L'),
        &["localport"],
        Takes::Value,
        "the source port is chosen by netshoot",
    ),
    Opt::unsupported(
        "e",
        Some('e'),
        &["mpls"],
        Takes::No,
        "MPLS labels are not shown",
    ),
    Opt::unsupported(
        "y",
        Some('y'),
        &["ipinfo"],
        Takes::Value,
        "AS and IP information is not looked up",
    ),
    Opt::unsupported(
        "z",
        Some('z'),
        &["aslookup"],
        Takes::No,
        "AS numbers are not looked up",
    ),
    Opt::unsupported(
        "o",
        Some('o'),
        &["order"],
        Takes::Value,
        "the columns are fixed: Loss% Snt Last Avg Best Wrst StDev",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["filename"],
        Takes::Value,
        "give one host on the command line",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["sctp"],
        Takes::No,
        "use -T (TCP) or -u (UDP)",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &["mark"],
        Takes::Value,
        "probes are not marked",
    ),
    Opt::unsupported(
        "G",
        Some('G'),
        &["gracetime"],
        Takes::Value,
        "use -Z for the wait",
    ),
    Opt::unsupported(
        "U",
        Some('U'),
        &["max-unknown"],
        Takes::Value,
        "use -m for the hops",
    ),
    Opt::unsupported(
        "displaymode",
        None,
        &["displaymode"],
        Takes::Value,
        "the screen has one display mode; leave it out",
    ),
];

/// mtr's grammar.
pub const SPEC: Spec = Spec {
    tool: "mtr",
    opts: OPTS,
    permute: true,
    usage: "[-4bnrtTuw] [-c COUNT] [-f FIRST_TTL] [-i SECONDS] [-j] [-m MAX_TTL] [-P PORT] [-Z SECONDS] HOST",
    notes: "\
On a terminal without -r, -w or --json: a screen refreshed every cycle (q quits, r restarts the
statistics); when stdout is not a terminal, the report. Each cycle traces hop by hop with one probe per hop. Hop addresses are never
resolved to names. The same engine as `netshoot trace --report` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// `2026-12-01T22:42:35+0000` (UTC).
fn start_time() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let (y, m, d) = crate::cmd::capture::civil_date(now.div_euclid(86_400));
    let s = now.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if p.has("v") {
        println!("mtr (netshoot {})", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    let host = match p.args().as_slice() {
        [h] => h.to_string(),
        [] => return Err(usage("mtr", "give a host")),
        _ => return Err(usage("mtr", "give one host")),
    };
    if p.has("T") && p.has("u") {
        return Err(usage("mtr", "give one of -T and -u"));
    }
    let json = p.has("j") || ctx.json;
    let report_mode = json || p.has("r") || p.has("w");
    let tty = std::io::stdout().is_terminal();
    if p.has("t") && (report_mode || !tty) {
        return Err(usage(
            "mtr",
            "-t draws on a terminal, without -r/-w/--json; use -r for the report",
        ));
    }
    let screen = !report_mode && tty;
    if !report_mode && !screen {
        eprintln!("mtr: stdout is not a terminal; printing the report (-r)");
    }
    let cycles: Option<u32> = num("mtr", &p, "c")?;
    let interval: f64 = num("mtr", &p, "i")?.unwrap_or(1.0);
    let wait: f64 = num("mtr", &p, "Z")?.unwrap_or(1.0);
    for (v, what) in [(interval, "-i"), (wait, "-Z")] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(usage("mtr", format!("{what} {v}: give seconds >= 0")));
        }
    }
    let first: u8 = num("mtr", &p, "f")?.unwrap_or(1);
    let max_hops: u8 = num("mtr", &p, "m")?.unwrap_or(30);
    if first == 0 || first > max_hops {
        return Err(usage("mtr", "the first TTL (-f) must be 1..=max TTL (-m)"));
    }
    let method = if p.has("T") {
        TraceMethod::Tcp
    } else if p.has("u") {
        TraceMethod::Udp
    } else {
        TraceMethod::Icmp
    };
    let port: Option<u16> = num("mtr", &p, "P")?;
    let opts = TraceOptions {
        method,
        port: port.unwrap_or(if method == TraceMethod::Tcp {
            80
        } else {
            33434
        }),
        first_ttl: first,
        max_hops,
        queries: 1,
        timeout: Duration::from_secs_f64(wait.max(0.001)),
        sendwait: Duration::ZERO,
    };
    let target = ctx.enter()?;
    let ip = crate::args::host(&host, &target, netshoot_dns::Family::V4)?;
    // The raw sockets, opened once for every round, then no capability is left.
    let tracer = crate::cmd::trace::open_tracer(ip, &opts)?;
    let start = start_time();
    let me = hostname();
    if screen {
        return interactive(
            &me,
            &host,
            &tracer,
            &opts,
            cycles,
            Duration::from_secs_f64(interval),
        );
    }
    let cycles = cycles.unwrap_or(10);
    let hops =
        crate::cmd::trace::report_hops(&tracer, &opts, cycles, Duration::from_secs_f64(interval))?;
    if json {
        println!("{}", json_report(&me, &host, cycles, &hops)?);
    } else {
        print!("{}", table(&start, &me, &hops, p.has("w")));
    }
    Ok(0)
}

/// The key pressed, if any: q/Esc/Ctrl-C quit, r restarts the statistics.
fn key() -> Option<char> {
    use crate::screen::Key;
    crate::screen::keys(Duration::ZERO)
        .into_iter()
        .find_map(|k| match k {
            Key::Quit | Key::Esc => Some('q'),
            Key::Char('r') => Some('r'),
            _ => None,
        })
}

/// mtr's screen: the hop table refreshed after every cycle, until q (or -c cycles).
fn interactive(
    me: &str,
    dst: &str,
    tracer: &netshoot_probe::trace::Tracer,
    opts: &TraceOptions,
    cycles: Option<u32>,
    interval: Duration,
) -> anyhow::Result<i32> {
    use ratatui::layout::Constraint;
    use ratatui::style::{Modifier, Style};
    use ratatui::widgets::{Block, Row, Table};
    let mut screen = crate::screen::Screen::init();
    let stop = crate::interrupt::flag();
    let mut rounds = Vec::new();
    let mut done = 0u32;
    loop {
        rounds.push(crate::cmd::trace::one_round(tracer, opts)?);
        done += 1;
        let hops = crate::cmd::trace::hop_stats(&rounds, opts.first_ttl);
        let f = |x: Option<f64>| format!("{:.1}", x.unwrap_or(0.0));
        let rows: Vec<Row> = hops
            .iter()
            .enumerate()
            .map(|(i, h)| {
                Row::new(vec![
                    format!(
                        "{:>2}. {}",
                        i + 1,
                        h.host
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| "???".into())
                    ),
                    format!("{:.1}%", h.loss_pct),
                    h.sent.to_string(),
                    f(h.last),
                    f(h.avg),
                    f(h.best),
                    f(h.worst),
                    f(h.stdev),
                ])
            })
            .collect();
        let widths = [
            Constraint::Min(30),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
        ];
        let header = Row::new(vec![
            " Host", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD));
        let table = Table::new(rows, widths)
            .header(header)
            .block(Block::bordered().title(format!(
                " My traceroute (netshoot): {me} -> {dst} ({})   {}   r restarts, q quits ",
                tracer.destination(),
                start_time()
            )));
        screen.0.draw(|fr| fr.render_widget(table, fr.area()))?;
        if cycles.is_some_and(|c| done >= c) {
            return Ok(0);
        }
        let next = Instant::now() + interval;
        while Instant::now() < next {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(0);
            }
            match key() {
                Some('q') => return Ok(0),
                Some('r') => rounds.clear(),
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// mtr -r's table.
fn table(start: &str, me: &str, hops: &[ReportHop], wide: bool) -> String {
    let name = |h: &ReportHop| {
        h.host
            .map(|a| a.to_string())
            .unwrap_or_else(|| "???".into())
    };
    let len = if wide {
        hops.iter().map(|h| name(h).len()).max().unwrap_or(0)
    } else {
        25
    };
    let mut s = format!("Start: {start}\n");
    let _ = writeln!(
        s,
        "HOST: {me:<w$}Loss%   Snt   Last   Avg  Best  Wrst StDev",
        w = if wide { me.len().max(len) + 1 } else { len + 3 }
    );
    let f = |x: Option<f64>| format!("{:.1}", x.unwrap_or(0.0));
    for (i, h) in hops.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:>3}.|-- {:<len$}{:>5.1}%{:>6}{:>7}{:>6}{:>6}{:>6}{:>6}",
            i + 1,
            name(h),
            h.loss_pct,
            h.sent,
            f(h.last),
            f(h.avg),
            f(h.best),
            f(h.worst),
            f(h.stdev)
        );
    }
    s
}

/// mtr --json's document.
fn json_report(me: &str, dst: &str, cycles: u32, hops: &[ReportHop]) -> anyhow::Result<String> {
    let r3 = |x: Option<f64>| (x.unwrap_or(0.0) * 1000.0).round() / 1000.0;
    let hubs: Vec<serde_json::Value> = hops
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "count": i + 1,
                "host": h.host.map(|a| a.to_string()).unwrap_or_else(|| "???".into()),
                "Loss%": (h.loss_pct * 1000.0).round() / 1000.0,
                "Snt": h.sent,
                "Last": r3(h.last),
                "Avg": r3(h.avg),
                "Best": r3(h.best),
                "Wrst": r3(h.worst),
                "StDev": r3(h.stdev),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "report": {
            "mtr": {
                "src": me,
                "dst": dst,
                "tos": 0,
                "tests": cycles,
                "psize": "64",
                "bitpattern": "0x00",
            },
            "hubs": hubs,
        }
    });
    // mtr indents by four spaces.
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&doc, &mut ser)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
