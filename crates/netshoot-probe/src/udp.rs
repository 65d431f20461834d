//! A UDP port probe with a verdict, as `nc -zu` and `nmap -sU` report it without a payload.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use serde::Serialize;

/// The longest wait for an ICMP port unreachable: silence after this is open|filtered.
pub const UDP_WAIT_MAX: Duration = Duration::from_secs(2);

/// What an empty datagram to a UDP port found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UdpOutcome {
    /// A datagram came back, or nothing did: something listens, or a firewall drops
    /// (`open|filtered`, as nc and nmap say).
    OpenFiltered,
    /// An ICMP port unreachable came back (ECONNREFUSED on the connected socket): nothing
    /// listens.
    Refused,
    /// The datagram could not be sent or the network said no (no route, host unreachable).
    Unreachable {
        /// The OS error.
        reason: String,
    },
}

/// Sends an empty datagram to `addr` from a connected socket and waits up to `timeout` (at most
/// [`UDP_WAIT_MAX`]) for an answer or a port unreachable.
pub fn udp_probe(addr: SocketAddr, timeout: Duration) -> UdpOutcome {
    let bind: SocketAddr = if addr.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let r = (|| -> std::io::Result<bool> {
        let s = UdpSocket::bind(bind)?;
        s.connect(addr)?;
        s.send(&[])?;
        s.set_read_timeout(Some(timeout.min(UDP_WAIT_MAX)))?;
        let mut b = [0u8; 1];
        match s.recv(&mut b) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(false),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(true),
            Err(e) => Err(e),
        }
    })();
    match r {
        Ok(true) => UdpOutcome::OpenFiltered,
        Ok(false) => UdpOutcome::Refused,
        Err(e) => UdpOutcome::Unreachable {
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_and_closed_ports_on_loopback() {
        let open = UdpSocket::bind("127.0.0.1:0").unwrap();
        let a = open.local_addr().unwrap();
        assert_eq!(
            udp_probe(a, Duration::from_millis(200)),
            UdpOutcome::OpenFiltered
        );
        drop(open);
        assert_eq!(udp_probe(a, Duration::from_secs(1)), UdpOutcome::Refused);
    }
}
