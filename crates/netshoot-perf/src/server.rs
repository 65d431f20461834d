//! The server: one test at a time on one port; a second client gets ACCESS_DENIED ("server is
//! busy") as from iperf3 `-s`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::client::stream_id;
use crate::event::Event;
use crate::proto::{self, state, COOKIE_SIZE};
use crate::stream::{Sock, Stream};
use crate::{Ending, Error, Outcome, Spec};

/// Server options.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Port (TCP for control and TCP streams, UDP for UDP streams).
    pub port: u16,
    /// Address to bind (default: every address, IPv4 and IPv6).
    pub bind: Option<IpAddr>,
    /// Serve one test, then exit (iperf3 `-1`).
    pub one_off: bool,
    /// Seconds between interval reports (0: none).
    pub interval: f64,
    /// Whole-step deadline: for the client's cookie and parameters together (from the
    /// connection), for its data streams, and for the results exchange.
    pub timeout: Duration,
    /// What a client may ask for.
    pub limits: Limits,
}

/// Bounds on what a client may ask of the server: every parameter is the client's to choose.
/// Over a bound, the client gets iperf3's SERVER_ERROR with the nearest iperf3 error number (a
/// real iperf3 client prints "iperf3: error - …") and the server goes on serving.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Most parallel streams (each direction); iperf3's own maximum is 128.
    pub max_streams: u32,
    /// Largest block / datagram length; iperf3's own maximum is 1 MiB (TCP).
    pub max_block: usize,
    /// Largest sum of the streams' buffers (each stream's block buffers, both directions).
    pub max_buffers: u64,
    /// Longest test, seconds (`-t` plus `-O`); a byte- or block-count test is ended past it.
    pub max_duration: f64,
    /// Most bits per second the server sends in a UDP reverse or bidirectional test, summed
    /// over its sending streams (0: no cap). UDP has no congestion control: whatever the
    /// client asks (`-b 0` is unlimited) goes out, so the server caps it.
    pub max_udp_bitrate: u64,
    /// The same for TCP (0: no cap, the default: a TCP receiver must acknowledge what it gets,
    /// and congestion control slows the sender to what the path and the peer take).
    pub max_tcp_bitrate: u64,
}

/// The default of [`Limits::max_udp_bitrate`]: 1 Gbit/s.
pub const MAX_UDP_BITRATE: u64 = 1_000_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_streams: MAX_STREAMS,
            max_block: MAX_BLOCKSIZE,
            max_buffers: 128 << 20,
            max_duration: 3600.0,
            max_udp_bitrate: MAX_UDP_BITRATE,
            max_tcp_bitrate: 0,
        }
    }
}

/// iperf3's `MAX_STREAMS`.
pub const MAX_STREAMS: u32 = 128;
/// iperf3's `MAX_BLOCKSIZE` (TCP).
pub const MAX_BLOCKSIZE: usize = 1 << 20;
/// iperf3's `MAX_UDP_BLOCKSIZE` (65535 - 8 - 20).
pub const MAX_UDP_BLOCKSIZE: usize = 65_507;
/// iperf3's `MIN_UDP_BLOCKSIZE` (4 + 4 + 8).
pub const MIN_UDP_BLOCKSIZE: usize = 16;
/// iperf3's `MAX_TIME`, seconds.
pub const MAX_TIME: f64 = 86_400.0;
/// iperf3's `MAX_OMIT_TIME`, seconds.
pub const MAX_OMIT_TIME: f64 = 600.0;
/// iperf3's `MAX_TCP_BUFFER`.
pub const MAX_TCP_BUFFER: u64 = 512 << 20;
/// iperf3's `MAX_MSS`.
pub const MAX_MSS: u32 = 32 * 1024 - 1;

/// Why a client's test is refused: iperf3's error number and errno for the client, and one
/// line for the server's operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// iperf3's `i_errno` (see [`proto::ierr`]).
    pub ierrno: i32,
    /// The errno sent with it.
    pub errno: i32,
    /// What was refused and which flag raises the bound.
    pub why: String,
}

fn refuse(ierrno: i32, errno: i32, why: String) -> Result<(), Refusal> {
    Err(Refusal { ierrno, errno, why })
}

/// Bytes of buffers the server's workers may allocate for `spec` (see `stream`), counted per
/// stream though a test's TCP streams share theirs (an upper bound): a TCP sender's block, a
/// TCP receiver's sink (`sys::Sink::PIECE`, whatever the block), a UDP receiver's 64 datagrams
/// of `-l` bytes.
pub fn buffers_for(spec: &Spec) -> u64 {
    let p = u64::from(spec.parallel);
    let len = spec.len as u64;
    let recv = if spec.udp {
        (crate::stream::UDP_BATCH * crate::stream::udp_read_len(spec.len)) as u64
    } else {
        crate::sys::Sink::PIECE as u64
    };
    let send = len.max(16);
    let (receivers, senders) = if spec.bidir {
        (p, p)
    } else if spec.reverse {
        (0, p)
    } else {
        (p, 0)
    };
    receivers.saturating_mul(recv) + senders.saturating_mul(send)
}

impl Limits {
    /// The per-stream rate the server sends `spec` at: the client's `-b` (0: unlimited),
    /// lowered so that the server's sending streams together stay within the cap of the
    /// protocol. `Some((asked, capped))` when it was lowered.
    pub fn cap_rate(&self, spec: &Spec) -> Option<(u64, u64)> {
        let senders = if spec.reverse || spec.bidir {
            u64::from(spec.parallel.max(1))
        } else {
            return None;
        };
        let cap = if spec.udp {
            self.max_udp_bitrate
        } else {
            self.max_tcp_bitrate
        };
        if cap == 0 {
            return None;
        }
        let per = (cap / senders).max(1);
        (spec.rate == 0 || spec.rate > per).then_some((spec.rate, per))
    }

    /// Checks a client's test against iperf3's own bounds (those an iperf3 server checks) and
    /// these limits.
    pub fn check(&self, spec: &Spec) -> Result<(), Refusal> {
        use proto::ierr;
        if !(0.0..=MAX_TIME).contains(&spec.time) {
            return refuse(
                ierr::DURATION,
                0,
                format!("-t {}: iperf3 allows 0 to {MAX_TIME} s", spec.time),
            );
        }
        if !(0.0..=MAX_OMIT_TIME).contains(&spec.omit) {
            return refuse(
                ierr::OMIT,
                0,
                format!("-O {}: iperf3 allows 0 to {MAX_OMIT_TIME} s", spec.omit),
            );
        }
        if spec.parallel > self.max_streams {
            return refuse(
                ierr::NUMSTREAMS,
                0,
                format!(
                    "-P {} is over --max-streams {} (raise it to allow)",
                    spec.parallel, self.max_streams
                ),
            );
        }
        if spec.udp && !(MIN_UDP_BLOCKSIZE..=MAX_UDP_BLOCKSIZE).contains(&spec.len) {
            return refuse(
                ierr::UDPBLOCKSIZE,
                0,
                format!(
                    "-u -l {}: a UDP datagram is {MIN_UDP_BLOCKSIZE} to {MAX_UDP_BLOCKSIZE} bytes",
                    spec.len
                ),
            );
        }
        if spec.len > self.max_block {
            return refuse(
                ierr::BLOCKSIZE,
                0,
                format!(
                    "-l {} is over --max-block {} (raise it to allow)",
                    spec.len, self.max_block
                ),
            );
        }
        if spec.window > MAX_TCP_BUFFER {
            return refuse(
                ierr::BUFSIZE,
                0,
                format!("-w {}: iperf3 allows up to {MAX_TCP_BUFFER}", spec.window),
            );
        }
        if spec.mss > MAX_MSS {
            return refuse(
                ierr::MSS,
                0,
                format!("-M {}: iperf3 allows up to {MAX_MSS}", spec.mss),
            );
        }
        if spec.time + spec.omit > self.max_duration {
            return refuse(
                ierr::MAXSERVERTESTDURATIONEXCEEDED,
                0,
                format!(
                    "-t {} -O {} is over --max-duration {} s (raise it to allow)",
                    spec.time, spec.omit, self.max_duration
                ),
            );
        }
        let b = buffers_for(spec);
        if b > self.max_buffers {
            return refuse(
                ierr::NEWTEST,
                nix::libc::ENOMEM,
                format!(
                    "{} stream(s){} of -l {} need {b} bytes of buffers, over --max-buffers {} (raise it to allow)",
                    spec.parallel,
                    if spec.bidir { " each way" } else { "" },
                    spec.len,
                    self.max_buffers
                ),
            );
        }
        if let Some(c) = &spec.congestion {
            if let Err(why) = congestion_available(c) {
                return refuse(ierr::SETCONGESTION, nix::libc::ENOENT, why);
            }
        }
        Ok(())
    }
}

/// Where the kernel lists the congestion controls that are loaded.
const AVAILABLE_CC: &str = "/proc/sys/net/ipv4/tcp_available_congestion_control";

/// Whether a client's congestion-control name may go to setsockopt(TCP_CONGESTION): of the
/// kernel's form (1 to 15 of `[A-Za-z0-9_-]`) and already loaded (as root, an unknown name
/// would make the kernel try to load a module named after it).
pub fn congestion_available(name: &str) -> Result<(), String> {
    let shown: String = netshoot_wire::text::escape(name).chars().take(40).collect();
    if name.is_empty()
        || name.len() > 15
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "-C \"{shown}\" is not a congestion control name (1 to 15 letters, digits, _ or -)"
        ));
    }
    let mut list = String::new();
    let read =
        std::fs::File::open(AVAILABLE_CC).and_then(|f| f.take(4096).read_to_string(&mut list));
    if let Err(e) = read {
        return Err(format!(
            "-C {name}: cannot read {AVAILABLE_CC} ({e}) to check the name"
        ));
    }
    if list.split_whitespace().any(|c| c == name) {
        Ok(())
    } else {
        Err(format!(
            "-C {name} is not available here (available: {}; load its module on the server's host)",
            list.trim()
        ))
    }
}

fn bind_addr(o: &ServerOptions) -> SocketAddr {
    SocketAddr::new(o.bind.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)), o.port)
}

fn socket(o: &ServerOptions, ty: Type, proto: Protocol) -> Result<Socket, Error> {
    let addr = bind_addr(o);
    let s = Socket::new(Domain::for_address(addr), ty, Some(proto))
        .map_err(|e| Error::Usage(format!("socket: {e}")))?;
    let _ = s.set_reuse_address(true);
    if ty == Type::DGRAM {
        let _ = s.set_reuse_port(true);
    }
    if addr.is_ipv6() && o.bind.is_none() {
        let _ = s.set_only_v6(false);
    }
    s.bind(&addr.into()).map_err(|e| {
        Error::Usage(format!(
            "cannot listen on {} port {}: {e}",
            o.bind.map(|a| a.to_string()).unwrap_or_else(|| "*".into()),
            o.port
        ))
    })?;
    Ok(s)
}

/// Listens and serves tests until interrupted (or after one with `one_off`); `on_event` gets
/// what happens, each test's outcome as [`Event::Finished`].
pub fn serve(
    o: &ServerOptions,
    interrupt: &AtomicBool,
    on_event: &mut dyn FnMut(&Event),
) -> Result<i32, Error> {
    let s = socket(o, Type::STREAM, Protocol::TCP)?;
    s.listen(16)
        .map_err(|e| Error::Usage(format!("listen: {e}")))?;
    let listener: TcpListener = s.into();
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Usage(format!("listener: {e}")))?;
    let mut tests = 0;
    let mut status = 0;
    loop {
        on_event(&Event::Listening {
            port: o.port,
            test: tests + 1,
        });
        let ctrl = loop {
            if interrupt.load(Ordering::SeqCst) {
                return Ok(status);
            }
            match listener.accept() {
                Ok((c, _)) => break c,
                Err(e) if proto::is_timeout(&e) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(Error::Control(format!("accept: {e}"))),
            }
        };
        tests += 1;
        match one_test(o, &listener, ctrl, interrupt, on_event) {
            Ok(out) => {
                if out.ending != Ending::Done {
                    status = 1;
                }
                on_event(&Event::Finished { outcome: &out });
            }
            Err(Error::Interrupted) => return Ok(status),
            Err(e) => {
                status = 1;
                on_event(&Event::TestFailed {
                    test: tests,
                    error: &e.to_string(),
                });
            }
        }
        if o.one_off || interrupt.load(Ordering::SeqCst) {
            return Ok(status);
        }
    }
}

/// Answers every connection with ACCESS_DENIED until `stop` (iperf3's busy server).
fn doorman(listener: TcpListener, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((mut c, _)) => {
                    let _ = c.set_nonblocking(false);
                    let _ = c.write_all(&[state::ACCESS_DENIED as u8]);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    })
}

fn accept_tcp_stream(
    listener: &TcpListener,
    cookie: &[u8],
    deadline: Instant,
    interrupt: &AtomicBool,
) -> Result<TcpStream, Error> {
    loop {
        if interrupt.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        if Instant::now() > deadline {
            return Err(Error::Stream(
                "the client did not open its data streams in time".into(),
            ));
        }
        match listener.accept() {
            Ok((mut c, _)) => {
                let _ = c.set_nonblocking(false);
                let mut got = [0u8; COOKIE_SIZE];
                // A client sends its cookie as soon as it connects: a silent connection may
                // hold the accept loop for a few seconds, not for the whole setup.
                let by = deadline.min(Instant::now() + Duration::from_secs(3));
                if proto::read_exact_by(&mut c, &mut got, by, interrupt).is_ok()
                    && got[..] == cookie[..]
                {
                    let _ = c.set_read_timeout(None);
                    return Ok(c);
                }
                // Another client (or a stray connection): the server is busy.
                let _ = c.write_all(&[state::ACCESS_DENIED as u8]);
            }
            Err(e) if proto::is_timeout(&e) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Error::Stream(format!("accept: {e}"))),
        }
    }
}

/// Waits for the client's UDP "connect" datagram: only iperf3's connect value (4 bytes) from
/// the control connection's peer address counts; anything else is ignored (a datagram's source
/// is easy to forge, and whoever it names gets the stream's traffic in a reverse test).
/// Waits for the client's UDP connect datagram on `u`, connects `u` to its sender and answers;
/// with `another`, the listener for the client's next stream is bound before the answer (as
/// iperf3 does: the client sends its next connect datagram as soon as it has the answer, and
/// with no socket on the port it would get a port unreachable).
fn accept_udp_stream(
    o: &ServerOptions,
    u: UdpSocket,
    client: IpAddr,
    deadline: Instant,
    interrupt: &AtomicBool,
    another: bool,
) -> Result<(UdpSocket, Option<Socket>), Error> {
    let mut b = [0u8; 64];
    let mut ignored = 0u32;
    let peer = loop {
        if interrupt.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Stream(format!(
                "no UDP connect message from the client{}: is UDP to port {} filtered?",
                if ignored > 0 {
                    format!(" ({ignored} other datagram(s) ignored)")
                } else {
                    String::new()
                },
                o.port
            )));
        }
        let _ = u.set_read_timeout(Some(
            left.clamp(Duration::from_millis(1), Duration::from_millis(100)),
        ));
        match u.recv_from(&mut b) {
            Ok((n, from))
                if from.ip().to_canonical() == client.to_canonical()
                    && proto::is_udp_connect(&b[..n]) =>
            {
                break from
            }
            Ok(_) => ignored += 1,
            Err(e) if proto::is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Stream(format!("UDP connect message: {e}"))),
        }
    };
    u.connect(peer)
        .map_err(|e| Error::Stream(format!("UDP connect to {peer}: {e}")))?;
    let next = if another {
        Some(socket(o, Type::DGRAM, Protocol::UDP)?)
    } else {
        None
    };
    u.send(&proto::UDP_CONNECT_REPLY.to_ne_bytes())
        .map_err(|e| Error::Stream(format!("UDP connect reply: {e}")))?;
    let _ = u.set_read_timeout(None);
    Ok((u, next))
}

fn one_test(
    o: &ServerOptions,
    listener: &TcpListener,
    mut ctrl: TcpStream,
    interrupt: &AtomicBool,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Outcome, Error> {
    let peer_addr = ctrl
        .peer_addr()
        .map_err(|e| Error::Control(format!("control connection: {e}")))?;
    let peer = peer_addr.to_string();
    let _ = ctrl.set_nonblocking(false);
    let _ = ctrl.set_nodelay(true);
    let _ = ctrl.set_write_timeout(Some(o.timeout));
    // The cookie and the parameters must both arrive within the setup timeout, however they
    // trickle in; Ctrl-C ends the wait.
    let deadline = Instant::now() + o.timeout;
    let mut cookie = [0u8; COOKIE_SIZE];
    proto::read_exact_by(&mut ctrl, &mut cookie, deadline, interrupt).map_err(|e| match e {
        Error::Interrupted => e,
        e => Error::NotIperf(format!("(from {peer}) sent no iperf3 cookie: {e}")),
    })?;
    on_event(&Event::Accepted {
        address: peer_addr.ip(),
        port: peer_addr.port(),
    });
    proto::send_state(&mut ctrl, state::PARAM_EXCHANGE)?;
    let params = match proto::recv_json_by(&mut ctrl, proto::MAX_PARAMS_JSON, deadline, interrupt) {
        Ok(p) => p,
        Err(e) => {
            if !matches!(e, Error::Interrupted | Error::Closed) {
                let _ = proto::send_server_error(&mut ctrl, proto::ierr::RECVPARAMS, 0);
            }
            return Err(match e {
                Error::Timeout => Error::NotIperf(format!(
                    "(from {peer}) sent no test parameters within {:?}",
                    o.timeout
                )),
                e => e,
            });
        }
    };
    let mut spec = match Spec::from_params(&params) {
        Ok(s) => s,
        Err(e) => {
            let _ = proto::send_server_error(&mut ctrl, proto::ierr::RECVPARAMS, 0);
            return Err(e);
        }
    };
    if let Err(r) = o.limits.check(&spec) {
        // The client prints iperf3's text for the number; the operator gets ours.
        let _ = proto::send_server_error(&mut ctrl, r.ierrno, r.errno);
        return Err(Error::Refused(format!("(from {peer}) {}", r.why)));
    }
    if let Some((asked, capped)) = o.limits.cap_rate(&spec) {
        spec.rate = capped;
        on_event(&Event::RateCapped {
            asked,
            capped,
            streams: spec.parallel,
            udp: spec.udp,
        });
    }
    // The UDP listener exists before the client is told to connect.
    let mut udp_listener = if spec.udp {
        Some(socket(o, Type::DGRAM, Protocol::UDP)?)
    } else {
        None
    };
    proto::send_state(&mut ctrl, state::CREATE_STREAMS)?;
    let p = spec.parallel as usize;
    let (to_recv, to_send) = if spec.bidir {
        (p, p)
    } else if spec.reverse {
        (0, p)
    } else {
        (p, 0)
    };
    let deadline = Instant::now() + o.timeout;
    let mut streams = Vec::new();
    let mut socks = Vec::new();
    let mut congestion = None;
    for i in 0..to_recv + to_send {
        let sender = i >= to_recv;
        let sock = match udp_listener.take() {
            Some(l) => {
                crate::apply_sockopts(&l, &spec)?;
                let (u, next) = accept_udp_stream(
                    o,
                    l.into(),
                    peer_addr.ip(),
                    deadline,
                    interrupt,
                    i + 1 < to_recv + to_send,
                )?;
                udp_listener = next;
                Sock::Udp(u)
            }
            None => {
                let t = accept_tcp_stream(listener, &cookie, deadline, interrupt)?;
                let s2 = Socket::from(t);
                crate::apply_sockopts(&s2, &spec).ok();
                congestion = congestion.or_else(|| crate::congestion_of(&s2));
                Sock::Tcp(s2.into())
            }
        };
        let st = Stream::new(stream_id(i), sender, &sock)
            .map_err(|e| Error::Stream(format!("stream: {e}")))?;
        on_event(&st.connected());
        streams.push(st);
        socks.push(sock);
    }
    proto::send_state(&mut ctrl, state::TEST_START)?;
    proto::send_state(&mut ctrl, state::TEST_RUNNING)?;
    on_event(&Event::Running {
        udp: spec.udp,
        we_send: streams.iter().any(|s| s.sender),
    });

    let busy = Arc::new(AtomicBool::new(false));
    let door = listener.try_clone().ok().map(|l| doorman(l, busy.clone()));
    let mut ran = crate::run_streams(
        &mut ctrl,
        &streams,
        socks,
        &spec,
        o.interval,
        interrupt,
        false,
        o.limits.max_duration,
        on_event,
        &congestion,
    );
    let mut remote = None;
    if ran.ending == Ending::Done {
        let deadline = Instant::now() + o.timeout;
        let exchange = (|| -> Result<serde_json::Value, Error> {
            proto::send_state(&mut ctrl, state::EXCHANGE_RESULTS)?;
            let theirs = proto::recv_json_by(&mut ctrl, proto::MAX_JSON, deadline, interrupt)?;
            proto::send_json(&mut ctrl, &ran.mine)?;
            proto::send_state(&mut ctrl, state::DISPLAY_RESULTS)?;
            // IPERF_DONE, or the client just closes.
            let mut done = [0u8; 1];
            let _ = proto::read_exact_by(&mut ctrl, &mut done, deadline, interrupt);
            Ok(theirs)
        })();
        match exchange {
            Ok(v) => remote = Some(v),
            Err(e) => ran.ending = Ending::PeerLost(format!("exchanging results: {e}")),
        }
    }
    busy.store(true, Ordering::SeqCst);
    if let Some(d) = door {
        let _ = d.join();
    }
    Ok(ran.outcome(
        spec,
        &streams,
        remote.as_ref(),
        congestion,
        &cookie,
        false,
        peer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(f: impl FnOnce(&mut Spec)) -> Spec {
        let mut s = Spec::default();
        f(&mut s);
        s
    }

    /// Our client's -Z reaches our server's receivers (a key iperf3 ignores); the server's
    /// own senders stay plain, and a reverse test's receiver is the client itself.
    #[test]
    fn sendfile_is_announced_to_the_receiving_server() {
        let sent = |f: fn(&mut Spec)| Spec::from_params(&spec(f).to_params()).unwrap();
        let z = sent(|s| s.zerocopy = true);
        assert!(z.peer_zerocopy && !z.zerocopy);
        let zb = sent(|s| {
            s.zerocopy = true;
            s.bidir = true;
        });
        assert!(zb.peer_zerocopy);
        for plain in [
            sent(|_| {}),
            sent(|s| {
                s.zerocopy = true;
                s.reverse = true;
            }),
        ] {
            assert!(!plain.peer_zerocopy);
        }
    }

    /// By default a UDP reverse or bidirectional test is held to 1 Gbit/s in all (shared
    /// among the server's sending streams), TCP and the client-sends direction are not.
    #[test]
    fn the_default_caps_udp_sending_only() {
        let l = Limits::default();
        let udp_r = |rate, parallel| {
            spec(|s| {
                s.udp = true;
                s.reverse = true;
                s.rate = rate;
                s.parallel = parallel;
            })
        };
        assert_eq!(l.cap_rate(&udp_r(0, 1)), Some((0, 1_000_000_000)));
        assert_eq!(
            l.cap_rate(&udp_r(2_000_000_000, 4)),
            Some((2_000_000_000, 250_000_000))
        );
        assert_eq!(l.cap_rate(&udp_r(100_000_000, 4)), None);
        let bidir = spec(|s| {
            s.udp = true;
            s.bidir = true;
            s.parallel = 2;
        });
        assert_eq!(l.cap_rate(&bidir), Some((0, 500_000_000)));
        assert_eq!(
            l.cap_rate(&spec(|s| s.udp = true)),
            None,
            "the client sends"
        );
        assert_eq!(l.cap_rate(&spec(|s| s.reverse = true)), None, "TCP");
        let none = Limits {
            max_udp_bitrate: 0,
            ..Limits::default()
        };
        assert_eq!(none.cap_rate(&udp_r(0, 1)), None);
    }

    #[test]
    fn limits_fit_normal_use_and_refuse_abuse() {
        let l = Limits::default();
        for ok in [
            spec(|_| {}),
            spec(|s| {
                s.parallel = 128;
                s.bidir = true;
            }),
            spec(|s| {
                s.parallel = 32;
                s.len = 1 << 20;
            }),
            spec(|s| {
                s.udp = true;
                s.len = 1460;
                s.parallel = 128;
                s.bidir = true;
            }),
            spec(|s| s.time = 3600.0),
        ] {
            assert_eq!(l.check(&ok), Ok(()), "{ok:?}");
        }
        let code = |s: Spec| l.check(&s).unwrap_err().ierrno;
        assert_eq!(
            code(spec(|s| {
                s.parallel = 128;
                s.bidir = true;
                s.len = 16 << 20;
            })),
            proto::ierr::BLOCKSIZE
        );
        assert_eq!(
            code(spec(|s| {
                s.parallel = 128;
                s.bidir = true;
                s.len = 1 << 20;
            })),
            proto::ierr::NEWTEST
        );
        assert_eq!(code(spec(|s| s.parallel = 129)), proto::ierr::NUMSTREAMS);
        assert_eq!(code(spec(|s| s.time = 1e9)), proto::ierr::DURATION);
        assert_eq!(code(spec(|s| s.time = -1.0)), proto::ierr::DURATION);
        assert_eq!(code(spec(|s| s.time = f64::NAN)), proto::ierr::DURATION);
        assert_eq!(
            code(spec(|s| s.time = 3601.0)),
            proto::ierr::MAXSERVERTESTDURATIONEXCEEDED
        );
        assert_eq!(code(spec(|s| s.omit = 601.0)), proto::ierr::OMIT);
        assert_eq!(
            code(spec(|s| {
                s.udp = true;
                s.len = 65_508;
            })),
            proto::ierr::UDPBLOCKSIZE
        );
        assert_eq!(
            code(spec(|s| s.congestion = Some("x;rm".into()))),
            proto::ierr::SETCONGESTION
        );
    }

    #[test]
    fn congestion_names_of_the_wrong_form_never_reach_the_kernel() {
        for bad in [
            "",
            "a/b",
            "../x",
            "cubic\n",
            "\u{1b}[2J",
            "abcdefghijklmnop",
            "é",
        ] {
            let e = congestion_available(bad).unwrap_err();
            assert!(e.contains("is not a congestion control name"), "{e}");
            assert!(!e.contains('\u{1b}') && !e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn udp_connect_content() {
        assert!(proto::is_udp_connect(&proto::UDP_CONNECT_MSG.to_ne_bytes()));
        assert!(proto::is_udp_connect(&123_456_789u32.to_ne_bytes()));
        assert!(!proto::is_udp_connect(b"6789x"));
        assert!(!proto::is_udp_connect(&[0; 4]));
        assert!(!proto::is_udp_connect(b""));
    }
}
