//! Neighbours: does the next hop towards each destination answer ARP/NDP?

use std::net::IpAddr;
use std::time::Duration;

use crate::facts::Facts;
use crate::{Context, Finding};

/// `neighbour:<ip>`: for every destination, the next hop (its gateway, or the destination
/// itself when it is on a attached network) must resolve to a link-layer address.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let mut hops: Vec<(IpAddr, String, String)> = Vec::new();
    // Every destination behind each hop (ids name the hop, not the destination).
    let mut behind: Vec<Vec<String>> = Vec::new();
    for d in &ctx.dests {
        for ip in d.addresses.iter().take(1) {
            let Ok(r) = facts.route_get(*ip) else {
                continue;
            };
            if r.kind.is_some() {
                continue; // local, broadcast, blackhole…: no neighbour involved
            }
            let hop = r.gateway.unwrap_or(*ip);
            let dev = r.dev.clone().unwrap_or_default();
            match hops.iter().position(|(h, _, _)| *h == hop) {
                Some(i) => behind[i].push(d.label()),
                None => {
                    hops.push((hop, dev, d.label()));
                    behind.push(vec![d.label()]);
                }
            }
        }
    }
    if hops.is_empty() {
        return vec![Finding::skipped(
            "neighbour",
            "no destination with a next hop on an attached network",
        )];
    }
    // Resolution takes under a millisecond when the neighbour is there; the kernel retries
    // unanswered ones every second. Watch for a little over one retry.
    let wait = ctx.opts.probe_timeout.min(Duration::from_millis(1300));
    let asked: Vec<(IpAddr, String)> = hops.iter().map(|(h, d, _)| (*h, d.clone())).collect();
    let state = facts.resolve_neighbours(&asked, wait);
    hops.iter()
        .zip(state)
        .map(|((hop, dev, dest), n)| (hop, dev, dest, n))
        .zip(&behind)
        .map(|((hop, dev, dest, n), behind)| {
            let f = match n {
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
            };
            behind.iter().fold(f, |f, d| f.about(d.clone()))
        })
        .collect()
}
