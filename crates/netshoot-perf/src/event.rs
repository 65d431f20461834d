//! What a running test reports as it goes: typed events, rendered by the caller (netshoot's
//! CLI prints them as iperf3's lines). The library prints nothing itself.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::{IntervalStream, Outcome};

/// One event of a client run or of a server's life.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    /// The server waits for its next test (`test` counts from 1).
    Listening {
        /// The port it listens on.
        port: u16,
        /// Which test it waits for.
        test: u32,
    },
    /// The client is about to connect to the server.
    Connecting {
        /// The host as given.
        host: &'a str,
        /// The server's port.
        port: u16,
    },
    /// The server accepted a control connection.
    Accepted {
        /// The client's address.
        address: IpAddr,
        /// The client's port.
        port: u16,
    },
    /// A data stream is up.
    StreamConnected {
        /// Its descriptor number (iperf3's `[ ID]`).
        fd: i32,
        /// Its local end.
        local: SocketAddr,
        /// Its remote end.
        remote: SocketAddr,
    },
    /// The client in reverse or bidirectional mode: the server sends too.
    PeerSending {
        /// The host as given.
        host: &'a str,
        /// Both directions (`--bidir`) rather than reverse (`-R`).
        bidir: bool,
    },
    /// The streams run; interval rows follow.
    Running {
        /// UDP rather than TCP.
        udp: bool,
        /// This side sends on some stream.
        we_send: bool,
    },
    /// One interval: a row per stream.
    Interval {
        /// UDP rather than TCP.
        udp: bool,
        /// The streams' numbers in the interval.
        rows: &'a [IntervalStream],
    },
    /// The server finished a test (cut short or not).
    Finished {
        /// What both sides counted.
        outcome: &'a Outcome,
    },
    /// The server lowered the rate a client asked it to send at (its `--max-bitrate`).
    RateCapped {
        /// The client's `-b`, bits per second per stream (0: unlimited).
        asked: u64,
        /// What each of the server's sending streams gets.
        capped: u64,
        /// The server's sending streams.
        streams: u32,
        /// UDP rather than TCP.
        udp: bool,
    },
    /// The server could not run a test; it goes on with the next one.
    TestFailed {
        /// Which test.
        test: u32,
        /// Why, on one line.
        error: &'a str,
    },
}
