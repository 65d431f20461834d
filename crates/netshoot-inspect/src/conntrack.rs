//! Conntrack: the entries over ctnetlink (`conntrack -L`), how full the table is and what it
//! dropped (`conntrack -C`, `conntrack -S`).

use std::io;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::nfnl::{attrs, be16, be32, be64};

/// One direction of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tuple {
    /// Source address.
    pub src: Option<IpAddr>,
    /// Destination address.
    pub dst: Option<IpAddr>,
    /// Source port (TCP, UDP, SCTP, DCCP, UDP-Lite).
    pub sport: Option<u16>,
    /// Destination port.
    pub dport: Option<u16>,
    /// ICMP type.
    pub icmp_type: Option<u8>,
    /// ICMP code.
    pub icmp_code: Option<u8>,
    /// ICMP id.
    pub icmp_id: Option<u16>,
    /// Packets (with `nf_conntrack_acct`).
    pub packets: Option<u64>,
    /// Bytes (with `nf_conntrack_acct`).
    pub bytes: Option<u64>,
}

/// One conntrack entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// Protocol name (`tcp`, `udp`, `icmp`, `icmpv6`, …, or `unknown`).
    pub proto: String,
    /// IP protocol number.
    pub proto_num: u8,
    /// Seconds until the entry expires.
    pub timeout: Option<u32>,
    /// TCP state (`ESTABLISHED`, `TIME_WAIT`, …).
    pub state: Option<String>,
    /// The original direction.
    pub orig: Tuple,
    /// The reply direction (after NAT: where replies come from).
    pub reply: Tuple,
    /// Status flags: `ASSURED`, `SEEN_REPLY` (absent: `UNREPLIED`), `SRC_NAT`, `DST_NAT`, …
    pub status: Vec<String>,
    /// Connection mark.
    pub mark: u32,
    /// Conntrack zone.
    pub zone: u16,
    /// Reference count.
    pub use_count: Option<u32>,
    /// The kernel's id.
    pub id: Option<u32>,
}

const IPCTNL_MSG_CT_GET: u16 = 1;

/// Every conntrack entry of the calling thread's namespace (`family`: 2 IPv4, 10 IPv6, 0 both).
/// EPERM without CAP_NET_ADMIN; an error naming the module when ctnetlink is missing.
pub fn entries(family: u8) -> io::Result<Vec<Entry>> {
    let msgs = crate::nfnl::dump(crate::nfnl::SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, family)?;
    Ok(msgs
        .iter()
        .filter_map(|(fam, body)| parse_entry(*fam, body))
        .collect())
}

fn proto_name(n: u8) -> String {
    match n {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        33 => "dccp".into(),
        47 => "gre".into(),
        58 => "icmpv6".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        _ => "unknown".into(),
    }
}

fn tcp_state(n: u8) -> String {
    match n {
        0 => "NONE",
        1 => "SYN_SENT",
        2 => "SYN_RECV",
        3 => "ESTABLISHED",
        4 => "FIN_WAIT",
        5 => "CLOSE_WAIT",
        6 => "LAST_ACK",
        7 => "TIME_WAIT",
        8 => "CLOSE",
        9 => "SYN_SENT2",
        _ => "UNKNOWN",
    }
    .into()
}

fn ip_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from([b[0], b[1], b[2], b[3]])),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// CTA_TUPLE_* (nested CTA_TUPLE_IP and CTA_TUPLE_PROTO).
fn tuple_of(b: &[u8]) -> (Tuple, Option<u8>) {
    let mut t = Tuple {
        src: None,
        dst: None,
        sport: None,
        dport: None,
        icmp_type: None,
        icmp_code: None,
        icmp_id: None,
        packets: None,
        bytes: None,
    };
    let mut proto = None;
    for (ty, v) in attrs(b) {
        match ty {
            1 => {
                for (k, a) in attrs(v) {
                    match k {
                        1 | 3 => t.src = ip_of(a),
                        2 | 4 => t.dst = ip_of(a),
                        _ => {}
                    }
                }
            }
            2 => {
                for (k, a) in attrs(v) {
                    match k {
                        1 => proto = a.first().copied(),
                        2 => t.sport = be16(a),
                        3 => t.dport = be16(a),
                        4 | 7 => t.icmp_id = be16(a),
                        5 | 8 => t.icmp_type = a.first().copied(),
                        6 | 9 => t.icmp_code = a.first().copied(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (t, proto)
}

/// CTA_COUNTERS_*: (packets, bytes).
fn counters_of(b: &[u8]) -> (Option<u64>, Option<u64>) {
    let mut p = None;
    let mut by = None;
    for (k, v) in attrs(b) {
        match k {
            1 => p = be64(v),
            2 => by = be64(v),
            // 32-bit forms of old kernels.
            3 => p = be32(v).map(u64::from),
            4 => by = be32(v).map(u64::from),
            _ => {}
        }
    }
    (p, by)
}

/// Decodes one IPCTNL_MSG_CT_NEW payload (the attributes after `nfgenmsg`). `None` when it
/// has no original tuple.
pub fn parse_entry(family: u8, body: &[u8]) -> Option<Entry> {
    let mut orig = None;
    let mut reply = None;
    let mut e = Entry {
        family: if family == 10 { "ipv6" } else { "ipv4" },
        proto: String::new(),
        proto_num: 0,
        timeout: None,
        state: None,
        orig: tuple_of(&[]).0,
        reply: tuple_of(&[]).0,
        status: Vec::new(),
        mark: 0,
        zone: 0,
        use_count: None,
        id: None,
    };
    let mut counters = [(None, None); 2];
    for (ty, v) in attrs(body) {
        match ty {
            1 => orig = Some(tuple_of(v)),
            2 => reply = Some(tuple_of(v).0),
            3 => {
                let bits = be32(v).unwrap_or(0);
                for (bit, word) in [
                    (0, "EXPECTED"),
                    (1, "SEEN_REPLY"),
                    (2, "ASSURED"),
                    (3, "CONFIRMED"),
                    (4, "SRC_NAT"),
                    (5, "DST_NAT"),
                    (9, "DYING"),
                    (10, "FIXED_TIMEOUT"),
                    (12, "OFFLOAD"),
                ] {
                    if bits & (1 << bit) != 0 {
                        e.status.push(word.into());
                    }
                }
            }
            4 => {
                // CTA_PROTOINFO_TCP → CTA_PROTOINFO_TCP_STATE.
                for (k, a) in attrs(v) {
                    if k == 1 {
                        for (kk, aa) in attrs(a) {
                            if kk == 1 {
                                e.state = aa.first().map(|s| tcp_state(*s));
                            }
                        }
                    }
                }
            }
            7 => e.timeout = be32(v),
            8 => e.mark = be32(v).unwrap_or(0),
            9 => counters[0] = counters_of(v),
            10 => counters[1] = counters_of(v),
            11 => e.use_count = be32(v),
            12 => e.id = be32(v),
            18 => e.zone = be16(v).unwrap_or(0),
            _ => {}
        }
    }
    let (mut o, proto) = orig?;
    let mut r = reply.unwrap_or_else(|| tuple_of(&[]).0);
    (o.packets, o.bytes) = counters[0];
    (r.packets, r.bytes) = counters[1];
    e.proto_num = proto.unwrap_or(0);
    e.proto = proto_name(e.proto_num);
    e.orig = o;
    e.reply = r;
    Some(e)
}

impl Entry {
    /// The line `conntrack -L` prints for this entry.
    pub fn line(&self) -> String {
        use std::fmt::Write as _;
        let mut s = format!("{:<8} {} ", self.proto, self.proto_num);
        if let Some(t) = self.timeout {
            let _ = write!(s, "{t} ");
        }
        if let Some(st) = &self.state {
            let _ = write!(s, "{st} ");
        }
        let tuple = |s: &mut String, t: &Tuple| {
            if let Some(a) = t.src {
                let _ = write!(s, "src={a} ");
            }
            if let Some(a) = t.dst {
                let _ = write!(s, "dst={a} ");
            }
            if let Some(p) = t.sport {
                let _ = write!(s, "sport={p} ");
            }
            if let Some(p) = t.dport {
                let _ = write!(s, "dport={p} ");
            }
            if let Some(x) = t.icmp_type {
                let _ = write!(s, "type={x} ");
            }
            if let Some(x) = t.icmp_code {
                let _ = write!(s, "code={x} ");
            }
            if let Some(x) = t.icmp_id {
                let _ = write!(s, "id={x} ");
            }
            if let (Some(p), Some(b)) = (t.packets, t.bytes) {
                let _ = write!(s, "packets={p} bytes={b} ");
            }
        };
        tuple(&mut s, &self.orig);
        if !self.status.iter().any(|x| x == "SEEN_REPLY") {
            s.push_str("[UNREPLIED] ");
        }
        tuple(&mut s, &self.reply);
        if self.status.iter().any(|x| x == "ASSURED") {
            s.push_str("[ASSURED] ");
        }
        if self.status.iter().any(|x| x == "OFFLOAD") {
            s.push_str("[OFFLOAD] ");
        }
        let _ = write!(s, "mark={} ", self.mark);
        if self.zone != 0 {
            let _ = write!(s, "zone={} ", self.zone);
        }
        if let Some(u) = self.use_count {
            let _ = write!(s, "use={u}");
        }
        s.trim_end().to_string()
    }
}

/// The calling namespace's conntrack table usage and per-CPU statistics, summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConntrackUsage {
    /// Entries in this namespace's table (`conntrack -C`).
    pub count: u64,
    /// `net.netfilter.nf_conntrack_max` (a limit shared by every namespace).
    pub max: u64,
    /// New connections that could not be inserted (a race or a full table).
    pub insert_failed: u64,
    /// Packets dropped because no entry could be made (the table was full).
    pub drop: u64,
    /// Entries evicted early to make room.
    pub early_drop: u64,
    /// Invalid packets seen.
    pub invalid: u64,
    /// Number of CPUs summed.
    pub cpus: usize,
}

/// Reads `/proc/sys/net/netfilter/nf_conntrack_{count,max}` and `/proc/net/stat/nf_conntrack`,
/// which the kernel shows for the namespace of the thread that opens them. `NotFound` when the
/// conntrack module is not loaded.
pub fn usage() -> io::Result<ConntrackUsage> {
    let num = |p: &str| -> io::Result<u64> {
        std::fs::read_to_string(p)?
            .trim()
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{p}: {e}")))
    };
    let count = num("/proc/sys/net/netfilter/nf_conntrack_count")?;
    let max = num("/proc/sys/net/netfilter/nf_conntrack_max")?;
    let stat = std::fs::read_to_string("/proc/net/stat/nf_conntrack")?;
    Ok(parse_stat(&stat, count, max))
}

/// Per-CPU statistics as `conntrack -S` names them, from `/proc/net/stat/nf_conntrack` of the
/// calling thread's namespace: one list of (name, value) per CPU.
pub fn cpu_stats() -> io::Result<Vec<Vec<(&'static str, u64)>>> {
    let stat = std::fs::read_to_string("/proc/thread-self/net/stat/nf_conntrack")
        .or_else(|_| std::fs::read_to_string("/proc/net/stat/nf_conntrack"))?;
    Ok(parse_cpu_stats(&stat))
}

fn parse_cpu_stats(stat: &str) -> Vec<Vec<(&'static str, u64)>> {
    let mut lines = stat.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    // conntrack -S's names for the kernel's columns, in its order.
    const NAMES: [(&str, &str); 10] = [
        ("found", "found"),
        ("invalid", "invalid"),
        ("insert", "insert"),
        ("insert_failed", "insert_failed"),
        ("drop", "drop"),
        ("early_drop", "early_drop"),
        ("error", "icmp_error"),
        ("search_restart", "search_restart"),
        ("clash_resolve", "clashres"),
        ("chaintoolong", "chainlength"),
    ];
    lines
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .map(|x| u64::from_str_radix(x, 16).unwrap_or(0))
                .collect();
            NAMES
                .iter()
                .map(|(name, col)| {
                    let val = head
                        .iter()
                        .position(|h| h == col)
                        .and_then(|i| v.get(i))
                        .copied()
                        .unwrap_or(0);
                    (*name, val)
                })
                .collect()
        })
        .collect()
}

fn parse_stat(stat: &str, count: u64, max: u64) -> ConntrackUsage {
    let mut lines = stat.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let col = |name: &str| head.iter().position(|h| *h == name);
    let mut u = ConntrackUsage {
        count,
        max,
        insert_failed: 0,
        drop: 0,
        early_drop: 0,
        invalid: 0,
        cpus: 0,
    };
    for l in lines {
        let v: Vec<u64> = l
            .split_whitespace()
            .map(|x| u64::from_str_radix(x, 16).unwrap_or(0))
            .collect();
        let get = |name: &str| col(name).and_then(|i| v.get(i)).copied().unwrap_or(0);
        u.insert_failed += get("insert_failed");
        u.drop += get("drop");
        u.early_drop += get("early_drop");
        u.invalid += get("invalid");
        u.cpus += 1;
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_cpu_lines_are_summed_by_column_name() {
        let s = "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n\
                 0000002b  00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000 00000001 0000000a 00000002 00000000  00000000 00000000 00000000 00000000\n\
                 0000002b  00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000005 00000000 00000000  00000000 00000000 00000000 00000000\n";
        let u = parse_stat(s, 43, 262144);
        assert_eq!(
            (u.invalid, u.insert_failed, u.drop, u.early_drop, u.cpus),
            (4, 1, 15, 2, 2)
        );
        let empty = parse_stat("", 0, 1);
        assert_eq!(empty.cpus, 0);
        let junk = parse_stat("drop\nzz yy\n", 0, 1);
        assert_eq!(junk.drop, 0);
    }
}
