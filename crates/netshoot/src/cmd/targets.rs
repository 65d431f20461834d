//! `targets`: every network namespace, what lives there, and its interfaces.

use std::fmt::Write as _;

use netshoot_inspect::Interface;
use netshoot_ns::swarm::ServiceGroup;
use netshoot_ns::{Namespace, NamespaceKind};
use serde::Serialize;

use crate::cli::TargetsArgs;
use crate::render::Output;

/// The `targets` report.
#[derive(Debug, Serialize)]
pub struct TargetsReport {
    /// Every namespace, host first, then containers, Docker networks, `ip netns`, processes.
    pub namespaces: Vec<NamespaceReport>,
    /// Swarm services with their tasks (this engine a Swarm manager; empty otherwise).
    pub services: Vec<ServiceReport>,
    /// Kubernetes pods on this node, from the container runtime's CRI socket (empty without
    /// one).
    pub pods: Vec<PodReport>,
    /// Sources that could not be read (Docker socket, other processes' namespaces).
    pub warnings: Vec<String>,
}

/// A Swarm service, its VIPs and endpoint mode, and its tasks with the namespace each task's
/// container lives in here (tasks on other nodes have none here).
#[derive(Debug, Serialize)]
pub struct ServiceReport {
    /// The service and its tasks.
    #[serde(flatten)]
    pub service: ServiceGroup,
    /// Task id → nsfs inode of its container's namespace, for tasks on this node.
    pub task_namespaces: std::collections::BTreeMap<String, u64>,
}

/// A pod on this node with its host-side veths.
#[derive(Debug, Serialize)]
pub struct PodReport {
    /// The pod as the runtime reports it.
    #[serde(flatten)]
    pub pod: netshoot_ns::pods::PodSummary,
    /// Its veths: the interface inside the pod and the other end (on the node, usually).
    pub veths: Vec<PodVeth>,
}

/// One veth of a pod.
#[derive(Debug, Serialize)]
pub struct PodVeth {
    /// The interface inside the pod (`eth0`).
    pub inside: String,
    /// The other end's name, when its namespace could be visited.
    pub peer: Option<String>,
    /// Where the other end lives (`host`, …).
    pub peer_target: String,
}

/// One namespace with its interfaces.
#[derive(Debug, Serialize)]
pub struct NamespaceReport {
    /// What lives there.
    #[serde(flatten)]
    pub namespace: Namespace,
    /// Interfaces and addresses inside (absent with `--no-interfaces`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
    /// Why the interfaces could not be read, when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interfaces_error: Option<String>,
}

/// Lists, then visits each namespace on a short-lived thread to read its interfaces.
pub fn run(args: &TargetsArgs, out: &Output) -> anyhow::Result<i32> {
    let (namespaces, mut warnings) = netshoot_ns::list()?;
    let services = services(&namespaces, &mut warnings);
    let mut namespaces: Vec<NamespaceReport> = namespaces
        .into_iter()
        .map(|ns| {
            if args.no_interfaces {
                return NamespaceReport {
                    namespace: ns,
                    interfaces: None,
                    interfaces_error: None,
                };
            }
            let (interfaces, interfaces_error) = match read_in(&ns, netshoot_inspect::interfaces) {
                Ok(i) => (Some(i), None),
                Err(e) => (None, Some(e)),
            };
            NamespaceReport {
                namespace: ns,
                interfaces,
                interfaces_error,
            }
        })
        .collect();
    // Each veth's other end, by ifindex/iflink pairs among the namespaces just read.
    let mut spaces: Vec<(&Namespace, &mut Vec<Interface>)> = namespaces
        .iter_mut()
        .filter_map(
            |NamespaceReport {
                 namespace,
                 interfaces,
                 ..
             }| interfaces.as_mut().map(|i| (&*namespace, i)),
        )
        .collect();
    netshoot_inspect::whose::pair_veths(&mut spaces);
    let pods = pods(&namespaces, &mut warnings);
    let report = TargetsReport {
        namespaces,
        services,
        pods,
        warnings,
    };
    // Every name here is someone else's (Docker's, a netns's, a process's, an interface's):
    // each line is escaped whole.
    out.emit(&report, |r| crate::render::safe_text(&text(r)))?;
    Ok(0)
}

/// Runs `read` in namespace `ns` on a short-lived thread: what it read, or why not in words
/// (`netlink: …` when `read` failed, the entering error otherwise). `targets` and `map` read
/// every namespace through it.
pub fn read_in<T: Send + 'static>(
    ns: &Namespace,
    read: fn() -> std::io::Result<T>,
) -> Result<T, String> {
    match netshoot_ns::in_namespace(&ns.path, read) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(format!("netlink: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The engine's Swarm services with their tasks: none without a reachable engine or off a Swarm
/// manager; an engine that fails adds a warning.
pub fn swarm_services(warnings: &mut Vec<String>) -> Vec<netshoot_ns::swarm::ServiceGroup> {
    let Some(docker) = netshoot_ns::docker::Docker::from_env()
        .ok()
        .filter(|d| d.available())
    else {
        return Vec::new();
    };
    match netshoot_ns::swarm::services(&docker) {
        Ok(g) => g.unwrap_or_default(),
        Err(e) => {
            warnings.push(format!("Swarm services not listed: {e}"));
            Vec::new()
        }
    }
}

/// The runtime's pods, each with the veths of the namespace it was listed in; a runtime that
/// fails adds a warning, none configured or found lists nothing.
fn pods(namespaces: &[NamespaceReport], warnings: &mut Vec<String>) -> Vec<PodReport> {
    let list = match netshoot_ns::pods::pods() {
        Ok(l) => l.unwrap_or_default(),
        Err(e) => {
            warnings.push(format!("pods not listed: {e}"));
            return Vec::new();
        }
    };
    list.into_iter()
        .map(|pod| {
            let veths = namespaces
                .iter()
                .find(|n| Some(n.namespace.inode) == pod.netns_inode)
                .and_then(|n| n.interfaces.as_ref())
                .map(|ifs| {
                    ifs.iter()
                        .filter_map(|i| {
                            let p = i.peer.as_ref()?;
                            Some(PodVeth {
                                inside: i.name.clone(),
                                peer: p.name.clone(),
                                peer_target: p.target.clone(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            PodReport { pod, veths }
        })
        .collect()
}

/// The Swarm services, each task matched to the namespace its container was listed in.
fn services(namespaces: &[Namespace], warnings: &mut Vec<String>) -> Vec<ServiceReport> {
    swarm_services(warnings)
        .into_iter()
        .map(|g| {
            let task_namespaces = g
                .tasks
                .iter()
                .filter(|t| t.local)
                .filter_map(|t| {
                    let cid = t.container_id.as_deref()?;
                    let ns = namespaces
                        .iter()
                        .find(|n| n.containers.iter().any(|c| c.id == cid))?;
                    Some((t.id.clone(), ns.inode))
                })
                .collect();
            ServiceReport {
                service: g,
                task_namespaces,
            }
        })
        .collect()
}

fn kind_word(k: NamespaceKind) -> &'static str {
    match k {
        NamespaceKind::Host => "host",
        NamespaceKind::Container => "container",
        NamespaceKind::DockerNetwork => "docker network",
        NamespaceKind::Netns => "ip netns",
        NamespaceKind::Process => "process",
    }
}

fn text(r: &TargetsReport) -> String {
    let mut s = String::new();
    for n in &r.namespaces {
        let ns = &n.namespace;
        let _ = writeln!(
            s,
            "{}  [{}, inode {}, {} process{}]",
            ns.target,
            kind_word(ns.kind),
            ns.inode,
            ns.process_count,
            if ns.process_count == 1 { "" } else { "es" }
        );
        for c in &ns.containers {
            let nets: Vec<String> = c
                .networks
                .iter()
                .map(|e| {
                    let mut v = e.network.clone();
                    if let Some(ip) = &e.ipv4 {
                        v.push(' ');
                        v.push_str(ip);
                    }
                    if let Some(ip) = &e.ipv6 {
                        v.push(' ');
                        v.push_str(ip);
                    }
                    v
                })
                .collect();
            let how = if c.network_mode.starts_with("container:") {
                " (joined with --net container:)".to_string()
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  container {} {} pid {}{}{}",
                c.name,
                c.id,
                c.pid,
                if nets.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", nets.join(", "))
                },
                how
            );
        }
        for d in &ns.docker_networks {
            let _ = writeln!(
                s,
                "  network {} {} ({}) sandbox {}",
                d.name, d.id, d.driver, d.sandbox
            );
        }
        if !ns.netns_names.is_empty() {
            let _ = writeln!(s, "  ip netns {}", ns.netns_names.join(", "));
        }
        if !ns.processes.is_empty() {
            const MAX: usize = 8;
            let shown: Vec<String> = ns
                .processes
                .iter()
                .take(MAX)
                .map(|p| format!("{} {}", p.pid, p.command))
                .collect();
            let more = ns.processes.len().saturating_sub(MAX);
            let _ = writeln!(
                s,
                "  processes {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        if let Some(ifs) = &n.interfaces {
            for i in ifs {
                let addrs: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
                // A veth's other end: `peer eth0 in container web`.
                let peer = i
                    .peer
                    .as_ref()
                    .map(|p| {
                        format!(
                            " peer {} in {}",
                            crate::cmd::motd::clean(p.name.as_deref().unwrap_or("?")),
                            crate::cmd::motd::clean(&p.owner)
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "    {:<16} {:<8} {}{}{}",
                    i.name,
                    i.operstate,
                    i.kind
                        .as_deref()
                        .map(|k| format!("{k} "))
                        .unwrap_or_default(),
                    addrs.join(" "),
                    peer
                );
            }
        }
        if let Some(e) = &n.interfaces_error {
            let _ = writeln!(s, "    interfaces unreadable: {e}");
        }
    }
    for sr in &r.services {
        let g = &sr.service;
        let vips: Vec<String> = g
            .vips
            .iter()
            .map(|v| format!("{} on {}", v.addr, v.network))
            .collect();
        let running = g.tasks.iter().filter(|t| t.state == "running").count();
        let _ = writeln!(
            s,
            "service:{}  [swarm service {}, {}{}, endpoint mode {}{}]",
            g.name,
            g.id,
            g.mode,
            match g.replicas {
                Some(n) => format!(" {running}/{n} running"),
                None => format!(" {running} running"),
            },
            g.endpoint_mode,
            if vips.is_empty() {
                String::new()
            } else {
                format!(", VIP {}", vips.join(", "))
            }
        );
        for t in &g.tasks {
            let addrs: Vec<String> = t
                .addresses
                .iter()
                .map(|a| format!("{} {}", a.network, a.addr))
                .collect();
            let _ = writeln!(
                s,
                "  task {} {} {} on node {}{}{}{}{}",
                t.name,
                netshoot_ns::docker::short(&t.id, 12),
                t.state,
                t.node,
                t.container_id
                    .as_deref()
                    .map(|c| format!(" container {c}"))
                    .unwrap_or_default(),
                sr.task_namespaces
                    .get(&t.id)
                    .map(|i| format!(" inode {i}"))
                    .unwrap_or_default(),
                if addrs.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", addrs.join(", "))
                },
                t.target
                    .as_deref()
                    .map(|x| format!("  (-t {x})"))
                    .unwrap_or_default()
            );
        }
    }
    for pr in &r.pods {
        let p = &pr.pod;
        let _ = writeln!(
            s,
            "{}  [pod, sandbox {}, {}{}{}{}]",
            p.target,
            netshoot_ns::docker::short(&p.sandbox_id, 13),
            p.state,
            p.netns_inode
                .map(|i| format!(", inode {i}"))
                .unwrap_or_default(),
            if p.ips.is_empty() {
                String::new()
            } else {
                format!(", IP {}", p.ips.join(" "))
            },
            if p.host_network { ", hostNetwork" } else { "" }
        );
        if !p.containers.is_empty() {
            let cs: Vec<String> = p
                .containers
                .iter()
                .map(|c| format!("{} ({})", c.name, c.state))
                .collect();
            let _ = writeln!(s, "  containers {}", cs.join(", "));
        }
        for v in &pr.veths {
            let _ = writeln!(
                s,
                "  veth {} peer {} in {}",
                v.inside,
                v.peer.as_deref().unwrap_or("?"),
                v.peer_target
            );
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}
