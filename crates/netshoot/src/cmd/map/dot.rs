//! `map --dot`: the graph as Graphviz DOT, one cluster per namespace, one node per interface,
//! veth pairs and bridge ports as edges.

use std::fmt::Write as _;

use netshoot_inspect::map::{EdgeKind, Graph};

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

/// The graph in DOT.
pub fn dot(g: &Graph) -> String {
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
            parts.extend(i.published.iter().map(|p| format!("published {p}")));
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
