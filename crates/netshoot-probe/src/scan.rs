//! Port scans with nmap's port states: a TCP connect scan (no privilege), a SYN scan (raw
//! sockets, IPv4) and a best-effort UDP scan. Many probes in flight at once, sized from
//! `RLIMIT_NOFILE`; the reply timeout adapts to the round trips seen, as nmap's does.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use netshoot_wire::{
    icmp_error, icmp_meaning, icmpv4, ip_proto, tcp, Ipv4Packet, TcpPacket, TcpRepr,
};

use crate::ProbeError;

/// nmap's port states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    /// Something accepts connections (SYN-ACK, or connect() succeeded).
    Open,
    /// Reachable, nothing listens (RST).
    Closed,
    /// No answer, or an ICMP unreachable error: a filter is in the way.
    Filtered,
    /// UDP: no answer (open, or a filter drops).
    #[serde(rename = "open|filtered")]
    OpenFiltered,
}

impl PortState {
    /// The word nmap prints.
    pub fn word(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::Filtered => "filtered",
            PortState::OpenFiltered => "open|filtered",
        }
    }
}

/// One port's verdict and why (nmap's `--reason` words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortResult {
    /// Port.
    pub port: u16,
    /// State.
    pub state: PortState,
    /// `syn-ack`, `conn-refused`, `reset`, `no-response`, `host-unreach`, `port-unreach`,
    /// `admin-prohibited`, `udp-response`.
    pub reason: String,
}

/// A progress callback: (ports settled, ports in all).
pub type ProgressFn = std::sync::Arc<std::sync::Mutex<dyn FnMut(usize, usize) + Send>>;

/// Called now and then during a scan with (ports settled, ports in all) — for a progress bar.
#[derive(Clone, Default)]
pub struct ProgressHook(pub Option<ProgressFn>);

impl ProgressHook {
    fn tick(&self, done: usize, total: usize) {
        if let Some(f) = &self.0 {
            if let Ok(mut f) = f.lock() {
                f(done, total);
            }
        }
    }
}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressHook(set)"
        } else {
            "ProgressHook(none)"
        })
    }
}

/// Scan options.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Probes in flight at once (connect scan: open sockets).
    pub concurrency: usize,
    /// Longest wait for an answer.
    pub max_timeout: Duration,
    /// Shortest wait, however fast the answers come.
    pub min_timeout: Duration,
    /// Extra tries for a port that did not answer.
    pub retries: u32,
    /// Progress reports.
    pub progress: ProgressHook,
    /// UDP scan: the datagram to send to a port (nmap-payloads); an empty one otherwise.
    pub udp_payloads: std::collections::HashMap<u16, Vec<u8>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            concurrency: default_concurrency(),
            max_timeout: Duration::from_millis(1000),
            min_timeout: Duration::from_millis(100),
            retries: 1,
            progress: ProgressHook::default(),
            udp_payloads: Default::default(),
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns how many sockets a scan may
/// hold open (leaving room for everything else), at most 8,192.
pub fn default_concurrency() -> usize {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((1024, 1024));
    let limit = if setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    (limit.saturating_sub(64) as usize).clamp(16, 8192)
}

/// Round-trip estimator (RFC 6298 style): the timeout is srtt + 4·rttvar, within bounds.
struct Rtt {
    srtt: Option<f64>,
    rttvar: f64,
    min: Duration,
    max: Duration,
}

impl Rtt {
    fn new(o: &ScanOptions) -> Rtt {
        Rtt {
            srtt: None,
            rttvar: 0.0,
            min: o.min_timeout,
            max: o.max_timeout,
        }
    }
    fn sample(&mut self, d: Duration) {
        let r = d.as_secs_f64();
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(s) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (s - r).abs();
                self.srtt = Some(0.875 * s + 0.125 * r);
            }
        }
    }
    fn timeout(&self) -> Duration {
        match self.srtt {
            // Until something answers, the longest wait.
            None => self.max,
            Some(s) => Duration::from_secs_f64(s + 4.0 * self.rttvar).clamp(self.min, self.max),
        }
    }
}

/// TCP connect scan: a non-blocking connect per port, many at once. ECONNREFUSED is closed,
/// ICMP unreachable errors and silence are filtered.
pub fn connect_scan(ip: IpAddr, ports: &[u16], o: &ScanOptions) -> Vec<PortResult> {
    struct Active {
        port: u16,
        sock: Socket,
        start: Instant,
        tries: u32,
    }
    let domain = Domain::for_address(SocketAddr::new(ip, 0));
    let mut queue: Vec<(u16, u32)> = ports.iter().rev().map(|p| (*p, 0)).collect();
    let mut active: Vec<Active> = Vec::new();
    let mut out: Vec<PortResult> = Vec::with_capacity(ports.len());
    let mut rtt = Rtt::new(o);
    let verdict = |port, state, reason: &str| PortResult {
        port,
        state,
        reason: reason.into(),
    };
    let classify = |e: &std::io::Error| -> (PortState, &'static str) {
        match e.raw_os_error().unwrap_or(0) {
            nix::libc::ECONNREFUSED => (PortState::Closed, "conn-refused"),
            nix::libc::EHOSTUNREACH => (PortState::Filtered, "host-unreach"),
            nix::libc::ENETUNREACH => (PortState::Filtered, "net-unreach"),
            nix::libc::EACCES | nix::libc::EPERM => (PortState::Filtered, "admin-prohibited"),
            _ => (PortState::Filtered, "no-response"),
        }
    };
    while !queue.is_empty() || !active.is_empty() {
        while active.len() < o.concurrency {
            let Some((port, tries)) = queue.pop() else {
                break;
            };
            let sock = match Socket::new(domain, Type::STREAM, Some(Protocol::TCP)) {
                Ok(s) => s,
                Err(_) => {
                    // Out of descriptors for now: put it back and wait for some to finish.
                    queue.push((port, tries));
                    break;
                }
            };
            let _ = sock.set_nonblocking(true);
            let _ = sock.set_linger(Some(Duration::ZERO));
            let start = Instant::now();
            match sock.connect(&SocketAddr::new(ip, port).into()) {
                Ok(()) => out.push(verdict(port, PortState::Open, "syn-ack")),
                Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => active.push(Active {
                    port,
                    sock,
                    start,
                    tries,
                }),
                Err(e) => {
                    let (s, r) = classify(&e);
                    out.push(verdict(port, s, r));
                }
            }
        }
        if active.is_empty() {
            continue;
        }
        let timeout = rtt.timeout();
        let ready: Vec<bool> = {
            let mut fds: Vec<PollFd> = active
                .iter()
                .map(|a| PollFd::new(a.sock.as_fd(), PollFlags::POLLOUT))
                .collect();
            let _ = nix::poll::poll(&mut fds, PollTimeout::from(20u8));
            fds.iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect()
        };
        let now = Instant::now();
        let mut keep = Vec::with_capacity(active.len());
        for (a, r) in active.into_iter().zip(ready) {
            if r {
                let took = now.duration_since(a.start);
                match a.sock.take_error() {
                    Ok(None) => {
                        rtt.sample(took);
                        out.push(verdict(a.port, PortState::Open, "syn-ack"));
                    }
                    Ok(Some(e)) | Err(e) => {
                        let (s, reason) = classify(&e);
                        if s == PortState::Closed {
                            rtt.sample(took);
                        }
                        out.push(verdict(a.port, s, reason));
                    }
                }
            } else if now.duration_since(a.start) >= timeout {
                if a.tries < o.retries {
                    queue.push((a.port, a.tries + 1));
                } else {
                    out.push(verdict(a.port, PortState::Filtered, "no-response"));
                }
            } else {
                keep.push(a);
            }
        }
        active = keep;
        o.progress.tick(out.len(), ports.len());
    }
    out.sort_by_key(|r| r.port);
    out
}

/// The local address the kernel would use towards `ip` (a connected UDP socket sends
/// nothing).
pub fn source_for(ip: IpAddr) -> std::io::Result<IpAddr> {
    let bind: SocketAddr = if ip.is_ipv4() {
        SocketAddr::from(([0u8; 4], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let s = UdpSocket::bind(bind)?;
    s.connect(SocketAddr::new(ip, 9))?;
    Ok(s.local_addr()?.ip())
}

/// A TCP SYN (20-byte header with an MSS option, 24 bytes) from `src:sport` to `dst:dport`.
pub fn syn_packet(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, seq: u32) -> [u8; 24] {
    let mut t = [0u8; 24];
    let syn = TcpRepr {
        src_port: sport,
        dst_port: dport,
        seq_number: seq,
        flags: tcp::flags::SYN,
        window_len: 1024,
        max_seg_size: Some(1460),
        ..Default::default()
    };
    if syn.emit(&mut t).is_ok() {
        TcpPacket::new_unchecked(&mut t[..]).fill_checksum(&src.into(), &dst.into());
    }
    t
}

/// What a received packet (a raw IPv4 socket's: IP header first) says about one of our probes:
/// (port, state, reason).
pub fn classify_reply(
    pkt: &[u8],
    target: Ipv4Addr,
    sport: u16,
) -> Option<(u16, PortState, &'static str)> {
    let ip = Ipv4Packet::new_checked(pkt).ok()?;
    let l4 = ip.after_header_slice();
    match ip.protocol() {
        ip_proto::TCP if ip.src_addr() == target => {
            let t = TcpPacket::new_checked(l4).ok()?;
            if t.dst_port() != sport {
                return None;
            }
            if t.syn() && t.ack() {
                Some((t.src_port(), PortState::Open, "syn-ack"))
            } else if t.rst() {
                Some((t.src_port(), PortState::Closed, "reset"))
            } else {
                None
            }
        }
        ip_proto::ICMP => {
            // ICMP destination unreachable quoting our SYN.
            let e = icmp_error::parse_v4(l4).ok()?;
            let q = e.quoted;
            if e.msg_type != icmpv4::msg_type::DST_UNREACHABLE
                || q.protocol != ip_proto::TCP
                || q.dst_addr != IpAddr::V4(target)
                || q.src_port()? != sport
            {
                return None;
            }
            Some((
                q.dst_port()?,
                PortState::Filtered,
                icmp_meaning::nmap_reason(e.msg_type, e.code)?,
            ))
        }
        _ => None,
    }
}

/// The raw sockets of a SYN scan (one to send, one for TCP replies, one for ICMP errors):
/// opened once, so a caller can drop its privileges before any reply is read.
pub struct SynSockets {
    tx: Socket,
    rx_tcp: UdpSocket,
    rx_icmp: UdpSocket,
}

impl SynSockets {
    /// Opens the raw sockets (CAP_NET_RAW).
    pub fn open() -> Result<SynSockets, ProbeError> {
        let raw = |p: Protocol| {
            Socket::new(Domain::IPV4, Type::RAW, Some(p)).map_err(|e| match e.kind() {
                ErrorKind::PermissionDenied => ProbeError::NoRawSocket,
                _ => ProbeError::Io {
                    what: "opening a raw socket".into(),
                    source: e,
                },
            })
        };
        let tx = raw(Protocol::TCP)?;
        let rx_tcp = raw(Protocol::TCP)?;
        let rx_icmp = raw(Protocol::ICMPV4)?;
        for s in [&rx_tcp, &rx_icmp] {
            let _ = s.set_recv_buffer_size(8 << 20);
            s.set_nonblocking(true).map_err(|source| ProbeError::Io {
                what: "non-blocking".into(),
                source,
            })?;
        }
        // std's datagram API reads a raw socket into an initialised buffer without `unsafe`.
        Ok(SynSockets {
            tx,
            rx_tcp: rx_tcp.into(),
            rx_icmp: rx_icmp.into(),
        })
    }
}

/// SYN scan (IPv4): raw SYNs from one source port, SYN-ACK open, RST closed, ICMP unreachable
/// or silence filtered. The kernel answers our SYN-ACKs with a reset, as for nmap's.
pub fn syn_scan(ip: IpAddr, ports: &[u16], o: &ScanOptions) -> Result<Vec<PortResult>, ProbeError> {
    if ip.is_ipv4() {
        syn_scan_with(&SynSockets::open()?, ip, ports, o)
    } else {
        syn_scan_with_v6_refused()
    }
}

fn syn_scan_with_v6_refused() -> Result<Vec<PortResult>, ProbeError> {
    Err(ProbeError::Io {
        what: "a SYN scan".into(),
        source: std::io::Error::new(
            ErrorKind::Unsupported,
            "SYN scan is IPv4 only here; use the connect scan (-sT) for IPv6",
        ),
    })
}

/// [`syn_scan`] with sockets already open (one [`SynSockets`] serves every host in turn).
pub fn syn_scan_with(
    socks: &SynSockets,
    ip: IpAddr,
    ports: &[u16],
    o: &ScanOptions,
) -> Result<Vec<PortResult>, ProbeError> {
    let IpAddr::V4(dst) = ip else {
        return syn_scan_with_v6_refused();
    };
    let io = |what: &'static str| {
        move |source| ProbeError::Io {
            what: what.into(),
            source,
        }
    };
    let SynSockets {
        tx,
        rx_tcp,
        rx_icmp,
    } = socks;
    let src = match source_for(ip).map_err(io("finding the source address"))? {
        IpAddr::V4(v) => v,
        IpAddr::V6(_) => unreachable!("an IPv4 destination has an IPv4 source"),
    };
    let sport: u16 = 40000 + (std::process::id() as u16 % 20000);
    let seq0: u32 = 0x6e73_0000 ^ std::process::id();
    let mut state: HashMap<u16, (PortState, &'static str)> = HashMap::new();
    let mut sent_at: HashMap<u16, Instant> = HashMap::new();
    let mut rtt = Rtt::new(o);
    let mut todo: Vec<u16> = ports.to_vec();
    let mut buf = vec![0u8; 65536];
    let burst = o.concurrency.max(64);
    for round in 0..=o.retries {
        let mut i = 0;
        while i < todo.len() {
            for &p in &todo[i..(i + burst).min(todo.len())] {
                let pkt = syn_packet(src, dst, sport, p, seq0.wrapping_add(round));
                if tx.send_to(&pkt, &SocketAddr::new(ip, 0).into()).is_ok() {
                    sent_at.insert(p, Instant::now());
                }
            }
            i += burst;
            drain(
                rx_tcp, rx_icmp, dst, sport, &mut buf, &mut state, &sent_at, &mut rtt,
            );
            o.progress.tick(state.len(), ports.len());
        }
        // Wait for the stragglers of this round.
        let end = Instant::now() + rtt.timeout();
        while Instant::now() < end {
            let before = state.len();
            drain(
                rx_tcp, rx_icmp, dst, sport, &mut buf, &mut state, &sent_at, &mut rtt,
            );
            if state.len() == ports.len() {
                break;
            }
            if state.len() == before {
                let mut fds = [
                    PollFd::new(rx_tcp.as_fd(), PollFlags::POLLIN),
                    PollFd::new(rx_icmp.as_fd(), PollFlags::POLLIN),
                ];
                let _ = nix::poll::poll(&mut fds, PollTimeout::from(10u8));
            }
        }
        todo.retain(|p| !state.contains_key(p));
        if todo.is_empty() {
            break;
        }
    }
    let mut out: Vec<PortResult> = ports
        .iter()
        .map(|p| {
            let (s, r) = state
                .get(p)
                .copied()
                .unwrap_or((PortState::Filtered, "no-response"));
            PortResult {
                port: *p,
                state: s,
                reason: r.into(),
            }
        })
        .collect();
    out.sort_by_key(|r| r.port);
    out.dedup_by_key(|r| r.port);
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn drain(
    rx_tcp: &UdpSocket,
    rx_icmp: &UdpSocket,
    dst: Ipv4Addr,
    sport: u16,
    buf: &mut [u8],
    state: &mut HashMap<u16, (PortState, &'static str)>,
    sent_at: &HashMap<u16, Instant>,
    rtt: &mut Rtt,
) {
    for s in [rx_tcp, rx_icmp] {
        while let Ok(n) = s.recv(buf) {
            if let Some((port, st, why)) = classify_reply(&buf[..n], dst, sport) {
                if let Some(t) = sent_at.get(&port) {
                    if st != PortState::Filtered {
                        rtt.sample(t.elapsed());
                    }
                    state.entry(port).or_insert((st, why));
                }
            }
        }
    }
}

/// UDP scan, best effort: an empty datagram per port on a connected socket; an ICMP port
/// unreachable (ECONNREFUSED) is closed, a reply open, silence open|filtered. Linux limits
/// ICMP errors per second, so ports are probed in small rounds and retried.
pub fn udp_scan(ip: IpAddr, ports: &[u16], o: &ScanOptions) -> Vec<PortResult> {
    let bind: SocketAddr = if ip.is_ipv4() {
        SocketAddr::from(([0u8; 4], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let mut out = Vec::new();
    for chunk in ports.chunks(o.concurrency.clamp(1, 512)) {
        let socks: Vec<(u16, Option<UdpSocket>)> = chunk
            .iter()
            .map(|p| {
                let s = UdpSocket::bind(bind).and_then(|s| {
                    s.connect(SocketAddr::new(ip, *p))?;
                    s.set_nonblocking(true)?;
                    s.send(o.udp_payloads.get(p).map(Vec::as_slice).unwrap_or(&[]))?;
                    Ok(s)
                });
                (*p, s.ok())
            })
            .collect();
        let end = Instant::now() + o.max_timeout;
        let mut done: HashMap<u16, PortResult> = HashMap::new();
        while Instant::now() < end && done.len() < socks.len() {
            for (p, s) in &socks {
                if done.contains_key(p) {
                    continue;
                }
                let Some(s) = s else { continue };
                let mut b = [0u8; 512];
                match s.recv(&mut b) {
                    Ok(_) => {
                        done.insert(
                            *p,
                            PortResult {
                                port: *p,
                                state: PortState::Open,
                                reason: "udp-response".into(),
                            },
                        );
                    }
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                        done.insert(
                            *p,
                            PortResult {
                                port: *p,
                                state: PortState::Closed,
                                reason: "port-unreach".into(),
                            },
                        );
                    }
                    Err(_) => {}
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        for (p, _) in &socks {
            out.push(done.remove(p).unwrap_or(PortResult {
                port: *p,
                state: PortState::OpenFiltered,
                reason: "no-response".into(),
            }));
        }
        o.progress.tick(out.len(), ports.len());
    }
    out.sort_by_key(|r| r.port);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use netshoot_wire::{Icmpv4Repr, Ipv4Repr};

    #[test]
    fn syn_checksum_verifies_and_replies_classify() {
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let p = syn_packet(s, d, 40000, 80, 7);
        // The bytes the hand-built SYN had: ports, seq, offset 6, SYN, window 1024, MSS 1460.
        assert_eq!(
            p[..16],
            [0x9c, 0x40, 0, 80, 0, 0, 0, 7, 0, 0, 0, 0, 0x60, 0x02, 0x04, 0x00]
        );
        assert_eq!(p[18..], [0, 0, 2, 4, 0x05, 0xb4]);
        let t = TcpPacket::new_checked(&p[..]).unwrap();
        assert!(t.verify_checksum(&s.into(), &d.into()));
        // A SYN-ACK from 10.0.0.2:80 to our port.
        let mut r = vec![
            0x45u8, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        let mut t = [0u8; 20];
        t[0..2].copy_from_slice(&80u16.to_be_bytes());
        t[2..4].copy_from_slice(&40000u16.to_be_bytes());
        t[12] = 0x50; // data offset 5 (a segment with offset 0 is malformed, and refused)
        t[13] = 0x12;
        r.extend_from_slice(&t);
        assert_eq!(
            classify_reply(&r, d, 40000),
            Some((80, PortState::Open, "syn-ack"))
        );
        r[20 + 13] = 0x14;
        assert_eq!(
            classify_reply(&r, d, 40000),
            Some((80, PortState::Closed, "reset"))
        );
        assert_eq!(classify_reply(&r, d, 40001), None);
        for n in 0..r.len() {
            let _ = classify_reply(&r[..n], d, 40000);
        }
    }

    #[test]
    fn a_reply_with_ihl_below_5_is_refused_not_panicked_on() {
        let d = Ipv4Addr::new(10, 0, 0, 2);
        // IHL 0 with 8..16 bytes: the old classifier indexed the source address past the end.
        for n in 8..40 {
            let mut r = vec![0u8; n];
            r[0] = 0x40;
            if n > 9 {
                r[9] = 6;
            }
            assert_eq!(classify_reply(&r, d, 40000), None);
        }
        // A well-formed SYN-ACK with IHL patched to 4 (16 bytes): refused.
        let mut r = vec![
            0x44u8, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        let mut t = [0u8; 20];
        t[0..2].copy_from_slice(&80u16.to_be_bytes());
        t[2..4].copy_from_slice(&40000u16.to_be_bytes());
        t[12] = 0x50;
        t[13] = 0x12;
        r.extend_from_slice(&t);
        assert_eq!(classify_reply(&r, d, 40000), None);
        r[0] = 0x45;
        assert_eq!(
            classify_reply(&r, d, 40000),
            Some((80, PortState::Open, "syn-ack"))
        );
    }

    #[test]
    fn icmp_unreachable_quoting_our_syn_is_filtered_with_nmaps_reason() {
        let (us, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let syn = syn_packet(us, d, 40000, 443, 1);
        let mut quote = vec![0u8; 28];
        Ipv4Repr::new(us, d, 6, syn.len()).emit(&mut quote).unwrap();
        quote[20..].copy_from_slice(&syn[..8]);
        for (code, reason) in [
            (13, "admin-prohibited"),
            (1, "host-unreach"),
            (7, "unreach"),
        ] {
            let mut icmp = vec![0u8; 8 + quote.len()];
            icmp[8..].copy_from_slice(&quote);
            Icmpv4Repr::DstUnreachable { code, mtu: 0 }
                .emit(&mut icmp)
                .unwrap();
            let mut pkt = vec![0u8; 20 + icmp.len()];
            Ipv4Repr::new(d, us, 1, icmp.len()).emit(&mut pkt).unwrap();
            pkt[20..].copy_from_slice(&icmp);
            assert_eq!(
                classify_reply(&pkt, d, 40000),
                Some((443, PortState::Filtered, reason))
            );
            assert_eq!(classify_reply(&pkt, d, 40001), None);
        }
    }

    #[test]
    fn rtt_timeout_stays_within_bounds() {
        let o = ScanOptions::default();
        let mut r = Rtt::new(&o);
        assert_eq!(r.timeout(), o.max_timeout);
        for _ in 0..20 {
            r.sample(Duration::from_micros(50));
        }
        assert_eq!(r.timeout(), o.min_timeout);
    }
}
