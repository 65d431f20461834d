//! `netshoot doctor`: checks that run inside a target and name the network fault in plain words,
//! with the evidence, why it breaks traffic, and the fix.
//!
//! The checks call the same library functions the commands use (`netshoot-inspect`,
//! `netshoot-ns`, …); this crate only decides what the facts mean. Checks run concurrently on
//! plain threads spawned *after* the target was entered, so they inherit its namespace; checks
//! that look at another namespace (the host's firewall, a destination container's listeners)
//! visit it with `netshoot_ns::in_namespace`.

mod checks;
mod dest;
mod finding;
mod local;
mod resolve;

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use dest::Dest;
pub use finding::{Counts, Finding, Report, Status};
use netshoot_ns::Target;

/// Errors that stop the doctor before it can diagnose anything.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// A destination that parses as nothing.
    #[error("cannot read destination '{dest}': {why}; give a host, host:port, a URL (http[s]://host[:port]/…), a container or a service name")]
    BadDest {
        /// As written.
        dest: String,
        /// What is wrong.
        why: String,
    },
    /// The target went away while the doctor ran.
    #[error("the target {target} vanished while the doctor ran: {why}")]
    TargetGone {
        /// Its label.
        target: String,
        /// What showed it.
        why: String,
    },
}

/// Tunables.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time one network probe may take (a connect, a DNS query, an echo).
    pub probe_timeout: Duration,
    /// Time the whole run may take; checks still running then are reported as skipped.
    pub deadline: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            probe_timeout: Duration::from_millis(1500),
            deadline: Duration::from_secs(8),
        }
    }
}

/// What every check sees.
#[derive(Debug)]
pub struct Context {
    /// The target being diagnosed (already entered by the caller).
    pub target: Target,
    /// Destinations, resolved.
    pub dests: Vec<Dest>,
    /// Tunables.
    pub opts: Options,
}

/// A check: a function of the context that returns one or more findings.
type CheckFn = fn(&Context) -> Vec<Finding>;

/// Runs every check against `target` (which the calling thread has already entered) and the
/// destinations, and returns the ordered report.
pub fn diagnose(target: &Target, dests: &[String], opts: &Options) -> Result<Report, DoctorError> {
    let start = Instant::now();
    let parsed = dests
        .iter()
        .map(|d| Dest::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let resolved = resolve::resolve_all(target, parsed, opts);
    let ctx = Arc::new(Context {
        target: target.clone(),
        dests: resolved,
        opts: opts.clone(),
    });

    let checks = checks::all();
    let (tx, rx) = mpsc::channel::<(usize, Vec<Finding>)>();
    for (i, (_, check)) in checks.iter().enumerate() {
        let tx = tx.clone();
        let ctx = Arc::clone(&ctx);
        let check: CheckFn = *check;
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut found = check(&ctx);
            let ms = t.elapsed().as_millis() as u64;
            for f in &mut found {
                f.elapsed_ms = ms;
            }
            let _ = tx.send((i, found));
        });
    }
    drop(tx);
    let mut by_check: Vec<Option<Vec<Finding>>> = vec![None; checks.len()];
    let deadline = start + opts.deadline;
    while by_check.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, f)) => by_check[i] = Some(f),
            Err(_) => break,
        }
    }
    // A target whose process ended mid-run (a stopped container) leaves only half-true facts.
    if let Some(pid) = target.pid {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return Err(DoctorError::TargetGone {
                target: target.label.clone(),
                why: format!("its process {pid} ended"),
            });
        }
    }
    let mut findings = Vec::new();
    for (i, f) in by_check.into_iter().enumerate() {
        match f {
            Some(f) => findings.extend(f),
            None => findings.push(Finding::skipped(
                checks[i].0,
                format!(
                    "did not finish within the {} s deadline",
                    opts.deadline.as_secs_f32()
                ),
            )),
        }
    }
    Ok(Report::new(
        target.label.clone(),
        ctx.dests.clone(),
        findings,
        start.elapsed().as_millis() as u64,
    ))
}
