//! Per-container resource use (`netshoot stats`, the classic `ctop`): CPU %, memory used and
//! limit, network and block IO bytes, PIDs and state, read straight from the kernel (cgroup v2,
//! or v1 where the controllers are mounted separately, and `/proc/PID/net/dev`) for the
//! containers of one Docker Engine list call. No stats stream: 200 containers are a few
//! thousand small file reads.
//!
//! The figures are `docker stats`'s: CPU % is the growth of the cgroup's CPU time over the
//! wall time between two samples × 100 (per CPU: two busy cores are 200 %); memory used is the
//! usage minus `inactive_file` (`total_inactive_file` on v1) from `memory.stat`; the limit is
//! the cgroup's, or the host's total memory when that is smaller (no limit); network bytes are
//! every interface of the container's namespace but `lo`; block IO sums the cgroup's read and
//! write bytes over its devices.
//!
//! Reads files only: it enters no namespace (a container's interfaces and sockets for a detail
//! view are read by the caller through `netshoot_ns::in_namespace` with [`ContainerStats::pid`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use netshoot_ns::docker::Docker;
use netshoot_ns::NsError;
use serde::Serialize;

/// The most bytes read from one cgroup or `/proc` file (they are a few KiB at most).
const MAX_FILE: u64 = 1 << 20;

/// The raw counters of one container at one moment.
#[derive(Debug, Clone, Default)]
struct Raw {
    cpu_ns: Option<u64>,
    mem_used: Option<u64>,
    mem_limit: Option<u64>,
    net: Option<(u64, u64)>,
    blk: Option<(u64, u64)>,
    pids: Option<u64>,
    pid: Option<i32>,
}

/// One container in a [`Sample`]: what the engine listed and what the kernel counted.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    name: String,
    image: String,
    state: String,
    status: String,
    raw: Raw,
}

/// The counters of every listed container at one moment; two samples make a [`StatsReport`].
#[derive(Debug, Clone)]
pub struct Sample {
    at: Instant,
    entries: Vec<Entry>,
    warnings: Vec<String>,
}

/// What a sample lists.
#[derive(Debug, Clone, Default)]
pub struct SampleOptions {
    /// Only running containers (`docker stats`'s default); else every container, as ctop.
    pub running_only: bool,
}

/// Where the cgroup controllers are mounted (from `/proc/self/mountinfo`).
#[derive(Debug, Clone, Default)]
struct Mounts {
    /// The cgroup v2 mount, when it is the one in use.
    v2: Option<PathBuf>,
    /// v1 controller → its mount point.
    v1: HashMap<String, PathBuf>,
}

impl Mounts {
    fn read() -> Mounts {
        let text = read_small(Path::new("/proc/self/mountinfo")).unwrap_or_default();
        Mounts::parse(&text)
    }

    /// The cgroup mounts of a mountinfo text. v2 counts only when no v1 memory controller is
    /// mounted (a hybrid host's `unified` mount holds no controllers Docker uses).
    fn parse(mountinfo: &str) -> Mounts {
        let mut m = Mounts::default();
        let mut v2 = None;
        for line in mountinfo.lines() {
            let Some((pre, post)) = line.split_once(" - ") else {
                continue;
            };
            let Some(point) = pre.split_whitespace().nth(4) else {
                continue;
            };
            let mut post = post.split_whitespace();
            let (fstype, _src, opts) = (post.next(), post.next(), post.next().unwrap_or(""));
            match fstype {
                Some("cgroup2") => {
                    v2.get_or_insert_with(|| PathBuf::from(unescape(point)));
                }
                Some("cgroup") => {
                    for o in opts.split(',') {
                        if matches!(o, "cpuacct" | "memory" | "blkio" | "pids") {
                            m.v1.entry(o.to_string())
                                .or_insert_with(|| PathBuf::from(unescape(point)));
                        }
                    }
                }
                _ => {}
            }
        }
        if !m.v1.contains_key("memory") {
            m.v2 = v2;
        }
        m
    }
}

/// mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A container's cgroup directories.
#[derive(Debug, Clone)]
enum Cgroup {
    V2(PathBuf),
    V1 {
        cpuacct: Option<PathBuf>,
        memory: Option<PathBuf>,
        blkio: Option<PathBuf>,
        pids: Option<PathBuf>,
    },
}

/// The paths, relative to a hierarchy's root, where Docker's two cgroup drivers put a
/// container (cgroupfs: `docker/ID`; systemd: `system.slice/docker-ID.scope`).
fn candidates(id: &str) -> [String; 2] {
    [
        format!("docker/{id}"),
        format!("system.slice/docker-{id}.scope"),
    ]
}

impl Mounts {
    /// The container's cgroup: one of Docker's usual places, or, failing those, where
    /// `/proc/PID/cgroup` of its init process says.
    fn locate(&self, id: &str, pid: impl FnOnce() -> Option<i32>) -> Option<Cgroup> {
        if let Some(root) = &self.v2 {
            for c in candidates(id) {
                let p = root.join(&c);
                if p.is_dir() {
                    return Some(Cgroup::V2(p));
                }
            }
        } else if let Some(mem) = self.v1.get("memory") {
            for c in candidates(id) {
                if mem.join(&c).is_dir() {
                    return Some(self.v1_at(|_| Some(c.clone())));
                }
            }
        }
        let pid = pid()?;
        let text = read_small(Path::new(&format!("/proc/{pid}/cgroup")))?;
        let rel = |ctrl: &str| -> Option<String> {
            text.lines().find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
                let hit = if ctrl.is_empty() {
                    ctrls.is_empty()
                } else {
                    ctrls.split(',').any(|c| c == ctrl)
                };
                hit.then(|| path.trim_start_matches('/').to_string())
            })
        };
        if let Some(root) = &self.v2 {
            return Some(Cgroup::V2(root.join(rel("")?)));
        }
        Some(self.v1_at(rel))
    }

    fn v1_at(&self, rel: impl Fn(&str) -> Option<String>) -> Cgroup {
        let at = |ctrl: &str| Some(self.v1.get(ctrl)?.join(rel(ctrl)?));
        Cgroup::V1 {
            cpuacct: at("cpuacct"),
            memory: at("memory"),
            blkio: at("blkio"),
            pids: at("pids"),
        }
    }
}

/// Reads a small file whole (at most [`MAX_FILE`] bytes).
fn read_small(p: &Path) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(p).ok()?;
    let mut s = String::new();
    f.take(MAX_FILE).read_to_string(&mut s).ok()?;
    Some(s)
}

fn read_u64(p: &Path) -> Option<u64> {
    read_small(p)?.trim().parse().ok()
}

/// `KEY VALUE` lines (memory.stat, cpu.stat): the value of `key`.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// v1's `blkio.*io_service_bytes_recursive`: (read, write) summed over devices; `None` when
/// the file holds no device line.
pub fn parse_blkio_v1(text: &str) -> Option<(u64, u64)> {
    let (mut r, mut w, mut any) = (0u64, 0u64, false);
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 3 {
            continue;
        }
        let Ok(v) = f[2].parse::<u64>() else { continue };
        any = true;
        match f[1].to_ascii_lowercase().as_str() {
            "read" => r = r.saturating_add(v),
            "write" => w = w.saturating_add(v),
            _ => {}
        }
    }
    any.then_some((r, w))
}

/// v2's `io.stat`: (rbytes, wbytes) summed over devices.
pub fn parse_io_stat(text: &str) -> (u64, u64) {
    let (mut r, mut w) = (0u64, 0u64);
    for l in text.lines() {
        for kv in l.split_whitespace().skip(1) {
            match kv.split_once('=') {
                Some(("rbytes", v)) => r = r.saturating_add(v.parse().unwrap_or(0)),
                Some(("wbytes", v)) => w = w.saturating_add(v.parse().unwrap_or(0)),
                _ => {}
            }
        }
    }
    (r, w)
}

/// `/proc/PID/net/dev`: (received, transmitted) bytes over every interface but `lo`.
pub fn parse_net_dev(text: &str) -> (u64, u64) {
    let (mut rx, mut tx) = (0u64, 0u64);
    for l in text.lines().skip(2) {
        let Some((name, rest)) = l.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        if f.len() >= 9 {
            rx = rx.saturating_add(f[0]);
            tx = tx.saturating_add(f[8]);
        }
    }
    (rx, tx)
}

/// Used memory as `docker stats` counts it: usage minus the inactive file cache.
pub fn mem_used(usage: u64, stat: &str, v1: bool) -> u64 {
    let key = if v1 {
        "total_inactive_file"
    } else {
        "inactive_file"
    };
    match keyed(stat, key) {
        Some(i) if i < usage => usage - i,
        _ => usage,
    }
}

/// The host's total memory (`MemTotal` of `/proc/meminfo`), in bytes.
fn host_memory() -> Option<u64> {
    let t = read_small(Path::new("/proc/meminfo"))?;
    t.lines().find_map(|l| {
        let v = l.strip_prefix("MemTotal:")?;
        Some(v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()? * 1024)
    })
}

/// The first pid of a cgroup's `cgroup.procs`.
fn first_pid(dir: &Path) -> Option<i32> {
    read_small(&dir.join("cgroup.procs"))?
        .lines()
        .find_map(|l| l.trim().parse().ok())
}

fn read_cgroup(cg: &Cgroup, host_mem: Option<u64>, raw: &mut Raw) {
    let limit = |l: Option<u64>| match (l, host_mem) {
        (Some(l), Some(h)) => Some(l.min(h)),
        (l, h) => l.or(h),
    };
    match cg {
        Cgroup::V2(d) => {
            raw.cpu_ns = read_small(&d.join("cpu.stat"))
                .and_then(|s| keyed(&s, "usage_usec"))
                .map(|u| u.saturating_mul(1000));
            if let Some(u) = read_u64(&d.join("memory.current")) {
                let stat = read_small(&d.join("memory.stat")).unwrap_or_default();
                raw.mem_used = Some(mem_used(u, &stat, false));
            }
            raw.mem_limit = limit(read_u64(&d.join("memory.max")));
            raw.blk = read_small(&d.join("io.stat")).map(|s| parse_io_stat(&s));
            raw.pids = read_u64(&d.join("pids.current"));
            raw.pid = raw.pid.or_else(|| first_pid(d));
        }
        Cgroup::V1 {
            cpuacct,
            memory,
            blkio,
            pids,
        } => {
            raw.cpu_ns = cpuacct
                .as_ref()
                .and_then(|d| read_u64(&d.join("cpuacct.usage")));
            if let Some(d) = memory {
                if let Some(u) = read_u64(&d.join("memory.usage_in_bytes")) {
                    let stat = read_small(&d.join("memory.stat")).unwrap_or_default();
                    raw.mem_used = Some(mem_used(u, &stat, true));
                }
                raw.mem_limit = limit(read_u64(&d.join("memory.limit_in_bytes")));
                raw.pid = raw.pid.or_else(|| first_pid(d));
            }
            raw.blk = blkio.as_ref().and_then(|d| {
                [
                    "blkio.bfq.io_service_bytes_recursive",
                    "blkio.io_service_bytes_recursive",
                    "blkio.throttle.io_service_bytes_recursive",
                ]
                .iter()
                .filter_map(|f| parse_blkio_v1(&read_small(&d.join(f))?))
                .find(|(r, w)| r + w > 0)
                .or(Some((0, 0)))
            });
            raw.pids = pids
                .as_ref()
                .and_then(|d| read_u64(&d.join("pids.current")));
        }
    }
}

/// Takes one sample: one `GET /containers/json` and, per running container, its cgroup files
/// and `/proc/PID/net/dev` (an inspect call only for a container found in none of Docker's
/// usual cgroup places).
pub fn sample(docker: &Docker, opts: &SampleOptions) -> Result<Sample, NsError> {
    let list = docker.containers(!opts.running_only)?;
    let at = Instant::now();
    let mounts = Mounts::read();
    let host_mem = host_memory();
    let mut warnings = Vec::new();
    if mounts.v2.is_none() && mounts.v1.is_empty() {
        warnings.push(
            "no cgroup file system is mounted here: CPU, memory, block IO and PIDs are \
             unknown (from a container, add -v /sys/fs/cgroup:/sys/fs/cgroup:ro)"
                .to_string(),
        );
    }
    let mut entries = Vec::with_capacity(list.len());
    for c in list {
        let mut raw = Raw::default();
        if c.state == "running" || c.state == "paused" {
            let inspect_pid = || {
                docker
                    .inspect_container(&c.id)
                    .ok()
                    .flatten()
                    .map(|i| i.state.pid as i32)
                    .filter(|p| *p > 0)
            };
            match mounts.locate(&c.id, inspect_pid) {
                Some(cg) => read_cgroup(&cg, host_mem, &mut raw),
                None => warnings.push(format!(
                    "{}: its cgroup was not found; only its state is shown",
                    c.name()
                )),
            }
            let mode = c
                .host_config
                .as_ref()
                .map(|h| h.network_mode.as_str())
                .unwrap_or("");
            // The host's namespace is not the container's traffic (docker stats shows none).
            if mode != "host" {
                if let Some(pid) = raw.pid {
                    raw.net = read_small(Path::new(&format!("/proc/{pid}/net/dev")))
                        .map(|t| parse_net_dev(&t));
                }
            }
        }
        entries.push(Entry {
            name: c.name(),
            image: c.image.clone(),
            state: c.state.clone(),
            status: c.status.clone(),
            id: c.id,
            raw,
        });
    }
    Ok(Sample {
        at,
        entries,
        warnings,
    })
}

/// One container's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerStats {
    /// Full id.
    pub id: String,
    /// Name (without the leading `/`).
    pub name: String,
    /// Image as the engine lists it.
    pub image: String,
    /// `running`, `exited`, `created`, `paused`, …
    pub state: String,
    /// The engine's words (`Up 3 minutes`, `Exited (0) 2 seconds ago`).
    pub status: String,
    /// CPU % over the interval (100 per busy CPU); absent on a first sample or when not
    /// running.
    pub cpu_percent: Option<f64>,
    /// Memory in use, bytes (usage minus inactive file cache).
    pub mem_used: Option<u64>,
    /// Memory limit, bytes (the host's total when the container has none).
    pub mem_limit: Option<u64>,
    /// `mem_used / mem_limit × 100`.
    pub mem_percent: Option<f64>,
    /// Bytes received over every interface but `lo`.
    pub net_rx: Option<u64>,
    /// Bytes sent over every interface but `lo`.
    pub net_tx: Option<u64>,
    /// Block device bytes read.
    pub block_read: Option<u64>,
    /// Block device bytes written.
    pub block_write: Option<u64>,
    /// Processes and threads in its cgroup.
    pub pids: Option<u64>,
    /// A host pid inside it (its namespace holds the interfaces counted).
    pub pid: Option<i32>,
}

/// One snapshot of every listed container.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// Seconds between the two samples the CPU % is computed over (0 for a first sample).
    pub interval_seconds: f64,
    /// The containers, in the order asked for.
    pub containers: Vec<ContainerStats>,
    /// What could not be read.
    pub warnings: Vec<String>,
}

/// Computes the figures of `cur`, with CPU % over the time since `prev` (same ids).
pub fn report(prev: Option<&Sample>, cur: &Sample) -> StatsReport {
    let secs = prev
        .map(|p| cur.at.saturating_duration_since(p.at).as_secs_f64())
        .unwrap_or(0.0);
    let before: HashMap<&str, &Raw> = prev
        .map(|p| p.entries.iter().map(|e| (e.id.as_str(), &e.raw)).collect())
        .unwrap_or_default();
    let containers = cur
        .entries
        .iter()
        .map(|e| {
            let r = &e.raw;
            let cpu_percent = match (before.get(e.id.as_str()).and_then(|b| b.cpu_ns), r.cpu_ns) {
                (Some(a), Some(b)) if secs > 0.0 => {
                    Some(b.saturating_sub(a) as f64 / (secs * 1e9) * 100.0)
                }
                _ => None,
            };
            let mem_percent = match (r.mem_used, r.mem_limit) {
                (Some(u), Some(l)) if l > 0 => Some(u as f64 / l as f64 * 100.0),
                _ => None,
            };
            ContainerStats {
                id: e.id.clone(),
                name: e.name.clone(),
                image: e.image.clone(),
                state: e.state.clone(),
                status: e.status.clone(),
                cpu_percent,
                mem_used: r.mem_used,
                mem_limit: r.mem_limit,
                mem_percent,
                net_rx: r.net.map(|n| n.0),
                net_tx: r.net.map(|n| n.1),
                block_read: r.blk.map(|b| b.0),
                block_write: r.blk.map(|b| b.1),
                pids: r.pids,
                pid: r.pid,
            }
        })
        .collect();
    StatsReport {
        interval_seconds: secs,
        containers,
        warnings: cur.warnings.clone(),
    }
}

/// What the containers are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// CPU %, highest first.
    #[default]
    Cpu,
    /// Memory used, highest first.
    Mem,
    /// Network bytes (received + sent), highest first.
    Net,
    /// Block IO bytes (read + written), highest first.
    Io,
    /// PIDs, highest first.
    Pids,
    /// Name, A to Z.
    Name,
    /// State (running first), then name.
    State,
}

impl SortKey {
    /// Every key with its name, as `--sort` takes them.
    pub const ALL: [(&'static str, SortKey); 7] = [
        ("cpu", SortKey::Cpu),
        ("mem", SortKey::Mem),
        ("net", SortKey::Net),
        ("io", SortKey::Io),
        ("pids", SortKey::Pids),
        ("name", SortKey::Name),
        ("state", SortKey::State),
    ];

    /// The key named `s` (`cpu`, `mem`, `net`, `io`, `pids`, `name`, `state`).
    pub fn parse(s: &str) -> Option<SortKey> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("cpu")
    }
}

impl StatsReport {
    /// Keeps the containers whose name, id prefix or image contains `needle` (case-insensitive).
    pub fn filter(&mut self, needle: &str) {
        if needle.is_empty() {
            return;
        }
        let n = needle.to_ascii_lowercase();
        self.containers.retain(|c| {
            c.name.to_ascii_lowercase().contains(&n)
                || c.id.starts_with(&n)
                || c.image.to_ascii_lowercase().contains(&n)
        });
    }

    /// Sorts by `key` (numbers highest first, names A to Z; `reverse` turns it round); ties by
    /// name.
    pub fn sort(&mut self, key: SortKey, reverse: bool) {
        let num = |c: &ContainerStats| -> f64 {
            let s = |a: Option<u64>, b: Option<u64>| (a.unwrap_or(0) + b.unwrap_or(0)) as f64;
            match key {
                SortKey::Cpu => c.cpu_percent.unwrap_or(-1.0),
                SortKey::Mem => c.mem_used.map(|v| v as f64).unwrap_or(-1.0),
                SortKey::Net => s(c.net_rx, c.net_tx),
                SortKey::Io => s(c.block_read, c.block_write),
                SortKey::Pids => c.pids.map(|v| v as f64).unwrap_or(-1.0),
                SortKey::Name | SortKey::State => 0.0,
            }
        };
        self.containers.sort_by(|a, b| {
            let o = match key {
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::State => (a.state != "running")
                    .cmp(&(b.state != "running"))
                    .then_with(|| a.state.cmp(&b.state)),
                _ => num(b).total_cmp(&num(a)),
            };
            let o = if reverse { o.reverse() } else { o };
            o.then_with(|| a.name.cmp(&b.name))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_sums_all_but_lo() {
        let t = "Inter-|   Receive                                                |  Transmit\n \
face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n  \
eth0:    5000      10    0    0    0     0          0         0     3000       8    0    0    0     0       0          0\n  \
eth1:    1000      10    0    0    0     0          0         0      500       8    0    0    0     0       0          0\n";
        assert_eq!(parse_net_dev(t), (6000, 3500));
    }

    #[test]
    fn memory_as_docker_counts_it() {
        assert_eq!(mem_used(1000, "total_inactive_file 300\n", true), 700);
        assert_eq!(mem_used(1000, "inactive_file 300\n", false), 700);
        assert_eq!(mem_used(1000, "inactive_file 3000\n", false), 1000);
        assert_eq!(mem_used(1000, "", true), 1000);
    }

    #[test]
    fn block_io() {
        let v1 = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 1\nTotal 12289\n";
        assert_eq!(parse_blkio_v1(v1), Some((4097, 8192)));
        assert_eq!(parse_blkio_v1("Total 0\n"), None);
        let v2 = "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n";
        assert_eq!(parse_io_stat(v2), (101, 202));
    }

    #[test]
    fn mounts_v1_wins_on_a_hybrid_host() {
        let mi = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let m = Mounts::parse(mi);
        assert!(m.v2.is_none());
        assert_eq!(m.v1["cpuacct"], PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        let m = Mounts::parse("41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        assert_eq!(m.v2, Some(PathBuf::from("/sys/fs/cgroup")));
        assert_eq!(unescape("/a\\040b"), "/a b");
    }

    /// A fake hierarchy in a temporary directory, with the files Docker's cgroup has.
    fn fake(files: &[(&str, &str)]) -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "netshoot-stats-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        root
    }

    #[test]
    fn reads_a_cgroup_v2_container_of_the_systemd_driver() {
        let d = "system.slice/docker-abc.scope";
        let root = fake(&[
            (
                &format!("{d}/cpu.stat"),
                "usage_usec 2500000\nuser_usec 2000000\n",
            ),
            (&format!("{d}/memory.current"), "104857600\n"),
            (
                &format!("{d}/memory.stat"),
                "anon 1\ninactive_file 4857600\n",
            ),
            (&format!("{d}/memory.max"), "max\n"),
            (
                &format!("{d}/io.stat"),
                "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n",
            ),
            (&format!("{d}/pids.current"), "3\n"),
            (&format!("{d}/cgroup.procs"), "4242\n4243\n"),
        ]);
        let m = Mounts {
            v2: Some(root.clone()),
            v1: HashMap::new(),
        };
        let cg = m.locate("abc", || None).expect("found");
        let mut raw = Raw::default();
        read_cgroup(&cg, Some(1 << 30), &mut raw);
        assert_eq!(raw.cpu_ns, Some(2_500_000_000));
        assert_eq!(raw.mem_used, Some(100_000_000));
        assert_eq!(raw.mem_limit, Some(1 << 30), "no limit: the host's memory");
        assert_eq!(raw.blk, Some((4096, 8192)));
        assert_eq!(raw.pids, Some(3));
        assert_eq!(raw.pid, Some(4242));
        assert!(m.locate("other", || None).is_none());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn reads_a_cgroup_v1_container_of_the_cgroupfs_driver() {
        let root = fake(&[
            ("cpuacct/docker/abc/cpuacct.usage", "1000\n"),
            ("memory/docker/abc/memory.usage_in_bytes", "5000\n"),
            (
                "memory/docker/abc/memory.stat",
                "inactive_file 9\ntotal_inactive_file 1000\n",
            ),
            ("memory/docker/abc/memory.limit_in_bytes", "2048\n"),
            ("memory/docker/abc/cgroup.procs", "77\n"),
            (
                "blkio/docker/abc/blkio.throttle.io_service_bytes_recursive",
                "8:0 Read 10\n8:0 Write 20\nTotal 30\n",
            ),
            (
                "blkio/docker/abc/blkio.io_service_bytes_recursive",
                "Total 0\n",
            ),
            ("pids/docker/abc/pids.current", "2\n"),
        ]);
        let v1 = ["cpuacct", "memory", "blkio", "pids"]
            .iter()
            .map(|c| (c.to_string(), root.join(c)))
            .collect();
        let m = Mounts { v2: None, v1 };
        let cg = m.locate("abc", || None).expect("found");
        let mut raw = Raw::default();
        read_cgroup(&cg, Some(1 << 30), &mut raw);
        assert_eq!(raw.cpu_ns, Some(1000));
        assert_eq!(raw.mem_used, Some(4000), "usage minus total_inactive_file");
        assert_eq!(raw.mem_limit, Some(2048));
        assert_eq!(
            raw.blk,
            Some((10, 20)),
            "the throttle file when the others are empty"
        );
        assert_eq!(raw.pids, Some(2));
        assert_eq!(raw.pid, Some(77));
        let _ = std::fs::remove_dir_all(root);
    }

    fn sample(at: Instant, cpu: u64) -> Sample {
        Sample {
            at,
            entries: vec![Entry {
                id: "abc".into(),
                name: "x".into(),
                image: "i".into(),
                state: "running".into(),
                status: "Up".into(),
                raw: Raw {
                    cpu_ns: Some(cpu),
                    mem_used: Some(50),
                    mem_limit: Some(200),
                    ..Raw::default()
                },
            }],
            warnings: vec![],
        }
    }

    #[test]
    fn cpu_percent_per_cpu() {
        let t0 = Instant::now();
        let a = sample(t0, 1_000_000_000);
        let b = sample(t0 + std::time::Duration::from_millis(500), 2_000_000_000);
        let r = report(Some(&a), &b);
        let c = &r.containers[0];
        assert!((c.cpu_percent.unwrap() - 200.0).abs() < 1e-6);
        assert_eq!(c.mem_percent, Some(25.0));
        assert!(report(None, &b).containers[0].cpu_percent.is_none());
    }
}
