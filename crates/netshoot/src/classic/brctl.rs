//! `brctl`: bridge-utils 1.7's `brctl show [BRIDGE…]`, `showmacs BRIDGE` and `showstp BRIDGE`, laid out as
//! bridge-utils lays them out, from the same netlink views as our `bridge` verb
//! (`netshoot_inspect::bridge::{bridges, fdb}`) instead of sysfs.

use super::getopt::usage;
use super::{Ctx, Tool};
use crate::cmd::bridge as view;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["brctl"],
    about: "bridges, their ports and learned MACs (bridge-utils' brctl, read-only)",
    run,
};

const HELP: &str = "\
Usage: brctl [commands]
commands (read-only):
\tshow\t\t[ <bridge> ]\tshow a list of bridges
\tshowmacs\t<bridge>\tshow a list of mac addrs
Not supported: showstp (use: bridge link show), and every command that changes a bridge
(addbr, delbr, addif, delif, hairpin, setageing, setbridgeprio, setfd, sethello, setmaxage,
setpathcost, setportprio, stp): use the host's brctl or ip link for those.
";

const WRITES: &[&str] = &[
    "addbr",
    "delbr",
    "addif",
    "delif",
    "hairpin",
    "setageing",
    "setbridgeprio",
    "setfd",
    "setgcint",
    "sethello",
    "setmaxage",
    "setpathcost",
    "setportprio",
    "stp",
];

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(cmd) = args.first().map(String::as_str) else {
        print!("{HELP}");
        return Ok(0);
    };
    let rest = &args[1..];
    match cmd {
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            return Ok(0);
        }
        "-V" | "--version" => {
            println!(
                "brctl (netshoot {}): bridge-utils' layout, read over netlink by netshoot",
                env!("CARGO_PKG_VERSION")
            );
            return Ok(0);
        }
        "show" | "showmacs" | "showstp" => {}
        c if WRITES.contains(&c) => {
            return Err(usage(
                "brctl",
                format!(
                    "'brctl {c}' changes a bridge and netshoot is read-only: run the host's brctl \
                     there (nsenter -n -t PID brctl {c} ...)"
                ),
            ))
        }
        c => {
            return Err(usage(
                "brctl",
                format!("never heard of command [{c}]: supported are show and showmacs"),
            ))
        }
    }
    if cmd == "showmacs" && rest.len() != 1 {
        return Err(usage(
            "brctl",
            "showmacs takes one bridge: brctl showmacs BRIDGE",
        ));
    }
    ctx.enter()?;
    let bridges = netshoot_inspect::bridge::bridges()
        .map_err(|e| anyhow::anyhow!("cannot read bridges over netlink: {e}"))?;
    let find = |name: &str| -> anyhow::Result<&netshoot_inspect::bridge::Bridge> {
        bridges.iter().find(|b| b.name == name).ok_or_else(|| {
            let names: Vec<&str> = bridges.iter().map(|b| b.name.as_str()).collect();
            usage(
                "brctl",
                format!(
                    "bridge {name} does not exist; bridges here: {}",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            )
        })
    };
    if cmd == "show" {
        let chosen: Vec<netshoot_inspect::bridge::Bridge> = if rest.is_empty() {
            bridges.clone()
        } else {
            rest.iter()
                .map(|n| find(n).cloned())
                .collect::<anyhow::Result<_>>()?
        };
        print!("{}", view::brctl_show(&chosen));
        return Ok(0);
    }
    let b = find(&rest[0])?;
    if cmd == "showstp" {
        print!("{}", view::brctl_showstp(b));
        return Ok(0);
    }
    let fdb = netshoot_inspect::bridge::fdb(Some(&b.name))
        .map_err(|e| anyhow::anyhow!("cannot read the forwarding table over netlink: {e}"))?;
    print!("{}", view::brctl_showmacs(b, &fdb));
    Ok(0)
}
