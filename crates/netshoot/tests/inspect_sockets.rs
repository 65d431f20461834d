//! `sockets` (ss) against iproute2's `ss` on the same namespace: TCP listeners and established
//! connections (IPv4, dual-stack IPv6), UDP, raw and unix sockets, owning processes, state and
//! port filters (root).

use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{require_root, run, Child, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Our text rows, whitespace-split, header dropped, sorted.
fn ours(ns: &Netns, args: &[&str]) -> Vec<Vec<String>> {
    let spec = format!("netns:{}", ns.name);
    let mut v = vec!["-t", spec.as_str(), "sockets"];
    v.extend_from_slice(args);
    rows(NETSHOOT.ok_text(&v).lines().skip(1))
}

/// ss's rows (`-H`: no header), sorted.
fn peer(ns: &Netns, args: &[&str]) -> Vec<Vec<String>> {
    let mut v = vec!["ss", "-H"];
    v.extend_from_slice(args);
    rows(ns.exec(&v).lines())
}

fn rows<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect();
    v.sort();
    v
}

/// A namespace with TCP listeners (127.0.0.1, dual-stack ::, v6-only ::1), two established
/// connections, a UDP receiver, a unix listener with a client, and a pinger's raw sockets.
fn busy() -> (Netns, Vec<Child>) {
    require_root();
    let ns = Netns::new("sk");
    ns.ip(&["link", "set", "lo", "up"]);
    let sock = format!("/tmp/{}.sock", ns.name);
    let mut kids = vec![
        ns.spawn(&[
            "socat",
            "TCP4-LISTEN:7101,bind=127.0.0.1,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "socat",
            "TCP6-LISTEN:7102,ipv6only=0,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "socat",
            "TCP6-LISTEN:7103,bind=[::1],ipv6only=1,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&["socat", "UDP4-RECV:7104,bind=127.0.0.1", "-"]),
        ns.spawn(&["socat", &format!("UNIX-LISTEN:{sock},fork"), "SYSTEM:cat"]),
        ns.spawn(&["ping", "-q", "-i", "0.5", "127.0.0.1"]),
    ];
    std::thread::sleep(Duration::from_millis(500));
    kids.push(ns.spawn(&["sh", "-c", "sleep 60 | socat - TCP4:127.0.0.1:7101"]));
    kids.push(ns.spawn(&["sh", "-c", "sleep 60 | socat - TCP6:[::1]:7102"]));
    kids.push(ns.spawn(&[
        "sh",
        "-c",
        &format!("sleep 60 | socat - UNIX-CONNECT:{sock}"),
    ]));
    // Until every connection is up (both sides of three connections, forks included).
    for _ in 0..50 {
        let n = ns
            .exec(&["ss", "-Htn", "state", "established"])
            .lines()
            .count();
        if n >= 4 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (ns, kids)
}

#[test]
fn tcp_agrees_with_ss_tan() {
    require_root!();
    let (ns, _k) = busy();
    let want = peer(&ns, &["-tan"]);
    assert!(want.len() >= 7, "{want:?}");
    assert_eq!(ours(&ns, &["-tan"]), want);
    // Connected only (ss's default), and listening only.
    assert_eq!(ours(&ns, &["-tn"]), peer(&ns, &["-tn"]));
    assert_eq!(ours(&ns, &["-tln"]), peer(&ns, &["-tln"]));
}

#[test]
fn listeners_with_processes_agree_with_ss_tulpn() {
    require_root!();
    let (ns, _k) = busy();
    let want = peer(&ns, &["-tulpn"]);
    assert!(
        want.iter()
            .any(|r| r.iter().any(|c| c.contains("\"socat\""))),
        "{want:?}"
    );
    assert_eq!(ours(&ns, &["-tulpn"]), want);
}

#[test]
fn state_and_port_filters_agree_with_ss() {
    require_root!();
    let (ns, _k) = busy();
    for f in [
        &["-tan", "state", "established"][..],
        &["-tan", "state", "listening"],
        &["-tan", "sport", "=", ":7101"],
        &["-tan", "( dport = :7102 )"],
        &["-tan", "state", "connected", "exclude", "time-wait"],
        &["-tan", "sport", ">=", ":7102"],
        &["-tan", "( dport = :7101 or sport = :7101 )"],
        &["-tan", "not", "sport", "=", ":7101"],
        &["-tan", "dst", "127.0.0.1"],
        &["-tan", "src", "[::1]:7103", "or", "src", "127.0.0.0/8"],
    ] {
        assert_eq!(ours(&ns, f), peer(&ns, f), "{f:?}");
    }
}

#[test]
fn unix_and_raw_agree_with_ss() {
    require_root!();
    let (ns, _k) = busy();
    let want = peer(&ns, &["-xanp"]);
    assert!(
        want.iter().any(|r| r.iter().any(|c| c.ends_with(".sock"))),
        "{want:?}"
    );
    assert_eq!(ours(&ns, &["-xanp"]), want);
    let want = peer(&ns, &["-wanp"]);
    assert!(!want.is_empty(), "ping holds a raw socket");
    assert_eq!(ours(&ns, &["-wanp"]), want);
}

#[test]
fn json_names_every_field() {
    require_root!();
    let (ns, _k) = busy();
    let spec = format!("netns:{}", ns.name);
    let o = NETSHOOT.run(&["-t", &spec, "ss", "-tlp", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = v["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["local_port"] == 7101)
        .cloned()
        .expect("listener on 7101");
    assert_eq!(s["state"], "LISTEN");
    assert_eq!(s["proto"], "tcp");
    assert_eq!(s["local"], "127.0.0.1");
    assert_eq!(s["processes"][0]["command"], "socat");
}

#[test]
fn a_bad_filter_is_one_line_and_exit_2() {
    for f in [
        &["ss", "state", "bogus"][..],
        &["ss", "sport", "=", ":70000"],
        &["ss", "src", "nosuch.example"],
        &["ss", "(", "dport", "=", ":80"],
    ] {
        let o = NETSHOOT.run(f);
        assert_eq!(o.status.code(), Some(2), "{f:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
    // Ten thousand nested parentheses or `not`s: a one-line error, not a stack overflow.
    let deep_parens = "(".repeat(10_000) + "sport = :1" + &")".repeat(10_000);
    let deep_nots = "not ".repeat(10_000) + "sport = :1";
    for deep in [deep_parens, deep_nots] {
        let o = NETSHOOT.run(&["ss", "-t", &deep]);
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(e.contains("nest deeper than"), "{e}");
    }
    let _ = run(&["true"]);
}
