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
    /// The destinations (their labels, `db:5432`) this finding is about; empty for findings
    /// about the target as a whole. Set by the check when its id names something else than the
    /// destination (a next hop, a container, a service), else filled from the id by
    /// [`Report::new`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dests: Vec<String>,
    /// For a consequence: the id of the root-cause finding it follows from (see [`CAUSES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// For a root cause: the ids of the findings that follow from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consequences: Vec<String>,
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
            dests: Vec::new(),
            because: None,
            consequences: Vec::new(),
        }
    }

    /// Notes a destination (its label) this finding is about.
    pub fn about(mut self, dest: impl Into<String>) -> Self {
        let dest = dest.into();
        if !self.dests.contains(&dest) {
            self.dests.push(dest);
        }
        self
    }

    /// The check part of the id (`reach.tcp` of `reach.tcp:db:5432`).
    pub fn check(&self) -> &str {
        self.id.split_once(':').map_or(&self.id, |(c, _)| c)
    }

    /// The subject part of the id (`db:5432` of `reach.tcp:db:5432`), if any.
    pub fn subject(&self) -> Option<&str> {
        self.id.split_once(':').map(|(_, s)| s)
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

/// Which failed findings explain which others about the same destination: `(cause, its
/// consequences)`, by check (the id before `:`). A failed or warning finding whose check is
/// listed as a consequence of a *failed* cause about one of its destinations is nested under that
/// cause; chains resolve to the first root (a neighbour failure nested under `swarm.vip`
/// takes its `reach.*` findings along). mtu.overlay, dns.server, conntrack and the target-wide
/// checks relate to no destination and are always roots.
pub const CAUSES: &[(&str, &[&str])] = &[
    // The destination itself is not there, or not where packets can go.
    ("name", &["neighbour", "reach.tcp", "reach.icmp"]),
    ("docker.running", &["neighbour", "reach.tcp", "reach.icmp"]),
    (
        "docker.network",
        &["route", "neighbour", "reach.tcp", "reach.icmp"],
    ),
    (
        "swarm.vip",
        &[
            "neighbour",
            "mtu.link",
            "mtu.path",
            "reach.tcp",
            "reach.icmp",
        ],
    ),
    ("route", &["neighbour", "reach.tcp", "reach.icmp"]),
    // A Kubernetes Service without endpoints: kube-proxy's REJECT (or DROP) answers for it.
    (
        "kube.endpoints",
        &[
            "firewall.output",
            "firewall.forward",
            "firewall.input",
            "reach.tcp",
            "reach.icmp",
        ],
    ),
    // One endpoint of a Service does not answer: the connections sent to it fail.
    ("kube.endpoint", &["reach.tcp", "dns.server"]),
    // The cluster DNS Service has no endpoints: its nameserver address refuses every query.
    ("kube.dns", &["dns.server"]),
    // The next hop does not answer ARP/NDP: nothing reaches it.
    ("neighbour", &["reach.tcp", "reach.icmp"]),
    // A rule drops or rejects the TCP connection to the port (ICMP may still pass).
    ("firewall.output", &["reach.tcp"]),
    ("firewall.input", &["reach.tcp"]),
    // Found from the bridge's FORWARD verdict; a drop there (most often its policy) takes
    // echoes along.
    ("firewall.forward", &["reach.tcp", "reach.icmp"]),
    // Nothing accepts the connection from outside.
    ("listen.loopback", &["reach.tcp"]),
    ("listen.none", &["reach.tcp"]),
];

/// Nests consequences under their causes (see [`CAUSES`]): sets `because` and `consequences`.
fn relate(findings: &mut [Finding]) {
    let explains = |cause: &Finding, f: &Finding| {
        cause.status == Status::Fail
            && matches!(f.status, Status::Fail | Status::Warn)
            && cause.id != f.id
            && CAUSES
                .iter()
                .any(|(c, cs)| *c == cause.check() && cs.contains(&f.check()))
            && f.dests.iter().any(|d| cause.dests.contains(d))
    };
    // The first cause (in report order: root causes first) of each finding.
    let direct: Vec<Option<usize>> = findings
        .iter()
        .map(|f| findings.iter().position(|c| explains(c, f)))
        .collect();
    for i in 0..findings.len() {
        let mut root = direct[i];
        let mut hops = 0;
        while let Some(r) = root {
            match direct[r] {
                Some(up) if hops < findings.len() => {
                    root = Some(up);
                    hops += 1;
                }
                _ => break,
            }
        }
        if let Some(r) = root.filter(|r| *r != i) {
            let (cause, id) = (findings[r].id.clone(), findings[i].id.clone());
            findings[i].because = Some(cause);
            findings[r].consequences.push(id);
        }
    }
}

/// How many findings of each status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Root causes: failures that follow from no other finding.
    pub causes: usize,
    /// Failures and warnings nested under a cause (`because` set).
    pub consequences: usize,
    /// Failures (root causes and consequences).
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
        // Findings whose id ends in a destination's label are about it.
        for f in &mut findings {
            if f.dests.is_empty() {
                if let Some(d) = destinations
                    .iter()
                    .find(|d| f.subject() == Some(&d.label()))
                {
                    f.dests.push(d.label());
                }
            }
        }
        relate(&mut findings);
        let mut counts = Counts::default();
        for f in &findings {
            if f.because.is_some() {
                counts.consequences += 1;
            } else if f.status == Status::Fail {
                counts.causes += 1;
            }
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
