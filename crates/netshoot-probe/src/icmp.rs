//! One ICMP echo with a chosen size, DF and TTL, and what came back.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use socket2::{Domain, Protocol, Socket, Type};

use crate::ProbeError;

/// What one echo request got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EchoOutcome {
    /// An echo reply.
    Reply {
        /// Who answered.
        from: IpAddr,
        /// Round trip, milliseconds.
        rtt_ms: f64,
        /// The reply's IP TTL / hop limit, when seen.
        ttl: Option<u8>,
    },
    /// Nothing came back in time.
    Timeout,
    /// The packet is larger than the path MTU the kernel knows (`EMSGSIZE`), or a router said
    /// "fragmentation needed" / "packet too big".
    TooBig {
        /// The router that said so (`None` for the local `EMSGSIZE`).
        from: Option<IpAddr>,
        /// The MTU it reported (next-hop MTU, or the kernel's path MTU).
        mtu: Option<u32>,
    },
    /// Another ICMP error about our echo (unreachable, TTL exceeded, …).
    Error {
        /// Who sent it.
        from: IpAddr,
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// In words (`host unreachable`, `TTL exceeded`, `administratively prohibited`, …).
        text: String,
    },
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum = sum.wrapping_add(w as u32);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn next_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static SEQ: AtomicU16 = AtomicU16::new(0);
    (std::process::id() as u16)
        .wrapping_mul(31)
        .wrapping_add(SEQ.fetch_add(1, Ordering::Relaxed))
}

fn text4(t: u8, c: u8) -> String {
    match (t, c) {
        (3, 0) => "network unreachable".into(),
        (3, 1) => "host unreachable".into(),
        (3, 2) => "protocol unreachable".into(),
        (3, 3) => "port unreachable".into(),
        (3, 4) => "fragmentation needed".into(),
        (3, 9 | 10 | 13) => "administratively prohibited".into(),
        (11, 0) => "TTL exceeded in transit".into(),
        (11, 1) => "fragment reassembly time exceeded".into(),
        _ => format!("ICMP type {t} code {c}"),
    }
}

fn text6(t: u8, c: u8) -> String {
    match (t, c) {
        (1, 0) => "no route to destination".into(),
        (1, 1) => "administratively prohibited".into(),
        (1, 3) => "address unreachable".into(),
        (1, 4) => "port unreachable".into(),
        (2, _) => "packet too big".into(),
        (3, 0) => "hop limit exceeded in transit".into(),
        _ => format!("ICMPv6 type {t} code {c}"),
    }
}

/// Sends one echo request of `payload_len` bytes to `dst` and waits up to `timeout` for what
/// comes back. With `dont_fragment` the packet carries DF (IPv4) and is never fragmented locally.
pub fn ping_once(
    dst: IpAddr,
    payload_len: usize,
    dont_fragment: bool,
    ttl: Option<u8>,
    timeout: Duration,
) -> Result<EchoOutcome, ProbeError> {
    let v6 = dst.is_ipv6();
    let (domain, proto) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let sock = Socket::new(domain, Type::RAW, Some(proto)).map_err(|e| match e.kind() {
        ErrorKind::PermissionDenied => ProbeError::NoRawSocket,
        _ => ProbeError::Io {
            what: "opening a raw ICMP socket".into(),
            source: e,
        },
    })?;
    let io = |what: &str| {
        let what = what.to_string();
        move |source| ProbeError::Io { what, source }
    };
    crate::sys::set_dont_fragment(&sock, v6, dont_fragment).map_err(io("setting DF"))?;
    if let Some(t) = ttl {
        if v6 {
            sock.set_unicast_hops_v6(t as u32)
                .map_err(io("setting the hop limit"))?;
        } else {
            sock.set_ttl_v4(t as u32).map_err(io("setting the TTL"))?;
        }
    }
    let id = next_id();
    let seq: u16 = 1;
    let mut pkt = vec![0u8; 8 + payload_len];
    pkt[0] = if v6 { 128 } else { 8 };
    pkt[4..6].copy_from_slice(&id.to_be_bytes());
    pkt[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in pkt[8..].iter_mut().enumerate() {
        *b = (i & 0xff) as u8;
    }
    if !v6 {
        // The kernel computes the ICMPv6 checksum itself (it covers a pseudo-header).
        let c = checksum(&pkt);
        pkt[2..4].copy_from_slice(&c.to_be_bytes());
    }
    // std's datagram API works on a raw socket and needs no `unsafe` for the receive buffer.
    let sock: std::net::UdpSocket = sock.into();
    let start = Instant::now();
    if let Err(e) = sock.send_to(&pkt, SocketAddr::new(dst, 0)) {
        if e.raw_os_error() == Some(nix::libc::EMSGSIZE) {
            return Ok(EchoOutcome::TooBig {
                from: None,
                mtu: None,
            });
        }
        return Err(ProbeError::Io {
            what: format!("sending an echo request to {dst}"),
            source: e,
        });
    }
    let deadline = start + timeout;
    let mut buf = vec![0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(EchoOutcome::Timeout);
        }
        sock.set_read_timeout(Some(left))
            .map_err(io("setting a timeout"))?;
        let (n, from) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(EchoOutcome::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(ProbeError::Io {
                    what: "receiving".into(),
                    source: e,
                })
            }
        };
        let data = &buf[..n];
        let rtt_ms = start.elapsed().as_secs_f64() * 1000.0;
        if let Some(out) = if v6 {
            parse6(data, id, seq, from.ip(), rtt_ms)
        } else {
            parse4(data, id, seq, dst, from.ip(), rtt_ms)
        } {
            return Ok(out);
        }
    }
}

/// IPv4 raw sockets deliver the IP header too.
fn parse4(
    d: &[u8],
    id: u16,
    seq: u16,
    dst: IpAddr,
    from: IpAddr,
    rtt_ms: f64,
) -> Option<EchoOutcome> {
    let ihl = (*d.first()? & 0x0f) as usize * 4;
    let ttl = *d.get(8)?;
    let icmp = d.get(ihl..)?;
    let (t, c) = (*icmp.first()?, *icmp.get(1)?);
    match t {
        0 => {
            let rid = u16::from_be_bytes([*icmp.get(4)?, *icmp.get(5)?]);
            let rseq = u16::from_be_bytes([*icmp.get(6)?, *icmp.get(7)?]);
            (rid == id && rseq == seq && from == dst).then_some(EchoOutcome::Reply {
                from,
                rtt_ms,
                ttl: Some(ttl),
            })
        }
        3 | 11 | 12 => {
            // The error quotes our IP header and the first 8 bytes of our echo.
            let inner = icmp.get(8..)?;
            let iihl = (*inner.first()? & 0x0f) as usize * 4;
            let idst = IpAddr::from([
                *inner.get(16)?,
                *inner.get(17)?,
                *inner.get(18)?,
                *inner.get(19)?,
            ]);
            let echo = inner.get(iihl..)?;
            let rid = u16::from_be_bytes([*echo.get(4)?, *echo.get(5)?]);
            if *echo.first()? != 8 || rid != id || idst != dst {
                return None;
            }
            if t == 3 && c == 4 {
                let mtu = u16::from_be_bytes([*icmp.get(6)?, *icmp.get(7)?]) as u32;
                return Some(EchoOutcome::TooBig {
                    from: Some(from),
                    mtu: (mtu > 0).then_some(mtu),
                });
            }
            Some(EchoOutcome::Error {
                from,
                icmp_type: t,
                code: c,
                text: text4(t, c),
            })
        }
        _ => None,
    }
}

/// IPv6 raw sockets deliver the ICMPv6 message without the IP header.
fn parse6(icmp: &[u8], id: u16, seq: u16, from: IpAddr, rtt_ms: f64) -> Option<EchoOutcome> {
    let (t, c) = (*icmp.first()?, *icmp.get(1)?);
    match t {
        129 => {
            let rid = u16::from_be_bytes([*icmp.get(4)?, *icmp.get(5)?]);
            let rseq = u16::from_be_bytes([*icmp.get(6)?, *icmp.get(7)?]);
            (rid == id && rseq == seq).then_some(EchoOutcome::Reply {
                from,
                rtt_ms,
                ttl: None,
            })
        }
        1..=3 => {
            // The error quotes our IPv6 header (40 bytes) and our echo.
            let echo = icmp.get(8 + 40..)?;
            let rid = u16::from_be_bytes([*echo.get(4)?, *echo.get(5)?]);
            if *echo.first()? != 128 || rid != id {
                return None;
            }
            if t == 2 {
                let mtu = u32::from_be_bytes([
                    *icmp.get(4)?,
                    *icmp.get(5)?,
                    *icmp.get(6)?,
                    *icmp.get(7)?,
                ]);
                return Some(EchoOutcome::TooBig {
                    from: Some(from),
                    mtu: Some(mtu),
                });
            }
            Some(EchoOutcome::Error {
                from,
                icmp_type: t,
                code: c,
                text: text6(t, c),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_known_echo() {
        // type 8, code 0, id 0x1234, seq 1, no payload.
        let mut p = [8u8, 0, 0, 0, 0x12, 0x34, 0, 1];
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&p), 0);
    }

    #[test]
    fn malformed_and_foreign_packets_are_ignored_not_panicked_on() {
        let dst: IpAddr = "10.0.0.1".parse().unwrap();
        for d in [
            &[][..],
            &[0x45][..],
            &[0x4f, 0, 0, 0, 0, 0, 0, 0, 64][..],
            &[0x45; 28][..],
        ] {
            assert_eq!(parse4(d, 1, 1, dst, dst, 0.0), None);
            assert_eq!(parse6(d, 1, 1, dst, 0.0), None);
        }
    }

    #[test]
    fn loopback_answers() {
        let r = ping_once(
            "127.0.0.1".parse().unwrap(),
            56,
            true,
            None,
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(matches!(r, EchoOutcome::Reply { .. }), "{r:?}");
        // Larger than loopback's MTU with DF: refused locally.
        let r = ping_once(
            "127.0.0.1".parse().unwrap(),
            70000 - 28,
            true,
            None,
            Duration::from_secs(1),
        );
        assert!(
            r.is_err() || matches!(r, Ok(EchoOutcome::TooBig { .. })),
            "{r:?}"
        );
    }
}
