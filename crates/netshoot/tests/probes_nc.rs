//! `connect`, `listen` and `netgen` against netcat-openbsd on the same namespaces: open, closed
//! (RST) and filtered (DROP) TCP ports, UDP closed vs open|filtered, data both ways, and netgen
//! between two containers (root; Docker for the last).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::docker::{require_docker, test_image, Container, DockerNet};
use netshoot_testnet::{netns_pair, require_root, Child, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// client 10.84.0.1 — server 10.84.0.2 with an echo-uppercase service on 7501, a UDP receiver
/// on 7503, and 7502/tcp dropped.
fn pair() -> (Netns, Netns, Link, Vec<Child>) {
    require_root();
    let (c, s, _, _, l) = netns_pair(("nc", "10.84.0.1/24"), ("ns", "10.84.0.2/24"));
    c.ip(&["link", "set", "lo", "up"]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    s.sh("iptables -A INPUT -p tcp --dport 7502 -j DROP");
    let kids = vec![
        s.spawn(&[
            "socat",
            "TCP-LISTEN:7501,fork,reuseaddr",
            "SYSTEM:tr a-z A-Z",
        ]),
        s.spawn(&[
            "socat",
            "-u",
            "UDP-LISTEN:7503,fork,reuseaddr",
            "OPEN:/dev/null",
        ]),
    ];
    std::thread::sleep(Duration::from_millis(400));
    (c, s, l, kids)
}

#[test]
fn zero_io_checks_agree_with_nc_vz() {
    require_root!();
    let (c, _s, _l, _k) = pair();
    let spec = format!("netns:{}", c.name);
    for (port, udp, state) in [
        ("7501", false, "open"),
        ("7509", false, "refused"),
        ("7502", false, "timeout"),
        ("7509", true, "refused"),
        ("7503", true, "open|filtered"),
    ] {
        let mut ours = vec!["-t", spec.as_str(), "connect", "-z", "-w", "1", "--json"];
        let mut nc = vec!["nc", "-z", "-w", "1"];
        if udp {
            ours.push("-u");
            nc.push("-u");
        }
        ours.extend(["10.84.0.2", port]);
        nc.extend(["10.84.0.2", port]);
        let o = NETSHOOT.run(&ours);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v[0]["state"], state, "{port} udp={udp}");
        if udp {
            // nc -zu exits 0 whether or not a port-unreachable comes back, so nmap -sU is the
            // peer for UDP states: closed is our refused.
            let n = Command::new("ip")
                .args(["netns", "exec", &c.name])
                .args(["nmap", "-sU", "-n", "-Pn", "-p", port, "10.84.0.2"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&n.stdout);
            let nstate = text
                .lines()
                .find(|l| l.starts_with(&format!("{port}/udp")))
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or_else(|| panic!("{text}"))
                .to_string();
            let want = if nstate == "closed" {
                "refused"
            } else {
                nstate.as_str()
            };
            assert_eq!(v[0]["state"], want, "{port}/udp: nmap says {nstate}");
            continue;
        }
        let peer = Command::new("ip")
            .args(["netns", "exec", &c.name])
            .args(&nc)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), peer.status.code(), "{port} udp={udp}");
    }
}

#[test]
fn data_flows_both_ways_like_nc() {
    require_root!();
    let (c, _s, _l, _k) = pair();
    let spec = format!("netns:{}", c.name);
    let send = |argv: Vec<&str>| -> String {
        let mut child = Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"hello netshoot\n")
            .unwrap();
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
    };
    let ours = send(vec![
        env!("CARGO_BIN_EXE_netshoot"),
        "-t",
        &spec,
        "connect",
        "-N",
        "10.84.0.2",
        "7501",
    ]);
    let theirs = send(vec![
        "ip",
        "netns",
        "exec",
        &c.name,
        "nc",
        "-N",
        "10.84.0.2",
        "7501",
    ]);
    assert_eq!(ours, theirs);
    assert_eq!(ours, "HELLO NETSHOOT\n");
}

#[test]
fn listen_receives_what_nc_sends() {
    require_root!();
    let (c, s, _l, _k) = pair();
    let spec = format!("netns:{}", s.name);
    let listener = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "listen", "-s", "10.84.0.2", "7601"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    c.sh("echo 'from nc' | nc -N -w 2 10.84.0.2 7601");
    let o = listener.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "from nc\n");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("connection from 10.84.0.1:"), "{e}");
    // A port already taken is one line and exit 2.
    let o = NETSHOOT.run(&["-t", &spec, "listen", "-s", "10.84.0.2", "7501"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim().lines().count(), 1);
}

#[test]
fn bad_ports_are_one_line_and_exit_2() {
    require_root!();
    let (c, _s, _l, _k) = pair();
    let spec = format!("netns:{}", c.name);
    for args in [
        &["connect", "-z", "10.84.0.2", "0"][..],
        &["connect", "-z", "10.84.0.2", "9-1"],
        &["connect", "10.84.0.2", "1-3"],
        &["connect", "-z", "no-such-host.invalid", "80"],
    ] {
        let mut v = vec!["-t", spec.as_str()];
        v.extend_from_slice(args);
        let o = NETSHOOT.run(&v);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim().lines().count(),
            1,
            "{args:?}"
        );
    }
}

#[test]
fn netgen_between_two_containers() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let a = Container::run(
        "nga",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let b = Container::run(
        "ngb",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let listener = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t", &a.name, "netgen", "--listen", "9000", "-c", "3", "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    // The sender finds the listener by container name, through Docker's embedded DNS.
    let o = NETSHOOT.run(&[
        "-t", &b.name, "netgen", &a.name, "9000", "-c", "3", "-i", "0.2",
    ]);
    let sent = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{sent} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        sent.lines().last().unwrap_or("").contains("3 messages"),
        "{sent}"
    );
    let got = listener.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(v["messages"], 3, "{v}");
    assert_eq!(v["failed"], 0);
}

/// `connect -z` over a range: one typed verdict a port in `--json` (state, proto, detail,
/// address, time), the same verdicts as the text lines on stderr, exit 1 when any failed.
#[test]
fn a_port_range_gives_one_json_verdict_a_port_and_the_same_text_lines() {
    require_root!();
    let (c, _s, _l, _k) = pair();
    let spec = format!("netns:{}", c.name);
    let args = [
        "-t",
        spec.as_str(),
        "connect",
        "-z",
        "-w",
        "1",
        "10.84.0.2",
        "7500-7502",
    ];
    let o = NETSHOOT.run(&[&args[..], &["--json"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rs = v.as_array().unwrap();
    let states: Vec<&str> = rs.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["refused", "open", "timeout"], "{v}");
    for (r, port) in rs.iter().zip(7500..) {
        assert_eq!(r["port"], port);
        assert_eq!(r["proto"], "tcp");
        assert_eq!(r["address"], "10.84.0.2");
        assert!(r["elapsed_ms"].as_f64().unwrap() >= 0.0);
    }
    assert_eq!(rs[0]["detail"], "Connection refused");
    assert!(rs[1]["detail"].is_null());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let t = NETSHOOT.run(&args);
    assert_eq!(t.status.code(), Some(1));
    assert!(t.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&t.stderr),
        "netshoot: connect to 10.84.0.2 (10.84.0.2) port 7500 (tcp) failed: Connection refused\n\
         Connection to 10.84.0.2 (10.84.0.2) 7501 port [tcp] succeeded!\n\
         netshoot: connect to 10.84.0.2 (10.84.0.2) port 7502 (tcp) failed: Connection timed out\n"
    );
}
