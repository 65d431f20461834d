//! Traceroute (IPv4): probes with rising TTL, answered by routers with ICMP time exceeded and
//! by the destination with a port unreachable (UDP), an echo reply (ICMP) or a SYN-ACK/RST
//! (TCP SYN, as tcptraceroute). One probe at a time, each waiting up to a timeout.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use netshoot_wire::{
    icmp_error, icmp_meaning, icmpv4, ip_proto, Icmpv4Packet, Icmpv4Repr, Ipv4Packet,
};

use crate::scan::{source_for, syn_packet};
use crate::ProbeError;

/// The probe kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceMethod {
    /// UDP datagrams to rising ports from 33434 (traceroute's default).
    Udp,
    /// ICMP echo requests (traceroute -I).
    Icmp,
    /// TCP SYNs to one port (traceroute -T, tcptraceroute).
    Tcp,
}

/// What one probe got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReply {
    /// Who answered (none: `*`).
    pub from: Option<IpAddr>,
    /// Round trip, ms.
    pub rtt_ms: Option<f64>,
    /// The destination itself answered.
    pub reached: bool,
    /// An unreachable other than the expected port unreachable (`!H`, `!N`, `!X`, `!P`).
    pub flag: Option<String>,
    /// TCP method: the flags of the destination's answer (`syn,ack` or `rst,ack`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_flags: Option<String>,
    /// The ICMP message that answered (type, code): time exceeded, an unreachable, an echo
    /// reply; none for no answer and for a TCP answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<IcmpMessage>,
}

/// An ICMP message's type and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IcmpMessage {
    /// Type (11 time exceeded, 3 unreachable, 0 echo reply).
    #[serde(rename = "type")]
    pub kind: u8,
    /// Code.
    pub code: u8,
    /// What the type and code mean, in words (`netshoot_wire::icmp_meaning`).
    pub meaning: &'static str,
}

impl IcmpMessage {
    /// The ICMP (IPv4) message `kind`/`code` with its meaning.
    pub fn v4(kind: u8, code: u8) -> Self {
        IcmpMessage {
            kind,
            code,
            meaning: netshoot_wire::icmp_meaning(netshoot_wire::IcmpVersion::V4, kind, code),
        }
    }
}

/// Sends one probe with `ttl` and waits for its answer. `n` numbers the probe (ports, ids).
pub struct Tracer {
    dst: Ipv4Addr,
    src: Ipv4Addr,
    method: TraceMethod,
    port: u16,
    icmp: UdpSocket,
    tcp_rx: Option<UdpSocket>,
    tcp_tx: Option<Socket>,
    id: u16,
    /// The next probe's number: it keeps rising over the traces of one tracer (mtr's rounds),
    /// so a late answer to an earlier round never matches a later probe.
    next: std::cell::Cell<u16>,
}

fn raw(p: Protocol) -> Result<Socket, ProbeError> {
    Socket::new(Domain::IPV4, Type::RAW, Some(p)).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => ProbeError::NoRawSocket,
        _ => ProbeError::Io {
            what: "opening a raw socket".into(),
            source: e,
        },
    })
}

impl Tracer {
    /// Opens the sockets (raw ICMP to hear routers; raw TCP for the TCP method).
    pub fn new(dst: IpAddr, method: TraceMethod, port: u16) -> Result<Tracer, ProbeError> {
        let IpAddr::V4(dst4) = dst else {
            return Err(ProbeError::Io {
                what: "tracing".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "trace is IPv4 only here",
                ),
            });
        };
        let io = |what: &'static str| {
            move |source| ProbeError::Io {
                what: what.into(),
                source,
            }
        };
        let src = match source_for(dst).map_err(io("finding the source address"))? {
            IpAddr::V4(v) => v,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        let icmp: UdpSocket = raw(Protocol::ICMPV4)?.into();
        let (tcp_rx, tcp_tx) = if method == TraceMethod::Tcp {
            (Some(raw(Protocol::TCP)?.into()), Some(raw(Protocol::TCP)?))
        } else {
            (None, None)
        };
        Ok(Tracer {
            dst: dst4,
            src,
            method,
            port,
            icmp,
            tcp_rx,
            tcp_tx,
            id: (std::process::id() as u16) ^ 0x6e73,
            next: std::cell::Cell::new(0),
        })
    }

    /// The address traced.
    pub fn destination(&self) -> IpAddr {
        IpAddr::V4(self.dst)
    }

    /// Sends probe `n` with `ttl`; waits up to `timeout`.
    pub fn probe(&self, ttl: u8, n: u16, timeout: Duration) -> Result<ProbeReply, ProbeError> {
        let io = |what: &'static str| {
            move |source| ProbeError::Io {
                what: what.into(),
                source,
            }
        };
        let dst = SocketAddr::new(IpAddr::V4(self.dst), 0);
        // What the quoted packet in an ICMP error must show for it to be ours.
        let (proto, key): (u8, u16);
        let mut udp_sock = None;
        let start = Instant::now();
        match self.method {
            TraceMethod::Udp => {
                let s = UdpSocket::bind("0.0.0.0:0").map_err(io("binding a UDP socket"))?;
                s.set_ttl(u32::from(ttl)).map_err(io("setting the TTL"))?;
                let port = self.port.wrapping_add(n).max(1);
                s.send_to(&[0u8; 32], SocketAddr::new(IpAddr::V4(self.dst), port))
                    .map_err(io("sending a probe"))?;
                proto = 17;
                key = port;
                udp_sock = Some(s);
            }
            TraceMethod::Icmp => {
                self.icmp
                    .set_ttl(u32::from(ttl))
                    .map_err(io("setting the TTL"))?;
                let mut pkt = [0u8; 40];
                let echo = Icmpv4Repr::EchoRequest {
                    ident: self.id,
                    seq_no: n,
                };
                echo.emit(&mut pkt).map_err(|e| ProbeError::Io {
                    what: "building a probe".into(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
                })?;
                self.icmp
                    .send_to(&pkt, dst)
                    .map_err(io("sending a probe"))?;
                proto = 1;
                key = n;
            }
            TraceMethod::Tcp => {
                let tx = self.tcp_tx.as_ref().expect("tcp socket");
                tx.set_ttl_v4(u32::from(ttl))
                    .map_err(io("setting the TTL"))?;
                // 50000..=64999, whatever the probe's number (n wraps over long mtr runs).
                let sport = 50000 + ((self.id % 5000) + n % 10000);
                let pkt = syn_packet(self.src, self.dst, sport, self.port, u32::from(n));
                tx.send_to(&pkt, &dst.into())
                    .map_err(io("sending a probe"))?;
                proto = 6;
                key = sport;
            }
        }
        let mut buf = vec![0u8; 2048];
        let deadline = start + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(ProbeReply {
                    from: None,
                    rtt_ms: None,
                    reached: false,
                    flag: None,
                    tcp_flags: None,
                    icmp: None,
                });
            }
            // Wait on both sockets at once so neither answer waits for the other's timeout.
            let ms = left.as_millis().clamp(1, 20) as u16;
            let (icmp_ready, tcp_ready) = {
                use std::os::fd::AsFd;
                let mut fds = vec![nix::poll::PollFd::new(
                    self.icmp.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                if let Some(rx) = &self.tcp_rx {
                    fds.push(nix::poll::PollFd::new(
                        rx.as_fd(),
                        nix::poll::PollFlags::POLLIN,
                    ));
                }
                let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms));
                let ready = |f: &nix::poll::PollFd| {
                    f.revents()
                        .is_some_and(|r| r.contains(nix::poll::PollFlags::POLLIN))
                };
                (ready(&fds[0]), fds.get(1).is_some_and(ready))
            };
            if icmp_ready {
                self.icmp
                    .set_read_timeout(Some(Duration::from_millis(1)))
                    .map_err(io("timeout"))?;
                if let Ok((len, from)) = self.icmp.recv_from(&mut buf) {
                    let rtt = start.elapsed().as_secs_f64() * 1000.0;
                    if let Some(r) =
                        match_icmp(&buf[..len], proto, key, from.ip(), rtt, self.dst, self.id)
                    {
                        return Ok(r);
                    }
                }
            }
            if let (true, Some(rx)) = (tcp_ready, &self.tcp_rx) {
                rx.set_nonblocking(true).map_err(io("non-blocking"))?;
                // The raw TCP socket hears every TCP segment of the namespace: under busy
                // traffic it never runs dry, so the draining stops at the probe's deadline
                // (computed once, above) and goes back to the poll every 64 segments.
                let mut drained = 0;
                while drained < 64 && Instant::now() < deadline {
                    drained += 1;
                    let Ok((len, from)) = rx.recv_from(&mut buf) else {
                        break;
                    };
                    if let Some((_, st, _)) =
                        crate::scan::classify_reply(&buf[..len], self.dst, key)
                    {
                        if st != crate::scan::PortState::Filtered {
                            let flags = if st == crate::scan::PortState::Open {
                                "syn,ack"
                            } else {
                                "rst,ack"
                            };
                            return Ok(ProbeReply {
                                from: Some(from.ip()),
                                rtt_ms: Some(start.elapsed().as_secs_f64() * 1000.0),
                                reached: true,
                                flag: None,
                                tcp_flags: Some(flags.into()),
                                icmp: None,
                            });
                        }
                    }
                }
            }
            let _ = &udp_sock;
        }
    }
}

/// A received ICMP message (IPv4 header first) about probe (`proto`, `key`) of a trace to `dst`
/// with echo identifier `id`, if it is one. `Tracer::probe` runs every message through it.
#[doc(hidden)]
pub fn match_icmp(
    d: &[u8],
    proto: u8,
    key: u16,
    from: IpAddr,
    rtt: f64,
    dst: Ipv4Addr,
    id: u16,
) -> Option<ProbeReply> {
    let ip = Ipv4Packet::new_checked(d).ok()?;
    let icmp = Icmpv4Packet::new_checked(ip.after_header_slice()).ok()?;
    let t = icmp.msg_type();
    if t == icmpv4::msg_type::ECHO_REPLY && proto == ip_proto::ICMP {
        return (icmp.echo_ident() == id && icmp.echo_seq_no() == key && from == IpAddr::V4(dst))
            .then_some(ProbeReply {
                from: Some(from),
                rtt_ms: Some(rtt),
                reached: true,
                flag: None,
                tcp_flags: None,
                icmp: Some(IcmpMessage::v4(t, icmp.msg_code())),
            });
    }
    if t != icmpv4::msg_type::TIME_EXCEEDED && t != icmpv4::msg_type::DST_UNREACHABLE {
        return None;
    }
    let e = icmp_error::parse_v4(icmp.into_inner()).ok()?;
    let q = e.quoted;
    // The quote must hold the whole first 8 bytes of our probe.
    if q.protocol != proto || q.dst_addr != IpAddr::V4(dst) || q.transport().len() < 8 {
        return None;
    }
    let ours = match proto {
        ip_proto::UDP => q.dst_port() == Some(key),
        ip_proto::TCP => q.src_port() == Some(key),
        _ => q.icmp_ident() == Some(id) && q.icmp_seq() == Some(key),
    };
    if !ours {
        return None;
    }
    // Time exceeded: a router on the way. Unreachable: the end of the road; a port
    // unreachable is the destination's expected answer, anything else gets a flag.
    let reached = t == icmpv4::msg_type::DST_UNREACHABLE;
    let flag = icmp_meaning::traceroute_flag(t, e.code).map(|f| f.into_owned());
    Some(ProbeReply {
        from: Some(from),
        rtt_ms: Some(rtt),
        reached,
        flag,
        tcp_flags: None,
        icmp: Some(IcmpMessage::v4(t, e.code)),
    })
}

/// One hop: its probes.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// TTL.
    pub ttl: u8,
    /// Each probe's answer.
    pub probes: Vec<ProbeReply>,
}

/// Options of a trace.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Probe kind.
    pub method: TraceMethod,
    /// UDP: the first destination port (rising per probe); TCP: the destination port.
    pub port: u16,
    /// First TTL.
    pub first_ttl: u8,
    /// Last TTL.
    pub max_hops: u8,
    /// Probes per hop.
    pub queries: u8,
    /// Wait per probe.
    pub timeout: Duration,
    /// Pause between probes (traceroute -z).
    pub sendwait: Duration,
}

/// A whole trace, hop by hop until the destination answers or `max_hops`.
pub fn trace(
    dst: IpAddr,
    o: &TraceOptions,
    on_hop: impl FnMut(&Hop),
) -> Result<Vec<Hop>, ProbeError> {
    let t = Tracer::new(dst, o.method, o.port)?;
    trace_with(&t, o, on_hop)
}

/// A whole trace with sockets already open (a caller that drops its privileges between
/// opening and probing, or traces again with the same sockets, as mtr's rounds): the tracer's
/// destination, method and port; `o`'s TTLs, queries and waits. Probes are numbered on from
/// the tracer's previous trace.
pub fn trace_with(
    t: &Tracer,
    o: &TraceOptions,
    mut on_hop: impl FnMut(&Hop),
) -> Result<Vec<Hop>, ProbeError> {
    let mut hops = Vec::new();
    let mut first = true;
    for ttl in o.first_ttl..=o.max_hops {
        let mut probes = Vec::new();
        for _ in 0..o.queries {
            if !first && !o.sendwait.is_zero() {
                std::thread::sleep(o.sendwait);
            }
            first = false;
            let n = t.next.get();
            t.next.set(n.wrapping_add(1));
            probes.push(t.probe(ttl, n, o.timeout)?);
        }
        let reached = probes.iter().any(|p| p.reached);
        let hop = Hop { ttl, probes };
        on_hop(&hop);
        hops.push(hop);
        if reached {
            break;
        }
    }
    Ok(hops)
}
