//! `map`: the graph holds test namespaces, a bridge and its ports, veth pairs as `ip link` sees
//! them (ifindex/iflink), Docker containers with their bridge; Graphviz accepts `--dot`.

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

#[test]
fn map_holds_every_container_of_a_docker_network_with_its_bridge() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let image = test_image();
    let _a = Container::run("ma", &["--network", &net.name, image, "sleep", "infinity"]);
    let _b = Container::run("mb", &["--network", &net.name, image, "sleep", "infinity"]);
    let ps = Command::new("docker")
        .args([
            "ps",
            "--filter",
            &format!("network={}", net.name),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .unwrap();
    let names: Vec<String> = stdout(&ps).lines().map(str::to_string).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let bridge = format!("br-{}", &net.id[..12]);
    let g = map_json();
    let nss = g["namespaces"].as_array().unwrap();
    let host = nss.iter().find(|n| n["kind"] == "host").expect("host");
    let br = iface(host, &bridge);
    assert_eq!(br["kind"], "bridge");
    for name in &names {
        let ns = nss
            .iter()
            .find(|n| {
                n["containers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == name.as_str())
            })
            .unwrap_or_else(|| panic!("container {name} not in the map"));
        let eth0 = iface(ns, "eth0");
        let peer = host["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == eth0["peer_id"])
            .unwrap_or_else(|| panic!("{name}'s eth0 has no host-side peer"));
        assert_eq!(
            peer["master"],
            bridge.as_str(),
            "{name}'s veth on its bridge"
        );
    }
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
