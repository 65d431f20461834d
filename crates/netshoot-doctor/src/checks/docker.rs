//! Names and Docker: does the destination exist, run, and share a network with the target?

use std::collections::BTreeSet;

use netshoot_ns::docker::ContainerInspect;

use crate::facts::Facts;
use crate::{Context, Dest, Finding};

/// `docker` and `name`: for every destination, whether anything carries that name; for
/// container destinations, whether the container runs and shares a network with the target
/// container; for Swarm services, whether their virtual IP can answer on this kernel.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let docker = facts.docker().then_some(facts);
    let source = match (docker, &ctx.target.container) {
        (Some(d), Some(c)) => d.container(&c.id),
        _ => None,
    };
    let mut out = Vec::new();
    for d in &ctx.dests {
        // Ids name the host, container or service: note the destination itself.
        out.extend(
            one(d, docker, source.as_ref())
                .into_iter()
                .map(|f| f.about(d.label())),
        );
    }
    if out.is_empty() {
        out.push(Finding::skipped(
            "docker",
            if ctx.dests.is_empty() {
                "no destination given"
            } else {
                "no destination is a Docker container or service"
            },
        ));
    }
    out
}

/// `docker`: the facts, when a Docker engine answers.
fn one(d: &Dest, docker: Option<&dyn Facts>, source: Option<&ContainerInspect>) -> Vec<Finding> {
    let mut out = Vec::new();
    // A name that DNS denies (NXDOMAIN through the whole search list) and that Docker does not
    // know either. When the servers did not answer at all, the DNS check names that instead.
    if d.addresses.is_empty() && d.nxdomain && d.container.is_none() && d.service.is_none() {
        let mut f = Finding::fail(
            format!("name:{}", d.host),
            format!(
                "Nothing is named '{}': the target's DNS answers that no such name exists, and no container or Swarm service has it.",
                d.host
            ),
        );
        for t in &d.tried {
            f = f.evidence(format!(
                "{} {} @{}: {}",
                t.name,
                t.qtype,
                t.server.ip(),
                t.outcome
            ));
        }
        if docker.is_some() {
            f = f.evidence(format!(
                "docker inspect {0}: no such container; docker service inspect {0}: no such service",
                d.host
            ));
        }
        out.push(
            f.why("A name that resolves to nothing cannot be connected to.")
                .fix("check the spelling; list what exists with 'docker ps' and 'docker service ls' (or 'netshoot targets')"),
        );
        return out;
    }
    let Some(docker) = docker else {
        return out;
    };
    if let Some(name) = &d.container {
        let Some(c) = docker.container(name) else {
            return out;
        };
        if !c.state.running {
            out.push(
                Finding::fail(
                    format!("docker.running:{name}"),
                    format!("Container {name} is not running (status: {}).", c.state.status),
                )
                .evidence(format!("docker inspect {name}: State.Status={} Running=false", c.state.status))
                .why("A stopped container has no network endpoint: its name no longer resolves and nothing answers.")
                .fix(format!("docker start {name}")),
            );
            return out;
        }
        if let Some(src) = source {
            out.push(shared_network(src, &c));
        }
    }
    if let Some(svc) = &d.service {
        if let Some(s) = docker.service(svc) {
            let mode = s
                .spec
                .endpoint_spec
                .as_ref()
                .map(|e| e.mode.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "vip".into());
            let via_tasks = d.host.starts_with("tasks.");
            if mode == "vip" && !via_tasks && !docker.ipvs() {
                let vips: Vec<String> = s
                    .endpoint
                    .as_ref()
                    .map(|e| e.virtual_ips.iter().map(|v| v.addr.clone()).collect())
                    .unwrap_or_default();
                out.push(
                    Finding::fail(
                        format!("swarm.vip:{svc}"),
                        format!(
                            "Service {svc} is reached through a virtual IP, but this kernel has no IPVS, so the VIP never answers."
                        ),
                    )
                    .evidence(format!("service {svc}: endpoint mode vip, VIPs {}", vips.join(" ")))
                    .evidence("/proc/net/ip_vs is missing: the ip_vs module is not loaded or not built")
                    .why("Swarm load-balances a VIP with IPVS inside each container's namespace; without it packets to the VIP go nowhere.")
                    .fix(format!(
                        "modprobe ip_vs on every node, or use DNS round robin: docker service update --endpoint-mode dnsrr {svc} (or connect to tasks.{svc})"
                    )),
                );
            } else {
                out.push(Finding::ok(
                    format!("swarm.service:{svc}"),
                    format!("Service {svc} exists (endpoint mode {mode})."),
                ));
            }
        }
    }
    out
}

fn networks(c: &ContainerInspect) -> BTreeSet<String> {
    c.network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn shared_network(src: &ContainerInspect, dst: &ContainerInspect) -> Finding {
    let (a, b) = (src.short_name(), dst.short_name());
    // A container that joined another's namespace shares all of its networks.
    let joined = |c: &ContainerInspect, other: &ContainerInspect| {
        c.host_config
            .as_ref()
            .and_then(|h| h.network_mode.strip_prefix("container:"))
            .is_some_and(|id| other.id.starts_with(id) || other.short_name() == id)
    };
    if joined(src, dst) || joined(dst, src) {
        return Finding::ok(
            format!("docker.network:{b}"),
            format!("{a} and {b} share one network namespace."),
        );
    }
    let na = networks(src);
    let nb = networks(dst);
    let shared: Vec<&String> = na.intersection(&nb).collect();
    let host = |n: &BTreeSet<String>| n.contains("host");
    if !shared.is_empty() || host(&na) && host(&nb) {
        return Finding::ok(
            format!("docker.network:{b}"),
            format!(
                "{a} and {b} share network {}.",
                shared
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let list = |n: &BTreeSet<String>| n.iter().cloned().collect::<Vec<_>>().join(", ");
    let target_net = nb
        .iter()
        .next()
        .cloned()
        .unwrap_or_else(|| "NETWORK".into());
    Finding::fail(
        format!("docker.network:{b}"),
        format!("{a} and {b} share no Docker network, so they cannot reach each other."),
    )
    .evidence(format!("{a} is on: {}", list(&na)))
    .evidence(format!("{b} is on: {}", list(&nb)))
    .why("Docker isolates networks from each other (DOCKER-ISOLATION rules), and its embedded DNS resolves only the names of containers on a network the asking container shares.")
    .fix(format!("docker network connect {target_net} {a}"))
}
