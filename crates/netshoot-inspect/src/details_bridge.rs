//! `ip -d link`'s `bridge …` and `bridge_slave …` lines: key/value pairs in iproute2 6.1's
//! order.

use netlink_packet_route::link::{BridgeId, InfoBridge, InfoBridgePort};

use crate::details::Pair;

fn pair(k: &str, v: impl ToString) -> Pair {
    (k.to_string(), v.to_string())
}

/// `br_dump_bridge_id`: priority in hex, `.`, the MAC as glibc's `ether_ntoa` writes it
/// (colons, no zero padding).
fn bridge_id(id: &BridgeId) -> String {
    format!(
        "{:04x}.{}",
        id.priority,
        id.address
            .iter()
            .map(|b| format!("{b:x}"))
            .collect::<Vec<_>>()
            .join(":")
    )
}

/// A timer in hundredths of a second, as `%4i.%.2i`.
fn timer(v: u64) -> String {
    format!("{:4}.{:02}", v / 100, v % 100)
}

fn hex_or_zero(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// The bridge's own line.
pub fn bridge(attrs: &[InfoBridge]) -> Vec<Pair> {
    use InfoBridge as B;
    let mut out = Vec::new();
    let find = |f: &dyn Fn(&B) -> Option<String>| attrs.iter().find_map(f);
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(pair(k, v));
        }
    };
    push(
        "forward_delay",
        find(&|a| match a {
            B::ForwardDelay(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "hello_time",
        find(&|a| match a {
            B::HelloTime(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "max_age",
        find(&|a| match a {
            B::MaxAge(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "ageing_time",
        find(&|a| match a {
            B::AgeingTime(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "stp_state",
        find(&|a| match a {
            B::StpState(x) => Some(u32::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "priority",
        find(&|a| match a {
            B::Priority(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "vlan_filtering",
        find(&|a| match a {
            B::VlanFiltering(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "vlan_protocol",
        find(&|a| match a {
            B::VlanProtocol(x) => Some(match u16::from(*x) {
                0x8100 => "802.1Q".to_string(),
                0x88a8 => "802.1ad".to_string(),
                n => format!("{n:#06x}"),
            }),
            _ => None,
        }),
    );
    let own = find(&|a| match a {
        B::BridgeId(x) => Some(bridge_id(x)),
        _ => None,
    });
    push("bridge_id", own.clone());
    // iproute2 6.1 prints the bridge id again for designated_root (its own bug, kept).
    if attrs.iter().any(|a| matches!(a, B::RootId(_))) {
        push("designated_root", own);
    }
    push(
        "root_port",
        find(&|a| match a {
            B::RootPort(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "root_path_cost",
        find(&|a| match a {
            B::RootPathCost(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "topology_change",
        find(&|a| match a {
            B::TopologyChange(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "topology_change_detected",
        find(&|a| match a {
            B::TopologyChangeDetected(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "hello_timer",
        find(&|a| match a {
            B::HelloTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "tcn_timer",
        find(&|a| match a {
            B::TcnTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "topology_change_timer",
        find(&|a| match a {
            B::TopologyChangeTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "gc_timer",
        find(&|a| match a {
            B::GcTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "vlan_default_pvid",
        find(&|a| match a {
            B::VlanDefaultPvid(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "vlan_stats_enabled",
        find(&|a| match a {
            B::VlanStatsEnabled(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "vlan_stats_per_port",
        find(&|a| match a {
            B::VlanStatsPerPort(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "group_fwd_mask",
        find(&|a| match a {
            B::GroupFwdMask(x) => Some(hex_or_zero(*x as u64)),
            _ => None,
        }),
    );
    push(
        "group_address",
        find(&|a| match a {
            B::GroupAddr(x) => Some(crate::link::mac(x)),
            _ => None,
        }),
    );
    push(
        "mcast_snooping",
        find(&|a| match a {
            B::MulticastSnooping(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    if let Some((mask, val)) = attrs.iter().find_map(|a| match a {
        B::MultiBoolOpt(o) => Some((o.mask.bits(), o.value.bits())),
        _ => None,
    }) {
        // BR_BOOLOPT_NO_LL_LEARN (bit 0) and BR_BOOLOPT_MCAST_VLAN_SNOOPING (bit 1).
        if mask & 1 != 0 {
            push("no_linklocal_learn", Some((val & 1).to_string()));
        }
        if mask & 2 != 0 {
            push("mcast_vlan_snooping", Some(((val >> 1) & 1).to_string()));
        }
    }
    push(
        "mcast_router",
        find(&|a| match a {
            B::MulticastRouter(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_query_use_ifaddr",
        find(&|a| match a {
            B::MulticastQueryUseIfaddr(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_querier",
        find(&|a| match a {
            B::MulticastQuerier(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_hash_elasticity",
        find(&|a| match a {
            B::MulticastHashElasticity(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_hash_max",
        find(&|a| match a {
            B::MulticastHashMax(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_last_member_count",
        find(&|a| match a {
            B::MulticastLastMemberCount(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_startup_query_count",
        find(&|a| match a {
            B::MulticastStartupQueryCount(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_last_member_interval",
        find(&|a| match a {
            B::MulticastLastMemberInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_membership_interval",
        find(&|a| match a {
            B::MulticastMembershipInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_querier_interval",
        find(&|a| match a {
            B::MulticastQuerierInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_query_interval",
        find(&|a| match a {
            B::MulticastQueryInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_query_response_interval",
        find(&|a| match a {
            B::MulticastQueryResponseInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_startup_query_interval",
        find(&|a| match a {
            B::MulticastStartupQueryInterval(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_stats_enabled",
        find(&|a| match a {
            B::MulticastStatsEnabled(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_igmp_version",
        find(&|a| match a {
            B::MulticastIgmpVersion(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_mld_version",
        find(&|a| match a {
            B::MulticastMldVersion(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "nf_call_iptables",
        find(&|a| match a {
            B::NfCallIpTables(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "nf_call_ip6tables",
        find(&|a| match a {
            B::NfCallIp6Tables(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "nf_call_arptables",
        find(&|a| match a {
            B::NfCallArpTables(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    out
}

/// A bridge port's line.
pub fn bridge_port(attrs: &[InfoBridgePort]) -> Vec<Pair> {
    use InfoBridgePort as P;
    let mut out = Vec::new();
    let find = |f: &dyn Fn(&P) -> Option<String>| attrs.iter().find_map(f);
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(pair(k, v));
        }
    };
    let onoff = |f: fn(&P) -> Option<bool>| attrs.iter().find_map(f).map(|b| on_off(b).to_string());
    push(
        "state",
        find(&|a| match a {
            P::State(s) => Some(crate::bridge::port_state_name(*s)),
            _ => None,
        }),
    );
    push(
        "priority",
        find(&|a| match a {
            P::Priority(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "cost",
        find(&|a| match a {
            P::Cost(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "hairpin",
        onoff(|a| match a {
            P::HairpinMode(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "guard",
        onoff(|a| match a {
            P::Guard(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "root_block",
        onoff(|a| match a {
            P::Protect(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "fastleave",
        onoff(|a| match a {
            P::FastLeave(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "learning",
        onoff(|a| match a {
            P::Learning(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "flood",
        onoff(|a| match a {
            P::UnicastFlood(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "port_id",
        find(&|a| match a {
            P::PortId(x) => Some(hex_or_zero(*x as u64)),
            _ => None,
        }),
    );
    push(
        "port_no",
        find(&|a| match a {
            P::PortNumber(x) => Some(hex_or_zero(*x as u64)),
            _ => None,
        }),
    );
    push(
        "designated_port",
        find(&|a| match a {
            P::DesignatedPort(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "designated_cost",
        find(&|a| match a {
            P::DesignatedCost(x) => Some(x.to_string()),
            _ => None,
        }),
    );
    push(
        "designated_bridge",
        find(&|a| match a {
            P::BridgeId(x) => Some(bridge_id(x)),
            _ => None,
        }),
    );
    push(
        "designated_root",
        find(&|a| match a {
            P::RootId(x) => Some(bridge_id(x)),
            _ => None,
        }),
    );
    push(
        "hold_timer",
        find(&|a| match a {
            P::HoldTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "message_age_timer",
        find(&|a| match a {
            P::MessageAgeTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "forward_delay_timer",
        find(&|a| match a {
            P::ForwardDelayTimer(x) => Some(timer(*x)),
            _ => None,
        }),
    );
    push(
        "topology_change_ack",
        find(&|a| match a {
            P::TopologyChangeAck(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "config_pending",
        find(&|a| match a {
            P::ConfigPending(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "proxy_arp",
        onoff(|a| match a {
            P::ProxyARP(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "proxy_arp_wifi",
        onoff(|a| match a {
            P::ProxyARPWifi(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "mcast_router",
        find(&|a| match a {
            P::MulticastRouter(x) => Some(u8::from(*x).to_string()),
            _ => None,
        }),
    );
    push(
        "mcast_fast_leave",
        onoff(|a| match a {
            P::FastLeave(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "mcast_flood",
        onoff(|a| match a {
            P::MulticastFlood(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "bcast_flood",
        onoff(|a| match a {
            P::BroadcastFlood(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "mcast_to_unicast",
        onoff(|a| match a {
            P::MulticastToUnicast(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "neigh_suppress",
        onoff(|a| match a {
            P::NeighSupress(x) => Some(*x),
            _ => None,
        }),
    );
    if let Some(m) = attrs.iter().find_map(|a| match a {
        P::GroupFwdMask(x) => Some(*x),
        _ => None,
    }) {
        push("group_fwd_mask", Some(hex_or_zero(m as u64)));
        push("group_fwd_mask_str", Some(format!("{m:#x}")));
    }
    push(
        "vlan_tunnel",
        onoff(|a| match a {
            P::VlanTunnel(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "isolated",
        onoff(|a| match a {
            P::Isolated(x) => Some(*x),
            _ => None,
        }),
    );
    push(
        "locked",
        onoff(|a| match a {
            P::Locked(x) => Some(*x),
            _ => None,
        }),
    );
    out
}
