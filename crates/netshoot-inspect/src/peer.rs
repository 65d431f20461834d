//! Veth peers across namespaces: "which vethXXXX on the host is my container?", both ways.
//!
//! A veth's `IFLA_LINK` is its peer's ifindex and `IFLA_LINK_NETNSID` the id *this* namespace
//! gives the peer's namespace. The id is matched exactly: for each candidate namespace the kernel
//! is asked (`RTM_GETNSID` with the namespace's file descriptor) which id this namespace gives
//! it. The peer's name is then read inside that namespace on a short-lived thread.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netshoot_ns::{Namespace, NamespaceKind};
use serde::{Deserialize, Serialize};

use crate::link::Interface;
use crate::netlink::request;

/// Where a veth's other end lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VethPeer {
    /// The peer's ifindex in its namespace.
    pub index: u32,
    /// The peer's name, when its namespace could be visited.
    pub name: Option<String>,
    /// The `-t` SPEC of the peer's namespace (`host`, `container:web`, `network:ov`, …), or
    /// `same` when both ends are in one namespace, or `unknown`.
    pub target: String,
    /// What lives there, in words (`container web`, `Docker network ov (overlay)`, …).
    pub owner: String,
    /// The peer namespace's inode, when found.
    pub netns_inode: Option<u64>,
}

/// The id this (the calling thread's) namespace gives the namespace open as `fd`; `None` when
/// it has given it none.
fn nsid_of(fd: &File) -> io::Result<Option<i32>> {
    let mut msg = NsidMessage::default();
    msg.attributes
        .push(NsidAttribute::Fd(fd.as_raw_fd() as u32));
    for m in request(RouteNetlinkMessage::GetNsId(msg))? {
        if let RouteNetlinkMessage::NewNsId(n) = m {
            for a in n.attributes {
                if let NsidAttribute::Id(id) = a {
                    return Ok((id >= 0).then_some(id));
                }
            }
        }
    }
    Ok(None)
}

/// The ids this namespace gives the namespaces named under `/var/run/netns` (what
/// `ip link` prints as `link-netns NAME`), by id.
pub fn netns_names_by_id() -> std::collections::HashMap<i32, String> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir("/var/run/netns") else {
        return out;
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    for n in names {
        let Ok(f) = File::open(format!("/var/run/netns/{n}")) else {
            continue;
        };
        if let Ok(Some(id)) = nsid_of(&f) {
            out.entry(id).or_insert(n);
        }
    }
    out
}

/// What lives in a namespace, in words (`container web`, `Docker network ov (overlay, …)`, …).
pub fn describe(ns: &Namespace) -> String {
    match ns.kind {
        NamespaceKind::Host => "the host".into(),
        NamespaceKind::Container => {
            let names: Vec<&str> = ns.containers.iter().map(|c| c.name.as_str()).collect();
            format!("container {}", names.join(", "))
        }
        NamespaceKind::DockerNetwork => ns
            .docker_networks
            .first()
            .map(|n| {
                format!(
                    "Docker network {} ({}, sandbox {})",
                    n.name, n.driver, n.sandbox
                )
            })
            .unwrap_or_else(|| "a Docker network".into()),
        NamespaceKind::Netns => format!("ip netns {}", ns.netns_names.join(", ")),
        NamespaceKind::Process => ns
            .processes
            .first()
            .map(|p| format!("process {} ({})", p.pid, p.command))
            .unwrap_or_else(|| ns.target.clone()),
    }
}

/// Fills `peer` for every veth in `ifs` (interfaces of the calling thread's namespace).
/// Namespaces are listed only when some veth's peer lives elsewhere.
pub fn resolve_peers(ifs: &mut [Interface]) -> io::Result<()> {
    let here = netshoot_ns::current_inode().ok();
    // Peers in the same namespace need no search.
    let same: Vec<(usize, u32)> = ifs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind.as_deref() == Some("veth") && i.link_netnsid.is_none())
        .filter_map(|(n, i)| i.link_index.map(|l| (n, l)))
        .collect();
    for (n, l) in same {
        let name = ifs.iter().find(|x| x.index == l).map(|x| x.name.clone());
        ifs[n].peer = Some(VethPeer {
            index: l,
            name,
            target: "same".into(),
            owner: "this namespace".into(),
            netns_inode: here,
        });
    }
    let wanted: Vec<i32> = ifs
        .iter()
        .filter(|i| i.kind.as_deref() == Some("veth"))
        .filter_map(|i| i.link_netnsid)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let (namespaces, _) = netshoot_ns::list().map_err(|e| io::Error::other(e.to_string()))?;
    // Map each wanted id to its namespace.
    let mut by_id: Vec<(i32, &Namespace)> = Vec::new();
    for ns in &namespaces {
        if Some(ns.inode) == here {
            continue;
        }
        let Ok(f) = File::open(&ns.path) else {
            continue;
        };
        if let Ok(Some(id)) = nsid_of(&f) {
            if wanted.contains(&id) {
                by_id.push((id, ns));
            }
        }
    }
    for i in ifs.iter_mut().filter(|i| i.kind.as_deref() == Some("veth")) {
        let (Some(id), Some(peer_index)) = (i.link_netnsid, i.link_index) else {
            continue;
        };
        let my_index = i.index;
        let Some((_, ns)) = by_id.iter().find(|(x, _)| *x == id) else {
            i.peer = Some(VethPeer {
                index: peer_index,
                name: None,
                target: "unknown".into(),
                owner: format!("namespace id {id} (not visible from here)"),
                netns_inode: None,
            });
            continue;
        };
        // Read the peer's name inside its namespace; check it points back at us.
        let name = netshoot_ns::in_namespace(&ns.path, move || {
            crate::link::interfaces().ok().and_then(|v| {
                v.into_iter()
                    .find(|x| x.index == peer_index && x.link_index == Some(my_index))
                    .map(|x| x.name)
            })
        })
        .ok()
        .flatten();
        i.peer = Some(VethPeer {
            index: peer_index,
            name,
            target: ns.target.clone(),
            owner: describe(ns),
            netns_inode: Some(ns.inode),
        });
    }
    Ok(())
}
