//! `trace` against `traceroute -n` over a chain of three router namespaces: UDP, ICMP (-I) and
//! TCP SYN (-T), the report mode, and an unreachable end (root).

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{require_root, run, wire, Child, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// client 10.91.1.2 — r1 — r2 — r3 — server 10.91.4.2 (each link a /24), with a TCP
/// listener on 80 at the server. Every test builds its own chain: routers rate-limit ICMP
/// errors per source, so chains are not shared.
struct Chain {
    client: Netns,
    _routers: Vec<Netns>,
    _server: Netns,
    _web: Child,
}

fn chain() -> Chain {
    require_root();
    let c = Netns::new("tc");
    let r: Vec<Netns> = (0..3).map(|_| Netns::new("tr")).collect();
    let s = Netns::new("ts");
    wire(&c, "10.91.1.2/24", &r[0], "10.91.1.1/24");
    wire(&r[0], "10.91.2.1/24", &r[1], "10.91.2.2/24");
    wire(&r[1], "10.91.3.1/24", &r[2], "10.91.3.2/24");
    wire(&r[2], "10.91.4.1/24", &s, "10.91.4.2/24");
    for ns in r.iter().chain([&c, &s]) {
        ns.ip(&["link", "set", "lo", "up"]);
        ns.sh("sysctl -qw net.ipv4.ip_forward=1");
    }
    c.ip(&["route", "add", "default", "via", "10.91.1.1"]);
    r[0].ip(&["route", "add", "default", "via", "10.91.2.2"]);
    r[1].ip(&["route", "add", "10.91.1.0/24", "via", "10.91.2.1"]);
    r[1].ip(&["route", "add", "10.91.4.0/24", "via", "10.91.3.2"]);
    r[2].ip(&["route", "add", "default", "via", "10.91.3.1"]);
    s.ip(&["route", "add", "default", "via", "10.91.4.1"]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    let web = s.spawn(&["socat", "TCP-LISTEN:80,fork,reuseaddr", "OPEN:/dev/null"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    Chain {
        client: c,
        _routers: r,
        _server: s,
        _web: web,
    }
}

/// `netshoot -t netns:CLIENT --json ARGS…`, which must succeed, as JSON.
fn json_of(client: &Netns, args: &[&str]) -> serde_json::Value {
    let spec = format!("netns:{}", client.name);
    let o = NETSHOOT.run(&[&["-t", spec.as_str(), "--json"][..], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The first address of each hop line (`*` when none), from either tool.
fn hops(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .map(|a| {
                    if a == "*" {
                        "*".to_string()
                    } else {
                        a.to_string()
                    }
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `traceroute -n -q 1 FLAGS 10.91.4.2` in the client namespace.
fn traceroute(client: &Netns, flags: &[&str]) -> String {
    let mut t = vec![
        "ip",
        "netns",
        "exec",
        &client.name,
        "traceroute",
        "-n",
        "-q",
        "1",
    ];
    t.extend_from_slice(flags);
    t.push("10.91.4.2");
    run(&t)
}

fn compare(flags: &[&str]) {
    let ch = chain();
    let spec = format!("netns:{}", ch.client.name);
    let mut v = vec!["-t", spec.as_str(), "trace", "-n", "-q", "1"];
    v.extend_from_slice(flags);
    v.push("10.91.4.2");
    let o = NETSHOOT.run(&v);
    let ours = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{ours}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let theirs = traceroute(&ch.client, flags);
    assert_eq!(
        hops(&ours),
        hops(&theirs),
        "ours:\n{ours}\ntraceroute:\n{theirs}"
    );
    assert_eq!(
        hops(&ours),
        ["10.91.1.1", "10.91.2.2", "10.91.3.2", "10.91.4.2"]
    );
}

#[test]
fn udp_hops_agree_with_traceroute() {
    require_root!();
    compare(&[]);
}

#[test]
fn icmp_hops_agree_with_traceroute_i() {
    require_root!();
    compare(&["-I"]);
}

#[test]
fn tcp_syn_hops_agree_with_traceroute_t() {
    require_root!();
    compare(&["-T", "-p", "80"]);
}

#[test]
fn report_mode_counts_every_hop() {
    require_root!();
    let ch = chain();
    let v = json_of(
        &ch.client,
        &["trace", "--report", "-c", "3", "-I", "10.91.4.2"],
    );
    let hosts: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["10.91.1.1", "10.91.2.2", "10.91.3.2", "10.91.4.2"]);
    for h in v.as_array().unwrap() {
        assert_eq!(h["sent"], 3);
        assert_eq!(h["loss_pct"], 0.0);
    }
}

#[test]
fn a_dropped_path_ends_in_stars_and_exit_1() {
    require_root!();
    let ch = chain();
    ch._routers[1].sh("iptables -A FORWARD -d 10.91.4.0/24 -j DROP");
    let spec = format!("netns:{}", ch.client.name);
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "trace",
        "-I",
        "-q",
        "1",
        "-m",
        "5",
        "-w",
        "0.3",
        "10.91.4.2",
    ]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert_eq!(hops(&s), ["10.91.1.1", "10.91.2.2", "*", "*", "*"], "{s}");
}

/// `trace --json`: one report with every hop, each probe's answer, its ICMP message (time
/// exceeded from the routers, port unreachable from the destination) and `reached`.
#[test]
fn json_report_has_every_hop_and_its_icmp_message() {
    require_root!();
    let ch = chain();
    let v = json_of(&ch.client, &["trace", "-q", "2", "-w", "1", "10.91.4.2"]);
    assert_eq!(v["host"], "10.91.4.2");
    assert_eq!(v["address"], "10.91.4.2");
    assert_eq!(v["method"], "udp");
    assert_eq!(v["port"], 33434);
    assert_eq!(v["reached"], true);
    let hops = v["hops"].as_array().unwrap();
    let froms: Vec<&str> = hops
        .iter()
        .map(|h| h["probes"][0]["from"].as_str().unwrap_or("*"))
        .collect();
    assert_eq!(froms, ["10.91.1.1", "10.91.2.2", "10.91.3.2", "10.91.4.2"]);
    for (i, h) in hops.iter().enumerate() {
        assert_eq!(h["ttl"], i + 1);
        let probes = h["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 2, "{h}");
        for p in probes {
            assert!(p["rtt_ms"].as_f64().unwrap() > 0.0, "{p}");
            let last = i == hops.len() - 1;
            let (t, c) = if last { (3, 3) } else { (11, 0) };
            assert_eq!(p["icmp"]["type"], t, "{p}");
            assert_eq!(p["icmp"]["code"], c, "{p}");
            let words = if last {
                "port unreachable"
            } else {
                "TTL exceeded in transit"
            };
            assert_eq!(p["icmp"]["meaning"], words, "{p}");
            assert_eq!(p["reached"], last, "{p}");
        }
    }
}

/// A router that rejects with host-unreachable: the trace ends there with traceroute's `!H`,
/// in the text line (as traceroute's) and in the JSON (ICMP 3/1), with the same exit status.
#[test]
fn a_rejected_path_ends_in_the_icmp_unreachable_in_text_and_json() {
    require_root!();
    let ch = chain();
    ch._routers[1]
        .sh("iptables -A FORWARD -d 10.91.4.0/24 -j REJECT --reject-with icmp-host-unreachable");
    let spec = format!("netns:{}", ch.client.name);
    let base = ["-t", spec.as_str(), "trace", "-n", "-q", "1", "-m", "5"];
    let text = NETSHOOT.run(&[&base[..], &["10.91.4.2"]].concat());
    let s = String::from_utf8_lossy(&text.stdout);
    // TTL 2 expires at the router; TTL 3 passes its TTL check and is rejected in FORWARD.
    let last = s.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(" 3  10.91.2.2 ") && last.ends_with(" ms !H"),
        "{s}"
    );
    let theirs = traceroute(&ch.client, &["-m", "5"]);
    assert_eq!(hops(&s), hops(&theirs), "ours:\n{s}\ntraceroute:\n{theirs}");
    assert!(theirs.trim_end().ends_with("!H"), "{theirs}");
    let o = NETSHOOT.run(&[&base[..], &["--json", "10.91.4.2"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), text.status.code());
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 3, "{v}");
    let p = &hops[2]["probes"][0];
    assert_eq!(p["from"], "10.91.2.2");
    assert_eq!(p["flag"], "!H");
    assert_eq!(
        (p["icmp"]["type"].as_u64(), p["icmp"]["code"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(p["icmp"]["meaning"], "host unreachable", "{p}");
}

/// `-w` and `-z` go through the one seconds() of the command line: 1e20, inf and NaN are one line
/// and exit 2 (they panicked in Duration::from_secs_f64), before any probe leaves.
#[test]
fn huge_waits_are_one_line_not_a_panic() {
    require_root!();
    let c = Netns::new("tw");
    let spec = format!("netns:{}", c.name);
    for args in [["-w", "1e20"], ["-w", "0"], ["-z", "inf"], ["-z", "NaN"]] {
        let mut v = vec!["-t", spec.as_str(), "trace"];
        v.extend_from_slice(&args);
        v.push("127.0.0.1");
        let o = NETSHOOT.run(&v);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(args[0]), "{args:?}: {e}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}
