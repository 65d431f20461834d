//! Bridges, their ports (`brctl show`, `bridge link`) and forwarding databases (`bridge fdb`).

use std::io;
use std::net::IpAddr;

use netlink_packet_route::link::{
    BridgePortState, BridgeStpState, InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData,
    LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde::Serialize;

use crate::link::mac;
use crate::netlink::dump;

/// A bridge port (`bridge link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgePort {
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub ifname: String,
    /// The bridge it belongs to.
    pub master: String,
    /// STP port state: `disabled`, `listening`, `learning`, `forwarding`, `blocking`.
    pub state: String,
    /// Port priority.
    pub priority: Option<u16>,
    /// Path cost.
    pub cost: Option<u32>,
    /// Link flags (`UP`, `LOWER_UP`, …).
    pub flags: Vec<String>,
    /// MTU.
    pub mtu: Option<u32>,
    /// Learns source MACs.
    pub learning: Option<bool>,
    /// Floods unknown unicast.
    pub flood: Option<bool>,
    /// Sends frames back out of the port they came in on (hairpin).
    pub hairpin: Option<bool>,
    /// Port number in the bridge (`brctl showmacs`'s `port no`).
    pub port_no: Option<u16>,
    /// Spanning-tree values (`brctl showstp`).
    pub stp_info: PortStp,
}

/// A bridge with its ports (`brctl show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bridge {
    /// Interface index.
    pub ifindex: u32,
    /// Name.
    pub name: String,
    /// Bridge id as brctl prints it: priority (hex) `.` MAC.
    pub bridge_id: Option<String>,
    /// Spanning tree on.
    pub stp: bool,
    /// Up.
    pub up: bool,
    /// Its ports, by name, in ifindex order.
    pub ports: Vec<BridgePort>,
    /// Spanning-tree values (`brctl showstp`), times in hundredths of a second.
    pub stp_info: BridgeStp,
}

/// A bridge's spanning-tree values as the kernel reports them (`IFLA_BR_*`); times and timers
/// in hundredths of a second.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BridgeStp {
    /// Designated root, as brctl prints a bridge id.
    pub designated_root: Option<String>,
    /// Root port.
    pub root_port: u16,
    /// Root path cost.
    pub root_path_cost: u32,
    /// Max age.
    pub max_age: u32,
    /// Hello time.
    pub hello_time: u32,
    /// Forward delay.
    pub forward_delay: u32,
    /// Ageing time.
    pub ageing_time: u32,
    /// Hello timer.
    pub hello_timer: u64,
    /// Topology change notification timer.
    pub tcn_timer: u64,
    /// Topology change timer.
    pub topology_change_timer: u64,
    /// Garbage collection timer.
    pub gc_timer: u64,
    /// A topology change is under way.
    pub topology_change: bool,
    /// A topology change was detected.
    pub topology_change_detected: bool,
}

/// A port's spanning-tree values (`IFLA_BRPORT_*`), timers in hundredths of a second.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortStp {
    /// Port id (priority and number).
    pub port_id: u16,
    /// Designated root, as brctl prints a bridge id.
    pub designated_root: Option<String>,
    /// Designated bridge.
    pub designated_bridge: Option<String>,
    /// Designated port.
    pub designated_port: u16,
    /// Designated cost.
    pub designated_cost: u16,
    /// Message age timer.
    pub message_age_timer: u64,
    /// Forward delay timer.
    pub forward_delay_timer: u64,
    /// Hold timer.
    pub hold_timer: u64,
    /// Configuration pending.
    pub config_pending: bool,
    /// Topology change acknowledgement pending.
    pub topology_change_ack: bool,
}

/// Bridges and their ports in the calling thread's namespace, ordered by ifindex.
pub fn bridges() -> io::Result<Vec<Bridge>> {
    let links: Vec<LinkMessage> = dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(l),
            _ => None,
        })
        .collect();
    let name_of = |idx: u32| -> String {
        links
            .iter()
            .find(|l| l.header.index == idx)
            .and_then(|l| {
                l.attributes.iter().find_map(|a| match a {
                    LinkAttribute::IfName(n) => Some(n.clone()),
                    _ => None,
                })
            })
            .unwrap_or_else(|| format!("if{idx}"))
    };
    let mut out: Vec<Bridge> = Vec::new();
    for l in &links {
        let infos: Vec<&LinkInfo> = l
            .attributes
            .iter()
            .filter_map(|a| match a {
                LinkAttribute::LinkInfo(v) => Some(v.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        if !infos
            .iter()
            .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Bridge)))
        {
            continue;
        }
        let mut bridge_id = None;
        let mut stp = false;
        let mut st = BridgeStp::default();
        for i in &infos {
            if let LinkInfo::Data(InfoData::Bridge(v)) = i {
                for b in v {
                    match b {
                        InfoBridge::BridgeId(id) => bridge_id = Some(brctl_id(id)),
                        InfoBridge::StpState(s) => stp = !matches!(s, BridgeStpState::Disabled),
                        InfoBridge::RootId(id) => st.designated_root = Some(brctl_id(id)),
                        InfoBridge::RootPort(x) => st.root_port = *x,
                        InfoBridge::RootPathCost(x) => st.root_path_cost = *x,
                        InfoBridge::MaxAge(x) => st.max_age = *x,
                        InfoBridge::HelloTime(x) => st.hello_time = *x,
                        InfoBridge::ForwardDelay(x) => st.forward_delay = *x,
                        InfoBridge::AgeingTime(x) => st.ageing_time = *x,
                        InfoBridge::HelloTimer(x) => st.hello_timer = *x,
                        InfoBridge::TcnTimer(x) => st.tcn_timer = *x,
                        InfoBridge::TopologyChangeTimer(x) => st.topology_change_timer = *x,
                        InfoBridge::GcTimer(x) => st.gc_timer = *x,
                        InfoBridge::TopologyChange(x) => st.topology_change = *x != 0,
                        InfoBridge::TopologyChangeDetected(x) => {
                            st.topology_change_detected = *x != 0
                        }
                        _ => {}
                    }
                }
            }
        }
        out.push(Bridge {
            ifindex: l.header.index,
            name: name_of(l.header.index),
            bridge_id,
            stp,
            up: l.header.flags.contains(LinkFlags::Up),
            ports: Vec::new(),
            stp_info: st,
        });
    }
    for l in &links {
        let Some(master) = l.attributes.iter().find_map(|a| match a {
            LinkAttribute::Controller(m) => Some(*m),
            _ => None,
        }) else {
            continue;
        };
        let Some(b) = out.iter_mut().find(|b| b.ifindex == master) else {
            continue;
        };
        let mut port = BridgePort {
            ifindex: l.header.index,
            ifname: name_of(l.header.index),
            master: b.name.clone(),
            state: "disabled".into(),
            priority: None,
            cost: None,
            flags: crate::link::flag_names(l.header.flags),
            mtu: l.attributes.iter().find_map(|a| match a {
                LinkAttribute::Mtu(m) => Some(*m),
                _ => None,
            }),
            learning: None,
            flood: None,
            hairpin: None,
            port_no: None,
            stp_info: PortStp::default(),
        };
        for a in &l.attributes {
            let LinkAttribute::LinkInfo(v) = a else {
                continue;
            };
            for i in v {
                let LinkInfo::PortData(InfoPortData::BridgePort(attrs)) = i else {
                    continue;
                };
                for p in attrs {
                    match p {
                        InfoBridgePort::State(s) => port.state = port_state_name(*s),
                        InfoBridgePort::Priority(n) => port.priority = Some(*n),
                        InfoBridgePort::Cost(n) => port.cost = Some(*n),
                        InfoBridgePort::Learning(x) => port.learning = Some(*x),
                        InfoBridgePort::UnicastFlood(x) => port.flood = Some(*x),
                        InfoBridgePort::HairpinMode(x) => port.hairpin = Some(*x),
                        InfoBridgePort::PortNumber(n) => port.port_no = Some(*n),
                        InfoBridgePort::PortId(n) => port.stp_info.port_id = *n,
                        InfoBridgePort::RootId(id) => {
                            port.stp_info.designated_root = Some(brctl_id(id))
                        }
                        InfoBridgePort::BridgeId(id) => {
                            port.stp_info.designated_bridge = Some(brctl_id(id))
                        }
                        InfoBridgePort::DesignatedPort(n) => port.stp_info.designated_port = *n,
                        InfoBridgePort::DesignatedCost(n) => port.stp_info.designated_cost = *n,
                        InfoBridgePort::MessageAgeTimer(t) => port.stp_info.message_age_timer = *t,
                        InfoBridgePort::ForwardDelayTimer(t) => {
                            port.stp_info.forward_delay_timer = *t
                        }
                        InfoBridgePort::HoldTimer(t) => port.stp_info.hold_timer = *t,
                        InfoBridgePort::ConfigPending(x) => port.stp_info.config_pending = *x,
                        InfoBridgePort::TopologyChangeAck(x) => {
                            port.stp_info.topology_change_ack = *x
                        }
                        _ => {}
                    }
                }
            }
        }
        b.ports.push(port);
    }
    for b in &mut out {
        b.ports.sort_by_key(|p| p.ifindex);
    }
    Ok(out)
}

/// A bridge id as brctl prints it: priority (hex) `.` MAC without separators.
fn brctl_id(id: &netlink_packet_route::link::BridgeId) -> String {
    format!("{:04x}.{}", id.priority, hex(&id.address))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The STP port state word (`forwarding`, `blocking`, …).
pub fn port_state_name(s: BridgePortState) -> String {
    match s {
        BridgePortState::Disabled => "disabled".into(),
        BridgePortState::Listening => "listening".into(),
        BridgePortState::Learning => "learning".into(),
        BridgePortState::Forwarding => "forwarding".into(),
        BridgePortState::Blocking => "blocking".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// One forwarding-database entry (`bridge fdb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdbEntry {
    /// The MAC address.
    pub mac: String,
    /// The port (or device) it was learned on or added to.
    pub ifname: String,
    /// VLAN.
    pub vlan: Option<u16>,
    /// The bridge, for entries in a bridge's table.
    pub master: Option<String>,
    /// The remote VTEP, for a vxlan device's entries.
    pub dst: Option<IpAddr>,
    /// VXLAN network identifier, when it differs from the device's.
    pub vni: Option<u32>,
    /// `self` (the device's own table), `master` (the bridge's), `extern_learn`, `offload`,
    /// `sticky`, `router`.
    pub flags: Vec<String>,
    /// `permanent` (local address), `static`, `stale`, or empty for a dynamic, reachable entry.
    pub state: String,
    /// Device index.
    pub ifindex: u32,
    /// The bridge's index, for entries in a bridge's table.
    pub master_index: Option<u32>,
    /// Raw `NTF_*` flags.
    pub ndm_flags: u8,
    /// Raw `NUD_*` state.
    pub nud: u16,
    /// Remote VTEP UDP port (vxlan), when set per entry.
    pub port: Option<u16>,
    /// Source VNI (vxlan).
    pub src_vni: Option<u32>,
    /// Outgoing device index for a vxlan remote (`via`).
    pub via_ifindex: Option<u32>,
    /// `via_ifindex`'s name in this namespace.
    pub via_name: Option<String>,
    /// The namespace id of `via_ifindex`'s namespace.
    pub link_netnsid: Option<u32>,
    /// Hundredths of a second since the entry was last used and updated (`NDA_CACHEINFO`).
    pub used_updated: Option<(u32, u32)>,
    /// Whose MAC this is (a container, a Swarm task, a load balancer), filled by callers from
    /// `whose::Owners`; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<crate::whose::Owner>,
}

/// The forwarding database of the calling thread's namespace; with `bridge`, only the entries
/// of that bridge and its ports (`bridge fdb show br BRIDGE`). Unknown bridge: `NotFound`.
pub fn fdb(bridge: Option<&str>) -> io::Result<Vec<FdbEntry>> {
    let links: Vec<(u32, String, Option<u32>)> =
        dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some((
                    l.header.index,
                    l.attributes
                        .iter()
                        .find_map(|a| match a {
                            LinkAttribute::IfName(n) => Some(n.clone()),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    l.attributes.iter().find_map(|a| match a {
                        LinkAttribute::Controller(m) => Some(*m),
                        _ => None,
                    }),
                )),
                _ => None,
            })
            .collect();
    let name = |i: u32| {
        links
            .iter()
            .find(|l| l.0 == i)
            .map(|l| l.1.clone())
            .unwrap_or_else(|| format!("if{i}"))
    };
    let only: Option<u32> = match bridge {
        None => None,
        Some(b) => Some(
            links
                .iter()
                .find(|l| l.1 == b)
                .map(|l| l.0)
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("no device '{b}'"))
                })?,
        ),
    };
    let mut msg = NeighbourMessage::default();
    msg.header.family = AddressFamily::Bridge;
    let mut out = Vec::new();
    for m in dump(RouteNetlinkMessage::GetNeighbour(msg))? {
        let RouteNetlinkMessage::NewNeighbour(n) = m else {
            continue;
        };
        let mut e = FdbEntry {
            mac: String::new(),
            ifname: name(n.header.ifindex),
            vlan: None,
            master: None,
            dst: None,
            vni: None,
            flags: Vec::new(),
            state: fdb_state(n.header.state),
            ifindex: n.header.ifindex,
            master_index: None,
            ndm_flags: n.header.flags.bits(),
            nud: u16::from(n.header.state),
            port: None,
            src_vni: None,
            via_ifindex: None,
            via_name: None,
            link_netnsid: None,
            used_updated: None,
            owner: None,
        };
        let mut master_idx = None;
        for a in &n.attributes {
            match a {
                NeighbourAttribute::LinkLayerAddress(l) => e.mac = mac(l),
                NeighbourAttribute::Vlan(v) => e.vlan = Some(*v),
                NeighbourAttribute::Controller(m) => master_idx = Some(*m),
                NeighbourAttribute::Vni(v) => e.vni = Some(*v),
                NeighbourAttribute::Port(p) => e.port = Some(*p),
                NeighbourAttribute::SourceVni(v) => e.src_vni = Some(*v),
                NeighbourAttribute::IfIndex(i) => e.via_ifindex = Some(*i),
                NeighbourAttribute::LinkNetNsId(i) => e.link_netnsid = Some(*i),
                NeighbourAttribute::CacheInfo(c) => e.used_updated = Some((c.used, c.updated)),
                NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => {
                    e.dst = Some(IpAddr::V4(*v))
                }
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(v)) => {
                    e.dst = Some(IpAddr::V6(*v))
                }
                // In the bridge family the remote VTEP comes as raw bytes.
                NeighbourAttribute::Destination(NeighbourAddress::Other(b)) => {
                    e.dst = match b.len() {
                        4 => Some(IpAddr::from([b[0], b[1], b[2], b[3]])),
                        16 => <[u8; 16]>::try_from(&b[..]).ok().map(IpAddr::from),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        e.master = master_idx.map(name);
        e.master_index = master_idx;
        e.via_name = e.via_ifindex.map(name);
        let f = n.header.flags;
        for (flag, word) in [
            (NeighbourFlags::Own, "self"),
            (NeighbourFlags::Router, "router"),
            (NeighbourFlags::ExtLearned, "extern_learn"),
            (NeighbourFlags::Offloaded, "offload"),
            (NeighbourFlags::Controller, "master"),
            (NeighbourFlags::Sticky, "sticky"),
        ] {
            if f.contains(flag) {
                e.flags.push(word.into());
            }
        }
        if let Some(b) = only {
            // The bridge's own entries and those of its ports.
            let port_of_b = links
                .iter()
                .any(|l| l.0 == n.header.ifindex && l.2 == Some(b));
            if n.header.ifindex != b && master_idx != Some(b) && !port_of_b {
                continue;
            }
        }
        out.push(e);
    }
    Ok(out)
}

/// The state word iproute2 prints: the NUD bits are a mask, tested in this order.
fn fdb_state(s: NeighbourState) -> String {
    let bits = u16::from(s);
    if bits & 0x80 != 0 {
        "permanent".into()
    } else if bits & 0x40 != 0 {
        "static".into()
    } else if bits & 0x04 != 0 {
        "stale".into()
    } else {
        String::new()
    }
}
