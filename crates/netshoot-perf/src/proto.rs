//! iperf3's wire protocol (facts from esnet/iperf 3.12): the control-channel states, the cookie,
//! length-prefixed JSON, the UDP "connect" handshake and datagram header, and the receiver's
//! loss / out-of-order / jitter bookkeeping.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Error;

/// Control-channel state bytes.
pub mod state {
    /// The test starts (streams are set up).
    pub const TEST_START: i8 = 1;
    /// Data flows.
    pub const TEST_RUNNING: i8 = 2;
    /// The client's timer (or byte count) ended the test.
    pub const TEST_END: i8 = 4;
    /// The server asks for the parameters.
    pub const PARAM_EXCHANGE: i8 = 9;
    /// The server waits for the data streams.
    pub const CREATE_STREAMS: i8 = 10;
    /// The server was interrupted.
    pub const SERVER_TERMINATE: i8 = 11;
    /// The client was interrupted.
    pub const CLIENT_TERMINATE: i8 = 12;
    /// Results are exchanged as JSON.
    pub const EXCHANGE_RESULTS: i8 = 13;
    /// The client may print its summary.
    pub const DISPLAY_RESULTS: i8 = 14;
    /// Unused by 3.x clients.
    pub const IPERF_START: i8 = 15;
    /// The client is done.
    pub const IPERF_DONE: i8 = 16;
    /// The server is busy with another test.
    pub const ACCESS_DENIED: i8 = -1;
    /// The server failed; two big-endian i32 (iperf error, errno) follow.
    pub const SERVER_ERROR: i8 = -2;
}

/// Length of the cookie, including its NUL.
pub const COOKIE_SIZE: usize = 37;
/// UDP "connect" datagram from the client (the 32-bit value in host order, as iperf3 writes it).
pub const UDP_CONNECT_MSG: u32 = 0x3637_3839;
/// The server's UDP "connect" reply.
pub const UDP_CONNECT_REPLY: u32 = 0x3938_3736;
/// The reply of servers before 3.11.
pub const LEGACY_UDP_CONNECT_REPLY: u32 = 987_654_321;
/// The UDP "connect" datagram of clients before 3.11.
pub const LEGACY_UDP_CONNECT_MSG: u32 = 123_456_789;
/// Largest JSON document accepted on the control channel.
pub const MAX_JSON: usize = 1 << 20;
/// Largest parameters document a server accepts (iperf3's `MAX_PARAMS_JSON_STRING`, 8 KiB).
pub const MAX_PARAMS_JSON: usize = 8 * 1024;

/// iperf3's error numbers (`i_errno`) that a server sends after [`state::SERVER_ERROR`]; an
/// iperf3 client prints its own text for each.
pub mod ierr {
    /// "test duration too long".
    pub const DURATION: i32 = 5;
    /// "number of parallel streams too large".
    pub const NUMSTREAMS: i32 = 6;
    /// "block size too large".
    pub const BLOCKSIZE: i32 = 7;
    /// "socket buffer size too large".
    pub const BUFSIZE: i32 = 8;
    /// "TCP MSS too large".
    pub const MSS: i32 = 10;
    /// "bogus value for --omit".
    pub const OMIT: i32 = 12;
    /// "block size invalid" (UDP).
    pub const UDPBLOCKSIZE: i32 = 20;
    /// "client's requested duration exceeds the server's maximum permitted limit" (3.13+).
    pub const MAXSERVERTESTDURATIONEXCEEDED: i32 = 37;
    /// "unable to create a new test" (with the errno's text).
    pub const NEWTEST: i32 = 100;
    /// "unable to receive parameters from client".
    pub const RECVPARAMS: i32 = 114;
    /// "unable to set TCP_CONGESTION: Supplied congestion control algorithm not supported".
    pub const SETCONGESTION: i32 = 134;
}

/// A fresh cookie: 36 characters of iperf3's alphabet and a NUL.
pub fn make_cookie() -> [u8; COOKIE_SIZE] {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        ^ (u64::from(std::process::id()) << 32);
    let mut c = [0u8; COOKIE_SIZE];
    for b in c.iter_mut().take(COOKIE_SIZE - 1) {
        // xorshift64*
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        *b = ALPHABET[(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 59) as usize];
    }
    c
}

/// Writes one state byte.
pub fn send_state(s: &mut TcpStream, st: i8) -> Result<(), Error> {
    s.write_all(&[st as u8])
        .map_err(|e| Error::Control(format!("sending state {st}: {e}")))
}

/// Reads one state byte; EOF is `Error::Closed`.
pub fn recv_state(s: &mut TcpStream) -> Result<i8, Error> {
    let mut b = [0u8; 1];
    match s.read(&mut b) {
        Ok(0) => Err(Error::Closed),
        Ok(_) => Ok(b[0] as i8),
        Err(e) if is_timeout(&e) => Err(Error::Timeout),
        Err(e) => Err(Error::Control(format!("reading the control channel: {e}"))),
    }
}

/// Whether an I/O error is a read/write timeout.
pub fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Writes [`state::SERVER_ERROR`] and iperf3's error number and errno (big-endian), which an
/// iperf3 client prints as "error - …".
pub fn send_server_error(s: &mut TcpStream, ierrno: i32, errno: i32) -> Result<(), Error> {
    let mut msg = vec![state::SERVER_ERROR as u8];
    msg.extend_from_slice(&ierrno.to_be_bytes());
    msg.extend_from_slice(&errno.to_be_bytes());
    s.write_all(&msg)
        .map_err(|e| Error::Control(format!("sending an error: {e}")))
}

/// Fills `buf` from `s` by `deadline` (the whole read, however the bytes trickle in), in
/// slices of at most 100 ms so that `interrupt` ends it promptly. The socket's read timeout
/// is left changed.
pub fn read_exact_by(
    s: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    interrupt: &AtomicBool,
) -> Result<(), Error> {
    let mut off = 0;
    while off < buf.len() {
        if interrupt.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout);
        }
        let _ = s.set_read_timeout(Some(
            left.clamp(Duration::from_millis(1), Duration::from_millis(100)),
        ));
        match s.read(&mut buf[off..]) {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => off += n,
            Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Control(format!("reading the control channel: {e}"))),
        }
    }
    Ok(())
}

/// Reads a length-prefixed JSON document of at most `max` bytes, all of it by `deadline`
/// (see [`read_exact_by`]).
pub fn recv_json_by(
    s: &mut TcpStream,
    max: usize,
    deadline: Instant,
    interrupt: &AtomicBool,
) -> Result<serde_json::Value, Error> {
    let mut len = [0u8; 4];
    read_exact_by(s, &mut len, deadline, interrupt)?;
    let n = u32::from_be_bytes(len) as usize;
    if n > max {
        return Err(Error::NotIperf(format!(
            "announced a {n}-byte JSON document (the limit is {max})"
        )));
    }
    let mut body = vec![0u8; n];
    read_exact_by(s, &mut body, deadline, interrupt)?;
    serde_json::from_slice(&body).map_err(|e| Error::NotIperf(format!("sent invalid JSON: {e}")))
}

/// Whether a UDP "connect" datagram is one an iperf3 client sends: exactly the 4 bytes of
/// [`UDP_CONNECT_MSG`] (or the pre-3.11 value) in the sender's byte order, either order.
pub fn is_udp_connect(d: &[u8]) -> bool {
    let Ok(b) = <[u8; 4]>::try_from(d) else {
        return false;
    };
    [
        u32::from_ne_bytes(b),
        u32::from_be_bytes(b),
        u32::from_le_bytes(b),
    ]
    .iter()
    .any(|v| *v == UDP_CONNECT_MSG || *v == LEGACY_UDP_CONNECT_MSG)
}

/// Writes a JSON document with its 4-byte big-endian length.
pub fn send_json(s: &mut TcpStream, v: &serde_json::Value) -> Result<(), Error> {
    let body = serde_json::to_vec(v).map_err(|e| Error::Control(e.to_string()))?;
    let mut msg = (body.len() as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    s.write_all(&msg)
        .map_err(|e| Error::Control(format!("sending JSON: {e}")))
}

/// Reads a length-prefixed JSON document (bounded by [`MAX_JSON`]).
pub fn recv_json(s: &mut impl Read) -> Result<serde_json::Value, Error> {
    let mut len = [0u8; 4];
    read_exact(s, &mut len)?;
    let n = u32::from_be_bytes(len) as usize;
    if n > MAX_JSON {
        return Err(Error::NotIperf(format!(
            "announced a {n}-byte JSON document"
        )));
    }
    let mut body = vec![0u8; n];
    read_exact(s, &mut body)?;
    serde_json::from_slice(&body).map_err(|e| Error::NotIperf(format!("sent invalid JSON: {e}")))
}

fn read_exact(s: &mut impl Read, buf: &mut [u8]) -> Result<(), Error> {
    s.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::Closed,
        _ if is_timeout(&e) => Error::Timeout,
        _ => Error::Control(format!("reading the control channel: {e}")),
    })
}

/// Writes the UDP header (seconds, microseconds, sequence; 32- or 64-bit counter).
pub fn put_udp_header(buf: &mut [u8], sec: u32, usec: u32, seq: u64, wide: bool) {
    if buf.len() < 12 {
        return;
    }
    buf[0..4].copy_from_slice(&sec.to_be_bytes());
    buf[4..8].copy_from_slice(&usec.to_be_bytes());
    if wide && buf.len() >= 16 {
        buf[8..16].copy_from_slice(&seq.to_be_bytes());
    } else {
        buf[8..12].copy_from_slice(&(seq as u32).to_be_bytes());
    }
}

/// Reads the UDP header; `None` when the datagram is too short.
pub fn get_udp_header(buf: &[u8], wide: bool) -> Option<(u32, u32, u64)> {
    let sec = u32::from_be_bytes(buf.get(0..4)?.try_into().ok()?);
    let usec = u32::from_be_bytes(buf.get(4..8)?.try_into().ok()?);
    let seq = if wide {
        u64::from_be_bytes(buf.get(8..16)?.try_into().ok()?)
    } else {
        u64::from(u32::from_be_bytes(buf.get(8..12)?.try_into().ok()?))
    };
    Some((sec, usec, seq))
}

/// The receiver's view of a UDP stream, kept exactly as iperf3 keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UdpRx {
    /// Highest sequence number seen.
    pub packet_count: u64,
    /// Lost datagrams (gaps, minus late arrivals).
    pub cnt_error: u64,
    /// Datagrams that arrived after a later one.
    pub outoforder: u64,
    /// RFC 1889 jitter, seconds.
    pub jitter: f64,
    prev_transit: Option<f64>,
}

impl UdpRx {
    /// Accounts one datagram with sequence `seq`, sent at `sent` and received at `arrival`
    /// (both seconds since the epoch).
    pub fn datagram(&mut self, seq: u64, sent: f64, arrival: f64) {
        if seq > self.packet_count {
            if seq > self.packet_count + 1 {
                self.cnt_error += (seq - 1) - self.packet_count;
            }
            self.packet_count = seq;
        } else {
            self.outoforder += 1;
            self.cnt_error = self.cnt_error.saturating_sub(1);
        }
        let transit = arrival - sent;
        let prev = self.prev_transit.unwrap_or(transit);
        let d = (transit - prev).abs();
        self.prev_transit = Some(transit);
        self.jitter += (d - self.jitter) / 16.0;
    }
}

/// Seconds since the epoch, and the (sec, usec) pair iperf3 puts in datagrams.
pub fn now_parts() -> (f64, u32, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs_f64(), d.as_secs() as u32, d.subsec_micros())
}

/// Parses iperf3's `n[KMGT]` (1000s for rates) or `n[kmgt]`/`n[KMGT]` for sizes (1024s).
pub fn parse_suffixed(s: &str, base: f64) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], base),
        'm' | 'M' => (&s[..s.len() - 1], base * base),
        'g' | 'G' => (&s[..s.len() - 1], base * base * base),
        't' | 'T' => (&s[..s.len() - 1], base * base * base * base),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_shape() {
        let c = make_cookie();
        assert_eq!(c[36], 0);
        assert!(c[..36]
            .iter()
            .all(|b| b"abcdefghijklmnopqrstuvwxyz234567".contains(b)));
        assert_ne!(make_cookie()[..36], [b'a'; 36]);
    }

    #[test]
    fn udp_header_roundtrip() {
        let mut b = [0u8; 64];
        put_udp_header(&mut b, 10, 20, 7, false);
        assert_eq!(get_udp_header(&b, false), Some((10, 20, 7)));
        put_udp_header(&mut b, 1, 2, 1 << 40, true);
        assert_eq!(get_udp_header(&b, true), Some((1, 2, 1 << 40)));
        assert_eq!(get_udp_header(&b[..11], false), None);
        assert_eq!(get_udp_header(&b[..15], true), None);
    }

    #[test]
    fn loss_and_reorder_like_iperf3() {
        let mut r = UdpRx::default();
        for seq in [1, 2, 5, 3, 6] {
            r.datagram(seq, 0.0, 0.001);
        }
        // 3 and 4 missing after 5, then 3 arrives late: one loss taken back.
        assert_eq!((r.packet_count, r.cnt_error, r.outoforder), (6, 1, 1));
        assert_eq!(r.jitter, 0.0);
        let mut r = UdpRx::default();
        r.datagram(1, 0.0, 0.010);
        r.datagram(2, 0.0, 0.026);
        assert!((r.jitter - 0.001).abs() < 1e-12, "{}", r.jitter);
    }

    #[test]
    fn units() {
        assert_eq!(parse_suffixed("10M", 1000.0), Some(10e6));
        assert_eq!(parse_suffixed("128K", 1024.0), Some(131072.0));
        assert_eq!(parse_suffixed("x", 1000.0), None);
    }

    #[test]
    fn junk_json_and_headers_never_panic() {
        let mut seed = 5u32;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = recv_json(&mut &bytes[..]);
            let _ = get_udp_header(&bytes, len % 2 == 0);
            let mut r = UdpRx::default();
            for c in bytes.chunks(12) {
                if let Some((s, u, q)) = get_udp_header(c, false) {
                    r.datagram(q, f64::from(s) + f64::from(u) / 1e6, 1.0);
                }
            }
        }
    }
}
