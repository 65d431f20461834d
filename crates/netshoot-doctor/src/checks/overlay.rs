//! Overlay MTU: a container interface on a Swarm overlay must leave room for VXLAN's 50 bytes
//! within the underlay's MTU (1450 on a 1500 underlay).

use std::net::IpAddr;

use crate::facts::{Facts, Place};
use crate::{Context, Finding};

/// VXLAN over IPv4: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.
const VXLAN_OVERHEAD: u32 = 50;

/// `mtu.overlay:<network>`.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let Some(c) = &ctx.target.container else {
        return vec![Finding::skipped(
            "mtu.overlay",
            "the target is not a container",
        )];
    };
    if !facts.docker() {
        return vec![Finding::skipped("mtu.overlay", "no Docker engine to ask")];
    }
    let Some(nets) = facts
        .container(&c.id)
        .and_then(|i| i.network_settings)
        .and_then(|n| n.networks)
    else {
        return vec![Finding::skipped(
            "mtu.overlay",
            "the container has no networks",
        )];
    };
    let overlays: Vec<(String, IpAddr)> = nets
        .iter()
        .filter(|(_, ep)| {
            facts
                .network(&ep.network_id)
                .is_some_and(|n| n.driver == "overlay")
        })
        .filter_map(|(name, ep)| Some((name.clone(), ep.ip_address.parse().ok()?)))
        .collect();
    if overlays.is_empty() {
        return vec![Finding::skipped(
            "mtu.overlay",
            "the target is on no overlay network",
        )];
    }
    // The underlay: the host interface that carries the Swarm node address.
    let node: Option<IpAddr> = facts.swarm().and_then(|s| s.node_addr.parse().ok());
    let underlay = match node {
        Some(ip) if facts.host_visible() => facts
            .interfaces(&Place::Host)
            .ok()
            .and_then(|ifs| ifs.into_iter().find(|i| i.holds(ip)))
            .and_then(|i| Some((i.name, i.mtu?))),
        _ => None,
    };
    let Some((under_dev, under_mtu)) = underlay else {
        return vec![Finding::skipped(
            "mtu.overlay",
            "the underlay interface (Swarm node address) is not visible",
        )];
    };
    let ifs = facts.interfaces(&Place::Here).unwrap_or_default();
    let mut out = Vec::new();
    for (net, ip) in overlays {
        let Some(i) = ifs.iter().find(|i| i.holds(ip)) else {
            continue;
        };
        let Some(mtu) = i.mtu else { continue };
        let fits = under_mtu.saturating_sub(VXLAN_OVERHEAD);
        if mtu > fits {
            out.push(
                Finding::fail(
                    format!("mtu.overlay:{net}"),
                    format!(
                        "{} on overlay network {net} has MTU {mtu}, but VXLAN needs {VXLAN_OVERHEAD} bytes of the underlay's {under_mtu}: packets over {fits} bytes cannot cross to other nodes.",
                        i.name
                    ),
                )
                .evidence(format!("{} here: mtu {mtu} (address {ip})", i.name))
                .evidence(format!("underlay {under_dev} on the host: mtu {under_mtu}"))
                .why("Full-size packets on the overlay become larger than the underlay carries once encapsulated: they are dropped between nodes, so large transfers hang.")
                // Docker's overlay driver takes the underlay MTU and subtracts VXLAN's overhead itself.
                .fix(format!(
                    "recreate the network with the underlay's MTU, from which Docker subtracts VXLAN's {VXLAN_OVERHEAD} bytes itself: docker network create -d overlay --opt com.docker.network.driver.mtu={under_mtu} …"
                )),
            );
        } else {
            out.push(Finding::ok(
                format!("mtu.overlay:{net}"),
                format!("{} on overlay {net} has MTU {mtu}, which fits the underlay's {under_mtu} with VXLAN.", i.name),
            ));
        }
    }
    out
}
