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
    /// Limit for each step of the setup and for each control-channel answer.
    pub timeout: Duration,
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
    o: &ServerOptions,
    listener: &TcpListener,
    cookie: &[u8],
    deadline: Instant,
) -> Result<TcpStream, Error> {
    loop {
        if Instant::now() > deadline {
            return Err(Error::Stream(
                "the client did not open its data streams in time".into(),
            ));
        }
        match listener.accept() {
            Ok((mut c, _)) => {
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(o.timeout));
                let mut got = [0u8; COOKIE_SIZE];
                if c.read_exact(&mut got).is_ok() && got[..] == cookie[..] {
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

fn accept_udp_stream(
    o: &ServerOptions,
    u: UdpSocket,
    deadline: Instant,
) -> Result<UdpSocket, Error> {
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    let _ = u.set_read_timeout(Some(wait));
    let mut b = [0u8; 64];
    let (_, peer) = u.recv_from(&mut b).map_err(|e| {
        Error::Stream(format!(
            "no UDP connect message from the client ({e}): is UDP to port {} filtered?",
            o.port
        ))
    })?;
    u.connect(peer)
        .map_err(|e| Error::Stream(format!("UDP connect to {peer}: {e}")))?;
    u.send(&proto::UDP_CONNECT_REPLY.to_ne_bytes())
        .map_err(|e| Error::Stream(format!("UDP connect reply: {e}")))?;
    let _ = u.set_read_timeout(None);
    Ok(u)
}

fn one_test(
    o: &ServerOptions,
    listener: &TcpListener,
    mut ctrl: TcpStream,
    interrupt: &AtomicBool,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Outcome, Error> {
    let peer = ctrl.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let _ = ctrl.set_nonblocking(false);
    let _ = ctrl.set_nodelay(true);
    let _ = ctrl.set_read_timeout(Some(o.timeout));
    let _ = ctrl.set_write_timeout(Some(o.timeout));
    let mut cookie = [0u8; COOKIE_SIZE];
    ctrl.read_exact(&mut cookie)
        .map_err(|e| Error::NotIperf(format!("(from {peer}) sent no iperf3 cookie: {e}")))?;
    if let Ok(a) = ctrl.peer_addr() {
        on_event(&Event::Accepted {
            address: a.ip(),
            port: a.port(),
        });
    }
    proto::send_state(&mut ctrl, state::PARAM_EXCHANGE)?;
    let params = proto::recv_json(&mut ctrl)?;
    let spec = match Spec::from_params(&params) {
        Ok(s) => s,
        Err(e) => {
            // iperf3's SERVER_ERROR with IEBADFORMAT-like code; the client prints it.
            let _ = proto::send_state(&mut ctrl, state::SERVER_ERROR);
            let _ = ctrl.write_all(&[0, 0, 0, 0, 0, 0, 0, 0]);
            return Err(e);
        }
    };
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
                let u = accept_udp_stream(o, l.into(), deadline)?;
                if i + 1 < to_recv + to_send {
                    udp_listener = Some(socket(o, Type::DGRAM, Protocol::UDP)?);
                }
                Sock::Udp(u)
            }
            None => {
                let t = accept_tcp_stream(o, listener, &cookie, deadline)?;
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
        on_event,
        &congestion,
    );
    let mut remote = None;
    if ran.ending == Ending::Done {
        let _ = ctrl.set_read_timeout(Some(o.timeout));
        let exchange = (|| -> Result<serde_json::Value, Error> {
            proto::send_state(&mut ctrl, state::EXCHANGE_RESULTS)?;
            let theirs = proto::recv_json(&mut ctrl)?;
            proto::send_json(&mut ctrl, &ran.mine)?;
            proto::send_state(&mut ctrl, state::DISPLAY_RESULTS)?;
            // IPERF_DONE, or the client just closes.
            let _ = proto::recv_state(&mut ctrl);
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
