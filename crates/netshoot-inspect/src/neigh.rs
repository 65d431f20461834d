//! Neighbours (`ip neigh`): ARP and NDP entries with their states.

use std::io;
use std::net::IpAddr;

use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde::Serialize;

use crate::netlink::dump;
use crate::route::Family;

/// One neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbour {
    /// The neighbour's address.
    pub dst: IpAddr,
    /// Device name.
    pub dev: String,
    /// Its link-layer address, once resolved.
    pub lladdr: Option<String>,
    /// `REACHABLE`, `STALE`, `DELAY`, `PROBE`, `INCOMPLETE`, `FAILED`, `PERMANENT`, `NOARP`,
    /// `NONE`.
    pub state: String,
    /// The neighbour announced itself as a router (IPv6).
    pub router: bool,
    /// Interface index.
    pub ifindex: u32,
    /// Raw `NUD_*` state bits.
    pub nud: u16,
    /// Raw `NTF_*` flags.
    pub ntf_flags: u8,
    /// Seconds since used, confirmed and updated, and the reference count (`NDA_CACHEINFO`).
    pub cache: Option<(u32, u32, u32, u32)>,
    /// Probes sent (`NDA_PROBES`).
    pub probes: Option<u32>,
    /// Whose address this is (a container, a Swarm task, a service VIP), filled by callers from
    /// `whose::Owners`; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<crate::whose::Owner>,
}

/// iproute2's default `ip neigh` state mask: everything but NOARP (and so not NONE either).
pub const DEFAULT_STATES: u32 = 0xff & !0x40;

/// Neighbours of the calling thread's namespace without the NOARP entries (multicast,
/// loopback); NONE entries (a resolution just starting) are kept, for callers that watch one
/// resolve. `None` for both families. `ip neigh`'s own default is
/// `neighbours_in_states(family, DEFAULT_STATES)`.
pub fn neighbours(family: Option<Family>) -> io::Result<Vec<Neighbour>> {
    neighbours_in_states(family, DEFAULT_STATES | 0x100)
}

/// Neighbours whose state is in the `NUD_*` mask `states` (bit 0x100 stands for NONE, as in
/// `ip neigh show nud none`), plus proxy and externally learned entries, as iproute2 filters.
pub fn neighbours_in_states(family: Option<Family>, states: u32) -> io::Result<Vec<Neighbour>> {
    let ifs = crate::link::interfaces()?;
    let mut out = Vec::new();
    let fams: &[AddressFamily] = match family {
        None => &[AddressFamily::Inet, AddressFamily::Inet6],
        Some(Family::V4) => &[AddressFamily::Inet],
        Some(Family::V6) => &[AddressFamily::Inet6],
    };
    for fam in fams {
        let mut msg = NeighbourMessage::default();
        msg.header.family = *fam;
        for m in dump(RouteNetlinkMessage::GetNeighbour(msg))? {
            let RouteNetlinkMessage::NewNeighbour(n) = m else {
                continue;
            };
            let mut dst = None;
            let mut lladdr = None;
            let (mut cache, mut probes) = (None, None);
            for a in &n.attributes {
                match a {
                    NeighbourAttribute::CacheInfo(c) => {
                        cache = Some((c.used / 100, c.confirmed / 100, c.updated / 100, c.refcnt))
                    }
                    NeighbourAttribute::Probes(p) => probes = Some(*p),
                    NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => {
                        dst = Some(IpAddr::V4(*v))
                    }
                    NeighbourAttribute::Destination(NeighbourAddress::Inet6(v)) => {
                        dst = Some(IpAddr::V6(*v))
                    }
                    NeighbourAttribute::LinkLayerAddress(l) if !l.is_empty() => {
                        lladdr = Some(crate::link::mac(l))
                    }
                    _ => {}
                }
            }
            let Some(dst) = dst else { continue };
            let state = state_name(n.header.state);
            // iproute2's filter: the state in the mask, or a proxy/externally learned entry,
            // or NONE (state 0) when the mask has 0x100.
            let nud = u16::from(n.header.state);
            let ntf = n.header.flags.bits();
            if states & nud as u32 == 0
                && ntf & (0x08 | 0x10) == 0
                && (nud != 0 || states & 0x100 == 0)
            {
                continue;
            }
            out.push(Neighbour {
                dst,
                dev: ifs
                    .iter()
                    .find(|i| i.index == n.header.ifindex)
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| format!("if{}", n.header.ifindex)),
                lladdr,
                state,
                router: n.header.flags.contains(NeighbourFlags::Router),
                ifindex: n.header.ifindex,
                nud,
                ntf_flags: ntf,
                cache,
                probes,
                owner: None,
            });
        }
    }
    Ok(out)
}

/// The state word `ip neigh` prints.
pub fn state_name(s: NeighbourState) -> String {
    match s {
        NeighbourState::Incomplete => "INCOMPLETE".into(),
        NeighbourState::Reachable => "REACHABLE".into(),
        NeighbourState::Stale => "STALE".into(),
        NeighbourState::Delay => "DELAY".into(),
        NeighbourState::Probe => "PROBE".into(),
        NeighbourState::Failed => "FAILED".into(),
        NeighbourState::Noarp => "NOARP".into(),
        NeighbourState::Permanent => "PERMANENT".into(),
        NeighbourState::None => "NONE".into(),
        NeighbourState::Other(n) => format!("0x{n:x}"),
        _ => format!("0x{:x}", u16::from(s)),
    }
}
