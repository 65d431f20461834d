//! The firewall on the way: this namespace's OUTPUT, the destination namespace's INPUT (when it
//! lives on this host), and the host's FORWARD for bridged paths (br_netfilter), each evaluated
//! with `netshoot_inspect::firewall::decide_with_sets` on the packet a new connection would
//! send (to a kube-proxy Service, translated to its first endpoint for the chains after the
//! DNAT).

use std::net::{IpAddr, SocketAddr};

use netshoot_inspect::firewall::Packet;

use crate::facts::{Facts, FwDecision, Place, Verdict};
use crate::{Context, Finding};

/// `firewall.output:<dest>`, `firewall.input:<dest>`, `firewall.forward:<dest>`, or `firewall`
/// (ok).
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    // A kube-proxy Service is translated to an endpoint before the chains that run after the
    // destination NAT: those see its first endpoint.
    let wanted: Vec<(IpAddr, u16, String, Option<SocketAddr>)> = ctx
        .dests
        .iter()
        .filter_map(|d| {
            let to = super::kube::translated(facts, d);
            Some((*d.addresses.first()?, d.port?, d.label(), to))
        })
        .collect();
    if wanted.is_empty() {
        return vec![Finding::skipped(
            "firewall",
            "no destination with an address and a port",
        )];
    }
    match facts.rules(&Place::Here) {
        Ok(()) => {}
        Err(e) if e.errno == Some(1) => {
            return vec![Finding::skipped(
                "firewall",
                "reading nf_tables needs CAP_NET_ADMIN: run as root or add --cap-add NET_ADMIN",
            )]
        }
        Err(e) => {
            return vec![Finding::skipped(
                "firewall",
                format!("nf_tables could not be read: {e}"),
            )]
        }
    }
    let mut out = Vec::new();
    for (ip, port, label, to) in wanted {
        let Ok(route) = facts.route_get(ip) else {
            continue;
        };
        let src = route.prefsrc.unwrap_or(if ip.is_ipv4() {
            IpAddr::from([0, 0, 0, 0])
        } else {
            IpAddr::from([0u16; 8])
        });
        let pkt = Packet {
            src,
            dst: ip,
            proto: 6,
            sport: 40000,
            dport: port,
            iif: None,
            oif: route.dev.clone(),
            dnat: to,
        };
        let mut bad = Vec::new();
        // 1. Leaving this namespace.
        if let Some(d) = blocking(facts.decide(&Place::Here, 3, &pkt)) {
            bad.push(blocked(
                "output",
                &label,
                ip,
                port,
                &d,
                "this namespace (OUTPUT)",
                None,
            ));
        }
        // 2. Crossing the host's bridge, when this namespace hangs off one.
        if let Some(f) = forward(facts, &route.dev, &pkt, &label) {
            bad.push(f);
        }
        // 3. Entering the destination's namespace.
        if let Ok(Some(ns)) = facts.resident(ip) {
            let inbound = Packet {
                iif: Some(ns.dev.clone()),
                oif: None,
                dnat: None,
                ..pkt.clone()
            };
            if let Some(d) = blocking(facts.decide(&Place::Namespace(ns.inode), 1, &inbound)) {
                bad.push(blocked(
                    "input",
                    &label,
                    ip,
                    port,
                    &d,
                    &format!("{} (INPUT)", ns.owner),
                    Some(&ns.target),
                ));
            }
        }
        if bad.is_empty() {
            out.push(Finding::ok(
                format!("firewall:{label}"),
                format!("No firewall rule on the way blocks TCP to {ip}:{port}."),
            ));
        }
        out.extend(bad);
    }
    out
}

/// A decision that does not let the packet through.
fn blocking<E>(d: Result<FwDecision, E>) -> Option<FwDecision> {
    d.ok().filter(|d| d.verdict != Verdict::Accept)
}

fn blocked(
    hook: &str,
    label: &str,
    ip: IpAddr,
    port: u16,
    d: &FwDecision,
    place: &str,
    target: Option<&str>,
) -> Finding {
    let what = d.blocks();
    let how = if d.policy {
        format!("the chain policy ({})", d.by)
    } else {
        format!("rule {}", d.by)
    };
    let summary =
        format!("A firewall in {place} {what} new TCP connections to {ip}:{port}: {how}.");
    let exec = target
        .map(|t| format!("netshoot -t {t} exec -- "))
        .unwrap_or_default();
    Finding::fail(format!("firewall.{hook}:{label}"), summary)
        .evidence(d.by.clone())
        .why(if d.verdict == Verdict::Reject {
            "A REJECT answers at once with an error: clients see 'connection refused' although the service may be running."
        } else {
            "A DROP answers nothing: clients hang until their timeout, as if the host were down."
        })
        .fix(if d.policy {
            format!("{exec}iptables -I {} -p tcp --dport {port} -j ACCEPT", hook.to_uppercase())
        } else {
            format!("remove or narrow that rule ({exec}iptables -S {} lists it with its position)", hook.to_uppercase())
        })
}

/// The host's FORWARD hook for traffic bridged between namespaces: br_netfilter sends bridged
/// IPv4 through iptables when bridge-nf-call-iptables=1, with the bridge as in and out device.
fn forward(facts: &dyn Facts, dev: &Option<String>, pkt: &Packet, label: &str) -> Option<Finding> {
    let dev = dev.as_ref()?;
    let host = facts.host_bridge(dev)?;
    if !host.nf_call_iptables {
        return None;
    }
    let bridge = host.bridge;
    let fwd = Packet {
        iif: Some(bridge.clone()),
        oif: Some(bridge.clone()),
        dnat: None,
        ..pkt.clone()
    };
    let d = blocking(facts.decide(&Place::Host, 2, &fwd))?;
    Some(
        Finding::fail(
            format!("firewall.forward:{label}"),
            format!(
                "The host's FORWARD chain {} traffic across bridge {bridge}: {}.",
                d.blocks(),
                if d.policy { format!("its policy decides ({})", d.by) } else { format!("rule {}", d.by) }
            ),
        )
        .evidence(d.by.clone())
        .evidence("net.bridge.bridge-nf-call-iptables = 1: bridged IPv4 goes through iptables FORWARD")
        .evidence(format!("{dev} here is the peer of {}, a port of bridge {bridge} on the host", host.port.unwrap_or_default()))
        .why("With br_netfilter, packets between two ports of one bridge traverse the host's FORWARD chain; dockerd sets its policy to DROP and accepts only its own bridges.")
        .fix(format!("iptables -I FORWARD -i {bridge} -o {bridge} -j ACCEPT")),
    )
}
