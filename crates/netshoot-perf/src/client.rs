//! The client: connects the control channel, sends the parameters, opens the data streams,
//! runs the test for its time or byte count, and exchanges results (iperf3 `-c`).

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::AtomicBool;

use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::event::Event;
use crate::proto::{self, state};
use crate::stream::{Sock, Stream};
use crate::{Ending, Error, Outcome, Spec};

/// Client options.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The server as the user named it.
    pub host: String,
    /// Its address and port.
    pub addr: SocketAddr,
    /// The test.
    pub spec: Spec,
    /// Seconds between interval reports (0: none).
    pub interval: f64,
    /// Limit for connecting and for each control-channel answer.
    pub timeout: Duration,
}

/// iperf3's stream ids: 1, then 3, 4, 5, … (kept for compatibility by iperf3 itself).
pub fn stream_id(index: usize) -> u32 {
    if index == 0 {
        1
    } else {
        index as u32 + 2
    }
}

/// Reads the server's next state byte by `deadline` (Ctrl-C ends the wait), and the error
/// numbers after a SERVER_ERROR.
fn expect_state(
    ctrl: &mut TcpStream,
    want: i8,
    phase: &str,
    deadline: Instant,
    interrupt: &AtomicBool,
) -> Result<(), Error> {
    let mut st = [0u8; 1];
    let got = proto::read_exact_by(ctrl, &mut st, deadline, interrupt).map(|_| st[0] as i8);
    match got {
        Ok(s) if s == want => Ok(()),
        Ok(state::ACCESS_DENIED) => Err(Error::Busy),
        Ok(state::SERVER_ERROR) => {
            let mut b = [0u8; 8];
            proto::read_exact_by(ctrl, &mut b, deadline, interrupt)
                .map_err(|_| Error::Server(0, 0))?;
            Err(Error::Server(
                i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ))
        }
        Ok(state::SERVER_TERMINATE) => Err(Error::Control("the server was terminated".into())),
        Ok(other) => Err(Error::NotIperf(format!(
            "answered {other} ({:#04x}) where iperf3 sends state {want} ({phase})",
            other as u8
        ))),
        Err(Error::Closed) => Err(Error::NotIperf(format!(
            "closed the connection where iperf3 sends state {want} ({phase})"
        ))),
        Err(Error::Timeout) => Err(Error::NotIperf(format!(
            "did not answer within the timeout where iperf3 sends state {want} ({phase})"
        ))),
        Err(e) => Err(e),
    }
}

fn connect_error(addr: SocketAddr, e: &std::io::Error) -> Error {
    let why = match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is `netshoot perf server` or `iperf3 -s` running there, on this port?)".to_string()
        }
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timed out".to_string(),
        _ => e.to_string(),
    };
    Error::Connect(addr.to_string(), why)
}

fn tcp_stream(o: &ClientOptions, cookie: &[u8]) -> Result<(TcpStream, Option<String>), Error> {
    let s = Socket::new(
        Domain::for_address(o.addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(|e| Error::Stream(format!("socket: {e}")))?;
    crate::apply_sockopts(&s, &o.spec)?;
    s.connect_timeout(&o.addr.into(), o.timeout)
        .map_err(|e| connect_error(o.addr, &e))?;
    let cc = crate::congestion_of(&s);
    let mut t: TcpStream = s.into();
    t.write_all(cookie)
        .map_err(|e| Error::Stream(format!("sending the cookie on a data stream: {e}")))?;
    Ok((t, cc))
}

fn udp_stream(o: &ClientOptions) -> Result<UdpSocket, Error> {
    let s = Socket::new(
        Domain::for_address(o.addr),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(|e| Error::Stream(format!("socket: {e}")))?;
    crate::apply_sockopts(&s, &o.spec)?;
    let any: SocketAddr = if o.addr.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    s.bind(&any.into())
        .and_then(|_| s.connect(&o.addr.into()))
        .map_err(|e| Error::Stream(format!("UDP stream to {}: {e}", o.addr)))?;
    let u: UdpSocket = s.into();
    u.send(&proto::UDP_CONNECT_MSG.to_ne_bytes())
        .map_err(|e| Error::Stream(format!("UDP connect message: {e}")))?;
    let _ = u.set_read_timeout(Some(o.timeout));
    let mut b = [0u8; 4];
    match u.recv(&mut b) {
        Ok(4) => {
            let v = u32::from_ne_bytes(b);
            if v == proto::UDP_CONNECT_REPLY || v == proto::LEGACY_UDP_CONNECT_REPLY {
                Ok(u)
            } else {
                Err(Error::NotIperf(format!(
                    "answered the UDP connect message with {v:#x}"
                )))
            }
        }
        Ok(n) => Err(Error::NotIperf(format!(
            "answered the UDP connect message with {n} bytes"
        ))),
        Err(e) => Err(Error::Stream(format!(
            "no answer to the UDP connect message from {} ({e}): is UDP to that port filtered?",
            o.addr
        ))),
    }
}

/// Runs one test against the server; the outcome holds what both sides counted.
pub fn run(
    o: &ClientOptions,
    interrupt: &AtomicBool,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Outcome, Error> {
    let spec = &o.spec;
    on_event(&Event::Connecting {
        host: &o.host,
        port: o.addr.port(),
    });
    let mut ctrl =
        TcpStream::connect_timeout(&o.addr, o.timeout).map_err(|e| connect_error(o.addr, &e))?;
    let _ = ctrl.set_nodelay(true);
    let _ = ctrl.set_read_timeout(Some(o.timeout));
    let _ = ctrl.set_write_timeout(Some(o.timeout));
    let cookie = proto::make_cookie();
    ctrl.write_all(&cookie)
        .map_err(|e| Error::Control(format!("sending the cookie: {e}")))?;
    // Each answer of the server within the timeout, however it trickles in.
    let by = || Instant::now() + o.timeout;
    expect_state(
        &mut ctrl,
        state::PARAM_EXCHANGE,
        "parameter exchange",
        by(),
        interrupt,
    )?;
    proto::send_json(&mut ctrl, &spec.to_params())?;
    expect_state(
        &mut ctrl,
        state::CREATE_STREAMS,
        "create streams",
        by(),
        interrupt,
    )?;

    let directions: Vec<bool> = if spec.bidir {
        std::iter::repeat_n(true, spec.parallel as usize)
            .chain(std::iter::repeat_n(false, spec.parallel as usize))
            .collect()
    } else {
        vec![!spec.reverse; spec.parallel as usize]
    };
    let mut streams = Vec::new();
    let mut socks = Vec::new();
    let mut congestion = None;
    for (i, sender) in directions.iter().enumerate() {
        let sock = if spec.udp {
            Sock::Udp(udp_stream(o)?)
        } else {
            let (t, cc) = tcp_stream(o, &cookie)?;
            congestion = congestion.or(cc);
            Sock::Tcp(t)
        };
        let st = Stream::new(stream_id(i), *sender, &sock)
            .map_err(|e| Error::Stream(format!("stream {}: {e}", stream_id(i))))?;
        on_event(&st.connected());
        streams.push(st);
        socks.push(sock);
    }
    expect_state(&mut ctrl, state::TEST_START, "test start", by(), interrupt)?;
    expect_state(
        &mut ctrl,
        state::TEST_RUNNING,
        "test running",
        by(),
        interrupt,
    )?;
    if spec.reverse || spec.bidir {
        on_event(&Event::PeerSending {
            host: &o.host,
            bidir: spec.bidir,
        });
    }
    on_event(&Event::Running {
        udp: spec.udp,
        we_send: streams.iter().any(|s| s.sender),
    });

    let mut ran = crate::run_streams(
        &mut ctrl,
        &streams,
        socks,
        spec,
        o.interval,
        interrupt,
        true,
        f64::INFINITY,
        on_event,
        &congestion,
    );
    let mut remote = None;
    if ran.ending == Ending::Done {
        // The whole exchange within the timeout, however the server drips its results (at
        // most [`proto::MAX_JSON`]).
        let deadline = by();
        let exchange = (|| -> Result<serde_json::Value, Error> {
            expect_state(
                &mut ctrl,
                state::EXCHANGE_RESULTS,
                "exchange results",
                deadline,
                interrupt,
            )?;
            proto::send_json(&mut ctrl, &ran.mine)?;
            let theirs = proto::recv_json_by(&mut ctrl, proto::MAX_JSON, deadline, interrupt)
                .map_err(|e| match e {
                    Error::Timeout => Error::NotIperf(format!(
                        "sent no whole results within {} s (--connect-timeout SECONDS waits longer)",
                        o.timeout.as_secs_f64()
                    )),
                    e => e,
                })?;
            expect_state(
                &mut ctrl,
                state::DISPLAY_RESULTS,
                "display results",
                deadline,
                interrupt,
            )?;
            let _ = proto::send_state(&mut ctrl, state::IPERF_DONE);
            Ok(theirs)
        })();
        match exchange {
            Ok(v) => remote = Some(v),
            Err(Error::Interrupted) => ran.ending = Ending::Interrupted,
            Err(e) => ran.ending = Ending::PeerLost(format!("exchanging results: {e}")),
        }
    }
    Ok(ran.outcome(
        spec.clone(),
        &streams,
        remote.as_ref(),
        congestion,
        &cookie,
        true,
        o.addr.to_string(),
    ))
}
