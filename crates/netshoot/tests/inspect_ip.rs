//! `ip addr|link|route|neigh` and `ip route get` against iproute2's `ip -j` on the same
//! namespaces, and veth peers against `docker inspect` and `ip -n` (root; Docker for the last).

use std::collections::BTreeSet;

use netshoot_testnet::cli::{json, Netshoot};
use netshoot_testnet::docker::{ensure_swarm, require_docker, test_image, Container, DockerNet};
use netshoot_testnet::{require_root, run, veth_pair, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn ours(spec: &str, args: &[&str]) -> Value {
    let mut v = vec!["-t", spec, "--json"];
    v.extend_from_slice(args);
    NETSHOOT.ok_json(&v)
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Two namespaces on a veth pair; IPv6 off on the IPv4-only pair so counters stay still.
fn topo() -> (Netns, Netns, String, String) {
    require_root();
    let a = Netns::new("ia");
    let b = Netns::new("ib");
    let (ia, ib, _g) = veth_pair((Some(&a), None), (Some(&b), None));
    for (ns, i) in [(&a, &ia), (&b, &ib)] {
        ns.sh(&format!("sysctl -qw net.ipv6.conf.{i}.disable_ipv6=1"));
    }
    a.ip(&["addr", "add", "10.61.0.1/24", "dev", &ia]);
    a.ip(&[
        "addr",
        "add",
        "10.61.0.100/24",
        "dev",
        &ia,
        "label",
        &format!("{ia}:x"),
    ]);
    b.ip(&["addr", "add", "10.61.0.2/24", "dev", &ib]);
    b.ip(&["route", "add", "default", "via", "10.61.0.1"]);
    b.ip(&[
        "route",
        "add",
        "10.62.0.0/16",
        "via",
        "10.61.0.1",
        "metric",
        "50",
    ]);
    b.ip(&["route", "add", "blackhole", "10.63.0.0/16"]);
    // An IPv6 address on loopback, without duplicate address detection (no tentative flag).
    a.ip(&["-6", "addr", "add", "fd61::1/64", "dev", "lo", "nodad"]);
    (a, b, ia, ib)
}

#[test]
fn addr_agrees_with_ip_j_addr() {
    require_root!();
    let (a, b, _, _) = topo();
    for ns in [&a, &b] {
        let spec = format!("netns:{}", ns.name);
        let mine = ours(&spec, &["ip", "addr"]);
        let peer = json(&ns.ip(&["-j", "addr"]));
        let pa = peer.as_array().unwrap();
        let ma = mine.as_array().unwrap();
        assert_eq!(ma.len(), pa.len());
        for (m, p) in ma.iter().zip(pa) {
            assert_eq!(m["index"], p["ifindex"]);
            assert_eq!(m["name"], p["ifname"]);
            assert_eq!(m["mtu"], p["mtu"]);
            assert_eq!(m["operstate"], p["operstate"]);
            assert_eq!(m["qdisc"], p["qdisc"]);
            assert_eq!(s(&m["mac"]), s(&p["address"]));
            assert_eq!(m["link_type"], p["link_type"]);
            let mf: BTreeSet<String> = m["flags"].as_array().unwrap().iter().map(s).collect();
            let pf: BTreeSet<String> = p["flags"].as_array().unwrap().iter().map(s).collect();
            assert_eq!(mf, pf, "{}", p["ifname"]);
            let maddr: Vec<(String, String, u64, String, String)> = m["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        s(&x["family"]),
                        s(&x["address"]),
                        x["prefix_len"].as_u64().unwrap(),
                        s(&x["scope"]),
                        s(&x["label"]),
                    )
                })
                .collect();
            let paddr: Vec<(String, String, u64, String, String)> = p["addr_info"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    let label = if s(&x["family"]) == "inet" {
                        s(&x["label"])
                    } else {
                        String::new()
                    };
                    (
                        s(&x["family"]),
                        s(&x["local"]),
                        x["prefixlen"].as_u64().unwrap(),
                        s(&x["scope"]),
                        label,
                    )
                })
                .collect();
            assert_eq!(maddr, paddr, "{}", p["ifname"]);
        }
    }
}

#[test]
fn link_counters_agree_with_ip_s_link() {
    require_root!();
    let (a, _b, ia, _) = topo();
    let spec = format!("netns:{}", a.name);
    let mine = ours(&spec, &["ip", "link", "--dev", &ia]);
    let peer = json(&a.ip(&["-j", "-s", "link", "show", "dev", &ia]));
    let (m, p) = (&mine[0], &peer[0]);
    for (ours_k, dir, k) in [
        ("rx_bytes", "rx", "bytes"),
        ("rx_packets", "rx", "packets"),
        ("rx_errors", "rx", "errors"),
        ("rx_dropped", "rx", "dropped"),
        ("tx_bytes", "tx", "bytes"),
        ("tx_packets", "tx", "packets"),
        ("tx_errors", "tx", "errors"),
        ("tx_dropped", "tx", "dropped"),
    ] {
        assert_eq!(m["stats"][ours_k], p["stats64"][dir][k], "{ours_k}");
    }
    assert_eq!(m["link_index"], p["link_index"]);
    assert_eq!(m["link_netnsid"], p["link_netnsid"]);
}

#[test]
fn routes_agree_with_ip_j_route() {
    require_root!();
    let (a, b, _, _) = topo();
    for (ns, fam) in [(&b, "-4"), (&a, "-6"), (&a, "-4")] {
        let spec = format!("netns:{}", ns.name);
        let mine = ours(&spec, &["ip", fam, "route"]);
        let peer = json(&ns.ip(&["-j", fam, "route"]));
        let key =
            |dst: String,
             gw: String,
             dev: String,
             proto: String,
             scope: String,
             src: String,
             metric: String,
             kind: String| { (dst, gw, dev, proto, scope, src, metric, kind) };
        let m: BTreeSet<_> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                key(
                    s(&r["dst"]),
                    s(&r["gateway"]),
                    s(&r["dev"]),
                    s(&r["protocol"]),
                    s(&r["scope"]),
                    s(&r["prefsrc"]),
                    s(&r["metric"]),
                    s(&r["kind"]),
                )
            })
            .collect();
        let p: BTreeSet<_> = peer
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let proto = s(&r["protocol"]);
                key(
                    s(&r["dst"]),
                    s(&r["gateway"]),
                    s(&r["dev"]),
                    if proto == "boot" {
                        String::new()
                    } else {
                        proto
                    },
                    s(&r["scope"]),
                    s(&r["prefsrc"]),
                    s(&r["metric"]),
                    s(&r["type"]),
                )
            })
            .collect();
        assert_eq!(m, p, "{} {fam}", ns.name);
        assert!(!m.is_empty());
    }
    // The text form reads like iproute2's.
    let o = NETSHOOT.run(&["-t", &format!("netns:{}", b.name), "ip", "route"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("default via 10.61.0.1 dev "), "{text}");
    assert!(text.contains("blackhole 10.63.0.0/16"), "{text}");
    assert!(
        text.contains("10.62.0.0/16 via 10.61.0.1 dev") && text.contains("metric 50"),
        "{text}"
    );
}

#[test]
fn route_get_agrees_with_ip_route_get() {
    require_root!();
    let (a, b, _, _) = topo();
    let spec_b = format!("netns:{}", b.name);
    for dst in ["10.61.0.1", "10.62.3.4", "10.64.5.5", "10.61.0.2"] {
        let mine = ours(&spec_b, &["ip", "route", "get", dst]);
        let peer = json(&b.ip(&["-j", "route", "get", dst]));
        let p = &peer[0];
        assert_eq!(s(&mine["dst"]), s(&p["dst"]), "{dst}");
        assert_eq!(s(&mine["gateway"]), s(&p["gateway"]), "{dst}");
        assert_eq!(s(&mine["dev"]), s(&p["dev"]), "{dst}");
        assert_eq!(s(&mine["prefsrc"]), s(&p["prefsrc"]), "{dst}");
        assert_eq!(s(&mine["kind"]), s(&p["type"]), "{dst}");
    }
    // Namespace a has no default route: both say network unreachable.
    let o = NETSHOOT.run(&[
        "-t",
        &format!("netns:{}", a.name),
        "ip",
        "route",
        "get",
        "10.99.1.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("no route to 10.99.1.1: network unreachable"),
        "{e}"
    );
    let p = a.exec(&["sh", "-c", "ip route get 10.99.1.1 2>&1 || true"]);
    assert!(p.contains("Network is unreachable"), "{p}");
    // A name that is no address: one line naming the fix.
    let o = NETSHOOT.run(&[
        "-t",
        &format!("netns:{}", a.name),
        "ip",
        "route",
        "get",
        "nosuchhost",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give an IPv4 or IPv6 address"));
}

#[test]
fn neighbour_states_agree_with_ip_j_neigh() {
    require_root!();
    let (_a, b, _, ib) = topo();
    for (i, st) in [
        "permanent",
        "stale",
        "reachable",
        "failed",
        "incomplete",
        "probe",
    ]
    .iter()
    .enumerate()
    {
        let ip = format!("10.61.0.{}", 10 + i);
        if matches!(*st, "failed" | "incomplete") {
            b.ip(&["neigh", "replace", &ip, "dev", &ib, "nud", st]);
        } else {
            b.ip(&[
                "neigh",
                "replace",
                &ip,
                "lladdr",
                "02:00:00:00:00:0a",
                "dev",
                &ib,
                "nud",
                st,
            ]);
        }
    }
    let spec = format!("netns:{}", b.name);
    let mine = ours(&spec, &["ip", "neigh"]);
    let peer = json(&b.ip(&["-j", "neigh"]));
    let m: BTreeSet<(String, String, String)> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !matches!(s(&n["state"]).as_str(), "REACHABLE" | "PROBE" | "DELAY"))
        .map(|n| (s(&n["dst"]), s(&n["lladdr"]), s(&n["state"])))
        .collect();
    let p: BTreeSet<(String, String, String)> = peer
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (s(&n["dst"]), s(&n["lladdr"]), s(&n["state"][0])))
        .filter(|(_, _, st)| !matches!(st.as_str(), "REACHABLE" | "PROBE" | "DELAY"))
        .collect();
    assert_eq!(m, p);
    let states: BTreeSet<&str> = m.iter().map(|x| x.2.as_str()).collect();
    for want in ["PERMANENT", "STALE", "FAILED", "INCOMPLETE"] {
        assert!(states.contains(want), "{want} missing: {states:?}");
    }
    // Unknown interface: one line naming the interfaces there are.
    let o = NETSHOOT.run(&["-t", &spec, "ip", "neigh", "--dev", "nope0"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("no interface 'nope0'") && e.contains(&ib), "{e}");
}

#[test]
fn veth_peers_are_found_both_ways_between_namespaces_and_the_host() {
    require_root!();
    let (a, b, ia, ib) = topo();
    let mine = ours(&format!("netns:{}", a.name), &["ip", "link", "--dev", &ia]);
    let peer = &mine[0]["peer"];
    assert_eq!(peer["name"], ib.as_str());
    assert_eq!(peer["target"], format!("netns:{}", b.name));
    // A veth with its other end on the host.
    let h = Netns::new("ih");
    let (host_end, ns_end, _g) = veth_pair((None, None), (Some(&h), None));
    let mine = ours(
        &format!("netns:{}", h.name),
        &["ip", "link", "--dev", &ns_end],
    );
    assert_eq!(mine[0]["peer"]["name"], host_end.as_str());
    assert_eq!(mine[0]["peer"]["target"], "host");
    let mine = ours("host", &["ip", "link", "--dev", &host_end]);
    assert_eq!(mine[0]["peer"]["name"], ns_end.as_str());
    assert_eq!(mine[0]["peer"]["target"], format!("netns:{}", h.name));
    assert_eq!(
        mine[0]["index"],
        json(&run(&["ip", "-j", "link", "show", &host_end]))[0]["ifindex"]
    );
}

/// For every interface of `container`, its host-side peer per `ip -j link` on the host.
fn host_peers_of(container: &str) -> Vec<(String, String)> {
    let pid = netshoot_testnet::docker::inspect(container)["State"]["Pid"]
        .as_u64()
        .unwrap();
    let inside = json(&run(&[
        "nsenter",
        &format!("--net=/proc/{pid}/ns/net"),
        "ip",
        "-j",
        "link",
    ]));
    let host = json(&run(&["ip", "-j", "link"]));
    inside
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["link_index"].is_u64())
        .map(|l| {
            let h = host
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["ifindex"] == l["link_index"] && h["link_index"] == l["ifindex"])
                .unwrap_or_else(|| panic!("no host peer for {l}"));
            (s(&l["ifname"]), s(&h["ifname"]))
        })
        .collect()
}

#[test]
fn veth_peers_of_containers_on_two_user_networks() {
    require_docker!();
    let n1 = DockerNet::new("bridge", &[]);
    let n2 = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &n1.name, test_image(), "sleep", "infinity"],
    );
    run(&["docker", "network", "connect", &n2.name, &web.name]);
    let expected = host_peers_of(&web.name);
    assert_eq!(expected.len(), 2, "{expected:?}");
    let mine = ours(&web.name, &["ip", "link"]);
    for (inside, host_if) in &expected {
        let m = mine
            .as_array()
            .unwrap()
            .iter()
            .find(|l| s(&l["name"]) == *inside)
            .unwrap();
        assert_eq!(s(&m["peer"]["name"]), *host_if);
        assert_eq!(m["peer"]["target"], "host");
        // And from the host: that veth belongs to the container.
        let h = ours("host", &["ip", "link", "--dev", host_if]);
        assert_eq!(s(&h[0]["peer"]["name"]), *inside);
        assert_eq!(h[0]["peer"]["target"], format!("container:{}", web.name));
        // The host end is a port of the network's bridge.
        assert!(h[0]["master"].is_u64(), "{h:#}");
    }
    // Each container interface carries the address docker inspect reports.
    let nets = &netshoot_testnet::docker::inspect(&web.name)["NetworkSettings"]["Networks"];
    let addrs = ours(&web.name, &["ip", "addr"]);
    for net in [&n1.name, &n2.name] {
        let ip = s(&nets[net]["IPAddress"]);
        assert!(
            addrs.to_string().contains(&format!("\"{ip}\"")),
            "{ip} missing"
        );
    }
}

#[test]
fn veth_peers_of_the_overlay_namespace_are_its_containers() {
    require_docker!();
    ensure_swarm();
    let ov = DockerNet::new("overlay", &["--attachable"]);
    let c = Container::run(
        "ovp",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    let spec = format!("network:{}", ov.name);
    let mine = ours(&spec, &["ip", "link"]);
    let veths: Vec<&Value> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "veth")
        .collect();
    assert!(!veths.is_empty(), "{mine:#}");
    // One of them leads into the container, to the interface on the overlay network.
    let pid = c.pid();
    let inside = json(&run(&[
        "nsenter",
        &format!("--net=/proc/{pid}/ns/net"),
        "ip",
        "-j",
        "link",
    ]));
    let hit = veths
        .iter()
        .find(|v| v["peer"]["target"] == format!("container:{}", c.name))
        .unwrap_or_else(|| panic!("no overlay veth leads to {}: {mine:#}", c.name));
    let name = s(&hit["peer"]["name"]);
    let l = inside
        .as_array()
        .unwrap()
        .iter()
        .find(|l| s(&l["ifname"]) == name)
        .unwrap_or_else(|| panic!("{name} not in the container"));
    assert_eq!(l["ifindex"], hit["link_index"]);
    assert_eq!(l["link_index"], hit["index"]);
}

#[test]
fn an_unknown_interface_is_one_line_and_exit_2() {
    require_root!();
    let (a, _b, ia, _) = topo();
    let spec = format!("netns:{}", a.name);
    for what in ["addr", "link", "neigh"] {
        let o = NETSHOOT.run(&["-t", &spec, "ip", what, "--dev", "nosuch0"]);
        assert_eq!(o.status.code(), Some(2), "{what}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(
            e.contains("no interface 'nosuch0'") && e.contains(&ia),
            "{e}"
        );
    }
}
