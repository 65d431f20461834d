//! iftop's bookkeeping: bytes per host pair and direction in one-second buckets, giving 2 s,
//! 10 s and 40 s averages and cumulative totals.
//!
//! The table is bounded whatever the traffic (a flood of spoofed sources makes a new pair per
//! packet): a pair idle for longer than the longest window (40 s) is forgotten, as iftop forgets
//! it, and at most `max_pairs` pairs are kept; the bytes of a new pair that finds the table full
//! are counted as other traffic (`overflow_bytes`, also in `other_bytes`).

use std::collections::HashMap;
use std::net::IpAddr;

use netshoot_wire::ethernet::{self, ethertype};
use netshoot_wire::{
    ip_proto, vlan, EthernetFrame, Ipv4Packet, Ipv6Packet, TcpPacket, UdpPacket, VlanHeader,
};
use serde::Serialize;

const WINDOW: usize = 40;

/// Seconds without a packet after which a pair is forgotten: the longest window, as iftop.
pub const IDLE_EXPIRY_SECS: u64 = WINDOW as u64;

/// The default cap on the pairs kept (`top --max-pairs`): about 7 MiB of counters.
pub const DEFAULT_MAX_PAIRS: usize = 10_000;

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
    /// The second (`Flows::seconds`) of its latest packet.
    last_seen: u64,
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

/// Accumulates packets; `tick` closes a second and forgets idle pairs.
#[derive(Debug)]
pub struct Flows {
    pairs: HashMap<(IpAddr, IpAddr), Pair>,
    /// At most this many pairs are kept (at least 1).
    max_pairs: usize,
    /// Seconds closed so far.
    pub seconds: u64,
    /// Bytes not counted in a pair: frames that were not IP (ARP …), and the overflow.
    pub other_bytes: u64,
    /// Bytes of new pairs that found the table full (counted in `other_bytes` too).
    pub overflow_bytes: u64,
}

impl Default for Flows {
    fn default() -> Self {
        Flows::with_max_pairs(DEFAULT_MAX_PAIRS)
    }
}

/// The EtherType after any VLAN tags, where its payload begins in the frame, and the payload.
fn network(frame: &[u8]) -> Option<(u16, usize, &[u8])> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let (mut t, mut off, mut rest) = (eth.ethertype(), ethernet::HEADER_LEN, eth.payload_slice());
    while ethertype::is_vlan_tag(t) {
        let tag = VlanHeader::new_checked(rest).ok()?;
        (t, off, rest) = (tag.ethertype(), off + vlan::HEADER_LEN, tag.payload_slice());
    }
    Some((t, off, rest))
}

/// The IP addresses and IP length of an Ethernet frame (VLAN tags skipped).
pub fn ip_endpoints(frame: &[u8], wire_len: u32) -> Option<(IpAddr, IpAddr, u64)> {
    let (t, off, ip) = network(frame)?;
    let ip_len = u64::from(wire_len).saturating_sub(off as u64);
    match t {
        ethertype::IPV4 => {
            let p = Ipv4Packet::new_checked(ip).ok()?;
            Some((p.src_addr().into(), p.dst_addr().into(), ip_len))
        }
        ethertype::IPV6 => {
            let p = Ipv6Packet::new_checked(ip).ok()?;
            Some((p.src_addr().into(), p.dst_addr().into(), ip_len))
        }
        _ => None,
    }
}

/// (source, destination, source port, destination port, IP protocol) of a TCP or UDP packet
/// in an Ethernet frame (not for non-first IPv4 fragments; IPv6: right after the fixed header).
pub fn ports(frame: &[u8]) -> Option<(IpAddr, IpAddr, u16, u16, u8)> {
    let (t, _, ip) = network(frame)?;
    let (s, d, proto, l4): (IpAddr, IpAddr, u8, &[u8]) = match t {
        ethertype::IPV4 => {
            let p = Ipv4Packet::new_checked(ip).ok()?;
            if p.frag_offset() != 0 {
                return None;
            }
            let l4 = p.after_header_slice();
            (p.src_addr().into(), p.dst_addr().into(), p.protocol(), l4)
        }
        ethertype::IPV6 => {
            let p = Ipv6Packet::new_checked(ip).ok()?;
            let l4 = p.payload_slice();
            (
                p.src_addr().into(),
                p.dst_addr().into(),
                p.next_header(),
                l4,
            )
        }
        _ => return None,
    };
    let (sp, dp) = match proto {
        ip_proto::TCP => {
            let t = TcpPacket::new_checked(l4).ok()?;
            (t.src_port(), t.dst_port())
        }
        ip_proto::UDP => {
            let u = UdpPacket::new_checked(l4).ok()?;
            (u.src_port(), u.dst_port())
        }
        _ => return None,
    };
    Some((s, d, sp, dp, proto))
}

impl Flows {
    /// An empty table that keeps at most `max_pairs` pairs (at least 1).
    pub fn with_max_pairs(max_pairs: usize) -> Flows {
        Flows {
            pairs: HashMap::new(),
            max_pairs: max_pairs.max(1),
            seconds: 0,
            other_bytes: 0,
            overflow_bytes: 0,
        }
    }

    /// The number of pairs kept now.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when no pair is kept.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

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
        if !self.pairs.contains_key(&key) && self.pairs.len() >= self.max_pairs {
            self.other_bytes += len;
            self.overflow_bytes += len;
            return None;
        }
        let pair = self.pairs.entry(key).or_default();
        pair.last_seen = self.seconds;
        let e = &mut pair.dirs[dir];
        e.total += len;
        e.buckets[slot] += len;
        Some(key)
    }

    /// Closes the current second; forgets the pairs idle for longer than
    /// [`IDLE_EXPIRY_SECS`].
    pub fn tick(&mut self) {
        self.seconds += 1;
        let slot = (self.seconds % WINDOW as u64) as usize;
        let now = self.seconds;
        self.pairs.retain(|_, p| {
            for d in &mut p.dirs {
                d.buckets[slot] = 0;
            }
            now - p.last_seen <= IDLE_EXPIRY_SECS
        });
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
        for _ in 0..38 {
            f.tick();
        }
        // 39 s after its last packet: still there, its 40 s rate down to that packet's.
        assert_eq!(f.report()[0].a_to_b.rate_40s, 0.0);
        assert_eq!(f.report()[0].b_to_a.rate_40s, 40.0 * 8.0 / 40.0);
        assert_eq!(f.report()[0].a_to_b.total_bytes, 400);
        // Idle longer than the longest window: forgotten, as iftop forgets it.
        f.tick();
        assert_eq!(f.len(), 1);
        f.tick();
        assert!(f.is_empty(), "{:?}", f.report());
    }

    /// A flood of new pairs (spoofed sources) keeps at most `max_pairs`; the rest is counted
    /// as other traffic; known pairs are still counted; forgotten pairs make room again.
    #[test]
    fn the_table_is_capped_and_idle_pairs_make_room() {
        let c = crate::craft::corpus();
        let syn = c[0].1.clone(); // IPv4 10.0.0.1 > 10.0.0.2, 40 bytes of IP
        let mut f = Flows::with_max_pairs(100);
        let spoofed = |i: u32| {
            let mut fr = syn.clone();
            // The IPv4 source address, after a 14-byte Ethernet header.
            fr[26..30].copy_from_slice(&(0x0a63_0000u32 + i).to_be_bytes());
            fr
        };
        f.add(&syn, syn.len() as u32);
        for i in 0..10_000 {
            let fr = spoofed(i);
            f.add(&fr, fr.len() as u32);
        }
        assert_eq!(f.len(), 100);
        assert_eq!(f.overflow_bytes, (10_000 - 99) * 40);
        assert_eq!(f.other_bytes, f.overflow_bytes);
        // The first pair is still counted while the table is full.
        assert!(f.add(&syn, syn.len() as u32).is_some());
        for _ in 0..=IDLE_EXPIRY_SECS {
            f.tick();
            f.add(&syn, syn.len() as u32);
        }
        assert_eq!(
            f.len(),
            1,
            "the flood's pairs are forgotten, the live one kept"
        );
        let fr = spoofed(20_000);
        assert!(f.add(&fr, fr.len() as u32).is_some(), "room again");
    }

    #[test]
    fn endpoints_and_ports_of_the_crafted_corpus() {
        let c = crate::craft::corpus();
        let get = |n: &str| &c.iter().find(|(name, _)| name == n).unwrap().1;
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let f = get("vlan 10 ipv4 tcp 80");
        assert_eq!(ports(f), Some((a("10.0.0.1"), a("10.0.0.2"), 40000, 80, 6)));
        assert_eq!(ip_endpoints(f, 100).map(|e| e.2), Some(100 - 18));
        let f = get("qinq 100/10 udp 53");
        assert_eq!(ports(f), Some((a("10.0.0.1"), a("10.0.0.2"), 4000, 53, 17)));
        let f = get("ipv6 udp 53");
        assert_eq!(
            ports(f),
            Some((a("2001:db8::2"), a("2001:db8::1"), 53, 50001, 17))
        );
        assert_eq!(ports(get("ipv4 non-first fragment (offset 185)")), None);
        assert!(ports(get("ipv4 first fragment udp 53")).is_some());
        assert_eq!(ports(get("icmp echo")), None);
        assert_eq!(ip_endpoints(get("arp request"), 42), None);
        // Every prefix of every frame: no panic.
        for (_, f) in &c {
            for n in 0..f.len() {
                let _ = (ports(&f[..n]), ip_endpoints(&f[..n], n as u32));
            }
        }
    }
}
