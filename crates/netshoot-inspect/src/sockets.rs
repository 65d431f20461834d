//! TCP, UDP, raw and unix sockets over sock_diag (`ss -tuwxanp`), with the processes that own
//! them.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_sock_diag::constants::{
    AF_INET, AF_INET6, IPPROTO_RAW, IPPROTO_TCP, IPPROTO_UDP,
};
use netlink_packet_sock_diag::unix::{self, ShowFlags, UnixRequest};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use serde::Serialize;

use crate::netlink::{transact_each, Attrs, Reader};

pub mod filter;

pub use filter::{Filter, FilterError, StateSet};

/// A socket's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// Raw IP (`ping`, routing daemons); the "port" is the IP protocol number.
    Raw,
}

/// One socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    /// `tcp` or `udp`.
    pub proto: Proto,
    /// State (`LISTEN`, `ESTAB`, `TIME-WAIT`, `UNCONN`, … in text and JSON).
    pub state: SocketState,
    /// Local address (`0.0.0.0` / `::` when bound to all).
    pub local: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Peer address (unspecified when none).
    pub peer: IpAddr,
    /// Peer port.
    pub peer_port: u16,
    /// Bytes queued to receive (`Recv-Q`; for a listener, the accept backlog).
    pub recv_q: u32,
    /// Bytes queued to send (`Send-Q`; for a listener, the backlog limit).
    pub send_q: u32,
    /// Owner uid.
    pub uid: u32,
    /// Socket inode.
    pub inode: u32,
    /// Bound to one interface (`%eth0` in ss), by index.
    pub bound_if: Option<u32>,
    /// For an IPv6 socket: `IPV6_V6ONLY` (false: a `::` listener also takes IPv4, ss's `*`).
    pub v6_only: Option<bool>,
    /// The TCP timer running (`idiag_timer`: 0 none, 1 retransmit, 2 keepalive, 3 time-wait,
    /// 4 zero-window probe), as `ss -o` shows it.
    pub timer: u8,
    /// Retransmits (or probes) so far (`idiag_retrans`).
    pub retrans: u8,
    /// Milliseconds until the timer fires (`idiag_expires`).
    pub expires_ms: u32,
    /// Processes holding it, one entry per descriptor.
    pub processes: Vec<Owner>,
}

impl Socket {
    /// A socket between two endpoints with empty queues, uid 0, inode 0, no timer, no
    /// interface and no owners (the fields a source does not know stay so).
    pub fn new(
        proto: Proto,
        state: SocketState,
        (local, local_port): (IpAddr, u16),
        (peer, peer_port): (IpAddr, u16),
    ) -> Socket {
        Socket {
            proto,
            state,
            local,
            local_port,
            peer,
            peer_port,
            recv_q: 0,
            send_q: 0,
            uid: 0,
            inode: 0,
            bound_if: None,
            v6_only: None,
            timer: 0,
            retrans: 0,
            expires_ms: 0,
            processes: Vec::new(),
        }
    }

    /// True for a TCP listener or an unconnected UDP socket: something that accepts traffic.
    pub fn is_listening(&self) -> bool {
        match self.proto {
            Proto::Tcp => self.state == SocketState::Listen,
            Proto::Udp | Proto::Raw => self.state == SocketState::Unconnected,
        }
    }
}

/// A socket's state, numbered as the kernel numbers TCP states (`TCP_ESTABLISHED` = 1, …);
/// written (Display, JSON) as `ss` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SocketState {
    /// `ESTAB` (1).
    #[serde(rename = "ESTAB")]
    Established,
    /// `SYN-SENT` (2).
    #[serde(rename = "SYN-SENT")]
    SynSent,
    /// `SYN-RECV` (3).
    #[serde(rename = "SYN-RECV")]
    SynRecv,
    /// `FIN-WAIT-1` (4).
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    /// `FIN-WAIT-2` (5).
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    /// `TIME-WAIT` (6).
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
    /// `UNCONN` (7, `TCP_CLOSE`): a closed TCP socket, an unconnected UDP or raw one.
    #[serde(rename = "UNCONN")]
    Unconnected,
    /// `CLOSE-WAIT` (8).
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    /// `LAST-ACK` (9).
    #[serde(rename = "LAST-ACK")]
    LastAck,
    /// `LISTEN` (10).
    #[serde(rename = "LISTEN")]
    Listen,
    /// `CLOSING` (11).
    #[serde(rename = "CLOSING")]
    Closing,
    /// `UNKNOWN`: a number outside these (for UDP and raw sockets: anything but 1 and 7).
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl SocketState {
    /// The states with a kernel number, in number order (1 to 11).
    pub const ALL: [SocketState; 11] = [
        SocketState::Established,
        SocketState::SynSent,
        SocketState::SynRecv,
        SocketState::FinWait1,
        SocketState::FinWait2,
        SocketState::TimeWait,
        SocketState::Unconnected,
        SocketState::CloseWait,
        SocketState::LastAck,
        SocketState::Listen,
        SocketState::Closing,
    ];

    /// The state of kernel number `n` for a socket of `proto` (UDP and raw sockets only know
    /// `ESTAB` and `UNCONN`, as ss says).
    pub fn from_kernel(proto: Proto, n: u8) -> SocketState {
        match (proto, n) {
            (_, 1) => SocketState::Established,
            (_, 7) => SocketState::Unconnected,
            (Proto::Udp | Proto::Raw, _) => SocketState::Unknown,
            (Proto::Tcp, n) => SocketState::ALL
                .get(usize::from(n).wrapping_sub(1))
                .copied()
                .unwrap_or(SocketState::Unknown),
        }
    }

    /// The kernel's number (0 for `Unknown`).
    pub fn number(self) -> u8 {
        SocketState::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i as u8 + 1)
    }

    /// ss's word (`ESTAB`, `LISTEN`, `TIME-WAIT`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SocketState::Established => "ESTAB",
            SocketState::SynSent => "SYN-SENT",
            SocketState::SynRecv => "SYN-RECV",
            SocketState::FinWait1 => "FIN-WAIT-1",
            SocketState::FinWait2 => "FIN-WAIT-2",
            SocketState::TimeWait => "TIME-WAIT",
            SocketState::Unconnected => "UNCONN",
            SocketState::CloseWait => "CLOSE-WAIT",
            SocketState::LastAck => "LAST-ACK",
            SocketState::Listen => "LISTEN",
            SocketState::Closing => "CLOSING",
            SocketState::Unknown => "UNKNOWN",
        }
    }

    /// The name ss's filter language gives it (`established`, `listening`, …; `None` for
    /// `Unknown`).
    pub fn filter_name(self) -> Option<&'static str> {
        Some(match self {
            SocketState::Established => "established",
            SocketState::SynSent => "syn-sent",
            SocketState::SynRecv => "syn-recv",
            SocketState::FinWait1 => "fin-wait-1",
            SocketState::FinWait2 => "fin-wait-2",
            SocketState::TimeWait => "time-wait",
            SocketState::Unconnected => "closed",
            SocketState::CloseWait => "close-wait",
            SocketState::LastAck => "last-ack",
            SocketState::Listen => "listening",
            SocketState::Closing => "closing",
            SocketState::Unknown => return None,
        })
    }
}

impl std::fmt::Display for SocketState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// TCP and UDP sockets (IPv4 and IPv6) of the calling thread's namespace; `with_processes`
/// maps each to its owners through `/proc/*/fd` (every process on the host whose descriptors
/// are readable).
pub fn sockets(tcp: bool, udp: bool, with_processes: bool) -> io::Result<Vec<Socket>> {
    let protos: Vec<Proto> = [(tcp, Proto::Tcp), (udp, Proto::Udp)]
        .into_iter()
        .filter_map(|(on, p)| on.then_some(p))
        .collect();
    let mut out = inet_sockets(&protos, true, true)?;
    if with_processes {
        let owners = Owners::scan();
        for s in &mut out {
            s.processes = owners.of(s.inode);
        }
    }
    Ok(out)
}

/// Sockets of the given protocols and families, in dump order (no process lookup), every state.
pub fn inet_sockets(protos: &[Proto], v4: bool, v6: bool) -> io::Result<Vec<Socket>> {
    inet_sockets_in_states(protos, v4, v6, u32::MAX)
}

/// As [`inet_sockets`], with the kernel told which TCP states to dump (bit N = state N, as
/// `ss state …` asks), so that a filtered dump is cheap on a busy host.
pub fn inet_sockets_in_states(
    protos: &[Proto],
    v4: bool,
    v6: bool,
    states: u32,
) -> io::Result<Vec<Socket>> {
    let mut out = Vec::new();
    inet_each(protos, v4, v6, states, &mut |s| {
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

/// As [`inet_sockets_in_states`], handing each socket to `each` as its dump message is parsed
/// (in `protos` order, IPv4 before IPv6 within each) instead of collecting them.
pub fn inet_each(
    protos: &[Proto],
    v4: bool,
    v6: bool,
    states: u32,
    each: &mut dyn FnMut(Socket) -> io::Result<()>,
) -> io::Result<()> {
    for &proto in protos {
        let ipproto = match proto {
            Proto::Tcp => IPPROTO_TCP,
            Proto::Udp => IPPROTO_UDP,
            Proto::Raw => IPPROTO_RAW,
        };
        for family in [AF_INET, AF_INET6] {
            if (family == AF_INET && !v4) || (family == AF_INET6 && !v6) {
                continue;
            }
            // Nothing handed on before a raw_diag failure: the fallback below starts over.
            let mut any = false;
            match inet_dump(family, ipproto, states, proto, &mut |s| {
                any = true;
                each(s)
            }) {
                Ok(()) => {}
                // raw_diag is a module some kernels lack: then the kernel's own table in
                // /proc/thread-self/net/raw{,6} (of this thread's namespace), as ss does.
                Err(e) if proto == Proto::Raw && !any && e.raw_os_error() == Some(2) => {
                    let file = if family == AF_INET { "raw" } else { "raw6" };
                    let text = std::fs::read_to_string(format!("/proc/thread-self/net/{file}"))?;
                    for s in parse_proc_raw(&text) {
                        if states & (1 << s.state.number()) != 0 {
                            each(s)?;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const INET_DIAG_SKV6ONLY: u16 = 11;

/// `struct inet_diag_req_v2` (linux/inet_diag.h), 56 bytes.
mod req_v2 {
    /// `sdiag_family`.
    pub const FAMILY: usize = 0;
    /// `sdiag_protocol`.
    pub const PROTOCOL: usize = 1;
    /// `pad`: raw_diag reads the wanted IP protocol here.
    pub const PAD: usize = 3;
    /// `idiag_states` (u32 bit mask).
    pub const STATES: usize = 4;
    /// The struct's size.
    pub const SIZE: usize = 56;
}

/// `struct inet_diag_msg` (linux/inet_diag.h): family, state, timer, retrans, the socket id
/// (ports, addresses, interface, cookie), expires, queues, uid, inode; 72 bytes.
mod diag_msg {
    pub const FAMILY: usize = 0;
    pub const STATE: usize = 1;
    pub const TIMER: usize = 2;
    pub const RETRANS: usize = 3;
    /// `id.idiag_sport` (network order).
    pub const SPORT: usize = 4;
    /// `id.idiag_dport` (network order).
    pub const DPORT: usize = 6;
    /// `id.idiag_src` (16 bytes; IPv4 in the first 4).
    pub const SRC: usize = 8;
    /// `id.idiag_dst`.
    pub const DST: usize = 24;
    /// `id.idiag_if`.
    pub const IF: usize = 40;
    pub const EXPIRES: usize = 52;
    pub const RQUEUE: usize = 56;
    pub const WQUEUE: usize = 60;
    pub const UID: usize = 64;
    pub const INODE: usize = 68;
    /// The struct's size; attributes follow.
    pub const SIZE: usize = 72;
}

/// One `inet_diag_req_v2` dump on a fresh sock_diag socket; replies are parsed straight out of
/// the receive buffer.
fn inet_dump(
    family: u8,
    ipproto: u8,
    states: u32,
    proto: Proto,
    each: &mut dyn FnMut(Socket) -> io::Result<()>,
) -> io::Result<()> {
    let mut body = [0u8; req_v2::SIZE];
    body[req_v2::FAMILY] = family;
    body[req_v2::PROTOCOL] = ipproto;
    // For raw sockets the kernel reads the wanted protocol from the pad byte (all: IPPROTO_RAW).
    body[req_v2::PAD] = if proto == Proto::Raw { IPPROTO_RAW } else { 0 };
    body[req_v2::STATES..req_v2::STATES + 4].copy_from_slice(&states.to_ne_bytes());
    let req = crate::netlink::message(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, &body);
    crate::netlink::transact_bytes(NETLINK_SOCK_DIAG, &req, |m| inet_reply(m, proto, each))
}

/// One message of a sock_diag dump reply: a socket handed to `each`.
fn inet_reply(
    m: &crate::netlink::Message<'_>,
    proto: Proto,
    each: &mut dyn FnMut(Socket) -> io::Result<()>,
) -> io::Result<()> {
    if m.kind == SOCK_DIAG_BY_FAMILY {
        let s = parse_inet_diag(m.payload, proto)
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
        each(s)?;
    }
    Ok(())
}

/// The sockets a sock_diag dump reply that came as `datagram` gives for the request of
/// sequence number `seq` (the fuzz target's entry point: no socket).
#[doc(hidden)]
pub fn inet_replies(datagram: &[u8], seq: u32, proto: Proto) -> io::Result<Vec<Socket>> {
    let mut out = Vec::new();
    crate::netlink::datagram(datagram, seq, &mut |m| {
        inet_reply(m, proto, &mut |s| {
            out.push(s);
            Ok(())
        })
    })?;
    Ok(out)
}

/// Parses one `inet_diag_msg` and its attributes (a sock_diag dump's message body). Every
/// length is checked before it is used.
pub fn parse_inet_diag(body: &[u8], proto: Proto) -> Result<Socket, &'static str> {
    use diag_msg as d;
    if body.len() < d::SIZE {
        return Err("inet_diag_msg shorter than 72 bytes");
    }
    let r = Reader::new(body);
    let family = r.u8(d::FAMILY).unwrap_or(0);
    let addr = |o: usize| -> IpAddr {
        if family == AF_INET6 {
            r.array::<16>(o).map(IpAddr::from)
        } else {
            r.array::<4>(o).map(IpAddr::from)
        }
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    };
    let u32_at = |o: usize| r.ne32(o).unwrap_or(0);
    let v6_only = Attrs::new(r.rest(d::SIZE))
        .find(|a| a.kind == INET_DIAG_SKV6ONLY && !a.payload.is_empty())
        .map(|a| a.payload[0] != 0);
    let ifindex = u32_at(d::IF);
    Ok(Socket {
        recv_q: u32_at(d::RQUEUE),
        send_q: u32_at(d::WQUEUE),
        uid: u32_at(d::UID),
        inode: u32_at(d::INODE),
        bound_if: (ifindex != 0).then_some(ifindex),
        v6_only: if family == AF_INET6 { v6_only } else { None },
        timer: r.u8(d::TIMER).unwrap_or(0),
        retrans: r.u8(d::RETRANS).unwrap_or(0),
        expires_ms: u32_at(d::EXPIRES),
        ..Socket::new(
            proto,
            SocketState::from_kernel(proto, r.u8(d::STATE).unwrap_or(0)),
            (addr(d::SRC), r.be16(d::SPORT).unwrap_or(0)),
            (addr(d::DST), r.be16(d::DPORT).unwrap_or(0)),
        )
    })
}

/// Raw sockets from `/proc/net/raw` or `raw6` text (used when the kernel has no raw_diag).
/// Malformed lines are skipped.
pub fn parse_proc_raw(text: &str) -> Vec<Socket> {
    fn addr(hex: &str) -> Option<IpAddr> {
        match hex.len() {
            8 => Some(IpAddr::V4(
                u32::from_str_radix(hex, 16).ok()?.swap_bytes().into(),
            )),
            32 => {
                let mut b = [0u8; 16];
                for (i, chunk) in hex.as_bytes().chunks(8).enumerate() {
                    let w = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
                    b[i * 4..i * 4 + 4].copy_from_slice(&w.swap_bytes().to_be_bytes());
                }
                Some(IpAddr::V6(b.into()))
            }
            _ => None,
        }
    }
    fn endpoint(s: &str) -> Option<(IpAddr, u16)> {
        let (a, p) = s.split_once(':')?;
        Some((addr(a)?, u16::from_str_radix(p, 16).ok()?))
    }
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local = endpoint(f.get(1)?)?;
            let peer = endpoint(f.get(2)?)?;
            let st = u8::from_str_radix(f.get(3)?, 16).ok()?;
            let (tx, rx) = f.get(4)?.split_once(':')?;
            Some(Socket {
                recv_q: u32::from_str_radix(rx, 16).ok()?,
                send_q: u32::from_str_radix(tx, 16).ok()?,
                uid: f.get(7)?.parse().ok()?,
                inode: f.get(9)?.parse().ok()?,
                ..Socket::new(
                    Proto::Raw,
                    SocketState::from_kernel(Proto::Raw, st),
                    local,
                    peer,
                )
            })
        })
        .collect()
}

/// A descriptor that holds a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// Its command (`/proc/PID/comm`).
    pub command: String,
    /// The descriptor number.
    pub fd: u32,
}

/// A unix-domain socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnixSocket {
    /// `u_str` (stream), `u_dgr` (datagram) or `u_seq` (seqpacket), as `ss` names them.
    pub kind: String,
    /// `LISTEN`, `ESTAB`, `UNCONN`, …
    pub state: SocketState,
    /// The bound path; `@name` for the abstract namespace; none when unbound.
    pub path: Option<String>,
    /// Socket inode.
    pub inode: u32,
    /// The connected peer's inode.
    pub peer_inode: Option<u32>,
    /// Receive queue (for a listener: pending connections).
    pub recv_q: u32,
    /// Send queue (for a listener: the backlog).
    pub send_q: u32,
    /// Processes holding it, one entry per descriptor.
    pub processes: Vec<Owner>,
}

impl UnixSocket {
    /// True for a listening (accepting) socket: netstat's `ACC` flag.
    pub fn is_listening(&self) -> bool {
        self.state == SocketState::Listen
    }
}

/// Reference counts of the unix sockets of the calling thread's namespace, by inode, from
/// `/proc/thread-self/net/unix` (sock_diag does not report them; netstat prints them).
pub fn unix_refcounts() -> HashMap<u32, u32> {
    let text = std::fs::read_to_string("/proc/thread-self/net/unix").unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            // Num RefCount Protocol Flags Type St Inode [Path]
            let f: Vec<&str> = l.split_whitespace().collect();
            let refs = u32::from_str_radix(f.get(1)?, 16).ok()?;
            let inode = f.get(6)?.parse().ok()?;
            Some((inode, refs))
        })
        .collect()
}

/// Unix-domain sockets of the calling thread's namespace (no process lookup).
pub fn unix_sockets() -> io::Result<Vec<UnixSocket>> {
    let mut out = Vec::new();
    unix_each(&mut |s| {
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

/// As [`unix_sockets`], handing each socket to `each` as its dump message is parsed.
pub fn unix_each(each: &mut dyn FnMut(UnixSocket) -> io::Result<()>) -> io::Result<()> {
    let req = SockDiagMessage::UnixRequest(UnixRequest {
        // Every state: the crate's flags name only ESTABLISHED and LISTEN, and `all()` would
        // leave out unconnected datagram sockets (CLOSE) and connecting streams.
        state_flags: unix::StateFlags::from_bits_retain(u32::MAX),
        inode: 0,
        show_flags: ShowFlags::NAME | ShowFlags::PEER | ShowFlags::RQLEN,
        cookie: [0xff; 8],
    });
    transact_each(
        NETLINK_SOCK_DIAG,
        req,
        NLM_F_REQUEST | NLM_F_DUMP,
        |m| match m {
            SockDiagMessage::UnixResponse(r) => each(unix_socket(&r)),
            _ => Ok(()),
        },
    )
}

/// One `unix_diag` reply as a socket.
fn unix_socket(r: &unix::UnixResponse) -> UnixSocket {
    let kind = match r.header.kind {
        1 => "u_str",
        2 => "u_dgr",
        5 => "u_seq",
        _ => "u_???",
    };
    // UNIX_DIAG_RQLEN: (queued, limit); for a listener (pending connections, backlog).
    let (recv_q, send_q) = r
        .nlas
        .iter()
        .find_map(|n| match n {
            unix::nlas::Nla::ReceiveQueueLength(a, b) => Some((*a, *b)),
            _ => None,
        })
        .unwrap_or((0, 0));
    let path = r.name().map(|n| match n {
        unix::nlas::UnixDiagName::Pathname(p) => p.to_string_lossy().into_owned(),
        unix::nlas::UnixDiagName::Abstract(a) => {
            format!("@{}", String::from_utf8_lossy(a).replace('\0', "@"))
        }
    });
    let state = match r.header.state {
        1 if r.header.kind == 2 && r.peer().is_none() => SocketState::Unconnected,
        s => SocketState::from_kernel(Proto::Tcp, s),
    };
    UnixSocket {
        kind: kind.into(),
        state,
        path,
        inode: r.header.inode,
        peer_inode: r.peer().filter(|p| *p != 0),
        recv_q,
        send_q,
        processes: Vec::new(),
    }
}

/// The Unix sockets a sock_diag dump reply that came as `datagram` gives for the request of
/// sequence number `seq` (the fuzz target's entry point: no socket).
#[doc(hidden)]
pub fn unix_replies(datagram: &[u8], seq: u32) -> io::Result<Vec<UnixSocket>> {
    let mut out = Vec::new();
    crate::netlink::datagram(datagram, seq, &mut |m| {
        if let Some(SockDiagMessage::UnixResponse(r)) = crate::netlink::typed(m)? {
            out.push(unix_socket(&r));
        }
        Ok(())
    })?;
    Ok(out)
}

/// What to list, as `ss`'s (and `netstat`'s) options say it.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// TCP sockets.
    pub tcp: bool,
    /// UDP sockets.
    pub udp: bool,
    /// Raw sockets.
    pub raw: bool,
    /// Unix-domain sockets.
    pub unix: bool,
    /// Listening sockets only (TCP LISTEN, unconnected UDP/raw/unix datagram).
    pub listening: bool,
    /// Every state (without it and without `listening`: ss's default states).
    pub all: bool,
    /// Look up each socket's owning processes.
    pub processes: bool,
    /// IPv4 only.
    pub v4: bool,
    /// IPv6 only.
    pub v6: bool,
    /// ss's filter, as words (see [`filter`]).
    pub filter: Vec<String>,
}

/// The sockets a [`Query`] selected.
#[derive(Debug, Clone, Serialize)]
pub struct SocketsReport {
    /// TCP, UDP and raw sockets.
    pub sockets: Vec<Socket>,
    /// Unix-domain sockets.
    pub unix: Vec<UnixSocket>,
}

/// What a listing selected: the sockets and which of ss's columns it shows.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The sockets, inet ones in ss's order (raw, udp, tcp; IPv4 before IPv6 within each).
    pub report: SocketsReport,
    /// More than one kind of socket: ss shows the Netid column.
    pub netid: bool,
    /// More than one state asked for: ss shows the State column.
    pub state_col: bool,
}

/// Why [`select`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The filter does not parse.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The inet sock_diag dump failed.
    #[error("cannot dump sockets over sock_diag: {0}")]
    Inet(io::Error),
    /// The unix sock_diag dump failed.
    #[error("cannot dump unix sockets over sock_diag: {0}")]
    Unix(io::Error),
}

/// The states ss lists when no `state` word is given: all with `-a`, LISTEN and UNCONN with
/// `-l`, else one default per kind asked for, joined: TCP and unix SS_CONN (the connected
/// states less the bucket ones, TIME-WAIT and SYN-RECV), UDP and raw ESTAB alone (so `ss -u`
/// shows one state and hides the column).
fn default_states(q: &Query, tcp_or_unix: bool, udp_or_raw: bool) -> StateSet {
    let named = |n| StateSet::named(n).unwrap_or_default();
    if q.all {
        named("all")
    } else if q.listening {
        named("listening") | named("closed")
    } else {
        let mut m = StateSet::NONE;
        if tcp_or_unix {
            m |= named("connected").without(named("bucket"));
        }
        if udp_or_raw {
            m |= named("established");
        }
        m
    }
}

/// A listing ready to run: the [`Query`]'s filter parsed, its protocols, and (with
/// `processes`) the owners of every socket inode read from `/proc` once, compactly. `ss`,
/// `netstat` and `sockets` all list through this one type: [`Selector::each_unix`] and
/// [`Selector::each_inet`] hand each selected socket on as its dump message is parsed (owners
/// filled in), so a text listing never holds the whole dump; [`select`] collects them.
pub struct Selector {
    filter: Filter,
    /// Raw, UDP, TCP: those asked for, in ss's order.
    protos: Vec<Proto>,
    unix: bool,
    v4: bool,
    v6: bool,
    owners: Option<Owners>,
    /// More than one kind of socket: ss shows the Netid column.
    pub netid: bool,
    /// More than one state asked for: ss shows the State column.
    pub state_col: bool,
}

impl Selector {
    /// Parses `q`'s filter and, with `processes`, reads the socket owners.
    pub fn new(q: &Query) -> Result<Selector, SelectError> {
        let any = q.tcp || q.udp || q.raw || q.unix;
        let (tcp, udp, raw, unix) = if any {
            (q.tcp, q.udp, q.raw, q.unix)
        } else {
            (true, true, true, !(q.v4 || q.v6))
        };
        let filter = Filter::parse(&q.filter, default_states(q, tcp || unix, udp || raw))?;
        // ss's order: raw, udp, tcp (unix sockets come before all of them).
        let protos: Vec<Proto> = [(raw, Proto::Raw), (udp, Proto::Udp), (tcp, Proto::Tcp)]
            .into_iter()
            .filter_map(|(on, p)| on.then_some(p))
            .collect();
        Ok(Selector {
            // ss labels unix sockets by kind (u_str, u_dgr, u_seq), so it shows the column
            // with -x.
            netid: protos.len() > 1 || unix,
            // As ss: a filter down to one state makes the State column redundant.
            state_col: filter.states.len() != 1,
            unix: unix && filter.expr.is_none(),
            filter,
            protos,
            v4: !q.v6,
            v6: !q.v4,
            owners: q.processes.then(Owners::scan),
        })
    }

    /// The inet protocols selected, in ss's order (raw, udp, tcp).
    pub fn protos(&self) -> &[Proto] {
        &self.protos
    }

    /// Dumps the selected inet sockets of `protos` (in that order; those not selected are
    /// skipped), IPv4 before IPv6 within each, and hands each one the filter keeps to `each`.
    pub fn each_inet(
        &self,
        protos: &[Proto],
        mut each: impl FnMut(Socket) -> io::Result<()>,
    ) -> Result<(), SelectError> {
        let protos: Vec<Proto> = protos
            .iter()
            .copied()
            .filter(|p| self.protos.contains(p))
            .collect();
        inet_each(
            &protos,
            self.v4,
            self.v6,
            self.filter.states.bits(),
            &mut |mut s| {
                if !self.filter.matches(&s) {
                    return Ok(());
                }
                if let Some(o) = &self.owners {
                    s.processes = o.of(s.inode);
                }
                each(s)
            },
        )
        .map_err(SelectError::Inet)
    }

    /// Dumps the unix sockets (when selected and no address filter is given) and hands each
    /// one the filter keeps to `each`.
    pub fn each_unix(
        &self,
        mut each: impl FnMut(UnixSocket) -> io::Result<()>,
    ) -> Result<(), SelectError> {
        if !self.unix {
            return Ok(());
        }
        unix_each(&mut |mut s| {
            if !self.filter.matches_unix(&s) {
                return Ok(());
            }
            if let Some(o) = &self.owners {
                s.processes = o.of(s.inode);
            }
            each(s)
        })
        .map_err(SelectError::Unix)
    }
}

/// Dumps the sockets `q` selects (protocols, families, `-l`/`-a`, the state and port filter,
/// owners with `processes`) in the calling thread's namespace, collected (for `--json`; text
/// listings stream through [`Selector`]).
pub fn select(q: &Query) -> Result<Selection, SelectError> {
    let sel = Selector::new(q)?;
    let mut inet = Vec::new();
    sel.each_inet(sel.protos(), |s| {
        inet.push(s);
        Ok(())
    })?;
    let mut ux = Vec::new();
    sel.each_unix(|s| {
        ux.push(s);
        Ok(())
    })?;
    Ok(Selection {
        report: SocketsReport {
            sockets: inet,
            unix: ux,
        },
        netid: sel.netid,
        state_col: sel.state_col,
    })
}

/// Socket inode → the descriptors holding it, from `/proc/*/fd/*` links of the form
/// `socket:[INODE]`, kept compact: one sorted array of (inode, process, fd) and each process's
/// command once (12 bytes a descriptor, where a map of owner lists takes ~100).
#[derive(Debug, Default)]
pub struct Owners {
    /// (pid, command) of each process holding a socket.
    procs: Vec<(u32, String)>,
    /// (inode, index in `procs`, fd), sorted by inode, in /proc order within one inode.
    fds: Vec<(u32, u32, u32)>,
}

impl Owners {
    /// Reads every process's descriptors (those readable).
    pub fn scan() -> Owners {
        let mut o = Owners::default();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return o;
        };
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
                continue;
            };
            let mut index: Option<u32> = None;
            for fd in fds.flatten() {
                let Some(num) = fd.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let Some(ino) = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
                    .and_then(|t| t.parse::<u32>().ok())
                else {
                    continue;
                };
                let i = *index.get_or_insert_with(|| {
                    let command = std::fs::read_to_string(p.path().join("comm"))
                        .map(|s| s.trim_end().to_string())
                        .unwrap_or_default();
                    o.procs.push((pid, command));
                    (o.procs.len() - 1) as u32
                });
                o.fds.push((ino, i, num));
            }
        }
        // Stable: the /proc order stays within each inode.
        o.fds.sort_by_key(|f| f.0);
        o.fds.shrink_to_fit();
        o
    }

    /// The descriptors holding socket `inode`, as ss lists them: the last found first.
    pub fn of(&self, inode: u32) -> Vec<Owner> {
        let start = self.fds.partition_point(|f| f.0 < inode);
        let end = self.fds.partition_point(|f| f.0 <= inode);
        self.fds[start..end]
            .iter()
            .rev()
            .map(|&(_, i, fd)| {
                let (pid, command) = &self.procs[i as usize];
                Owner {
                    pid: *pid,
                    command: command.clone(),
                    fd,
                }
            })
            .collect()
    }
}

/// Socket inode → the descriptors holding it (see [`Owners`], the compact form the listings
/// use), each list as ss lists it: the last found first.
pub fn socket_owners() -> HashMap<u32, Vec<Owner>> {
    let o = Owners::scan();
    let mut map: HashMap<u32, Vec<Owner>> = HashMap::new();
    for &(ino, _, _) in &o.fds {
        map.entry(ino).or_insert_with(|| o.of(ino));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_raw_lines_parse_and_junk_is_skipped() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                  1: 0100007F:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 93155 2 0000000000000000 0\n\
                  junk\n 2: zz:1 00000000:0000 07\n";
        let s = parse_proc_raw(v4);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].local, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            (s[0].local_port, s[0].state, s[0].inode),
            (1, SocketState::Unconnected, 93155)
        );
        let v6 = "head\n  7: 00000000000000000000000001000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 93156 2 0000000000000000 0\n";
        let s = parse_proc_raw(v6);
        assert_eq!(s[0].local, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(s[0].local_port, 58);
        assert!(parse_proc_raw("").is_empty());
    }

    #[test]
    fn inet_diag_messages_parse_and_bad_lengths_are_refused() {
        let mut body = vec![0u8; 72];
        body[0] = AF_INET6;
        body[1] = 10; // LISTEN
        body[4..6].copy_from_slice(&8080u16.to_be_bytes());
        body[8..24].copy_from_slice(&"::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
        body[40..44].copy_from_slice(&3u32.to_ne_bytes());
        body[56..60].copy_from_slice(&2u32.to_ne_bytes());
        body[60..64].copy_from_slice(&128u32.to_ne_bytes());
        body[68..72].copy_from_slice(&4242u32.to_ne_bytes());
        // INET_DIAG_SKV6ONLY = 1, then a truncated attribute that must be ignored.
        body.extend_from_slice(&[5, 0, 11, 0, 1, 0, 0, 0, 9, 0]);
        // Through the netlink splitter, as the dump reads it.
        let data = crate::netlink::message(SOCK_DIAG_BY_FAMILY, 0, &body);
        let m = crate::netlink::Messages::new(&data)
            .next()
            .unwrap()
            .unwrap();
        let s = &parse_inet_diag(m.payload, Proto::Tcp).unwrap();
        assert_eq!(
            (
                s.state,
                s.local_port,
                s.recv_q,
                s.send_q,
                s.inode,
                s.bound_if,
                s.v6_only
            ),
            (SocketState::Listen, 8080, 2, 128, 4242, Some(3), Some(true))
        );
        assert_eq!(s.local, "::1".parse::<IpAddr>().unwrap());
        // A short body is refused; a cut in the attributes ends them; nothing panics.
        assert!(parse_inet_diag(&body[..71], Proto::Tcp).is_err());
        assert!(parse_inet_diag(&[], Proto::Tcp).is_err());
        for cut in 72..body.len() {
            let s = parse_inet_diag(&body[..cut], Proto::Tcp).unwrap();
            assert_eq!(s.v6_only, (cut >= 77).then_some(true));
        }
        let mut v4 = body.clone();
        v4[0] = AF_INET;
        let s = parse_inet_diag(&v4, Proto::Udp).unwrap();
        assert_eq!(
            (s.local, s.state, s.v6_only),
            ("0.0.0.0".parse().unwrap(), SocketState::Unknown, None)
        );
    }
}
