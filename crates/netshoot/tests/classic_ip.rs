//! The classic names `ip`, `bridge` and `brctl` against iproute2 6.1 and bridge-utils on the
//! same namespace: each command line runs through a link named after the tool (inside the
//! namespace, as `ip netns exec NS ip …` runs the peer) and as `netshoot -t netns:NS NAME …`,
//! and the text must equal the peer's (root).

use std::process::{Command, Output};

use netshoot_testnet::cli::json;
use netshoot_testnet::fixtures;
use netshoot_testnet::{require_root, Links, Netns};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The peer tool inside the namespace.
fn peer(ns: &Netns, tool: &str, args: &[&str]) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", &ns.name, tool])
        .args(args)
        .output()
        .expect("run the peer");
    assert!(o.status.success(), "{tool} {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Ours through the link, inside the namespace.
fn via_link(ns: &Netns, links: &Links, tool: &str, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", &ns.name, &links.path(tool)])
        .args(args)
        .output()
        .expect("run our link")
}

/// Ours as `netshoot -t netns:NS TOOL ARGS`.
fn via_netshoot(ns: &Netns, tool: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &format!("netns:{}", ns.name), tool])
        .args(args)
        .output()
        .expect("run netshoot")
}

/// Both of our doors print exactly what the peer prints. Counters and timers may move between
/// runs, so a mismatch is retried a few times with fresh runs of all three (a real difference
/// stays).
fn same_text(ns: &Netns, links: &Links, tool: &str, args: &[&str], norm: fn(&str) -> String) {
    let mut last = String::new();
    for _ in 0..5 {
        let p1 = norm(&peer(ns, tool, args));
        let a = via_link(ns, links, tool, args);
        let b = via_netshoot(ns, tool, args);
        let p2 = norm(&peer(ns, tool, args));
        assert!(a.status.success(), "{tool} {args:?}: {}", text(&a));
        assert!(b.status.success(), "netshoot {tool} {args:?}: {}", text(&b));
        let (a, b) = (
            norm(&String::from_utf8_lossy(&a.stdout)),
            norm(&String::from_utf8_lossy(&b.stdout)),
        );
        if p1 == p2 && a == p1 && b == p1 {
            assert!(!p1.trim().is_empty(), "{tool} {args:?} printed nothing");
            return;
        }
        last = format!(
            "{tool} {args:?}\n--- peer\n{p1}--- ours (link)\n{a}--- ours (netshoot {tool})\n{b}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    panic!("differs from the peer:\n{last}");
}

fn as_is(s: &str) -> String {
    s.to_string()
}

/// A switch namespace: bridge br0 (10.71.0.254/24) with port p1 (a veth into namespace `a`)
/// and vxlan vx0; a same-namespace veth pair v1/v2 (v2 down, so v1 shows M-DOWN); addresses
/// with a label and a secondary on lo; routes via, blackhole, with metric, in table 100;
/// permanent and stale neighbours; static, vxlan and learned fdb entries. No DAD, so no address
/// changes state while the test runs.
fn switch() -> (Netns, Netns) {
    require_root();
    let sw = Netns::new("csw");
    let a = Netns::new("ca");
    for ns in [&sw, &a] {
        ns.sh("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
    }
    sw.ip(&["link", "add", "br0", "type", "bridge"]);
    sw.ip(&["link", "set", "br0", "up"]);
    sw.ip(&[
        "link", "add", "p1", "type", "veth", "peer", "name", "eth0", "netns", &a.name,
    ]);
    a.ip(&["addr", "add", "10.71.0.1/24", "dev", "eth0"]);
    a.ip(&["link", "set", "eth0", "address", "02:00:00:00:71:01", "up"]);
    sw.ip(&["link", "set", "p1", "master", "br0", "up"]);
    sw.ip(&["addr", "add", "10.71.0.254/24", "dev", "br0"]);
    sw.ip(&["-6", "addr", "add", "fd71::fe/64", "dev", "br0"]);
    sw.ip(&["addr", "add", "10.72.0.1/24", "dev", "lo"]);
    sw.ip(&["addr", "add", "10.72.0.5/24", "dev", "lo", "label", "lo:x"]);
    fixtures::vxlan_with_remotes(&sw);
    sw.ip(&["link", "set", "vx0", "master", "br0", "up"]);
    sw.ip(&["link", "add", "v1", "type", "veth", "peer", "name", "v2"]);
    sw.ip(&["link", "set", "v1", "up"]);
    sw.ip(&[
        "route",
        "add",
        "10.80.0.0/16",
        "via",
        "10.71.0.1",
        "metric",
        "50",
    ]);
    sw.ip(&["route", "add", "blackhole", "10.63.0.0/16"]);
    sw.ip(&[
        "route",
        "add",
        "default",
        "via",
        "10.71.0.1",
        "metric",
        "900",
    ]);
    sw.ip(&[
        "route",
        "add",
        "10.90.0.0/16",
        "via",
        "10.71.0.1",
        "table",
        "100",
    ]);
    sw.ip(&[
        "-6",
        "route",
        "add",
        "fd72::/64",
        "via",
        "fd71::1",
        "dev",
        "br0",
    ]);
    sw.ip(&[
        "neigh",
        "add",
        "10.71.0.9",
        "lladdr",
        "02:00:00:00:71:09",
        "dev",
        "br0",
        "nud",
        "permanent",
    ]);
    sw.ip(&[
        "neigh",
        "add",
        "fd71::9",
        "lladdr",
        "02:00:00:00:71:0a",
        "dev",
        "br0",
        "nud",
        "permanent",
    ]);
    sw.ip(&[
        "neigh",
        "add",
        "10.71.0.8",
        "lladdr",
        "02:00:00:00:71:08",
        "dev",
        "br0",
        "nud",
        "stale",
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
    (sw, a)
}

#[test]
fn ip_text_equals_iproute2() {
    require_root!();
    let (sw, _a) = switch();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for line in [
        "addr",
        "address show",
        "a s dev p1",
        "addr show br0",
        "-4 addr",
        "-6 addr",
        "-4 addr show dev lo",
        "link",
        "link show dev lo",
        "l show v1",
        "link show up",
        "link show master br0",
        "-br link show type veth",
        "-br link show type bridge_slave",
        "addr show type bridge",
        "-s link",
        "-s -s link show dev p1",
        "-s addr show dev br0",
        "-br link",
        "-br addr",
        "-br -4 addr",
        "route",
        "route show table all",
        "route show table local",
        "route show table 100",
        "route show dev br0",
        "route show default",
        "route show 10.80.0.0/16",
        "route show root 10.0.0.0/8",
        "route show match 10.80.1.1",
        "route show table all match 10.71.0.254",
        "-6 route show root fe80::/10",
        "-6 route",
        "-6 route show table all",
        "route get 10.71.0.1",
        "route get 10.80.1.2",
        "route get 10.72.0.5",
        "-6 route get fd72::5",
        "neigh",
        "-4 neigh",
        "-6 neigh",
        "neigh show dev br0",
        "neigh show nud all",
        "-6 neigh show nud all",
        "neigh show nud permanent nud stale",
        "-br neigh",
        "-s neigh",
        "-d route",
        "-d route show table all",
        "-d -6 route",
        "-s route get 10.71.0.1",
        "-d route get 10.71.0.1",
        "-o addr",
        "-o -4 addr show dev lo",
        "-o link",
        "-o -s link show dev lo",
        "-o route get 10.72.0.5",
        // JSON, byte for byte (the values are also compared as values below).
        "-j addr",
        "-j -p addr",
        "-j -p link",
        "-j -p route show table all",
        "-j -p neigh",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        // A cached route's age is a timer: whether it is shown is compared, not its seconds.
        let norm = if line.starts_with("-s route get") {
            any_age
        } else {
            as_is
        };
        same_text(&sw, &links, "ip", &args, norm);
    }
}

/// `age Nsec` with the seconds blanked.
fn any_age(s: &str) -> String {
    let words: Vec<&str> = s.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let after_age = i > 0 && words[i - 1] == "age";
        out.push(if after_age && w.ends_with("sec") {
            "Nsec"
        } else {
            w
        });
    }
    out.join(" ")
}

/// Values of a JSON document, key order aside.

#[test]
fn ip_j_equals_iproute2_as_values() {
    require_root!();
    let (sw, _a) = switch();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for line in [
        "-j addr",
        "-j -p addr",
        "-j -4 addr show dev lo",
        "-j -6 addr",
        "-j link",
        "-j -s link",
        "-j -br addr",
        "-j -br link",
        "-j route",
        "-j route show table all",
        "-j route get 10.71.0.1",
        "-j neigh",
        "-j -br neigh",
        "-j -d route show table all",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        let mut ok = false;
        let mut last = String::new();
        for _ in 0..5 {
            let p = json(&peer(&sw, "ip", &args));
            let a = via_link(&sw, &links, "ip", &args);
            let b = via_netshoot(&sw, "ip", &args);
            let (a, b) = (
                json(&String::from_utf8_lossy(&a.stdout)),
                json(&String::from_utf8_lossy(&b.stdout)),
            );
            if a == p && b == p {
                ok = true;
                break;
            }
            last = format!("{line}\npeer: {p}\nours: {a}\nnetshoot: {b}");
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        assert!(ok, "{last}");
    }
}

#[test]
fn ip_refuses_writes_unknown_objects_and_flags_on_one_line() {
    require_root!();
    let (sw, _a) = switch();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for line in [
        "link set lo down",
        "addr add 10.9.9.9/32 dev lo",
        "route add 10.9.0.0/16 dev lo",
        "neigh flush all",
        "addr flush dev lo",
        "bogus",
        "-q link",
        "-r link",
        "rule",
        "link show nosuch0",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        for o in [
            via_link(&sw, &links, "ip", &args),
            via_netshoot(&sw, "ip", &args),
        ] {
            let e = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{line}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{line}: {e}");
            assert!(o.stdout.is_empty(), "{line}");
        }
    }
    // Nothing was changed.
    assert!(peer(&sw, "ip", &["link", "show", "lo"]).contains(",UP,"));
    assert!(!peer(&sw, "ip", &["addr"]).contains("10.9.9.9"));
}

#[test]
fn the_verbs_own_options_still_work_through_the_classic_parser() {
    require_root!();
    let (sw, a) = switch();
    let spec = format!("netns:{}", sw.name);
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .args(["-t", &spec])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(
        run(&["ip", "addr", "--dev", "br0"]),
        peer(&sw, "ip", &["addr", "show", "dev", "br0"])
    );
    assert_eq!(
        run(&["ip", "route", "--table", "all"]),
        peer(&sw, "ip", &["route", "show", "table", "all"])
    );
    // -v before the name: iproute2's lines, and where each veth's peer lives.
    let (sw_a, a_name) = (&sw, a.name.clone());
    let v = run(&["-v", "ip", "link", "show", "p1"]);
    assert!(
        v.starts_with(&peer(sw_a, "ip", &["link", "show", "p1"])),
        "{v}"
    );
    assert!(
        v.contains(&format!(
            "    peer eth0 in ip netns {a_name} (-t netns:{a_name})\n"
        )),
        "{v}"
    );
    // --json before the name: netshoot's own JSON, as the verb writes it.
    let v = json(&run(&["--json", "ip", "link", "--dev", "p1"]));
    assert_eq!(v[0]["name"], "p1");
    assert_eq!(v[0]["master_name"], "br0");
    assert!(v[0]["peer"]["name"].is_string(), "{v}");
}

/// brctl showmacs with the ageing timers of learned entries blanked (they tick).
fn no_ageing(s: &str) -> String {
    s.lines()
        .map(|l| match l.rsplit_once('\t') {
            Some((head, _)) if l.contains("\tno\t") => format!("{head}\t<ageing>"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// brctl showstp with the timers blanked (on a fresh bridge they tick).
fn no_stp_timers(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find("timer") {
        let (head, tail) = rest.split_at(p + "timer".len());
        out.push_str(head);
        let t = tail.trim_start_matches('\t');
        out.push_str(&tail[..tail.len() - t.len()]);
        let v = t.trim_start_matches(|c: char| c == ' ' || c.is_ascii_digit() || c == '.');
        if v.len() != t.len() {
            out.push_str("<t>");
        }
        rest = v;
    }
    out.push_str(rest);
    out
}

#[test]
fn bridge_and_brctl_text_equal_the_peers() {
    require_root!();
    let (sw, a) = switch();
    // Traffic through p1, so br0 learns a's MAC (a dynamic entry).
    a.exec(&[
        "ping",
        "-c",
        "3",
        "-i",
        "0.2",
        "-s",
        "1400",
        "-W",
        "2",
        "10.71.0.254",
    ]);
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    // Counters in human units (kilobytes by now).
    for line in [
        "-s -h link show p1",
        "-s -h -iec link show p1",
        "-s -s -h link",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        same_text(&sw, &links, "ip", &args, as_is);
    }
    assert!(peer(&sw, "ip", &["-s", "-h", "link", "show", "p1"]).contains('k'));
    for line in [
        "fdb show",
        "fdb",
        "fdb show br br0",
        "fdb show dev p1",
        "fdb show brport vx0",
        "fdb show state static",
        "fdb show dynamic",
        "link",
        "link show dev vx0",
        "-d link",
        "-d fdb show br br0",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        same_text(&sw, &links, "bridge", &args, as_is);
    }
    let fdb = peer(&sw, "bridge", &["fdb", "show"]);
    // (a's MAC may be learned on vx0: the vxlan's default remote is local, so floods loop.)
    assert!(
        fdb.lines()
            .any(|l| l.starts_with("02:00:00:00:71:01 dev ") && l.ends_with(" master br0 ")),
        "{fdb}"
    );
    assert!(
        fdb.contains("dev vx0 dst 10.72.0.3 self permanent"),
        "{fdb}"
    );
    for line in ["show", "show br0"] {
        let args: Vec<&str> = line.split_whitespace().collect();
        same_text(&sw, &links, "brctl", &args, as_is);
    }
    same_text(&sw, &links, "brctl", &["showmacs", "br0"], no_ageing);
    sw.exec(&["bridge", "link", "set", "dev", "p1", "hairpin", "on"]);
    same_text(&sw, &links, "brctl", &["showstp", "br0"], no_stp_timers);
    assert!(peer(&sw, "brctl", &["showmacs", "br0"]).contains("02:00:00:00:71:01\tno"));
    // JSON, as values.
    for line in ["-j -p fdb show", "-j -p link"] {
        let args: Vec<&str> = line.split_whitespace().collect();
        same_text(&sw, &links, "bridge", &args, as_is);
    }
    for line in ["-j fdb show", "-j fdb show br br0", "-j link"] {
        let args: Vec<&str> = line.split_whitespace().collect();
        let p = json(&peer(&sw, "bridge", &args));
        let o = via_link(&sw, &links, "bridge", &args);
        assert_eq!(json(&String::from_utf8_lossy(&o.stdout)), p, "{line}");
    }
}

#[test]
fn bridge_and_brctl_refuse_writes_and_unknowns_on_one_line() {
    require_root!();
    let (sw, _a) = switch();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (tool, line) in [
        ("bridge", "fdb add 02:00:00:00:00:01 dev p1"),
        ("bridge", "link set dev p1 cost 5"),
        ("bridge", "vlan show"),
        ("bridge", "bogus"),
        ("bridge", "-q fdb"),
        ("bridge", "fdb show br nosuch"),
        ("brctl", "addbr brx"),
        ("brctl", "showstp nosuch"),
        ("brctl", "showmacs nosuch"),
        ("brctl", "frobnicate"),
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        for o in [
            via_link(&sw, &links, tool, &args),
            via_netshoot(&sw, tool, &args),
        ] {
            let e = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{tool} {line}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{tool} {line}: {e}");
        }
    }
    assert!(!peer(&sw, "bridge", &["fdb"]).contains("02:00:00:00:00:01"));
    assert!(!peer(&sw, "ip", &["link"]).contains("brx"));
}

/// `ip -d` with the bridge timers blanked (the garbage-collection timer ticks).
fn no_timers(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find("_timer ") {
        let (head, tail) = rest.split_at(p + "_timer ".len());
        out.push_str(head);
        let t = tail.trim_start_matches(' ');
        let t = t.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        out.push_str("<t>");
        rest = t;
    }
    out.push_str(rest);
    out
}

#[test]
fn ip_d_link_equals_iproute2_for_bridge_veth_vxlan() {
    require_root!();
    let (sw, a) = switch();
    // A vxlan on a lower device, outside any bridge.
    sw.ip(&[
        "link",
        "add",
        "vx1",
        "type",
        "vxlan",
        "id",
        "7",
        "dev",
        "br0",
        "group",
        "239.1.1.1",
        "dstport",
        "8472",
        "ttl",
        "9",
        "ageing",
        "0",
    ]);
    sw.ip(&[
        "link", "add", "mv1", "link", "br0", "type", "macvlan", "mode", "bridge",
    ]);
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for line in [
        "-d link show mv1",
        "-d link show br0",
        "-d link show p1",
        "-d link show vx0",
        "-d link show vx1",
        "-d link show v1",
        "-d link",
        "-d addr show br0",
        "-d -s link show dev p1",
    ] {
        let args: Vec<&str> = line.split_whitespace().collect();
        same_text(&sw, &links, "ip", &args, no_timers);
    }
    same_text(&a, &links, "ip", &["-d", "link"], as_is);
    let d = peer(&sw, "ip", &["-d", "link", "show", "vx1"]);
    assert!(d.contains("vxlan id 7 group 239.1.1.1 dev br0"), "{d}");
}
