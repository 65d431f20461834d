//! perf's output in iperf3's formats, rendered from netshoot-perf's typed events and outcome:
//! the human lines (intervals, the sender / receiver summary) and a JSON document with the
//! structure of `iperf3 -J` for the fields we produce. Shared by `perf` and the classic
//! `iperf3` (which runs `perf`).

use std::io::Write;

use netshoot_perf::{Ending, Event, IntervalStream, Outcome, StreamResult};
use serde_json::{json, Value};

/// Prints perf's events as iperf3's lines on stdout as the test goes (nothing in JSON mode but
/// a failed server test, which goes to stderr always).
#[derive(Debug)]
pub struct Lines {
    enabled: bool,
    /// Interval blocks printed since the test began (iperf3 separates several streams' blocks
    /// with a dashed line, between blocks: the summary brings its own).
    blocks: u32,
}

impl Lines {
    /// A printer; `enabled` false prints nothing on stdout (JSON mode).
    pub fn new(enabled: bool) -> Self {
        Lines { enabled, blocks: 0 }
    }

    /// One line.
    pub fn line(&mut self, s: &str) {
        if self.enabled {
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{s}");
            let _ = o.flush();
        }
    }

    /// An error line on stderr (always).
    pub fn error(&mut self, s: &str) {
        eprintln!("netshoot: perf server: {s}");
    }

    /// Prints one event as iperf3 prints it. [`Event::Finished`] prints nothing here: its
    /// outcome is the caller's to render ([`summary_lines`] or [`to_json`]).
    pub fn event(&mut self, e: &Event) {
        match *e {
            Event::Listening { port, test } => {
                let rule = "-".repeat(59);
                self.line(&format!(
                    "{rule}\nServer listening on {port} (test #{test})\n{rule}"
                ));
            }
            Event::Connecting { host, port } => {
                self.line(&format!("Connecting to host {host}, port {port}"))
            }
            Event::Accepted { address, port } => {
                self.line(&format!("Accepted connection from {address}, port {port}"))
            }
            Event::StreamConnected { fd, local, remote } => self.line(&format!(
                "[{fd:>3}] local {} port {} connected to {} port {}",
                local.ip().to_canonical(),
                local.port(),
                remote.ip().to_canonical(),
                remote.port()
            )),
            Event::PeerSending { host, bidir } => self.line(&format!(
                "{} mode, remote host {host} is sending",
                if bidir { "Bidirectional" } else { "Reverse" },
            )),
            Event::Running { udp, we_send } => {
                self.blocks = 0;
                self.line(&header(udp, Some(we_send), false))
            }
            Event::Interval { udp, rows } => self.interval(rows, udp),
            Event::Finished { .. } => {}
            Event::TestFailed { test, error } => self.error(&format!("test {test}: {error}")),
            Event::RateCapped {
                asked,
                capped,
                streams,
                udp,
            } => {
                let asked = if asked == 0 {
                    "an unlimited rate".to_string()
                } else {
                    format!("{asked} bit/s")
                };
                eprintln!(
                    "netshoot: perf server: the client asked for {asked} per stream ({}); sending at {capped} bit/s on each of {streams} (--max-bitrate RATE allows more)",
                    if udp { "UDP" } else { "TCP" }
                );
            }
        }
    }

    /// One interval: a line per stream and a SUM line with several streams.
    fn interval(&mut self, rows: &[IntervalStream], udp: bool) {
        if !self.enabled {
            return;
        }
        let mut lines = Vec::new();
        if rows.len() > 1 && self.blocks > 0 {
            lines.push("- - - - - - - - - - - - - - - - - - - - - - - - -".into());
        }
        self.blocks += 1;
        for dir in [true, false] {
            let rs: Vec<_> = rows.iter().filter(|r| r.sender == dir).collect();
            for r in &rs {
                lines.push(interval_line(&format!("{:>3}", r.fd), r, udp));
            }
            if rs.len() > 1 {
                let sum = IntervalStream {
                    bytes: rs.iter().map(|r| r.bytes).sum(),
                    retransmits: rs.iter().map(|r| r.retransmits).sum(),
                    cwnd: None,
                    rtt: None,
                    packets: rs.iter().map(|r| r.packets).sum(),
                    lost: rs.iter().map(|r| r.lost).sum(),
                    jitter_ms: rs.iter().filter_map(|r| r.jitter_ms).reduce(f64::max),
                    ..rs[0].clone()
                };
                lines.push(interval_line("SUM", &sum, udp));
            }
        }
        for l in lines {
            self.line(&l);
        }
    }
}

/// iperf3's unit formatting: bytes in 1024s (`3.20 GBytes`).
fn fmt_bytes(b: f64) -> String {
    scaled(b, 1024.0, "Bytes")
}

/// Bits per second as iperf3 prints them, in 1000s (`27.5 Gbits/sec`).
fn fmt_rate(bps: f64) -> String {
    format!("{}/sec", scaled(bps, 1000.0, "bits"))
}

fn scaled(mut v: f64, base: f64, unit: &str) -> String {
    let prefixes = ["", "K", "M", "G", "T"];
    let mut i = 0;
    while v >= base && i < prefixes.len() - 1 {
        v /= base;
        i += 1;
    }
    format!("{} {}{unit}", three_digits(v), prefixes[i])
}

/// A scaled number as iperf 2 and iperf3 print it before its unit: three significant digits in
/// four columns (`3.20`, `27.5`, ` 128`).
pub fn three_digits(v: f64) -> String {
    if v < 9.995 {
        format!("{v:4.2}")
    } else if v < 99.95 {
        format!("{v:4.1}")
    } else {
        format!("{v:4.0}")
    }
}

fn header(udp: bool, we_send: Option<bool>, summary: bool) -> String {
    let base = "[ ID] Interval           Transfer     Bitrate";
    match (udp, we_send, summary) {
        (true, Some(true), false) => format!("{base}         Total Datagrams"),
        (true, _, _) => format!("{base}         Jitter    Lost/Total Datagrams"),
        (false, _, true) => format!("{base}         Retr"),
        (false, Some(true), false) => format!("{base}         Retr  Cwnd"),
        (false, _, false) => base.to_string(),
    }
}

fn interval_line(id: &str, r: &IntervalStream, udp: bool) -> String {
    let secs = (r.end - r.start).max(1e-9);
    let head = format!(
        "[{id}] {:6.2}-{:<6.2} sec  {}  {}",
        r.start,
        r.end,
        fmt_bytes(r.bytes as f64),
        fmt_rate(r.bytes as f64 * 8.0 / secs)
    );
    let tail = if udp {
        match (r.sender, r.jitter_ms, r.lost, r.packets) {
            (false, Some(j), Some(l), Some(p)) => format!(
                "  {j:.3} ms  {l}/{p} ({}%)",
                g2(if p > 0 {
                    100.0 * l as f64 / p as f64
                } else {
                    0.0
                })
            ),
            (_, _, _, Some(p)) => format!("  {p}"),
            _ => String::new(),
        }
    } else {
        match (r.retransmits, r.cwnd) {
            (Some(rt), Some(c)) => format!("  {rt:>3}   {}", fmt_bytes(c as f64)),
            (Some(rt), None) => format!("  {rt:>3}"),
            _ => String::new(),
        }
    };
    format!("{head}{tail}{}", if r.omitted { "  (omitted)" } else { "" })
}

/// The closing summary, iperf3's sender and receiver lines per stream (and SUM lines).
pub fn summary_lines(o: &Outcome) -> Vec<String> {
    let mut out = vec!["- - - - - - - - - - - - - - - - - - - - - - - - -".to_string()];
    out.push(header(o.spec.udp, None, true));
    let groups = groups(o);
    for (_, rs) in &groups {
        for r in rs {
            out.extend(result_lines(&format!("{:>3}", r.fd), r, o.spec.udp));
        }
        if rs.len() > 1 {
            let s = sum(rs);
            out.extend(result_lines("SUM", &s, o.spec.udp));
        }
    }
    if !o.role_client {
        return out;
    }
    match &o.ending {
        Ending::Done => out.push("\niperf Done.".into()),
        Ending::Interrupted => {
            out.push("netshoot: perf: interrupt - the client has terminated".into())
        }
        Ending::PeerTerminated => out.push("netshoot: perf: the server has terminated".into()),
        Ending::PeerLost(why) => out.push(format!("netshoot: perf: test cut short: {why}")),
    }
    out
}

fn result_lines(id: &str, r: &StreamResult, udp: bool) -> Vec<String> {
    let row = |secs: f64, bytes: u64| {
        format!(
            "[{id}] {:6.2}-{:<6.2} sec  {}  {}",
            0.0,
            secs,
            fmt_bytes(bytes as f64),
            fmt_rate(if secs > 0.0 {
                bytes as f64 * 8.0 / secs
            } else {
                0.0
            })
        )
    };
    if udp {
        let pct = |l: u64, p: u64| {
            if p > 0 {
                100.0 * l as f64 / p as f64
            } else {
                0.0
            }
        };
        vec![
            format!(
                "{}  {:.3} ms  {}/{} ({}%)  sender",
                row(r.sent_secs, r.sent_bytes),
                0.0,
                0,
                r.packets_sent,
                g2(0.0)
            ),
            format!(
                "{}  {:.3} ms  {}/{} ({}%)  receiver",
                row(r.recv_secs, r.recv_bytes),
                r.jitter_ms,
                r.lost,
                r.packets_recv,
                g2(pct(r.lost, r.packets_recv))
            ),
        ]
    } else {
        let retr = if r.retransmits >= 0 {
            format!("{:>5}", r.retransmits)
        } else {
            "     ".into()
        };
        vec![
            format!(
                "{}  {retr}             sender",
                row(r.sent_secs, r.sent_bytes)
            ),
            format!(
                "{}                  receiver",
                row(r.recv_secs, r.recv_bytes)
            ),
        ]
    }
}

/// Streams grouped by direction: (true = the client sends, streams).
fn groups(o: &Outcome) -> Vec<(bool, Vec<StreamResult>)> {
    let client_sends = |r: &StreamResult| r.we_send == o.role_client;
    let fwd: Vec<_> = o
        .streams
        .iter()
        .filter(|r| client_sends(r))
        .cloned()
        .collect();
    let rev: Vec<_> = o
        .streams
        .iter()
        .filter(|r| !client_sends(r))
        .cloned()
        .collect();
    let mut g = Vec::new();
    if !fwd.is_empty() {
        g.push((true, fwd));
    }
    if !rev.is_empty() {
        g.push((false, rev));
    }
    g
}

fn sum(rs: &[StreamResult]) -> StreamResult {
    StreamResult {
        sent_bytes: rs.iter().map(|r| r.sent_bytes).sum(),
        sent_secs: rs.iter().map(|r| r.sent_secs).fold(0.0, f64::max),
        recv_bytes: rs.iter().map(|r| r.recv_bytes).sum(),
        recv_secs: rs.iter().map(|r| r.recv_secs).fold(0.0, f64::max),
        retransmits: if rs.iter().all(|r| r.retransmits < 0) {
            -1
        } else {
            rs.iter().map(|r| r.retransmits.max(0)).sum()
        },
        packets_sent: rs.iter().map(|r| r.packets_sent).sum(),
        packets_recv: rs.iter().map(|r| r.packets_recv).sum(),
        lost: rs.iter().map(|r| r.lost).sum(),
        outoforder: rs.iter().map(|r| r.outoforder).sum(),
        jitter_ms: rs.iter().map(|r| r.jitter_ms).sum::<f64>() / rs.len().max(1) as f64,
        ..rs[0].clone()
    }
}

/// C's `%.2g`, as iperf 2 and iperf3 print a loss percentage: two significant digits, no
/// trailing zeros (`0`, `0.44`, `1.1`, `12`, `1e+02`).
pub fn g2(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let exp = crate::render::decimal_exponent(v);
    if !(-5..2).contains(&exp) {
        let m = v / 10f64.powi(exp);
        let m = format!("{m:.1}");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = (1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn bps(bytes: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        bytes as f64 * 8.0 / secs
    } else {
        0.0
    }
}

fn side(r: &StreamResult, sender: bool, udp: bool) -> Value {
    let (bytes, secs) = if sender {
        (r.sent_bytes, r.sent_secs)
    } else {
        (r.recv_bytes, r.recv_secs)
    };
    let mut v = json!({
        "socket": r.fd,
        "start": 0,
        "end": secs,
        "seconds": secs,
        "bytes": bytes,
        "bits_per_second": bps(bytes, secs),
        "sender": sender,
    });
    if udp {
        let (lost, packets, jitter) = if sender {
            (0, r.packets_sent, 0.0)
        } else {
            (r.lost, r.packets_recv, r.jitter_ms)
        };
        v["jitter_ms"] = json!(jitter);
        v["lost_packets"] = json!(lost);
        v["packets"] = json!(packets);
        v["lost_percent"] = json!(if packets > 0 {
            100.0 * lost as f64 / packets as f64
        } else {
            0.0
        });
        if !sender {
            v["out_of_order"] = json!(r.outoforder);
        }
    } else if sender {
        v["retransmits"] = json!(r.retransmits.max(0));
    }
    v
}

/// The test as `iperf3 -J` structures it (start, intervals, end) for the fields we produce.
pub fn to_json(o: &Outcome, host: &str, port: u16) -> Value {
    let connected: Vec<Value> = o
        .streams
        .iter()
        .map(|r| {
            let (lh, lp) = split_hostport(&r.local);
            let (rh, rp) = split_hostport(&r.remote);
            json!({"socket": r.fd, "local_host": lh, "local_port": lp, "remote_host": rh, "remote_port": rp})
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let intervals: Vec<Value> = o
        .intervals
        .iter()
        .map(|rows| {
            let streams: Vec<Value> = rows.iter().map(|r| interval_json(r, o.spec.udp)).collect();
            let we_send_fwd = o.role_client;
            let mut v = json!({"streams": streams});
            for (key, dir) in [("sum", we_send_fwd), ("sum_bidir_reverse", !we_send_fwd)] {
                let rs: Vec<&IntervalStream> = rows
                    .iter()
                    .filter(|r| if o.spec.bidir { r.sender == dir } else { true })
                    .collect();
                if rs.is_empty() || (key == "sum_bidir_reverse" && !o.spec.bidir) {
                    continue;
                }
                let total = IntervalStream {
                    bytes: rs.iter().map(|r| r.bytes).sum(),
                    retransmits: rs.iter().map(|r| r.retransmits).sum(),
                    packets: rs.iter().map(|r| r.packets).sum(),
                    lost: rs.iter().map(|r| r.lost).sum(),
                    jitter_ms: rs.iter().filter_map(|r| r.jitter_ms).reduce(f64::max),
                    cwnd: None,
                    rtt: None,
                    ..rs[0].clone()
                };
                let mut s = interval_json(&total, o.spec.udp);
                if let Some(m) = s.as_object_mut() {
                    m.remove("socket");
                }
                v[key] = s;
            }
            v
        })
        .collect();
    let mut end = json!({});
    let mut streams = Vec::new();
    for r in &o.streams {
        if o.spec.udp {
            // iperf3 -J (client) gives UDP streams one "udp" object: the local side's view.
            streams.push(json!({"udp": side(r, r.we_send, true), "sender": side(r, true, true), "receiver": side(r, false, true)}));
        } else {
            streams
                .push(json!({"sender": side(r, true, false), "receiver": side(r, false, false)}));
        }
    }
    end["streams"] = json!(streams);
    for (fwd, rs) in groups(o) {
        let s = sum(&rs);
        let suffix = if fwd {
            ""
        } else if o.spec.bidir {
            "_bidir_reverse"
        } else {
            ""
        };
        let mut sent = side(&s, true, o.spec.udp);
        let mut recv = side(&s, false, o.spec.udp);
        for v in [&mut sent, &mut recv] {
            if let Some(m) = v.as_object_mut() {
                m.remove("socket");
            }
        }
        if o.spec.udp && suffix.is_empty() {
            // iperf3's UDP "sum": the bytes sent, the sender's datagram count when known,
            // the receiver's losses and jitter.
            let packets = if s.packets_sent > 0 {
                s.packets_sent
            } else {
                s.packets_recv
            };
            let mut u = recv.clone();
            u["bytes"] = json!(s.sent_bytes);
            u["packets"] = json!(packets);
            u["lost_percent"] = json!(if packets > 0 {
                100.0 * s.lost as f64 / packets as f64
            } else {
                0.0
            });
            end["sum"] = u;
        }
        end[format!("sum_sent{suffix}")] = sent;
        end[format!("sum_received{suffix}")] = recv;
    }
    end["cpu_utilization_percent"] = json!({
        "host_total": o.cpu_local.0, "host_user": o.cpu_local.1, "host_system": o.cpu_local.2,
        "remote_total": o.cpu_remote.0, "remote_user": o.cpu_remote.1, "remote_system": o.cpu_remote.2,
    });
    if let Some(c) = &o.congestion {
        let we_send = o.streams.iter().any(|r| r.we_send);
        end[if we_send {
            "sender_tcp_congestion"
        } else {
            "receiver_tcp_congestion"
        }] = json!(c);
    }
    let mut doc = json!({
        "start": {
            "connected": connected,
            "version": format!("netshoot {} (iperf3 3.12 protocol)", env!("CARGO_PKG_VERSION")),
            "timestamp": {"timesecs": now},
            "connecting_to": {"host": host, "port": port},
            "cookie": o.cookie,
            "test_start": {
                "protocol": o.spec.protocol(),
                "num_streams": o.spec.parallel,
                "blksize": o.spec.len,
                "omit": o.spec.omit,
                "duration": o.spec.time,
                "bytes": o.spec.bytes,
                "blocks": o.spec.blocks,
                "reverse": u8::from(o.spec.reverse),
                "bidir": u8::from(o.spec.bidir),
                "tos": 0,
                "target_bitrate": o.spec.rate,
            }
        },
        "intervals": intervals,
        "end": end,
    });
    match &o.ending {
        Ending::Done => {}
        Ending::Interrupted => doc["error"] = json!("interrupt - the test was terminated"),
        Ending::PeerTerminated => doc["error"] = json!("the peer has terminated"),
        Ending::PeerLost(w) => doc["error"] = json!(format!("test cut short: {w}")),
    }
    doc
}

fn interval_json(r: &IntervalStream, udp: bool) -> Value {
    let secs = (r.end - r.start).max(1e-9);
    let mut v = json!({
        "socket": r.fd,
        "start": r.start,
        "end": r.end,
        "seconds": secs,
        "bytes": r.bytes,
        "bits_per_second": r.bytes as f64 * 8.0 / secs,
        "omitted": r.omitted,
        "sender": r.sender,
    });
    if let Some(rt) = r.retransmits {
        v["retransmits"] = json!(rt);
    }
    if let Some(c) = r.cwnd {
        v["snd_cwnd"] = json!(c);
    }
    if let Some(t) = r.rtt {
        v["rtt"] = json!(t);
    }
    if udp {
        v["packets"] = json!(r.packets.unwrap_or(0));
        if let (Some(j), Some(l)) = (r.jitter_ms, r.lost) {
            v["jitter_ms"] = json!(j);
            v["lost_packets"] = json!(l);
            let p = r.packets.unwrap_or(0);
            v["lost_percent"] = json!(if p > 0 {
                100.0 * l as f64 / p as f64
            } else {
                0.0
            });
        }
    }
    v
}

fn split_hostport(s: &str) -> (String, u16) {
    match s.parse::<std::net::SocketAddr>() {
        Ok(a) => (a.ip().to_string(), a.port()),
        Err(_) => (s.to_string(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(fmt_bytes(3.2 * 1024.0 * 1024.0 * 1024.0), "3.20 GBytes");
        assert_eq!(fmt_rate(27.5e9), "27.5 Gbits/sec");
        assert_eq!(fmt_rate(1.05e6), "1.05 Mbits/sec");
        assert_eq!(fmt_bytes(128.0 * 1024.0), " 128 KBytes");
    }

    #[test]
    fn percent_as_c_g2() {
        assert_eq!(g2(0.0), "0");
        assert_eq!(g2(0.4424), "0.44");
        assert_eq!(g2(1.0869), "1.1");
        assert_eq!(g2(12.3), "12");
        assert_eq!(g2(0.01234), "0.012");
        // As C prints 100 % loss (perf printed `1.0e2` before the formats were shared).
        assert_eq!(g2(100.0), "1e+02");
    }
}
