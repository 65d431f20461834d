//! `bridge`: bridges with their ports (`brctl show`), `bridge link` and `bridge fdb`.

use std::fmt::Write as _;

use anyhow::bail;
use clap::{Args, Subcommand};
use netshoot_inspect::bridge::{Bridge, BridgePort, FdbEntry};

use crate::cmd::ip::{self, J};
use crate::render::Output;
use netshoot_inspect::Interface;

/// `bridge` options.
#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// What to show (default: bridges and their ports, like `brctl show`).
    #[command(subcommand)]
    pub what: Option<BridgeWhat>,
}

/// `bridge` objects.
#[derive(Debug, Subcommand)]
pub enum BridgeWhat {
    /// Bridge ports with STP state, priority and cost (`bridge link`).
    #[command(visible_alias = "l")]
    Link,
    /// Forwarding database: MAC, port, VLAN, master/self, permanent/static, vxlan remote VTEP
    /// (`bridge fdb show [br BRIDGE]`).
    Fdb {
        /// Only this bridge and its ports (`br` before it is accepted, as iproute2 writes it).
        #[arg(value_name = "BRIDGE", num_args = 0..=2)]
        bridge: Vec<String>,
    },
}

/// Runs `bridge` in the (already entered) target.
pub fn run(args: &BridgeArgs, out: &Output) -> anyhow::Result<i32> {
    let err = |e: std::io::Error| anyhow::anyhow!("cannot read bridges over netlink: {e}");
    match &args.what {
        None => {
            let b = netshoot_inspect::bridge::bridges().map_err(err)?;
            out.emit(&b, |b| show_text(b))?;
        }
        Some(BridgeWhat::Link) => {
            let ports: Vec<BridgePort> = netshoot_inspect::bridge::bridges()
                .map_err(err)?
                .into_iter()
                .flat_map(|b| b.ports)
                .collect();
            out.emit(&ports, |p| link_text(p))?;
        }
        Some(BridgeWhat::Fdb { bridge }) => {
            let name = match bridge.as_slice() {
                [] => None,
                [b] if b != "br" && b != "show" => Some(b.as_str()),
                [s, b] if s == "br" || s == "show" => Some(b.as_str()),
                other => bail!(
                    "bridge fdb: unexpected '{}'; write: bridge fdb [br] BRIDGE",
                    other.join(" ")
                ),
            };
            if let Some(n) = name {
                let known = netshoot_inspect::bridge::bridges().map_err(err)?;
                if !known.iter().any(|b| b.name == n) {
                    let names: Vec<&str> = known.iter().map(|b| b.name.as_str()).collect();
                    bail!(
                        "no bridge '{n}' in this namespace; bridges here: {} (see: netshoot bridge)",
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    );
                }
            }
            let mut f = netshoot_inspect::bridge::fdb(name).map_err(err)?;
            crate::cmd::ip::fdb_owners(out.json || out.verbose > 0).name_fdb(&mut f);
            out.emit(&f, |f| fdb_lines(f, false, false))?;
        }
    }
    Ok(0)
}

fn show_text(bridges: &[Bridge]) -> String {
    let w = bridges
        .iter()
        .map(|b| b.name.len())
        .max()
        .unwrap_or(0)
        .max(11);
    let mut s = format!(
        "{:<w$}  {:<17}  {:<11}  interfaces\n",
        "bridge name", "bridge id", "STP enabled"
    );
    for b in bridges {
        let ports: Vec<String> = b
            .ports
            .iter()
            .map(|p| format!("{} ({})", p.ifname, p.state))
            .collect();
        let _ = writeln!(
            s,
            "{:<w$}  {:<17}  {:<11}  {}",
            b.name,
            b.bridge_id.as_deref().unwrap_or("-"),
            if b.stp { "yes" } else { "no" },
            ports.join(", ")
        );
    }
    s
}

fn link_text(ports: &[BridgePort]) -> String {
    let mut s = String::new();
    for p in ports {
        let _ = write!(s, "{}: {}: <{}>", p.ifindex, p.ifname, p.flags.join(","));
        if let Some(m) = p.mtu {
            let _ = write!(s, " mtu {m}");
        }
        let _ = write!(s, " master {} state {}", p.master, p.state);
        if let Some(x) = p.priority {
            let _ = write!(s, " priority {x}");
        }
        if let Some(x) = p.cost {
            let _ = write!(s, " cost {x}");
        }
        s.push('\n');
    }
    s
}

/// `bridge fdb show` lines as iproute2 6.1 prints them; `hide_dev` under `dev X` (iproute2
/// leaves the device out then); `stats` adds `used U/V` (`-s`).
pub fn fdb_lines(entries: &[FdbEntry], hide_dev: bool, stats: bool) -> String {
    let mut s = String::new();
    for e in entries {
        if !e.mac.is_empty() {
            let _ = write!(s, "{} ", e.mac);
        }
        if !hide_dev && e.ifindex != 0 {
            let _ = write!(s, "dev {} ", e.ifname);
        }
        if let Some(d) = e.dst {
            let _ = write!(s, "dst {d} ");
        }
        if let Some(v) = e.vlan.filter(|v| *v != 0) {
            let _ = write!(s, "vlan {v} ");
        }
        if let Some(p) = e.port {
            let _ = write!(s, "port {p} ");
        }
        if let Some(v) = e.vni {
            let _ = write!(s, "vni {v} ");
        }
        if let Some(v) = e.src_vni {
            let _ = write!(s, "src_vni {v} ");
        }
        if let Some(i) = e.via_ifindex {
            match e.link_netnsid {
                Some(_) => {
                    let _ = write!(s, "via ifindex {i} ");
                }
                None => {
                    let _ = write!(s, "via {} ", e.via_name.as_deref().unwrap_or(""));
                }
            }
        }
        if let Some(n) = e.link_netnsid {
            let _ = write!(s, "link-netnsid {} ", n as i32);
        }
        if stats {
            if let Some((u, up)) = e.used_updated {
                let _ = write!(s, "used {}/{} ", u / 100, up / 100);
            }
        }
        for f in fdb_flag_words(e.ndm_flags) {
            let _ = write!(s, "{f} ");
        }
        if let Some(m) = &e.master {
            let _ = write!(s, "master {m} ");
        }
        let state = fdb_state_word(e.nud, false);
        s.push_str(&state);
        if let Some(o) = &e.owner {
            if !state.is_empty() {
                s.push(' ');
            }
            s.push_str(&ip::owner_note(o));
        }
        s.push('\n');
    }
    s
}

fn fdb_flag_words(f: u8) -> Vec<&'static str> {
    [
        (0x02u8, "self"),
        (0x80, "router"),
        (0x10, "extern_learn"),
        (0x20, "offload"),
        (0x04, "master"),
        (0x40, "sticky"),
    ]
    .iter()
    .filter(|(b, _)| f & b != 0)
    .map(|(_, n)| *n)
    .collect()
}

/// iproute2's `state_n2a` for the bridge family.
fn fdb_state_word(s: u16, json: bool) -> String {
    if s & 0x80 != 0 {
        "permanent".into()
    } else if s & 0x40 != 0 {
        "static".into()
    } else if s & 0x04 != 0 {
        "stale".into()
    } else if s & 0x02 != 0 {
        String::new()
    } else if json {
        format!("{s:#x}")
    } else {
        format!("state={s:#x}")
    }
}

/// `bridge -j fdb show`.
pub fn fdb_json(entries: &[FdbEntry], hide_dev: bool, stats: bool) -> J {
    J::Arr(
        entries
            .iter()
            .map(|e| {
                let mut o = Vec::new();
                if !e.mac.is_empty() {
                    o.push(("mac", J::Str(e.mac.clone())));
                }
                if !hide_dev && e.ifindex != 0 {
                    o.push(("ifname", J::Str(e.ifname.clone())));
                }
                if let Some(d) = e.dst {
                    o.push(("dst", J::Str(d.to_string())));
                }
                if let Some(v) = e.vlan.filter(|v| *v != 0) {
                    o.push(("vlan", J::U(v as u64)));
                }
                if let Some(p) = e.port {
                    o.push(("port", J::U(p as u64)));
                }
                if let Some(v) = e.vni {
                    o.push(("vni", J::U(v as u64)));
                }
                if let Some(v) = e.src_vni {
                    o.push(("src_vni", J::U(v as u64)));
                }
                if let Some(i) = e.via_ifindex {
                    match e.link_netnsid {
                        Some(_) => o.push(("viaIfIndex", J::U(i as u64))),
                        None => o.push(("viaIf", J::Str(e.via_name.clone().unwrap_or_default()))),
                    }
                }
                if let Some(n) = e.link_netnsid {
                    o.push(("linkNetNsId", J::U(n as u64)));
                }
                if stats {
                    if let Some((u, up)) = e.used_updated {
                        o.push(("used", J::U((u / 100) as u64)));
                        o.push(("updated", J::U((up / 100) as u64)));
                    }
                }
                o.push((
                    "flags",
                    J::Arr(
                        fdb_flag_words(e.ndm_flags)
                            .into_iter()
                            .map(|f| J::Str(f.into()))
                            .collect(),
                    ),
                ));
                if let Some(m) = &e.master {
                    o.push(("master", J::Str(m.clone())));
                }
                o.push(("state", J::Str(fdb_state_word(e.nud, true))));
                J::Obj(o)
            })
            .collect(),
    )
}

/// A bridge port as `bridge link` shows it: the interface and its port data.
pub struct PortView<'a> {
    /// The port's interface.
    pub iface: &'a Interface,
    /// Its port data.
    pub port: &'a BridgePort,
}

/// `bridge link show` lines (iproute2 6.1). The AF_BRIDGE dump carries no netnsid, so the
/// lower device is named by this namespace's index, as iproute2 does.
pub fn bridge_link_lines(ports: &[PortView], details: bool) -> String {
    let mut s = String::new();
    for p in ports {
        let i = p.iface;
        let _ = write!(
            s,
            "{}: {}: {}",
            i.index,
            ip::name_and_link(i, true),
            ip::flags_text(i, true)
        );
        if let Some(m) = i.mtu {
            let _ = write!(s, "mtu {m} ");
        }
        let _ = write!(s, "master {} state {} ", p.port.master, p.port.state);
        if let Some(x) = p.port.priority {
            let _ = write!(s, "priority {x} ");
        }
        if let Some(x) = p.port.cost {
            let _ = write!(s, "cost {x} ");
        }
        if details {
            // `bridge -d link`: the port flags, in iproute2's order, from the same port data
            // `ip -d link` prints.
            s.push_str("\n    ");
            let d = &i.details.slave_data;
            for key in [
                "hairpin",
                "guard",
                "root_block",
                "fastleave",
                "learning",
                "flood",
                "mcast_flood",
                "bcast_flood",
                "mcast_router",
                "mcast_to_unicast",
                "neigh_suppress",
                "vlan_tunnel",
                "isolated",
                "locked",
            ] {
                if let Some((k, v)) = d.iter().find(|(k, _)| k == key) {
                    let _ = write!(s, "{k} {v} ");
                }
            }
        }
        s.push('\n');
    }
    s
}

/// `bridge -j link show`.
pub fn bridge_link_json(ports: &[PortView]) -> J {
    J::Arr(
        ports
            .iter()
            .map(|p| {
                let i = p.iface;
                let mut o = vec![("ifindex", J::U(i.index as u64))];
                match i.link_index {
                    Some(0) => o.push(("link", J::Null)),
                    Some(l) => o.push(("link", J::Str(ip::link_here(i, l)))),
                    None => {}
                }
                o.push(("ifname", J::Str(i.name.clone())));
                o.push(("flags", ip::flags_json(i, true)));
                if let Some(m) = i.mtu {
                    o.push(("mtu", J::U(m as u64)));
                }
                o.push(("master", J::Str(p.port.master.clone())));
                o.push(("state", J::Str(p.port.state.clone())));
                if let Some(x) = p.port.priority {
                    o.push(("priority", J::U(x as u64)));
                }
                if let Some(x) = p.port.cost {
                    o.push(("cost", J::U(x as u64)));
                }
                J::Obj(o)
            })
            .collect(),
    )
}

/// `brctl show` (bridge-utils 1.7): bridges and their ports, both sorted by name.
pub fn brctl_show(bridges: &[Bridge]) -> String {
    let mut s = String::from("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
    let mut bs: Vec<&Bridge> = bridges.iter().collect();
    bs.sort_by(|a, b| a.name.cmp(&b.name));
    for b in bs {
        let _ = write!(
            s,
            "{}\t\t{}\t{}\t\t",
            netshoot_wire::text::escape(&b.name),
            b.bridge_id.as_deref().unwrap_or(""),
            if b.stp { "yes" } else { "no" }
        );
        let mut ports: Vec<&str> = b.ports.iter().map(|p| p.ifname.as_str()).collect();
        ports.sort();
        if ports.is_empty() {
            s.push('\n');
        }
        for (k, p) in ports.iter().enumerate() {
            if k > 0 {
                s.push_str("\t\t\t\t\t\t\t");
            }
            let _ = writeln!(s, "{}", netshoot_wire::text::escape(p));
        }
    }
    s
}

/// `brctl showmacs BRIDGE` (bridge-utils 1.7): the bridge's forwarding table (entries that
/// sit behind a port), sorted by MAC.
pub fn brctl_showmacs(bridge: &Bridge, fdb: &[FdbEntry]) -> String {
    let mut rows: Vec<(&FdbEntry, u16)> = fdb
        .iter()
        .filter(|e| e.master_index == Some(bridge.ifindex) && e.ifindex != bridge.ifindex)
        .filter_map(|e| {
            let port = bridge.ports.iter().find(|p| p.ifindex == e.ifindex)?;
            Some((e, port.port_no.unwrap_or(0)))
        })
        .collect();
    rows.sort_by(|a, b| a.0.mac.cmp(&b.0.mac));
    let mut s = String::from("port no\tmac addr\t\tis local?\tageing timer\n");
    for (e, no) in rows {
        let local = e.nud & 0x80 != 0;
        // Static and local entries do not age.
        let t = if e.nud & (0x80 | 0x40) != 0 {
            0
        } else {
            e.used_updated.map(|x| x.1).unwrap_or(0)
        };
        let _ = writeln!(
            s,
            "{no:3}\t{}\t{}\t\t{:4}.{:02}",
            e.mac,
            if local { "yes" } else { "no" },
            t / 100,
            t % 100
        );
    }
    s
}

/// bridge-utils' `br_show_timer`: hundredths of a second as `%4i.%.2i`.
fn brctl_timer(v: u64) -> String {
    format!("{:4}.{:02}", v / 100, v % 100)
}

/// `brctl showstp BRIDGE` (bridge-utils 1.7): the bridge's spanning-tree values, then each
/// port's, ports sorted by name.
pub fn brctl_showstp(b: &Bridge) -> String {
    let st = &b.stp_info;
    let id = b.bridge_id.as_deref().unwrap_or("");
    let root = st.designated_root.as_deref().unwrap_or("");
    let t = |v: u32| brctl_timer(v as u64);
    let mut s = String::new();
    let _ = writeln!(s, "{}", b.name);
    let _ = writeln!(s, " bridge id\t\t{id}");
    let _ = writeln!(s, " designated root\t{root}");
    let _ = writeln!(
        s,
        " root port\t\t{:4}\t\t\tpath cost\t\t{:4}",
        st.root_port, st.root_path_cost
    );
    let _ = writeln!(
        s,
        " max age\t\t{}\t\t\tbridge max age\t\t{}",
        t(st.max_age),
        t(st.max_age)
    );
    let _ = writeln!(
        s,
        " hello time\t\t{}\t\t\tbridge hello time\t{}",
        t(st.hello_time),
        t(st.hello_time)
    );
    let _ = writeln!(
        s,
        " forward delay\t\t{}\t\t\tbridge forward delay\t{}",
        t(st.forward_delay),
        t(st.forward_delay)
    );
    let _ = writeln!(s, " ageing time\t\t{}", t(st.ageing_time));
    let _ = writeln!(
        s,
        " hello timer\t\t{}\t\t\ttcn timer\t\t{}",
        brctl_timer(st.hello_timer),
        brctl_timer(st.tcn_timer)
    );
    let _ = writeln!(
        s,
        " topology change timer\t{}\t\t\tgc timer\t\t{}",
        brctl_timer(st.topology_change_timer),
        brctl_timer(st.gc_timer)
    );
    s.push_str(" flags\t\t\t");
    if st.topology_change {
        s.push_str("TOPOLOGY_CHANGE ");
    }
    if st.topology_change_detected {
        s.push_str("TOPOLOGY_CHANGE_DETECTED ");
    }
    s.push_str("\n\n\n");
    let mut ports: Vec<&BridgePort> = b.ports.iter().collect();
    ports.sort_by(|a, b| a.ifname.cmp(&b.ifname));
    for p in ports {
        let ps = &p.stp_info;
        let _ = writeln!(s, "{} ({})", p.ifname, p.port_no.unwrap_or(0));
        let _ = writeln!(
            s,
            " port id\t\t{:04x}\t\t\tstate\t\t{:>15}",
            ps.port_id, p.state
        );
        let _ = writeln!(
            s,
            " designated root\t{}\tpath cost\t\t{:4}",
            ps.designated_root.as_deref().unwrap_or(""),
            p.cost.unwrap_or(0)
        );
        let _ = writeln!(
            s,
            " designated bridge\t{}\tmessage age timer\t{}",
            ps.designated_bridge.as_deref().unwrap_or(""),
            brctl_timer(ps.message_age_timer)
        );
        let _ = writeln!(
            s,
            " designated port\t{:04x}\t\t\tforward delay timer\t{}",
            ps.designated_port,
            brctl_timer(ps.forward_delay_timer)
        );
        let _ = writeln!(
            s,
            " designated cost\t{:4}\t\t\thold timer\t\t{}",
            ps.designated_cost,
            brctl_timer(ps.hold_timer)
        );
        s.push_str(" flags\t\t\t");
        if ps.config_pending {
            s.push_str("CONFIG_PENDING ");
        }
        if ps.topology_change_ack {
            s.push_str("TOPOLOGY_CHANGE_ACK ");
        }
        if p.hairpin == Some(true) {
            s.push_str("\n hairpin mode\t\t   1");
        }
        s.push_str("\n\n");
    }
    s
}
