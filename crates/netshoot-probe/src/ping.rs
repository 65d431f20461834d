//! ICMP echo sessions like iputils `ping`: a sequence of requests at an interval, replies
//! matched by identifier and sequence, and the statistics iputils prints. Unprivileged ICMP
//! datagram sockets are used when `net.ipv4.ping_group_range` allows them (as iputils does),
//! raw sockets otherwise.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use netshoot_wire::icmp_meaning::{self, IcmpVersion};
use netshoot_wire::{icmp_error, icmpv4, icmpv6, Icmpv4Packet, Icmpv4Repr, Icmpv6Repr, Ipv4Packet};

use crate::icmp::EchoOutcome;
use crate::ProbeError;

/// How the echo requests leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// An unprivileged ICMP datagram socket (`SOCK_DGRAM`, `IPPROTO_ICMP`).
    Datagram,
    /// A raw socket (needs CAP_NET_RAW).
    Raw,
}

/// Options of one session.
#[derive(Debug, Clone)]
pub struct PingOptions {
    /// Requests to send (`None`: until `deadline` or forever).
    pub count: Option<u32>,
    /// Time between requests.
    pub interval: Duration,
    /// ICMP payload bytes (56 by default, as iputils).
    pub size: usize,
    /// IP TTL / hop limit.
    pub ttl: Option<u8>,
    /// Set DF and never fragment locally.
    pub dont_fragment: bool,
    /// How long to wait for replies after the last request.
    pub wait: Duration,
    /// Stop after this long, whatever was sent.
    pub deadline: Option<Duration>,
    /// Raised (by a Ctrl-C handler) to end the session early, with statistics.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Send from this interface (`SO_BINDTODEVICE`, iputils `-I IFACE`).
    pub interface: Option<String>,
    /// Send from this source address (iputils `-I ADDRESS`).
    pub source: Option<IpAddr>,
    /// Report a request still unanswered when the next one leaves (iputils `-O`).
    pub report_outstanding: bool,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: None,
            interval: Duration::from_secs(1),
            size: 56,
            ttl: None,
            dont_fragment: false,
            wait: Duration::from_secs(2),
            deadline: None,
            stop: None,
            interface: None,
            source: None,
            report_outstanding: false,
        }
    }
}

/// Something that happened during a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PingEvent {
    /// An echo reply.
    Reply {
        /// Sequence number.
        seq: u16,
        /// Who answered.
        from: IpAddr,
        /// ICMP bytes received (header and payload).
        bytes: usize,
        /// The reply's TTL / hop limit, when the socket shows it.
        ttl: Option<u8>,
        /// Round trip, milliseconds.
        rtt_ms: f64,
    },
    /// An ICMP error about one of our requests.
    Error {
        /// Sequence number (when quoted).
        seq: Option<u16>,
        /// Who sent it.
        from: IpAddr,
        /// In words (`Destination Host Unreachable`, `Time to live exceeded`, …).
        text: String,
    },
    /// Request `seq` had no answer when the next one left (only with `report_outstanding`).
    NoAnswer {
        /// Sequence number.
        seq: u16,
    },
}

/// The statistics iputils prints at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PingStats {
    /// Requests sent.
    pub transmitted: u32,
    /// Replies received (duplicates not counted).
    pub received: u32,
    /// ICMP errors received.
    pub errors: u32,
    /// Lost, percent of transmitted.
    pub loss_pct: f64,
    /// Smallest round trip, ms.
    pub rtt_min: Option<f64>,
    /// Mean round trip, ms.
    pub rtt_avg: Option<f64>,
    /// Largest round trip, ms.
    pub rtt_max: Option<f64>,
    /// Mean deviation as iputils computes it, ms.
    pub rtt_mdev: Option<f64>,
    /// Wall time of the session, ms.
    pub time_ms: u64,
}

/// One echo session to one address.
pub struct Pinger {
    sock: UdpSocket,
    dst: IpAddr,
    method: Method,
    id: u16,
    size: usize,
}

fn next_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static SEQ: AtomicU16 = AtomicU16::new(1);
    (std::process::id() as u16)
        .wrapping_mul(131)
        .wrapping_add(SEQ.fetch_add(1, Ordering::Relaxed))
}

impl Pinger {
    /// Opens the socket: an ICMP datagram socket when the kernel allows it, else a raw one.
    pub fn new(dst: IpAddr, opts: &PingOptions) -> Result<Pinger, ProbeError> {
        Pinger::open(dst, opts, Method::Datagram)
    }

    /// Opens the socket, trying `first` and then the other method. A raw socket sees every
    /// ICMP error about our requests; a datagram socket needs no privilege (when
    /// `net.ipv4.ping_group_range` allows it) but hears no errors.
    pub fn open(dst: IpAddr, opts: &PingOptions, first: Method) -> Result<Pinger, ProbeError> {
        let v6 = dst.is_ipv6();
        let (domain, proto) = if v6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let ty = |m: Method| match m {
            Method::Datagram => Type::DGRAM,
            Method::Raw => Type::RAW,
        };
        let second = match first {
            Method::Datagram => Method::Raw,
            Method::Raw => Method::Datagram,
        };
        let (sock, method) = match Socket::new(domain, ty(first), Some(proto)) {
            Ok(s) => (s, first),
            Err(e1) => match Socket::new(domain, ty(second), Some(proto)) {
                Ok(s) => (s, second),
                Err(e2) => {
                    let raw = if first == Method::Raw { e1 } else { e2 };
                    if raw.kind() == ErrorKind::PermissionDenied {
                        return Err(ProbeError::NoRawSocket);
                    }
                    return Err(ProbeError::Io {
                        what: "opening an ICMP socket".into(),
                        source: raw,
                    });
                }
            },
        };
        let io = |what: &'static str| {
            move |source| ProbeError::Io {
                what: what.into(),
                source,
            }
        };
        crate::sys::set_dont_fragment(&sock, v6, opts.dont_fragment).map_err(io("setting DF"))?;
        if let Some(t) = opts.ttl {
            if v6 {
                sock.set_unicast_hops_v6(t as u32)
                    .map_err(io("setting the hop limit"))?;
            } else {
                sock.set_ttl_v4(t as u32).map_err(io("setting the TTL"))?;
            }
        }
        if let Some(dev) = &opts.interface {
            sock.bind_device(Some(dev.as_bytes()))
                .map_err(io("binding to the interface"))?;
        }
        if let Some(src) = opts.source {
            if src.is_ipv6() != v6 {
                return Err(ProbeError::Io {
                    what: format!("binding to {src}"),
                    source: std::io::Error::new(
                        ErrorKind::InvalidInput,
                        "the source and the destination are of different families",
                    ),
                });
            }
            sock.bind(&SocketAddr::new(src, 0).into())
                .map_err(io("binding to the source address"))?;
        }
        Ok(Pinger {
            sock: sock.into(),
            dst,
            method,
            id: next_id(),
            size: opts.size,
        })
    }

    /// Points this session's socket at `dst` (of the same family) with a new identifier, so
    /// that a socket opened once (before dropping privileges) serves host after host.
    pub fn retarget(&mut self, dst: IpAddr) {
        debug_assert_eq!(dst.is_ipv6(), self.dst.is_ipv6());
        self.dst = dst;
        self.id = next_id();
    }

    /// The address pinged.
    pub fn destination(&self) -> IpAddr {
        self.dst
    }

    /// The method in use.
    pub fn method(&self) -> Method {
        self.method
    }

    fn version(&self) -> IcmpVersion {
        if self.dst.is_ipv6() {
            IcmpVersion::V6
        } else {
            IcmpVersion::V4
        }
    }

    /// Sends request `seq` and waits up to `timeout` for what comes back about it: a reply, an
    /// ICMP error (fragmentation needed / packet too big with the MTU, unreachable, …), the
    /// local `EMSGSIZE`, or nothing.
    pub fn echo_once(&self, seq: u16, timeout: Duration) -> Result<EchoOutcome, ProbeError> {
        let start = Instant::now();
        if let Err(e) = self.send(seq) {
            if e.raw_os_error() == Some(nix::libc::EMSGSIZE) {
                return Ok(EchoOutcome::TooBig {
                    from: None,
                    mtu: None,
                });
            }
            return Err(ProbeError::Io {
                what: format!("sending an echo request to {}", self.dst),
                source: e,
            });
        }
        let deadline = start + timeout;
        let mut buf = vec![0u8; 65536];
        loop {
            let got = self
                .recv(deadline, &mut buf)
                .map_err(|source| ProbeError::Io {
                    what: "receiving".into(),
                    source,
                })?;
            let Some((at, p)) = got else {
                return Ok(EchoOutcome::Timeout);
            };
            match p {
                Parsed::Reply {
                    seq: s, from, ttl, ..
                } if s == seq => {
                    return Ok(EchoOutcome::Reply {
                        from,
                        rtt_ms: at.duration_since(start).as_secs_f64() * 1000.0,
                        ttl,
                    })
                }
                Parsed::Error {
                    seq: s,
                    from,
                    icmp_type,
                    code,
                    too_big,
                } if s.is_none_or(|s| s == seq) => {
                    return Ok(match too_big {
                        Some(mtu) => EchoOutcome::TooBig {
                            from: Some(from),
                            mtu,
                        },
                        None => EchoOutcome::Error {
                            from,
                            icmp_type,
                            code,
                            text: icmp_meaning::words(self.version(), icmp_type, code).into_owned(),
                        },
                    })
                }
                _ => {}
            }
        }
    }

    /// Sends request `seq`.
    pub fn send(&self, seq: u16) -> std::io::Result<()> {
        let mut pkt = vec![0u8; icmpv4::HEADER_LEN + self.size];
        for (i, b) in pkt[icmpv4::HEADER_LEN..].iter_mut().enumerate() {
            *b = (i & 0xff) as u8;
        }
        let (ident, seq_no) = (self.id, seq);
        let emitted = if self.dst.is_ipv6() {
            // The kernel computes the ICMPv6 checksum itself (it covers a pseudo-header).
            Icmpv6Repr::EchoRequest { ident, seq_no }.emit(&mut pkt, None)
        } else {
            Icmpv4Repr::EchoRequest { ident, seq_no }.emit(&mut pkt)
        };
        emitted.map_err(|e| std::io::Error::new(ErrorKind::InvalidInput, e))?;
        self.sock
            .send_to(&pkt, SocketAddr::new(self.dst, 0))
            .map(|_| ())
    }

    /// Waits until `until` for one message about our requests.
    fn recv(&self, until: Instant, buf: &mut [u8]) -> std::io::Result<Option<(Instant, Parsed)>> {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.sock.set_read_timeout(Some(left))?;
            let (n, from) = match self.sock.recv_from(buf) {
                Ok(x) => x,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(None)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let at = Instant::now();
            // IPv4 raw sockets deliver the IP header; datagram and IPv6 sockets do not.
            let with_ip = self.method == Method::Raw && !self.dst.is_ipv6();
            if let Some(p) = parse(
                &buf[..n],
                with_ip,
                self.dst.is_ipv6(),
                self.id,
                self.method,
                self.dst,
                from.ip(),
            ) {
                return Ok(Some((at, p)));
            }
        }
    }

    /// Runs a whole session, calling `on_event` for every reply and error as it comes.
    pub fn run(&self, opts: &PingOptions, mut on_event: impl FnMut(&PingEvent)) -> PingStats {
        let start = Instant::now();
        let stop_at = opts.deadline.map(|d| start + d);
        let mut sent: HashMap<u16, Instant> = HashMap::new();
        let mut seen: std::collections::HashSet<u16> = Default::default();
        let mut rtts: Vec<f64> = Vec::new();
        let mut stats = PingStats::default();
        let mut buf = vec![0u8; 65536];
        let mut seq: u16 = 0;
        let mut next_send = start;
        let stopped = || {
            opts.stop
                .as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
        };
        loop {
            if stopped() {
                break;
            }
            let done_sending = opts.count.is_some_and(|c| stats.transmitted >= c)
                || stop_at.is_some_and(|s| Instant::now() >= s);
            if !done_sending && Instant::now() >= next_send {
                if opts.report_outstanding && seq > 0 && !seen.contains(&seq) {
                    on_event(&PingEvent::NoAnswer { seq });
                }
                seq = seq.wrapping_add(1);
                if self.send(seq).is_ok() {
                    sent.insert(seq, Instant::now());
                }
                stats.transmitted += 1;
                next_send += opts.interval;
                continue;
            }
            let all_in = (stats.received + stats.errors) >= stats.transmitted;
            let until = if done_sending {
                if all_in {
                    break;
                }
                let linger = sent.values().max().copied().unwrap_or(start) + opts.wait;
                match stop_at {
                    Some(s) => s.min(linger),
                    None => linger,
                }
            } else {
                next_send
            };
            if Instant::now() >= until && done_sending {
                break;
            }
            let until = until.min(Instant::now() + Duration::from_millis(200));
            match self.recv(until, &mut buf) {
                Ok(Some((
                    at,
                    Parsed::Reply {
                        seq: s,
                        from,
                        bytes,
                        ttl,
                    },
                ))) => {
                    let Some(t0) = sent.get(&s) else { continue };
                    if !seen.insert(s) {
                        continue; // a duplicate
                    }
                    let rtt_ms = at.duration_since(*t0).as_secs_f64() * 1000.0;
                    rtts.push(rtt_ms);
                    stats.received += 1;
                    on_event(&PingEvent::Reply {
                        seq: s,
                        from,
                        bytes,
                        ttl,
                        rtt_ms,
                    });
                }
                Ok(Some((
                    _,
                    Parsed::Error {
                        seq: s,
                        from,
                        icmp_type,
                        code,
                        ..
                    },
                ))) => {
                    if s.is_some_and(|s| !sent.contains_key(&s)) {
                        continue;
                    }
                    stats.errors += 1;
                    let text = icmp_meaning::iputils(self.version(), icmp_type, code).into_owned();
                    on_event(&PingEvent::Error { seq: s, from, text });
                }
                Ok(None) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        stats.time_ms = start.elapsed().as_millis() as u64;
        if stats.transmitted > 0 {
            stats.loss_pct = 100.0
                * f64::from(stats.transmitted - stats.received.min(stats.transmitted))
                / f64::from(stats.transmitted);
        }
        if !rtts.is_empty() {
            let n = rtts.len() as f64;
            let avg = rtts.iter().sum::<f64>() / n;
            let sq = rtts.iter().map(|r| r * r).sum::<f64>() / n;
            stats.rtt_min = rtts.iter().copied().reduce(f64::min);
            stats.rtt_max = rtts.iter().copied().reduce(f64::max);
            stats.rtt_avg = Some(avg);
            stats.rtt_mdev = Some((sq - avg * avg).max(0.0).sqrt());
        }
        stats
    }
}

/// A message about our requests.
#[derive(Debug, PartialEq)]
enum Parsed {
    Reply {
        seq: u16,
        from: IpAddr,
        bytes: usize,
        ttl: Option<u8>,
    },
    Error {
        seq: Option<u16>,
        from: IpAddr,
        icmp_type: u8,
        code: u8,
        /// Fragmentation needed / packet too big: the MTU reported, if any.
        too_big: Option<Option<u32>>,
    },
}

/// [`parse`] for the fuzz target: what one received message is to a session to `dst` with
/// identifier `id` (its `Debug` form), `None` when it is not about our requests.
#[doc(hidden)]
pub fn parse_received(
    d: &[u8],
    with_ip: bool,
    v6: bool,
    id: u16,
    method: Method,
    dst: IpAddr,
    from: IpAddr,
) -> Option<String> {
    parse(d, with_ip, v6, id, method, dst, from).map(|p| format!("{p:?}"))
}

/// Parses one received message. `with_ip`: an IPv4 header comes first. Datagram sockets get
/// only their own replies (the kernel matched the identifier), so theirs is not checked.
fn parse(
    d: &[u8],
    with_ip: bool,
    v6: bool,
    id: u16,
    method: Method,
    dst: IpAddr,
    from: IpAddr,
) -> Option<Parsed> {
    let (ttl, icmp) = if with_ip {
        let ip = Ipv4Packet::new_checked(d).ok()?;
        (Some(ip.ttl()), ip.after_header_slice())
    } else {
        (None, d)
    };
    let (reply, request) = if v6 {
        (icmpv6::msg_type::ECHO_REPLY, icmpv6::msg_type::ECHO_REQUEST)
    } else {
        (icmpv4::msg_type::ECHO_REPLY, icmpv4::msg_type::ECHO_REQUEST)
    };
    // Echo messages have the same layout in ICMP and ICMPv6.
    let msg = Icmpv4Packet::new_checked(icmp).ok()?;
    let (t, code) = (msg.msg_type(), msg.msg_code());
    if t == reply {
        if (method == Method::Raw && msg.echo_ident() != id) || from != dst {
            return None;
        }
        return Some(Parsed::Reply {
            seq: msg.echo_seq_no(),
            from,
            bytes: icmp.len(),
            ttl,
        });
    }
    // The errors iputils reports about an echo: unreachable, time exceeded, parameter problem
    // (ICMP); unreachable, packet too big, time exceeded (ICMPv6).
    let reported = if v6 {
        (1..=3).contains(&t)
    } else {
        matches!(t, 3 | 11 | 12)
    };
    if !reported {
        return None;
    }
    // The error quotes our IP header and the start of our echo.
    let version = if v6 { IcmpVersion::V6 } else { IcmpVersion::V4 };
    let err = icmp_error::parse(version, icmp).ok()?;
    let q = err.quoted;
    if q.icmp_type()? != request || q.dst_addr != dst {
        return None;
    }
    if method == Method::Raw && q.icmp_ident()? != id {
        return None;
    }
    Some(Parsed::Error {
        seq: q.icmp_seq(),
        from,
        icmp_type: t,
        code,
        too_big: err.is_too_big().then(|| err.mtu()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netshoot_wire::Ipv4Repr;
    use std::net::Ipv4Addr;

    #[test]
    fn junk_never_panics_and_foreign_replies_are_ignored() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mut x: u32 = 7;
        for len in 0..400 {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 24) as u8
                })
                .collect();
            for (ip, v6, m) in [
                (true, false, Method::Raw),
                (false, false, Method::Datagram),
                (false, true, Method::Raw),
            ] {
                let _ = parse(&b, ip, v6, 1, m, a, a);
            }
        }
        // An echo reply with another identifier is someone else's (raw sockets see all).
        let reply = [0u8, 0, 0, 0, 0, 9, 0, 1];
        assert_eq!(parse(&reply, false, false, 1, Method::Raw, a, a), None);
        assert!(matches!(
            parse(&reply, false, false, 1, Method::Datagram, a, a),
            Some(Parsed::Reply { seq: 1, .. })
        ));
    }

    /// A router's "fragmentation needed" quoting our echo, as a raw IPv4 socket delivers it.
    fn frag_needed(us: Ipv4Addr, dst: Ipv4Addr, router: Ipv4Addr, id: u16, mtu: u16) -> Vec<u8> {
        let mut quote = vec![0u8; 28];
        Ipv4Repr::new(us, dst, 1, 1472).emit(&mut quote).unwrap();
        Icmpv4Repr::EchoRequest {
            ident: id,
            seq_no: 3,
        }
        .emit(&mut quote[20..])
        .unwrap();
        let mut icmp = vec![0u8; 8 + quote.len()];
        icmp[8..].copy_from_slice(&quote);
        Icmpv4Repr::DstUnreachable { code: 4, mtu }
            .emit(&mut icmp)
            .unwrap();
        let mut pkt = vec![0u8; 20 + icmp.len()];
        Ipv4Repr::new(router, us, 1, icmp.len())
            .emit(&mut pkt)
            .unwrap();
        pkt[20..].copy_from_slice(&icmp);
        pkt
    }

    #[test]
    fn errors_quoting_our_echo_are_matched_by_identifier_and_destination() {
        let (us, dst, router) = (
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 9, 2),
            Ipv4Addr::new(10, 0, 0, 254),
        );
        let (d, r) = (IpAddr::V4(dst), IpAddr::V4(router));
        let pkt = frag_needed(us, dst, router, 77, 1400);
        assert_eq!(
            parse(&pkt, true, false, 77, Method::Raw, d, r),
            Some(Parsed::Error {
                seq: Some(3),
                from: r,
                icmp_type: 3,
                code: 4,
                too_big: Some(Some(1400)),
            })
        );
        // Another identifier, or another destination in the quote: someone else's.
        assert_eq!(parse(&pkt, true, false, 78, Method::Raw, d, r), None);
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 9, 3));
        assert_eq!(parse(&pkt, true, false, 77, Method::Raw, other, r), None);
        // A router that gives no MTU.
        let pkt = frag_needed(us, dst, router, 77, 0);
        assert!(matches!(
            parse(&pkt, true, false, 77, Method::Raw, d, r),
            Some(Parsed::Error {
                too_big: Some(None),
                ..
            })
        ));
    }

    #[test]
    fn loopback_session_counts_like_iputils() {
        let opts = PingOptions {
            count: Some(3),
            interval: Duration::from_millis(50),
            ..Default::default()
        };
        let p = match Pinger::new("127.0.0.1".parse().unwrap(), &opts) {
            Ok(p) => p,
            Err(ProbeError::NoRawSocket) => return, // not root: nothing to check here
            Err(e) => panic!("{e}"),
        };
        let mut n = 0;
        let s = p.run(&opts, |_| n += 1);
        assert_eq!((s.transmitted, s.received, n), (3, 3, 3));
        assert_eq!(s.loss_pct, 0.0);
        assert!(
            s.rtt_min.unwrap() <= s.rtt_avg.unwrap() && s.rtt_avg.unwrap() <= s.rtt_max.unwrap()
        );
    }
}
