//! Port checks as `nc -z` makes them: one port after the other, TCP connect or an empty UDP
//! datagram, each with a typed verdict.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::tcp::{tcp_connect, ConnectOutcome};
use crate::udp::{udp_probe, UdpOutcome};

/// The transport checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP connect.
    Tcp,
    /// An empty UDP datagram.
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn word(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One port's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// TCP: the handshake completed.
    #[serde(rename = "open")]
    Open,
    /// UDP: no port unreachable came back (something listens, or a firewall drops).
    #[serde(rename = "open|filtered")]
    OpenFiltered,
    /// A reset (TCP) or an ICMP port unreachable (UDP): nothing listens.
    #[serde(rename = "refused")]
    Refused,
    /// TCP: no answer in time (a firewall drops, or the host is down).
    #[serde(rename = "timeout")]
    Timeout,
    /// The network said no (no route, host unreachable), or the socket failed.
    #[serde(rename = "unreachable")]
    Unreachable,
}

impl Verdict {
    /// The word in reports and JSON: `open`, `open|filtered`, `refused`, `timeout`,
    /// `unreachable`.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::OpenFiltered => "open|filtered",
            Verdict::Refused => "refused",
            Verdict::Timeout => "timeout",
            Verdict::Unreachable => "unreachable",
        }
    }

    /// Whether the port answered as nc counts it (`open`, or `open|filtered` for UDP).
    pub fn succeeded(self) -> bool {
        matches!(self, Verdict::Open | Verdict::OpenFiltered)
    }
}

/// One port checked.
#[derive(Debug, Clone, Serialize)]
pub struct PortCheck {
    /// Host as given.
    pub host: String,
    /// Its address.
    pub address: IpAddr,
    /// Port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub proto: Proto,
    /// The verdict.
    pub state: Verdict,
    /// Detail: the OS error's words (`Connection refused`, `Connection timed out`, …).
    pub detail: Option<String>,
    /// Time to the verdict, ms.
    pub elapsed_ms: f64,
}

/// Checks one port of `ip` (`host`: as given, for the report).
pub fn check_port(host: &str, ip: IpAddr, port: u16, proto: Proto, timeout: Duration) -> PortCheck {
    let addr = SocketAddr::new(ip, port);
    let start = Instant::now();
    let (state, detail) = match proto {
        Proto::Udp => match udp_probe(addr, timeout) {
            UdpOutcome::OpenFiltered => (Verdict::OpenFiltered, None),
            UdpOutcome::Refused => (Verdict::Refused, Some("Connection refused".into())),
            UdpOutcome::Unreachable { reason } => (Verdict::Unreachable, Some(reason)),
        },
        Proto::Tcp => match tcp_connect(addr, timeout) {
            ConnectOutcome::Open { .. } => (Verdict::Open, None),
            ConnectOutcome::Refused => (Verdict::Refused, Some("Connection refused".into())),
            ConnectOutcome::Timeout => (Verdict::Timeout, Some("Connection timed out".into())),
            ConnectOutcome::Unreachable { reason } => (Verdict::Unreachable, Some(reason)),
        },
    };
    PortCheck {
        host: host.to_string(),
        address: ip,
        port,
        proto,
        state,
        detail,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
    }
}

/// Checks `ports` of `ip` one after the other, passing each verdict to `each` as it comes.
pub fn check_ports(
    host: &str,
    ip: IpAddr,
    ports: &[u16],
    proto: Proto,
    timeout: Duration,
    mut each: impl FnMut(&PortCheck),
) -> Vec<PortCheck> {
    ports
        .iter()
        .map(|&port| {
            let r = check_port(host, ip, port, proto, timeout);
            each(&r);
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_on_loopback_serialize_as_nc_words() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap().port();
        let closed = {
            let t = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            t.local_addr().unwrap().port()
        };
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let rs = check_ports(
            "lo",
            ip,
            &[open, closed],
            Proto::Tcp,
            Duration::from_secs(1),
            |_| {},
        );
        assert_eq!(rs[0].state, Verdict::Open);
        assert_eq!(rs[1].state, Verdict::Refused);
        let v = serde_json::to_value(&rs[1]).unwrap();
        assert_eq!(v["state"], "refused");
        assert_eq!(v["proto"], "tcp");
        assert_eq!(v["detail"], "Connection refused");
        let u = check_port("lo", ip, closed, Proto::Udp, Duration::from_secs(1));
        assert_eq!(serde_json::to_value(u.state).unwrap(), "refused");
        assert_eq!(
            serde_json::to_value(Verdict::OpenFiltered).unwrap(),
            "open|filtered"
        );
    }
}
