//! Conntrack usage: how full the table is and what it dropped (`conntrack -C`, `conntrack -S`).

use std::io;

use serde::Serialize;

/// The calling namespace's conntrack table usage and per-CPU statistics, summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
