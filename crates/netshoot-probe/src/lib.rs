//! Probes that send real packets from the calling thread's namespace, each bounded by a timeout.
//! Plain blocking sockets: callable from any thread, with or without an async runtime.

pub mod connect;
pub mod icmp;
pub mod netgen;
pub mod ping;
pub mod scan;
pub mod sweep;
mod sys;
pub mod tcp;
pub mod trace;
pub mod udp;

pub use icmp::{ping_once, EchoOutcome};
pub use tcp::{tcp_connect, ConnectOutcome};
pub use udp::{udp_probe, UdpOutcome};

/// Errors that stop a probe before it can send.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No raw socket allowed.
    #[error("sending ICMP needs CAP_NET_RAW (and net.ipv4.ping_group_range does not allow unprivileged ICMP sockets): run as root, or give the container --cap-add NET_RAW")]
    NoRawSocket,
    /// Any other socket error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
}
