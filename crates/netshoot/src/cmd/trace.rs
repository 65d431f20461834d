//! `trace`: traceroute / tcptraceroute (`-I` ICMP, `-T` TCP SYN, UDP by default), and mtr's
//! report mode (`--report`: loss and latency per hop over several cycles).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use netshoot_ns::Target;
use netshoot_probe::trace::{trace_with, Hop, TraceMethod, TraceOptions, Tracer};
use serde::Serialize;

use crate::render::Output;

/// `trace` options (traceroute's letters; mtr's --report).
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Destination: an address or a name resolved in the target.
    pub host: String,
    /// ICMP echo probes (traceroute -I).
    #[arg(short = 'I', long = "icmp", conflicts_with = "tcp")]
    pub icmp: bool,
    /// TCP SYN probes (traceroute -T, tcptraceroute); port with -p (default 80).
    #[arg(short = 'T', long = "tcp")]
    pub tcp: bool,
    /// Port: the first UDP port (default 33434), or the TCP port (default 80).
    #[arg(short = 'p', long, value_name = "PORT")]
    pub port: Option<u16>,
    /// First TTL.
    #[arg(short = 'f', long = "first", default_value_t = 1, value_name = "TTL")]
    pub first: u8,
    /// Maximum hops.
    #[arg(
        short = 'm',
        long = "max-hops",
        default_value_t = 30,
        value_name = "HOPS"
    )]
    pub max_hops: u8,
    /// Probes per hop.
    #[arg(short = 'q', long = "queries", default_value_t = 3, value_name = "N")]
    pub queries: u8,
    /// Seconds to wait for each probe.
    #[arg(
        short = 'w',
        long = "wait",
        default_value = "1",
        value_name = "SECONDS"
    )]
    pub wait: f64,
    /// Numeric output (always: netshoot never resolves hop addresses).
    #[arg(short = 'n')]
    pub numeric: bool,
    /// mtr's report: loss, sent, last, avg, best, worst and stdev per hop over --cycles rounds.
    #[arg(long)]
    pub report: bool,
    /// Rounds for --report.
    #[arg(short = 'c', long, default_value_t = 10, value_name = "N")]
    pub cycles: u8,
    /// Seconds to pause between probes (traceroute -z).
    #[arg(short = 'z', long, value_name = "SECONDS")]
    pub sendwait: Option<f64>,
    /// The classic traceroute's lines: `ADDR (ADDR)` unless -n, and 60-byte packets in the
    /// header (set by the classic `traceroute` name).
    #[arg(skip)]
    pub classic: bool,
    /// Show the destination's TCP flags (`<syn,ack>`), as traceroute -T -O info does.
    #[arg(skip)]
    pub tcp_info: bool,
}

/// One hop of the report.
#[derive(Debug, Serialize)]
pub struct ReportHop {
    /// TTL.
    pub ttl: u8,
    /// The address that answered most.
    pub host: Option<IpAddr>,
    /// Lost, percent.
    pub loss_pct: f64,
    /// Probes sent.
    pub sent: u32,
    /// Last round trip, ms.
    pub last: Option<f64>,
    /// Mean, ms.
    pub avg: Option<f64>,
    /// Best, ms.
    pub best: Option<f64>,
    /// Worst, ms.
    pub worst: Option<f64>,
    /// Standard deviation, ms.
    pub stdev: Option<f64>,
}

/// `trace --json`: the whole trace (text prints each hop as it is answered).
#[derive(Debug, Serialize)]
pub struct TraceReport {
    /// Destination as given.
    pub host: String,
    /// Its address.
    pub address: IpAddr,
    /// `udp`, `icmp` or `tcp`.
    pub method: TraceMethod,
    /// UDP: the first destination port; TCP: the destination port.
    pub port: u16,
    /// First TTL.
    pub first_ttl: u8,
    /// Maximum hops.
    pub max_hops: u8,
    /// Probes per hop.
    pub queries: u8,
    /// Each hop with its probes: who answered, round trip, the ICMP message, traceroute's flag.
    pub hops: Vec<Hop>,
    /// The destination answered.
    pub reached: bool,
}

/// Runs `trace` in the (already entered) target.
pub fn run(args: &TraceArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let ip = crate::args::host(&args.host, target, netshoot_dns::Family::V4)?;
    let timeout = crate::args::seconds(args.wait, "-w", true)?;
    if args.first == 0 || args.first > args.max_hops {
        return Err(anyhow!(
            "the first TTL (-f) must be 1..=max hops (-m {})",
            args.max_hops
        ));
    }
    let method = if args.icmp {
        TraceMethod::Icmp
    } else if args.tcp {
        TraceMethod::Tcp
    } else {
        TraceMethod::Udp
    };
    let opts = TraceOptions {
        method,
        port: args.port.unwrap_or(if args.tcp { 80 } else { 33434 }),
        first_ttl: args.first,
        max_hops: args.max_hops,
        queries: args.queries.max(1),
        timeout,
        sendwait: match args.sendwait {
            Some(z) => crate::args::seconds(z, "-z", false)?,
            None => Duration::ZERO,
        },
    };
    let v4 = match ip {
        IpAddr::V4(v) => v,
        IpAddr::V6(_) => return Err(anyhow!("trace is IPv4 only here")),
    };
    if args.report {
        // The raw sockets, opened once for every round: nothing after needs a capability.
        let tracer = open_tracer(ip, &opts)?;
        return report(&tracer, ip, args, &opts, out);
    }
    let bytes = match method {
        TraceMethod::Udp => 60,
        TraceMethod::Icmp => 60,
        TraceMethod::Tcp if args.classic => 60,
        TraceMethod::Tcp => 44,
    };
    out.event(&(), |_| {
        format!(
            "traceroute to {} ({ip}), {} hops max, {bytes} byte packets",
            args.host, args.max_hops
        )
    })?;
    // The raw sockets are open: nothing after needs a capability.
    let tracer = open_tracer(IpAddr::V4(v4), &opts)?;
    let mut shown = Ok(());
    let hops = trace_with(&tracer, &opts, |h| {
        if shown.is_ok() {
            shown = out.event(h, |h| {
                hop_line(h, args.classic && !args.numeric, args.tcp_info)
            });
        }
    })
    .map_err(|e| anyhow!("{e}"))?;
    shown?;
    let report = TraceReport {
        host: args.host.clone(),
        address: ip,
        method,
        port: opts.port,
        first_ttl: opts.first_ttl,
        max_hops: opts.max_hops,
        queries: opts.queries,
        reached: hops
            .last()
            .is_some_and(|h| h.probes.iter().any(|p| p.reached)),
        hops,
    };
    // Every hop was printed as it came: the report's text is empty.
    out.emit(&report, |_| String::new())?;
    Ok(if report.reached { 0 } else { 1 })
}

/// A traceroute -n line: ` 1  10.0.0.1  0.050 ms  0.020 ms  *`; with `names`, traceroute's
/// ` 1  10.0.0.1 (10.0.0.1)  …` (addresses are not resolved back to names); with `tcp_info`,
/// the destination's TCP flags as traceroute -O info shows them.
fn hop_line(h: &Hop, names: bool, tcp_info: bool) -> String {
    let mut s = format!("{:>2} ", h.ttl);
    let mut last: Option<IpAddr> = None;
    for p in &h.probes {
        match (p.from, p.rtt_ms) {
            (Some(f), Some(r)) => {
                if last != Some(f) {
                    let _ = write!(s, " {f}");
                    if names {
                        let _ = write!(s, " ({f})");
                    }
                    if let (true, Some(fl)) = (tcp_info, &p.tcp_flags) {
                        let _ = write!(s, " <{fl}>");
                    }
                    last = Some(f);
                }
                let _ = write!(s, "  {r:.3} ms");
                if let Some(flag) = &p.flag {
                    let _ = write!(s, " {flag}");
                }
            }
            _ => s.push_str(" *"),
        }
    }
    s
}

/// Opens the tracer's raw sockets for `ip` and then drops every capability (on the calling
/// thread, before any other starts): traces and mtr's rounds reuse these sockets.
pub fn open_tracer(ip: IpAddr, opts: &TraceOptions) -> anyhow::Result<Tracer> {
    let tracer = Tracer::new(ip, opts.method, opts.port).map_err(|e| anyhow!("{e}"))?;
    crate::privs::drop_all_but(&[])?;
    Ok(tracer)
}

/// mtr's statistics: `cycles` rounds of one probe per hop with `tracer`'s sockets, then loss
/// and latency per hop.
pub fn report_hops(
    tracer: &Tracer,
    opts: &TraceOptions,
    cycles: u32,
    interval: Duration,
) -> anyhow::Result<Vec<ReportHop>> {
    let mut rounds: Vec<Vec<Hop>> = Vec::new();
    for i in 0..cycles.max(1) {
        if i > 0 && !interval.is_zero() {
            std::thread::sleep(interval);
        }
        rounds.push(one_round(tracer, opts)?);
    }
    Ok(hop_stats(&rounds, opts.first_ttl))
}

/// One round of mtr: a trace with one probe per hop, with `tracer`'s sockets.
pub fn one_round(tracer: &Tracer, opts: &TraceOptions) -> anyhow::Result<Vec<Hop>> {
    let one = TraceOptions {
        queries: 1,
        ..opts.clone()
    };
    trace_with(tracer, &one, |_| {}).map_err(|e| anyhow!("{e}"))
}

/// mtr's per-hop statistics over `rounds` (each a trace with one probe per hop).
pub fn hop_stats(rounds: &[Vec<Hop>], first_ttl: u8) -> Vec<ReportHop> {
    let max_ttl = rounds
        .iter()
        .filter_map(|r| r.last().map(|h| h.ttl))
        .max()
        .unwrap_or(0);
    let mut hops = Vec::new();
    for ttl in first_ttl..=max_ttl {
        let probes: Vec<_> = rounds
            .iter()
            .filter_map(|r| r.iter().find(|h| h.ttl == ttl))
            .flat_map(|h| h.probes.iter())
            .collect();
        let rtts: Vec<f64> = probes.iter().filter_map(|p| p.rtt_ms).collect();
        let sent = probes.len() as u32;
        let n = rtts.len() as f64;
        let avg = (!rtts.is_empty()).then(|| rtts.iter().sum::<f64>() / n);
        let mut counts: Vec<(IpAddr, usize)> = Vec::new();
        for f in probes.iter().filter_map(|p| p.from) {
            match counts.iter_mut().find(|(a, _)| *a == f) {
                Some(c) => c.1 += 1,
                None => counts.push((f, 1)),
            }
        }
        counts.sort_by_key(|b| std::cmp::Reverse(b.1));
        hops.push(ReportHop {
            ttl,
            host: counts.first().map(|c| c.0),
            loss_pct: if sent == 0 {
                100.0
            } else {
                100.0 * (f64::from(sent) - n) / f64::from(sent)
            },
            sent,
            last: probes.iter().rev().find_map(|p| p.rtt_ms),
            avg,
            best: rtts.iter().copied().reduce(f64::min),
            worst: rtts.iter().copied().reduce(f64::max),
            // mtr's StDev is the sample standard deviation.
            stdev: avg.map(|a| {
                if n > 1.0 {
                    (rtts.iter().map(|r| (r - a) * (r - a)).sum::<f64>() / (n - 1.0)).sqrt()
                } else {
                    0.0
                }
            }),
        });
    }
    hops
}

fn report(
    tracer: &Tracer,
    ip: IpAddr,
    args: &TraceArgs,
    opts: &TraceOptions,
    out: &Output,
) -> anyhow::Result<i32> {
    let hops = report_hops(tracer, opts, u32::from(args.cycles), Duration::ZERO)?;
    let reached = hops.last().is_some_and(|h| h.host == Some(ip));
    out.emit(&hops, |hs| {
        let mut s = format!(
            "HOST: netshoot → {:<20} Loss%   Snt   Last   Avg  Best  Wrst StDev\n",
            args.host
        );
        let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
        for h in hs {
            let _ = writeln!(
                s,
                "{:>3}.|-- {:<24} {:>5.1}% {:>5} {:>6} {:>5} {:>5} {:>5} {:>5}",
                h.ttl,
                h.host
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "???".into()),
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
    })?;
    Ok(if reached { 0 } else { 1 })
}
