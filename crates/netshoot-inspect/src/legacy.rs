//! Legacy iptables (x_tables through `IPT_SO_GET_INFO` / `IPT_SO_GET_ENTRIES` socket options),
//! for namespaces whose rules were written with `iptables-legacy`: the blob is decoded by hand
//! and rendered as `iptables-legacy -S` prints it. IPv4 only.

use std::io;
use std::net::Ipv4Addr;

use crate::xt;

const IPT_SO_GET_INFO: i32 = 64;
const IPT_SO_GET_ENTRIES: i32 = 65;
const ENTRY_SIZE: usize = 112;
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
    let mut info = [0u8; 32 + 4 + 20 + 20 + 4 + 4];
    info[..table.len()].copy_from_slice(table.as_bytes());
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
    let u = |o: usize| u32::from_ne_bytes([info[o], info[o + 1], info[o + 2], info[o + 3]]);
    let size = u(80) as usize;
    let mut hook_entry = [0u32; 5];
    let mut underflow = [0u32; 5];
    for h in 0..5 {
        hook_entry[h] = u(36 + 4 * h);
        underflow[h] = u(56 + 4 * h);
    }
    // struct ipt_get_entries: name[32], size, (padding to 8), entrytable[].
    let head = 40;
    let mut buf = vec![0u8; head + size];
    buf[..table.len()].copy_from_slice(table.as_bytes());
    buf[32..36].copy_from_slice(&(size as u32).to_ne_bytes());
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
        valid_hooks: u(32),
        hook_entry,
        underflow,
        entries: buf[head..].to_vec(),
    })
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// One decoded entry.
struct Entry<'a> {
    offset: usize,
    ip: &'a [u8],
    matches: Vec<(String, u8, &'a [u8])>,
    target: (String, u8, &'a [u8]),
    counters: (u64, u64),
}

fn entries(blob: &[u8]) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + ENTRY_SIZE <= blob.len() {
        let e = &blob[off..];
        let (Some(toff), Some(next)) = (u16_at(e, 88), u16_at(e, 90)) else {
            break;
        };
        let (toff, next) = (usize::from(toff), usize::from(next));
        if next < ENTRY_SIZE || toff < ENTRY_SIZE || toff > next || off + next > blob.len() {
            break;
        }
        let mut matches = Vec::new();
        let mut m = ENTRY_SIZE;
        while m + 32 <= toff {
            let size = usize::from(u16_at(e, m).unwrap_or(0));
            if size < 32 || m + size > toff {
                break;
            }
            matches.push((cstr(&e[m + 2..m + 31]), e[m + 31], &e[m + 32..m + size]));
            m += size;
        }
        let tsize = usize::from(u16_at(e, toff).unwrap_or(0));
        let target = if tsize >= 32 && toff + tsize <= next {
            (
                cstr(&e[toff + 2..toff + 31]),
                e[toff + 31],
                &e[toff + 32..toff + tsize],
            )
        } else {
            (String::new(), 0, &e[0..0])
        };
        out.push(Entry {
            offset: off,
            ip: &e[..84],
            matches,
            target,
            counters: (u64_at(e, 96).unwrap_or(0), u64_at(e, 104).unwrap_or(0)),
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
    let (lo, hi) = (u16_at(p, o)?, u16_at(p, o + 2)?);
    if lo == 0 && hi == 0xffff {
        None
    } else if lo == hi {
        Some(lo.to_string())
    } else {
        Some(format!("{lo}:{hi}"))
    }
}

fn rule_spec(e: &Entry, chains: &[(usize, String)], counters: bool) -> String {
    let ip = e.ip;
    let inv = ip[83];
    let bang = |bit: u8| if inv & bit != 0 { "! " } else { "" };
    let addr = |o: usize| Ipv4Addr::from([ip[o], ip[o + 1], ip[o + 2], ip[o + 3]]);
    let mut s = String::new();
    let smsk = u32::from_be_bytes([ip[8], ip[9], ip[10], ip[11]]);
    let dmsk = u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]);
    if smsk != 0 {
        s.push_str(&format!(
            " {}-s {}/{}",
            bang(0x08),
            addr(0),
            smsk.count_ones()
        ));
    }
    if dmsk != 0 {
        s.push_str(&format!(
            " {}-d {}/{}",
            bang(0x10),
            addr(4),
            dmsk.count_ones()
        ));
    }
    let iif = iface(&ip[16..32]);
    if !iif.is_empty() {
        s.push_str(&format!(" {}-i {iif}", bang(0x01)));
    }
    let oif = iface(&ip[32..48]);
    if !oif.is_empty() {
        s.push_str(&format!(" {}-o {oif}", bang(0x02)));
    }
    let proto = u16::from_ne_bytes([ip[80], ip[81]]);
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
        let v = u32_at(tdata, 0).map(|v| v as i32).unwrap_or(-2);
        let goto = ip[82] & 0x02 != 0;
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
            .and_then(|e| u32_at(e.target.2, 0))
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
