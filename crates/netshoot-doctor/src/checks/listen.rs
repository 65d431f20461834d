//! Listeners at the destination: when a destination address lives in a namespace on this host
//! (a container, an `ip netns`), look at what listens on the port there.

use std::net::IpAddr;

use crate::facts::{Facts, Place, Sock};
use crate::{Context, Finding};

/// `listen:<dest>` (ok), `listen.loopback:<dest>` (bound to 127.0.0.1 / ::1 only),
/// `listen.none:<dest>` (nothing listens on the port).
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let wanted: Vec<(IpAddr, u16, String)> = ctx
        .dests
        .iter()
        .filter_map(|d| Some((*d.addresses.first()?, d.port?, d.label())))
        .collect();
    // A Service's port (a NodePort on this node's address) is translated before any socket.
    let services: Vec<(String, String)> = ctx
        .dests
        .iter()
        .filter_map(|d| Some((d.label(), super::kube::not_a_socket(facts, d)?)))
        .collect();
    if wanted.is_empty() {
        return vec![Finding::skipped(
            "listen",
            "no destination with an address and a port",
        )];
    }
    let mut out = Vec::new();
    for (ip, port, label) in wanted {
        if let Some((_, why)) = services.iter().find(|(l, _)| *l == label) {
            out.push(Finding::skipped(format!("listen:{label}"), why.clone()));
            continue;
        }
        match one(facts, ip, port, &label) {
            Ok(f) => out.push(f),
            Err(()) => {
                return vec![Finding::skipped(
                    "listen",
                    "the namespaces on this host could not be listed",
                )]
            }
        }
    }
    out
}

/// What listens for `ip`:`port` in the namespace on this host that holds `ip`: `listen:<label>`
/// (ok, or skipped when no namespace here holds it), `listen.loopback:<label>`,
/// `listen.none:<label>`; `Err` when the namespaces cannot be listed.
pub(crate) fn one(facts: &dyn Facts, ip: IpAddr, port: u16, label: &str) -> Result<Finding, ()> {
    let ns = facts.resident(ip).map_err(|_| ())?;
    let Some(ns) = ns else {
        return Ok(Finding::skipped(
            format!("listen:{label}"),
            format!("{ip} does not live in a namespace on this host"),
        ));
    };
    let socks = match facts.sockets(&Place::Namespace(ns.inode), true, false, true) {
        Ok(s) => s,
        Err(_) => {
            return Ok(Finding::skipped(
                format!("listen:{label}"),
                format!("the sockets of {} could not be read", ns.target),
            ));
        }
    };
    let owner = &ns.owner;
    let listeners: Vec<&Sock> = socks
        .iter()
        .filter(|s| s.tcp && s.listening && s.local_port == port)
        .collect();
    let line = |s: &Sock| {
        let mut procs: Vec<String> = s
            .processes
            .iter()
            .map(|(command, pid)| format!("{command}({pid})"))
            .collect();
        procs.dedup();
        format!("LISTEN {}:{} {}", s.local, s.local_port, procs.join(","))
    };
    let reachable = listeners
        .iter()
        .any(|s| s.local.is_unspecified() || s.local == ip);
    if reachable {
        Ok(Finding::ok(
            format!("listen:{label}"),
            format!("Something listens on port {port} for {ip} in {owner}."),
        ))
    } else if !listeners.is_empty() && listeners.iter().all(|s| s.local.is_loopback()) {
        let mut f = Finding::fail(
            format!("listen.loopback:{label}"),
            format!(
                "In {owner}, the service on port {port} listens on {} only: nothing outside that namespace can connect to {ip}:{port}.",
                listeners[0].local
            ),
        );
        for s in &listeners {
            f = f.evidence(format!("{} (in -t {})", line(s), ns.target));
        }
        Ok(
            f.why("A socket bound to the loopback address accepts connections from its own namespace only; from anywhere else the port is closed (connection refused).")
                .fix(format!("make the service listen on 0.0.0.0:{port} (or {ip}:{port}) instead of {}:{port}", listeners[0].local)),
        )
    } else {
        let mut f = Finding::fail(
            format!("listen.none:{label}"),
            format!("Nothing listens on TCP port {port} for {ip} in {owner}."),
        );
        for s in listeners.iter().take(5) {
            f = f.evidence(format!("{} (other address)", line(s)));
        }
        let others: Vec<String> = socks
            .iter()
            .filter(|s| s.tcp && s.listening)
            .take(8)
            .map(|s| format!("{}:{}", s.local, s.local_port))
            .collect();
        f = f.evidence(format!(
            "TCP listeners there: {}",
            if others.is_empty() {
                "none".to_string()
            } else {
                others.join(" ")
            }
        ));
        Ok(
            f.why("With no listener on the port the kernel answers every connection with a reset.")
                .fix(format!("start the service, or connect to the port it really listens on (netshoot -t {} sockets -l)", ns.target)),
        )
    }
}
