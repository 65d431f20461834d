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

/// The ICMP sockets of a sweep, opened up front (as many as run at once, [`AT_ONCE`], per
/// address family), so that a caller can drop its privileges before the sessions start their
/// threads: each socket serves host after host ([`Pinger::retarget`]).
pub struct Sockets {
    v4: Vec<Pinger>,
    v6: Vec<Pinger>,
}

impl Sockets {
    /// Opens the sockets `hosts` need (at most [`AT_ONCE`] of each family).
    pub fn open(hosts: &[(String, IpAddr)], opts: &PingOptions) -> Result<Sockets, ProbeError> {
        let pool = |v6: bool| -> Result<Vec<Pinger>, ProbeError> {
            let of: Vec<IpAddr> = hosts
                .iter()
                .map(|h| h.1)
                .filter(|a| a.is_ipv6() == v6)
                .take(AT_ONCE)
                .collect();
            of.iter().map(|a| Pinger::new(*a, opts)).collect()
        };
        Ok(Sockets {
            v4: pool(false)?,
            v6: pool(true)?,
        })
    }
}

/// One session per host (`(shown, address)`), [`AT_ONCE`] at a time, reports in the hosts'
/// order. With `until_first_reply`, a host's session ends at its first reply (fping's default).
pub fn sessions(
    hosts: &[(String, IpAddr)],
    opts: &PingOptions,
    until_first_reply: bool,
) -> Result<Vec<HostReport>, ProbeError> {
    sessions_with(Sockets::open(hosts, opts)?, hosts, opts, until_first_reply)
}

/// [`sessions`] with sockets opened before ([`Sockets::open`] for the same `hosts`).
pub fn sessions_with(
    mut sockets: Sockets,
    hosts: &[(String, IpAddr)],
    opts: &PingOptions,
    until_first_reply: bool,
) -> Result<Vec<HostReport>, ProbeError> {
    let lost = || ProbeError::Io {
        what: "a ping thread".into(),
        source: std::io::Error::other("it panicked"),
    };
    let mut reports: Vec<HostReport> = Vec::new();
    for chunk in hosts.chunks(AT_ONCE) {
        let mut jobs = Vec::new();
        for (h, a) in chunk {
            let pool = if a.is_ipv6() {
                &mut sockets.v6
            } else {
                &mut sockets.v4
            };
            let mut p = pool.pop().ok_or_else(lost)?;
            p.retarget(*a);
            jobs.push((h, *a, p));
        }
        let done: Vec<Result<(HostReport, Pinger), ProbeError>> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|(h, a, p)| {
                    s.spawn(move || {
                        let r = session(h, a, &p, opts, until_first_reply);
                        (r, p)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| lost()))
                .collect()
        });
        for r in done {
            let (report, p) = r?;
            if p.destination().is_ipv6() {
                sockets.v6.push(p);
            } else {
                sockets.v4.push(p);
            }
            reports.push(report);
        }
    }
    Ok(reports)
}

/// One host's whole session, its events collected.
fn session(
    host: &str,
    address: IpAddr,
    p: &Pinger,
    opts: &PingOptions,
    until_first_reply: bool,
) -> HostReport {
    let mut own = PingOptions::clone(opts);
    let first = Arc::new(AtomicBool::new(false));
    if until_first_reply {
        own.stop = Some(first.clone());
    }
    let mut events = Vec::new();
    let stats = p.run(&own, |e| {
        if matches!(e, PingEvent::Reply { .. }) {
            first.store(true, Ordering::SeqCst);
        }
        events.push(e.clone())
    });
    HostReport {
        host: host.to_string(),
        address,
        method: p.method(),
        events,
        stats,
    }
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
