//! Several ping sessions at once (`ping` with several hosts or a CIDR, fping, nmap's host
//! discovery): a thread a host, 64 hosts at a time, reports in the hosts' order.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::ping::{Method, PingEvent, PingOptions, PingStats, Pinger};
use crate::ProbeError;

/// How many sessions run at once.
pub const AT_ONCE: usize = 64;

/// One host's session.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    /// What was asked for.
    pub host: String,
    /// The address pinged.
    pub address: IpAddr,
    /// `datagram` or `raw`.
    pub method: Method,
    /// Replies and errors, in order.
    pub events: Vec<PingEvent>,
    /// iputils' statistics.
    pub stats: PingStats,
}

/// One session per host (`(shown, address)`), [`AT_ONCE`] at a time, reports in the hosts'
/// order. With `until_first_reply`, a host's session ends at its first reply (fping's default).
pub fn sessions(
    hosts: &[(String, IpAddr)],
    opts: &PingOptions,
    until_first_reply: bool,
) -> Result<Vec<HostReport>, ProbeError> {
    let mut reports: Vec<HostReport> = Vec::new();
    for chunk in hosts.chunks(AT_ONCE) {
        let done: Vec<Result<HostReport, ProbeError>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(h, a)| s.spawn(move || session(h, *a, opts, until_first_reply)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ProbeError::Io {
                            what: "a ping thread".into(),
                            source: std::io::Error::other("it panicked"),
                        })
                    })
                })
                .collect()
        });
        for r in done {
            reports.push(r?);
        }
    }
    Ok(reports)
}

/// One host's whole session, its events collected.
fn session(
    host: &str,
    address: IpAddr,
    opts: &PingOptions,
    until_first_reply: bool,
) -> Result<HostReport, ProbeError> {
    let mut own = PingOptions::clone(opts);
    let first = Arc::new(AtomicBool::new(false));
    if until_first_reply {
        own.stop = Some(first.clone());
    }
    let p = Pinger::new(address, &own)?;
    let mut events = Vec::new();
    let stats = p.run(&own, |e| {
        if matches!(e, PingEvent::Reply { .. }) {
            first.store(true, Ordering::SeqCst);
        }
        events.push(e.clone())
    });
    Ok(HostReport {
        host: host.to_string(),
        address,
        method: p.method(),
        events,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Loopback answers every session; the reports keep the hosts' order. Skipped where ICMP
    /// sockets are not allowed (no CAP_NET_RAW and a closed ping_group_range).
    #[test]
    fn loopback_sessions_in_order_until_the_first_reply() {
        let hosts: Vec<(String, IpAddr)> = (1..=3)
            .map(|i| {
                let a: IpAddr = format!("127.0.0.{i}").parse().unwrap();
                (a.to_string(), a)
            })
            .collect();
        let opts = PingOptions {
            count: Some(3),
            interval: Duration::from_millis(50),
            wait: Duration::from_millis(500),
            ..PingOptions::default()
        };
        let reports = match sessions(&hosts, &opts, true) {
            Err(ProbeError::NoRawSocket) => {
                eprintln!("skipped: ICMP sockets are not allowed here");
                return;
            }
            r => r.unwrap(),
        };
        let shown: Vec<&str> = reports.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(shown, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
        for r in &reports {
            assert_eq!(r.stats.received, 1, "{r:?}");
            assert!(r.stats.transmitted <= 2, "{r:?}");
        }
    }
}
