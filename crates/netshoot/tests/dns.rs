//! `dns` against dig: a local authoritative server (nsd) in a namespace, and Docker's embedded
//! DNS from inside containers (root; Docker for the last tests).

use std::collections::BTreeSet;
use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::docker::{
    ensure_swarm, require_docker, test_image, Container, DockerNet, Service,
};
use netshoot_testnet::fixtures::Auth;
use netshoot_testnet::{require_root, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn auth(resolv: &str) -> Auth {
    Auth::start("dns", resolv)
}

/// (name, ttl, class, type, data) of dig's answer section.
fn dig_answers(ns: &Netns, args: &[&str]) -> BTreeSet<(String, u64, String, String, String)> {
    let mut v = vec!["dig", "+norec", "+noall", "+answer"];
    v.extend_from_slice(args);
    ns.exec(&v)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .map(|l| {
            let mut f = l.split_whitespace();
            let name = f.next().unwrap().to_string();
            let ttl = f.next().unwrap().parse().unwrap();
            let class = f.next().unwrap().to_string();
            let rtype = f.next().unwrap().to_string();
            let data = f.collect::<Vec<_>>().join(" ");
            (name, ttl, class, rtype, data)
        })
        .collect()
}

fn our_answers(v: &Value) -> BTreeSet<(String, u64, String, String, String)> {
    v["answer"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["ttl"].as_u64().unwrap(),
                r["class"].as_str().unwrap().to_string(),
                r["rtype"].as_str().unwrap().to_string(),
                r["data"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ours(spec: &str, args: &[&str]) -> (i32, Value) {
    let mut v = vec!["-t", spec, "--json", "dns"];
    v.extend_from_slice(args);
    NETSHOOT.json(&v)
}

#[test]
fn answers_equal_digs_for_every_type_over_udp_and_tcp() {
    require_root!();
    let a = auth("nameserver 10.55.0.1\n");
    let spec = format!("netns:{}", a.ns.name);
    for (name, t) in [
        ("web.example.test", "A"),
        ("web.example.test", "AAAA"),
        ("www.example.test", "CNAME"),
        ("www.example.test", "A"),
        ("example.test", "MX"),
        ("example.test", "NS"),
        ("example.test", "SOA"),
        ("_http._tcp.example.test", "SRV"),
        ("example.test", "TXT"),
        ("example.test", "CAA"),
        ("10.0.55.10.in-addr.arpa", "PTR"),
    ] {
        for tcp in [false, true] {
            let mut ours_args = vec![name, t, "@10.55.0.1"];
            let mut dig_args = vec!["@10.55.0.1", name, t];
            if tcp {
                ours_args.push("+tcp");
                dig_args.push("+tcp");
            }
            let (code, v) = ours(&spec, &ours_args);
            assert_eq!(code, 0, "{name} {t}: {v:#}");
            let peer = dig_answers(&a.ns, &dig_args);
            assert!(!peer.is_empty(), "dig got nothing for {name} {t}");
            assert_eq!(our_answers(&v), peer, "{name} {t} tcp={tcp}");
            assert_eq!(v["answer"]["transport"], if tcp { "tcp" } else { "udp" });
            assert!(v["answer"]["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "aa"));
        }
    }
    // -x builds the reverse name as dig -x does.
    let (code, v) = ours(&spec, &["-x", "10.55.0.10", "@10.55.0.1"]);
    assert_eq!(code, 0);
    assert_eq!(
        our_answers(&v),
        dig_answers(&a.ns, &["@10.55.0.1", "-x", "10.55.0.10"])
    );
    // +short prints the data only, like dig +short.
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "dns",
        "example.test",
        "MX",
        "@10.55.0.1",
        "+short",
    ]);
    let mut lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    let mut peer: Vec<String> =
        a.ns.exec(&[
            "dig",
            "+norec",
            "+short",
            "@10.55.0.1",
            "example.test",
            "MX",
        ])
        .lines()
        .map(String::from)
        .collect();
    peer.sort();
    assert_eq!(lines, peer);
}

#[test]
fn defaults_come_from_the_targets_resolv_conf_with_its_search_list() {
    require_root!();
    let a = auth("search nowhere.test example.test\nnameserver 10.55.0.1\noptions ndots:1\n");
    let spec = format!("netns:{}", a.ns.name);
    let (code, v) = ours(&spec, &["web"]);
    assert_eq!(code, 0, "{v:#}");
    let tried: Vec<(String, String)> = v["tried"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // nsd is not authoritative for nowhere.test: it refuses; the second name answers.
    assert_eq!(tried[0].0, "web.nowhere.test.");
    assert_eq!(tried.last().unwrap().0, "web.example.test.");
    assert_eq!(tried.last().unwrap().1, "NOERROR");
    assert_eq!(v["answer"]["server"], "10.55.0.1:53");
    assert_eq!(
        our_answers(&v),
        dig_answers(&a.ns, &["@10.55.0.1", "web.example.test", "A"])
    );
    // The text output shows the names tried.
    let o = NETSHOOT.run(&["-t", &spec, "dns", "web"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains(";; tried web.nowhere.test. A @10.55.0.1: REFUSED"),
        "{t}"
    );
    assert!(
        t.contains("status: NOERROR") && t.contains("10.55.0.11"),
        "{t}"
    );
}

#[test]
fn failures_exit_1_and_bad_input_exits_2() {
    require_root!();
    let a = auth("nameserver 10.55.0.1\n");
    let spec = format!("netns:{}", a.ns.name);
    let (code, v) = ours(&spec, &["nope.example.test", "@10.55.0.1"]);
    assert_eq!(code, 1);
    assert_eq!(v["answer"]["rcode"], "NXDOMAIN");
    // Nothing listens on 10.55.0.1:5353: ICMP port unreachable, said as such.
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "dns",
        "web.example.test",
        "@10.55.0.1",
        "-p",
        "5353",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("connection refused (nothing listens on the DNS port there)"),
        "{e}"
    );
    for (args, needle) in [
        (
            vec!["web.example.test", "BOGUS"],
            "unknown record type 'BOGUS'",
        ),
        (
            vec!["web.example.test", "@not-an-ip"],
            "bad server '@not-an-ip'",
        ),
        (
            vec!["web.example.test", "+frobnicate"],
            "unknown option '+frobnicate'",
        ),
        (vec!["10.55.0.10"], "use -x 10.55.0.10"),
    ] {
        let mut v = vec!["-t", spec.as_str(), "dns"];
        v.extend_from_slice(&args);
        let o = NETSHOOT.run(&v);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains(needle) && e.trim_end().lines().count() == 1,
            "{args:?}: {e}"
        );
    }
}

fn embedded(container: &str, name: &str) -> BTreeSet<String> {
    // dig itself runs inside the container's namespace (the host's dig, via exec).
    let o = NETSHOOT.run(&[
        "-t",
        container,
        "exec",
        "--",
        "dig",
        "+short",
        "@127.0.0.11",
        name,
    ]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn embedded_docker_dns_names_and_aliases_agree_with_dig() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let db = Container::run(
        "db",
        &[
            "--network",
            &net.name,
            "--network-alias",
            "database",
            test_image(),
            "sleep",
            "infinity",
        ],
    );
    for name in [db.name.as_str(), "database", web.name.as_str()] {
        let (code, v) = ours(&web.name, &[name]);
        assert_eq!(code, 0, "{name}: {v:#}");
        assert_eq!(
            v["answer"]["server"], "127.0.0.11:53",
            "the embedded DNS answered"
        );
        let got: BTreeSet<String> = v["answer"]["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"].as_str().unwrap().to_string())
            .collect();
        let peer = embedded(&web.name, name);
        assert!(!peer.is_empty());
        assert_eq!(got, peer, "{name}");
    }
    let ip = netshoot_testnet::docker::inspect(&db.name)["NetworkSettings"]["Networks"][&net.name]
        ["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = ours(&web.name, &["database"]);
    assert!(v.to_string().contains(&ip));
}

#[test]
fn tasks_of_a_swarm_service_agree_with_dig() {
    require_docker!();
    ensure_swarm();
    let net = DockerNet::new("overlay", &["--attachable"]);
    let s = Service::create(&[
        "--replicas",
        "2",
        "--endpoint-mode",
        "dnsrr",
        "--network",
        &net.name,
        test_image(),
        "sleep",
        "infinity",
    ]);
    let svc = &s.name;
    let c = Container::run(
        "cli",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let name = format!("tasks.{svc}");
    // Wait until both tasks run and are in the embedded DNS.
    let mut peer = BTreeSet::new();
    for _ in 0..150 {
        peer = embedded(&c.name, &name);
        if peer.len() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(peer.len(), 2, "two tasks never appeared in DNS");
    let (code, v) = ours(&c.name, &[&name, "+short"]);
    assert_eq!(code, 0);
    let got: BTreeSet<String> = v["answer"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, peer);
}
