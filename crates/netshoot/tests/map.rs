//! `map`: the graph holds test namespaces, a bridge and its ports, veth pairs as `ip link` sees
//! them (ifindex/iflink), every container of `docker ps` and every bridge of `ip link`, published
//! ports as `docker port` shows them; Graphviz accepts `--dot`; Chromium renders `--html` with a
//! box for every container and bridge, in the DOM and on the screenshot.

use std::io::Write as _;
use std::process::{Command, Stdio};

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::docker::{test_image, Container, DockerNet};
use netshoot_testnet::{require_docker, require_root, unique, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn sh(argv: &[&str]) {
    let o = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert!(o.status.success(), "{argv:?}: {}", stderr(&o));
}

/// A hub namespace with bridge `br0` and two leaf namespaces, each joined to a port of `br0` by
/// a veth: (hub, leaves with (leaf end, hub end) names).
fn star() -> (Netns, Vec<(Netns, String, String)>) {
    let hub = Netns::new("hub");
    hub.ip(&["link", "add", "br0", "type", "bridge"]);
    hub.ip(&["link", "set", "br0", "up"]);
    let mut leaves = Vec::new();
    for tag in ["la", "lb"] {
        let leaf = Netns::new(tag);
        let (x, y) = (unique("mx"), unique("my"));
        sh(&["ip", "link", "add", &x, "type", "veth", "peer", "name", &y]);
        sh(&["ip", "link", "set", &x, "netns", &leaf.name]);
        sh(&["ip", "link", "set", &y, "netns", &hub.name]);
        hub.ip(&["link", "set", &y, "master", "br0", "up"]);
        leaf.ip(&["link", "set", &x, "up"]);
        leaves.push((leaf, x, y));
    }
    (hub, leaves)
}

fn map_json() -> Value {
    let out = NETSHOOT.run(&["map", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    json(&stdout(&out))
}

fn ns_named<'a>(g: &'a Value, netns: &str) -> &'a Value {
    g["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["netns_names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == netns)
        })
        .unwrap_or_else(|| panic!("netns {netns} not in the map"))
}

fn iface<'a>(ns: &'a Value, name: &str) -> &'a Value {
    ns["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {}", ns["label"]))
}

/// `ip -n NS -j link show DEV`'s (ifindex, iflink).
fn ip_link(ns: &Netns, dev: &str) -> (u64, u64) {
    let v = json(&ns.ip(&["-j", "link", "show", dev]));
    (
        v[0]["ifindex"].as_u64().unwrap(),
        v[0]["link_index"]
            .as_u64()
            .or(v[0]["iflink"].as_u64())
            .unwrap_or(0),
    )
}

#[test]
fn map_json_holds_namespaces_a_bridge_its_ports_and_veth_pairs() {
    require_root!();
    let (hub, leaves) = star();
    let g = map_json();
    let h = ns_named(&g, &hub.name);
    let br = iface(h, "br0");
    assert_eq!(br["kind"], "bridge");
    let ports: Vec<&str> = br["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let edges = g["edges"].as_array().unwrap();
    for (leaf, x, y) in &leaves {
        assert!(
            ports.contains(&y.as_str()),
            "{y} not a port of br0: {ports:?}"
        );
        let l = ns_named(&g, &leaf.name);
        let (lx, hy) = (iface(l, x), iface(h, y));
        assert_eq!(hy["master"], "br0");
        // ifindex/iflink as `ip -n X link` sees them.
        let (x_index, x_link) = ip_link(leaf, x);
        let (y_index, y_link) = ip_link(&hub, y);
        assert_eq!(lx["index"].as_u64(), Some(x_index));
        assert_eq!(hy["index"].as_u64(), Some(y_index));
        assert_eq!((x_link, y_link), (y_index, x_index), "ip link's pair");
        assert_eq!(lx["peer_id"], hy["id"], "{x} paired with {y}");
        assert_eq!(hy["peer_id"], lx["id"], "{y} paired with {x}");
        let has = |kind: &str, a: &Value, b: &Value| {
            edges.iter().any(|e| {
                e["kind"] == kind
                    && ((e["from"] == *a && e["to"] == *b) || (e["from"] == *b && e["to"] == *a))
            })
        };
        assert!(has("veth", &lx["id"], &hy["id"]), "veth edge {x}-{y}");
        assert!(has("port", &hy["id"], &br["id"]), "port edge {y}-br0");
    }
    // The text tree names them too.
    let text = NETSHOOT.ok_text(&["map"]);
    for (leaf, x, y) in &leaves {
        assert!(text.contains(&format!("ip netns {}", leaf.name)), "{text}");
        assert!(
            text.contains(x.as_str()) && text.contains(y.as_str()),
            "{text}"
        );
    }
}

#[test]
fn map_dot_is_accepted_by_graphviz() {
    require_root!();
    let (_hub, _leaves) = star();
    let out = NETSHOOT.run(&["map", "--dot"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut dot = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` not found: install graphviz (scripts/setup)");
    dot.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let got = dot.wait_with_output().unwrap();
    assert!(got.status.success(), "dot -Tsvg: {}", stderr(&got));
    assert!(String::from_utf8_lossy(&got.stdout).contains("<svg"));
}

/// Running containers' names, as `docker ps` lists them.
fn docker_ps() -> Vec<String> {
    let ps = Command::new("docker")
        .args(["ps", "--format", "{{.Names}}"])
        .output()
        .unwrap();
    assert!(ps.status.success(), "docker ps: {}", stderr(&ps));
    stdout(&ps).lines().map(str::to_string).collect()
}

/// The host's bridges, as `ip link show type bridge` lists them.
fn host_bridges() -> Vec<String> {
    let v = json(&netshoot_testnet::run(&[
        "ip", "-j", "link", "show", "type", "bridge",
    ]));
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect()
}

/// Names listed both before and after: the ones no other test could have added or removed
/// while the map was read.
fn stable(before: Vec<String>, after: Vec<String>) -> Vec<String> {
    before.into_iter().filter(|n| after.contains(n)).collect()
}

fn ns_of_container<'a>(g: &'a Value, name: &str) -> &'a Value {
    g["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["containers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == name)
        })
        .unwrap_or_else(|| panic!("container {name} not in the map"))
}

#[test]
fn map_holds_every_container_of_docker_ps_and_every_bridge_of_ip_link() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let image = test_image();
    let a = Container::run("ma", &["--network", &net.name, image, "sleep", "infinity"]);
    let b = Container::run("mb", &["--network", &net.name, image, "sleep", "infinity"]);
    let (ps, bridges) = (docker_ps(), host_bridges());
    let g = map_json();
    let names = stable(ps, docker_ps());
    let bridges = stable(bridges, host_bridges());
    assert!(
        names.contains(&a.name) && names.contains(&b.name),
        "{names:?}"
    );
    let nss = g["namespaces"].as_array().unwrap();
    let host = nss.iter().find(|n| n["kind"] == "host").expect("host");
    for br in &bridges {
        assert_eq!(iface(host, br)["kind"], "bridge", "{br}");
    }
    for name in &names {
        ns_of_container(&g, name);
    }
    // This network's containers: each eth0's host-side peer is a port of the network's bridge.
    let bridge = format!("br-{}", &net.id[..12]);
    assert!(bridges.contains(&bridge), "{bridge} not in {bridges:?}");
    for c in [&a, &b] {
        let eth0 = iface(ns_of_container(&g, &c.name), "eth0");
        let peer = host["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == eth0["peer_id"])
            .unwrap_or_else(|| panic!("{}'s eth0 has no host-side peer", c.name));
        assert_eq!(peer["master"], bridge.as_str(), "{}'s veth", c.name);
    }
}

/// `docker port NAME`'s IPv4 lines as (proto, host address or `*`, host port, container port):
/// `80/tcp -> 127.0.0.1:32768`.
fn docker_ports(name: &str) -> Vec<(String, String, String, String)> {
    let out = netshoot_testnet::run(&["docker", "port", name]);
    let mut v: Vec<_> = out
        .lines()
        .filter_map(|l| {
            let (cport, host) = l.split_once(" -> ")?;
            let (port, proto) = cport.split_once('/')?;
            let (addr, hport) = host.rsplit_once(':')?;
            if addr.starts_with('[') {
                return None; // IPv6: docker-proxy's, no DNAT rule without ip6tables.
            }
            let addr = if addr == "0.0.0.0" { "*" } else { addr };
            Some((proto.into(), addr.into(), hport.into(), port.into()))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn map_ties_published_ports_to_their_container_as_docker_port_shows_them() {
    require_docker!();
    let c = Container::run(
        "mp",
        &[
            "-p",
            "127.0.0.1::80/tcp",
            "-p",
            "81/udp",
            test_image(),
            "sleep",
            "infinity",
        ],
    );
    let want = docker_ports(&c.name);
    assert_eq!(want.len(), 2, "docker port: {want:?}");
    let g = map_json();
    let eth0 = iface(ns_of_container(&g, &c.name), "eth0");
    let host = g["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "host")
        .unwrap();
    let mut got: Vec<(String, String, String, String)> = host["dnat"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["to_ids"].as_array().unwrap().contains(&eth0["id"]))
        .map(|d| {
            let dst = d["dst"].as_str().unwrap_or("*");
            (
                d["proto"].as_str().unwrap().to_string(),
                dst.trim_end_matches("/32").to_string(),
                d["dport"].as_str().unwrap().to_string(),
                d["to_port"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "the host's DNAT rules to {}", c.name);
    // The container's interface lists them, and the text tree says so.
    let published: Vec<&str> = eth0["published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for (proto, addr, hport, cport) in &want {
        let line = format!("{proto} {addr}:{hport} -> {cport}");
        assert!(
            published.contains(&line.as_str()),
            "{line} not in {published:?}"
        );
    }
    let text = NETSHOOT.ok_text(&["map"]);
    let (proto, addr, hport, _) = &want[0];
    assert!(
        text.contains(&format!("published {proto} {addr}:{hport}")),
        "{text}"
    );
}

/// One drawn box of the page: its class, `data-name`, rectangle and fill.
#[derive(Debug)]
struct Drawn {
    class: String,
    name: String,
    rect: [u32; 4],
    fill: [u8; 3],
}

fn attr<'a>(s: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    let at = s.find(&key).unwrap_or_else(|| panic!("no {name} in {s}")) + key.len();
    &s[at..at + s[at..].find('"').unwrap()]
}

/// The boxes of the DOM Chromium serialised (`<g class="box CLASS" data-name=…><title>…</title>
/// <rect x= y= width= height= … fill="#rrggbb" …>`).
fn drawn(dom: &str) -> Vec<Drawn> {
    dom.split("<g class=\"box ")
        .skip(1)
        .map(|g| {
            let class = g[..g.find('"').unwrap()].to_string();
            let name = attr(g, "data-name").to_string();
            let rect = &g[g.find("<rect").expect("a rect")..];
            let n = |k: &str| attr(rect, k).parse::<u32>().unwrap();
            let hex = attr(rect, "fill").trim_start_matches('#');
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
            Drawn {
                class,
                name,
                rect: [n("x"), n("y"), n("width"), n("height")],
                fill: [byte(0), byte(2), byte(4)],
            }
        })
        .collect()
}

#[test]
fn map_html_renders_in_chromium_with_every_container_and_bridge() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let image = test_image();
    let a = Container::run("mh", &["--network", &net.name, image, "sleep", "infinity"]);
    let b = Container::run(
        "mh",
        &[
            "--network",
            &net.name,
            "-p",
            "127.0.0.1::80",
            image,
            "sleep",
            "infinity",
        ],
    );
    let (ps, bridges) = (docker_ps(), host_bridges());
    let dir = std::env::temp_dir().join(unique("nstmap"));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("map.html");
    let out = NETSHOOT.run(&["map", "--html", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = stable(ps, docker_ps());
    let bridges = stable(bridges, host_bridges());
    assert!(names.contains(&a.name) && names.contains(&b.name));
    let url = format!("file://{}", page.display());
    // The DOM after Chromium parsed the page: a box for every container and bridge.
    let dom = netshoot_testnet::browser::dom(&url);
    let boxes = drawn(&dom);
    let find = |class: &str, name: &str| {
        boxes
            .iter()
            .find(|d| d.class == class && d.name == name)
            .unwrap_or_else(|| panic!("no {class} box named {name} in the DOM: {boxes:?}"))
    };
    let mut want: Vec<&Drawn> = Vec::new();
    let host_net: Vec<&str> = dom
        .split("host network: ")
        .nth(1)
        .map(|l| l[..l.find('<').unwrap()].split(", ").collect())
        .unwrap_or_default();
    for n in names.iter().filter(|n| !host_net.contains(&n.as_str())) {
        // A Swarm task's box is a `task` box named by its container.
        let d = boxes
            .iter()
            .find(|d| (d.class == "container" || d.class == "task") && d.name == *n)
            .unwrap_or_else(|| panic!("no box for container {n} in the DOM: {boxes:?}"));
        want.push(d);
    }
    for n in [&a.name, &b.name] {
        find("container", n);
        assert!(
            dom.contains(&format!(">container {n}</text>")),
            "{n}'s title not in the DOM"
        );
    }
    for br in &bridges {
        want.push(find("bridge", br));
    }
    assert!(
        dom.contains("published tcp 127.0.0.1:"),
        "published port not drawn"
    );
    // The screenshot, at the picture's size: each box's fill where the box is.
    let svg = &dom[dom.find("<svg").unwrap()..];
    let (w, h) = (attr(svg, "width"), attr(svg, "height"));
    let shot = netshoot_testnet::browser::screenshot(
        &url,
        w.parse().unwrap(),
        h.parse().unwrap(),
        &dir.join("map.png"),
    );
    assert_eq!(
        (shot.width.to_string(), shot.height.to_string()),
        (w.to_string(), h.to_string()),
        "screenshot size"
    );
    for d in want {
        let [x, y, w, _] = d.rect;
        // Inside the top-right corner, clear of the rounding and of the text.
        let got = shot.rgb(x + w - 6, y + 6);
        let close = got
            .iter()
            .zip(d.fill)
            .all(|(g, f)| (*g as i32 - f as i32).abs() <= 6);
        assert!(
            close,
            "{} {} drawn {got:?} at its box, want {:?}",
            d.class, d.name, d.fill
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn map_shows_a_vxlan_device_with_its_vni_and_remote_vteps() {
    require_root!();
    let ns = Netns::new("mvx");
    ns.ip(&["addr", "add", "10.72.0.1/24", "dev", "lo"]);
    ns.ip(&["link", "set", "lo", "up"]);
    netshoot_testnet::fixtures::vxlan_with_remotes(&ns);
    let g = map_json();
    let vx = iface(ns_named(&g, &ns.name), "vx0");
    assert_eq!(vx["kind"], "vxlan");
    assert_eq!(vx["vni"], 42);
    let remotes: Vec<&str> = vx["remotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(remotes, ["10.72.0.2", "10.72.0.3"]);
}
