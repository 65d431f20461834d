//! Interfaces and their addresses (`ip addr`, `ip -s link`).

use std::io;
use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde::Serialize;

use crate::netlink::dump;
use crate::peer::VethPeer;

/// One interface with its addresses.
#[derive(Debug, Clone, Serialize)]
pub struct Interface {
    /// ifindex.
    pub index: u32,
    /// Name (`eth0`).
    pub name: String,
    /// Driver kind from `IFLA_INFO_KIND` (`veth`, `bridge`, `vxlan`, …), when the kernel says.
    pub kind: Option<String>,
    /// Operational state (`UP`, `DOWN`, `UNKNOWN`, `LOWERLAYERDOWN`, …).
    pub operstate: String,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Interface flags as `ip link` names them (`BROADCAST`, `MULTICAST`, `UP`, `LOWER_UP`, …).
    pub flags: Vec<String>,
    /// The kernel's interface flag bits (`IFF_*`, as `SIOCGIFFLAGS` and ifconfig see them,
    /// `IFF_RUNNING` included).
    pub if_flags: u32,
    /// MTU.
    pub mtu: Option<u32>,
    /// Transmit queue length (`txqueuelen`).
    pub txqlen: Option<u32>,
    /// Queueing discipline.
    pub qdisc: Option<String>,
    /// Link type (`ether`, `loopback`, `none`, …).
    pub link_type: String,
    /// Link-layer address (`aa:bb:…`), when it has one.
    pub mac: Option<String>,
    /// Link-layer broadcast address.
    pub broadcast: Option<String>,
    /// Master device index (a bridge port's bridge).
    pub master: Option<u32>,
    /// `IFLA_LINK`: the peer's (veth) or lower device's ifindex.
    pub link_index: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the namespace id, as this namespace numbers it, of the peer/lower
    /// device when that lives in another namespace.
    pub link_netnsid: Option<i32>,
    /// Counters (`ip -s link`).
    pub stats: Option<LinkStats>,
    /// For a veth: its peer and where the peer lives (filled by [`crate::resolve_peers`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<VethPeer>,
    /// Addresses, IPv4 first, in kernel order.
    pub addresses: Vec<InterfaceAddress>,
}

/// Interface counters, as `ip -s link` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Received packets dropped.
    pub rx_dropped: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Send errors.
    pub tx_errors: u64,
    /// Packets dropped on send.
    pub tx_dropped: u64,
    /// Packets the receiver missed (`/proc/net/dev` adds them to rx drop).
    pub rx_missed_errors: u64,
    /// Receive FIFO overruns (`/proc/net/dev`'s rx fifo, ifconfig's RX overruns).
    pub rx_fifo_errors: u64,
    /// Framing errors as `/proc/net/dev` sums them (length, over, CRC, frame).
    pub rx_frame_errors: u64,
    /// Multicast packets received.
    pub multicast: u64,
    /// Transmit FIFO errors (ifconfig's TX overruns).
    pub tx_fifo_errors: u64,
    /// Carrier errors as `/proc/net/dev` sums them (carrier, aborted, window, heartbeat).
    pub tx_carrier_errors: u64,
    /// Collisions.
    pub collisions: u64,
}

/// One address on an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceAddress {
    /// `inet` or `inet6`.
    pub family: &'static str,
    /// The address.
    pub address: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Scope: `global`, `link`, `host`, `site`, `nowhere`.
    pub scope: String,
    /// IPv4 label (`eth0:1`), when set.
    pub label: Option<String>,
    /// IPv4 broadcast address, when set.
    pub broadcast: Option<IpAddr>,
    /// The other end of a point-to-point address (`peer` in `ip addr`), when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    /// Flags as `ip addr` names them (`secondary`, `tentative`, `dadfailed`, `deprecated`, …).
    pub flags: Vec<String>,
}

impl std::fmt::Display for InterfaceAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

/// Formats a link-layer address as colon-separated hex.
pub fn mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Interfaces and addresses of the calling thread's namespace, ordered by ifindex.
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let mut links: Vec<Interface> = dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(link_of(&l)),
            _ => None,
        })
        .collect();
    links.sort_by_key(|l| l.index);
    let mut addrs = dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?;
    // IPv4 before IPv6, as `ip addr` prints them; stable within a family.
    addrs.sort_by_key(|m| match m {
        RouteNetlinkMessage::NewAddress(a) => u8::from(a.header.family),
        _ => 0,
    });
    for m in addrs {
        let RouteNetlinkMessage::NewAddress(a) = m else {
            continue;
        };
        if let (Some(addr), Some(link)) = (
            address_of(&a),
            links.iter_mut().find(|l| l.index == a.header.index),
        ) {
            link.addresses.push(addr);
        }
    }
    Ok(links)
}

fn address_of(a: &AddressMessage) -> Option<InterfaceAddress> {
    // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS else.
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut broadcast = None;
    let mut flags32 = None;
    for attr in &a.attributes {
        match attr {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Broadcast(b) => broadcast = Some(IpAddr::V4(*b)),
            AddressAttribute::Flags(f) => flags32 = Some(f.bits()),
            _ => {}
        }
    }
    let ip = local.or(address)?;
    let bits = flags32.unwrap_or(a.header.flags.bits() as u32);
    let names = [
        (0x01, "secondary"),
        (0x02, "nodad"),
        (0x04, "optimistic"),
        (0x08, "dadfailed"),
        (0x10, "homeaddress"),
        (0x20, "deprecated"),
        (0x40, "tentative"),
        (0x100, "mngtmpaddr"),
        (0x200, "noprefixroute"),
        (0x400, "autojoin"),
        (0x800, "stable-privacy"),
    ];
    let mut flags: Vec<String> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    // iproute2 says "dynamic" for addresses that are not permanent.
    if bits & 0x80 == 0 {
        flags.insert(0, "dynamic".into());
    }
    Some(InterfaceAddress {
        family: if a.header.family == AddressFamily::Inet6 {
            "inet6"
        } else {
            "inet"
        },
        address: ip,
        prefix_len: a.header.prefix_len,
        scope: scope_name(a.header.scope),
        label: label.filter(|_| ip.is_ipv4()),
        broadcast,
        peer: local.and(address).filter(|a| Some(*a) != local),
        flags,
    })
}

/// `ip`'s word for an address or route scope.
pub fn scope_name(s: AddressScope) -> String {
    match s {
        AddressScope::Universe => "global".into(),
        AddressScope::Site => "site".into(),
        AddressScope::Link => "link".into(),
        AddressScope::Host => "host".into(),
        AddressScope::Nowhere => "nowhere".into(),
        AddressScope::Other(n) => n.to_string(),
        _ => u8::from(s).to_string(),
    }
}

pub(crate) fn flag_names(f: LinkFlags) -> Vec<String> {
    // The order `ip link` prints them in.
    let table = [
        (LinkFlags::Loopback, "LOOPBACK"),
        (LinkFlags::Broadcast, "BROADCAST"),
        (LinkFlags::Pointopoint, "POINTOPOINT"),
        (LinkFlags::Multicast, "MULTICAST"),
        (LinkFlags::Noarp, "NOARP"),
        (LinkFlags::Allmulti, "ALLMULTI"),
        (LinkFlags::Promisc, "PROMISC"),
        (LinkFlags::Controller, "MASTER"),
        (LinkFlags::Port, "SLAVE"),
        (LinkFlags::Debug, "DEBUG"),
        (LinkFlags::Dynamic, "DYNAMIC"),
        (LinkFlags::Automedia, "AUTOMEDIA"),
        (LinkFlags::Portsel, "PORTSEL"),
        (LinkFlags::Notrailers, "NOTRAILERS"),
        (LinkFlags::Up, "UP"),
        (LinkFlags::LowerUp, "LOWER_UP"),
        (LinkFlags::Dormant, "DORMANT"),
        (LinkFlags::Echo, "ECHO"),
    ];
    table
        .iter()
        .filter(|(b, _)| f.contains(*b))
        .map(|(_, n)| n.to_string())
        .collect()
}

fn link_type_name(t: LinkLayerType) -> String {
    match t {
        LinkLayerType::Ether => "ether".into(),
        LinkLayerType::Loopback => "loopback".into(),
        LinkLayerType::None => "none".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn link_of(l: &LinkMessage) -> Interface {
    let mut i = Interface {
        index: l.header.index,
        name: String::new(),
        kind: None,
        operstate: "UNKNOWN".into(),
        up: l.header.flags.contains(LinkFlags::Up),
        flags: flag_names(l.header.flags),
        if_flags: l.header.flags.bits(),
        mtu: None,
        txqlen: None,
        qdisc: None,
        link_type: link_type_name(l.header.link_layer_type),
        mac: None,
        broadcast: None,
        master: None,
        link_index: None,
        link_netnsid: None,
        stats: None,
        peer: None,
        addresses: Vec::new(),
    };
    for attr in &l.attributes {
        match attr {
            LinkAttribute::IfName(n) => i.name = n.clone(),
            LinkAttribute::Mtu(m) => i.mtu = Some(*m),
            LinkAttribute::TxQueueLen(q) => i.txqlen = Some(*q),
            LinkAttribute::Qdisc(q) => i.qdisc = Some(q.clone()),
            LinkAttribute::Address(a) if !a.is_empty() => i.mac = Some(mac(a)),
            LinkAttribute::Broadcast(a) if !a.is_empty() => i.broadcast = Some(mac(a)),
            LinkAttribute::OperState(s) => i.operstate = s.to_string(),
            LinkAttribute::Controller(m) => i.master = Some(*m),
            LinkAttribute::Link(x) => i.link_index = Some(*x),
            LinkAttribute::LinkNetNsId(n) => i.link_netnsid = Some(*n),
            LinkAttribute::Stats64(s) => {
                i.stats = Some(LinkStats {
                    rx_bytes: s.rx_bytes,
                    rx_packets: s.rx_packets,
                    rx_errors: s.rx_errors,
                    rx_dropped: s.rx_dropped,
                    tx_bytes: s.tx_bytes,
                    tx_packets: s.tx_packets,
                    tx_errors: s.tx_errors,
                    tx_dropped: s.tx_dropped,
                    rx_missed_errors: s.rx_missed_errors,
                    rx_fifo_errors: s.rx_fifo_errors,
                    rx_frame_errors: s.rx_length_errors
                        + s.rx_over_errors
                        + s.rx_crc_errors
                        + s.rx_frame_errors,
                    multicast: s.multicast,
                    tx_fifo_errors: s.tx_fifo_errors,
                    tx_carrier_errors: s.tx_carrier_errors
                        + s.tx_aborted_errors
                        + s.tx_window_errors
                        + s.tx_heartbeat_errors,
                    collisions: s.collisions,
                })
            }
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(k) = info {
                        i.kind = Some(k.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    i
}
