//! `bridge`: bridges with their ports (`brctl show`), `bridge link` and `bridge fdb`.

use std::fmt::Write as _;

use anyhow::bail;
use clap::{Args, Subcommand};
use netshoot_inspect::bridge::{Bridge, BridgePort, FdbEntry};

use crate::render::Output;

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
            let f = netshoot_inspect::bridge::fdb(name).map_err(err)?;
            out.emit(&f, |f| fdb_text(f))?;
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

fn fdb_text(entries: &[FdbEntry]) -> String {
    let mut s = String::new();
    for e in entries {
        let _ = write!(s, "{} dev {}", e.mac, e.ifname);
        if let Some(v) = e.vlan {
            let _ = write!(s, " vlan {v}");
        }
        if let Some(d) = e.dst {
            let _ = write!(s, " dst {d}");
        }
        if let Some(v) = e.vni {
            let _ = write!(s, " vni {v}");
        }
        if let Some(m) = &e.master {
            let _ = write!(s, " master {m}");
        }
        for f in e.flags.iter().filter(|f| *f != "master") {
            let _ = write!(s, " {f}");
        }
        if !e.state.is_empty() {
            let _ = write!(s, " {}", e.state);
        }
        s.push('\n');
    }
    s
}
