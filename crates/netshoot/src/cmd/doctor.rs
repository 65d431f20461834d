//! `doctor`: run every check inside the target and print the findings.

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;
use netshoot_doctor::{Finding, Options, Report, Status};
use netshoot_ns::Target;

use crate::render::Output;
use netshoot_wire::text::escape;

/// `doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Destinations: host, host:port, a URL, a container or a service name.
    #[arg(value_name = "DEST")]
    pub dests: Vec<String>,
    /// Seconds one probe (connect, DNS query, echo) may take.
    #[arg(
        short = 'w',
        long = "timeout",
        value_name = "SECS",
        default_value = "1.5"
    )]
    pub timeout: f64,
    /// Seconds the whole diagnosis may take; unfinished checks are reported as skipped.
    #[arg(long, value_name = "SECS", default_value = "8")]
    pub deadline: f64,
    /// Also write the facts the run gathered to FILE (JSON), for replaying the checks without
    /// root (the recorded scenarios of netshoot-doctor's tests).
    #[arg(long, value_name = "FILE", hide = true)]
    pub record_facts: Option<std::path::PathBuf>,
}

/// Diagnoses the (already entered) target; exit 1 when any check fails.
pub fn run(args: &DoctorArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let secs = |v: f64, what: &str| -> anyhow::Result<Duration> {
        if v.is_finite() && v > 0.0 && v <= 600.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            anyhow::bail!("bad {what} '{v}': give seconds between 0 and 600")
        }
    };
    let opts = Options {
        probe_timeout: secs(args.timeout, "--timeout")?,
        deadline: secs(args.deadline, "--deadline")?,
    };
    let report = match &args.record_facts {
        Some(path) => netshoot_doctor::diagnose_recording(target, &args.dests, &opts, path)?,
        None => netshoot_doctor::diagnose(target, &args.dests, &opts)?,
    };
    let colour = out.tty();
    out.emit(&report, |r| text(r, colour))?;
    Ok(if report.failed() { 1 } else { 0 })
}

fn paint(s: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn text(r: &Report, colour: bool) -> String {
    let mut s = String::new();
    let dests: Vec<String> = r.destinations.iter().map(|d| d.input.clone()).collect();
    let _ = writeln!(
        s,
        "doctor: {}{}",
        escape(&r.target),
        if dests.is_empty() {
            String::new()
        } else {
            format!(" -> {}", dests.join(", "))
        }
    );
    for d in &r.destinations {
        let addrs: Vec<String> = d.addresses.iter().map(|a| a.to_string()).collect();
        let _ = writeln!(
            s,
            "  {}: {} ({})",
            d.label(),
            if addrs.is_empty() {
                "-".to_string()
            } else {
                addrs.join(" ")
            },
            escape(d.resolved_by.as_deref().unwrap_or("-"))
        );
    }
    let _ = writeln!(s);
    for f in r
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
    {
        finding(&mut s, f, colour);
    }
    let passed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Ok)
        .collect();
    if !passed.is_empty() {
        let _ = writeln!(s, "passed:");
        for f in passed {
            let _ = writeln!(
                s,
                "  {} {}  [{}]",
                paint("ok", "32", colour),
                escape(&f.summary),
                f.id
            );
        }
    }
    let skipped: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Skipped)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(s, "skipped:");
        for f in skipped {
            let _ = writeln!(s, "  {}: {}", f.id, escape(&f.summary));
        }
    }
    let c = &r.counts;
    let _ = writeln!(
        s,
        "\n{} failed, {} warning(s), {} passed, {} skipped in {:.2} s",
        c.fail,
        c.warn,
        c.ok,
        c.skipped,
        r.elapsed_ms as f64 / 1000.0
    );
    s
}

fn finding(s: &mut String, f: &Finding, colour: bool) {
    let tag = match f.status {
        Status::Fail => paint("FAIL", "1;31", colour),
        _ => paint("WARN", "1;33", colour),
    };
    // Findings quote what the network said (DNS errors, names, HTTP reasons): escaped, while
    // the colour codes around the tag are ours.
    let _ = writeln!(s, "{tag}  {}  [{}]", escape(&f.summary), f.id);
    for (i, e) in f.evidence.iter().enumerate() {
        let _ = writeln!(
            s,
            "      {} {}",
            if i == 0 { "evidence:" } else { "         " },
            escape(e)
        );
    }
    if let Some(w) = &f.why {
        let _ = writeln!(s, "      why:      {}", escape(w));
    }
    if let Some(x) = &f.fix {
        let _ = writeln!(s, "      fix:      {}", escape(x));
    }
    let _ = writeln!(s);
}
