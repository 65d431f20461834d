//! One round against one peer: TCP connect to the mesh port, `GET /healthz`, ICMP echo, a DNS
//! lookup of the name the peer was found by, and (when asked) the path MTU. Every probe has
//! its own deadline; nothing here waits longer than `timeout` per probe.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use netshoot_probe::{ConnectOutcome, EchoOutcome};

use crate::state::{ProbeResult, Round};

/// The most of a `/healthz` answer read (its head and a short body).
const HEALTHZ_MAX: usize = 4096;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn fail(start: Instant, why: impl Into<String>) -> ProbeResult {
    ProbeResult {
        ok: false,
        ms: ms(start),
        error: Some(why.into()),
    }
}

fn ok(start: Instant) -> ProbeResult {
    ProbeResult {
        ok: true,
        ms: ms(start),
        error: None,
    }
}

/// TCP connect to the peer's mesh port.
pub fn tcp(addr: SocketAddr, timeout: Duration) -> ProbeResult {
    let start = Instant::now();
    match netshoot_probe::tcp_connect(addr, timeout) {
        ConnectOutcome::Open { rtt_ms } => ProbeResult {
            ok: true,
            ms: rtt_ms,
            error: None,
        },
        ConnectOutcome::Refused => fail(start, "refused"),
        ConnectOutcome::Timeout => fail(start, "timeout"),
        ConnectOutcome::Unreachable { reason } => fail(start, reason),
    }
}

/// `GET path` over HTTP/1.0, the whole exchange within `timeout`: the status code and the body
/// (at most [`HEALTHZ_MAX`] bytes in all).
pub fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    http_get_capped(addr, path, timeout, HEALTHZ_MAX)
}

/// [`http_get`] reading at most `cap` bytes (head and body).
pub fn http_get_capped(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
    cap: usize,
) -> Result<(u16, Vec<u8>), String> {
    let end = Instant::now() + timeout;
    let left = || {
        end.checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| "timeout".to_string())
    };
    let mut s = TcpStream::connect_timeout(&addr, left()?).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let host = match addr {
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        a => a.to_string(),
    };
    s.write_all(
        format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: netshoot-mesh\r\n\r\n")
            .as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        s.set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > cap {
                    return Err(format!("answer larger than {cap} bytes"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err("timeout".into())
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP head in the answer")?;
    let head = netshoot_http::h1::parse_head(&buf[..split + 4])?;
    Ok((head.status, buf[split + 4..].to_vec()))
}

/// `GET /healthz` of the peer's mesh port: ok on 200.
pub fn http(addr: SocketAddr, timeout: Duration) -> ProbeResult {
    let start = Instant::now();
    match http_get(addr, "/healthz", timeout) {
        Ok((200, _)) => ok(start),
        Ok((code, _)) => fail(start, format!("HTTP {code}")),
        Err(e) => fail(start, e),
    }
}

fn echo_words(o: &EchoOutcome) -> String {
    match o {
        EchoOutcome::Reply { .. } => "reply".into(),
        EchoOutcome::Timeout => "timeout".into(),
        EchoOutcome::TooBig { mtu, .. } => match mtu {
            Some(m) => format!("too big (mtu {m})"),
            None => "too big".into(),
        },
        EchoOutcome::Error { text, from, .. } => format!("{text} from {from}"),
    }
}

/// One ICMP echo.
pub fn icmp(peer: IpAddr, timeout: Duration) -> ProbeResult {
    let start = Instant::now();
    match netshoot_probe::ping_once(peer, 56, false, None, timeout) {
        Ok(EchoOutcome::Reply { rtt_ms, .. }) => ProbeResult {
            ok: true,
            ms: rtt_ms,
            error: None,
        },
        Ok(o) => fail(start, echo_words(&o)),
        Err(e) => fail(start, e.to_string()),
    }
}

/// A DNS lookup of `name` as the target resolves it (`resolver`: its resolv.conf and hosts
/// text): ok when `peer` is among the answers.
pub fn dns(name: &str, peer: IpAddr, resolver: &Resolver, timeout: Duration) -> ProbeResult {
    let start = Instant::now();
    let (conf, hosts) = resolver;
    match netshoot_dns::lookup_within(name, conf, hosts.as_deref(), timeout, timeout) {
        Ok(l) if l.addresses.contains(&peer) => ok(start),
        Ok(l) if l.addresses.is_empty() => fail(start, format!("{name}: no address")),
        Ok(_) => fail(start, format!("{name} does not list {peer}")),
        Err(e) => fail(start, e.to_string()),
    }
}

/// The path MTU to `peer`: the largest packet (IP header included) an echo with DF gets a reply
/// for, trying the local maximum first, then what a router reports, then halving towards the
/// answer (at most 8 echoes). `None` when even the smallest gets no reply.
pub fn path_mtu(peer: IpAddr, local_mtu: u32, timeout: Duration) -> Option<u32> {
    let overhead = if peer.is_ipv4() { 28 } else { 48 };
    let min = if peer.is_ipv4() { 576 } else { 1280 };
    let echo = |size: u32| {
        netshoot_probe::ping_once(
            peer,
            size.saturating_sub(overhead) as usize,
            true,
            None,
            timeout,
        )
    };
    let (mut lo, mut hi) = (0u32, local_mtu.max(min));
    let mut tries = 0;
    let mut size = hi;
    while tries < 8 && lo < hi {
        tries += 1;
        match echo(size) {
            Ok(EchoOutcome::Reply { .. }) => {
                lo = size;
                if size == hi {
                    break;
                }
            }
            Ok(EchoOutcome::TooBig { mtu: Some(m), .. }) if m < size && m >= min / 2 => {
                hi = m;
            }
            // No answer at the smallest size: the peer does not answer echoes at all now.
            Ok(EchoOutcome::Timeout) | Err(_) if size <= min => return None,
            _ => hi = size - 1,
        }
        size = if lo == 0 && tries == 1 {
            min.min(hi)
        } else {
            lo + (hi - lo).div_ceil(2)
        };
        if size <= lo {
            break;
        }
    }
    (lo > 0).then_some(lo)
}

/// The target's resolver configuration and hosts text.
pub type Resolver = (netshoot_dns::ResolvConf, Option<String>);

/// What one round does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The peer.
    pub peer: IpAddr,
    /// Its mesh port.
    pub port: u16,
    /// The name to look up (the first name it was found by).
    pub name: Option<String>,
    /// How names are looked up.
    pub resolver: std::sync::Arc<Resolver>,
    /// Each probe's deadline.
    pub timeout: Duration,
    /// Measure the path MTU this round, starting from this local MTU.
    pub mtu_from: Option<u32>,
}

/// Runs one round: the probes at once, each on its own thread, so the round ends within one
/// timeout (the path MTU search, when asked, after them).
pub fn round(plan: &Plan, at_ms: u64) -> Round {
    let addr = SocketAddr::new(plan.peer, plan.port);
    let t = plan.timeout;
    let mut probes = BTreeMap::new();
    std::thread::scope(|s| {
        let tcp = s.spawn(move || tcp(addr, t));
        let http = s.spawn(move || http(addr, t));
        let icmp = s.spawn(move || icmp(plan.peer, t));
        let dns = plan
            .name
            .as_deref()
            .map(|n| s.spawn(move || dns(n, plan.peer, &plan.resolver, t)));
        let lost = |start: Instant| fail(start, "the probe's thread failed");
        let start = Instant::now();
        probes.insert(
            "tcp".to_string(),
            tcp.join().unwrap_or_else(|_| lost(start)),
        );
        probes.insert(
            "http".to_string(),
            http.join().unwrap_or_else(|_| lost(start)),
        );
        probes.insert(
            "icmp".to_string(),
            icmp.join().unwrap_or_else(|_| lost(start)),
        );
        if let Some(d) = dns {
            probes.insert("dns".to_string(), d.join().unwrap_or_else(|_| lost(start)));
        }
    });
    let reachable = probes.get("icmp").is_some_and(|p| p.ok);
    let mtu = plan
        .mtu_from
        .filter(|_| reachable)
        .and_then(|m| path_mtu(plan.peer, m, plan.timeout));
    Round { at_ms, probes, mtu }
}
