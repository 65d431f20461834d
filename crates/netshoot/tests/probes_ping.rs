//! `ping` against iputils `ping` on the same namespaces: statistics with no loss and with a
//! deterministic 50% loss, an address nobody holds, several hosts and a CIDR (fping -a), the
//! unprivileged ICMP socket, Ctrl-C, and bad input (root).

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{netns_pair, require_root, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// netshoot run inside `ns` without CAP_NET_RAW (bounding and inheritable sets).
fn without_net_raw(ns: &Netns, args: &[&str]) -> Output {
    ns.output_without_net_raw(&[&[env!("CARGO_BIN_EXE_netshoot")][..], args].concat())
}

/// client 10.83.0.1 — server 10.83.0.2 (and 10.83.0.3 on the same side).
fn pair() -> (Netns, Netns, Link) {
    require_root();
    let (c, s, _, server_if, l) = netns_pair(("pc", "10.83.0.1/24"), ("ps", "10.83.0.2/24"));
    s.ip(&["addr", "add", "10.83.0.3/24", "dev", &server_if]);
    // Names resolve only through a resolver that is not there (never the host's).
    c.ip(&["link", "set", "lo", "up"]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    (c, s, l)
}

/// "N packets transmitted, M received, X% packet loss" from either tool's output.
fn summary(text: &str) -> String {
    let l = text
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    let f: Vec<&str> = l.split(", ").collect();
    let loss = f.iter().find(|x| x.contains("packet loss")).unwrap();
    format!("{}, {}, {}", f[0], f[1], loss)
}

fn both(ns: &Netns, args: &[&str]) -> (String, String, Option<i32>, Option<i32>) {
    let spec = format!("netns:{}", ns.name);
    let mut v = vec!["-t", spec.as_str(), "ping"];
    v.extend_from_slice(args);
    let o = NETSHOOT.run(&v);
    let p = Command::new("ip")
        .args(["netns", "exec", &ns.name, "ping"])
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&p.stdout).into_owned(),
        o.status.code(),
        p.status.code(),
    )
}

#[test]
fn statistics_agree_with_iputils() {
    require_root!();
    let (c, _s, _l) = pair();
    let (ours, theirs, a, b) = both(&c, &["-c", "5", "-i", "0.2", "10.83.0.2"]);
    assert_eq!(summary(&ours), summary(&theirs));
    assert_eq!(
        summary(&ours),
        "5 packets transmitted, 5 received, 0% packet loss"
    );
    assert_eq!((a, b), (Some(0), Some(0)));
    assert!(ours.contains("rtt min/avg/max/mdev = "), "{ours}");
    assert_eq!(
        ours.lines()
            .filter(|l| l.contains("bytes from 10.83.0.2: icmp_seq="))
            .count(),
        5
    );
}

#[test]
fn loss_agrees_with_iputils() {
    require_root!();
    let (c, s, _l) = pair();
    // Every second echo request is dropped, whatever the phase: 3 of 6 in each run.
    s.sh("iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 0 -j DROP");
    let (ours, theirs, a, b) = both(&c, &["-c", "6", "-i", "0.2", "-W", "1", "10.83.0.2"]);
    assert_eq!(summary(&ours), summary(&theirs));
    assert_eq!(
        summary(&ours),
        "6 packets transmitted, 3 received, 50% packet loss"
    );
    assert_eq!((a, b), (Some(0), Some(0)));
}

#[test]
fn nobody_there_is_total_loss_and_exit_1() {
    require_root!();
    let (c, _s, _l) = pair();
    let (ours, theirs, a, b) = both(&c, &["-c", "2", "-i", "0.2", "-W", "1", "10.83.0.99"]);
    let t = |s: &str| {
        summary(s)
            .split(", ")
            .take(2)
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Both send 2 and get nothing back; iputils may add "+N errors" for the failed ARP.
    assert_eq!(t(&ours), t(&theirs));
    assert!(summary(&ours).ends_with("100% packet loss"), "{ours}");
    assert_eq!((a, b), (Some(1), Some(1)));
}

#[test]
fn several_hosts_and_a_cidr_like_fping() {
    require_root!();
    let (c, _s, _l) = pair();
    let spec = format!("netns:{}", c.name);
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "ping",
        "-c",
        "1",
        "-W",
        "1",
        "-a",
        "10.83.0.0/29",
    ]);
    let alive = String::from_utf8_lossy(&o.stdout);
    // Ask iputils about each address of the /29, one by one.
    let mut want = Vec::new();
    for i in 1..7 {
        let a = format!("10.83.0.{i}");
        let ok = Command::new("ip")
            .args(["netns", "exec", &c.name, "ping", "-c", "1", "-W", "1", &a])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        if ok {
            want.push(a);
        }
    }
    assert_eq!(alive.lines().collect::<Vec<_>>(), want);
    assert_eq!(want, ["10.83.0.1", "10.83.0.2", "10.83.0.3"]);
    assert_eq!(o.status.code(), Some(1), "some of the /29 did not answer");
    // Summary lines for named hosts.
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "ping",
        "-c",
        "2",
        "-i",
        "0.2",
        "10.83.0.2",
        "10.83.0.3",
    ]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        s.lines()
            .filter(|l| l.contains("xmt/rcv/%loss = 2/2/0%"))
            .count(),
        2,
        "{s}"
    );
}

#[test]
fn unprivileged_icmp_sockets_are_used_when_allowed_else_the_capability_is_named() {
    require_root!();
    let (c, _s, _l) = pair();
    let drop_raw = |ns: &Netns| without_net_raw(ns, &["ping", "-c", "1", "--json", "10.83.0.2"]);
    c.sh("sysctl -qw net.ipv4.ping_group_range='1 0'");
    let o = drop_raw(&c);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(
        e.contains("CAP_NET_RAW") && e.contains("ping_group_range"),
        "{e}"
    );
    c.sh("sysctl -qw net.ipv4.ping_group_range='0 2147483647'");
    let o = drop_raw(&c);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["method"], "datagram");
    assert_eq!(v["stats"]["received"], 1);
}

/// The doctor's echo (reach and MTU checks) is a `Pinger` request too: without CAP_NET_RAW it
/// uses the unprivileged ICMP socket when `ping_group_range` allows, as `ping` does.
#[test]
fn the_doctors_echo_needs_no_raw_socket_when_ping_group_range_allows() {
    require_root!();
    let (c, _s, _l) = pair();
    let doctor = || without_net_raw(&c, &["doctor", "--json", "10.83.0.2"]);
    let finding = |o: &Output, id: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&o.stderr));
        });
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {v:#}"))
            .clone()
    };
    c.sh("sysctl -qw net.ipv4.ping_group_range='0 2147483647'");
    let f = finding(&doctor(), "reach.icmp:10.83.0.2");
    assert_eq!(f["status"], "ok", "{f:#}");
    c.sh("sysctl -qw net.ipv4.ping_group_range='1 0'");
    let f = finding(&doctor(), "reach.icmp:10.83.0.2");
    assert_eq!(f["status"], "skipped", "{f:#}");
    assert!(f.to_string().contains("CAP_NET_RAW"), "{f:#}");
}

#[test]
fn ctrl_c_prints_the_statistics() {
    require_root!();
    let (c, _s, _l) = pair();
    let spec = format!("netns:{}", c.name);
    let child = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "ping", "-i", "0.2", "10.83.0.2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{s}");
    assert!(
        s.contains("packets transmitted") && s.contains(" 0% packet loss"),
        "{s}"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    require_root!();
    let (c, _s, _l) = pair();
    let spec = format!("netns:{}", c.name);
    for args in [
        &["ping", "-c", "1", "no-such-host.invalid"][..],
        &["ping", "-c", "1", "10.0.0.0/8"],
        &["ping", "-c", "1", "10.83.0.0/99"],
        &["ping", "-i", "nan", "10.83.0.2"],
    ] {
        let mut v = vec!["-t", spec.as_str()];
        v.extend_from_slice(args);
        let o = NETSHOOT.run(&v);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
    }
}
