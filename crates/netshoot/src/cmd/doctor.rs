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
    // Root causes in report order, each followed by what follows from it.
    for f in r
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn) && f.because.is_none())
    {
        finding(&mut s, f, colour);
        for c in &f.consequences {
            if let Some(c) = r.findings.iter().find(|x| &x.id == c) {
                consequence(&mut s, c, &f.id, colour);
            }
        }
        let _ = writeln!(s);
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
    let causes = match (c.causes, c.consequences) {
        (0, _) => String::new(),
        (n, 0) => format!("{n} root cause(s); "),
        (n, k) => format!("{n} root cause(s) ({k} consequence(s)); "),
    };
    let _ = writeln!(
        s,
        "\n{causes}{} failed, {} warning(s), {} passed, {} skipped in {:.2} s",
        c.fail,
        c.warn,
        c.ok,
        c.skipped,
        r.elapsed_ms as f64 / 1000.0
    );
    s
}

/// A consequence: one line under its cause (its evidence, why and fix are in the JSON; the
/// cause's fix is the one to apply).
fn consequence(s: &mut String, f: &Finding, cause: &str, colour: bool) {
    let tag = match f.status {
        Status::Fail => paint("fail", "31", colour),
        _ => paint("warn", "33", colour),
    };
    let _ = writeln!(
        s,
        "      -> {tag}  {}  [{}] (because of {cause})",
        escape(&f.summary),
        f.id
    );
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text report of a recorded scenario (netshoot-doctor's tests/facts), replayed.
    fn replayed(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../netshoot-doctor/tests/facts")
            .join(format!("{name}.json"));
        let rec: netshoot_doctor::facts::Recording =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        text(&netshoot_doctor::replay(&rec).unwrap(), false)
    }

    #[test]
    fn consequences_are_printed_under_their_cause() {
        let t = replayed("a_swarm_vip_on_a_kernel_without_ipvs_is_named");
        let lines: Vec<&str> = t.lines().collect();
        let vip = lines
            .iter()
            .position(|l| l.starts_with("FAIL") && l.ends_with("[swarm.vip:nstsvc4fb76]"))
            .unwrap_or_else(|| panic!("{t}"));
        // The cause first (no FAIL before it), its evidence/why/fix, then its consequences.
        assert!(!lines[..vip].iter().any(|l| l.starts_with("FAIL")), "{t}");
        let nested: Vec<&str> = lines[vip..]
            .iter()
            .take_while(|l| !l.is_empty())
            .filter(|l| l.starts_with("      -> fail"))
            .copied()
            .collect();
        assert_eq!(nested.len(), 2, "{t}");
        assert!(nested[0].contains("[neighbour:10.0.11.2]"), "{t}");
        assert!(nested[1].contains("[reach.icmp:nstsvc4fb76]"), "{t}");
        assert!(
            nested
                .iter()
                .all(|l| l.ends_with("(because of swarm.vip:nstsvc4fb76)")),
            "{t}"
        );
        // Not repeated as failures of their own.
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("FAIL")).count(),
            2,
            "{t}"
        );
        assert!(
            t.contains("\n2 root cause(s) (2 consequence(s)); 4 failed, 0 warning(s), "),
            "{t}"
        );
    }

    #[test]
    fn a_healthy_report_reads_as_before() {
        let t = replayed("healthy_topology_has_no_warning_or_failure");
        assert!(!t.contains("      -> ") && !t.contains("root cause"), "{t}");
        assert!(t.contains("\n0 failed, 0 warning(s), "), "{t}");
    }
}
