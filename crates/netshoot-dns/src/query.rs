//! One question to one server, over UDP or TCP.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::Serialize;

use crate::DnsError;

/// How a query travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

/// The question asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Fully qualified name (with the final dot).
    pub name: String,
    /// Record type (`A`, `MX`, …).
    pub qtype: String,
    /// Class (`IN`).
    pub class: String,
}

/// One resource record, in presentation form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rec {
    /// Owner name, fully qualified.
    pub name: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Class (`IN`).
    pub class: String,
    /// Type (`A`, `AAAA`, `CNAME`, …).
    pub rtype: String,
    /// The record data as `dig` prints it (`10.0.0.1`, `10 mail.example.`, …).
    pub data: String,
}

impl Rec {
    /// The address an A or AAAA record holds.
    pub fn ip(&self) -> Option<IpAddr> {
        matches!(self.rtype.as_str(), "A" | "AAAA")
            .then(|| self.data.parse().ok())
            .flatten()
    }
}

/// A server's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// Who answered.
    pub server: SocketAddr,
    /// Over what (UDP answers that came back truncated are asked again over TCP).
    pub transport: Transport,
    /// Message id.
    pub id: u16,
    /// `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, …
    pub rcode: String,
    /// Header flags that are set, as dig names them (`qr`, `aa`, `tc`, `rd`, `ra`, `ad`, `cd`).
    pub flags: Vec<&'static str>,
    /// The question section.
    pub question: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Rec>,
    /// Authority section.
    pub authority: Vec<Rec>,
    /// Additional section (without the EDNS OPT pseudo-record).
    pub additional: Vec<Rec>,
    /// Round trip in microseconds.
    pub elapsed_us: u64,
    /// Reply size in bytes.
    pub size: usize,
    /// The reply's EDNS OPT pseudo-record, when it had one (dig's OPT PSEUDOSECTION).
    pub edns: Option<EdnsInfo>,
}

/// What a reply's EDNS OPT record says.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EdnsInfo {
    /// EDNS version.
    pub version: u8,
    /// The UDP payload size the server accepts.
    pub udp: u16,
    /// The DNSSEC OK bit.
    pub dnssec_ok: bool,
}

impl Answer {
    /// Addresses in the answer section (A and AAAA, following any CNAME chain the server gave).
    pub fn ips(&self) -> Vec<IpAddr> {
        self.answers.iter().filter_map(Rec::ip).collect()
    }
}

/// The `in-addr.arpa` / `ip6.arpa` name for an address (`dig -x`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v) => {
            let mut s = String::new();
            for b in v.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa.");
            s
        }
    }
}

/// Asks `server` one question (`name` is taken as fully qualified). Over UDP a truncated answer
/// is asked again over TCP, as dig does. `timeout` bounds the whole question, the TCP
/// fallback included (which gets what is left, at least 0.1 s): every read waits only for the
/// time left, so a server that drips its answer cannot make a query last longer.
pub fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    tcp: bool,
    timeout: Duration,
) -> Result<Answer, DnsError> {
    let id = fastrand_id();
    query_with_id(server, name, rtype, tcp, timeout, id)
}

/// [`query`] with a chosen message id.
pub fn query_with_id(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    tcp: bool,
    timeout: Duration,
    id: u16,
) -> Result<Answer, DnsError> {
    let fq = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    let qname = Name::from_ascii(&fq).map_err(|e| DnsError::BadName {
        name: name.to_string(),
        why: e.to_string(),
    })?;
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(qname, rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    msg.set_edns(edns);
    let wire = msg.to_vec().map_err(|e| DnsError::BadName {
        name: name.to_string(),
        why: e.to_string(),
    })?;
    let start = Instant::now();
    if !tcp {
        let (reply, size) = udp(server, &wire, id, timeout)?;
        if !reply.metadata.truncation {
            return Ok(answer(server, Transport::Udp, &reply, size, start));
        }
    }
    let left = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(100));
    // A timeout is the question's, however little of it the TCP retry had.
    let (reply, size) = tcp_exchange(server, &wire, id, left).map_err(|e| match e {
        DnsError::Timeout { server, .. } => DnsError::Timeout {
            server,
            after: timeout,
        },
        e => e,
    })?;
    Ok(answer(server, Transport::Tcp, &reply, size, start))
}

fn fastrand_id() -> u16 {
    // Unpredictable enough for a diagnostic client: clock nanoseconds mixed with the pid.
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    ((n ^ (n >> 16) ^ std::process::id()) & 0xffff) as u16
}

fn io_err(server: SocketAddr, e: std::io::Error, timeout: Duration) -> DnsError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => DnsError::Timeout {
            server,
            after: timeout,
        },
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => DnsError::Refused { server },
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => DnsError::Unreachable {
            server,
            why: e.to_string(),
        },
        _ => DnsError::Io {
            server,
            why: e.to_string(),
        },
    }
}

fn udp(
    server: SocketAddr,
    wire: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<(Message, usize), DnsError> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal")
    } else {
        "[::]:0".parse().expect("literal")
    };
    let sock = UdpSocket::bind(bind).map_err(|e| io_err(server, e, timeout))?;
    // Connected: ICMP port unreachable then surfaces as ECONNREFUSED.
    sock.connect(server)
        .map_err(|e| io_err(server, e, timeout))?;
    sock.send(wire).map_err(|e| io_err(server, e, timeout))?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65535];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DnsError::Timeout {
                server,
                after: timeout,
            });
        }
        sock.set_read_timeout(Some(left))
            .map_err(|e| io_err(server, e, timeout))?;
        let n = sock
            .recv(&mut buf)
            .map_err(|e| io_err(server, e, timeout))?;
        // Ignore stray datagrams that are not the answer to this question.
        match Message::from_vec(&buf[..n]) {
            Ok(m) if m.metadata.id == id && m.metadata.message_type == MessageType::Response => {
                return Ok((m, n))
            }
            _ => continue,
        }
    }
}

/// One question over TCP, everything (connect, write, every read) within one `timeout` from
/// the start: each read waits only for what is left, so a server that drips its answer a byte
/// at a time cannot stretch the exchange.
fn tcp_exchange(
    server: SocketAddr,
    wire: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<(Message, usize), DnsError> {
    let deadline = Instant::now() + timeout;
    let err = |e: std::io::Error| io_err(server, e, timeout);
    let mut s = TcpStream::connect_timeout(&server, timeout).map_err(err)?;
    let mut framed = Vec::with_capacity(wire.len() + 2);
    framed.extend_from_slice(&(wire.len() as u16).to_be_bytes());
    framed.extend_from_slice(wire);
    s.set_write_timeout(Some(left_until(deadline, server, timeout)?))
        .map_err(err)?;
    s.write_all(&framed).map_err(err)?;
    let mut len = [0u8; 2];
    read_until(&mut s, &mut len, deadline, server, timeout)?;
    let n = u16::from_be_bytes(len) as usize;
    let mut buf = vec![0u8; n];
    read_until(&mut s, &mut buf, deadline, server, timeout)?;
    Ok((reply_to(server, &buf, id)?, n))
}

/// Decodes `buf` as the reply to query `id` from `server`.
fn reply_to(server: SocketAddr, buf: &[u8], id: u16) -> Result<Message, DnsError> {
    let m = Message::from_vec(buf).map_err(|e| DnsError::Malformed {
        server,
        why: e.to_string(),
    })?;
    if m.metadata.id != id {
        return Err(DnsError::Malformed {
            server,
            why: format!("answer id {} does not match query id {id}", m.metadata.id),
        });
    }
    Ok(m)
}

/// A reply's bytes (without the TCP length prefix) decoded and summarised as [`query`] does,
/// for the reply to query `id` from `server`: the fuzz target's entry point, no network.
#[doc(hidden)]
pub fn decode_reply(server: SocketAddr, wire: &[u8], id: u16) -> Result<Answer, DnsError> {
    let m = reply_to(server, wire, id)?;
    Ok(answer(
        server,
        Transport::Tcp,
        &m,
        wire.len(),
        Instant::now(),
    ))
}

/// The time left until `deadline`; a [`DnsError::Timeout`] when none is.
fn left_until(
    deadline: Instant,
    server: SocketAddr,
    timeout: Duration,
) -> Result<Duration, DnsError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(DnsError::Timeout {
            server,
            after: timeout,
        });
    }
    Ok(left)
}

/// Fills `buf` from `s` by `deadline`, each read waiting only for the time left.
fn read_until(
    s: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    server: SocketAddr,
    timeout: Duration,
) -> Result<(), DnsError> {
    let mut got = 0;
    while got < buf.len() {
        let left = left_until(deadline, server, timeout)?;
        s.set_read_timeout(Some(left))
            .map_err(|e| io_err(server, e, timeout))?;
        match s.read(&mut buf[got..]) {
            Ok(0) => {
                return Err(DnsError::Malformed {
                    server,
                    why: format!(
                        "the TCP connection closed after {got} of {} bytes",
                        buf.len()
                    ),
                })
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(server, e, timeout)),
        }
    }
    Ok(())
}

/// dig's mnemonic for a response code.
fn rcode_name(code: u16) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        7 => "YXRRSET".into(),
        8 => "NXRRSET".into(),
        9 => "NOTAUTH".into(),
        10 => "NOTZONE".into(),
        16 => "BADVERS".into(),
        n => format!("RCODE{n}"),
    }
}

fn rec(r: &Record) -> Rec {
    let data = match &r.data {
        // dig quotes every TXT string.
        RData::TXT(t) => t
            .txt_data
            .iter()
            .map(|d| format!("\"{}\"", String::from_utf8_lossy(d)))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    Rec {
        name: r.name.to_ascii(),
        ttl: r.ttl,
        class: r.dns_class.to_string(),
        rtype: r.record_type().to_string(),
        data,
    }
}

fn answer(
    server: SocketAddr,
    transport: Transport,
    m: &Message,
    size: usize,
    start: Instant,
) -> Answer {
    let h = &m.metadata;
    let mut flags = vec!["qr"];
    for (on, f) in [
        (h.authoritative, "aa"),
        (h.truncation, "tc"),
        (h.recursion_desired, "rd"),
        (h.recursion_available, "ra"),
        (h.authentic_data, "ad"),
        (h.checking_disabled, "cd"),
    ] {
        if on {
            flags.push(f);
        }
    }
    Answer {
        server,
        transport,
        id: h.id,
        rcode: rcode_name(u16::from(h.response_code)),
        flags,
        question: m
            .queries
            .iter()
            .map(|q| Question {
                name: q.name.to_ascii(),
                qtype: q.query_type.to_string(),
                class: q.query_class.to_string(),
            })
            .collect(),
        answers: m.answers.iter().map(rec).collect(),
        authority: m.authorities.iter().map(rec).collect(),
        additional: m.additionals.iter().map(rec).collect(),
        elapsed_us: start.elapsed().as_micros() as u64,
        size,
        edns: m.edns.as_ref().map(|e| EdnsInfo {
            version: e.version(),
            udp: e.max_payload(),
            dnssec_ok: e.flags().dnssec_ok,
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("10.1.2.3".parse().unwrap()),
            "3.2.1.10.in-addr.arpa."
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
    }

    #[test]
    fn refused_and_timeout_are_told_apart_on_loopback() {
        // Nothing listens on this loopback port: ICMP port unreachable comes back at once.
        let free = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        let e = query(
            addr,
            "x.test",
            RecordType::A,
            false,
            Duration::from_millis(500),
        )
        .unwrap_err();
        assert!(matches!(e, DnsError::Refused { .. }), "{e}");
        // A socket that reads nothing: a timeout.
        let mute = UdpSocket::bind("127.0.0.1:0").unwrap();
        let e = query(
            mute.local_addr().unwrap(),
            "x.test",
            RecordType::A,
            false,
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(e, DnsError::Timeout { .. }), "{e}");
    }

    #[test]
    fn a_tiny_server_on_loopback_is_understood() {
        // Answer one question with a hand-built reply: A 192.0.2.7 (a documentation address;
        // nothing is sent to it, it is only data).
        let srv = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = srv.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = srv.recv_from(&mut buf).unwrap();
            let q = Message::from_vec(&buf[..n]).unwrap();
            let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            r.metadata.authoritative = true;
            r.add_query(q.queries[0].clone());
            r.add_answer(Record::from_rdata(
                q.queries[0].name.clone(),
                60,
                RData::A("192.0.2.7".parse().unwrap()),
            ));
            srv.send_to(&r.to_vec().unwrap(), from).unwrap();
        });
        let a = query(
            addr,
            "web.test",
            RecordType::A,
            false,
            Duration::from_secs(2),
        )
        .unwrap();
        t.join().unwrap();
        assert_eq!(a.rcode, "NOERROR");
        assert!(a.flags.contains(&"aa"));
        assert_eq!(a.answers[0].name, "web.test.");
        assert_eq!(a.answers[0].data, "192.0.2.7");
        assert_eq!(a.ips(), vec!["192.0.2.7".parse::<IpAddr>().unwrap()]);
    }

    /// A server that answers over UDP with TC set and then sends its TCP answer's length and
    /// one byte every 100 ms, on loopback: (UDP socket, TCP listener) on one port.
    pub(crate) fn tc_then_drip() -> SocketAddr {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        let udp = UdpSocket::bind(addr).unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = udp.recv_from(&mut buf) {
                let q = Message::from_vec(&buf[..n]).unwrap();
                let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
                r.metadata.truncation = true;
                r.add_query(q.queries[0].clone());
                let _ = udp.send_to(&r.to_vec().unwrap(), from);
            }
        });
        std::thread::spawn(move || {
            for s in tcp.incoming() {
                let Ok(mut s) = s else { return };
                std::thread::spawn(move || {
                    let _ = s.write_all(&[0x01, 0x00]);
                    for _ in 0..256 {
                        std::thread::sleep(Duration::from_millis(100));
                        if s.write_all(&[0]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn a_dripped_tcp_answer_ends_within_the_query_timeout() {
        let addr = tc_then_drip();
        let start = Instant::now();
        let e = query(
            addr,
            "x.test",
            RecordType::A,
            false,
            Duration::from_millis(600),
        )
        .unwrap_err();
        let took = start.elapsed();
        assert!(matches!(e, DnsError::Timeout { .. }), "{e}");
        assert!(took < Duration::from_millis(900), "{took:?}");
        assert!(took >= Duration::from_millis(550), "{took:?}");
    }
}
