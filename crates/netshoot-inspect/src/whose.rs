//! Who owns this MAC, this address, this veth: one map for every view that names them
//! (`ip neigh`, `bridge fdb`, `dns` answers, `ip link` and `targets` veths).
//!
//! Addresses and MACs come from the Docker engine: containers' endpoints (`MacAddress`,
//! `IPAddress`, `GlobalIPv6Address`; a Swarm task's container is named as its task, `web.2`),
//! the endpoints of each Swarm-scoped network on this host (tasks and the overlay's load
//! balancer `lb-NAME`), services' virtual IPs, and Swarm nodes' addresses (a vxlan fdb
//! entry's remote VTEP is named by its node). The whole map is built within one deadline
//! (the Docker client's, 5 s by default, `NETSHOOT_DOCKER_TIMEOUT`); the first failing call ends
//! it with what was gathered so far. Veths are paired by ifindex and iflink (`pair_veths`), for
//! callers that already hold every namespace's interfaces.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Instant;

use netshoot_ns::docker::{ContainerSummary, Docker};
use netshoot_ns::Namespace;
use serde::Serialize;

use crate::link::Interface;
use crate::peer::VethPeer;

/// What owns an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// A container (not a Swarm task).
    Container,
    /// A Swarm task's container.
    Task,
    /// A Swarm service's virtual IP.
    ServiceVip,
    /// An overlay network's load-balancer endpoint (`lb-NAME`).
    LoadBalancer,
    /// The host-side end of a container's veth (the name is the container's).
    Veth,
    /// A Swarm node, by its address (a vxlan fdb entry's remote VTEP).
    Node,
}

/// The owner of a MAC or an address, as the Docker engine names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// What it is.
    pub kind: OwnerKind,
    /// The container's name, the task's (`web.2`), the service's, the network's for a load
    /// balancer, or the node's hostname (its short id when it has none). As the engine sent it: escape it before printing.
    pub name: String,
    /// The network the address is on, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

impl fmt::Display for Owner {
    /// `container db`, `task web.2`, `service VIP of web`, `load balancer of ov` (the name
    /// unescaped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            OwnerKind::Container => write!(f, "container {}", self.name),
            OwnerKind::Task => write!(f, "task {}", self.name),
            OwnerKind::ServiceVip => write!(f, "service VIP of {}", self.name),
            OwnerKind::LoadBalancer => write!(f, "load balancer of {}", self.name),
            OwnerKind::Veth => write!(f, "veth of container {}", self.name),
            OwnerKind::Node => write!(f, "node {}", self.name),
        }
    }
}

/// MAC → owner and address → owner.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    by_mac: HashMap<String, Owner>,
    by_ip: HashMap<IpAddr, Owner>,
    /// Why the map is incomplete, when it is.
    pub warning: Option<String>,
}

/// `web.2.x7c…` (Swarm's task name label, ending with the task id) → `web.2`.
fn task_name(c: &ContainerSummary) -> Option<String> {
    let l = c.labels.as_ref()?;
    let full = l.get("com.docker.swarm.task.name")?;
    let id = l.get("com.docker.swarm.task.id").map(String::as_str);
    Some(match id.and_then(|id| full.strip_suffix(id)) {
        Some(s) => s.trim_end_matches('.').to_string(),
        None => full.clone(),
    })
}

/// An address as the engine writes it (`10.0.1.3/24`, `10.0.1.3`, empty).
fn addr(s: &str) -> Option<IpAddr> {
    s.split('/').next().and_then(|a| a.parse().ok())
}

impl Owners {
    /// The owner of a MAC (any case).
    pub fn mac(&self, mac: &str) -> Option<&Owner> {
        self.by_mac.get(&mac.to_ascii_lowercase())
    }

    /// The owner of an address.
    pub fn ip(&self, ip: IpAddr) -> Option<&Owner> {
        self.by_ip.get(&ip)
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.by_mac.is_empty() && self.by_ip.is_empty()
    }

    /// Names each neighbour's owner: by its address, else by its MAC.
    pub fn name_neighbours(&self, ns: &mut [crate::Neighbour]) {
        for n in ns {
            n.owner = self
                .ip(n.dst)
                .or_else(|| n.lladdr.as_deref().and_then(|m| self.mac(m)))
                .cloned();
        }
    }

    /// Records the MAC of each veth in `ifs` whose peer (`resolve_peers`) is in a container as
    /// that container's veth.
    pub fn name_veths(&mut self, ifs: &[Interface]) {
        for i in ifs {
            let (Some(p), Some(mac)) = (&i.peer, &i.mac) else {
                continue;
            };
            if let Some(c) = p.target.strip_prefix("container:") {
                let owner = Owner {
                    kind: OwnerKind::Veth,
                    name: c.to_string(),
                    network: None,
                };
                self.insert(Some(mac), &[], &owner);
            }
        }
    }

    /// Names each fdb entry's owner by its MAC, else by its remote VTEP (`dst`: a Swarm node).
    pub fn name_fdb(&self, entries: &mut [crate::bridge::FdbEntry]) {
        for e in entries {
            e.owner = self
                .mac(&e.mac)
                .or_else(|| e.dst.and_then(|d| self.ip(d)))
                .cloned();
        }
    }

    /// Records an owner; the first one recorded for a MAC or an address wins (a container's
    /// own endpoint is recorded before a network's view of it).
    pub fn insert(&mut self, mac: Option<&str>, ips: &[Option<IpAddr>], owner: &Owner) {
        if let Some(m) = mac.filter(|m| !m.is_empty()) {
            self.by_mac
                .entry(m.to_ascii_lowercase())
                .or_insert_with(|| owner.clone());
        }
        for ip in ips.iter().flatten() {
            self.by_ip.entry(*ip).or_insert_with(|| owner.clone());
        }
    }

    /// The map from the engine at `DOCKER_HOST` (or `/var/run/docker.sock`); empty, without a
    /// warning, when there is no socket.
    pub fn from_env() -> Owners {
        match Docker::from_env() {
            Ok(d) if d.available() => Owners::load(&d),
            Ok(_) => Owners::default(),
            Err(e) => Owners {
                warning: Some(e.to_string()),
                ..Default::default()
            },
        }
    }

    /// The map from one engine, within the client's deadline for the whole of it: running
    /// containers (tasks named as tasks), the endpoints of Swarm-scoped networks, services'
    /// VIPs.
    pub fn load(docker: &Docker) -> Owners {
        let mut o = Owners::default();
        if let Err(e) = o.fill(docker) {
            o.warning = Some(e.to_string());
        }
        o
    }

    fn fill(&mut self, docker: &Docker) -> Result<(), netshoot_ns::NsError> {
        let budget = netshoot_ns::docker::timeout_from_env();
        let end = Instant::now() + budget;
        let left = || {
            let l = end.saturating_duration_since(Instant::now());
            if l.is_zero() {
                Err(netshoot_ns::NsError::Docker {
                    why: format!(
                        "the Docker engine did not answer every question within {} s \
                         (NETSHOOT_DOCKER_TIMEOUT=SECS allows longer): names are partial",
                        budget.as_secs_f64()
                    ),
                })
            } else {
                Ok(docker.clone().with_timeout(l))
            }
        };
        for c in left()?.containers(false)? {
            let (kind, name) = match task_name(&c) {
                Some(t) => (OwnerKind::Task, t),
                None => (OwnerKind::Container, c.name()),
            };
            let nets = c
                .network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref());
            for (net, e) in nets.into_iter().flatten() {
                let owner = Owner {
                    kind,
                    name: name.clone(),
                    network: Some(net.clone()),
                };
                self.insert(
                    Some(&e.mac_address),
                    &[addr(&e.ip_address), addr(&e.global_ipv6_address)],
                    &owner,
                );
            }
        }
        let networks = left()?.networks()?;
        for n in networks.iter().filter(|n| n.scope == "swarm") {
            let Some(full) = left()?.inspect_network(&n.id)? else {
                continue;
            };
            for e in full.containers.iter().flat_map(|c| c.values()) {
                let owner = match e.name.strip_prefix("lb-") {
                    Some(net) if net == n.name => Owner {
                        kind: OwnerKind::LoadBalancer,
                        name: n.name.clone(),
                        network: Some(n.name.clone()),
                    },
                    _ => Owner {
                        kind: OwnerKind::Container,
                        name: e.name.clone(),
                        network: Some(n.name.clone()),
                    },
                };
                self.insert(
                    Some(&e.mac_address),
                    &[addr(&e.ipv4_address), addr(&e.ipv6_address)],
                    &owner,
                );
            }
        }
        let net_name = |id: &str| networks.iter().find(|n| n.id == id).map(|n| n.name.clone());
        for s in left()?.services()? {
            for v in s.endpoint.iter().flat_map(|e| &e.virtual_ips) {
                let owner = Owner {
                    kind: OwnerKind::ServiceVip,
                    name: s.spec.name.clone(),
                    network: net_name(&v.network_id),
                };
                self.insert(None, &[addr(&v.addr)], &owner);
            }
        }
        // Swarm nodes by address (an overlay's vxlan fdb sends to them); none off a manager.
        for n in left()?.nodes()? {
            let owner = Owner {
                kind: OwnerKind::Node,
                name: n.label(),
                network: None,
            };
            self.insert(None, &[addr(&n.status.addr)], &owner);
        }
        Ok(())
    }
}

/// Names each veth's peer by ifindex/iflink pairs among namespaces already read: a veth `A`
/// (index `i`, iflink `l`, its peer in another namespace) and a veth `B` elsewhere with index `l`
/// and iflink `i` are the two ends of one pair. A pair found twice (ifindexes are per namespace,
/// so two pairs may share the numbers) names nothing. Peers already known are kept.
pub fn pair_veths(spaces: &mut [(&Namespace, &mut Vec<Interface>)]) {
    let is_end = |i: &Interface| i.kind.as_deref() == Some("veth") && i.link_netnsid.is_some();
    // (space, index, iflink, name) of every veth whose peer is in another namespace.
    let ends: Vec<(usize, u32, u32, String)> = spaces
        .iter()
        .enumerate()
        .flat_map(|(s, (_, ifs))| {
            ifs.iter()
                .filter(|i| is_end(i))
                .filter_map(move |i| i.link_index.map(|l| (s, i.index, l, i.name.clone())))
        })
        .collect();
    // (space, interface position) → the peer found.
    let mut found: Vec<(usize, usize, VethPeer)> = Vec::new();
    for (s, (_, ifs)) in spaces.iter().enumerate() {
        for (n, i) in ifs.iter().enumerate() {
            let (Some(l), true, None) = (i.link_index, is_end(i), &i.peer) else {
                continue;
            };
            let hits: Vec<&(usize, u32, u32, String)> = ends
                .iter()
                .filter(|e| e.0 != s && e.1 == l && e.2 == i.index)
                .collect();
            if let [one] = hits.as_slice() {
                let ns = spaces[one.0].0;
                found.push((
                    s,
                    n,
                    VethPeer {
                        index: l,
                        name: Some(one.3.clone()),
                        target: ns.target.clone(),
                        owner: crate::peer::describe(ns),
                        netns_inode: Some(ns.inode),
                    },
                ));
            }
        }
    }
    for (s, n, p) in found {
        spaces[s].1[n].peer = Some(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(json: &str) -> ContainerSummary {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_task_is_named_by_service_and_slot_and_a_container_by_its_name() {
        let t = summary(
            r#"{"Id":"c1","Names":["/web.2.abc123"],"Labels":{
                "com.docker.swarm.task.name":"web.2.abc123","com.docker.swarm.task.id":"abc123"},
                "NetworkSettings":{"Networks":{"ov":{"MacAddress":"02:42:0A:00:01:05",
                "IPAddress":"10.0.1.5"}}}}"#,
        );
        assert_eq!(task_name(&t).as_deref(), Some("web.2"));
        let c = summary(r#"{"Id":"c2","Names":["/db"]}"#);
        assert_eq!(task_name(&c), None);
        let mut o = Owners::default();
        let owner = Owner {
            kind: OwnerKind::Task,
            name: "web.2".into(),
            network: Some("ov".into()),
        };
        o.insert(
            Some("02:42:0A:00:01:05"),
            &[addr("10.0.1.5"), addr("")],
            &owner,
        );
        assert_eq!(o.mac("02:42:0a:00:01:05"), Some(&owner));
        assert_eq!(o.ip("10.0.1.5".parse().unwrap()), Some(&owner));
        assert_eq!(owner.to_string(), "task web.2");
        let vip = Owner {
            kind: OwnerKind::ServiceVip,
            name: "web".into(),
            network: None,
        };
        o.insert(None, &[addr("10.0.1.2/24")], &vip);
        assert_eq!(
            o.ip("10.0.1.2".parse().unwrap()).map(|x| x.to_string()),
            Some("service VIP of web".into())
        );
        // The first owner recorded for an address wins.
        o.insert(None, &[addr("10.0.1.2")], &owner);
        assert_eq!(o.ip("10.0.1.2".parse().unwrap()), Some(&vip));
    }
}
