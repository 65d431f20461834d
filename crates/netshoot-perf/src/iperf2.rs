//! iperf 2's protocol (2.1.x on the wire, interoperable with Debian's iperf 2.1.8): a client and
//! a server for TCP and UDP, reporting through typed [`Event`]s that the caller renders.
//!
//! The wire facts (all integers big-endian), as observed between two iperf 2.1.8:
//! - TCP: the client's first write is its header, 60 bytes: flags, threads, port, buffer
//!   length, window/bandwidth, amount (bytes, or negative hundredths of a second), then the
//!   2.1 extension (type, length, upper/lower flags, version, reserved/tos, rate, rate high,
//!   write prefetch). Every byte, header included, counts toward the transfer. `-R` sets the
//!   upper flag 0x0400 (with the VERSION2 flag) and the server sends on the same connection.
//! - UDP: every datagram starts with id (low 32 bits), tv_sec, tv_usec, id (high 32 bits), then
//!   the client header (76 bytes counted from the datagram's start). Ids count from 1; the last
//!   datagram (the FIN) carries the negative of its id and is counted as data by both ends.
//!   The server answers each FIN with its report: the 16-byte datagram header, then flags,
//!   total length (high, low), stop time (sec, usec), lost, out of order, datagrams, jitter
//!   (sec, usec). The client resends the FIN up to 10 times, 250 ms apart, until the report
//!   comes back.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use crate::proto::{now_parts, UdpRx};

/// Header flag: the client asks the server to connect back (`-d`/`-r`, 2.0's dual tests).
pub const FLAG_VERSION1: u32 = 0x8000_0000;
/// Header flag (with VERSION1): run the connection back now (`-d`), not after (`-r`).
pub const FLAG_RUN_NOW: u32 = 0x0000_0001;
/// Header flag: the 2.1 extension follows.
pub const FLAG_EXTEND: u32 = 0x4000_0000;
/// Header flag: a UDP test (set by 2.1.8 for UDP -R).
pub const FLAG_UDPTESTS: u32 = 0x2000_0000;
/// Header flag: 64-bit datagram ids.
pub const FLAG_SEQNO64B: u32 = 0x0800_0000;
/// Header flag: the upper/lower flags of the extension are meaningful.
pub const FLAG_VERSION2: u32 = 0x0400_0000;
/// Header flag: the low bits carry the header's length (shifted left by one).
pub const FLAG_LEN_BIT: u32 = 0x0001_0000;
/// Extension upper flag: reverse (the server sends).
pub const UPPER_REVERSE: u16 = 0x0400;
/// The TCP client header's length.
pub const TCP_HEADER_LEN: usize = 60;
/// The UDP datagram header (id, tv_sec, tv_usec, id2).
pub const UDP_DGRAM_LEN: usize = 16;
/// The UDP datagram header plus the client header.
pub const UDP_HEADER_LEN: usize = 76;
/// The server report datagram we send (header, v1 report, zero padding).
pub const REPORT_LEN: usize = 128;
/// FIN retries, as iperf 2.
pub const FIN_TRIES: u32 = 10;
/// Largest datagram or read we buffer.
const MAX_READ: usize = 128 * 1024;
/// Most TCP connections a server reads at once.
const MAX_CONNS: usize = 256;
/// Most UDP flows a server tracks at once.
const MAX_FLOWS: usize = 256;
/// A sender or receiver that sees nothing for this long ends its test.
const IDLE: Duration = Duration::from_secs(10);

/// Why a test could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad options.
    #[error("{0}")]
    Usage(String),
    /// The connection or socket could not be made.
    #[error("{0}")]
    Connect(String),
    /// The listening socket could not be made.
    #[error("{0}")]
    Listen(String),
}

/// How long a test runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// Seconds.
    Time(f64),
    /// Bytes (all streams each send this many).
    Bytes(u64),
}

impl Amount {
    /// The header's amount field: bytes, or negative hundredths of a second.
    pub fn wire(&self) -> i32 {
        match *self {
            Amount::Time(t) => -((t * 100.0).round().min(i32::MAX as f64) as i32),
            Amount::Bytes(b) => b.min(i32::MAX as u64) as i32,
        }
    }

    /// From the header's amount field.
    pub fn from_wire(v: i32) -> Amount {
        if v < 0 {
            Amount::Time(-(v as f64) / 100.0)
        } else {
            Amount::Bytes(v as u64)
        }
    }
}

/// iperf 2's tests in both directions, the server connecting back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dual {
    /// `-d`: at the same time.
    Simultaneous,
    /// `-r`: one after the other.
    Tradeoff,
}

/// The client's options (iperf -c).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The host as given (for the banner).
    pub host: String,
    /// The server's address.
    pub addr: SocketAddr,
    /// UDP instead of TCP.
    pub udp: bool,
    /// How long or how much.
    pub amount: Amount,
    /// Seconds between interval reports (0: none).
    pub interval: f64,
    /// Parallel streams.
    pub parallel: u32,
    /// UDP rate, bits per second.
    pub rate: u64,
    /// Write / datagram length.
    pub len: usize,
    /// Socket buffer to ask for (`-w`).
    pub window: Option<usize>,
    /// The server sends (`-R`, TCP only).
    pub reverse: bool,
    /// `-d` / `-r`: the server connects back to us and sends too.
    pub dual: Option<Dual>,
    /// The port we listen on for the server's connection back (`-L`).
    pub listen_port: u16,
    /// Bound on the connection and on each wait for the peer.
    pub timeout: Duration,
}

/// The server's options (iperf -s).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Port.
    pub port: u16,
    /// Address to bind (default: every address, IPv4 and IPv6).
    pub bind: Option<IpAddr>,
    /// UDP instead of TCP.
    pub udp: bool,
    /// Seconds between interval reports (0: none).
    pub interval: f64,
    /// Socket buffer to ask for (`-w`).
    pub window: Option<usize>,
    /// Serve one test, then exit (`-1`).
    pub one_shot: bool,
    /// Most bits per second the UDP reverse (`-R`) senders send in all (0: no cap). iperf 2
    /// has no control connection: the first datagram's source address, which can be forged,
    /// decides where the server sends, at the rate that datagram asks; a flow asking for more
    /// than is left gets what is left, and none when nothing is ([`crate::server::MAX_UDP_BITRATE`]
    /// by default).
    pub max_udp_bitrate: u64,
}

/// UDP receive statistics of a report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UdpStats {
    /// RFC 1889 jitter, milliseconds.
    pub jitter_ms: f64,
    /// Lost datagrams.
    pub lost: u64,
    /// Datagrams expected (the highest id).
    pub total: u64,
    /// Datagrams that came after a later one.
    pub out_of_order: u64,
}

/// One line of a report table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The stream's id; `None` for the sum of all streams.
    pub id: Option<u32>,
    /// Seconds from the test's start.
    pub start: f64,
    /// Seconds from the test's start.
    pub end: f64,
    /// Bytes in the interval.
    pub bytes: u64,
    /// Receive statistics (UDP receivers).
    pub udp: Option<UdpStats>,
    /// The whole test rather than one interval.
    pub last: bool,
    /// This side received in a reverse test (iperf 2 marks such lines `[ *1]`).
    pub reverse: bool,
}

/// TCP facts of a connection (icwnd / mss / irtt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TcpFacts {
    /// Congestion window, segments.
    pub cwnd: u32,
    /// MSS, bytes.
    pub mss: u32,
    /// Round trip, µs.
    pub rtt_us: u32,
}

/// What a client or server reports, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The server listens.
    Listening {
        /// UDP or TCP.
        udp: bool,
        /// Port.
        port: u16,
        /// The receive buffer the kernel gave, bytes.
        buffer: u64,
        /// What `-w` asked for.
        requested: Option<u64>,
        /// `-1`.
        one_shot: bool,
    },
    /// The client is about to connect.
    Connecting {
        /// The host as given.
        host: String,
        /// Port.
        port: u16,
        /// UDP or TCP.
        udp: bool,
        /// Datagram length (UDP).
        len: usize,
        /// UDP rate, bits per second.
        rate: u64,
        /// The socket buffer the kernel gave, bytes.
        buffer: u64,
        /// What `-w` asked for.
        requested: Option<u64>,
    },
    /// A stream is connected.
    Connected {
        /// Stream id.
        id: u32,
        /// Our address.
        local: SocketAddr,
        /// The peer's.
        peer: SocketAddr,
        /// A reverse test.
        reverse: bool,
        /// TCP facts, for TCP.
        tcp: Option<TcpFacts>,
    },
    /// An interval or the total of a stream or of all.
    Report(Report),
    /// UDP client: datagrams sent (`id: None` for the sum).
    Sent {
        /// Stream id.
        id: Option<u32>,
        /// Datagrams, FIN included.
        datagrams: u64,
        /// Streams summed.
        streams: u32,
    },
    /// UDP client: the server's report of one stream.
    ServerReport(Report),
    /// UDP client: no report came back.
    NoServerReport {
        /// Stream id.
        id: u32,
    },
    /// Something the user should know (a test we cannot serve, a lost peer).
    Warning(String),
}

/// An OS error's message without Rust's ` (os error N)` tail, as C's strerror prints it.
fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Every write or datagram's payload filler (iperf 2 writes digits).
fn pattern(buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = b'0' + (i % 10) as u8;
    }
}

fn put(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn get(buf: &[u8], at: usize) -> Option<u32> {
    buf.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The client header (60 bytes) as iperf 2.1.8 writes it.
pub fn client_header(o: &ClientOptions, seq64: bool) -> [u8; TCP_HEADER_LEN] {
    let mut h = [0u8; TCP_HEADER_LEN];
    let len = if o.udp {
        UDP_HEADER_LEN
    } else {
        TCP_HEADER_LEN
    };
    let mut flags = FLAG_EXTEND | FLAG_LEN_BIT | ((len as u32) << 1);
    if seq64 {
        flags |= FLAG_SEQNO64B;
    }
    if o.reverse {
        flags |= FLAG_VERSION2;
        if o.udp {
            flags |= FLAG_UDPTESTS;
        }
    }
    match o.dual {
        Some(Dual::Simultaneous) => flags |= FLAG_VERSION1 | FLAG_RUN_NOW,
        Some(Dual::Tradeoff) => flags |= FLAG_VERSION1,
        None => {}
    }
    put(&mut h, 0, flags);
    put(&mut h, 4, o.parallel);
    put(
        &mut h,
        8,
        u32::from(if o.dual.is_some() {
            o.listen_port
        } else {
            o.addr.port()
        }),
    );
    put(&mut h, 12, o.len as u32);
    put(&mut h, 16, 0);
    put(&mut h, 20, o.amount.wire() as u32);
    // Extension: type, length, upper/lower flags, version 2.1.8, reserved/tos, rate.
    put(&mut h, 24, 0);
    put(&mut h, 28, 0);
    put(
        &mut h,
        32,
        u32::from(if o.reverse { UPPER_REVERSE } else { 0 }) << 16,
    );
    put(&mut h, 36, 0x0002_0001);
    put(&mut h, 40, 0x0008_0003);
    put(&mut h, 44, 0);
    put(
        &mut h,
        48,
        if o.udp {
            o.rate.min(u32::MAX as u64) as u32
        } else {
            0
        },
    );
    h
}

/// What a server reads from a client's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerHeader {
    /// Flags.
    pub flags: u32,
    /// The test's amount field.
    pub amount: i32,
    /// Write length.
    pub len: u32,
    /// Reverse test.
    pub reverse: bool,
    /// The port the client listens on for a connection back (VERSION1).
    pub port: u16,
    /// UDP rate, bits per second (0: not given).
    pub rate: u32,
}

/// Parses a client header (the bytes after the UDP datagram header, or a TCP stream's first
/// bytes). `None` when the flags announce no header (an old client sending plain data).
pub fn parse_header(b: &[u8]) -> Option<PeerHeader> {
    let flags = get(b, 0)?;
    if flags & (FLAG_VERSION1 | FLAG_EXTEND) == 0 {
        return None;
    }
    let upper = get(b, 32).map(|v| (v >> 16) as u16).unwrap_or(0);
    Some(PeerHeader {
        flags,
        amount: get(b, 20)? as i32,
        len: get(b, 12)?,
        port: get(b, 8)? as u16,
        rate: get(b, 48).unwrap_or(0),
        reverse: flags & FLAG_EXTEND != 0
            && flags & FLAG_VERSION2 != 0
            && upper & UPPER_REVERSE != 0,
    })
}

/// The server's UDP report datagram.
pub fn server_report(bytes: u64, duration: f64, st: &UdpStats) -> [u8; REPORT_LEN] {
    let mut r = [0u8; REPORT_LEN];
    let h = UDP_DGRAM_LEN;
    put(&mut r, h, FLAG_VERSION1);
    put(&mut r, h + 4, (bytes >> 32) as u32);
    put(&mut r, h + 8, bytes as u32);
    let d = duration.max(0.0);
    put(&mut r, h + 12, d.trunc() as u32);
    put(&mut r, h + 16, (d.fract() * 1e6) as u32);
    put(&mut r, h + 20, st.lost.min(u32::MAX as u64) as u32);
    put(&mut r, h + 24, st.out_of_order.min(u32::MAX as u64) as u32);
    put(&mut r, h + 28, st.total.min(u32::MAX as u64) as u32);
    let j = st.jitter_ms / 1000.0;
    put(&mut r, h + 32, j.trunc() as u32);
    put(&mut r, h + 36, (j.fract() * 1e6).round() as u32);
    r
}

/// Parses a server report datagram: (bytes, seconds, stats).
pub fn parse_server_report(b: &[u8]) -> Option<(u64, f64, UdpStats)> {
    let h = UDP_DGRAM_LEN;
    let flags = get(b, h)?;
    if flags & FLAG_VERSION1 == 0 {
        return None;
    }
    let bytes = (u64::from(get(b, h + 4)?) << 32) | u64::from(get(b, h + 8)?);
    let secs = f64::from(get(b, h + 12)?) + f64::from(get(b, h + 16)?) / 1e6;
    let st = UdpStats {
        lost: u64::from(get(b, h + 20)?),
        out_of_order: u64::from(get(b, h + 24)?),
        total: u64::from(get(b, h + 28)?),
        jitter_ms: (f64::from(get(b, h + 32)?) + f64::from(get(b, h + 36)?) / 1e6) * 1000.0,
    };
    Some((bytes, secs, st))
}

/// A datagram's id (negative for the FIN) and its send time (seconds since the epoch).
pub fn datagram_id(b: &[u8]) -> Option<(i64, f64)> {
    let lo = get(b, 0)?;
    let sec = get(b, 4)?;
    let usec = get(b, 8)?;
    let hi = get(b, 12).unwrap_or(0);
    let seq64 = get(b, UDP_DGRAM_LEN).is_some_and(|f| f & FLAG_SEQNO64B != 0);
    let id = if seq64 {
        ((u64::from(hi) << 32) | u64::from(lo)) as i64
    } else {
        i64::from(lo as i32)
    };
    Some((id, f64::from(sec) + f64::from(usec) / 1e6))
}

fn put_datagram(buf: &mut [u8], id: i64) {
    let (_, sec, usec) = now_parts();
    put(buf, 0, id as u32);
    put(buf, 4, sec);
    put(buf, 8, usec);
    put(buf, 12, (id >> 32) as u32);
}

fn stats(rx: &UdpRx) -> UdpStats {
    UdpStats {
        jitter_ms: rx.jitter * 1000.0,
        lost: rx.cnt_error,
        total: rx.packet_count,
        out_of_order: rx.outoforder,
    }
}

fn tcp_facts(s: &impl AsRawFd) -> Option<TcpFacts> {
    crate::sys::tcp_info(s.as_raw_fd()).map(|t| TcpFacts {
        cwnd: t.snd_cwnd,
        mss: t.snd_mss,
        rtt_us: t.rtt_us,
    })
}

fn set_buffer(s: &Socket, window: Option<usize>, send: bool) {
    if let Some(w) = window {
        let _ = if send {
            s.set_send_buffer_size(w)
        } else {
            s.set_recv_buffer_size(w)
        };
    }
}

/// Interval bookkeeping for one stream: bytes so far, and for UDP receivers the stats.
#[derive(Default)]
struct Meter {
    bytes: AtomicU64,
    done: AtomicBool,
}

/// The result of one client stream.
struct StreamEnd {
    bytes: u64,
    end: f64,
    datagrams: u64,
    report: Option<(u64, f64, UdpStats)>,
    rx: Option<UdpStats>,
}

enum Sock {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

/// Runs a client test; events go to `on` in output order. Returns whether every UDP stream
/// got the server's report (always true for TCP).
pub fn client(
    o: &ClientOptions,
    stop: &Arc<AtomicBool>,
    on: &mut dyn FnMut(Event),
) -> Result<bool, Error> {
    if o.parallel == 0 || o.parallel > 128 {
        return Err(Error::Usage(format!(
            "-P {}: between 1 and 128 streams",
            o.parallel
        )));
    }
    if o.dual.is_some() && (o.udp || o.reverse || o.parallel > 1) {
        return Err(Error::Usage(
            "-d/-r run with one TCP stream, without -u, -R or -P".into(),
        ));
    }
    let min = if o.udp { UDP_HEADER_LEN } else { 1 };
    if o.len < min || o.len > MAX_READ {
        return Err(Error::Usage(format!(
            "-l {}: between {min} and {MAX_READ} bytes{}",
            o.len,
            if o.udp {
                " (a UDP datagram carries a 76-byte header)"
            } else {
                ""
            }
        )));
    }
    // -d/-r: listen first for the server's connection back.
    let back = match o.dual {
        Some(_) => Some(
            listen_back(o.listen_port)
                .map_err(|e| Error::Connect(format!("listener bind failed: {}", os_message(&e))))?,
        ),
        None => None,
    };
    let domain = Domain::for_address(o.addr);
    let mut socks = Vec::new();
    for _ in 0..o.parallel {
        let s = if o.udp {
            Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
        } else {
            Socket::new(domain, Type::STREAM, Some(Protocol::TCP))
        }
        .map_err(|e| Error::Connect(format!("cannot create a socket: {e}")))?;
        set_buffer(&s, o.window, !o.reverse);
        socks.push(s);
    }
    let buffer = if o.reverse && !o.udp {
        socks[0].recv_buffer_size()
    } else {
        socks[0].send_buffer_size()
    }
    .unwrap_or(0) as u64;
    on(Event::Connecting {
        host: o.host.clone(),
        port: o.addr.port(),
        udp: o.udp,
        len: o.len,
        rate: o.rate,
        buffer,
        requested: o.window.map(|w| w as u64),
    });
    let mut streams = Vec::new();
    for (i, s) in socks.into_iter().enumerate() {
        let id = i as u32 + 1;
        if o.udp {
            s.connect(&o.addr.into())
                .map_err(|e| Error::Connect(format!("udp connect failed: {e}")))?;
        } else {
            s.connect_timeout(&o.addr.into(), o.timeout)
                .map_err(|e| Error::Connect(format!("tcp connect failed: {}", os_message(&e))))?;
        }
        let local = s
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .unwrap_or(o.addr);
        let sock = if o.udp {
            Sock::Udp(s.into())
        } else {
            let t: TcpStream = s.into();
            let _ = t.set_write_timeout(Some(o.timeout));
            let _ = t.set_read_timeout(Some(Duration::from_millis(200)));
            Sock::Tcp(t)
        };
        let tcp = match &sock {
            Sock::Tcp(t) => tcp_facts(t),
            Sock::Udp(_) => None,
        };
        on(Event::Connected {
            id,
            local,
            peer: o.addr,
            reverse: o.reverse,
            tcp,
        });
        streams.push(sock);
    }
    let start = Instant::now();
    let mut meters = Vec::new();
    let mut handles = Vec::new();
    for sock in streams {
        let m = Arc::new(Meter::default());
        meters.push(m.clone());
        let o = o.clone();
        let stop = stop.clone();
        handles.push(std::thread::spawn(move || {
            let end = match sock {
                Sock::Tcp(t) if o.reverse => tcp_receive(t, &o, &m, &stop, start),
                Sock::Tcp(t) => tcp_send(t, &o, &m, &stop, start),
                Sock::Udp(u) if o.reverse => udp_receive(u, &o, &m, &stop, start),
                Sock::Udp(u) => udp_send(u, &o, &m, &stop, start),
            };
            m.done.store(true, Ordering::SeqCst);
            end
        }));
    }
    let back_now = match (&back, o.dual) {
        (Some(l), Some(Dual::Simultaneous)) => {
            let (l, o, stop) = (l.try_clone().ok(), o.clone(), stop.clone());
            Some(std::thread::spawn(move || {
                l.and_then(|l| receive_back(&l, &o, &stop))
            }))
        }
        _ => None,
    };
    report_intervals(&meters, o.interval, start, o.reverse, on);
    let ends: Vec<StreamEnd> = handles
        .into_iter()
        .map(|h| {
            h.join().unwrap_or(StreamEnd {
                bytes: 0,
                end: 0.0,
                datagrams: 0,
                report: None,
                rx: None,
            })
        })
        .collect();
    let mut all_reports = true;
    let (mut sum_bytes, mut sum_end, mut sum_dg) = (0, 0f64, 0);
    for (i, e) in ends.iter().enumerate() {
        let id = i as u32 + 1;
        on(Event::Report(Report {
            id: Some(id),
            start: 0.0,
            end: e.end,
            bytes: e.bytes,
            udp: e.rx,
            last: true,
            reverse: o.reverse,
        }));
        if o.udp && !o.reverse {
            on(Event::Sent {
                id: Some(id),
                datagrams: e.datagrams,
                streams: 1,
            });
        }
        sum_bytes += e.bytes;
        sum_end = sum_end.max(e.end);
        sum_dg += e.datagrams;
    }
    if o.parallel > 1 {
        on(Event::Report(Report {
            id: None,
            start: 0.0,
            end: sum_end,
            bytes: sum_bytes,
            udp: None,
            last: true,
            reverse: o.reverse,
        }));
        if o.udp && !o.reverse {
            on(Event::Sent {
                id: None,
                datagrams: sum_dg,
                streams: o.parallel,
            });
        }
    }
    if o.udp && !o.reverse {
        for (i, e) in ends.iter().enumerate() {
            let id = i as u32 + 1;
            match e.report {
                Some((bytes, secs, st)) => on(Event::ServerReport(Report {
                    id: Some(id),
                    start: 0.0,
                    end: secs,
                    bytes,
                    udp: Some(st),
                    last: true,
                    reverse: false,
                })),
                None => {
                    all_reports = false;
                    on(Event::NoServerReport { id })
                }
            }
        }
    }
    let back_result = match (back_now, &back) {
        (Some(h), _) => h.join().ok().flatten(),
        (None, Some(l)) => receive_back(l, o, stop),
        (None, None) => None,
    };
    if let Some(dual) = o.dual {
        let id = o.parallel + 1;
        match back_result {
            Some(b) => {
                on(Event::Connected {
                    id,
                    local: b.local,
                    peer: b.peer,
                    reverse: false,
                    tcp: b.tcp,
                });
                on(Event::Report(Report {
                    id: Some(id),
                    start: 0.0,
                    end: b.end,
                    bytes: b.bytes,
                    udp: None,
                    last: true,
                    reverse: false,
                }));
            }
            None => {
                all_reports = false;
                on(Event::Warning(format!(
                    "the server did not connect back to port {} for the {} test within {} s",
                    o.listen_port,
                    if dual == Dual::Simultaneous {
                        "dual (-d)"
                    } else {
                        "tradeoff (-r)"
                    },
                    o.timeout.as_secs()
                )));
            }
        }
    }
    Ok(all_reports)
}

/// A listener for the server's connection back: every address, IPv4 and IPv6.
fn listen_back(port: u16) -> std::io::Result<std::net::TcpListener> {
    let addr = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
    let s = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
    let _ = s.set_only_v6(false);
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(8)?;
    let l: std::net::TcpListener = s.into();
    l.set_nonblocking(true)?;
    Ok(l)
}

/// What the connection back brought.
struct Back {
    local: SocketAddr,
    peer: SocketAddr,
    tcp: Option<TcpFacts>,
    bytes: u64,
    end: f64,
}

/// Waits (bounded) for the server's connection back from the server's address, and counts
/// what it sends until it closes.
fn receive_back(l: &std::net::TcpListener, o: &ClientOptions, stop: &AtomicBool) -> Option<Back> {
    let until = Instant::now() + o.timeout;
    let (mut t, peer) = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= until {
            return None;
        }
        match l.accept() {
            Ok((t, peer)) if plain(peer).ip() == plain(o.addr).ip() => break (t, plain(peer)),
            // Someone else: not the server's connection back.
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let _ = t.set_nonblocking(false);
    let _ = t.set_read_timeout(Some(Duration::from_millis(100)));
    let local = t.local_addr().map(plain).unwrap_or(peer);
    let tcp = tcp_facts(&t);
    let start = Instant::now();
    let limit = match o.amount {
        Amount::Time(s) => Duration::from_secs_f64(s) + o.timeout * 2,
        Amount::Bytes(_) => Duration::from_secs(3600),
    };
    let mut buf = vec![0u8; MAX_READ];
    let (mut bytes, mut end, mut idle) = (0u64, 0.0, Instant::now());
    while !stop.load(Ordering::Relaxed) && start.elapsed() < limit && idle.elapsed() < o.timeout {
        match t.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes += n as u64;
                end = start.elapsed().as_secs_f64();
                idle = Instant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    Some(Back {
        local,
        peer,
        tcp,
        bytes,
        end,
    })
}

/// Emits interval reports (per stream, and the sum for several) until every meter is done.
fn report_intervals(
    meters: &[Arc<Meter>],
    interval: f64,
    start: Instant,
    reverse: bool,
    on: &mut dyn FnMut(Event),
) {
    let mut last: Vec<u64> = vec![0; meters.len()];
    let mut k = 1u32;
    loop {
        let all_done = meters.iter().all(|m| m.done.load(Ordering::SeqCst));
        if all_done {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
        if interval <= 0.0 {
            continue;
        }
        let at = interval * f64::from(k);
        if start.elapsed().as_secs_f64() < at {
            continue;
        }
        // A stream that ended before this interval's end leaves it to the total.
        if meters.iter().any(|m| m.done.load(Ordering::SeqCst)) {
            continue;
        }
        let mut sum = 0;
        for (i, m) in meters.iter().enumerate() {
            let b = m.bytes.load(Ordering::Relaxed);
            let d = b - last[i];
            last[i] = b;
            sum += d;
            on(Event::Report(Report {
                id: Some(i as u32 + 1),
                start: at - interval,
                end: at,
                bytes: d,
                udp: None,
                last: false,
                reverse,
            }));
        }
        if meters.len() > 1 {
            on(Event::Report(Report {
                id: None,
                start: at - interval,
                end: at,
                bytes: sum,
                udp: None,
                last: false,
                reverse,
            }));
        }
        k += 1;
    }
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

fn tcp_send(
    mut t: TcpStream,
    o: &ClientOptions,
    m: &Meter,
    stop: &AtomicBool,
    start: Instant,
) -> StreamEnd {
    let mut buf = vec![0u8; o.len.max(TCP_HEADER_LEN)];
    pattern(&mut buf);
    let header = client_header(o, false);
    let mut sent: u64 = 0;
    let limit = match o.amount {
        Amount::Bytes(b) => b,
        Amount::Time(_) => u64::MAX,
    };
    let deadline = match o.amount {
        Amount::Time(t) => Some(start + Duration::from_secs_f64(t)),
        Amount::Bytes(_) => None,
    };
    // The header goes alone in the first write, as iperf 2.1.8 writes it.
    let first = (TCP_HEADER_LEN as u64).min(limit) as usize;
    let mut ok = t.write_all(&header[..first]).is_ok();
    if ok {
        sent += first as u64;
        m.bytes.store(sent, Ordering::Relaxed);
    }
    while ok && sent < limit && !stop.load(Ordering::Relaxed) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let n = ((limit - sent).min(o.len as u64)) as usize;
        match t.write(&buf[..n]) {
            Ok(0) => ok = false,
            Ok(w) => {
                sent += w as u64;
                m.bytes.store(sent, Ordering::Relaxed);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => ok = false,
        }
    }
    let end = secs(start);
    let _ = t.shutdown(Shutdown::Write);
    // Wait (bounded) for the server to close, so its count is final before ours prints.
    let until = Instant::now() + o.timeout;
    let mut sink = [0u8; 4096];
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        match t.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    StreamEnd {
        bytes: sent,
        end,
        datagrams: 0,
        report: None,
        rx: None,
    }
}

fn tcp_receive(
    mut t: TcpStream,
    o: &ClientOptions,
    m: &Meter,
    stop: &AtomicBool,
    start: Instant,
) -> StreamEnd {
    let header = client_header(o, false);
    let mut got = 0u64;
    let mut end = 0.0;
    if t.write_all(&header).is_ok() {
        let mut buf = vec![0u8; MAX_READ];
        let mut idle = Instant::now();
        let deadline = match o.amount {
            Amount::Time(t) => Some(start + Duration::from_secs_f64(t) + o.timeout),
            Amount::Bytes(_) => None,
        };
        while !stop.load(Ordering::Relaxed) {
            if deadline.is_some_and(|d| Instant::now() >= d) || idle.elapsed() > o.timeout {
                break;
            }
            match t.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    got += n as u64;
                    m.bytes.store(got, Ordering::Relaxed);
                    end = secs(start);
                    idle = Instant::now();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
    StreamEnd {
        bytes: got,
        end,
        datagrams: 0,
        report: None,
        rx: None,
    }
}

fn udp_send(
    u: UdpSocket,
    o: &ClientOptions,
    m: &Meter,
    stop: &AtomicBool,
    start: Instant,
) -> StreamEnd {
    let mut buf = vec![0u8; o.len];
    buf[UDP_DGRAM_LEN..UDP_HEADER_LEN].copy_from_slice(&client_header(o, true)[..60]);
    let (id, mut sent) = send_paced(
        &mut |b| u.send(b),
        &mut buf,
        o.rate,
        o.amount,
        stop,
        start,
        &mut |sent| m.bytes.store(sent, Ordering::Relaxed),
    );
    // The FIN: the last datagram, its id negated; resent until the report comes.
    let end = secs(start);
    let _ = u.set_read_timeout(Some(Duration::from_millis(250)));
    let mut report = None;
    let mut answer = vec![0u8; MAX_READ];
    let mut fin_sent = false;
    for _ in 0..FIN_TRIES {
        put_datagram(&mut buf, -id);
        if u.send(&buf).is_ok() && !fin_sent {
            fin_sent = true;
            sent += buf.len() as u64;
            m.bytes.store(sent, Ordering::Relaxed);
        }
        match u.recv(&mut answer) {
            Ok(n) => {
                if let Some(r) = parse_server_report(&answer[..n]) {
                    report = Some(r);
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    StreamEnd {
        bytes: sent,
        end,
        datagrams: id as u64 + 1,
        report,
        rx: None,
    }
}

/// Sends datagrams of `buf`'s length paced to `rate` bits/s for `amount`, numbered from 1.
/// Returns the next id (the FIN's, negated, is the caller's to send) and the bytes sent.
fn send_paced(
    send: &mut dyn FnMut(&[u8]) -> std::io::Result<usize>,
    buf: &mut [u8],
    rate: u64,
    amount: Amount,
    stop: &AtomicBool,
    start: Instant,
    progress: &mut dyn FnMut(u64),
) -> (i64, u64) {
    let ipg = if rate > 0 {
        Duration::from_secs_f64((buf.len() as f64 * 8.0) / rate as f64)
    } else {
        Duration::ZERO
    };
    let limit = match amount {
        Amount::Bytes(b) => b,
        Amount::Time(_) => u64::MAX,
    };
    let deadline = match amount {
        Amount::Time(t) => Some(start + Duration::from_secs_f64(t.min(3600.0))),
        Amount::Bytes(_) => None,
    };
    let mut id: i64 = 1;
    let mut sent = 0u64;
    let mut next = start;
    while sent < limit && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if next > now {
            std::thread::sleep(next - now);
        }
        next += ipg;
        put_datagram(buf, id);
        // No buffer space, or a port unreachable from an earlier datagram: go on.
        if let Ok(n) = send(buf) {
            sent += n as u64;
            id += 1;
            progress(sent);
        }
    }
    (id, sent)
}

/// UDP -R, the client's side: one header datagram (resent while nothing comes back), then
/// the server's datagrams until its FIN (sent once: no report exchange), a silence of
/// `o.timeout`, or the test's time plus `o.timeout`.
fn udp_receive(
    u: UdpSocket,
    o: &ClientOptions,
    m: &Meter,
    stop: &AtomicBool,
    start: Instant,
) -> StreamEnd {
    let mut hdr = vec![0u8; o.len];
    hdr[UDP_DGRAM_LEN..UDP_HEADER_LEN].copy_from_slice(&client_header(o, true)[..60]);
    let _ = u.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = vec![0u8; MAX_READ];
    let mut rx = UdpRx::default();
    let (mut bytes, mut end, mut got_any) = (0u64, 0.0, false);
    let limit = match o.amount {
        Amount::Time(t) => Duration::from_secs_f64(t) + o.timeout,
        Amount::Bytes(_) => Duration::from_secs(3600),
    };
    let mut asked = Instant::now() - Duration::from_secs(1);
    let mut idle = Instant::now();
    while !stop.load(Ordering::Relaxed) && start.elapsed() < limit && idle.elapsed() < o.timeout {
        if !got_any && asked.elapsed() >= Duration::from_millis(500) {
            put_datagram(&mut hdr, 1);
            let _ = u.send(&hdr);
            asked = Instant::now();
        }
        match u.recv(&mut buf) {
            Ok(n) => {
                let Some((id, sent)) = datagram_id(&buf[..n]) else {
                    continue;
                };
                got_any = true;
                idle = Instant::now();
                let (wall, _, _) = now_parts();
                rx.datagram(id.unsigned_abs(), sent, wall);
                bytes += n as u64;
                end = secs(start);
                m.bytes.store(bytes, Ordering::Relaxed);
                if id < 0 {
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    StreamEnd {
        bytes,
        end,
        datagrams: 0,
        report: None,
        rx: Some(stats(&rx)),
    }
}

/// The bits per second the server's UDP senders may still take (`u64::MAX` when uncapped).
#[derive(Clone)]
struct Budget(Arc<std::sync::atomic::AtomicU64>);

impl Budget {
    fn new(cap: u64) -> Budget {
        Budget(Arc::new(std::sync::atomic::AtomicU64::new(if cap == 0 {
            u64::MAX
        } else {
            cap
        })))
    }

    /// Takes `asked`, or what is left when that is less; `None` when nothing is left.
    fn take(&self, asked: u64) -> Option<u64> {
        let mut got = 0;
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                got = asked.min(left);
                (left != u64::MAX).then_some(left - got)
            });
        (got > 0).then_some(got)
    }

    fn give_back(&self, rate: u64) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                (left != u64::MAX).then_some(left.saturating_add(rate))
            });
    }
}

/// UDP -R, the server's side: send to the client at `rate` (its own, or what the server's
/// budget had left) for its amount, then the FIN once.
fn udp_serve_reverse(
    u: UdpSocket,
    peer: SocketAddr,
    h: PeerHeader,
    rate: u64,
    id: u32,
    stop: &AtomicBool,
    tx: &mpsc::Sender<Event>,
) {
    let len = match h.len {
        0 => 1470,
        n => (n as usize).clamp(UDP_DGRAM_LEN, 65_507),
    };
    let mut buf = vec![0u8; len];
    pattern(&mut buf);
    let start = Instant::now();
    let (next, mut sent) = send_paced(
        &mut |b| u.send_to(b, peer),
        &mut buf,
        rate,
        Amount::from_wire(h.amount),
        stop,
        start,
        &mut |_| {},
    );
    let end = secs(start);
    put_datagram(&mut buf, -next);
    if u.send_to(&buf, peer).is_ok() {
        sent += buf.len() as u64;
    }
    let _ = tx.send(Event::Report(Report {
        id: Some(id),
        start: 0.0,
        end,
        bytes: sent,
        udp: None,
        last: true,
        reverse: false,
    }));
    let _ = tx.send(Event::Sent {
        id: Some(id),
        datagrams: next as u64 + 1,
        streams: 1,
    });
}

/// Opens the server's socket: `[::]` dual-stack unless `bind` says otherwise.
fn server_socket(o: &ServerOptions) -> Result<(Socket, SocketAddr), Error> {
    let ip = o.bind.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    let addr = SocketAddr::new(ip, o.port);
    let s = if o.udp {
        Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
    } else {
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
    }
    .map_err(|e| Error::Listen(format!("cannot create a socket: {e}")))?;
    if addr.is_ipv6() && o.bind.is_none() {
        let _ = s.set_only_v6(false);
    }
    // TCP: a restarted server binds past TIME_WAIT. Not UDP, where it would let two servers
    // share the port and split the datagrams between them.
    if !o.udp {
        let _ = s.set_reuse_address(true);
    }
    set_buffer(&s, o.window, false);
    s.bind(&addr.into()).map_err(|e| {
        Error::Listen(format!(
            "cannot listen on {} port {}: {e}",
            if o.udp { "UDP" } else { "TCP" },
            o.port
        ))
    })?;
    if !o.udp {
        s.listen(128)
            .map_err(|e| Error::Listen(format!("listen failed: {e}")))?;
    }
    Ok((s, addr))
}

/// The address `ip` looks like from here (an IPv4-mapped IPv6 address as IPv4).
fn plain(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => a,
        },
        SocketAddr::V4(_) => a,
    }
}

/// Runs a server until `stop` (or after one test with `one_shot`); events go to `on`.
pub fn serve(
    o: &ServerOptions,
    stop: &Arc<AtomicBool>,
    on: &mut dyn FnMut(Event),
) -> Result<(), Error> {
    let (s, _) = server_socket(o)?;
    on(Event::Listening {
        udp: o.udp,
        port: o.port,
        buffer: s.recv_buffer_size().unwrap_or(0) as u64,
        requested: o.window.map(|w| w as u64),
        one_shot: o.one_shot,
    });
    if o.udp {
        serve_udp(s.into(), o, stop, on)
    } else {
        serve_tcp(s, o, stop, on)
    }
}

fn serve_tcp(
    l: Socket,
    o: &ServerOptions,
    stop: &Arc<AtomicBool>,
    on: &mut dyn FnMut(Event),
) -> Result<(), Error> {
    let l: std::net::TcpListener = l.into();
    l.set_nonblocking(true)
        .map_err(|e| Error::Listen(format!("listen failed: {e}")))?;
    let (tx, rx) = mpsc::channel::<Event>();
    let ids = Arc::new(AtomicU32::new(1));
    let mut active: Vec<std::thread::JoinHandle<()>> = Vec::new();
    let mut served = 0u32;
    let mut first_peer: Option<IpAddr> = None;
    loop {
        while let Ok(ev) = rx.try_recv() {
            on(ev);
        }
        active.retain(|h| !h.is_finished());
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if o.one_shot && served > 0 && active.is_empty() {
            break;
        }
        match l.accept() {
            Ok((t, peer)) => {
                let peer = plain(peer);
                if o.one_shot && served > 0 && first_peer != Some(peer.ip()) {
                    // -1: one client's test (all its -P streams); others are turned away.
                    drop(t);
                    continue;
                }
                if active.len() >= MAX_CONNS {
                    // More at once than any real test opens: turned away unread.
                    drop(t);
                    continue;
                }
                first_peer.get_or_insert(peer.ip());
                served += 1;
                let id = ids.fetch_add(1, Ordering::SeqCst);
                let ids = ids.clone();
                let tx = tx.clone();
                let stop = stop.clone();
                let interval = o.interval;
                active.push(std::thread::spawn(move || {
                    tcp_serve_one(t, peer, (id, &ids), interval, &stop, &tx)
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Listen(format!("accept failed: {e}"))),
        }
    }
    for h in active {
        let _ = h.join();
    }
    while let Ok(ev) = rx.try_recv() {
        on(ev);
    }
    Ok(())
}

fn tcp_serve_one(
    mut t: TcpStream,
    peer: SocketAddr,
    (id, ids): (u32, &AtomicU32),
    interval: f64,
    stop: &Arc<AtomicBool>,
    tx: &mpsc::Sender<Event>,
) {
    let _ = t.set_nonblocking(false);
    let _ = t.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = t.set_write_timeout(Some(IDLE));
    let local = t.local_addr().map(plain).unwrap_or(peer);
    let start = Instant::now();
    let mut buf = vec![0u8; MAX_READ];
    // The header: the first bytes, read within the idle bound.
    let mut have = 0usize;
    while have < TCP_HEADER_LEN && start.elapsed() < IDLE && !stop.load(Ordering::Relaxed) {
        match t.read(&mut buf[have..TCP_HEADER_LEN]) {
            Ok(0) => break,
            Ok(n) => {
                have += n;
                if have >= 4 && parse_header(&buf[..have]).is_none() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let hdr = parse_header(&buf[..have]);
    let reverse = hdr.is_some_and(|h| h.reverse);
    let _ = tx.send(Event::Connected {
        id,
        local,
        peer,
        reverse,
        tcp: tcp_facts(&t),
    });
    // -d/-r: acknowledge as 2.1.8 does, then connect back to the client now (-d) or after
    // its test (-r), and send for the same amount.
    let back = hdr.filter(|h| h.flags & FLAG_VERSION1 != 0);
    if back.is_some() {
        let _ = t.write_all(&server_ack());
    }
    let mut dual = None;
    if let Some(h) = back.filter(|h| h.flags & FLAG_RUN_NOW != 0) {
        let bid = ids.fetch_add(1, Ordering::SeqCst);
        let tx = tx.clone();
        let stop = stop.clone();
        dual = Some(std::thread::spawn(move || {
            connect_back(peer, h, bid, &stop, &tx)
        }));
    }
    let report = |start_s: f64, end_s: f64, bytes: u64, last: bool| {
        let _ = tx.send(Event::Report(Report {
            id: Some(id),
            start: start_s,
            end: end_s,
            bytes,
            udp: None,
            last,
            reverse: false,
        }));
    };
    let mut total = have as u64;
    let mut end = start.elapsed().as_secs_f64();
    let mut mark = (0u64, 1u32);
    let mut tick = |total: u64, now: f64| {
        while interval > 0.0 && now >= interval * f64::from(mark.1) {
            let at = interval * f64::from(mark.1);
            report(at - interval, at, total - mark.0, false);
            mark = (total, mark.1 + 1);
        }
    };
    if let Some(h) = hdr.filter(|h| h.reverse) {
        let len = write_len(&h);
        pattern(&mut buf[..len]);
        let amount = Amount::from_wire(h.amount);
        let sent = send_amount(&mut t, &buf[..len], amount, start, stop, |sent, now| {
            tick(sent, now);
            end = now;
        });
        let _ = t.shutdown(Shutdown::Both);
        report(0.0, end, sent, true);
        return;
    }
    let mut idle = Instant::now();
    while !stop.load(Ordering::Relaxed) && idle.elapsed() < IDLE {
        match t.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                idle = Instant::now();
                end = start.elapsed().as_secs_f64();
                tick(total, end);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                tick(total, start.elapsed().as_secs_f64());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    report(0.0, end, total, true);
    if let Some(h) = dual {
        let _ = h.join();
    } else if let Some(h) = back {
        connect_back(peer, h, ids.fetch_add(1, Ordering::SeqCst), stop, tx);
    }
}

/// The write length a client's header asks the server to use; a client that gives none
/// (2.1.8 without -l sends 0) gets iperf 2's default, 128 KiB.
fn write_len(h: &PeerHeader) -> usize {
    match h.len {
        0 => 128 * 1024,
        n => (n as usize).clamp(1, MAX_READ),
    }
}

/// The 28-byte acknowledgement iperf 2.1.8's server writes to a -d/-r client: type 2,
/// length 28, no flags, version 2.1.8.
fn server_ack() -> [u8; 28] {
    let mut a = [0u8; 28];
    put(&mut a, 0, 2);
    put(&mut a, 4, 28);
    put(&mut a, 12, 0x0002_0001);
    put(&mut a, 16, 0x0008_0003);
    a
}

/// The server's half of -d/-r: connect to the client's listening port and send plain data
/// for the amount the client asked for.
fn connect_back(
    peer: SocketAddr,
    h: PeerHeader,
    id: u32,
    stop: &AtomicBool,
    tx: &mpsc::Sender<Event>,
) {
    let addr = SocketAddr::new(peer.ip(), h.port);
    let s = match Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Event::Warning(format!(
                "cannot connect back to {addr}: {e}"
            )));
            return;
        }
    };
    let buffer = s.send_buffer_size().unwrap_or(0) as u64;
    let _ = tx.send(Event::Connecting {
        host: addr.ip().to_string(),
        port: addr.port(),
        udp: false,
        len: h.len as usize,
        rate: 0,
        buffer,
        requested: None,
    });
    if let Err(e) = s.connect_timeout(&addr.into(), IDLE) {
        let _ = tx.send(Event::Warning(format!(
            "tcp connect back to {addr} failed: {}",
            os_message(&e)
        )));
        return;
    }
    let mut t: TcpStream = s.into();
    let _ = t.set_write_timeout(Some(IDLE));
    let local = t.local_addr().map(plain).unwrap_or(addr);
    let _ = tx.send(Event::Connected {
        id,
        local,
        peer: addr,
        reverse: true,
        tcp: tcp_facts(&t),
    });
    let len = write_len(&h);
    let mut buf = vec![0u8; len];
    pattern(&mut buf);
    let start = Instant::now();
    let amount = Amount::from_wire(h.amount);
    let sent = send_amount(&mut t, &buf, amount, start, stop, |_, _| {});
    let end = start.elapsed().as_secs_f64();
    let _ = t.shutdown(Shutdown::Write);
    let _ = tx.send(Event::Report(Report {
        id: Some(id),
        start: 0.0,
        end,
        bytes: sent,
        udp: None,
        last: true,
        reverse: true,
    }));
}

/// One UDP client as the server sees it.
struct Flow {
    id: u32,
    rx: UdpRx,
    bytes: u64,
    first_sent: f64,
    last_sent: f64,
    start: Instant,
    last_seen: Instant,
    mark: (u64, UdpRx, u32),
    /// After the FIN: the report datagram, when it went out, how often.
    finished: Option<([u8; REPORT_LEN], Instant, u32)>,
}

fn serve_udp(
    u: UdpSocket,
    o: &ServerOptions,
    stop: &Arc<AtomicBool>,
    on: &mut dyn FnMut(Event),
) -> Result<(), Error> {
    let (tx, events) = mpsc::channel::<Event>();
    let mut senders: Vec<std::thread::JoinHandle<()>> = Vec::new();
    let _ = u.set_read_timeout(Some(Duration::from_millis(20)));
    let mut flows: HashMap<SocketAddr, Flow> = HashMap::new();
    let mut next_id = 1u32;
    let mut served = 0u32;
    let mut first_peer: Option<IpAddr> = None;
    let mut buf = vec![0u8; MAX_READ];
    let port = o.port;
    let budget = Budget::new(o.max_udp_bitrate);
    while !stop.load(Ordering::Relaxed) {
        while let Ok(ev) = events.try_recv() {
            on(ev);
        }
        senders.retain(|h| !h.is_finished());
        let got = u.recv_from(&mut buf);
        let now = Instant::now();
        let (wall, _, _) = now_parts();
        if let Ok((n, peer)) = got {
            let d = &buf[..n];
            if let Some((id, sent)) = datagram_id(d) {
                let known = flows.contains_key(&peer);
                let peer_ok = !o.one_shot || first_peer.is_none_or(|ip| ip == plain(peer).ip());
                if !known && flows.len() < MAX_FLOWS && peer_ok && id >= 0 {
                    first_peer.get_or_insert(plain(peer).ip());
                    served += 1;
                    let fid = next_id;
                    next_id += 1;
                    let rev = parse_header(&d[UDP_DGRAM_LEN.min(n)..]).filter(|h| h.reverse);
                    on(Event::Connected {
                        id: fid,
                        local: SocketAddr::new(local_ip_towards(peer), port),
                        peer: plain(peer),
                        reverse: rev.is_some(),
                        tcp: None,
                    });
                    if let Some(h) = rev {
                        // -R: we send; the client's datagrams after this one are ignored.
                        // Its rate comes out of the server's budget, returned at its end.
                        let asked = if h.rate > 0 {
                            u64::from(h.rate)
                        } else {
                            1024 * 1024
                        };
                        let rate = budget.take(asked);
                        if let (Some(rate), Ok(us)) = (rate, u.try_clone()) {
                            let (tx, stop, budget) = (tx.clone(), stop.clone(), budget.clone());
                            senders.push(std::thread::spawn(move || {
                                udp_serve_reverse(us, peer, h, rate, fid, &stop, &tx);
                                budget.give_back(rate);
                            }));
                        }
                        flows.insert(
                            peer,
                            Flow {
                                id: fid,
                                rx: UdpRx::default(),
                                bytes: 0,
                                first_sent: sent,
                                last_sent: sent,
                                start: now,
                                last_seen: now,
                                mark: (0, UdpRx::default(), 1),
                                finished: Some(([0u8; REPORT_LEN], now, FIN_TRIES)),
                            },
                        );
                        continue;
                    }
                    flows.insert(
                        peer,
                        Flow {
                            id: fid,
                            rx: UdpRx::default(),
                            bytes: 0,
                            first_sent: sent,
                            last_sent: sent,
                            start: now,
                            last_seen: now,
                            mark: (0, UdpRx::default(), 1),
                            finished: None,
                        },
                    );
                }
                if let Some(f) = flows.get_mut(&peer) {
                    if let Some((report, _, tries)) = &mut f.finished {
                        // A repeated FIN: the report did not arrive; send it again.
                        if id < 0 && *tries < FIN_TRIES {
                            let _ = u.send_to(&report[..], peer);
                            *tries += 1;
                        }
                    } else {
                        f.bytes += n as u64;
                        f.last_seen = now;
                        f.last_sent = sent;
                        f.rx.datagram(id.unsigned_abs(), sent, wall);
                        if id < 0 {
                            let dur = f.last_sent - f.first_sent;
                            let st = stats(&f.rx);
                            udp_interval(f, dur, on, true);
                            let report = server_report(f.bytes, dur, &st);
                            let _ = u.send_to(&report[..], peer);
                            f.finished = Some((report, now, 1));
                        }
                    }
                }
            }
        }
        // Intervals, idle flows, and finished flows past their linger.
        let mut gone = Vec::new();
        for (peer, f) in flows.iter_mut() {
            match &f.finished {
                Some((_, at, _)) => {
                    if now.duration_since(*at) > Duration::from_secs(2) {
                        gone.push(*peer);
                    }
                }
                None => {
                    let t = f.last_sent - f.first_sent;
                    while o.interval > 0.0
                        && f.start.elapsed().as_secs_f64() >= o.interval * f64::from(f.mark.2)
                    {
                        let at = o.interval * f64::from(f.mark.2);
                        let rx = &f.rx;
                        let prev = &f.mark.1;
                        on(Event::Report(Report {
                            id: Some(f.id),
                            start: at - o.interval,
                            end: at,
                            bytes: f.bytes - f.mark.0,
                            udp: Some(UdpStats {
                                jitter_ms: rx.jitter * 1000.0,
                                lost: rx.cnt_error.saturating_sub(prev.cnt_error),
                                total: rx.packet_count.saturating_sub(prev.packet_count),
                                out_of_order: rx.outoforder.saturating_sub(prev.outoforder),
                            }),
                            last: false,
                            reverse: false,
                        }));
                        f.mark = (f.bytes, f.rx.clone(), f.mark.2 + 1);
                    }
                    if f.last_seen.elapsed() > IDLE {
                        // No FIN came: the test ends with what arrived.
                        udp_interval(f, t, on, true);
                        on(Event::Warning(format!(
                            "[{:3}] no datagram for {} s and no FIN: the client is gone",
                            f.id,
                            IDLE.as_secs()
                        )));
                        gone.push(*peer);
                    }
                }
            }
        }
        for p in gone {
            flows.remove(&p);
        }
        if o.one_shot && served > 0 && flows.is_empty() && senders.is_empty() {
            break;
        }
    }
    for h in senders {
        let _ = h.join();
    }
    drop(tx);
    while let Ok(ev) = events.try_recv() {
        on(ev);
    }
    Ok(())
}

fn udp_interval(f: &Flow, dur: f64, on: &mut dyn FnMut(Event), last: bool) {
    on(Event::Report(Report {
        id: Some(f.id),
        start: 0.0,
        end: dur,
        bytes: f.bytes,
        udp: Some(stats(&f.rx)),
        last,
        reverse: false,
    }));
}

/// Our address on the path to `peer` (what a connected socket would show).
fn local_ip_towards(peer: SocketAddr) -> IpAddr {
    let peer = plain(peer);
    let any: SocketAddr = if peer.is_ipv4() {
        "0.0.0.0:0".parse().expect("addr")
    } else {
        "[::]:0".parse().expect("addr")
    };
    UdpSocket::bind(any)
        .and_then(|s| {
            s.connect(peer)?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(peer.ip())
}

/// Writes `buf` again and again until `amount` is sent (bytes, or seconds from `start`, at most
/// an hour), `stop` is set or the peer goes away; `each(sent, seconds)` after every write.
/// Returns the bytes sent.
fn send_amount(
    t: &mut impl Write,
    buf: &[u8],
    amount: Amount,
    start: Instant,
    stop: &AtomicBool,
    mut each: impl FnMut(u64, f64),
) -> u64 {
    let deadline = match amount {
        Amount::Time(s) => Some(start + Duration::from_secs_f64(s.clamp(0.0, 3600.0))),
        Amount::Bytes(_) => None,
    };
    let limit = match amount {
        Amount::Bytes(b) => b,
        Amount::Time(_) => u64::MAX,
    };
    let mut sent = 0u64;
    while sent < limit && !stop.load(Ordering::Relaxed) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let n = ((limit - sent).min(buf.len() as u64)) as usize;
        match t.write(&buf[..n]) {
            Ok(0) => break,
            Ok(w) => sent += w as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        each(sent, start.elapsed().as_secs_f64());
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_as_iperf_2_1_8_writes_it() {
        let o = ClientOptions {
            host: "h".into(),
            addr: "127.0.0.1:5999".parse().unwrap(),
            udp: false,
            amount: Amount::Time(1.0),
            interval: 0.0,
            parallel: 1,
            rate: 0,
            len: 200,
            window: None,
            reverse: false,
            dual: None,
            listen_port: 0,
            timeout: Duration::from_secs(1),
        };
        let h = client_header(&o, false);
        // Captured from iperf 2.1.8 `-c 127.0.0.1 -p 5999 -t 1 -l 200`.
        assert_eq!(
            &h[..24],
            &[
                0x40, 0x01, 0x00, 0x78, 0, 0, 0, 1, 0, 0, 0x17, 0x6f, 0, 0, 0, 0xc8, 0, 0, 0, 0,
                0xff, 0xff, 0xff, 0x9c
            ]
        );
        let p = parse_header(&h).unwrap();
        assert_eq!(p.amount, -100);
        assert!(!p.reverse);
        let r = client_header(
            &ClientOptions {
                reverse: true,
                ..o.clone()
            },
            false,
        );
        assert_eq!(&r[..4], &[0x44, 0x01, 0x00, 0x78]);
        assert!(parse_header(&r).unwrap().reverse);
        assert!(parse_header(b"0123456789").is_none());
    }

    #[test]
    fn the_budget_shares_a_cap_and_takes_it_back() {
        let b = Budget::new(10);
        assert_eq!(b.take(4), Some(4));
        assert_eq!(b.take(8), Some(6));
        assert_eq!(b.take(1), None);
        b.give_back(6);
        assert_eq!(b.take(100), Some(6));
        let free = Budget::new(0);
        assert_eq!(free.take(u64::from(u32::MAX)), Some(u64::from(u32::MAX)));
        free.give_back(5);
        assert_eq!(free.take(7), Some(7));
    }

    /// A UDP -R client on loopback asking 80 Mbit/s of a server capped at 8 Mbit/s in all
    /// (two flows) gets about 1 MB in its second, not the 10 MB it asked for.
    #[test]
    fn udp_reverse_senders_share_the_servers_cap() {
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let server = ServerOptions {
            port,
            bind: Some("127.0.0.1".parse().unwrap()),
            udp: true,
            interval: 0.0,
            window: None,
            one_shot: false,
            max_udp_bitrate: 8_000_000,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let s_stop = stop.clone();
        let srv = std::thread::spawn(move || serve(&server, &s_stop, &mut |_| {}));
        std::thread::sleep(Duration::from_millis(300));
        let o = ClientOptions {
            host: "127.0.0.1".into(),
            addr: SocketAddr::new("127.0.0.1".parse().unwrap(), port),
            udp: true,
            amount: Amount::Time(1.0),
            interval: 0.0,
            parallel: 2,
            rate: 80_000_000,
            len: 1470,
            window: None,
            reverse: true,
            dual: None,
            listen_port: 0,
            timeout: Duration::from_secs(2),
        };
        let mut got = 0u64;
        let c_stop = Arc::new(AtomicBool::new(false));
        let _ = client(&o, &c_stop, &mut |e| {
            if let Event::Report(r) = e {
                if r.last && r.id.is_some() {
                    got += r.bytes;
                }
            }
        });
        stop.store(true, Ordering::SeqCst);
        let _ = srv.join();
        assert!(
            got > 200_000 && got < 1_600_000,
            "{got} bytes in 1 s under an 8 Mbit/s cap"
        );
    }

    #[test]
    fn server_report_round_trip() {
        let st = UdpStats {
            jitter_ms: 0.007,
            lost: 1,
            total: 16,
            out_of_order: 0,
        };
        let r = server_report(1600, 0.109533, &st);
        let (b, s, got) = parse_server_report(&r).unwrap();
        assert_eq!(b, 1600);
        assert!((s - 0.109533).abs() < 1e-6);
        assert_eq!((got.lost, got.total), (1, 16));
        assert!((got.jitter_ms - 0.007).abs() < 1e-6);
    }

    #[test]
    fn fin_ids_are_negative_in_64_bits() {
        let mut d = vec![0u8; UDP_HEADER_LEN];
        put(&mut d, UDP_DGRAM_LEN, FLAG_EXTEND | FLAG_SEQNO64B);
        put_datagram(&mut d, -16);
        // Captured: id 0xfffffff0, id2 0xffffffff.
        assert_eq!(&d[0..4], &[0xff, 0xff, 0xff, 0xf0]);
        assert_eq!(&d[12..16], &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(datagram_id(&d).unwrap().0, -16);
    }
}
