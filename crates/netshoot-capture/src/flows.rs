//! iftop's bookkeeping: bytes per host pair and direction in one-second buckets, giving 2 s,
//! 10 s and 40 s averages and cumulative totals.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

const WINDOW: usize = 40;

#[derive(Debug, Clone)]
struct Dir {
    total: u64,
    buckets: [u64; WINDOW],
}

impl Default for Dir {
    fn default() -> Self {
        Dir {
            total: 0,
            buckets: [0; WINDOW],
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Pair {
    /// a → b and b → a (a < b).
    dirs: [Dir; 2],
    /// Local processes seen on this pair (`pid/command`).
    processes: std::collections::BTreeSet<String>,
}

/// Traffic of one direction of a pair.
#[derive(Debug, Clone, Serialize)]
pub struct DirReport {
    /// Bytes since the start (IP length).
    pub total_bytes: u64,
    /// Bits per second over the last 2 s.
    pub rate_2s: f64,
    /// Over the last 10 s.
    pub rate_10s: f64,
    /// Over the last 40 s.
    pub rate_40s: f64,
}

/// One host pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairReport {
    /// The lower address.
    pub a: IpAddr,
    /// The higher address.
    pub b: IpAddr,
    /// a → b.
    pub a_to_b: DirReport,
    /// b → a.
    pub b_to_a: DirReport,
    /// Processes in the target that own a socket of this pair (`pid/command`).
    pub processes: Vec<String>,
}

/// Accumulates packets; `tick` closes a second.
#[derive(Debug, Default)]
pub struct Flows {
    pairs: HashMap<(IpAddr, IpAddr), Pair>,
    /// Seconds closed so far.
    pub seconds: u64,
    /// Packets that were not IP (ARP …), bytes.
    pub other_bytes: u64,
}

/// The IP addresses and IP length of an Ethernet frame (VLAN tags skipped).
pub fn ip_endpoints(frame: &[u8], wire_len: u32) -> Option<(IpAddr, IpAddr, u64)> {
    let mut off = 12;
    let mut t = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
    while matches!(t, 0x8100 | 0x88a8 | 0x9100) {
        off += 4;
        t = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
    }
    let ip = off + 2;
    let ip_len = u64::from(wire_len).saturating_sub(ip as u64);
    match t {
        0x0800 => {
            let s: [u8; 4] = frame.get(ip + 12..ip + 16)?.try_into().ok()?;
            let d: [u8; 4] = frame.get(ip + 16..ip + 20)?.try_into().ok()?;
            Some((IpAddr::from(s), IpAddr::from(d), ip_len))
        }
        0x86dd => {
            let s: [u8; 16] = frame.get(ip + 8..ip + 24)?.try_into().ok()?;
            let d: [u8; 16] = frame.get(ip + 24..ip + 40)?.try_into().ok()?;
            Some((IpAddr::from(s), IpAddr::from(d), ip_len))
        }
        _ => None,
    }
}

/// (source, destination, source port, destination port, IP protocol) of a TCP or UDP packet
/// in an Ethernet frame (not for non-first IPv4 fragments).
pub fn ports(frame: &[u8]) -> Option<(IpAddr, IpAddr, u16, u16, u8)> {
    let (s, d, _) = ip_endpoints(frame, frame.len() as u32)?;
    let mut off = 12;
    while matches!(
        u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]),
        0x8100 | 0x88a8 | 0x9100
    ) {
        off += 4;
    }
    let ip = off + 2;
    let (proto, l4) = if s.is_ipv4() {
        let frag = u16::from_be_bytes([*frame.get(ip + 6)?, *frame.get(ip + 7)?]);
        if frag & 0x1fff != 0 {
            return None;
        }
        (
            *frame.get(ip + 9)?,
            ip + usize::from(frame.get(ip)? & 0xf) * 4,
        )
    } else {
        (*frame.get(ip + 6)?, ip + 40)
    };
    if !matches!(proto, 6 | 17) {
        return None;
    }
    let sp = u16::from_be_bytes([*frame.get(l4)?, *frame.get(l4 + 1)?]);
    let dp = u16::from_be_bytes([*frame.get(l4 + 2)?, *frame.get(l4 + 3)?]);
    Some((s, d, sp, dp, proto))
}

impl Flows {
    /// Accounts one frame, and the local process that owns its socket when known.
    pub fn add_owned(&mut self, frame: &[u8], wire_len: u32, process: Option<&str>) {
        let key = self.add(frame, wire_len);
        if let (Some(p), Some(key)) = (process, key) {
            if let Some(pair) = self.pairs.get_mut(&key) {
                if !pair.processes.contains(p) {
                    pair.processes.insert(p.to_string());
                }
            }
        }
    }

    /// Accounts one frame; returns its pair's key (None for non-IP frames).
    pub fn add(&mut self, frame: &[u8], wire_len: u32) -> Option<(IpAddr, IpAddr)> {
        let Some((s, d, len)) = ip_endpoints(frame, wire_len) else {
            self.other_bytes += u64::from(wire_len);
            return None;
        };
        let (key, dir) = if s <= d { ((s, d), 0) } else { ((d, s), 1) };
        let slot = (self.seconds % WINDOW as u64) as usize;
        let e = &mut self.pairs.entry(key).or_default().dirs[dir];
        e.total += len;
        e.buckets[slot] += len;
        Some(key)
    }

    /// Closes the current second.
    pub fn tick(&mut self) {
        self.seconds += 1;
        let slot = (self.seconds % WINDOW as u64) as usize;
        for p in self.pairs.values_mut() {
            for d in &mut p.dirs {
                d.buckets[slot] = 0;
            }
        }
    }

    fn rate(&self, d: &Dir, secs: usize) -> f64 {
        // The last `secs` closed seconds (fewer at the start).
        let have = (self.seconds as usize).min(secs);
        if have == 0 {
            return 0.0;
        }
        let cur = (self.seconds % WINDOW as u64) as usize;
        let sum: u64 = (1..=have)
            .map(|k| d.buckets[(cur + WINDOW - k) % WINDOW])
            .sum();
        sum as f64 * 8.0 / have as f64
    }

    /// Pairs sorted by their 2 s rate (both directions), highest first.
    pub fn report(&self) -> Vec<PairReport> {
        let mut v: Vec<PairReport> = self
            .pairs
            .iter()
            .map(|((a, b), p)| {
                let r = |d: &Dir| DirReport {
                    total_bytes: d.total,
                    rate_2s: self.rate(d, 2),
                    rate_10s: self.rate(d, 10),
                    rate_40s: self.rate(d, 40),
                };
                PairReport {
                    a: *a,
                    b: *b,
                    a_to_b: r(&p.dirs[0]),
                    b_to_a: r(&p.dirs[1]),
                    processes: p.processes.iter().cloned().collect(),
                }
            })
            .collect();
        v.sort_by(|x, y| {
            let k = |p: &PairReport| {
                (
                    p.a_to_b.rate_2s + p.b_to_a.rate_2s,
                    p.a_to_b.total_bytes + p.b_to_a.total_bytes,
                )
            };
            k(y).partial_cmp(&k(x)).unwrap_or(std::cmp::Ordering::Equal)
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_totals() {
        let c = crate::craft::corpus();
        let syn = &c[0].1; // 10.0.0.1 > 10.0.0.2, 54 bytes on the wire (40 of IP)
        let mut f = Flows::default();
        for _ in 0..10 {
            f.add(syn, syn.len() as u32);
        }
        f.tick();
        f.add(&c[1].1, c[1].1.len() as u32); // the reply direction
        f.tick();
        let r = f.report();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].a_to_b.total_bytes, 400);
        assert_eq!(r[0].b_to_a.total_bytes, 40);
        assert_eq!(r[0].a_to_b.rate_2s, 400.0 * 8.0 / 2.0);
        assert_eq!(r[0].a_to_b.rate_40s, 400.0 * 8.0 / 2.0);
        for _ in 0..45 {
            f.tick();
        }
        assert_eq!(f.report()[0].a_to_b.rate_40s, 0.0);
        assert_eq!(f.report()[0].a_to_b.total_bytes, 400);
    }
}
