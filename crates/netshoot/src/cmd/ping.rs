//! `ping`: ICMP echo like iputils `ping`, and several hosts or a CIDR at once like `fping`.

use std::fmt::Write as _;
use std::net::IpAddr;

use clap::Args;
use netshoot_ns::Target;
use netshoot_probe::ping::{PingEvent, PingOptions, Pinger};
use netshoot_probe::sweep::{sessions_with, HostReport, Sockets};

use crate::args::seconds;
use crate::render::Output;

/// `ping` options (iputils' letters; `-a`/`-g` from fping).
#[derive(Debug, Args)]
pub struct PingArgs {
    /// Hosts: addresses, names (resolved through the target's resolv.conf and hosts), or CIDRs.
    #[arg(required = true, value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Stop after COUNT requests (default: 4 with several hosts, else until Ctrl-C or -w).
    #[arg(short = 'c', long, value_name = "COUNT")]
    pub count: Option<u32>,
    /// Seconds between requests.
    #[arg(short = 'i', long, default_value = "1", value_name = "SECONDS")]
    pub interval: f64,
    /// ICMP payload bytes.
    #[arg(short = 's', long, default_value_t = 56, value_name = "BYTES")]
    pub size: usize,
    /// IP TTL / IPv6 hop limit.
    #[arg(short = 't', long, value_name = "TTL")]
    pub ttl: Option<u8>,
    /// Path-MTU discovery: `do` sets DF (never fragment), `dont` lets the kernel fragment.
    #[arg(short = 'M', value_parser = ["do", "dont", "want"], value_name = "HINT")]
    pub pmtu: Option<String>,
    /// Seconds to wait for replies after the last request.
    #[arg(short = 'W', long, default_value = "2", value_name = "SECONDS")]
    pub wait: f64,
    /// Stop after this many seconds.
    #[arg(short = 'w', long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// Only the summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Several hosts: print only those that answered (fping -a).
    #[arg(short = 'a', long)]
    pub alive: bool,
    /// Accept a CIDR larger than /16 (more than 65,536 addresses).
    #[arg(long)]
    pub force: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
    /// Send from this interface, or from this source address (iputils -I).
    #[arg(short = 'I', long, value_name = "IFACE|ADDRESS")]
    pub interface: Option<String>,
    /// Print the time (seconds since the epoch) before each line (iputils -D).
    #[arg(short = 'D')]
    pub timestamps: bool,
    /// Report a request still unanswered when the next one leaves (iputils -O).
    #[arg(short = 'O')]
    pub outstanding: bool,
    /// Numeric output (always so: replies are never resolved back to names).
    #[arg(short = 'n')]
    pub numeric: bool,
}

/// The hosts of `args` (CIDRs expanded, names resolved in the target), in order.
pub fn hosts(args: &PingArgs, target: &Target) -> anyhow::Result<Vec<(String, IpAddr)>> {
    crate::args::hosts(
        &args.hosts,
        args.force,
        target,
        crate::args::family(args.v4, args.v6),
    )
}

/// The engine's options for `args` (`several`: more than one host, 4 requests by default).
pub fn options(args: &PingArgs, several: bool) -> anyhow::Result<PingOptions> {
    let (interface, source) = match &args.interface {
        Some(i) => match i.parse::<IpAddr>() {
            Ok(a) => (None, Some(a)),
            Err(_) => (Some(i.clone()), None),
        },
        None => (None, None),
    };
    Ok(PingOptions {
        count: args.count.or(several.then_some(4)),
        interval: seconds(args.interval, "-i", false)?,
        size: args.size,
        ttl: args.ttl,
        dont_fragment: args.pmtu.as_deref() == Some("do"),
        wait: seconds(args.wait, "-W", false)?,
        deadline: args.deadline.map(|d| seconds(d, "-w", false)).transpose()?,
        stop: Some(crate::interrupt::flag()),
        interface,
        source,
        report_outstanding: args.outstanding,
    })
}

/// Runs `ping` in the (already entered) target.
pub fn run(args: &PingArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let hosts = hosts(args, target)?;
    let several = hosts.len() > 1;
    let opts = options(args, several)?;
    if !several {
        return single(&hosts[0].0, hosts[0].1, &opts, args, out);
    }
    // Every socket the sweep uses is open: the sessions read replies without a capability.
    let sockets = Sockets::open(&hosts, &opts)?;
    crate::privs::drop_all_but(&[])?;
    let reports = sessions_with(sockets, &hosts, &opts, false)?;
    let any_down = reports.iter().any(|r| r.stats.received == 0);
    out.emit(&reports, |rs| {
        let mut s = String::new();
        for r in rs {
            if args.alive {
                if r.stats.received > 0 {
                    let _ = writeln!(s, "{}", r.host);
                }
                continue;
            }
            let st = &r.stats;
            let _ = write!(
                s,
                "{:<15} : xmt/rcv/%loss = {}/{}/{:.0}%",
                r.host, st.transmitted, st.received, st.loss_pct
            );
            if let (Some(a), Some(b), Some(c)) = (st.rtt_min, st.rtt_avg, st.rtt_max) {
                let _ = write!(s, ", min/avg/max = {a:.3}/{b:.3}/{c:.3}");
            }
            s.push('\n');
        }
        s
    })?;
    Ok(if any_down { 1 } else { 0 })
}

fn single(
    host: &str,
    addr: IpAddr,
    opts: &PingOptions,
    args: &PingArgs,
    out: &Output,
) -> anyhow::Result<i32> {
    let p = Pinger::new(addr, opts)?;
    // The socket is open (raw or datagram): replies are read without any capability.
    crate::privs::drop_all_but(&[])?;
    let text = !out.json;
    if text {
        // With -I, iputils names the source address and the interface (empty for an address).
        let from = if opts.interface.is_some() || opts.source.is_some() {
            let src = opts
                .source
                .or_else(|| netshoot_probe::scan::source_for(addr).ok());
            format!(
                "from {} {}: ",
                src.map(|a| a.to_string()).unwrap_or_default(),
                opts.interface.as_deref().unwrap_or("")
            )
        } else {
            String::new()
        };
        use std::io::Write as _;
        let mut so = std::io::stdout().lock();
        if writeln!(
            so,
            "PING {host} ({addr}) {from}{}({}) bytes of data.",
            opts.size,
            opts.size + 8 + if addr.is_ipv4() { 20 } else { 40 }
        )
        .is_err()
        {
            return Ok(0);
        }
    }
    let mut events = Vec::new();
    let quiet = args.quiet;
    let stamps = args.timestamps;
    // A reader that goes away (`ping … | head -3`) ends the session quietly, as the classic
    // ping ends on SIGPIPE.
    let mut broken = false;
    let stats = p.run(opts, |e| {
        if text && !quiet && !broken {
            let mut line = String::new();
            if stamps {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                let _ = write!(line, "[{}.{:06}] ", now.as_secs(), now.subsec_micros());
            }
            match e {
                PingEvent::Reply {
                    seq,
                    from,
                    bytes,
                    ttl,
                    rtt_ms,
                } => {
                    let ttl = ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
                    let _ = write!(
                        line,
                        "{bytes} bytes from {from}: icmp_seq={seq}{ttl} time={}",
                        ms(*rtt_ms)
                    );
                }
                PingEvent::Error { seq, from, text } => {
                    let seq = seq.map(|s| format!(" icmp_seq={s}")).unwrap_or_default();
                    let _ = write!(line, "From {from}{seq} {text}");
                }
                PingEvent::NoAnswer { seq } => {
                    let _ = write!(line, "no answer yet for icmp_seq={seq}");
                }
            }
            use std::io::Write as _;
            let mut so = std::io::stdout().lock();
            if writeln!(so, "{line}").and_then(|_| so.flush()).is_err() {
                broken = true;
                if let Some(stop) = &opts.stop {
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
        events.push(e.clone());
    });
    if broken {
        return Ok(if stats.received == 0 { 1 } else { 0 });
    }
    let report = HostReport {
        host: host.to_string(),
        address: addr,
        method: p.method(),
        events,
        stats,
    };
    out.emit(&report, |r| {
        let st = &r.stats;
        let mut s = format!("\n--- {host} ping statistics ---\n");
        let _ = write!(
            s,
            "{} packets transmitted, {} received,",
            st.transmitted, st.received
        );
        if st.errors > 0 {
            let _ = write!(s, " +{} errors,", st.errors);
        }
        let _ = writeln!(
            s,
            " {}% packet loss, time {}ms",
            fmt_loss(st.loss_pct),
            st.time_ms
        );
        if let (Some(a), Some(b), Some(c), Some(d)) =
            (st.rtt_min, st.rtt_avg, st.rtt_max, st.rtt_mdev)
        {
            let _ = writeln!(s, "rtt min/avg/max/mdev = {a:.3}/{b:.3}/{c:.3}/{d:.3} ms");
        }
        s
    })?;
    Ok(if report.stats.received == 0 { 1 } else { 0 })
}

/// iputils prints the loss with up to 4 significant digits (`0`, `50`, `33.3333`).
fn fmt_loss(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        let s = format!("{p:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// iputils' time format: 3 significant-ish decimals below 100 ms.
fn ms(t: f64) -> String {
    if t >= 100.0 {
        format!("{t:.0} ms")
    } else if t >= 10.0 {
        format!("{t:.1} ms")
    } else {
        format!("{t:.3} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_printed_as_iputils_does() {
        assert_eq!(fmt_loss(50.0), "50");
        assert_eq!(fmt_loss(100.0 / 3.0), "33.3333");
    }
}
