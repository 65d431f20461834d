//! `top`'s engine: packets of a live capture counted per host pair ([`crate::flows`]), each
//! pair with the local processes that own its sockets, and a typed snapshot of the busiest
//! pairs every interval.

use std::net::IpAddr;

use serde::Serialize;

use crate::flows::{ports, Flows, PairReport};
use crate::source::Frame;

/// One snapshot: the busiest pairs, their 2/10/40 s rates and totals, their owners.
#[derive(Debug, Clone, Serialize)]
pub struct TopReport {
    /// The interface (or `any`).
    pub interface: String,
    /// Bytes not counted in a pair: frames that were not IP (ARP, …), and `overflow_bytes`.
    pub other_bytes: u64,
    /// Bytes of new pairs that found the table full (`--max-pairs`).
    pub overflow_bytes: u64,
    /// Pairs kept now (at most `--max-pairs`; a pair idle for 40 s is forgotten).
    pub tracked_pairs: usize,
    /// The busiest pairs, highest 2 s rate first (at most the number of lines asked for).
    pub pairs: Vec<PairReport>,
    /// Seconds counted so far.
    pub seconds: u64,
    /// The pairs beyond those listed, in the same order: iftop's totals count them too. Not in
    /// the JSON, which lists the shown pairs only.
    #[serde(skip)]
    pub unlisted: Vec<PairReport>,
}

impl TopReport {
    /// Every pair, the listed ones first.
    pub fn all_pairs(&self) -> impl Iterator<Item = &PairReport> {
        self.pairs.iter().chain(&self.unlisted)
    }
}

/// Per-pair counts of a capture.
#[derive(Debug, Default)]
pub struct Top {
    flows: Flows,
}

impl Top {
    /// Counts that keep at most `max_pairs` pairs ([`crate::flows::DEFAULT_MAX_PAIRS`] by
    /// default).
    pub fn with_max_pairs(max_pairs: usize) -> Top {
        Top {
            flows: Flows::with_max_pairs(max_pairs),
        }
    }

    /// Counts one frame. `owner_of(address, port, IP protocol)` names the local process
    /// (`pid/command`) that owns an endpoint, if any; the source end is asked first.
    pub fn add<'o>(
        &mut self,
        frame: &Frame<'_>,
        owner_of: impl Fn(IpAddr, u16, u8) -> Option<&'o str>,
    ) {
        let owner = ports(frame.data).and_then(|(s, d, sp, dp, proto)| {
            owner_of(s, sp, proto).or_else(|| owner_of(d, dp, proto))
        });
        self.flows.add_owned(frame.data, frame.len, owner);
    }

    /// Closes the current second.
    pub fn tick(&mut self) {
        self.flows.tick();
    }

    /// Seconds closed so far.
    pub fn seconds(&self) -> u64 {
        self.flows.seconds
    }

    /// The snapshot of now, listing at most `lines` pairs.
    pub fn report(&self, interface: &str, lines: usize) -> TopReport {
        let mut pairs = self.flows.report();
        let unlisted = pairs.split_off(lines.min(pairs.len()));
        TopReport {
            interface: interface.to_string(),
            other_bytes: self.flows.other_bytes,
            overflow_bytes: self.flows.overflow_bytes,
            tracked_pairs: self.flows.len(),
            pairs,
            seconds: self.flows.seconds,
            unlisted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_listing() {
        let c = crate::craft::corpus();
        fn frame(d: &[u8]) -> Frame<'_> {
            Frame {
                sec: 0,
                nsec: 0,
                len: d.len() as u32,
                data: d,
                ifindex: 0,
            }
        }
        let (s, _, sp, _, proto) = ports(&c[0].1).unwrap();
        let mut t = Top::default();
        // Only the source end of the first frame has an owner.
        t.add(&frame(&c[0].1), |ip, port, pr| {
            (ip == s && port == sp && pr == proto).then_some("7/curl")
        });
        t.add(&frame(&c[1].1), |_, _, _| None);
        t.tick();
        let r = t.report("eth0", 0);
        assert!(r.pairs.is_empty());
        assert_eq!(r.all_pairs().count(), r.unlisted.len());
        let r = t.report("eth0", 10);
        assert_eq!(r.seconds, 1);
        assert!(r.unlisted.is_empty());
        let owned: Vec<&PairReport> = r
            .all_pairs()
            .filter(|p| p.processes == ["7/curl"])
            .collect();
        assert_eq!(owned.len(), 1);
        let json = serde_json::to_value(&r).unwrap();
        let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "interface",
                "other_bytes",
                "overflow_bytes",
                "pairs",
                "seconds",
                "tracked_pairs"
            ]
        );
        assert_eq!(r.tracked_pairs, 1);
    }
}
