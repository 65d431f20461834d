//! What a check finds, and the report that orders the findings.

use serde::{Deserialize, Serialize};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Something is broken: traffic fails because of it.
    Fail,
    /// Something is off and may break traffic, or is a pitfall.
    Warn,
    /// Checked and fine.
    Ok,
    /// Not checked, with the reason in `summary`.
    Skipped,
}

/// One check's result: one sentence, the evidence seen, why it matters, the fix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id (`route.default`, `dns.server`, `reach.tcp`, …); with a destination it is
    /// suffixed `:<dest>`.
    pub id: String,
    /// Outcome.
    pub status: Status,
    /// One sentence saying what is wrong (or what was found fine, or why it was skipped).
    pub summary: String,
    /// The lines and numbers seen.
    pub evidence: Vec<String>,
    /// Why it breaks traffic (for warn/fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The fix, a command where there is one (for warn/fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// How long the check took.
    pub elapsed_ms: u64,
}

impl Finding {
    /// A passed check.
    pub fn ok(id: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Ok, summary)
    }

    /// A skipped check; `why` says why.
    pub fn skipped(id: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(id, Status::Skipped, why)
    }

    /// A warning.
    pub fn warn(id: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Warn, summary)
    }

    /// A failure.
    pub fn fail(id: impl Into<String>, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Fail, summary)
    }

    fn new(id: impl Into<String>, status: Status, summary: impl Into<String>) -> Self {
        Finding {
            id: id.into(),
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            why: None,
            fix: None,
            elapsed_ms: 0,
        }
    }

    /// Adds an evidence line.
    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    /// Sets why it breaks traffic.
    pub fn why(mut self, why: impl Into<String>) -> Self {
        self.why = Some(why.into());
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// How many findings of each status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Failures.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Passed.
    pub ok: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The target diagnosed (`container:web`, `current`, …).
    pub target: String,
    /// The destinations as understood.
    pub destinations: Vec<crate::Dest>,
    /// Failures first, then warnings (each by severity and check order), then passed, then
    /// skipped.
    pub findings: Vec<Finding>,
    /// Totals.
    pub counts: Counts,
    /// Wall time of the whole run.
    pub elapsed_ms: u64,
}

impl Report {
    /// Orders findings and counts them.
    pub fn new(
        target: String,
        destinations: Vec<crate::Dest>,
        mut findings: Vec<Finding>,
        elapsed_ms: u64,
    ) -> Self {
        // Stable: checks keep their run order within a status.
        findings.sort_by_key(|f| f.status);
        let mut counts = Counts::default();
        for f in &findings {
            match f.status {
                Status::Fail => counts.fail += 1,
                Status::Warn => counts.warn += 1,
                Status::Ok => counts.ok += 1,
                Status::Skipped => counts.skipped += 1,
            }
        }
        Report {
            target,
            destinations,
            findings,
            counts,
            elapsed_ms,
        }
    }

    /// True when any check failed.
    pub fn failed(&self) -> bool {
        self.counts.fail > 0
    }
}
