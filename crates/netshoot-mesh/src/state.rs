//! Peers and their bounded histories: what every view and the metrics are rendered from.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The probes, in the order they run and print.
pub const PROBES: [&str; 4] = ["tcp", "http", "icmp", "dns"];

/// Histogram bucket bounds, seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// It succeeded.
    pub ok: bool,
    /// How long it took, milliseconds (also for a failure: until it failed).
    pub ms: f64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One round against one peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// When it started, Unix milliseconds.
    pub at_ms: u64,
    /// Results by probe name (`dns` only for a peer found by name).
    pub probes: BTreeMap<String, ProbeResult>,
    /// The path MTU found this round, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
}

impl Round {
    /// Every probe of the round succeeded.
    pub fn ok(&self) -> bool {
        self.probes.values().all(|p| p.ok)
    }

    /// The probes that failed, in [`PROBES`] order.
    pub fn failed(&self) -> Vec<String> {
        PROBES
            .iter()
            .filter(|p| self.probes.get(**p).is_some_and(|r| !r.ok))
            .map(|p| p.to_string())
            .collect()
    }
}

/// Counters and a latency histogram of one probe against one peer.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Successes.
    pub ok: u64,
    /// Failures.
    pub fail: u64,
    /// Successes per bucket of [`BUCKETS`] (not cumulative), then above the last.
    pub buckets: [u64; BUCKETS.len() + 1],
    /// Sum of the successes' durations, seconds.
    pub sum_s: f64,
    /// Unix seconds of the last success.
    pub last_success: Option<f64>,
}

impl Tally {
    /// Adds one result finished at Unix time `now_s`.
    pub fn add(&mut self, r: &ProbeResult, now_s: f64) {
        if !r.ok {
            self.fail += 1;
            return;
        }
        self.ok += 1;
        let s = r.ms / 1000.0;
        self.sum_s += s;
        let i = BUCKETS
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[i] += 1;
        self.last_success = Some(now_s);
    }
}

/// A peer.
#[derive(Debug)]
pub struct Peer {
    /// Its address.
    pub addr: IpAddr,
    /// The names it was found by (a DNS discovery name, a static name); empty for a literal.
    pub names: Vec<String>,
    /// Its last rounds, oldest first, at most `history`.
    pub history: VecDeque<Round>,
    /// Per probe.
    pub tallies: BTreeMap<&'static str, Tally>,
    /// The last path MTU measured.
    pub mtu: Option<u32>,
    /// Rounds started against it.
    pub rounds: u64,
    /// A round against it is still running (the next one is skipped, so one slow peer never
    /// holds a thread per interval).
    pub busy: Arc<AtomicBool>,
}

impl Peer {
    /// A peer not probed yet.
    pub fn new(addr: IpAddr, names: Vec<String>) -> Peer {
        Peer {
            addr,
            names,
            history: VecDeque::new(),
            tallies: BTreeMap::new(),
            mtu: None,
            rounds: 0,
            busy: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Records a finished round, keeping at most `keep` of them.
    pub fn record(&mut self, round: Round, keep: usize, now_s: f64) {
        for p in PROBES {
            if let Some(r) = round.probes.get(p) {
                self.tallies.entry(p).or_default().add(r, now_s);
            }
        }
        if round.mtu.is_some() {
            self.mtu = round.mtu;
        }
        self.history.push_back(round);
        while self.history.len() > keep.max(1) {
            self.history.pop_front();
        }
    }
}

/// Everything one instance knows.
#[derive(Debug, Default)]
pub struct State {
    /// Its own address as its peers reach it, once known.
    pub instance: Option<IpAddr>,
    /// Peers by address.
    pub peers: BTreeMap<IpAddr, Peer>,
    /// Discovery rounds done.
    pub rounds: u64,
    /// What went wrong in the last discovery (a name that did not resolve, peers over the cap).
    pub warnings: Vec<String>,
}

impl State {
    /// Makes the peer set `found` (address → names): new peers are added, peers no longer
    /// found are dropped, known peers keep their history.
    pub fn set_peers(&mut self, found: BTreeMap<IpAddr, Vec<String>>) {
        self.peers.retain(|a, _| found.contains_key(a));
        for (a, names) in found {
            self.peers
                .entry(a)
                .and_modify(|p| p.names = names.clone())
                .or_insert_with(|| Peer::new(a, names));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(ok: bool, ms: f64) -> Round {
        let mut probes = BTreeMap::new();
        probes.insert(
            "tcp".to_string(),
            ProbeResult {
                ok,
                ms,
                error: (!ok).then(|| "timeout".into()),
            },
        );
        Round {
            at_ms: 1,
            probes,
            mtu: None,
        }
    }

    #[test]
    fn history_is_bounded_and_tallies_count() {
        let mut p = Peer::new("10.0.0.2".parse().unwrap(), vec![]);
        for k in 0..100 {
            p.record(round(k % 10 != 0, 0.7), 30, 5.0);
        }
        assert_eq!(p.history.len(), 30);
        let t = &p.tallies["tcp"];
        assert_eq!((t.ok, t.fail), (90, 10));
        assert_eq!(t.buckets[1], 90, "0.7 ms is in the 1 ms bucket");
        assert_eq!(t.last_success, Some(5.0));
    }

    #[test]
    fn peers_come_and_go_keeping_history() {
        let mut s = State::default();
        let a: IpAddr = "10.0.0.2".parse().unwrap();
        let b: IpAddr = "10.0.0.3".parse().unwrap();
        s.set_peers([(a, vec![]), (b, vec![])].into_iter().collect());
        s.peers
            .get_mut(&a)
            .unwrap()
            .record(round(true, 1.0), 5, 1.0);
        s.set_peers([(a, vec!["tasks.m".into()])].into_iter().collect());
        assert_eq!(s.peers.len(), 1);
        assert_eq!(s.peers[&a].history.len(), 1);
        assert_eq!(s.peers[&a].names, ["tasks.m"]);
    }
}
