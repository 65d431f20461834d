//! Neighbours: does the next hop towards each destination answer ARP/NDP?

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::{Context, Finding};

/// `neighbour:<ip>`: for every destination, the next hop (its gateway, or the destination
/// itself when it is on a attached network) must resolve to a link-layer address.
pub fn check(ctx: &Context) -> Vec<Finding> {
    let mut hops: Vec<(IpAddr, String, String)> = Vec::new();
    for d in &ctx.dests {
        for ip in d.addresses.iter().take(1) {
            let Ok(r) = netshoot_inspect::route_get(*ip) else {
                continue;
            };
            if r.kind.is_some() {
                continue; // local, broadcast, blackhole…: no neighbour involved
            }
            let hop = r.gateway.unwrap_or(*ip);
            let dev = r.dev.clone().unwrap_or_default();
            if !hops.iter().any(|(h, _, _)| *h == hop) {
                hops.push((hop, dev, d.label()));
            }
        }
    }
    if hops.is_empty() {
        return vec![Finding::skipped(
            "neighbour",
            "no destination with a next hop on an attached network",
        )];
    }
    // Ask the kernel to resolve each next hop: one empty datagram to the discard port.
    for (hop, _, _) in &hops {
        let bind = if hop.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
        if let Ok(s) = UdpSocket::bind(bind) {
            let _ = s.send_to(&[], SocketAddr::new(*hop, 9));
        }
    }
    // Resolution takes under a millisecond when the neighbour is there; the kernel retries
    // unanswered ones every second. Watch for a little over one retry.
    let deadline = Instant::now() + ctx.opts.probe_timeout.min(Duration::from_millis(1300));
    let mut state: Vec<Option<netshoot_inspect::Neighbour>> = vec![None; hops.len()];
    loop {
        if let Ok(ns) = netshoot_inspect::neighbours(None) {
            for (i, (hop, dev, _)) in hops.iter().enumerate() {
                state[i] = ns.iter().find(|n| n.dst == *hop && &n.dev == dev).cloned();
            }
        }
        let pending = state.iter().any(|s| {
            s.as_ref()
                .is_none_or(|n| matches!(n.state.as_str(), "INCOMPLETE" | "NONE"))
        });
        if !pending || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    hops.iter()
        .zip(state)
        .map(|((hop, dev, dest), n)| match n {
            Some(n) if !matches!(n.state.as_str(), "INCOMPLETE" | "FAILED" | "NONE") => Finding::ok(
                format!("neighbour:{hop}"),
                format!("Next hop {hop} for {dest} answers ARP/NDP on {dev} ({}, {}).", n.state, n.lladdr.clone().unwrap_or_default()),
            ),
            other => {
                let st = other.as_ref().map(|n| n.state.clone()).unwrap_or_else(|| "no entry".into());
                Finding::fail(
                    format!("neighbour:{hop}"),
                    format!("The next hop {hop} for {dest} does not answer ARP/NDP on {dev} ({st}): it is down, disconnected, or not on this network."),
                )
                .evidence(format!("ip neigh: {hop} dev {dev} {st}"))
                .why("Without the neighbour's link-layer address no packet can be delivered to it.")
                .fix(format!("check that {hop} is up and attached to the same network as {dev} (netshoot targets shows where it lives; netshoot ip link shows {dev}'s peer)"))
            }
        })
        .collect()
}
