//! TCP connect with a verdict, as `nc -vz` reports it.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What a connect attempt found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum ConnectOutcome {
    /// The handshake completed.
    Open {
        /// Round trip of the handshake, milliseconds.
        rtt_ms: f64,
    },
    /// The other side answered with a reset (or ICMP port unreachable): nothing listens, or a
    /// firewall rejects.
    Refused,
    /// No answer at all: a firewall drops, or the host is down.
    Timeout,
    /// The network said the host or network is unreachable (ICMP), or there is no route.
    Unreachable {
        /// The OS error.
        reason: String,
    },
}

/// Connects to `addr` and closes again at once.
pub fn tcp_connect(addr: SocketAddr, timeout: Duration) -> ConnectOutcome {
    let start = Instant::now();
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(_) => ConnectOutcome::Open {
            rtt_ms: start.elapsed().as_secs_f64() * 1000.0,
        },
        Err(e) => match e.kind() {
            ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
            ErrorKind::TimedOut | ErrorKind::WouldBlock => ConnectOutcome::Timeout,
            _ => ConnectOutcome::Unreachable {
                reason: e.to_string(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_refused_on_loopback() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        assert!(matches!(
            tcp_connect(a, Duration::from_secs(1)),
            ConnectOutcome::Open { .. }
        ));
        drop(l);
        assert_eq!(
            tcp_connect(a, Duration::from_secs(1)),
            ConnectOutcome::Refused
        );
    }
}
