//! Interfaces and their addresses (`ip addr`).

use std::io;
use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use serde::Serialize;

use crate::netlink::dump;

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
    /// MTU.
    pub mtu: Option<u32>,
    /// Link-layer address (`aa:bb:…`), when it has one.
    pub mac: Option<String>,
    /// Master device index (a bridge port's bridge).
    pub master: Option<u32>,
    /// Addresses, IPv4 first, in kernel order.
    pub addresses: Vec<InterfaceAddress>,
}

/// One address on an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceAddress {
    /// The address.
    pub address: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
}

impl std::fmt::Display for InterfaceAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

fn mac(bytes: &[u8]) -> String {
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
    // IPv4 before IPv6, as `ip addr` prints them.
    addrs.sort_by_key(|m| match m {
        RouteNetlinkMessage::NewAddress(a) => u8::from(a.header.family),
        _ => 0,
    });
    for m in addrs {
        let RouteNetlinkMessage::NewAddress(a) = m else {
            continue;
        };
        // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS else.
        let mut local = None;
        let mut address = None;
        for attr in &a.attributes {
            match attr {
                AddressAttribute::Local(ip) => local = Some(*ip),
                AddressAttribute::Address(ip) => address = Some(*ip),
                _ => {}
            }
        }
        if let (Some(ip), Some(link)) = (
            local.or(address),
            links.iter_mut().find(|l| l.index == a.header.index),
        ) {
            link.addresses.push(InterfaceAddress {
                address: ip,
                prefix_len: a.header.prefix_len,
            });
        }
    }
    Ok(links)
}

fn link_of(l: &LinkMessage) -> Interface {
    let mut i = Interface {
        index: l.header.index,
        name: String::new(),
        kind: None,
        operstate: "UNKNOWN".into(),
        up: l.header.flags.contains(LinkFlags::Up),
        mtu: None,
        mac: None,
        master: None,
        addresses: Vec::new(),
    };
    for attr in &l.attributes {
        match attr {
            LinkAttribute::IfName(n) => i.name = n.clone(),
            LinkAttribute::Mtu(m) => i.mtu = Some(*m),
            LinkAttribute::Address(a) if !a.is_empty() => i.mac = Some(mac(a)),
            LinkAttribute::OperState(s) => i.operstate = s.to_string(),
            LinkAttribute::Controller(m) => i.master = Some(*m),
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
