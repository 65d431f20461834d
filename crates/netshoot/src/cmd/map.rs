//! `map`: the host's network as a graph, as a text tree, JSON or Graphviz DOT. The graph is
//! `netshoot_inspect::map`'s; this reads each namespace and renders.

use std::collections::HashMap;
use std::fmt::Write as _;

use netshoot_inspect::map::{EdgeKind, Graph, Read};
use netshoot_inspect::{Family, Table};

use crate::cli::MapArgs;
use crate::render::Output;

/// Lists the namespaces, reads each (interfaces, fdb, routes) on a short-lived thread, pairs
/// veths, builds the graph and prints it.
pub fn run(args: &MapArgs, out: &Output) -> anyhow::Result<i32> {
    let (namespaces, _warnings) = netshoot_ns::list()?;
    let mut reads: Vec<Result<Read, String>> = namespaces
        .iter()
        .map(|ns| match netshoot_ns::in_namespace(&ns.path, read_here) {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(format!("netlink: {e}")),
            Err(e) => Err(e.to_string()),
        })
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
    let pairs: Vec<_> = namespaces
        .iter()
        .zip(reads.iter())
        .map(|(ns, r)| (ns, r.as_ref().map_err(Clone::clone)))
        .collect();
    let graph = netshoot_inspect::map::build(&pairs);
    let dot_wanted = args.dot;
    out.emit(&graph, |g| {
        if dot_wanted {
            dot(g)
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
    Ok(Read {
        interfaces,
        fdb,
        routes,
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
    s
}

/// A DOT quoted string: control characters made visible (`netshoot_wire::text::escape`), then
/// `\` and `"` escaped as DOT wants.
fn q(s: &str) -> String {
    format!("\"{}\"", inner(s))
}

/// [`q`] without the quotes.
fn inner(s: &str) -> String {
    let visible = netshoot_wire::text::escape(s);
    let mut o = String::with_capacity(visible.len());
    for c in visible.chars() {
        if c == '\\' || c == '"' {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

fn dot(g: &Graph) -> String {
    let mut s = String::from(
        "digraph netshoot {\n  rankdir=LR;\n  newrank=true;\n  node [shape=box, fontsize=10];\n",
    );
    for (k, n) in g.namespaces.iter().enumerate() {
        let _ = writeln!(s, "  subgraph cluster_{k} {{");
        let _ = writeln!(
            s,
            "    label={};",
            q(&format!("{} ({})", n.label, n.target))
        );
        if n.interfaces.is_empty() {
            // An empty cluster is not drawn: a node stands for the namespace.
            let _ = writeln!(
                s,
                "    {} [label={}, shape=plaintext];",
                q(&n.id),
                q(&n.label)
            );
        }
        for i in &n.interfaces {
            // One line per part, each escaped, joined by DOT's line break.
            let mut parts = vec![i.name.clone()];
            if let Some(kind) = &i.kind {
                parts.push(match i.vni {
                    Some(v) => format!("{kind} vni {v}"),
                    None => kind.clone(),
                });
            }
            parts.extend(i.addresses.iter().cloned());
            parts.extend(i.remotes.iter().map(|r| format!("remote {r}")));
            // Routes out are lines of their device's label: route nodes inside clusters make
            // Graphviz lose edges.
            parts.extend(
                n.routes_out
                    .iter()
                    .filter(|r| r.dev_id.as_deref() == Some(i.id.as_str()))
                    .map(|r| {
                        format!(
                            "route {}{}",
                            r.dst,
                            r.gateway.map(|g| format!(" via {g}")).unwrap_or_default()
                        )
                    }),
            );
            let shape = if i.kind.as_deref() == Some("bridge") {
                "box3d"
            } else {
                "box"
            };
            let parts: Vec<String> = parts.iter().map(|p| inner(p)).collect();
            let lbl = format!("\"{}\"", parts.join("\\n"));
            let _ = writeln!(s, "    {} [label={lbl}, shape={shape}];", q(&i.id));
        }
        let _ = writeln!(s, "  }}");
    }
    // Edges carry no labels: Graphviz loses labelled edges between clusters ("lost edge").
    for e in &g.edges {
        let style = match e.kind {
            EdgeKind::Veth => "[dir=none, color=blue, penwidth=2]",
            EdgeKind::Port => "[color=gray40]",
        };
        let _ = writeln!(s, "  {} -> {} {style};", q(&e.from), q(&e.to));
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::q;

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_controls() {
        // text::escape shows a backslash as `\\`; DOT then quotes both.
        assert_eq!(q(r#"a"b\c"#), r#""a\"b\\\\c""#);
        let nl = q("x\ny");
        assert!(!nl.contains('\n'), "{nl}");
    }
}
