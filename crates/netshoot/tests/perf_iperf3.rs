//! `perf` against the real iperf3 (3.12) both ways on a veth pair between two namespaces — TCP,
//! UDP, `-R`, `--bidir`, `-P 4` — with the bytes and loss we report compared with what iperf3
//! reports on the other side; ours against ours across a Docker bridge network and the Swarm
//! overlay; and the faults: a wrong port, a peer that is not iperf3, a busy server, a server
//! that vanishes mid-test, Ctrl-C. Root (and Docker for the container test).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, require_docker, test_image, underlay_mtu, Container, DockerNet,
};
use netshoot_testnet::{netns_pair, require_root, Child, Link, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Client namespace 10.87.0.1 — server namespace 10.87.0.2.
fn pair() -> (Netns, Netns, Link) {
    require_root();
    let (c, s, _, _, l) = netns_pair(("pc", "10.87.0.1/24"), ("ps", "10.87.0.2/24"));
    (c, s, l)
}

/// Runs `argv` in `ns` in the background with stdout captured.
fn background(ns: &Netns, argv: &[&str]) -> std::process::Child {
    Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .args(argv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start")
}

fn json(o: &[u8]) -> Value {
    serde_json::from_slice(o).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn bytes(v: &Value, key: &str) -> u64 {
    v["end"][key]["bytes"]
        .as_u64()
        .unwrap_or_else(|| panic!("no end.{key}.bytes in {}", v["end"]))
}

const CASES: &[&[&str]] = &[
    &[],
    &["-P", "4"],
    &["-R"],
    &["--bidir"],
    &["-u", "-b", "50M", "-l", "1400"],
    &["-u", "-b", "20M", "-R"],
    // Unlimited rate: datagrams are lost, and both sides must count the same losses.
    &["-u", "-b", "0", "-l", "64"],
    // Zero copy: the sender uses sendfile(2) (ours and iperf3's alike).
    &["-Z"],
    &["-Z", "-P", "2"],
];

/// What both sides must agree on: (our key, their key) pairs whose bytes must be equal, the
/// receiving side's numbers being the ones that cross the wire in the results exchange.
fn agree(case: &[&str], ours: &Value, theirs: &Value, ours_is_client: bool) {
    let rev = case.contains(&"-R");
    let bidir = case.contains(&"--bidir");
    let udp = case.contains(&"-u");
    // The receiving side's count is what the other side reports as "received".
    let keys: Vec<&str> = if bidir {
        vec![
            "sum_received",
            "sum_received_bidir_reverse",
            "sum_sent",
            "sum_sent_bidir_reverse",
        ]
    } else {
        vec!["sum_received", "sum_sent"]
    };
    for k in keys {
        // iperf3's own JSON leaves out what it does not measure on its side (0 bytes).
        let (a, b) = (
            bytes(ours, k),
            theirs["end"][k]["bytes"].as_u64().unwrap_or(0),
        );
        if b == 0 {
            continue;
        }
        assert_eq!(
            a, b,
            "{case:?} {k}: ours {a}, iperf3 {b} (ours client: {ours_is_client}, reverse {rev})"
        );
        assert!(a > 0, "{case:?} {k}");
    }
    // An iperf3 *server* builds its summary at TEST_END, before the results exchange
    // (`iperf_handle_message_server`: `reporter_callback` precedes `iperf_exchange_results`),
    // so when it is the UDP sender (`-R` against it) its "lost_packets" is its own 0, never
    // the receiver's count. There the check is that our losses are gaps in what it sent.
    let iperf3_server_sends = udp && rev && ours_is_client;
    if iperf3_server_sends {
        let n = |v: &Value, a: &str, b: &str| v["end"][a][b].as_u64().unwrap_or(0);
        let (got, lost) = (
            n(ours, "sum_received", "packets"),
            n(ours, "sum", "lost_packets"),
        );
        let sent = n(theirs, "sum", "packets");
        assert!(
            got > 0 && got + lost <= sent,
            "{case:?}: we received {got} and count {lost} lost of the {sent} iperf3 sent"
        );
    } else if udp {
        // The receiver's counts cross the wire in the results exchange: lost datagrams and
        // the highest sequence number seen must be the same on both sides. (iperf3 prints
        // its summary before that exchange, so its "sum.packets" can be its own count.)
        assert_eq!(
            ours["end"]["sum"]["lost_packets"], theirs["end"]["sum"]["lost_packets"],
            "{case:?}"
        );
        let b = theirs["end"]["sum_received"]["packets"]
            .as_u64()
            .unwrap_or(0);
        if b > 0 {
            assert_eq!(
                ours["end"]["sum_received"]["packets"].as_u64(),
                Some(b),
                "{case:?}"
            );
        }
    }
}

#[test]
fn our_client_against_iperf3_server() {
    require_root!();
    let (c, s, _l) = pair();
    let cspec = format!("netns:{}", c.name);
    for case in CASES {
        let srv = background(&s, &["iperf3", "-s", "-1", "-J", "-p", "5201"]);
        s.wait_listen(5201, false);
        let mut args = vec![
            "-t",
            cspec.as_str(),
            "perf",
            "client",
            "10.87.0.2",
            "-t",
            "1",
            "-i",
            "0",
            "--json",
        ];
        args.extend_from_slice(case);
        let o = NETSHOOT.run(&args);
        assert_eq!(o.status.code(), Some(0), "{case:?}: {}", text(&o.stderr));
        let theirs = srv.wait_with_output().unwrap();
        agree(case, &json(&o.stdout), &json(&theirs.stdout), true);
    }
}

#[test]
fn iperf3_client_against_our_server() {
    require_root!();
    let (c, s, _l) = pair();
    let sspec = format!("netns:{}", s.name);
    for case in CASES {
        let srv = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .args(["-t", &sspec, "perf", "server", "-1", "-p", "5201", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        s.wait_listen(5201, false);
        let mut args = vec!["iperf3", "-c", "10.87.0.2", "-t", "1", "-J"];
        args.extend_from_slice(case);
        let o = Command::new("ip")
            .args(["netns", "exec", &c.name])
            .args(&args)
            .output()
            .unwrap();
        let theirs = json(&o.stdout);
        assert!(
            theirs.get("error").is_none(),
            "{case:?}: iperf3 says {}",
            theirs["error"]
        );
        let ours = srv.wait_with_output().unwrap();
        assert_eq!(
            ours.status.code(),
            Some(0),
            "{case:?}: {}",
            text(&ours.stderr)
        );
        agree(case, &json(&ours.stdout), &theirs, false);
    }
}

/// `-Z` really sends from an in-memory file: while our client runs, it holds the memfd the
/// blocks live in (and the transfer agrees with iperf3's count, as in the cases above).
#[test]
fn zerocopy_client_sends_from_an_in_memory_file() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = background(&s, &["iperf3", "-s", "-1", "-J", "-p", "5202"]);
    s.wait_listen(5202, false);
    let cspec = format!("netns:{}", c.name);
    let client = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &cspec, "perf", "client", "10.87.0.2", "-p", "5202"])
        .args(["-t", "2", "-i", "0", "--json", "-Z"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = client.id();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut seen = false;
    while !seen && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            seen = dir.flatten().any(|e| {
                std::fs::read_link(e.path())
                    .map(|l| {
                        l.to_string_lossy()
                            .starts_with("/memfd:netshoot-perf-block")
                    })
                    .unwrap_or(false)
            });
        }
    }
    let o = client.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        seen,
        "no memfd:netshoot-perf-block among the client's descriptors"
    );
    let theirs = srv.wait_with_output().unwrap();
    agree(&["-Z"], &json(&o.stdout), &json(&theirs.stdout), true);
}

fn ours_between(a: &str, b: &str) {
    let srv = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", a, "perf", "server", "-1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // The client finds the server by container name through Docker's embedded DNS.
    let o = NETSHOOT.run(&["-t", b, "perf", "client", a, "-t", "1", "-i", "0", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ours = json(&o.stdout);
    let server = srv.wait_with_output().unwrap();
    let theirs = json(&server.stdout);
    assert_eq!(bytes(&ours, "sum_received"), bytes(&theirs, "sum_received"));
    assert!(bytes(&ours, "sum_received") > 1_000_000);
}

#[test]
fn ours_against_ours_across_a_bridge_network_and_the_overlay() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let a = Container::run(
        "pfa",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let b = Container::run(
        "pfb",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    ours_between(&a.name, &b.name);
    drop((a, b));

    ensure_swarm();
    let mtu = format!("com.docker.network.driver.mtu={}", underlay_mtu());
    let ov = DockerNet::new("overlay", &["--attachable", "--opt", &mtu]);
    let a = Container::run(
        "pfoa",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    let b = Container::run(
        "pfob",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    ours_between(&a.name, &b.name);
}

#[test]
fn faults_are_one_line_and_never_hang() {
    require_root!();
    let (c, s, _l) = pair();
    let cspec = format!("netns:{}", c.name);
    let sspec = format!("netns:{}", s.name);
    s.resolv_conf("nameserver 127.0.0.1\n");

    // Wrong port: refused, one line, exit 1 (iperf3 says "unable to connect to server").
    let o = NETSHOOT.run(&[
        "-t",
        &cspec,
        "perf",
        "client",
        "10.87.0.2",
        "-p",
        "5999",
        "-t",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("connection refused"), "{e}");

    // A peer that is not iperf3 (an echo service answers the cookie with the cookie).
    let _echo: Child = s.spawn(&["socat", "TCP-LISTEN:5202,fork,reuseaddr", "EXEC:cat"]);
    s.wait_listen(5202, false);
    let t = Instant::now();
    let o = NETSHOOT.run(&[
        "-t",
        &cspec,
        "perf",
        "client",
        "10.87.0.2",
        "-p",
        "5202",
        "-t",
        "1",
        "--connect-timeout",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("does not speak iperf3"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(8));

    // Busy: a second client while a test runs gets "busy" from ours and from iperf3's server.
    let srv = background(
        &s,
        &[
            env!("CARGO_BIN_EXE_netshoot"),
            "perf",
            "server",
            "-p",
            "5203",
        ],
    );
    s.wait_listen(5203, false);
    let long = Command::new("ip")
        .args([
            "netns",
            "exec",
            &c.name,
            "iperf3",
            "-c",
            "10.87.0.2",
            "-p",
            "5203",
            "-t",
            "3",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let o = NETSHOOT.run(&[
        "-t",
        &cspec,
        "perf",
        "client",
        "10.87.0.2",
        "-p",
        "5203",
        "-t",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("busy"), "{}", text(&o.stderr));
    let i = Command::new("ip")
        .args([
            "netns",
            "exec",
            &c.name,
            "iperf3",
            "-c",
            "10.87.0.2",
            "-p",
            "5203",
            "-t",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        text(&i.stderr).contains("busy") || text(&i.stdout).contains("busy"),
        "{}",
        text(&i.stderr)
    );
    let long = long.wait_with_output().unwrap();
    assert!(
        long.status.success(),
        "the running test went on undisturbed"
    );

    // The server vanishes mid-test: a partial summary, exit 1, in bounded time.
    let mut srv = srv;
    let client = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &cspec,
            "perf",
            "client",
            "10.87.0.2",
            "-p",
            "5203",
            "-t",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    let _ = srv.kill();
    let o = client.wait_with_output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(15), "no hang");
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("sender") && out.contains("cut short"), "{out}");

    // Ctrl-C: the summary so far.
    let srv = background(&s, &["iperf3", "-s", "-1", "-p", "5204"]);
    s.wait_listen(5204, false);
    let client = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &cspec,
            "perf",
            "client",
            "10.87.0.2",
            "-p",
            "5204",
            "-t",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-INT", &client.id().to_string()])
        .status();
    let o = client.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("sender") && out.contains("interrupt"), "{out}");
    let _ = srv.wait_with_output();

    // Bad options: exit 2, one line.
    for (args, needle) in [
        (
            vec!["perf", "client", "10.87.0.2", "-b", "fast"],
            "-b 'fast'",
        ),
        (vec!["perf", "client", "10.87.0.2", "-P", "0"], "-P 0"),
        (
            vec!["perf", "client", "no-such-host.invalid"],
            "cannot resolve",
        ),
    ] {
        let mut a = vec!["-t", sspec.as_str()];
        a.extend(args);
        let o = NETSHOOT.run(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        let e = text(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(needle), "{e}");
    }
}
