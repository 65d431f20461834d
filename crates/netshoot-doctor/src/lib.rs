//! `netshoot doctor`: checks that run inside a target and name the network fault in plain words,
//! with the evidence, why it breaks traffic, and the fix.
//!
//! Gathering and judging are apart: the checks (`checks/`) read everything through the
//! [`facts::Facts`] trait and only decide what the facts mean. [`facts::KernelFacts`] gathers
//! them with the same library functions the commands use (`netshoot-inspect`, `netshoot-ns`,
//! `netshoot-probe`, `netshoot-dns`); [`diagnose_recording`] saves what a run gathered, and
//! [`replay`] runs the checks on such a recording without root or a live kernel. Checks run
//! concurrently on plain threads spawned *after* the target was entered, so they inherit its
//! namespace; facts of another namespace (the host's firewall, a destination container's
//! listeners) are read there with `netshoot_ns::in_namespace`.

mod checks;
mod dest;
pub mod facts;
mod finding;
mod resolve;

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use dest::Dest;
use facts::{Facts, KernelFacts, Recorder, Recording, Replay, TargetFacts};
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
    /// `--record-facts`: the recording could not be written.
    #[error("cannot write the recorded facts to {path}: {why}")]
    Record {
        /// Where.
        path: String,
        /// What went wrong.
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

/// What every check sees besides the facts.
#[derive(Debug)]
pub struct Context {
    /// The target being diagnosed.
    pub target: TargetFacts,
    /// Destinations, resolved.
    pub dests: Vec<Dest>,
    /// Tunables.
    pub opts: Options,
}

/// A check: a function of the context and the facts that returns one or more findings.
type CheckFn = fn(&Context, &dyn Facts) -> Vec<Finding>;

/// Runs every check against `target` (which the calling thread has already entered) and the
/// destinations, and returns the ordered report.
pub fn diagnose(target: &Target, dests: &[String], opts: &Options) -> Result<Report, DoctorError> {
    diagnose_with(Arc::new(KernelFacts::new(target)), dests, opts)
}

/// [`diagnose`], and writes the facts the run gathered to `path` as a [`Recording`] (JSON),
/// also when the run ends in an error.
pub fn diagnose_recording(
    target: &Target,
    dests: &[String],
    opts: &Options,
    path: &Path,
) -> Result<Report, DoctorError> {
    let recorder = Arc::new(Recorder::new(KernelFacts::new(target)));
    let result = diagnose_with(recorder.clone(), dests, opts);
    let recording = Recording {
        dests: dests.to_vec(),
        probe_timeout_ms: opts.probe_timeout.as_millis() as u64,
        deadline_ms: opts.deadline.as_millis() as u64,
        facts: recorder.facts(),
        findings: result
            .as_ref()
            .map(|r| r.findings.clone())
            .unwrap_or_default(),
    };
    let bad = |why: String| DoctorError::Record {
        path: path.display().to_string(),
        why,
    };
    let json = serde_json::to_string_pretty(&recording).map_err(|e| bad(e.to_string()))?;
    std::fs::write(path, json + "\n").map_err(|e| bad(e.to_string()))?;
    result
}

/// Runs the checks on the facts of a [`Recording`], with its destinations and options: no
/// kernel, namespace or network is touched.
pub fn replay(recording: &Recording) -> Result<Report, DoctorError> {
    let opts = Options {
        probe_timeout: Duration::from_millis(recording.probe_timeout_ms),
        deadline: Duration::from_millis(recording.deadline_ms),
    };
    diagnose_with(
        Arc::new(Replay::new(recording.facts.clone())),
        &recording.dests,
        &opts,
    )
}

/// Runs every check on `facts` for the destinations, and returns the ordered report.
pub fn diagnose_with(
    facts: Arc<dyn Facts>,
    dests: &[String],
    opts: &Options,
) -> Result<Report, DoctorError> {
    let start = Instant::now();
    let parsed = dests
        .iter()
        .map(|d| Dest::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let target = facts.target();
    let resolved = resolve::resolve_all(&*facts, parsed, opts);
    let ctx = Arc::new(Context {
        target,
        dests: resolved,
        opts: opts.clone(),
    });

    let checks = checks::all();
    let (tx, rx) = mpsc::channel::<(usize, Vec<Finding>)>();
    for (i, (_, check)) in checks.iter().enumerate() {
        let tx = tx.clone();
        let ctx = Arc::clone(&ctx);
        let facts = Arc::clone(&facts);
        let check: CheckFn = *check;
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut found = check(&ctx, &*facts);
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
    if let Some(why) = facts.target_gone() {
        return Err(DoctorError::TargetGone {
            target: ctx.target.label.clone(),
            why,
        });
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
        ctx.target.label.clone(),
        ctx.dests.clone(),
        findings,
        start.elapsed().as_millis() as u64,
    ))
}
