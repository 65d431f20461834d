//! The host's network as a graph (`netshoot map`): namespaces (containers and Swarm tasks, overlay
//! and ingress sandboxes, ip netns, the host), their interfaces, veth pairs, bridge ports, vxlan
//! devices with their VNI and remote VTEPs, published ports (each namespace's DNAT rules, tied
//! to the interface that holds the destination address), each namespace's routes out (default
//! routes) and the Swarm services with their VIPs and tasks.
//!
//! Built from what the caller already read in each namespace (interfaces after
//! `whose::pair_veths`, the fdb, the routes, the DNAT rules) and from the engine; nothing here
//! enters a namespace, talks netlink or asks Docker.

use std::collections::BTreeSet;
use std::net::IpAddr;

use netshoot_ns::{Namespace, NamespaceKind};
use serde::Serialize;

use crate::bridge::FdbEntry;
use crate::iptlist::Dnat;
use crate::link::Interface;
use crate::route::Route;

/// What one namespace held when it was read.
#[derive(Debug, Default)]
pub struct Read {
    /// Its interfaces, veth peers already paired.
    pub interfaces: Vec<Interface>,
    /// Its forwarding database (for vxlan remote VTEPs).
    pub fdb: Vec<FdbEntry>,
    /// Its routes (IPv4 and IPv6, main table).
    pub routes: Vec<Route>,
    /// Its DNAT rules (published ports).
    pub dnat: Vec<Dnat>,
    /// What could not be read there (the parts are optional: a namespace without its nat table
    /// still has its interfaces).
    pub warnings: Vec<String>,
}

/// The whole graph.
#[derive(Debug, Serialize)]
pub struct Graph {
    /// Every namespace with its interfaces, host first.
    pub namespaces: Vec<NsNode>,
    /// Edges between interfaces: veth pairs and bridge ports.
    pub edges: Vec<Edge>,
    /// Swarm services with their VIPs and tasks (empty off a Swarm manager).
    pub services: Vec<netshoot_ns::swarm::ServiceGroup>,
    /// Why the map may be incomplete (namespaces that could not be listed, an engine that did
    /// not answer).
    pub warnings: Vec<String>,
}

/// A namespace node.
#[derive(Debug, Serialize)]
pub struct NsNode {
    /// Node id, `ns:INODE`.
    pub id: String,
    /// nsfs inode.
    pub inode: u64,
    /// `host`, `container`, `docker-network` (an overlay or ingress sandbox), `netns`,
    /// `process`.
    pub kind: NamespaceKind,
    /// The `-t` spec that enters it.
    pub target: String,
    /// Who lives there (`container web`, `ip netns blue`, …), as `peer::describe` names it.
    pub label: String,
    /// Containers' names (Swarm tasks' containers among them).
    pub containers: Vec<String>,
    /// Swarm tasks (`web.2`) whose containers live here.
    pub tasks: Vec<String>,
    /// Docker networks whose sandbox this is (`ingress`, an overlay's id).
    pub docker_networks: Vec<String>,
    /// `ip netns` names.
    pub netns_names: Vec<String>,
    /// Interfaces.
    pub interfaces: Vec<IfNode>,
    /// Default routes: `default via GW dev IF`.
    pub routes_out: Vec<RouteOut>,
    /// Its DNAT rules (published ports), each with the interfaces holding its destination.
    pub dnat: Vec<DnatNode>,
    /// What could not be read here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the namespace could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A DNAT rule and where it leads.
#[derive(Debug, Serialize)]
pub struct DnatNode {
    /// The rule.
    #[serde(flatten)]
    pub rule: Dnat,
    /// The interfaces (`if:NSINODE:IFINDEX`) that hold its destination address: the published
    /// container's end. Empty when no namespace read has it; more than one when namespaces
    /// share the address.
    pub to_ids: Vec<String>,
}

/// A default route.
#[derive(Debug, Serialize)]
pub struct RouteOut {
    /// `default` (IPv4 or IPv6).
    pub dst: String,
    /// The gateway.
    pub gateway: Option<IpAddr>,
    /// The device.
    pub dev: Option<String>,
    /// The device's node id.
    pub dev_id: Option<String>,
}

/// An interface node.
#[derive(Debug, Serialize)]
pub struct IfNode {
    /// Node id, `if:NSINODE:IFINDEX`.
    pub id: String,
    /// ifindex in its namespace.
    pub index: u32,
    /// iflink (a veth's peer's index, a vxlan's underlay).
    pub iflink: Option<u32>,
    /// Name.
    pub name: String,
    /// `veth`, `bridge`, `vxlan`, … (none for a physical device).
    pub kind: Option<String>,
    /// Operational state.
    pub operstate: String,
    /// MAC address.
    pub mac: Option<String>,
    /// Addresses with prefix lengths.
    pub addresses: Vec<String>,
    /// The bridge it is a port of, by name.
    pub master: Option<String>,
    /// Bridge ports (for a bridge), by name.
    pub ports: Vec<String>,
    /// VXLAN network identifier (vxlan devices).
    pub vni: Option<u32>,
    /// Remote VTEPs (vxlan devices; from the device's fdb).
    pub remotes: Vec<IpAddr>,
    /// A veth's other end: `if:NSINODE:IFINDEX`, when found.
    pub peer_id: Option<String>,
    /// Ports published to an address of this interface by a DNAT rule: `tcp *:8080 -> 80` (a
    /// rule of the host), `tcp *:8080 -> 80 (by NAMESPACE)` (a rule of another namespace).
    pub published: Vec<String>,
}

/// What joins two interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// The two ends of a veth pair.
    Veth,
    /// A port (`from`) and its bridge (`to`).
    Port,
}

/// An edge between two interface nodes.
#[derive(Debug, Serialize)]
pub struct Edge {
    /// What it is.
    pub kind: EdgeKind,
    /// An interface id (a veth end; the port).
    pub from: String,
    /// An interface id (the other end; the bridge).
    pub to: String,
}

fn if_id(inode: u64, index: u32) -> String {
    format!("if:{inode}:{index}")
}

/// Builds the graph from each namespace and what was read there (`Err`: why not), the Swarm
/// services (empty when none) and the warnings of listing them.
pub fn build(
    spaces: &[(&Namespace, Result<&Read, String>)],
    services: Vec<netshoot_ns::swarm::ServiceGroup>,
    warnings: Vec<String>,
) -> Graph {
    let mut namespaces = Vec::new();
    let mut edges = Vec::new();
    let mut veths: BTreeSet<(String, String)> = BTreeSet::new();
    for (ns, read) in spaces {
        let tasks: Vec<String> = ns
            .containers
            .iter()
            .flat_map(|c| {
                services.iter().flat_map(|s| &s.tasks).filter(move |t| {
                    t.container_id
                        .as_deref()
                        .is_some_and(|id| !id.is_empty() && c.id.starts_with(id))
                })
            })
            .map(|t| t.name.clone())
            .collect();
        let mut node = NsNode {
            id: format!("ns:{}", ns.inode),
            inode: ns.inode,
            kind: ns.kind,
            target: ns.target.clone(),
            label: label(ns, &tasks),
            containers: ns.containers.iter().map(|c| c.name.clone()).collect(),
            tasks: tasks.clone(),
            docker_networks: ns.docker_networks.iter().map(|d| d.name.clone()).collect(),
            netns_names: ns.netns_names.clone(),
            interfaces: Vec::new(),
            routes_out: Vec::new(),
            dnat: Vec::new(),
            warnings: Vec::new(),
            error: None,
        };
        let read = match read {
            Ok(r) => r,
            Err(e) => {
                node.error = Some(e.clone());
                namespaces.push(node);
                continue;
            }
        };
        let name_of = |idx: u32| {
            read.interfaces
                .iter()
                .find(|i| i.index == idx)
                .map(|i| i.name.clone())
        };
        for i in &read.interfaces {
            let id = if_id(ns.inode, i.index);
            let vni = i
                .details
                .kind_data
                .iter()
                .find(|(k, _)| k == "id")
                .and_then(|(_, v)| v.parse().ok())
                .filter(|_| i.kind.as_deref() == Some("vxlan"));
            let remotes: Vec<IpAddr> = if i.kind.as_deref() == Some("vxlan") {
                let set: BTreeSet<IpAddr> = read
                    .fdb
                    .iter()
                    .filter(|f| f.ifindex == i.index)
                    .filter_map(|f| f.dst)
                    .collect();
                set.into_iter().collect()
            } else {
                Vec::new()
            };
            let peer_id = i
                .peer
                .as_ref()
                .and_then(|p| p.netns_inode.map(|n| if_id(n, p.index)));
            if let Some(p) = &peer_id {
                let key = if id < *p {
                    (id.clone(), p.clone())
                } else {
                    (p.clone(), id.clone())
                };
                if veths.insert(key.clone()) {
                    edges.push(Edge {
                        kind: EdgeKind::Veth,
                        from: key.0,
                        to: key.1,
                    });
                }
            }
            if let Some(m) = i.master {
                edges.push(Edge {
                    kind: EdgeKind::Port,
                    from: id.clone(),
                    to: if_id(ns.inode, m),
                });
            }
            node.interfaces.push(IfNode {
                id,
                index: i.index,
                iflink: i.link_index,
                name: i.name.clone(),
                kind: i.kind.clone(),
                operstate: i.operstate.clone(),
                mac: i.mac.clone(),
                addresses: i.addresses.iter().map(|a| a.to_string()).collect(),
                master: i.master.and_then(name_of),
                ports: read
                    .interfaces
                    .iter()
                    .filter(|p| p.master == Some(i.index))
                    .map(|p| p.name.clone())
                    .collect(),
                vni,
                remotes,
                peer_id,
                published: Vec::new(),
            });
        }
        node.routes_out = read
            .routes
            .iter()
            .filter(|r| r.dst == "default" && r.kind.is_none())
            .map(|r| RouteOut {
                dst: r.dst.clone(),
                gateway: r.gateway,
                dev: r.dev.clone(),
                dev_id: r.oif.map(|o| if_id(ns.inode, o)),
            })
            .collect();
        node.dnat = read
            .dnat
            .iter()
            .map(|d| DnatNode {
                rule: d.clone(),
                to_ids: Vec::new(),
            })
            .collect();
        node.warnings = read.warnings.clone();
        namespaces.push(node);
    }
    tie_dnat(&mut namespaces);
    Graph {
        namespaces,
        edges,
        services,
        warnings,
    }
}

/// `peer::describe`'s words, with the Swarm tasks first when the containers are tasks:
/// `task web.2 (container web.2.x7c…)`.
fn label(ns: &Namespace, tasks: &[String]) -> String {
    if tasks.is_empty() || ns.kind != NamespaceKind::Container {
        return crate::peer::describe(ns);
    }
    let names: Vec<&str> = ns.containers.iter().map(|c| c.name.as_str()).collect();
    format!("task {} (container {})", tasks.join(", "), names.join(", "))
}

/// Ties each DNAT rule to the interfaces holding its destination address, and lists the rule
/// on those interfaces (`published`).
fn tie_dnat(namespaces: &mut [NsNode]) {
    // Address -> (namespace index, interface index, interface id).
    let mut by_addr: std::collections::HashMap<IpAddr, Vec<(usize, usize, String)>> =
        Default::default();
    for (n, ns) in namespaces.iter().enumerate() {
        for (k, i) in ns.interfaces.iter().enumerate() {
            for a in &i.addresses {
                if let Ok(ip) = a.split('/').next().unwrap_or(a).parse::<IpAddr>() {
                    by_addr.entry(ip).or_default().push((n, k, i.id.clone()));
                }
            }
        }
    }
    let mut published: Vec<(usize, usize, String)> = Vec::new();
    for ns in namespaces.iter_mut() {
        for d in &mut ns.dnat {
            let Some(to) = d.rule.to_addr else { continue };
            let port = d
                .rule
                .to_port
                .as_deref()
                .map(|p| format!(" -> {p}"))
                .unwrap_or_default();
            for (n, k, id) in by_addr.get(&to).into_iter().flatten() {
                d.to_ids.push(id.clone());
                // Rules of the host are the usual case (Docker's published ports): named
                // only when another namespace holds them.
                let by = if ns.kind == NamespaceKind::Host {
                    String::new()
                } else {
                    format!(" (by {})", ns.label)
                };
                published.push((*n, *k, format!("{}{port}{by}", d.rule.from_text())));
            }
        }
    }
    for (n, k, text) in published {
        namespaces[n].interfaces[k].published.push(text);
    }
}
