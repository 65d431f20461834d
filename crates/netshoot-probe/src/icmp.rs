//! One ICMP echo with a chosen size, DF and TTL, and what came back.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ping::{Method, PingOptions, Pinger};
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

/// Sends one echo request of `payload_len` bytes to `dst` and waits up to `timeout` for what
/// comes back. With `dont_fragment` the packet carries DF (IPv4) and is never fragmented locally.
///
/// It is one request of a [`Pinger`](crate::ping::Pinger) session: over a raw socket when the
/// process may open one (every ICMP error about the echo is seen: fragmentation needed with the
/// next-hop MTU, unreachable, TTL exceeded), else over an unprivileged ICMP datagram socket
/// when `net.ipv4.ping_group_range` allows it (replies, timeouts and the local `EMSGSIZE` only).
pub fn ping_once(
    dst: IpAddr,
    payload_len: usize,
    dont_fragment: bool,
    ttl: Option<u8>,
    timeout: Duration,
) -> Result<EchoOutcome, ProbeError> {
    let opts = PingOptions {
        count: Some(1),
        size: payload_len,
        ttl,
        dont_fragment,
        wait: timeout,
        ..Default::default()
    };
    Pinger::open(dst, &opts, Method::Raw)?.echo_once(1, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

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
