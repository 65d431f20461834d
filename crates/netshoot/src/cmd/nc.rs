//! `connect`, `listen` and `netgen`: netcat's client and listener (`nc -vz`, `nc HOST PORT`,
//! `nc -l [-k] [-u]`), and the seed's traffic generator.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::Args;
use netshoot_ns::Target;
use netshoot_probe::connect::{check_ports, PortCheck, Proto};
use netshoot_probe::netgen;

use crate::args::seconds;
use crate::render::Output;

/// `connect` options (netcat's letters).
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Host: an address or a name resolved through the target's resolv.conf and hosts.
    pub host: String,
    /// Port, or a range `LOW-HIGH` with `-z`.
    pub port: String,
    /// Only check that the port answers; send nothing (nc -z).
    #[arg(short = 'z')]
    pub zero: bool,
    /// UDP instead of TCP (with -z: open|filtered unless an ICMP port-unreachable comes back).
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Seconds to wait for the connection, and, once connected, how long the connection may
    /// stay idle (nothing received from the peer nor read from stdin) before it is closed
    /// (exit 0, as nc -w); with -u, how long a silent exchange lasts, and after EOF on stdin
    /// the wait for answers (at most 1 s unless -q); 0: no idle bound.
    #[arg(short = 'w', long, default_value = "5", value_name = "SECONDS")]
    pub timeout: f64,
    /// TCP without -z: seconds for the whole connection, connecting included, however busy
    /// (exit 1 when reached; default: none, -w still ends an idle connection).
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// After EOF on stdin, wait this many seconds for the peer, then quit (nc -q).
    #[arg(short = 'q', value_name = "SECONDS")]
    pub quit_after: Option<f64>,
    /// Shut down the sending side after EOF on stdin (nc -N).
    #[arg(short = 'N')]
    pub shutdown: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
}

/// `listen` options.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Port.
    pub port: u16,
    /// Address to bind (default: every IPv4 and IPv6 address).
    #[arg(short = 's', long = "bind", value_name = "ADDRESS")]
    pub bind: Option<IpAddr>,
    /// Keep listening after a connection ends (nc -k).
    #[arg(short = 'k', long)]
    pub keep_open: bool,
    /// UDP: print datagrams; stdin lines go back to the last sender.
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Seconds a connection may stay idle (nothing received from the peer nor read from
    /// stdin) before it is closed; UDP: from the first datagram, the last sender's exchange
    /// (with -k the next sender starts a new one); 0: no bound.
    #[arg(long, default_value = "60", value_name = "SECONDS")]
    pub idle: f64,
    /// nc -l's words (`Listening on ADDR PORT`, `Connection received on ADDR PORT`), only
    /// with -v (set by the classic `nc` name).
    #[arg(skip)]
    pub classic: bool,
}

/// `netgen` options.
#[derive(Debug, Args)]
pub struct NetgenArgs {
    /// Where to send (omit with --listen).
    #[arg(required_unless_present = "listen")]
    pub host: Option<String>,
    /// Port to send to.
    #[arg(required_unless_present = "listen")]
    pub port: Option<u16>,
    /// Be the receiving side on this port instead: it keeps at most 4096 bytes of a message,
    /// waits at most 2 s for it, reads at most 64 connections at once (more are closed) and
    /// queues at most 256 messages while output is slow.
    #[arg(short = 'l', long, value_name = "PORT", conflicts_with_all = ["host", "port"])]
    pub listen: Option<u16>,
    /// Seconds between messages.
    #[arg(short = 'i', long, default_value = "1", value_name = "SECONDS")]
    pub interval: f64,
    /// Stop after COUNT messages (sender) or connections (listener).
    #[arg(short = 'c', long, value_name = "COUNT")]
    pub count: Option<u64>,
}

/// Runs `connect`: with `-z` the verdict of each port (netcat-openbsd's lines on stderr as each
/// comes; `--json`: the list of [`PortCheck`]s at the end), else a connection piped to stdin and
/// stdout.
pub fn connect(args: &ConnectArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let ip = crate::args::host(&args.host, target, crate::args::family(args.v4, args.v6))?;
    let timeout = seconds(args.timeout, "-w", false)?;
    let list = crate::args::port_range(&args.port)?;
    if !args.zero {
        if list.len() != 1 {
            bail!("a port range needs -z (only check the ports)");
        }
        let addr = SocketAddr::new(ip, list[0]);
        return if args.udp {
            let quit = args
                .quit_after
                .map(|q| seconds(q, "-q", false))
                .transpose()?;
            let stop = crate::interrupt::flag();
            let bounds = Bounds {
                idle: (!timeout.is_zero()).then_some(timeout),
                deadline: None,
                stop: Some(&stop),
            };
            match pipe_udp(
                addr,
                quit.unwrap_or(timeout.min(Duration::from_secs(1))),
                &bounds,
            )? {
                End::Idle => {
                    eprintln!(
                        "netshoot: {addr} (udp): nothing received or sent for {} s; closed (-w SECONDS waits longer)",
                        seconds_text(timeout)
                    );
                    Ok(0)
                }
                _ => Ok(0),
            }
        } else {
            let deadline = args
                .deadline
                .map(|d| seconds(d, "--deadline", true))
                .transpose()?;
            pipe_tcp(addr, args, timeout, deadline)
        };
    }
    let proto = if args.udp { Proto::Udp } else { Proto::Tcp };
    let results = check_ports(&args.host, ip, &list, proto, timeout, |r| {
        out.event_err(r, verdict_line);
    });
    let failed = results.iter().any(|r| !r.state.succeeded());
    // The verdicts went to stderr as they came: the text of the report is empty.
    out.emit(&results, |_| String::new())?;
    Ok(if failed { 1 } else { 0 })
}

/// netcat-openbsd's line for one verdict (`Connection to H (A) P port [tcp] succeeded!`).
fn verdict_line(r: &PortCheck) -> String {
    if r.state.succeeded() {
        format!(
            "Connection to {} ({}) {} port [{}] succeeded!",
            r.host,
            r.address,
            r.port,
            r.proto.word()
        )
    } else {
        format!(
            "netshoot: connect to {} ({}) port {} ({}) failed: {}",
            r.host,
            r.address,
            r.port,
            r.proto.word(),
            r.detail.as_deref().unwrap_or(r.state.word())
        )
    }
}

/// Copies stdin to the stream and the stream to stdout until both ends are done, the
/// connection is idle for `-w` seconds, or `--deadline` is reached.
fn pipe_tcp(
    addr: SocketAddr,
    args: &ConnectArgs,
    timeout: Duration,
    deadline: Option<Duration>,
) -> anyhow::Result<i32> {
    let start = Instant::now();
    let wait = deadline.map_or(timeout, |d| d.min(timeout));
    let stream = TcpStream::connect_timeout(&addr, wait)
        .map_err(|e| anyhow!("connect to {addr} (tcp) failed: {e}"))?;
    let quit_after = args
        .quit_after
        .map(|q| seconds(q, "-q", false))
        .transpose()?;
    let bounds = Bounds {
        idle: (!timeout.is_zero()).then_some(timeout),
        deadline: deadline.map(|d| start + d),
        stop: None,
    };
    Ok(
        match duplex(
            stream,
            quit_after,
            args.shutdown || quit_after.is_some(),
            &bounds,
        )? {
            End::Closed | End::Stopped => 0,
            End::Idle => {
                eprintln!(
                    "netshoot: {addr}: nothing received or sent for {} s; closed (-w SECONDS waits longer)",
                    seconds_text(timeout)
                );
                0
            }
            End::Deadline => {
                eprintln!(
                    "netshoot: {addr}: --deadline of {} s reached; closed (--deadline SECONDS allows longer)",
                    seconds_text(deadline.unwrap_or_default())
                );
                1
            }
        },
    )
}

/// What ends a [`duplex`] connection besides the peer.
#[derive(Debug, Default)]
pub struct Bounds<'a> {
    /// Close after this long without a byte in either direction (nc -w).
    pub idle: Option<Duration>,
    /// Close at this instant, however busy.
    pub deadline: Option<Instant>,
    /// Close when this flag rises (SIGINT/SIGTERM, see `crate::interrupt`).
    pub stop: Option<&'a AtomicBool>,
}

/// Why a [`duplex`] connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The peer closed (or the connection failed, or -q ran out).
    Closed,
    /// Nothing moved for [`Bounds::idle`].
    Idle,
    /// [`Bounds::deadline`] came.
    Deadline,
    /// [`Bounds::stop`] rose.
    Stopped,
}

/// How often the reading side looks at its bounds and the stop flag.
const TICK: Duration = Duration::from_millis(100);

/// Both directions of a connected TCP stream: stdin → peer on a thread, peer → stdout here,
/// until the peer closes or one of `bounds` ends it (then the socket is shut down both ways,
/// which also frees a writer blocked on a peer that does not read).
pub fn duplex(
    stream: TcpStream,
    quit_after: Option<Duration>,
    shutdown: bool,
    bounds: &Bounds,
) -> anyhow::Result<End> {
    let mut reader = stream.try_clone()?;
    let mut writer = stream;
    let base = Instant::now();
    // Nanoseconds after `base` of the last byte moved, either way.
    let last = Arc::new(AtomicU64::new(0));
    let touch = move |last: &AtomicU64| {
        last.store(base.elapsed().as_nanos() as u64, Ordering::Relaxed);
    };
    let done_sending = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done_sending);
    let l2 = Arc::clone(&last);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 16384];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    touch(&l2);
                    if writer.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    touch(&l2);
                }
            }
        }
        if shutdown {
            let _ = writer.shutdown(Shutdown::Write);
        }
        d.store(true, Ordering::SeqCst);
        if let Some(q) = quit_after {
            std::thread::sleep(q);
            let _ = writer.shutdown(Shutdown::Both);
        }
    });
    reader.set_read_timeout(Some(TICK))?;
    let mut stdout = std::io::stdout().lock();
    let mut buf = [0u8; 16384];
    let end = loop {
        if bounds.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
            break End::Stopped;
        }
        let now = Instant::now();
        if bounds.deadline.is_some_and(|d| now >= d) {
            break End::Deadline;
        }
        let quiet = now
            .duration_since(base)
            .saturating_sub(Duration::from_nanos(last.load(Ordering::Relaxed)));
        if bounds.idle.is_some_and(|i| quiet >= i) {
            break End::Idle;
        }
        match reader.read(&mut buf) {
            Ok(0) => break End::Closed,
            Ok(n) => {
                touch(&last);
                stdout.write_all(&buf[..n])?;
                stdout.flush()?;
            }
            Err(e) if no_data_yet(&e) => continue,
            Err(_) => break End::Closed,
        }
    };
    // Also releases the connection when the stdin thread still holds its half (listen -k).
    let _ = reader.shutdown(Shutdown::Both);
    Ok(end)
}

/// Lines of stdin to a UDP peer, its datagrams to stdout (nc -u), until stdin ends (then
/// `quit_after` more for answers), nothing moves either way for `bounds.idle`, or
/// `bounds.stop` rises.
pub fn pipe_udp(addr: SocketAddr, quit_after: Duration, bounds: &Bounds) -> anyhow::Result<End> {
    let bind: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let s = UdpSocket::bind(bind)?;
    s.connect(addr)?;
    let w = s.try_clone()?;
    let base = Instant::now();
    // Nanoseconds after `base` of the last datagram or line moved, either way.
    let last = Arc::new(AtomicU64::new(0));
    let touch = move |last: &AtomicU64| {
        last.store(base.elapsed().as_nanos() as u64, Ordering::Relaxed);
    };
    let l2 = Arc::clone(&last);
    let sender = std::thread::spawn(move || -> std::io::Result<()> {
        let mut line = String::new();
        let stdin = std::io::stdin();
        while stdin.read_line(&mut line)? > 0 {
            touch(&l2);
            w.send(line.as_bytes())?;
            line.clear();
        }
        Ok(())
    });
    s.set_read_timeout(Some(TICK))?;
    let mut stdout = std::io::stdout();
    let mut b = vec![0u8; 65536];
    let mut eof: Option<Instant> = None;
    loop {
        if bounds.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
            return Ok(End::Stopped);
        }
        let now = Instant::now();
        if eof.is_none() && sender.is_finished() {
            eof = Some(now);
        }
        if eof.is_some_and(|e| now >= e + quit_after) {
            break;
        }
        let quiet = now
            .duration_since(base)
            .saturating_sub(Duration::from_nanos(last.load(Ordering::Relaxed)));
        if eof.is_none() && bounds.idle.is_some_and(|i| quiet >= i) {
            return Ok(End::Idle);
        }
        match s.recv(&mut b) {
            Ok(n) => {
                touch(&last);
                stdout.write_all(&b[..n])?;
                stdout.flush()?;
            }
            // An ICMP port unreachable for an earlier datagram: nc goes on.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) if no_data_yet(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match sender.join() {
        Ok(Err(e)) => Err(anyhow!("sending to {addr} (udp): {e}")),
        _ => Ok(End::Closed),
    }
}

/// Runs `listen`.
pub fn listen(args: &ListenArgs, out: &Output) -> anyhow::Result<i32> {
    let idle = seconds(args.idle, "--idle", false)?;
    let idle = (!idle.is_zero()).then_some(idle);
    let stop = crate::interrupt::flag();
    let bind = args.bind.unwrap_or(IpAddr::from([0u8; 16]));
    let addr = SocketAddr::new(bind, args.port);
    if args.udp {
        let s = bind_udp(addr)?;
        if args.classic {
            if out.verbose > 0 {
                let a = s.local_addr()?;
                eprintln!("Bound on {} {}", plain(a.ip()), a.port());
            }
        } else if !out.json {
            eprintln!("netshoot: listening on {} (udp)", s.local_addr()?);
        }
        s.set_read_timeout(Some(TICK))?;
        let last: Arc<std::sync::Mutex<Option<SocketAddr>>> = Default::default();
        let (l2, s2) = (Arc::clone(&last), s.try_clone()?);
        let base = Instant::now();
        // Nanoseconds after `base` of the last datagram or line moved, either way.
        let moved = Arc::new(AtomicU64::new(0));
        let touch = move |m: &AtomicU64| {
            m.store(base.elapsed().as_nanos() as u64, Ordering::Relaxed);
        };
        let m2 = Arc::clone(&moved);
        std::thread::spawn(move || {
            let mut line = String::new();
            let stdin = std::io::stdin();
            while stdin.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(peer) = *l2.lock().unwrap_or_else(|e| e.into_inner()) {
                    touch(&m2);
                    let _ = s2.send_to(line.as_bytes(), peer);
                }
                line.clear();
            }
        });
        let mut b = vec![0u8; 65536];
        let mut stdout = std::io::stdout();
        while !stop.load(Ordering::SeqCst) {
            // Once a sender is the "connection", --idle without a datagram or a line either
            // way ends it (with -k: the next sender becomes the connection).
            let quiet = base
                .elapsed()
                .saturating_sub(Duration::from_nanos(moved.load(Ordering::Relaxed)));
            if idle.is_some_and(|i| quiet >= i) {
                let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(peer) = l.take() {
                    if !args.classic && !out.json {
                        eprintln!(
                            "netshoot: {peer} (udp): nothing received or sent for {} s; closed (--idle SECONDS waits longer)",
                            seconds_text(idle.unwrap_or_default())
                        );
                    }
                    if !args.keep_open {
                        return Ok(0);
                    }
                }
            }
            match s.recv_from(&mut b) {
                Ok((n, peer)) => {
                    touch(&moved);
                    let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
                    // nc -luv names the first sender as its "connection".
                    if args.classic && out.verbose > 0 && l.is_none() {
                        eprintln!(
                            "Connection received on {} {}",
                            plain(peer.ip()),
                            peer.port()
                        );
                    }
                    *l = Some(peer);
                    drop(l);
                    stdout.write_all(&b[..n])?;
                    stdout.flush()?;
                }
                Err(e) if no_data_yet(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(0);
    }
    let l = bind_tcp(addr)?;
    if args.classic {
        if out.verbose > 0 {
            let a = l.local_addr()?;
            eprintln!("Listening on {} {}", plain(a.ip()), a.port());
        }
    } else if !out.json {
        eprintln!("netshoot: listening on {} (tcp)", l.local_addr()?);
    }
    l.set_nonblocking(true)?;
    loop {
        let (stream, peer) = loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(0);
            }
            match l.accept() {
                Ok(x) => break x,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => return Err(e.into()),
            }
        };
        stream.set_nonblocking(false)?;
        if args.classic {
            if out.verbose > 0 {
                eprintln!(
                    "Connection received on {} {}",
                    plain(peer.ip()),
                    peer.port()
                );
            }
        } else if !out.json {
            eprintln!("netshoot: connection from {peer}");
        }
        let bounds = Bounds {
            idle,
            deadline: None,
            stop: Some(&stop),
        };
        match duplex(stream, None, true, &bounds)? {
            End::Stopped => return Ok(0),
            End::Idle if !args.classic && !out.json => eprintln!(
                "netshoot: {peer}: nothing received or sent for {} s; closed (--idle SECONDS waits longer)",
                seconds_text(idle.unwrap_or_default())
            ),
            _ => {}
        }
        if !args.keep_open || stop.load(Ordering::SeqCst) {
            return Ok(0);
        }
    }
}

/// An address as nc prints it: IPv4-mapped IPv6 addresses as IPv4, `::` as 0.0.0.0.
fn plain(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::from([0u8; 4]),
        IpAddr::V6(v) => v.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// A TCP listener; `::` takes IPv4 too (dual stack), as nc -l does.
fn bind_tcp(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        let _ = s.set_only_v6(false);
    }
    s.bind(&addr.into())
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    s.listen(128)?;
    Ok(s.into())
}

fn bind_udp(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        None,
    )?;
    if addr.is_ipv6() {
        let _ = s.set_only_v6(false);
    }
    s.bind(&addr.into())
        .map_err(|e| anyhow!("cannot listen on {addr} (udp): {e}"))?;
    Ok(s.into())
}

/// Runs `netgen` (the verb's options): the sender alone (`netgen HOST PORT`, a message every
/// `-i` seconds) or the listener alone (`--listen PORT`); the classic `netgen` runs both halves.
/// One engine: `netshoot_probe::netgen`.
pub fn netgen(args: &NetgenArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let interval = seconds(args.interval, "-i", false)?;
    let o = match args.listen {
        Some(port) => netgen::Options {
            listen: Some(port),
            send: None,
            interval,
            count: args.count,
            message: Vec::new(),
        },
        None => netgen::Options {
            listen: None,
            send: Some((
                args.host.clone().unwrap_or_default(),
                args.port.unwrap_or(0),
            )),
            interval,
            count: args.count,
            message: netgen_message(),
        },
    };
    netgen_run(&o, target, out)
}

/// The classic netgen's message: the host name and a newline (`echo $(hostname)`).
pub fn netgen_message() -> Vec<u8> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "netshoot".into());
    format!("{name}\n").into_bytes()
}

fn seconds_text(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

/// Runs netgen's engine in the (entered) target and prints its events as the classic netgen
/// does (`Listener started on port P`, `Sending traffic to H on port P every N seconds`,
/// `Sent N messages to H:P`, and what arrives); failures and retries go to stderr. With
/// `--json`: one object at the end (the sender's counts, or the listener's when it runs
/// alone; `received` too when both run).
pub fn netgen_run(o: &netgen::Options, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let stop = crate::interrupt::flag();
    let json = out.json;
    let every = seconds_text(o.interval);
    let mut on = |e: &netgen::Event| {
        use netgen::Event as E;
        match e {
            E::ListenFailed { port, error } => {
                eprintln!("netgen: cannot listen on port {port}: {error} (sending only)")
            }
            E::Failed { host, port, error } => {
                eprintln!("netgen: {host}:{port}: {error}; retrying in {every} s")
            }
            _ if json => {}
            E::Listening { port } => println!("Listener started on port {port}"),
            E::Sending {
                host,
                port,
                interval: _,
            } => println!("Sending traffic to {host} on port {port} every {every} seconds"),
            E::Sent {
                messages,
                host,
                port,
                ..
            } => println!("Sent {messages} messages to {host}:{port}"),
            E::Received { peer, text, .. } => println!("Received from {peer}: {text}"),
        }
    };
    let mut resolve = |h: &str| {
        crate::args::host(h, target, netshoot_dns::Family::Any).map_err(|e| format!("{e:#}"))
    };
    let t = netgen::run(o, &mut resolve, &stop, &mut on);
    if json {
        let mut v = serde_json::to_value(if o.send.is_some() { t.sent } else { t.received })?;
        if o.send.is_some() && o.listen.is_some() {
            v["received"] = serde_json::to_value(t.received)?;
        }
        out.emit(&v, |_| String::new())?;
    }
    // With a count: 0 once it was reached. Without: 0 when stopped.
    let reached = match (o.count, &o.send) {
        (Some(n), Some(_)) => t.sent.messages >= n,
        (Some(n), None) => t.received.messages + t.received.failed >= n,
        (None, _) => true,
    };
    Ok(if reached { 0 } else { 1 })
}

/// A read or receive that ended without data and without failing: a timeout tick, a
/// non-blocking socket with nothing queued, or a signal.
fn no_data_yet(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::TimedOut
    )
}
