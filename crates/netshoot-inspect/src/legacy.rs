//! Legacy iptables (x_tables through `IPT_SO_GET_INFO` / `IPT_SO_GET_ENTRIES` socket options),
//! for namespaces whose rules were written with `iptables-legacy`: the blob is decoded by hand
//! and rendered as `iptables-legacy -S` prints it. IPv4 only.

use std::io;
use std::net::Ipv4Addr;

use crate::netlink::{cstr, Reader};
use crate::xt;

const IPT_SO_GET_INFO: i32 = 64;
const IPT_SO_GET_ENTRIES: i32 = 65;

/// `struct ipt_getinfo` (linux/netfilter_ipv4/ip_tables.h).
mod getinfo {
    /// `name[32]`.
    pub const NAME: usize = 0;
    /// `valid_hooks` (u32).
    pub const VALID_HOOKS: usize = 32;
    /// `hook_entry[5]` (u32 each).
    pub const HOOK_ENTRY: usize = 36;
    /// `underflow[5]` (u32 each).
    pub const UNDERFLOW: usize = 56;
    /// `size` (u32): the entries' bytes.
    pub const SIZE_FIELD: usize = 80;
    /// The struct's size.
    pub const SIZE: usize = 84;
}

/// `struct ipt_get_entries`: `name[32]`, `size`, (padding to 8), `entrytable[]`.
mod get_entries {
    /// `size` (u32).
    pub const SIZE_FIELD: usize = 32;
    /// Where the entries start.
    pub const ENTRIES: usize = 40;
}

/// `struct ipt_entry`: `struct ipt_ip`, nfcache, target_offset, next_offset, comefrom,
/// counters; its matches and target follow.
mod entry {
    use std::ops::Range;
    /// `struct ipt_ip`.
    pub const IP: Range<usize> = 0..84;
    /// `target_offset` (u16).
    pub const TARGET_OFFSET: usize = 88;
    /// `next_offset` (u16).
    pub const NEXT_OFFSET: usize = 90;
    /// `counters.pcnt` (u64).
    pub const PACKETS: usize = 96;
    /// `counters.bcnt` (u64).
    pub const BYTES: usize = 104;
    /// The struct's size: where the first match starts.
    pub const SIZE: usize = 112;
}

/// `struct ipt_ip`.
mod ip {
    use std::ops::Range;
    /// `src` (4 bytes).
    pub const SRC: usize = 0;
    /// `dst`.
    pub const DST: usize = 4;
    /// `smsk` (network order).
    pub const SMSK: usize = 8;
    /// `dmsk`.
    pub const DMSK: usize = 12;
    /// `iniface[16]`.
    pub const IN_IFACE: Range<usize> = 16..32;
    /// `outiface[16]`.
    pub const OUT_IFACE: Range<usize> = 32..48;
    /// `proto` (u16).
    pub const PROTO: usize = 80;
    /// `flags` (`IPT_F_GOTO` = 0x02).
    pub const FLAGS: usize = 82;
    /// `invflags` (`IPT_INV_*`).
    pub const INVFLAGS: usize = 83;
}

/// `struct xt_entry_match` / `xt_entry_target`: `u16 size`, `name[29]`, `revision`, data.
mod xt_entry {
    use std::ops::Range;
    /// `u.user.match_size` / `target_size` (u16).
    pub const SIZE_FIELD: usize = 0;
    /// `u.user.name` (29 bytes).
    pub const NAME: Range<usize> = 2..31;
    /// `u.user.revision`.
    pub const REVISION: usize = 31;
    /// Where the data starts (the header's size).
    pub const DATA: usize = 32;
}

const HOOKS: [&str; 5] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

/// Legacy tables present in the calling thread's namespace (`/proc/net/ip_tables_names`);
/// reading it loads nothing.
pub fn tables() -> Vec<String> {
    std::fs::read_to_string("/proc/thread-self/net/ip_tables_names")
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The kernel's answer for one table: valid hooks, hook entry and underflow offsets, the blob.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Bit per hook.
    pub valid_hooks: u32,
    /// Offset of each hook's first rule.
    pub hook_entry: [u32; 5],
    /// Offset of each hook's policy entry.
    pub underflow: [u32; 5],
    /// The entries.
    pub entries: Vec<u8>,
}

/// Reads one legacy table over the socket options (needs CAP_NET_ADMIN and CAP_NET_RAW).
#[allow(unsafe_code)]
pub fn read(table: &str) -> io::Result<Blob> {
    use nix::libc;
    use std::os::fd::AsRawFd;
    if table.len() >= 32 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "table name too long",
        ));
    }
    let sock = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW,
        Some(socket2::Protocol::from(libc::IPPROTO_RAW)),
    )?;
    // struct ipt_getinfo: name[32], valid_hooks, hook_entry[5], underflow[5], num_entries, size.
    let mut info = [0u8; getinfo::SIZE];
    info[getinfo::NAME..getinfo::NAME + table.len()].copy_from_slice(table.as_bytes());
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: `info` is a live buffer of `len` bytes for the kernel to fill.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_IP,
            IPT_SO_GET_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let r = Reader::new(&info);
    let u = |o: usize| r.ne32(o).unwrap_or(0);
    let size = u(getinfo::SIZE_FIELD) as usize;
    let mut hook_entry = [0u32; 5];
    let mut underflow = [0u32; 5];
    for h in 0..5 {
        hook_entry[h] = u(getinfo::HOOK_ENTRY + 4 * h);
        underflow[h] = u(getinfo::UNDERFLOW + 4 * h);
    }
    let head = get_entries::ENTRIES;
    let mut buf = vec![0u8; head + size];
    buf[..table.len()].copy_from_slice(table.as_bytes());
    buf[get_entries::SIZE_FIELD..get_entries::SIZE_FIELD + 4]
        .copy_from_slice(&(size as u32).to_ne_bytes());
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is a live buffer of `len` bytes for the kernel to fill.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_IP,
            IPT_SO_GET_ENTRIES,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Blob {
        valid_hooks: u(getinfo::VALID_HOOKS),
        hook_entry,
        underflow,
        entries: buf[head..].to_vec(),
    })
}

/// One decoded entry.
struct Entry<'a> {
    offset: usize,
    ip: &'a [u8],
    matches: Vec<(String, u8, &'a [u8])>,
    target: (String, u8, &'a [u8]),
    counters: (u64, u64),
}

/// An `xt_entry_match` / `xt_entry_target` at `at` of an entry, ending by `end`: (name,
/// revision, data, size); `None` when its size does not fit.
fn xt_entry_at(e: Reader<'_>, at: usize, end: usize) -> Option<(String, u8, &[u8], usize)> {
    let size = usize::from(e.ne16(at + xt_entry::SIZE_FIELD)?);
    if size < xt_entry::DATA || at + size > end {
        return None;
    }
    Some((
        e.cstr(at + xt_entry::NAME.start, xt_entry::NAME.len())?,
        e.u8(at + xt_entry::REVISION)?,
        e.slice(at + xt_entry::DATA, size - xt_entry::DATA)?,
        size,
    ))
}

fn entries(blob: &[u8]) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + entry::SIZE <= blob.len() {
        let e = Reader::new(&blob[off..]);
        let (Some(toff), Some(next)) = (e.ne16(entry::TARGET_OFFSET), e.ne16(entry::NEXT_OFFSET))
        else {
            break;
        };
        let (toff, next) = (usize::from(toff), usize::from(next));
        if next < entry::SIZE || toff < entry::SIZE || toff > next || off + next > blob.len() {
            break;
        }
        let mut matches = Vec::new();
        let mut m = entry::SIZE;
        while m + xt_entry::DATA <= toff {
            let Some((name, rev, data, size)) = xt_entry_at(e, m, toff) else {
                break;
            };
            matches.push((name, rev, data));
            m += size;
        }
        let target = match xt_entry_at(e, toff, next) {
            Some((name, rev, data, _)) => (name, rev, data),
            None => (String::new(), 0, &blob[0..0]),
        };
        out.push(Entry {
            offset: off,
            ip: &e.bytes()[entry::IP],
            matches,
            target,
            counters: (
                e.ne64(entry::PACKETS).unwrap_or(0),
                e.ne64(entry::BYTES).unwrap_or(0),
            ),
        });
        off += next;
    }
    out
}

/// iptables-legacy stores a wildcard name with its `+` (the mask stops before it).
fn iface(name: &[u8]) -> String {
    cstr(name)
}

fn ports(p: &[u8], o: usize) -> Option<String> {
    let p = Reader::new(p);
    let (lo, hi) = (p.ne16(o)?, p.ne16(o + 2)?);
    if lo == 0 && hi == 0xffff {
        None
    } else if lo == hi {
        Some(lo.to_string())
    } else {
        Some(format!("{lo}:{hi}"))
    }
}

fn rule_spec(e: &Entry, chains: &[(usize, String)], counters: bool) -> String {
    let r = Reader::new(e.ip);
    let inv = r.u8(ip::INVFLAGS).unwrap_or(0);
    let bang = |bit: u8| if inv & bit != 0 { "! " } else { "" };
    let addr = |o: usize| Ipv4Addr::from(r.array::<4>(o).unwrap_or_default());
    let mut s = String::new();
    let smsk = r.be32(ip::SMSK).unwrap_or(0);
    let dmsk = r.be32(ip::DMSK).unwrap_or(0);
    if smsk != 0 {
        s.push_str(&format!(
            " {}-s {}/{}",
            bang(0x08),
            addr(ip::SRC),
            smsk.count_ones()
        ));
    }
    if dmsk != 0 {
        s.push_str(&format!(
            " {}-d {}/{}",
            bang(0x10),
            addr(ip::DST),
            dmsk.count_ones()
        ));
    }
    let iif = iface(
        r.slice(ip::IN_IFACE.start, ip::IN_IFACE.len())
            .unwrap_or(&[]),
    );
    if !iif.is_empty() {
        s.push_str(&format!(" {}-i {iif}", bang(0x01)));
    }
    let oif = iface(
        r.slice(ip::OUT_IFACE.start, ip::OUT_IFACE.len())
            .unwrap_or(&[]),
    );
    if !oif.is_empty() {
        s.push_str(&format!(" {}-o {oif}", bang(0x02)));
    }
    let proto = r.ne16(ip::PROTO).unwrap_or(0);
    if proto != 0 {
        let name = match proto {
            1 => "icmp".to_string(),
            6 => "tcp".into(),
            17 => "udp".into(),
            47 => "gre".into(),
            132 => "sctp".into(),
            n => n.to_string(),
        };
        s.push_str(&format!(" {}-p {name}", bang(0x40)));
    }
    for (name, rev, data) in &e.matches {
        match name.as_str() {
            // xt_tcp / xt_udp: spts[2], dpts[2], …, invflags.
            "tcp" | "udp" => {
                s.push_str(&format!(" -m {name}"));
                let invf = if name == "tcp" {
                    data.get(11)
                } else {
                    data.get(8)
                };
                let invf = invf.copied().unwrap_or(0);
                if let Some(p) = ports(data, 0) {
                    s.push_str(&format!(
                        " {}--sport {p}",
                        if invf & 1 != 0 { "! " } else { "" }
                    ));
                }
                if let Some(p) = ports(data, 4) {
                    s.push_str(&format!(
                        " {}--dport {p}",
                        if invf & 2 != 0 { "! " } else { "" }
                    ));
                }
            }
            _ => s.push_str(&xt::match_save(name, u32::from(*rev), data)),
        }
    }
    if counters {
        s.push_str(&format!(" -c {} {}", e.counters.0, e.counters.1));
    }
    let (tname, trev, tdata) = &e.target;
    if tname.is_empty() {
        let v = Reader::new(tdata).ne32(0).map(|v| v as i32).unwrap_or(-2);
        let goto = r.u8(ip::FLAGS).unwrap_or(0) & 0x02 != 0;
        s.push_str(&match v {
            -1 => " -j DROP".to_string(),
            -2 => " -j ACCEPT".into(),
            -5 => " -j RETURN".into(),
            off if off >= 0 => {
                let name = chains
                    .iter()
                    .find(|(o, _)| *o == off as usize)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| format!("offset{off}"));
                format!(" {} {name}", if goto { "-g" } else { "-j" })
            }
            other => format!(" -j verdict{other}"),
        });
    } else {
        s.push_str(&xt::target_save(tname, u32::from(*trev), tdata, false));
    }
    s
}

/// `iptables-legacy -S` for one table from its blob.
pub fn save(blob: &Blob, counters: bool) -> Vec<String> {
    let es = entries(&blob.entries);
    // User chains: an ERROR entry naming the chain, its rules start at the next entry.
    let mut user: Vec<(usize, String)> = Vec::new();
    for (i, e) in es.iter().enumerate() {
        if e.target.0 == "ERROR" {
            let name = cstr(e.target.2);
            if name != "ERROR" {
                if let Some(next) = es.get(i + 1) {
                    user.push((next.offset, name));
                }
            }
        }
    }
    let mut heads: Vec<(usize, String)> = user.clone();
    let mut out = Vec::new();
    let mut builtins = Vec::new();
    for (h, name) in HOOKS.iter().enumerate() {
        if blob.valid_hooks & (1 << h) == 0 {
            continue;
        }
        let start = blob.hook_entry[h] as usize;
        let end = blob.underflow[h] as usize;
        heads.push((start, name.to_string()));
        let policy = es.iter().find(|e| e.offset == end);
        let verdict = policy
            .and_then(|e| Reader::new(e.target.2).ne32(0))
            .map(|v| v as i32)
            .unwrap_or(-2);
        let mut line = format!(
            "-P {name} {}",
            if verdict == -1 { "DROP" } else { "ACCEPT" }
        );
        if counters {
            let (p, b) = policy.map(|e| e.counters).unwrap_or((0, 0));
            line.push_str(&format!(" -c {p} {b}"));
        }
        out.push(line);
        builtins.push((name.to_string(), start, end));
    }
    let mut sorted_user = user.clone();
    sorted_user.sort_by(|a, b| a.1.cmp(&b.1));
    for (_, n) in &sorted_user {
        out.push(format!("-N {n}"));
    }
    for (name, start, end) in &builtins {
        for e in es.iter().filter(|e| e.offset >= *start && e.offset < *end) {
            out.push(format!("-A {name}{}", rule_spec(e, &heads, counters)));
        }
    }
    for (start, name) in &sorted_user {
        // Up to the chain's closing RETURN (the entry before the next ERROR).
        let mut rules: Vec<&Entry> = es
            .iter()
            .skip_while(|e| e.offset < *start)
            .take_while(|e| e.target.0 != "ERROR")
            .collect();
        rules.pop();
        for e in rules {
            out.push(format!("-A {name}{}", rule_spec(e, &heads, counters)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_blobs_never_panic() {
        let mut x: u32 = 12345;
        for len in 0..2000 {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let blob = Blob {
                valid_hooks: 0x1f,
                hook_entry: [0, 112, 224, 336, 448],
                underflow: [112, 224, 336, 448, 560],
                entries: b,
            };
            let _ = save(&blob, true);
        }
    }
}
