//! DNS as the target resolves it: its resolv.conf and hosts, queries over UDP and TCP, lookups
//! through the search list with a trace of every name tried.

pub mod conf;
pub mod hosts;
mod lookup;
mod query;
mod resolve;

use std::net::SocketAddr;
use std::time::Duration;

pub use conf::ResolvConf;
pub use hickory_proto::rr::RecordType;
pub use lookup::{
    absolute, ask, candidates, lookup, lookup_host, lookup_within, Asked, Lookup, Tried,
};
#[doc(hidden)]
pub use query::decode_reply;
pub use query::{query, query_with_id, reverse_name, Answer, EdnsInfo, Question, Rec, Transport};
pub use resolve::{resolve_one, Family, Names, ResolveError, RESOLVE_TIMEOUT, RESOLVE_WHOLE};

/// What can go wrong with a query or a lookup. Each message is one line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DnsError {
    /// No answer in time.
    #[error("{server}: no answer within {} ms", after.as_millis())]
    Timeout {
        /// The server asked.
        server: SocketAddr,
        /// How long we waited.
        after: Duration,
    },
    /// The server's host answered with ICMP port unreachable (or a TCP reset): nothing listens
    /// on its DNS port.
    #[error("{server}: connection refused (nothing listens on the DNS port there)")]
    Refused {
        /// The server asked.
        server: SocketAddr,
    },
    /// No route to the server, or the network said it is unreachable.
    #[error("{server}: unreachable ({why})")]
    Unreachable {
        /// The server asked.
        server: SocketAddr,
        /// The OS error.
        why: String,
    },
    /// A name that is no valid domain name.
    #[error("'{name}' is not a valid domain name: {why}")]
    BadName {
        /// As given.
        name: String,
        /// Why.
        why: String,
    },
    /// The answer could not be decoded.
    #[error("{server}: malformed answer: {why}")]
    Malformed {
        /// The server.
        server: SocketAddr,
        /// What failed.
        why: String,
    },
    /// No nameserver to ask.
    #[error("no nameserver in the target's resolv.conf: add a 'nameserver ADDRESS' line")]
    NoServers,
    /// Every name tried came back without an address.
    #[error("'{name}' does not resolve: {summary}")]
    NotFound {
        /// The name.
        name: String,
        /// What each try said, in one line.
        summary: String,
    },
    /// Any other socket error.
    #[error("{server}: {why}")]
    Io {
        /// The server.
        server: SocketAddr,
        /// The OS error.
        why: String,
    },
}
