//! iperf3-compatible throughput tests: a client and a server that speak iperf3 3.x's control
//! protocol (cookie, state bytes, length-prefixed JSON parameters and results) and data
//! streams (TCP, and UDP with iperf3's timestamp + sequence header, jitter and loss computed as
//! iperf3 computes them), so either side can be the real iperf3.
//!
//! Threads: one per data stream, started after netshoot entered the target (they inherit its
//! namespace); the control channel stays on the calling thread.

pub mod client;
pub mod event;
pub mod iperf2;
pub mod proto;
pub mod server;
pub mod stream;
mod sys;

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use proto::state;
use stream::{Shared, Stream};

pub use event::Event;

/// Why a test could not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad options.
    #[error("{0}")]
    Usage(String),
    /// The control connection could not be made.
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    /// The peer is not an iperf3 server / client.
    #[error("the peer does not speak iperf3: it {0}")]
    NotIperf(String),
    /// The server runs another test.
    #[error("the server is busy running a test; try again later")]
    Busy,
    /// The peer closed the control connection.
    #[error("the peer closed the control connection")]
    Closed,
    /// No answer in time.
    #[error("no answer on the control connection in time")]
    Timeout,
    /// Control-channel I/O failed.
    #[error("{0}")]
    Control(String),
    /// The server reported an error.
    #[error("the server reported an error: iperf3 error {0}, errno {1}")]
    Server(i32, i32),
    /// A data stream could not be set up.
    #[error("{0}")]
    Stream(String),
    /// The server refused the client's test (over a limit, an unknown congestion control).
    #[error("refused the client's test: {0}")]
    Refused(String),
    /// Ctrl-C / SIGTERM here before the test ran.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// netshoot's exit status: 2 for bad options, 1 for what the test found.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// What a test does (the client's options, or the server's view of the client's parameters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spec {
    /// UDP instead of TCP.
    pub udp: bool,
    /// Seconds to run (when no byte or block count is given).
    pub time: f64,
    /// Bytes to send in all (0: use `time`).
    pub bytes: u64,
    /// Blocks to send in all (0: use `time` or `bytes`).
    pub blocks: u64,
    /// Seconds at the start left out of the results.
    pub omit: f64,
    /// Streams (each direction).
    pub parallel: u32,
    /// The server sends.
    pub reverse: bool,
    /// Both send.
    pub bidir: bool,
    /// Socket buffer size (0: the kernel's).
    pub window: u64,
    /// Block / datagram length.
    pub len: usize,
    /// Bits per second per stream (0: unlimited).
    pub rate: u64,
    /// TCP_NODELAY.
    pub nodelay: bool,
    /// TCP maximum segment size (0: the kernel's).
    pub mss: u32,
    /// TCP congestion control algorithm.
    pub congestion: Option<String>,
    /// 64-bit UDP sequence numbers.
    pub udp64: bool,
    /// `-Z`: TCP senders on this side use sendfile(2) from an in-memory file instead of
    /// write(2) (iperf3's zero-copy; the server's senders never do, as in iperf3).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub zerocopy: bool,
    /// The peer's TCP senders use sendfile(2): our client says so to our server in the
    /// parameters (`netshoot_sendfile`, a key iperf3 ignores), and this side's receivers wake
    /// for less data (`stream::Lowat`), which such a sender needs on loopback.
    #[serde(skip)]
    pub peer_zerocopy: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            udp: false,
            time: 10.0,
            bytes: 0,
            blocks: 0,
            omit: 0.0,
            parallel: 1,
            reverse: false,
            bidir: false,
            window: 0,
            len: 128 * 1024,
            rate: 0,
            nodelay: false,
            mss: 0,
            congestion: None,
            udp64: false,
            zerocopy: false,
            peer_zerocopy: false,
        }
    }
}

impl Spec {
    /// The parameters JSON the client sends.
    pub fn to_params(&self) -> Value {
        let mut p = json!({});
        let m = p.as_object_mut().expect("object");
        m.insert(if self.udp { "udp" } else { "tcp" }.into(), json!(true));
        m.insert("omit".into(), json!(self.omit as u64));
        m.insert("time".into(), json!(self.time as u64));
        m.insert("num".into(), json!(self.bytes));
        m.insert("blockcount".into(), json!(self.blocks));
        if self.mss > 0 {
            m.insert("MSS".into(), json!(self.mss));
        }
        if self.nodelay {
            m.insert("nodelay".into(), json!(true));
        }
        m.insert("parallel".into(), json!(self.parallel));
        if self.reverse {
            m.insert("reverse".into(), json!(true));
        }
        if self.bidir {
            m.insert("bidirectional".into(), json!(true));
        }
        if self.window > 0 {
            m.insert("window".into(), json!(self.window));
        }
        m.insert("len".into(), json!(self.len));
        if self.rate > 0 {
            m.insert("bandwidth".into(), json!(self.rate));
        }
        m.insert("pacing_timer".into(), json!(1000));
        if let Some(c) = &self.congestion {
            m.insert("congestion".into(), json!(c));
        }
        if self.udp64 {
            m.insert("udp_counters_64bit".into(), json!(1));
        }
        if self.zerocopy && !self.udp && !self.reverse {
            m.insert("netshoot_sendfile".into(), json!(true));
        }
        m.insert("client_version".into(), json!("3.12"));
        p
    }

    /// The spec from a client's parameters (lenient like iperf3: absent keys keep defaults).
    pub fn from_params(p: &Value) -> Result<Spec, Error> {
        if !p.is_object() {
            return Err(Error::NotIperf(
                "sent parameters that are not a JSON object".into(),
            ));
        }
        let num = |k: &str| p.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let flag = |k: &str| match p.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0) != 0.0,
            _ => false,
        };
        let udp = flag("udp");
        let len = num("len") as usize;
        let spec = Spec {
            udp,
            time: num("time"),
            bytes: num("num") as u64,
            blocks: num("blockcount") as u64,
            omit: num("omit"),
            parallel: (num("parallel") as u32).max(1),
            reverse: flag("reverse"),
            bidir: flag("bidirectional"),
            window: num("window") as u64,
            len: if len == 0 {
                if udp {
                    1460
                } else {
                    128 * 1024
                }
            } else {
                len
            },
            rate: num("bandwidth") as u64,
            nodelay: flag("nodelay"),
            mss: num("MSS") as u32,
            congestion: p
                .get("congestion")
                .and_then(Value::as_str)
                .map(str::to_string),
            udp64: flag("udp_counters_64bit"),
            zerocopy: false,
            peer_zerocopy: flag("netshoot_sendfile"),
        };
        // The bounds (iperf3's fixed ones and the server's limits) are the server's to check:
        // see `server::Limits::check`.
        Ok(spec)
    }

    /// "TCP" or "UDP".
    pub fn protocol(&self) -> &'static str {
        if self.udp {
            "UDP"
        } else {
            "TCP"
        }
    }
}

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Normally, with results exchanged.
    Done,
    /// Ctrl-C / SIGTERM here.
    Interrupted,
    /// The peer terminated (its Ctrl-C).
    PeerTerminated,
    /// The peer vanished (connection closed or timed out).
    PeerLost(String),
}

/// One interval of one stream.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalStream {
    /// Stream id.
    pub id: u32,
    /// Descriptor number (shown as `[ ID]`).
    pub fd: i32,
    /// Whether we send on it.
    pub sender: bool,
    /// Seconds from the test's start.
    pub start: f64,
    /// Seconds from the test's start.
    pub end: f64,
    /// Bytes in the interval.
    pub bytes: u64,
    /// TCP sender: retransmits in the interval.
    pub retransmits: Option<u64>,
    /// TCP sender: congestion window, bytes.
    pub cwnd: Option<u64>,
    /// TCP sender: smoothed RTT, µs.
    pub rtt: Option<u32>,
    /// UDP: datagrams sent (sender) or highest sequence seen (receiver) in the interval.
    pub packets: Option<u64>,
    /// UDP receiver: lost in the interval.
    pub lost: Option<u64>,
    /// UDP receiver: jitter, ms.
    pub jitter_ms: Option<f64>,
    /// Inside the `-O` period.
    pub omitted: bool,
}

/// The final numbers of one stream, both ends.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamResult {
    /// Stream id.
    pub id: u32,
    /// Descriptor number.
    pub fd: i32,
    /// Whether we sent on it.
    pub we_send: bool,
    /// Sender's bytes (ours, or the peer's report).
    pub sent_bytes: u64,
    /// Sender's seconds.
    pub sent_secs: f64,
    /// Receiver's bytes.
    pub recv_bytes: u64,
    /// Receiver's seconds.
    pub recv_secs: f64,
    /// Sender's retransmits (-1 unknown).
    pub retransmits: i64,
    /// UDP: datagrams sent.
    pub packets_sent: u64,
    /// UDP: highest sequence the receiver saw.
    pub packets_recv: u64,
    /// UDP: lost per the receiver.
    pub lost: u64,
    /// UDP: out of order per the receiver (ours only).
    pub outoforder: u64,
    /// UDP: jitter per the receiver, ms.
    pub jitter_ms: f64,
    /// Local address and port.
    pub local: String,
    /// Remote address and port.
    pub remote: String,
}

/// A finished (or cut short) test.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The test.
    pub spec: Spec,
    /// How it ended.
    pub ending: Ending,
    /// Intervals as sampled.
    pub intervals: Vec<Vec<IntervalStream>>,
    /// Per-stream results.
    pub streams: Vec<StreamResult>,
    /// CPU use here (total, user, system), percent of one core over the test.
    pub cpu_local: (f64, f64, f64),
    /// CPU use at the peer, as it reported.
    pub cpu_remote: (f64, f64, f64),
    /// Seconds the test ran (after `-O`).
    pub duration: f64,
    /// Congestion control used here.
    pub congestion: Option<String>,
    /// The cookie.
    pub cookie: String,
    /// Which side we were.
    pub role_client: bool,
    /// The peer's address.
    pub peer: String,
}

/// Snapshot of a stream's counters.
#[derive(Debug, Clone, Copy, Default)]
struct Snap {
    bytes: u64,
    packets: u64,
    lost: u64,
    retrans: u64,
}

fn snap(s: &Stream) -> Snap {
    let (packets, lost) = if s.sender {
        (s.packets.load(Ordering::Relaxed), 0)
    } else {
        s.udp
            .lock()
            .map(|u| (u.packet_count, u.cnt_error))
            .unwrap_or((0, 0))
    };
    Snap {
        bytes: s.bytes.load(Ordering::Relaxed),
        packets,
        lost,
        retrans: s
            .tcp_info()
            .map(|t| u64::from(t.total_retrans))
            .unwrap_or(0),
    }
}

/// What a finished run phase hands to the results exchange.
pub(crate) struct Ran {
    pub ending: Ending,
    pub intervals: Vec<Vec<IntervalStream>>,
    pub duration: f64,
    pub omit: Vec<(u32, Snap)>,
    pub cpu: (f64, f64, f64),
    /// Our results JSON (iperf3's `send_results`).
    pub mine: Value,
}

/// Both sides once the streams are up: a worker per stream, the run phase, our results.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_streams(
    ctrl: &mut TcpStream,
    streams: &[Arc<Stream>],
    socks: Vec<stream::Sock>,
    spec: &Spec,
    interval: f64,
    interrupt: &AtomicBool,
    is_client: bool,
    max_secs: f64,
    on_event: &mut dyn FnMut(&Event),
    congestion: &Option<String>,
) -> Ran {
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        bytes_limit: spec.bytes,
        blocks_limit: spec.blocks,
        sent_total: Default::default(),
        blocks_total: Default::default(),
        len: spec.len,
        rate: spec.rate,
        udp64: spec.udp64,
        zerocopy: spec.zerocopy,
        peer_zerocopy: spec.peer_zerocopy,
        tcp_block: Default::default(),
        tcp_sinks: stream::sinks_for(spec.parallel),
    });
    let cpu0 = cpu_now();
    let wall0 = Instant::now();
    let handles = stream::spawn_all(streams, socks, &shared);
    let (ending, intervals, duration, omit) = run_phase(
        Running {
            ctrl,
            streams,
            shared,
            spec,
            interval,
            interrupt,
            is_client,
            max_secs,
        },
        &mut |rows| {
            on_event(&Event::Interval {
                udp: spec.udp,
                rows,
            })
        },
        handles,
    );
    let cpu = cpu_since(cpu0, wall0.elapsed().as_secs_f64());
    // iperf3's "receiver mode": this side sends on no stream.
    let receiver_only = !streams.iter().any(|s| s.sender);
    let mine = local_results(
        streams,
        &omit,
        duration,
        cpu,
        spec,
        receiver_only,
        congestion,
    );
    Ran {
        ending,
        intervals,
        duration,
        omit,
        cpu,
        mine,
    }
}

impl Ran {
    /// The outcome, with the peer's results when the exchange succeeded.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn outcome(
        self,
        spec: Spec,
        streams: &[Arc<Stream>],
        remote: Option<&Value>,
        congestion: Option<String>,
        cookie: &[u8],
        role_client: bool,
        peer: String,
    ) -> Outcome {
        let num = |k: &str| {
            remote
                .and_then(|r| r.get(k))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        Outcome {
            streams: combine(streams, &self.omit, self.duration, &spec, remote),
            cpu_remote: (
                num("cpu_util_total"),
                num("cpu_util_user"),
                num("cpu_util_system"),
            ),
            intervals: self.intervals,
            cpu_local: self.cpu,
            duration: self.duration,
            congestion,
            cookie: String::from_utf8_lossy(&cookie[..cookie.len().min(36)]).into_owned(),
            role_client,
            peer,
            ending: self.ending,
            spec,
        }
    }
}

/// How the run phase ended, its intervals, the seconds counted, and the `-O` snapshots.
pub(crate) type PhaseResult = (Ending, Vec<Vec<IntervalStream>>, f64, Vec<(u32, Snap)>);

/// What the control thread watches for while data flows.
pub(crate) struct Running<'a> {
    pub ctrl: &'a mut TcpStream,
    pub streams: &'a [Arc<Stream>],
    pub shared: Arc<Shared>,
    pub spec: &'a Spec,
    pub interval: f64,
    pub interrupt: &'a AtomicBool,
    pub is_client: bool,
    /// The server's `--max-duration`: past it (and a grace period) the server ends the test
    /// whatever the client asked (infinite for the client).
    pub max_secs: f64,
}

/// The test's run phase, the same for client and server: sample intervals, watch the control
/// channel and the end conditions, then stop the streams. Returns how it ended, the
/// intervals, the seconds counted (after the omitted ones), and the omit snapshots.
pub(crate) fn run_phase(
    r: Running<'_>,
    print: &mut dyn FnMut(&[IntervalStream]),
    handles: Vec<std::thread::JoinHandle<()>>,
) -> PhaseResult {
    let t0 = Instant::now();
    let _ = r.ctrl.set_read_timeout(Some(Duration::from_millis(50)));
    let mut intervals = Vec::new();
    let mut last: HashMap<u32, Snap> = r.streams.iter().map(|s| (s.id, Snap::default())).collect();
    let mut last_t = 0.0;
    let mut omit_done = r.spec.omit <= 0.0;
    let mut omit_snap: Vec<(u32, Snap)> =
        r.streams.iter().map(|s| (s.id, Snap::default())).collect();
    let mut counted_from: f64 = 0.0;
    let step = if r.interval > 0.0 {
        r.interval
    } else {
        f64::INFINITY
    };
    let mut next = step.min(if omit_done {
        f64::INFINITY
    } else {
        r.spec.omit
    });
    let time_based = r.spec.bytes == 0 && r.spec.blocks == 0;
    let end_at = r.spec.omit + r.spec.time;
    // The server's watchdog: a time-based test must end within its time plus a grace period.
    let watchdog = end_at + 15.0;
    let mut last_progress = (0u64, Instant::now());
    let ending = loop {
        let now = t0.elapsed().as_secs_f64();
        let mut ending = None;
        if r.interrupt.load(Ordering::SeqCst) {
            let _ = proto::send_state(
                r.ctrl,
                if r.is_client {
                    state::CLIENT_TERMINATE
                } else {
                    state::SERVER_TERMINATE
                },
            );
            ending = Some(Ending::Interrupted);
        } else if r.is_client {
            let senders: Vec<_> = r.streams.iter().filter(|s| s.sender).collect();
            let received: u64 = r
                .streams
                .iter()
                .filter(|s| !s.sender)
                .map(|s| s.bytes.load(Ordering::Relaxed))
                .sum();
            let done = if time_based {
                now >= end_at
            } else {
                (!senders.is_empty() && senders.iter().all(|s| s.done.load(Ordering::SeqCst)))
                    || (r.spec.bytes > 0 && senders.is_empty() && received >= r.spec.bytes)
            };
            if done {
                ending = Some(match proto::send_state(r.ctrl, state::TEST_END) {
                    Ok(()) => Ending::Done,
                    Err(e) => Ending::PeerLost(e.to_string()),
                });
            }
        } else {
            let total: u64 = r
                .streams
                .iter()
                .map(|s| s.bytes.load(Ordering::Relaxed))
                .sum();
            if total != last_progress.0 {
                last_progress = (total, Instant::now());
            }
            let stalled = !time_based && last_progress.1.elapsed() > Duration::from_secs(30);
            if now > r.max_secs + 5.0 {
                let _ = proto::send_state(r.ctrl, state::SERVER_TERMINATE);
                ending = Some(Ending::PeerLost(format!(
                    "the test ran past the server's --max-duration {} s; the server ended it",
                    r.max_secs
                )));
            } else if (time_based && now > watchdog) || stalled {
                ending = Some(Ending::PeerLost(format!(
                    "no end of test from the client after {now:.0} s"
                )));
            }
        }
        if ending.is_none() {
            // Wake up for the next interval or the end, whichever comes first.
            let mut wake = next;
            if r.is_client && time_based {
                wake = wake.min(end_at);
            }
            let wait = (wake - t0.elapsed().as_secs_f64()).clamp(0.001, 0.05);
            let _ = r.ctrl.set_read_timeout(Some(Duration::from_secs_f64(wait)));
            ending = match proto::recv_state(r.ctrl) {
                Ok(state::TEST_END) if !r.is_client => Some(Ending::Done),
                Ok(state::CLIENT_TERMINATE) | Ok(state::SERVER_TERMINATE) => {
                    Some(Ending::PeerTerminated)
                }
                Ok(state::SERVER_ERROR) => {
                    Some(Ending::PeerLost("the server reported an error".into()))
                }
                Ok(other) => Some(Ending::PeerLost(format!(
                    "unexpected control message {other} during the test"
                ))),
                Err(Error::Timeout) => None,
                Err(Error::Closed) => Some(Ending::PeerLost(
                    "the peer closed the control connection".into(),
                )),
                Err(e) => Some(Ending::PeerLost(e.to_string())),
            };
        }
        let now = t0.elapsed().as_secs_f64();
        // The last, partial interval is reported too (as iperf3 does).
        let last_partial = ending.is_some() && r.interval > 0.0 && now - last_t > 0.005;
        if now >= next || last_partial {
            let rows: Vec<IntervalStream> = r
                .streams
                .iter()
                .map(|s| {
                    let cur = snap(s);
                    let prev = last.insert(s.id, cur).unwrap_or_default();
                    let info = if s.sender { s.tcp_info() } else { None };
                    let udp_rx = (!s.sender && r.spec.udp)
                        .then(|| s.udp.lock().map(|u| u.jitter).unwrap_or(0.0));
                    IntervalStream {
                        id: s.id,
                        fd: s.fd,
                        sender: s.sender,
                        start: last_t - counted_from,
                        end: now - counted_from,
                        bytes: cur.bytes - prev.bytes,
                        retransmits: info.map(|_| cur.retrans.saturating_sub(prev.retrans)),
                        cwnd: info.map(|i| i.snd_cwnd_bytes),
                        rtt: info.map(|i| i.rtt_us),
                        packets: r.spec.udp.then(|| cur.packets.saturating_sub(prev.packets)),
                        lost: udp_rx.map(|_| cur.lost.saturating_sub(prev.lost)),
                        jitter_ms: udp_rx.map(|j| j * 1000.0),
                        omitted: !omit_done,
                    }
                })
                .collect();
            print(&rows);
            intervals.push(rows);
            last_t = now;
            if !omit_done && now >= r.spec.omit {
                omit_done = true;
                counted_from = now;
                omit_snap = r.streams.iter().map(|s| (s.id, snap(s))).collect();
            }
            next = now + step;
            if !omit_done {
                next = next.min(r.spec.omit);
            }
        }
        if let Some(e) = ending {
            break e;
        }
    };
    let duration = t0.elapsed().as_secs_f64() - counted_from;
    // Workers stop within their 200 ms socket timeouts. The client's sockets stay open (each
    // stream holds a duplicate) until the results are exchanged: an iperf3 server still
    // writing when a socket closes under it aborts with a broken pipe.
    r.shared.stop.store(true, Ordering::SeqCst);
    for h in handles {
        let _ = h.join();
    }
    if !r.is_client {
        // The server closes its data connections at TEST_END, as iperf3's does: an iperf3
        // client in reverse mode drains them with blocking reads until they close.
        for s in r.streams {
            s.shutdown();
        }
    }
    (ending, intervals, duration, omit_snap)
}

/// Our results JSON (iperf3's `send_results`).
pub(crate) fn local_results(
    streams: &[Arc<Stream>],
    omit: &[(u32, Snap)],
    duration: f64,
    cpu: (f64, f64, f64),
    spec: &Spec,
    mode_receiver_only: bool,
    congestion: &Option<String>,
) -> Value {
    let base = |id: u32| {
        omit.iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    };
    let list: Vec<Value> = streams
        .iter()
        .map(|s| {
            let b = base(s.id);
            let cur = snap(s);
            let (jitter, errors, packets) = if s.sender {
                (0.0, 0, cur.packets.saturating_sub(b.packets))
            } else {
                let u = s.udp.lock().map(|u| u.clone()).unwrap_or_default();
                (
                    u.jitter,
                    u.cnt_error.saturating_sub(b.lost),
                    u.packet_count.saturating_sub(b.packets),
                )
            };
            let retrans: i64 = if s.sender && !spec.udp {
                cur.retrans.saturating_sub(b.retrans) as i64
            } else {
                -1
            };
            json!({
                "id": s.id,
                "bytes": cur.bytes.saturating_sub(b.bytes),
                "retransmits": retrans,
                "jitter": jitter,
                "errors": errors,
                "packets": packets,
                "start_time": 0,
                "end_time": duration,
            })
        })
        .collect();
    let mut v = json!({
        "cpu_util_total": cpu.0,
        "cpu_util_user": cpu.1,
        "cpu_util_system": cpu.2,
        "sender_has_retransmits": if mode_receiver_only { -1 } else if spec.udp { 0 } else { 1 },
        "streams": list,
    });
    if let Some(c) = congestion {
        v["congestion_used"] = json!(c);
    }
    v
}

/// Stream `id`'s entry in the peer's results JSON (`streams[]` with that `id`), if any.
#[doc(hidden)]
pub fn peer_stream(remote: Option<&Value>, id: u32) -> Option<&Value> {
    remote?
        .get("streams")?
        .as_array()?
        .iter()
        .find(|s| s.get("id").and_then(Value::as_u64) == Some(u64::from(id)))
}

/// Number `k` of a peer's stream entry; 0 when absent or not a number.
#[doc(hidden)]
pub fn peer_num(p: Option<&Value>, k: &str) -> f64 {
    p.and_then(|p| p.get(k))
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// Combines our streams and the peer's results into per-stream results.
pub(crate) fn combine(
    streams: &[Arc<Stream>],
    omit: &[(u32, Snap)],
    duration: f64,
    spec: &Spec,
    remote: Option<&Value>,
) -> Vec<StreamResult> {
    let base = |id: u32| {
        omit.iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    };
    streams
        .iter()
        .map(|s| {
            let b = base(s.id);
            let cur = snap(s);
            let p = peer_stream(remote, s.id);
            let pn = |k: &str| peer_num(p, k);
            let psecs = p.map(|_| pn("end_time") - pn("start_time")).unwrap_or(0.0);
            let mine = cur.bytes.saturating_sub(b.bytes);
            let mut r = StreamResult {
                id: s.id,
                fd: s.fd,
                we_send: s.sender,
                local: s.local.to_string(),
                remote: s.remote.to_string(),
                ..Default::default()
            };
            if s.sender {
                r.sent_bytes = mine;
                r.sent_secs = duration;
                r.retransmits = if spec.udp {
                    -1
                } else {
                    cur.retrans.saturating_sub(b.retrans) as i64
                };
                r.packets_sent = cur.packets.saturating_sub(b.packets);
                r.recv_bytes = pn("bytes") as u64;
                r.recv_secs = psecs;
                r.packets_recv = pn("packets") as u64;
                r.lost = pn("errors") as u64;
                r.jitter_ms = pn("jitter") * 1000.0;
            } else {
                let u = s.udp.lock().map(|u| u.clone()).unwrap_or_default();
                r.recv_bytes = mine;
                r.recv_secs = duration;
                r.packets_recv = u.packet_count.saturating_sub(b.packets);
                r.lost = u.cnt_error.saturating_sub(b.lost);
                r.outoforder = u.outoforder;
                r.jitter_ms = u.jitter * 1000.0;
                r.sent_bytes = pn("bytes") as u64;
                r.sent_secs = psecs;
                r.retransmits = p
                    .and_then(|p| p.get("retransmits"))
                    .and_then(Value::as_i64)
                    .unwrap_or(-1);
                r.packets_sent = pn("packets") as u64;
            }
            r
        })
        .collect()
}

/// CPU percent (total, user, system) used since `since` (user, system) over `wall` seconds.
pub(crate) fn cpu_since(since: (f64, f64), wall: f64) -> (f64, f64, f64) {
    let (u, s) = sys::cpu_times();
    let (du, ds) = (u - since.0, s - since.1);
    let w = wall.max(1e-9);
    (100.0 * (du + ds) / w, 100.0 * du / w, 100.0 * ds / w)
}

pub(crate) fn cpu_now() -> (f64, f64) {
    sys::cpu_times()
}

/// The congestion control algorithm of a TCP socket.
pub(crate) fn congestion_of(s: &socket2::Socket) -> Option<String> {
    s.tcp_congestion().ok().map(|b| {
        String::from_utf8_lossy(&b)
            .trim_end_matches('\0')
            .to_string()
    })
}

/// Applies the spec's socket options.
pub(crate) fn apply_sockopts(s: &socket2::Socket, spec: &Spec) -> Result<(), Error> {
    if spec.window > 0 {
        let w = spec.window as usize;
        s.set_send_buffer_size(w)
            .and_then(|_| s.set_recv_buffer_size(w))
            .map_err(|e| Error::Stream(format!("setting the window to {w}: {e}")))?;
    }
    if !spec.udp {
        if spec.nodelay {
            let _ = s.set_tcp_nodelay(true);
        }
        if spec.mss > 0 {
            s.set_tcp_mss(spec.mss)
                .map_err(|e| Error::Stream(format!("setting the MSS to {}: {e}", spec.mss)))?;
        }
        if let Some(c) = &spec.congestion {
            s.set_tcp_congestion(c.as_bytes()).map_err(|e| {
                Error::Usage(format!(
                    "congestion control '{c}' is not available here ({e}); see /proc/sys/net/ipv4/tcp_available_congestion_control"
                ))
            })?;
        }
    }
    Ok(())
}
