//! `map`: the host's network as a graph, as a text tree, JSON, Graphviz DOT or a self-contained
//! HTML/SVG picture. The graph is `netshoot_inspect::map`'s; this reads each namespace (and the
//! engine's Swarm services) and renders.

mod dot;
mod html;

use std::collections::HashMap;
use std::fmt::Write as _;

use netshoot_inspect::map::{Graph, Read};
use netshoot_inspect::{Family, Table};

use crate::cli::MapArgs;
use crate::render::Output;

/// Lists the namespaces, reads each (interfaces, fdb, routes, DNAT rules) on a short-lived
/// thread, pairs veths, asks the engine for its Swarm services, builds the graph and prints it
/// (or writes the HTML picture).
pub fn run(args: &MapArgs, out: &Output) -> anyhow::Result<i32> {
    let (namespaces, mut warnings) = netshoot_ns::list()?;
    let mut reads: Vec<Result<Read, String>> = namespaces
        .iter()
        .map(|ns| super::targets::read_in(ns, read_here))
        .collect();
    let mut spaces: Vec<(
        &netshoot_ns::Namespace,
        &mut Vec<netshoot_inspect::Interface>,
    )> = namespaces
        .iter()
        .zip(reads.iter_mut())
        .filter_map(|(ns, r)| r.as_mut().ok().map(|r| (ns, &mut r.interfaces)))
        .collect();
    netshoot_inspect::whose::pair_veths(&mut spaces);
    let services = super::targets::swarm_services(&mut warnings);
    let pairs: Vec<_> = namespaces
        .iter()
        .zip(reads.iter())
        .map(|(ns, r)| (ns, r.as_ref().map_err(Clone::clone)))
        .collect();
    let graph = netshoot_inspect::map::build(&pairs, services, warnings);
    if let Some(path) = &args.html {
        let page = html::page(&graph);
        std::fs::write(path, page).map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "cannot write the map to {} (give --html a writable path)",
                path.display()
            ))
        })?;
        let containers: usize = graph.namespaces.iter().map(|n| n.containers.len()).sum();
        out.emit(&graph, |g| {
            crate::render::safe_text(&format!(
                "map: wrote {} ({} namespaces, {} containers, {} bridges)\n",
                path.display(),
                g.namespaces.len(),
                containers,
                html::bridges(g)
            ))
        })?;
        return Ok(0);
    }
    let dot_wanted = args.dot;
    out.emit(&graph, |g| {
        if dot_wanted {
            dot::dot(g)
        } else {
            // Every name here is someone else's: each line is escaped whole.
            crate::render::safe_text(&text(g))
        }
    })?;
    Ok(0)
}

/// What `map` reads in one namespace.
fn read_here() -> std::io::Result<Read> {
    let interfaces = netshoot_inspect::interfaces()?;
    // The fdb and routes are extras: a namespace without them still has its interfaces.
    let fdb = netshoot_inspect::bridge::fdb(None).unwrap_or_default();
    let mut routes = netshoot_inspect::routes(Family::V4, Table::Main).unwrap_or_default();
    routes.extend(netshoot_inspect::routes(Family::V6, Table::Main).unwrap_or_default());
    let mut warnings = Vec::new();
    let dnat = netshoot_inspect::iptlist::dnat_here().unwrap_or_else(|e| {
        warnings.push(format!(
            "nat table not read ({e}): published ports unknown here"
        ));
        Vec::new()
    });
    Ok(Read {
        interfaces,
        fdb,
        routes,
        dnat,
        warnings,
    })
}

fn text(g: &Graph) -> String {
    let mut s = String::new();
    let names: HashMap<&str, String> = g
        .namespaces
        .iter()
        .flat_map(|n| {
            n.interfaces
                .iter()
                .map(move |i| (i.id.as_str(), format!("{} in {}", i.name, n.label)))
        })
        .collect();
    for n in &g.namespaces {
        let _ = writeln!(s, "{}  [{}, -t {}]", n.label, n.id, n.target);
        if let Some(e) = &n.error {
            let _ = writeln!(s, "  unreadable: {e}");
        }
        for i in &n.interfaces {
            let mut line = format!(
                "  {} {}{}",
                i.name,
                i.kind
                    .as_deref()
                    .map(|k| format!("{k} "))
                    .unwrap_or_default(),
                i.operstate
            );
            if !i.addresses.is_empty() {
                let _ = write!(line, " {}", i.addresses.join(" "));
            }
            if let Some(m) = &i.master {
                let _ = write!(line, " port of {m}");
            }
            if let Some(v) = i.vni {
                let _ = write!(line, " vni {v}");
            }
            if !i.remotes.is_empty() {
                let r: Vec<String> = i.remotes.iter().map(|r| r.to_string()).collect();
                let _ = write!(line, " remotes {}", r.join(" "));
            }
            if let Some(p) = &i.peer_id {
                let _ = write!(
                    line,
                    " peer {}",
                    names.get(p.as_str()).cloned().unwrap_or_else(|| p.clone())
                );
            }
            let _ = writeln!(s, "{line}");
            if !i.ports.is_empty() {
                let _ = writeln!(s, "    ports {}", i.ports.join(" "));
            }
            for p in &i.published {
                let _ = writeln!(s, "    published {p}");
            }
        }
        for d in &n.dnat {
            let to: Vec<&str> = d
                .to_ids
                .iter()
                .filter_map(|id| names.get(id.as_str()).map(String::as_str))
                .collect();
            let _ = writeln!(
                s,
                "  dnat {}{} -> {}{}",
                d.rule.from_text(),
                d.rule
                    .in_iface
                    .as_deref()
                    .map(|i| match i.strip_prefix('!') {
                        Some(i) => format!(" not from {i}"),
                        None => format!(" from {i}"),
                    })
                    .unwrap_or_default(),
                d.rule.to,
                if to.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", to.join(", "))
                }
            );
        }
        for w in &n.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        for r in &n.routes_out {
            let _ = writeln!(
                s,
                "  route {}{}{}",
                r.dst,
                r.gateway.map(|g| format!(" via {g}")).unwrap_or_default(),
                r.dev
                    .as_deref()
                    .map(|d| format!(" dev {d}"))
                    .unwrap_or_default()
            );
        }
    }
    for sv in &g.services {
        let _ = writeln!(
            s,
            "service {} ({}{}, endpoint mode {})",
            sv.name,
            sv.mode,
            sv.replicas
                .map(|r| format!(" {r} replicas"))
                .unwrap_or_default(),
            sv.endpoint_mode
        );
        for v in &sv.vips {
            let _ = writeln!(s, "  vip {} on {}", v.addr, v.network);
        }
        for t in &sv.tasks {
            let addrs: Vec<String> = t
                .addresses
                .iter()
                .map(|a| format!("{} on {}", a.addr, a.network))
                .collect();
            let _ = writeln!(
                s,
                "  task {} {} on {}{}{}",
                t.name,
                t.state,
                t.node,
                if addrs.is_empty() {
                    String::new()
                } else {
                    format!(" {}", addrs.join(", "))
                },
                t.target
                    .as_deref()
                    .map(|t| format!(" [-t {t}]"))
                    .unwrap_or_default()
            );
        }
    }
    for w in &g.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}
