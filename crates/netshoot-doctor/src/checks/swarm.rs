//! Swarm: the ports nodes talk over (2377/tcp to managers, 7946/tcp+udp gossip, 4789/udp
//! VXLAN): listening here, not dropped by the host's INPUT chain, and reachable on other nodes.

use std::net::{IpAddr, SocketAddr};

use netshoot_inspect::firewall::Packet;
use netshoot_probe::ConnectOutcome;

use crate::facts::{Facts, Place, Verdict};
use crate::{Context, Finding};

/// `swarm.listen:<port>`, `swarm.port:<port>`, `swarm.node:<addr>`, or `swarm` (ok).
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    if !facts.docker() {
        return vec![Finding::skipped("swarm", "no Docker engine to ask")];
    }
    let Some(sw) = facts.swarm() else {
        return vec![Finding::skipped(
            "swarm",
            "the engine reports no Swarm state",
        )];
    };
    if sw.local_node_state != "active" {
        return vec![Finding::skipped(
            "swarm",
            format!("this engine is not in a Swarm ({})", sw.local_node_state),
        )];
    }
    let Ok(node_ip) = sw.node_addr.parse::<IpAddr>() else {
        return vec![Finding::skipped(
            "swarm",
            format!("no usable node address ({})", sw.node_addr),
        )];
    };
    let mut ports: Vec<(u16, u8, &str)> = vec![
        (7946, 6, "gossip"),
        (7946, 17, "gossip"),
        (4789, 17, "overlay (VXLAN) data"),
    ];
    if sw.control_available {
        ports.insert(0, (2377, 6, "cluster management"));
    }
    if !facts.host_visible() {
        return vec![Finding::skipped(
            "swarm",
            "the host namespace is not visible (add --pid host)",
        )];
    }
    // The host's view: listeners, the interface holding the node address, and its rule set.
    let looked = facts
        .sockets(&Place::Host, true, true, false)
        .and_then(|socks| {
            let dev = facts
                .interfaces(&Place::Host)?
                .into_iter()
                .find(|i| i.holds(node_ip))
                .map(|i| i.name);
            Ok((socks, dev))
        });
    let Ok((socks, dev)) = looked else {
        return vec![Finding::skipped(
            "swarm",
            "the host's sockets could not be read",
        )];
    };
    let rules = facts.rules(&Place::Host).is_ok();
    let mut out = Vec::new();
    for (port, proto, what) in &ports {
        let name = format!("{port}/{}", if *proto == 6 { "tcp" } else { "udp" });
        let listening = socks
            .iter()
            .any(|s| s.tcp == (*proto == 6) && s.listening && s.local_port == *port);
        if !listening {
            out.push(
                Finding::fail(format!("swarm.listen:{name}"), format!("Nothing listens on {name} ({what}) on this Swarm node."))
                    .evidence(format!("host sockets: no {} socket on port {port}", if *proto == 6 { "listening TCP" } else { "UDP" }))
                    .why("Swarm nodes talk over this port; without it the node drops out of the cluster or its overlay traffic.")
                    .fix("restart dockerd; check that nothing else took the port"),
            );
            continue;
        }
        if rules {
            let pkt = Packet {
                src: IpAddr::from([0, 0, 0, 0]),
                dst: node_ip,
                proto: *proto,
                sport: 40000,
                dport: *port,
                iif: dev.clone(),
                oif: None,
                dnat: None,
            };
            let d = facts.decide(&Place::Host, 1, &pkt);
            if let Some(d) = d.ok().filter(|d| d.verdict != Verdict::Accept) {
                out.push(
                    Finding::fail(
                        format!("swarm.port:{name}"),
                        format!("The host firewall {} {name} ({what}) arriving from other nodes.", d.blocks()),
                    )
                    .evidence(d.by.clone())
                    .why("Swarm needs 2377/tcp, 7946/tcp+udp and 4789/udp open between nodes; with one closed, services on other nodes are unreachable over the overlay.")
                    .fix(format!("iptables -I INPUT -p {} --dport {port} -j ACCEPT", if *proto == 6 { "tcp" } else { "udp" })),
                );
            }
        }
    }
    // Other nodes: their TCP ports must answer (UDP cannot be confirmed without a reply).
    for n in facts.nodes() {
        if n.id == sw.node_id {
            continue;
        }
        let Ok(addr) = n.status.addr.parse::<IpAddr>() else {
            continue;
        };
        let mut tcp = vec![7946u16];
        if n.manager_status.is_some() {
            tcp.insert(0, 2377);
        }
        for port in tcp {
            let v = facts.connect(SocketAddr::new(addr, port), ctx.opts.probe_timeout);
            if !matches!(v, ConnectOutcome::Open { .. }) {
                out.push(
                    Finding::fail(format!("swarm.node:{addr}:{port}"), format!("Swarm node {addr} does not accept connections on {port}/tcp ({v:?})."))
                        .evidence(format!("connect {addr}:{port}: {v:?}"))
                        .why("Nodes that cannot reach each other on the Swarm ports split the cluster and the overlay.")
                        .fix(format!("open {port}/tcp on {addr} and on the way there (security groups, iptables)")),
                );
            }
        }
    }
    if out.is_empty() {
        out.push(Finding::ok(
            "swarm",
            format!(
                "Swarm ports listen on this node ({}) and the host firewall lets them in.",
                ports
                    .iter()
                    .map(|(p, pr, _)| format!("{p}/{}", if *pr == 6 { "tcp" } else { "udp" }))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    out
}
