//! `map --html FILE`: the graph as one self-contained HTML page holding an SVG picture, laid out
//! here (no Graphviz at run time, no scripts, no external files, so it opens anywhere).
//!
//! The layout reads top-down: the host (its own interfaces and routes out); then one band per
//! bridge, in whatever namespace it lives (`docker0`, `br-…`, `docker_gwbridge`, an overlay
//! sandbox's `br0`), its header naming the bridge, its addresses and its vxlan ports (VNI,
//! remote VTEPs), and under it a grid of cards, one per port: the namespace at the other end of
//! the port's veth (a container, a Swarm task, a sandbox, an ip netns) with that end's name and
//! addresses, the ports published to it and its route out. A namespace on two bridges has a
//! card in each band. Then the namespaces on no bridge, then the Swarm services. A trunk on each
//! band's left edge joins its cards to the bridge. Six cards a row keep 50 containers on one
//! screen's width.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use netshoot_inspect::map::{Graph, IfNode, NsNode};
use netshoot_ns::NamespaceKind;

const MARGIN: u32 = 20;
/// Room left of the cards for the band's trunk.
const INDENT: u32 = 24;
const CARD_W: u32 = 240;
const GAP_X: u32 = 20;
const GAP_Y: u32 = 26;
const BAND_GAP: u32 = 36;
const COLS: usize = 6;
const LINE_H: u32 = 14;
const TITLE_H: u32 = 22;
const PAD: u32 = 8;
const MAX_LINES: usize = 6;
const HEADER_MAX_LINES: usize = 12;
/// Characters that fit a card's line at 11 px.
const CHARS: usize = 36;

/// A box's contents before it is placed.
#[derive(Debug, Clone)]
struct Card {
    /// `host`, `bridge`, `container`, `task`, `sandbox`, `netns`, `process`, `port`, `service`,
    /// `group`.
    class: &'static str,
    /// `data-name`: the bridge's, container's, netns's, service's name.
    name: String,
    /// The graph's node id (`ns:…`, `if:…`), or the service's id.
    id: String,
    title: String,
    /// The whole label, for the tooltip (the title may be a short form of it).
    label: String,
    lines: Vec<String>,
}

/// A band: a header and the cards under it.
#[derive(Debug)]
struct Band {
    head: Card,
    cards: Vec<Card>,
}

/// A placed box.
#[derive(Debug, Clone)]
pub(super) struct Placed {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub class: &'static str,
    pub name: String,
    pub id: String,
    pub title: String,
    pub label: String,
    pub lines: Vec<String>,
    /// Lines left out for room (shown in the tooltip).
    pub more: Vec<String>,
}

/// The picture: its size, its boxes and its wires (`[x1, y1, x2, y2]`).
#[derive(Debug)]
pub(super) struct Layout {
    pub width: u32,
    pub height: u32,
    pub boxes: Vec<Placed>,
    pub wires: Vec<[u32; 4]>,
}

/// How many bridges the graph holds (any namespace).
pub(super) fn bridges(g: &Graph) -> usize {
    g.namespaces
        .iter()
        .flat_map(|n| &n.interfaces)
        .filter(|i| i.kind.as_deref() == Some("bridge"))
        .count()
}

fn class_of(n: &NsNode) -> &'static str {
    match n.kind {
        NamespaceKind::Host => "host",
        NamespaceKind::Container if !n.tasks.is_empty() => "task",
        NamespaceKind::Container => "container",
        NamespaceKind::DockerNetwork => "sandbox",
        NamespaceKind::Netns => "netns",
        NamespaceKind::Process => "process",
    }
}

/// The short name a card carries in `data-name`: the first container's, task's, network's or
/// netns's name; else the label.
fn name_of(n: &NsNode) -> String {
    n.containers
        .first()
        .or(n.docker_networks.first())
        .or(n.netns_names.first())
        .cloned()
        .unwrap_or_else(|| n.label.clone())
}

fn iface_line(i: &IfNode) -> String {
    let mut l = i.name.clone();
    if i.addresses.is_empty() {
        l.push(' ');
        l.push_str(&i.operstate);
    }
    for a in &i.addresses {
        l.push(' ');
        l.push_str(a);
    }
    l
}

fn vxlan_line(i: &IfNode) -> String {
    let mut l = format!("{} vxlan", i.name);
    if let Some(v) = i.vni {
        let _ = write!(l, " vni {v}");
    }
    if !i.remotes.is_empty() {
        let r: Vec<String> = i.remotes.iter().map(|r| r.to_string()).collect();
        let _ = write!(l, " remotes {}", r.join(" "));
    }
    l
}

fn route_lines(n: &NsNode, dev: Option<&str>) -> Vec<String> {
    n.routes_out
        .iter()
        .filter(|r| dev.is_none() || r.dev_id.as_deref() == dev)
        .map(|r| {
            format!(
                "route {}{}{}",
                r.dst,
                r.gateway.map(|g| format!(" via {g}")).unwrap_or_default(),
                r.dev
                    .as_deref()
                    .filter(|_| dev.is_none())
                    .map(|d| format!(" dev {d}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// The card of namespace `n` as seen from one of its interfaces (`at`: the end on this band's
/// bridge), or on its own.
fn ns_card(n: &NsNode, at: Option<&IfNode>, bridge_of: &HashMap<&str, String>) -> Card {
    let mut lines = Vec::new();
    if let Some(e) = &n.error {
        lines.push(format!("unreadable: {e}"));
    }
    match at {
        Some(i) => {
            lines.push(iface_line(i));
            lines.extend(i.published.iter().map(|p| format!("published {p}")));
            lines.extend(route_lines(n, Some(&i.id)));
        }
        None => lines.extend(route_lines(n, None)),
    }
    for i in &n.interfaces {
        if at.is_some_and(|a| a.id == i.id) || (i.name == "lo" && i.addresses.len() <= 2) {
            continue;
        }
        match i.peer_id.as_deref().and_then(|p| bridge_of.get(p)) {
            Some(br) => lines.push(format!("also {} on {br}", iface_line(i))),
            None if at.is_none() => {
                lines.push(iface_line(i));
                lines.extend(i.published.iter().map(|p| format!("published {p}")));
            }
            None if !i.addresses.is_empty() => lines.push(format!("also {}", iface_line(i))),
            None => {}
        }
    }
    Card {
        class: class_of(n),
        name: name_of(n),
        id: n.id.clone(),
        title: card_title(n),
        label: n.label.clone(),
        lines,
    }
}

/// A card's title, short enough for its width (the whole label is in the tooltip):
/// `task web.2`, `container db`, `sandbox ingress_sbox (ingress)`, `ip netns blue`.
fn card_title(n: &NsNode) -> String {
    match n.kind {
        NamespaceKind::Container if !n.tasks.is_empty() => format!("task {}", n.tasks.join(", ")),
        NamespaceKind::Container => format!("container {}", n.containers.join(", ")),
        NamespaceKind::DockerNetwork => {
            let sandbox = n
                .label
                .split_once(", sandbox ")
                .map(|(_, s)| s.trim_end_matches(')'))
                .unwrap_or("?");
            format!("sandbox {sandbox} ({})", n.docker_networks.join(", "))
        }
        _ => n.label.clone(),
    }
}

/// The bands, in drawing order.
fn bands(g: &Graph) -> Vec<Band> {
    let by_id: HashMap<&str, (&NsNode, &IfNode)> = g
        .namespaces
        .iter()
        .flat_map(|n| n.interfaces.iter().map(move |i| (i.id.as_str(), (n, i))))
        .collect();
    // A bridge port's id -> the bridge's name, to say where a namespace's other ends are.
    let mut bridge_of: HashMap<&str, String> = HashMap::new();
    for n in &g.namespaces {
        for i in &n.interfaces {
            if let Some(m) = &i.master {
                bridge_of.insert(i.id.as_str(), m.clone());
            }
        }
    }
    let mut out = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    if let Some(h) = g.namespaces.iter().find(|n| n.kind == NamespaceKind::Host) {
        let mut lines: Vec<String> = h
            .interfaces
            .iter()
            .filter(|i| {
                i.master.is_none()
                    && i.peer_id.is_none()
                    && i.kind.as_deref() != Some("bridge")
                    && i.name != "lo"
            })
            .map(|i| {
                if i.kind.as_deref() == Some("vxlan") {
                    vxlan_line(i)
                } else {
                    iface_line(i)
                }
            })
            .collect();
        lines.extend(route_lines(h, None));
        if !h.containers.is_empty() {
            lines.push(format!("host network: {}", h.containers.join(", ")));
        }
        if !h.dnat.is_empty() {
            lines.push(format!(
                "{} DNAT rules (published ports: on the cards)",
                h.dnat.len()
            ));
        }
        lines.extend(h.warnings.iter().map(|w| format!("warning: {w}")));
        placed.insert(h.id.as_str());
        out.push(Band {
            head: Card {
                label: String::new(),
                class: "host",
                name: "host".into(),
                id: h.id.clone(),
                title: format!("{} (-t {})", h.label, h.target),
                lines,
            },
            cards: Vec::new(),
        });
    }
    // Namespaces that own a bridge are drawn as that band's header.
    let owners: BTreeSet<&str> = g
        .namespaces
        .iter()
        .filter(|n| {
            n.interfaces
                .iter()
                .any(|i| i.kind.as_deref() == Some("bridge"))
        })
        .map(|n| n.id.as_str())
        .collect();
    for n in &g.namespaces {
        for b in n
            .interfaces
            .iter()
            .filter(|i| i.kind.as_deref() == Some("bridge"))
        {
            let ports: Vec<&IfNode> = n
                .interfaces
                .iter()
                .filter(|p| p.master.as_deref() == Some(b.name.as_str()))
                .collect();
            let mut lines = vec![iface_line(b)];
            lines.extend(
                ports
                    .iter()
                    .filter(|p| p.kind.as_deref() == Some("vxlan"))
                    .map(|p| vxlan_line(p)),
            );
            lines.push(format!("{} ports", ports.len()));
            if n.kind != NamespaceKind::Host {
                lines.extend(route_lines(n, None));
            }
            let mut cards = Vec::new();
            for p in ports.iter().filter(|p| p.kind.as_deref() != Some("vxlan")) {
                match p.peer_id.as_deref().and_then(|id| by_id.get(id)) {
                    Some((m, q)) => {
                        placed.insert(m.id.as_str());
                        cards.push(ns_card(m, Some(q), &bridge_of));
                    }
                    None => cards.push(Card {
                        label: String::new(),
                        class: "port",
                        name: p.name.clone(),
                        id: p.id.clone(),
                        title: format!(
                            "port {} ({})",
                            p.name,
                            p.kind.as_deref().unwrap_or("device")
                        ),
                        lines: vec![
                            p.operstate.clone(),
                            if p.kind.as_deref() == Some("veth") {
                                "its peer is in no namespace read".into()
                            } else {
                                String::new()
                            },
                        ]
                        .into_iter()
                        .filter(|l| !l.is_empty())
                        .collect(),
                    }),
                }
            }
            let title = if n.kind == NamespaceKind::Host {
                format!("bridge {}", b.name)
            } else {
                placed.insert(n.id.as_str());
                format!("bridge {} in {}", b.name, n.label)
            };
            out.push(Band {
                head: Card {
                    label: String::new(),
                    class: "bridge",
                    name: b.name.clone(),
                    id: b.id.clone(),
                    title,
                    lines,
                },
                cards,
            });
        }
    }
    let rest: Vec<Card> = g
        .namespaces
        .iter()
        .filter(|n| !placed.contains(n.id.as_str()) && !owners.contains(n.id.as_str()))
        .map(|n| ns_card(n, None, &bridge_of))
        .collect();
    if !rest.is_empty() {
        out.push(Band {
            head: Card {
                label: String::new(),
                class: "group",
                name: "unbridged".into(),
                id: String::new(),
                title: format!("{} namespaces on no bridge", rest.len()),
                lines: Vec::new(),
            },
            cards: rest,
        });
    }
    if !g.services.is_empty() {
        let cards = g
            .services
            .iter()
            .map(|s| {
                let mut lines = vec![format!(
                    "{}{}, endpoint mode {}",
                    s.mode,
                    s.replicas
                        .map(|r| format!(" {r} replicas"))
                        .unwrap_or_default(),
                    s.endpoint_mode
                )];
                lines.extend(
                    s.vips
                        .iter()
                        .map(|v| format!("vip {} on {}", v.addr, v.network)),
                );
                lines.extend(
                    s.tasks
                        .iter()
                        .map(|t| format!("task {} {} on {}", t.name, t.state, t.node)),
                );
                Card {
                    label: String::new(),
                    class: "service",
                    name: s.name.clone(),
                    id: s.id.clone(),
                    title: format!("service {}", s.name),
                    lines,
                }
            })
            .collect();
        out.push(Band {
            head: Card {
                label: String::new(),
                class: "group",
                name: "services".into(),
                id: String::new(),
                title: format!("{} Swarm services", g.services.len()),
                lines: Vec::new(),
            },
            cards,
        });
    }
    if !g.warnings.is_empty() {
        if let Some(first) = out.first_mut() {
            first
                .head
                .lines
                .extend(g.warnings.iter().map(|w| format!("warning: {w}")));
        }
    }
    out
}

fn place(c: Card, x: u32, y: u32, w: u32, max_lines: usize) -> Placed {
    let (lines, more) = if c.lines.len() > max_lines {
        let mut shown = c.lines[..max_lines - 1].to_vec();
        let more = c.lines[max_lines - 1..].to_vec();
        shown.push(format!("+{} more (hover)", more.len()));
        (shown, more)
    } else {
        (c.lines, Vec::new())
    };
    let h = TITLE_H + lines.len() as u32 * LINE_H + PAD;
    Placed {
        x,
        y,
        w,
        h,
        class: c.class,
        name: c.name,
        id: c.id,
        label: if c.label.is_empty() {
            c.title.clone()
        } else {
            c.label
        },
        title: c.title,
        lines,
        more,
    }
}

/// Places every band: headers full width, cards six a row under them, wires from each card up
/// to its row's branch and along the trunk to the header.
pub(super) fn layout(g: &Graph) -> Layout {
    let mut boxes = Vec::new();
    let mut wires = Vec::new();
    let mut y = MARGIN + 28;
    let mut width = 2 * MARGIN + INDENT + 2 * CARD_W + GAP_X;
    for band in bands(g) {
        let cols = band.cards.len().clamp(2, COLS) as u32;
        let band_w = INDENT + cols * CARD_W + (cols - 1) * GAP_X;
        width = width.max(2 * MARGIN + band_w);
        let head = place(band.head, MARGIN, y, band_w, HEADER_MAX_LINES);
        y += head.h;
        let trunk_x = MARGIN + INDENT / 2;
        let trunk_top = y;
        boxes.push(head);
        let mut last_branch = None;
        for row in band.cards.chunks(COLS) {
            y += GAP_Y;
            let branch_y = y - GAP_Y / 2;
            let mut row_h = 0;
            let mut last_cx = trunk_x;
            for (c, card) in row.iter().enumerate() {
                let x = MARGIN + INDENT + c as u32 * (CARD_W + GAP_X);
                let p = place(card.clone(), x, y, CARD_W, MAX_LINES);
                let cx = x + CARD_W / 2;
                wires.push([cx, branch_y, cx, y]);
                last_cx = cx;
                row_h = row_h.max(p.h);
                boxes.push(p);
            }
            wires.push([trunk_x, branch_y, last_cx, branch_y]);
            last_branch = Some(branch_y);
            y += row_h;
        }
        if let Some(b) = last_branch {
            wires.push([trunk_x, trunk_top, trunk_x, b]);
        }
        y += BAND_GAP;
    }
    Layout {
        width,
        height: y - BAND_GAP + MARGIN,
        boxes,
        wires,
    }
}

/// Page text: the one sanitiser, then entities (`netshoot_wire::text::escape_xml`).
fn xml(s: &str) -> String {
    netshoot_wire::text::escape_xml(s)
}

/// `s` cut to `n` characters, an ellipsis marking the cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut o: String = s.chars().take(n - 1).collect();
    o.push('…');
    o
}

/// The fill of each class of box.
pub(super) fn fill(class: &str) -> &'static str {
    match class {
        "host" => "#dfe7f0",
        "bridge" => "#fed7aa",
        "container" => "#dbeafe",
        "task" => "#dcfce7",
        "sandbox" => "#fef3c7",
        "netns" => "#ede9fe",
        "process" => "#e5e7eb",
        "port" => "#f3f4f6",
        "service" => "#fce7f3",
        _ => "#eef2f6",
    }
}

/// The whole page.
pub(super) fn page(g: &Graph) -> String {
    let l = layout(g);
    let containers: usize = g.namespaces.iter().map(|n| n.containers.len()).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>netshoot map</title><style>\
         body{{margin:0;background:#fff}}\
         svg text{{font-family:\"DejaVu Sans\",Verdana,Arial,sans-serif;font-size:11px;fill:#1f2328}}\
         svg text.t{{font-weight:bold}}svg text.h{{font-size:14px;font-weight:bold}}\
         </style></head><body>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
         <text class=\"h\" x=\"{m}\" y=\"{ty}\">netshoot map: {} namespaces, {} containers, {} bridges</text>\n",
        g.namespaces.len(),
        containers,
        bridges(g),
        w = l.width,
        h = l.height,
        m = MARGIN,
        ty = MARGIN + 10,
    );
    for [x1, y1, x2, y2] in &l.wires {
        let _ = writeln!(
            s,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#6b7a90\" stroke-width=\"1.5\"/>"
        );
    }
    for b in &l.boxes {
        let tip: Vec<&str> = std::iter::once(b.label.as_str())
            .chain(
                b.lines
                    .iter()
                    .filter(|l| !l.ends_with("more (hover)"))
                    .map(String::as_str),
            )
            .chain(b.more.iter().map(String::as_str))
            .collect();
        let _ = write!(
            s,
            "<g class=\"box {class}\" data-name=\"{name}\" data-id=\"{id}\"><title>{tip}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"4\" fill=\"{fill}\" stroke=\"#56606e\"/>\
             <text class=\"t\" x=\"{tx}\" y=\"{ty}\">{title}</text>",
            class = b.class,
            name = xml(&b.name),
            id = xml(&b.id),
            tip = xml(&tip.join("\n")),
            x = b.x,
            y = b.y,
            w = b.w,
            h = b.h,
            fill = fill(b.class),
            tx = b.x + PAD,
            ty = b.y + 15,
            title = xml(&clip(&b.title, (b.w as usize - 2 * PAD as usize) / 7)),
        );
        for (k, line) in b.lines.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                b.x + PAD,
                b.y + TITLE_H + 10 + k as u32 * LINE_H,
                xml(&clip(line, CHARS * b.w as usize / CARD_W as usize))
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use netshoot_inspect::map::{Edge, EdgeKind};

    fn iface(ns: u64, index: u32, name: &str, kind: &str) -> IfNode {
        IfNode {
            id: format!("if:{ns}:{index}"),
            index,
            iflink: None,
            name: name.into(),
            kind: Some(kind.into()),
            operstate: "up".into(),
            mac: None,
            addresses: Vec::new(),
            master: None,
            ports: Vec::new(),
            vni: None,
            remotes: Vec::new(),
            peer_id: None,
            published: Vec::new(),
        }
    }

    fn ns(inode: u64, kind: NamespaceKind, label: &str) -> NsNode {
        NsNode {
            id: format!("ns:{inode}"),
            inode,
            kind,
            target: format!("ns:{inode}"),
            label: label.into(),
            containers: Vec::new(),
            tasks: Vec::new(),
            docker_networks: Vec::new(),
            netns_names: Vec::new(),
            interfaces: Vec::new(),
            routes_out: Vec::new(),
            dnat: Vec::new(),
            warnings: Vec::new(),
            error: None,
        }
    }

    /// A host with two bridges and `n` containers, every third one on both bridges.
    fn graph(n: u32) -> Graph {
        let mut host = ns(1, NamespaceKind::Host, "the host");
        let mut index = 100;
        for br in ["docker0", "br-0123456789ab"] {
            index += 1;
            host.interfaces.push(iface(1, index, br, "bridge"));
        }
        let mut spaces = Vec::new();
        let mut edges = Vec::new();
        for c in 0..n {
            let inode = 1000 + c as u64;
            let mut ctr = ns(inode, NamespaceKind::Container, &format!("container c{c}"));
            ctr.containers.push(format!("c{c}"));
            let nets: &[&str] = if c % 3 == 0 {
                &["docker0", "br-0123456789ab"]
            } else if c % 2 == 0 {
                &["docker0"]
            } else {
                &["br-0123456789ab"]
            };
            for (k, br) in nets.iter().enumerate() {
                index += 1;
                let mut end = iface(inode, 10 + k as u32, &format!("eth{k}"), "veth");
                end.addresses.push(format!("172.17.{}.{}/16", k, c + 2));
                let mut hv = iface(1, index, &format!("veth{c}x{k}"), "veth");
                hv.master = Some(br.to_string());
                hv.peer_id = Some(end.id.clone());
                end.peer_id = Some(hv.id.clone());
                edges.push(Edge {
                    kind: EdgeKind::Veth,
                    from: hv.id.clone(),
                    to: end.id.clone(),
                });
                host.interfaces.push(hv);
                ctr.interfaces.push(end);
            }
            spaces.push(ctr);
        }
        let mut namespaces = vec![host];
        namespaces.extend(spaces);
        Graph {
            namespaces,
            edges,
            services: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn overlap(a: &Placed, b: &Placed) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn fifty_containers_on_two_bridges_fit_one_screen_width_without_overlaps() {
        let g = graph(50);
        let l = layout(&g);
        assert!(l.width <= 1700, "width {}", l.width);
        for c in 0..50 {
            let cards: Vec<&Placed> = l
                .boxes
                .iter()
                .filter(|b| b.class == "container" && b.name == format!("c{c}"))
                .collect();
            let want = if c % 3 == 0 { 2 } else { 1 };
            assert_eq!(cards.len(), want, "c{c}'s cards");
        }
        for br in ["docker0", "br-0123456789ab"] {
            assert!(l.boxes.iter().any(|b| b.class == "bridge" && b.name == br));
        }
        for (i, a) in l.boxes.iter().enumerate() {
            assert!(
                a.x + a.w <= l.width && a.y + a.h <= l.height,
                "{a:?} outside"
            );
            for b in &l.boxes[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
        }
        // Every card hangs from a wire that ends on its top edge, at its middle.
        for b in l.boxes.iter().filter(|b| b.class == "container") {
            let cx = b.x + b.w / 2;
            assert!(
                l.wires
                    .iter()
                    .any(|w| w[0] == cx && w[2] == cx && w[3] == b.y),
                "{} has no wire",
                b.name
            );
        }
        // No wire crosses a box (the trunk runs left of the cards, branches above them).
        for w in &l.wires {
            for b in &l.boxes {
                let (x1, x2) = (w[0].min(w[2]), w[0].max(w[2]));
                let (y1, y2) = (w[1].min(w[3]), w[1].max(w[3]));
                let inside = x1 < b.x + b.w && b.x < x2.max(x1 + 1) && y1 < b.y + b.h && b.y < y2;
                assert!(!inside || y2 == b.y, "wire {w:?} crosses {b:?}");
            }
        }
    }

    #[test]
    fn names_are_escaped_for_xml_and_terminals() {
        let mut g = graph(1);
        g.namespaces[1].label = "container <b>&\"'\u{1b}[31m".into();
        g.namespaces[1].containers[0] = "<b>".into();
        let p = page(&g);
        assert!(!p.contains("<b>"), "{p}");
        assert!(!p.contains('\u{1b}'));
        assert!(p.contains("&lt;b&gt;&amp;&quot;&#39;"), "{p}");
    }
}
