//! `bridge`, `bridge link` and `bridge fdb` against iproute2's `bridge -j` on the same namespace:
//! a bridge with two ports, learned and static entries, a vxlan device with remote VTEPs; and a
//! Swarm overlay network's namespace (root; Docker for the last).

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::docker::{ensure_swarm, require_docker, test_image, Container, DockerNet};
use netshoot_testnet::fixtures;
use netshoot_testnet::{require_root, run, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn ours(spec: &str, args: &[&str]) -> Value {
    let mut v = vec!["-t", spec, "--json"];
    v.extend_from_slice(args);
    NETSHOOT.ok_json(&v)
}

/// A switch namespace holding bridge `br0` with ports `p1` (to namespace a, 10.71.0.1) and `p2`
/// (to namespace b, 10.71.0.2), a static entry, and vxlan `vx0` with two remote VTEPs.
fn switch() -> (Netns, Netns, Netns) {
    require_root();
    let sw = Netns::new("sw");
    let a = Netns::new("sa");
    let b = Netns::new("sb");
    sw.ip(&["link", "add", "br0", "type", "bridge"]);
    sw.ip(&["link", "set", "br0", "up"]);
    for (ns, port, addr) in [(&a, "p1", "10.71.0.1/24"), (&b, "p2", "10.71.0.2/24")] {
        sw.ip(&["link", "add", port, "type", "veth", "peer", "name", "eth0"]);
        sw.ip(&["link", "set", "eth0", "netns", &ns.name]);
        ns.ip(&["addr", "add", addr, "dev", "eth0"]);
        ns.ip(&["link", "set", "eth0", "up"]);
        sw.ip(&["link", "set", port, "master", "br0", "up"]);
    }
    sw.exec(&[
        "bridge", "link", "set", "dev", "p2", "priority", "7", "cost", "40",
    ]);
    sw.exec(&[
        "bridge",
        "fdb",
        "add",
        "02:00:00:00:71:99",
        "dev",
        "p1",
        "master",
        "static",
    ]);
    // vxlan with a static default and a per-MAC remote VTEP (addresses inside this namespace).
    sw.ip(&["addr", "add", "10.72.0.1/24", "dev", "lo"]);
    sw.ip(&["link", "set", "lo", "up"]);
    fixtures::vxlan_with_remotes(&sw);
    // Traffic both ways, so the bridge learns both MACs on their ports.
    a.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.71.0.2"]);
    (sw, a, b)
}

/// The fields both tools give for an fdb entry, normalised.
fn fdb_key(e: &Value) -> String {
    let flags: Vec<String> = e["flags"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|f| f.as_str())
                .filter(|f| *f != "master")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let opt = |k: &str| match &e[k] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    format!(
        "{} dev {} vlan {} dst {} master {} flags {} state {}",
        opt("mac"),
        opt("ifname"),
        opt("vlan"),
        opt("dst"),
        opt("master"),
        flags.join(","),
        opt("state")
    )
}

fn sorted(v: &Value, f: fn(&Value) -> String) -> Vec<String> {
    let mut k: Vec<String> = v.as_array().expect("array").iter().map(f).collect();
    k.sort();
    k
}

#[test]
fn fdb_agrees_with_bridge_j_fdb() {
    require_root!();
    let (sw, _a, _b) = switch();
    let spec = format!("netns:{}", sw.name);
    let peer: Value = serde_json::from_str(&sw.exec(&["bridge", "-j", "fdb", "show"])).unwrap();
    let mine = ours(&spec, &["bridge", "fdb"]);
    assert_eq!(sorted(&mine, fdb_key), sorted(&peer, fdb_key));
    let keys = sorted(&mine, fdb_key);
    // The learned entries, the static one and the vxlan remote VTEPs are all there.
    assert!(
        keys.iter()
            .any(|k| k.contains("02:00:00:00:71:99 dev p1") && k.contains("static")),
        "{keys:#?}"
    );
    assert!(
        keys.iter()
            .any(|k| k.contains("dev vx0") && k.contains("dst 10.72.0.3")),
        "{keys:#?}"
    );
    // One bridge only.
    let peer: Value =
        serde_json::from_str(&sw.exec(&["bridge", "-j", "fdb", "show", "br", "br0"])).unwrap();
    let mine = ours(&spec, &["bridge", "fdb", "br", "br0"]);
    assert_eq!(sorted(&mine, fdb_key), sorted(&peer, fdb_key));
}

#[test]
fn ports_agree_with_bridge_j_link_and_brctl() {
    require_root!();
    let (sw, _a, _b) = switch();
    let spec = format!("netns:{}", sw.name);
    let key = |p: &Value| {
        format!(
            "{} master {} state {} priority {} cost {}",
            p["ifname"].as_str().unwrap_or(""),
            p["master"].as_str().unwrap_or(""),
            p["state"].as_str().unwrap_or(""),
            p["priority"],
            p["cost"]
        )
    };
    let peer: Value = serde_json::from_str(&sw.exec(&["bridge", "-j", "link"])).unwrap();
    let mine = ours(&spec, &["bridge", "link"]);
    assert_eq!(sorted(&mine, key), sorted(&peer, key));
    assert!(sorted(&mine, key)
        .iter()
        .any(|k| k == "p2 master br0 state forwarding priority 7 cost 40"));
    // brctl show: the bridge id and its interfaces.
    let brctl = sw.exec(&["brctl", "show"]);
    let line = brctl
        .lines()
        .find(|l| l.starts_with("br0"))
        .expect("br0 in brctl show");
    let id = line.split_whitespace().nth(1).unwrap();
    let mine = ours(&spec, &["bridge"]);
    let br = &mine[0];
    assert_eq!(br["name"], "br0");
    assert_eq!(br["bridge_id"], id);
    assert_eq!(br["stp"], false);
    let ports: Vec<&str> = br["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ifname"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["p1", "p2"]);
}

#[test]
fn an_unknown_bridge_is_one_line_and_exit_2() {
    require_root!();
    let (sw, _a, _b) = switch();
    let spec = format!("netns:{}", sw.name);
    let o = NETSHOOT.run(&["-t", &spec, "bridge", "fdb", "br", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("no bridge 'nosuch'") && e.contains("br0"), "{e}");
}

#[test]
fn overlay_namespace_fdb_agrees_with_bridge_in_the_sandbox() {
    require_docker!();
    ensure_swarm();
    let net = DockerNet::new("overlay", &["--attachable"]);
    let _c = Container::run(
        "fdb",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let spec = format!("network:{}", net.name);
    // The overlay's sandbox: find it the way a person would, by the network id prefix.
    let sandbox = std::fs::read_dir("/var/run/docker/netns")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(&net.id[..10]))
        })
        .expect("overlay sandbox");
    let ns_arg = format!("--net={}", sandbox.display());
    let peer: Value =
        serde_json::from_str(&run(&["nsenter", &ns_arg, "bridge", "-j", "fdb", "show"])).unwrap();
    let mine = ours(&spec, &["bridge", "fdb"]);
    assert_eq!(sorted(&mine, fdb_key), sorted(&peer, fdb_key));
    let bridges = ours(&spec, &["bridge"]);
    assert!(
        bridges[0]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["ifname"].as_str().is_some_and(|n| n.starts_with("vxlan"))),
        "{bridges:#}"
    );
}
