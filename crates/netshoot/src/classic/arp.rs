//! `arp` (net-tools 2.10), read-only: the IPv4 neighbour table from our rtnetlink dump (the one
//! `netshoot ip neigh` prints), as `/proc/net/arp` and `arp` show it.

use std::net::IpAddr;

use netshoot_inspect::names::Hosts;
use netshoot_inspect::{Family, Neighbour};

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["arp"],
    about: "the ARP cache as net-tools prints it (read-only)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("n", Some('n'), &["numeric"], "numeric addresses"),
    Opt::flag(
        "a",
        Some('a'),
        &["all"],
        "BSD style: ? (10.0.0.2) at aa:bb:… [ether] on eth0",
    ),
    Opt::flag("e", Some('e'), &[], "Linux style (the default)"),
    Opt::value(
        "i",
        Some('i'),
        &["device"],
        "IFACE",
        "entries on IFACE only",
    ),
    Opt::value(
        "H",
        Some('H'),
        &["hw-type"],
        "TYPE",
        "hardware type (ether only)",
    ),
    Opt::value(
        "A",
        Some('A'),
        &["protocol"],
        "FAMILY",
        "protocol family (inet only)",
    ),
    Opt::value("p", Some('p'), &[], "FAMILY", "as -A"),
    Opt::flag("v", Some('v'), &["verbose"], "the entry counts at the end"),
    Opt::flag("json", None, &["json"], "JSON (netshoot's)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "s",
        Some('s'),
        &["set"],
        Takes::No,
        "netshoot is read-only; add entries with `ip neigh add` on the host",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &["delete"],
        Takes::No,
        "netshoot is read-only; remove entries with `ip neigh del` on the host",
    ),
    Opt::unsupported(
        "f",
        Some('f'),
        &["file"],
        Takes::No,
        "netshoot is read-only; load entries with `ip neigh add` on the host",
    ),
    Opt::unsupported(
        "D",
        Some('D'),
        &["use-device"],
        Takes::No,
        "netshoot is read-only; -D only serves -s",
    ),
];

/// arp's grammar.
pub const SPEC: Spec = Spec {
    tool: "arp",
    opts: OPTS,
    permute: true,
    usage: "[-vn] [-H ether] [-i IFACE] [-a|-e] [ADDRESS]",
    notes: "\
Read-only: -s, -d and -f are refused. Without -n, addresses are named from /etc/hosts only
(never DNS). ADDRESS must be numeric.",
    single_dash_long: false,
};

/// An entry with arp's view of it: complete (`C`), permanent (`M`).
fn flags(n: &Neighbour) -> (bool, bool) {
    let perm = n.state == "PERMANENT";
    // NUD_VALID: permanent, noarp, reachable, probe, stale, delay.
    let complete = perm
        || matches!(
            n.state.as_str(),
            "NOARP" | "REACHABLE" | "PROBE" | "STALE" | "DELAY"
        );
    (complete, perm)
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "arp (netshoot {}): netshoot's own rtnetlink engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    if let Some(h) = p.value("H") {
        if h != "ether" {
            return Err(usage(
                "arp",
                format!("hardware type '{h}' is not listed; use -H ether"),
            ));
        }
    }
    for id in ["A", "p"] {
        if let Some(f) = p.value(id) {
            if f != "inet" {
                return Err(usage(
                    "arp",
                    format!("protocol family '{f}' is not listed; use inet (IPv6 neighbours: `netshoot ip neigh`)"),
                ));
            }
        }
    }
    let operands = p.args();
    if operands.len() > 1 {
        return Err(usage(
            "arp",
            format!(
                "unexpected '{}': give one ADDRESS (changes are refused: read-only)",
                operands[1]
            ),
        ));
    }
    let host: Option<IpAddr> = match operands.first() {
        None => None,
        Some(a) => Some(a.parse().map_err(|_| {
            usage(
                "arp",
                format!("'{a}' is not a numeric IPv4 address (names are not resolved)"),
            )
        })?),
    };
    let mut ctx = ctx.clone();
    if p.has("json") {
        ctx.json = true;
    }
    ctx.enter()?;
    let all = netshoot_inspect::neighbours(Some(Family::V4))
        .map_err(|e| anyhow::anyhow!("cannot dump neighbours over rtnetlink: {e}"))?;
    let entries = all.len();
    let device = p.value("i");
    let shown: Vec<&Neighbour> = all
        .iter()
        .filter(|n| device.is_none_or(|d| n.dev == d))
        .filter(|n| host.is_none_or(|h| n.dst == h))
        .collect();
    if ctx.json {
        ctx.output().emit(&shown, |_| String::new())?;
        return Ok(0);
    }
    let hosts = (!p.has("n")).then(Hosts::load);
    let name = |a: IpAddr| {
        hosts.as_ref().and_then(|h| {
            h.name(a)
                .map(|n| netshoot_wire::text::escape(n).into_owned())
        })
    };
    let bsd = p.has("a");
    let mut out = String::new();
    for (k, n) in shown.iter().enumerate() {
        let (complete, perm) = flags(n);
        let hw = n.lladdr.as_deref().unwrap_or("");
        if bsd {
            out.push_str(&format!(
                "{} ({}) at ",
                name(n.dst).unwrap_or_else(|| "?".into()),
                n.dst
            ));
            if complete {
                out.push_str(&format!("{hw} [ether] "));
            } else {
                out.push_str("<incomplete> ");
            }
            if perm {
                out.push_str("PERM ");
            }
            out.push_str(&format!("on {}\n", netshoot_wire::text::escape(&n.dev)));
            continue;
        }
        if k == 0 {
            out.push_str(
                "Address                  HWtype  HWaddress           Flags Mask            Iface\n",
            );
        }
        let addr: String = name(n.dst)
            .unwrap_or_else(|| n.dst.to_string())
            .chars()
            .take(23)
            .collect();
        let (ty, hw) = if complete {
            ("ether", hw)
        } else {
            ("", "(incomplete)")
        };
        let fl = match (complete, perm) {
            (true, true) => "CM",
            (true, false) => "C",
            _ => "",
        };
        out.push_str(&format!(
            "{addr:<23}  {ty:<8}{hw:<20}{fl:<6}{:<15} {}\n",
            "",
            netshoot_wire::text::escape(&n.dev)
        ));
    }
    if p.has("v") {
        out.push_str(&format!(
            "Entries: {entries}\tSkipped: {}\tFound: {}\n",
            entries - shown.len(),
            shown.len()
        ));
    }
    if shown.is_empty() {
        match host {
            Some(h) if !bsd => out.push_str(&format!("{h} ({h}) -- no entry\n")),
            _ if host.is_some() || device.is_some() => {
                out.push_str(&format!("arp: in {entries} entries no match found.\n"))
            }
            _ => {}
        }
    }
    crate::render::write_text(&out)?;
    Ok(0)
}
