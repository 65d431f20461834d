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
    /// The master device's name (`br0`), as `ip link` prints it.
    pub master_name: Option<String>,
    /// Link mode (`DEFAULT`, `DORMANT`, …), from `IFLA_LINKMODE`.
    pub link_mode: Option<String>,
    /// Interface group (0 is `default`).
    pub group: Option<u32>,
    /// The lower/peer device's name when it lives in this namespace (`veth1` in `veth0@veth1`).
    pub link_name: Option<String>,
    /// The lower/peer device is down (`ip link` prints `M-DOWN`).
    pub link_down: bool,
    /// Whatever interface of this namespace has the index `link_index`, and whether it is
    /// down, even when the peer lives elsewhere (what `ip -6 addr` names, lacking the netnsid).
    pub link_index_here: Option<(String, bool)>,
    /// The `ip netns` name of the namespace `link_netnsid` points at, when one names it.
    pub link_netns: Option<String>,
    /// Details (`ip -d link`): promiscuity, queue counts, offload sizes, driver data.
    pub details: LinkDetails,
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

/// What `ip -d link` adds to an interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkDetails {
    /// Promiscuity count.
    pub promiscuity: Option<u32>,
    /// Allmulti count.
    pub allmulti: Option<u32>,
    /// Smallest MTU the driver accepts.
    pub min_mtu: Option<u32>,
    /// Largest MTU the driver accepts.
    pub max_mtu: Option<u32>,
    /// Transmit queues.
    pub num_tx_queues: Option<u32>,
    /// Receive queues.
    pub num_rx_queues: Option<u32>,
    /// GSO size limit.
    pub gso_max_size: Option<u32>,
    /// GSO segment limit.
    pub gso_max_segs: Option<u32>,
    /// TSO size limit.
    pub tso_max_size: Option<u32>,
    /// TSO segment limit.
    pub tso_max_segs: Option<u32>,
    /// GRO size limit.
    pub gro_max_size: Option<u32>,
    /// Parent bus name.
    pub parent_bus: Option<String>,
    /// Parent device name.
    pub parent_dev: Option<String>,
    /// IPv6 address generation mode (`eui64`, `none`, `stable_secret`, `random`).
    pub addrgenmode: Option<String>,
    /// `IFLA_INFO_KIND`'s data as `ip -d link` prints it (`vxlan id 42 …`, `bridge …`).
    pub kind_data: Vec<(String, String)>,
    /// The port's role under its master (`bridge_slave`), when it has one.
    pub slave_kind: Option<String>,
    /// The port data as `ip -d link` prints it.
    pub slave_data: Vec<(String, String)>,
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
    /// Multicast packets received.
    pub multicast: u64,
    /// Collisions.
    pub collisions: u64,
    /// Receive length errors.
    pub rx_length_errors: u64,
    /// Receive ring overruns.
    pub rx_over_errors: u64,
    /// Receive CRC errors.
    pub rx_crc_errors: u64,
    /// Receive frame errors.
    pub rx_frame_errors: u64,
    /// Receive FIFO errors.
    pub rx_fifo_errors: u64,
    /// Missed packets.
    pub rx_missed_errors: u64,
    /// Aborted sends.
    pub tx_aborted_errors: u64,
    /// Carrier errors.
    pub tx_carrier_errors: u64,
    /// Send FIFO errors.
    pub tx_fifo_errors: u64,
    /// Heartbeat errors.
    pub tx_heartbeat_errors: u64,
    /// Window errors.
    pub tx_window_errors: u64,
    /// Compressed packets received.
    pub rx_compressed: u64,
    /// Compressed packets sent.
    pub tx_compressed: u64,
    /// Packets dropped for want of a handler.
    pub rx_nohandler: u64,
    /// Packets for another host dropped.
    pub rx_otherhost_dropped: u64,
    /// Carrier changes (`IFLA_CARRIER_CHANGES`), when given.
    pub carrier_changes: Option<u32>,
}

impl LinkStats {
    /// Framing errors as `/proc/net/dev` (and so ifconfig) sums them: length, over, CRC, frame.
    pub fn frame_errors_total(&self) -> u64 {
        self.rx_length_errors + self.rx_over_errors + self.rx_crc_errors + self.rx_frame_errors
    }

    /// Carrier errors as `/proc/net/dev` sums them: carrier, aborted, window, heartbeat.
    pub fn carrier_errors_total(&self) -> u64 {
        self.tx_carrier_errors
            + self.tx_aborted_errors
            + self.tx_window_errors
            + self.tx_heartbeat_errors
    }
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
    /// Flags as `ip addr` names them (`secondary`, `tentative`, `dadfailed`, `deprecated`, …).
    pub flags: Vec<String>,
    /// Raw `IFA_F_*` bits.
    pub ifa_flags: u32,
    /// The peer address of a point-to-point address (`IFA_ADDRESS` when it differs from
    /// `IFA_LOCAL`).
    pub peer: Option<IpAddr>,
    /// IPv6 anycast address.
    pub anycast: Option<IpAddr>,
    /// Prefix route metric (`IFA_RT_PRIORITY`).
    pub metric: Option<u32>,
    /// Valid lifetime in seconds (`u32::MAX` is forever), when the kernel says.
    pub valid_lft: Option<u32>,
    /// Preferred lifetime in seconds (`u32::MAX` is forever), when the kernel says.
    pub preferred_lft: Option<u32>,
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
    resolve_names(&mut links);
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

/// Names what `ip link` names by index: the master, a same-namespace lower/peer device (and
/// whether it is down), and the `ip netns` name of a peer namespace.
fn resolve_names(links: &mut [Interface]) {
    let by_index: Vec<(u32, String, bool)> = links
        .iter()
        .map(|l| (l.index, l.name.clone(), l.up))
        .collect();
    let find = |i: u32| by_index.iter().find(|x| x.0 == i);
    let nsids = if links.iter().any(|l| l.link_netnsid.is_some_and(|n| n >= 0)) {
        crate::peer::netns_names_by_id()
    } else {
        Default::default()
    };
    for l in links.iter_mut() {
        l.master_name = l.master.map(|m| {
            find(m)
                .map(|x| x.1.clone())
                .unwrap_or_else(|| format!("if{m}"))
        });
        l.link_index_here = l.link_index.and_then(find).map(|x| (x.1.clone(), !x.2));
        if let (Some(li), None) = (l.link_index, l.link_netnsid) {
            if li != 0 {
                match find(li) {
                    Some(x) => {
                        l.link_name = Some(x.1.clone());
                        l.link_down = !x.2;
                    }
                    None => l.link_name = Some(format!("if{li}")),
                }
            }
        }
        if let Some(n) = l.link_netnsid {
            l.link_netns = nsids.get(&n).cloned();
        }
        // A driver's lower device given by index (vxlan `dev`), named here.
        for (_, v) in l.details.kind_data.iter_mut() {
            if let Some(idx) = v.strip_prefix('@').and_then(|n| n.parse::<u32>().ok()) {
                *v = find(idx)
                    .map(|x| x.1.clone())
                    .unwrap_or_else(|| format!("if{idx}"));
            }
        }
    }
}

fn address_of(a: &AddressMessage) -> Option<InterfaceAddress> {
    // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS else.
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut broadcast = None;
    let mut flags32 = None;
    let (mut anycast, mut metric, mut cache) = (None, None, None);
    for attr in &a.attributes {
        match attr {
            AddressAttribute::Anycast(ip) => anycast = Some(IpAddr::V6(*ip)),
            AddressAttribute::RoutePriority(m) => metric = Some(*m),
            AddressAttribute::CacheInfo(c) => cache = Some(*c),
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
        flags,
        ifa_flags: bits,
        peer: address.filter(|p| local.is_some() && Some(*p) != local),
        anycast,
        metric,
        valid_lft: cache.map(|c| c.ifa_valid),
        preferred_lft: cache.map(|c| c.ifa_preferred),
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
        master_name: None,
        link_mode: None,
        group: None,
        link_name: None,
        link_down: false,
        link_index_here: None,
        link_netns: None,
        details: LinkDetails::default(),
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
                    multicast: s.multicast,
                    collisions: s.collisions,
                    rx_length_errors: s.rx_length_errors,
                    rx_over_errors: s.rx_over_errors,
                    rx_crc_errors: s.rx_crc_errors,
                    rx_frame_errors: s.rx_frame_errors,
                    rx_fifo_errors: s.rx_fifo_errors,
                    rx_missed_errors: s.rx_missed_errors,
                    tx_aborted_errors: s.tx_aborted_errors,
                    tx_carrier_errors: s.tx_carrier_errors,
                    tx_fifo_errors: s.tx_fifo_errors,
                    tx_heartbeat_errors: s.tx_heartbeat_errors,
                    tx_window_errors: s.tx_window_errors,
                    rx_compressed: s.rx_compressed,
                    tx_compressed: s.tx_compressed,
                    rx_nohandler: s.rx_nohandler,
                    rx_otherhost_dropped: s.rx_otherhost_dropped,
                    carrier_changes: i.stats.and_then(|x| x.carrier_changes),
                })
            }
            LinkAttribute::CarrierChanges(c) => {
                let st = i.stats.get_or_insert_with(LinkStats::default);
                st.carrier_changes = Some(*c);
            }
            LinkAttribute::Mode(m) => {
                i.link_mode = Some(match u8::from(*m) {
                    0 => "DEFAULT".into(),
                    1 => "DORMANT".into(),
                    n => n.to_string(),
                })
            }
            LinkAttribute::Group(g) => i.group = Some(*g),
            LinkAttribute::Promiscuity(x) => i.details.promiscuity = Some(*x),
            LinkAttribute::AllMulticast(x) => i.details.allmulti = Some(*x),
            LinkAttribute::MinMtu(x) => i.details.min_mtu = Some(*x),
            LinkAttribute::MaxMtu(x) => i.details.max_mtu = Some(*x),
            LinkAttribute::NumTxQueues(x) => i.details.num_tx_queues = Some(*x),
            LinkAttribute::NumRxQueues(x) => i.details.num_rx_queues = Some(*x),
            LinkAttribute::GsoMaxSize(x) => i.details.gso_max_size = Some(*x),
            LinkAttribute::GsoMaxSegs(x) => i.details.gso_max_segs = Some(*x),
            LinkAttribute::TsoMaxSize(x) => i.details.tso_max_size = Some(*x),
            LinkAttribute::TsoMaxSegs(x) => i.details.tso_max_segs = Some(*x),
            LinkAttribute::GroMaxSize(x) => i.details.gro_max_size = Some(*x),
            LinkAttribute::ParentDevBusName(x) => i.details.parent_bus = Some(x.clone()),
            LinkAttribute::ParentDevName(x) => i.details.parent_dev = Some(x.clone()),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(k) => i.kind = Some(k.to_string()),
                        LinkInfo::Data(d) => i.details.kind_data = crate::details::kind_data(d),
                        LinkInfo::PortKind(k) => {
                            i.details.slave_kind = Some(crate::details::port_kind(k))
                        }
                        LinkInfo::PortData(d) => {
                            i.details.slave_data = crate::details::port_data(d)
                        }
                        _ => {}
                    }
                }
            }
            LinkAttribute::AfSpecUnspec(specs) => {
                i.details.addrgenmode = crate::details::addrgenmode(specs);
            }
            _ => {}
        }
    }
    i
}
