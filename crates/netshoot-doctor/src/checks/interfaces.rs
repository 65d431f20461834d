//! Interfaces and addresses: is anything up to send through?

use crate::facts::{Facts, Link, Place};
use crate::{Context, Finding};

/// `interfaces`: loopback up; at least one other interface up with an address; interfaces that
/// have addresses but are down (a veth whose peer is down says LOWERLAYERDOWN).
pub fn check(_ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let ifs = match facts.interfaces(&Place::Here) {
        Ok(i) => i,
        Err(e) => {
            return vec![Finding::skipped(
                "interfaces",
                format!("could not read interfaces over netlink: {e}"),
            )]
        }
    };
    // Name the other end of a veth without carrier, so the fix can say where to look.
    let peers = ifs
        .iter()
        .any(|i| i.kind.as_deref() == Some("veth") && i.operstate == "LOWERLAYERDOWN");
    let mut out = Vec::new();
    let line = |i: &Link| {
        let addrs: Vec<String> = i.addresses.iter().map(|a| a.text.clone()).collect();
        format!(
            "{} {} mtu {} {}",
            i.name,
            i.operstate,
            i.mtu.unwrap_or(0),
            addrs.join(" ")
        )
    };
    if let Some(lo) = ifs.iter().find(|i| i.name == "lo") {
        if !lo.up {
            out.push(
                Finding::fail("interfaces.loopback", "The loopback interface lo is down.")
                    .evidence(line(lo))
                    .why("Programs that talk to 127.0.0.1 (sidecars, local DNS stubs) fail.")
                    .fix("ip link set lo up"),
            );
        }
    }
    let usable: Vec<_> = ifs
        .iter()
        .filter(|i| {
            i.name != "lo" && i.up && i.operstate != "DOWN" && i.operstate != "LOWERLAYERDOWN"
        })
        .filter(|i| i.addresses.iter().any(|a| !is_link_local(&a.address)))
        .collect();
    for i in ifs.iter().filter(|i| i.name != "lo") {
        let has_addr = i.addresses.iter().any(|a| !is_link_local(&a.address));
        if has_addr && (!i.up || i.operstate == "DOWN" || i.operstate == "LOWERLAYERDOWN") {
            let (summary, fix) = if !i.up {
                (
                    format!(
                        "Interface {} has addresses but is administratively down.",
                        i.name
                    ),
                    format!("ip link set {} up", i.name),
                )
            } else {
                let peer = (peers && i.kind.as_deref() == Some("veth"))
                    .then(|| facts.veth_peer(&i.name))
                    .flatten();
                (
                    format!(
                        "Interface {} is up but has no carrier ({}): the other end of its link is down or gone.",
                        i.name, i.operstate
                    ),
                    match &peer {
                        Some(p) => format!(
                            "netshoot -t {} exec -- ip link set {} up   (the peer, in {})",
                            p.target,
                            p.name.clone().unwrap_or_else(|| format!("if{}", p.index)),
                            p.owner
                        ),
                        None => "bring the other end of the link up (netshoot ip link shows a veth's peer)".to_string(),
                    },
                )
            };
            out.push(
                Finding::warn(format!("interfaces.down:{}", i.name), summary)
                    .evidence(line(i))
                    .why("Nothing is sent or received through an interface without a carrier.")
                    .fix(fix),
            );
        }
    }
    if usable.is_empty() {
        let mut f = Finding::fail(
            "interfaces.none",
            "No interface besides loopback is up with an address.",
        )
        .why("Without an address on an interface that is up, no traffic can leave this namespace.")
        .fix("attach the namespace to a network (docker network connect NET CONTAINER) or bring its interface up");
        for i in &ifs {
            f = f.evidence(line(i));
        }
        out.push(f);
    } else {
        let mut f = Finding::ok(
            "interfaces",
            format!(
                "{} interface(s) up with addresses: {}",
                usable.len(),
                usable
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        for i in &usable {
            f = f.evidence(line(i));
        }
        out.push(f);
    }
    out
}

fn is_link_local(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v) => v.is_link_local(),
        std::net::IpAddr::V6(v) => (v.segments()[0] & 0xffc0) == 0xfe80,
    }
}
