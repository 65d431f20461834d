//! The perf room's classic names against their real peers on a veth pair between two
//! namespaces: `iperf` (iperf 2's protocol) against Debian's iperf 2.1.8 both ways, TCP and
//! UDP, with the byte counts each side prints compared; `iperf3` against iperf3 3.12 both ways
//! (bytes received equal); `netgen` between two namespaces started in either order; bad input.
//! Each tool runs both through a link named after it (argv[0]) and as `netshoot NAME …`. Root.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::text;
use netshoot_testnet::{netns_pair, require_root, Link, Links, Netns};

/// How a test starts our tool: through the link, or as `netshoot -t netns:NS NAME`.
#[derive(Clone, Copy, Debug)]
enum Door {
    Link,
    Verb,
}

/// The argv that runs our `tool` in `ns` through `door`.
fn ours(links: &Links, door: Door, ns: &Netns, tool: &str, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = match door {
        Door::Link => vec![
            "ip".into(),
            "netns".into(),
            "exec".into(),
            ns.name.clone(),
            links.path(tool),
        ],
        Door::Verb => vec![
            env!("CARGO_BIN_EXE_netshoot").into(),
            "-t".into(),
            format!("netns:{}", ns.name),
            tool.into(),
        ],
    };
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// The argv that runs the real `argv` in `ns`.
fn real(ns: &Netns, argv: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["ip".into(), "netns".into(), "exec".into(), ns.name.clone()];
    v.extend(argv.iter().map(|s| s.to_string()));
    v
}

fn spawn(argv: &[String]) -> std::process::Child {
    Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {argv:?}: {e}"))
}

/// Runs `argv` to its end, bounded: killed after `secs`.
fn run_bounded(argv: &[String], secs: u64) -> Output {
    let child = spawn(argv);
    wait_bounded(child, secs)
}

fn wait_bounded(child: std::process::Child, secs: u64) -> Output {
    netshoot_testnet::output_bounded(child, Duration::from_secs(secs)).output
}

/// Client namespace 10.89.0.1 — server namespace 10.89.0.2.
fn pair() -> (Netns, Netns, Link) {
    require_root();
    let (c, s, _, _, l) = netns_pair(("kc", "10.89.0.1/24"), ("ks", "10.89.0.2/24"));
    (c, s, l)
}

/// The bytes of every stream's report line starting at 0.0000 (`-f B` output; no `[SUM]`),
/// in order.
fn totals(out: &str) -> Vec<u64> {
    out.lines()
        .filter(|l| l.contains("] 0.0000-") && l.contains(" Bytes ") && !l.starts_with("[SUM"))
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let i = w.iter().position(|t| *t == "Bytes")?;
            w.get(i - 1)?.parse().ok()
        })
        .collect()
}

/// `LOST/TOTAL` of every UDP report line, in order.
fn lost_total(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.contains(" ms ") && l.contains('/'))
        .filter_map(|l| {
            l.split_whitespace()
                .find(|t| t.contains('/') && !t.contains("Bytes"))
                .map(String::from)
        })
        .collect()
}

const IPERF_CASES: &[&[&str]] = &[
    &["-n", "3M"],
    &["-t", "1", "-P", "2"],
    &["-n", "1M", "-R"],
    &["-u", "-b", "10M", "-t", "1"],
    &["-u", "-b", "10M", "-t", "1", "-R"],
    &["-n", "2M", "-r"],
    &["-t", "1", "-d"],
];

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

fn check_layout(out: &str, udp: bool, server: bool, reverse: bool) {
    let proto = if udp { "UDP" } else { "TCP" };
    let want: Vec<String> = if server {
        vec![
            format!("Server listening on {proto} port 5201"),
            if udp {
                "UDP buffer size:".into()
            } else {
                "TCP window size:".into()
            },
            "local 10.89.0.2 port 5201 connected with 10.89.0.1 port".into(),
            "[ ID] Interval       Transfer     Bandwidth".into(),
        ]
    } else {
        vec![
            format!("Client connecting to 10.89.0.2, {proto} port 5201"),
            if udp {
                "UDP buffer size:".into()
            } else {
                "TCP window size:".into()
            },
            "connected with 10.89.0.2 port 5201".into(),
            "[ ID] Interval       Transfer     Bandwidth".into(),
        ]
    };
    for w in want {
        assert!(out.contains(&w), "missing {w:?} in\n{out}");
    }
    // The UDP receiver's table: the server's, or the client's with -R.
    if udp && server != reverse {
        assert!(
            out.contains("Jitter   Lost/Total Datagrams"),
            "no UDP table in\n{out}"
        );
    }
    if udp && !reverse && !server {
        assert!(out.contains("Server Report:"), "{out}");
        assert!(out.contains("Sent "), "{out}");
    }
}

/// Our client, their server: the server's total equals ours (UDP: and our copy of its report).
#[test]
fn iperf_our_client_against_iperf2_server() {
    require_root!();
    let (c, s, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (k, case) in IPERF_CASES.iter().enumerate() {
        let door = if k % 2 == 0 { Door::Link } else { Door::Verb };
        let udp = case.contains(&"-u");
        let mut sargs = vec!["iperf", "-s", "-1", "-f", "B", "-p", "5201"];
        if udp {
            sargs.push("-u");
        }
        let srv = spawn(&real(&s, &sargs));
        s.wait_listen(5201, udp);
        let mut args = vec!["-c", "10.89.0.2", "-p", "5201", "-f", "B"];
        args.extend_from_slice(case);
        let o = run_bounded(&ours(&links, door, &c, "iperf", &args), 30);
        let cli = text(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{case:?} {door:?}\n{cli}{}",
            text(&o.stderr)
        );
        let so = wait_bounded(srv, 15);
        let srv_out = text(&so.stdout);
        let rev = case.contains(&"-R");
        check_layout(&cli, udp, false, rev);
        let ours_t = totals(&cli);
        let theirs_t = totals(&srv_out);
        assert!(
            !theirs_t.is_empty(),
            "{case:?}: no total from iperf\n{srv_out}"
        );
        if !udp {
            // Every stream (-P, -r/-d's connection back) carries the same bytes on both sides.
            assert_eq!(
                sorted(ours_t.clone()),
                sorted(theirs_t.clone()),
                "{case:?} {door:?}: ours\n{cli}\niperf server\n{srv_out}"
            );
            let streams = if case.iter().any(|a| ["-P", "-r", "-d"].contains(a)) {
                2
            } else {
                1
            };
            assert_eq!(ours_t.len(), streams, "{case:?}\n{cli}");
        }
        if case.contains(&"-n") && !udp {
            let n: u64 = if case.contains(&"3M") {
                3 << 20
            } else if case.contains(&"2M") {
                2 << 20
            } else {
                1 << 20
            };
            assert!(ours_t.iter().all(|b| *b == n), "{case:?}: {ours_t:?}");
        }
        if udp {
            assert_eq!(
                ours_t[0], theirs_t[0],
                "{case:?} {door:?}\n{cli}\n{srv_out}"
            );
            // Our copy of the server report says what the server printed.
            assert_eq!(*ours_t.last().unwrap(), theirs_t[0], "{cli}\n{srv_out}");
            if !rev {
                assert_eq!(lost_total(&cli), lost_total(&srv_out), "{cli}\n{srv_out}");
            }
        }
    }
}

/// Their client, our server: our total equals theirs (UDP: and their copy of our report).
#[test]
fn iperf2_client_against_our_iperf_server() {
    require_root!();
    let (c, s, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (k, case) in IPERF_CASES.iter().enumerate() {
        let door = if k % 2 == 0 { Door::Verb } else { Door::Link };
        let udp = case.contains(&"-u");
        let mut sargs = vec!["-s", "-1", "-f", "B", "-p", "5201"];
        if udp {
            sargs.push("-u");
        }
        let srv = spawn(&ours(&links, door, &s, "iperf", &sargs));
        s.wait_listen(5201, udp);
        let mut args = vec!["iperf", "-c", "10.89.0.2", "-p", "5201", "-f", "B"];
        args.extend_from_slice(case);
        let o = run_bounded(&real(&c, &args), 30);
        let cli = text(&o.stdout);
        let so = wait_bounded(srv, 15);
        let srv_out = text(&so.stdout);
        assert_eq!(
            so.status.code(),
            Some(0),
            "{case:?} {door:?}: our server\n{srv_out}{}",
            text(&so.stderr)
        );
        let rev = case.contains(&"-R");
        check_layout(&srv_out, udp, true, rev);
        let ours_t = totals(&srv_out);
        let theirs_t = totals(&cli);
        assert!(
            !ours_t.is_empty(),
            "{case:?}: no total from ours\n{srv_out}"
        );
        if udp {
            assert_eq!(
                ours_t[0], theirs_t[0],
                "{case:?} {door:?}\n{srv_out}\n{cli}"
            );
        } else {
            assert_eq!(
                sorted(ours_t.clone()),
                sorted(theirs_t.clone()),
                "{case:?} {door:?}: ours\n{srv_out}\niperf client\n{cli}"
            );
        }
        if udp {
            assert!(rev || cli.contains("Server Report:"), "{cli}");
            assert_eq!(*theirs_t.last().unwrap(), ours_t[0], "{cli}\n{srv_out}");
            if !rev {
                assert_eq!(lost_total(&cli), lost_total(&srv_out), "{cli}\n{srv_out}");
            }
        }
    }
}

#[test]
fn iperf_bad_input_is_one_line_exit_2() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for args in [
        &["-c", "127.0.0.1", "--bogus"][..],
        &["-c", "127.0.0.1", "-e"],
        &["-c", "127.0.0.1", "-d", "-u"],
        &["-s", "-c", "127.0.0.1"],
        &[],
        &["-c", "127.0.0.1", "-b", "fast"],
        &["-s", "-t", "5"],
    ] {
        for o in [
            Command::new(links.path("iperf"))
                .args(args)
                .output()
                .unwrap(),
            Command::new(env!("CARGO_BIN_EXE_netshoot"))
                .arg("iperf")
                .args(args)
                .output()
                .unwrap(),
        ] {
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
            assert!(err.starts_with("iperf: "), "{err}");
        }
    }
    let o = Command::new(links.path("iperf"))
        .args(["-c", "127.0.0.1", "--full-duplex"])
        .output()
        .unwrap();
    assert!(text(&o.stderr).contains("--bidir"), "{}", text(&o.stderr));
}

fn json_of(o: &Output, what: &str) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}{}",
            text(&o.stdout),
            text(&o.stderr)
        )
    })
}

fn end_bytes(v: &serde_json::Value, key: &str) -> u64 {
    v["end"][key]["bytes"].as_u64().unwrap_or(0)
}

/// iperf3's JSON leaves out what a side does not measure (0 bytes): every count both sides
/// report must be equal, and at least one must be there.
fn agree(case: &[&str], ours: &serde_json::Value, theirs: &serde_json::Value, what: &str) {
    let mut compared = 0;
    for k in ["sum_received", "sum_sent"] {
        let (a, b) = (end_bytes(ours, k), end_bytes(theirs, k));
        if a == 0 || b == 0 {
            continue;
        }
        assert_eq!(a, b, "{case:?} {what} {k}");
        compared += 1;
    }
    assert!(
        compared > 0,
        "{case:?} {what}: no count on both sides\n{ours}\n{theirs}"
    );
}

const IPERF3_CASES: &[&[&str]] = &[
    &["-t", "1"],
    &["-t", "1", "-R", "-P", "2"],
    &["-u", "-b", "10M", "-t", "1"],
];

/// `iperf3 -c` (ours, through the link and as `netshoot iperf3`) against the real iperf3 -s,
/// and the real iperf3 -c against our `iperf3 -s`: the bytes received agree on both sides.
#[test]
fn iperf3_against_real_iperf3_both_ways() {
    require_root!();
    let (c, s, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (k, case) in IPERF3_CASES.iter().enumerate() {
        let door = if k % 2 == 0 { Door::Link } else { Door::Verb };
        // Ours as the client.
        let srv = spawn(&real(&s, &["iperf3", "-s", "-1", "-J", "-p", "5202"]));
        s.wait_listen(5202, false);
        let mut args = vec!["-c", "10.89.0.2", "-p", "5202", "-J"];
        args.extend_from_slice(case);
        let o = run_bounded(&ours(&links, door, &c, "iperf3", &args), 30);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{case:?} {door:?}: {}",
            text(&o.stderr)
        );
        let so = wait_bounded(srv, 15);
        let (a, b) = (json_of(&o, "ours"), json_of(&so, "iperf3 -s"));
        agree(case, &a, &b, "ours as client");
        // Ours as the server.
        let srv = spawn(&ours(
            &links,
            door,
            &s,
            "iperf3",
            &["-s", "-1", "-J", "-p", "5202"],
        ));
        s.wait_listen(5202, false);
        let mut args = vec!["iperf3", "-c", "10.89.0.2", "-p", "5202", "-J"];
        args.extend_from_slice(case);
        let o = run_bounded(&real(&c, &args), 30);
        let so = wait_bounded(srv, 15);
        assert_eq!(so.status.code(), Some(0), "{case:?}: {}", text(&so.stderr));
        let (a, b) = (json_of(&so, "ours -s"), json_of(&o, "iperf3 -c"));
        agree(case, &a, &b, "ours as server");
    }
    // The text report, as iperf3 prints it.
    let srv = spawn(&real(&s, &["iperf3", "-s", "-1", "-p", "5202"]));
    s.wait_listen(5202, false);
    let o = run_bounded(
        &ours(
            &links,
            Door::Link,
            &c,
            "iperf3",
            &["-c", "10.89.0.2", "-p", "5202", "-t", "2", "-P", "2"],
        ),
        30,
    );
    let _ = wait_bounded(srv, 15);
    let out = text(&o.stdout);
    // Several streams: a dashed line between interval blocks and one before the summary,
    // never two in a row (iperf3's layout).
    let dashed = "- - - - - - - - - - - - - - - - - - - - - - - - -";
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().filter(|l| **l == dashed).count() >= 2, "{out}");
    for w in lines.windows(2) {
        if w[0] == dashed {
            assert!(w[1].starts_with('['), "{out}");
        }
    }
    for want in [
        "Connecting to host 10.89.0.2, port 5202",
        "connected to 10.89.0.2 port 5202",
        "[ ID] Interval           Transfer     Bitrate         Retr",
        "sender",
        "receiver",
        "iperf Done.",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn iperf3_bad_input_is_one_line_exit_2() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (args, needle) in [
        (&["-s", "--zerocopy"][..], "-Z"),
        (&["-c", "127.0.0.1", "--bogus"], "--bogus"),
        (&[], "-c"),
        (&["-s", "-R"], "-R"),
        (&["-c", "127.0.0.1", "-R", "--bidir"], "--bidir"),
        // iperf3's client bounds on -l, refused before connecting.
        (&["-c", "127.0.0.1", "-l", "2M"], "-l 2097152"),
        (&["-c", "127.0.0.1", "-u", "-l", "70000"], "65507"),
        (&["-c", "127.0.0.1", "-t", "100000"], "-t 100000"),
        // A wait too long for a Duration (it panicked).
        (
            &["-c", "127.0.0.1", "--connect-timeout", "1e300"],
            "--connect-timeout",
        ),
    ] {
        for o in [
            Command::new(links.path("iperf3"))
                .args(args)
                .output()
                .unwrap(),
            Command::new(env!("CARGO_BIN_EXE_netshoot"))
                .arg("iperf3")
                .args(args)
                .output()
                .unwrap(),
        ] {
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}

/// The verb's refused arguments are usage errors: exit 2, one line on stderr, and with `--json`
/// an error object of kind "usage" on stdout (they were "other").
#[test]
fn perf_argument_errors_are_usage_in_json() {
    for (args, needle) in [
        (&["client", "127.0.0.1", "-P", "0"][..], "-P 0"),
        (&["client", "127.0.0.1", "-l", "2M"], "-l 2097152"),
        (&["client", "127.0.0.1", "-u", "-l", "8"], "-l 8"),
        (&["client", "127.0.0.1", "-n", "5X"], "-n '5X'"),
        (&["server", "--max-streams", "0"], "--max-streams 0"),
        (&["server", "--setup-timeout", "0"], "--setup-timeout 0"),
        (&["client", "127.0.0.1", "-t", "1e300"], "-t must be"),
        (
            &["client", "127.0.0.1", "--connect-timeout", "1e300"],
            "--connect-timeout must be",
        ),
        (&["server", "-i", "nan"], "-i must be"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .arg("perf")
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", text(&o.stdout)));
        assert_eq!(v["kind"], "usage", "{args:?}: {v}");
        assert!(
            v["error"].as_str().unwrap_or("").contains(needle),
            "{args:?}: {v}"
        );
    }
}

/// Two namespaces, A 10.89.0.1 and B 10.89.0.2, each running `netgen PEER 5000`: A starts
/// first and retries while B is absent; then B starts, and each sees the other's messages.
#[test]
fn netgen_between_two_namespaces_in_either_order() {
    require_root!();
    let (a, b, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let first = spawn(&ours(
        &links,
        Door::Link,
        &a,
        "netgen",
        &["10.89.0.2", "5000", "-i", "0.3"],
    ));
    std::thread::sleep(Duration::from_millis(1200));
    let second = run_bounded(
        &ours(
            &links,
            Door::Verb,
            &b,
            "netgen",
            &["10.89.0.1", "5000", "-i", "0.3", "-c", "6"],
        ),
        30,
    );
    // B's last message may still be on its way through A's listener: give it a moment, then
    // stop the first with SIGTERM, as docker stop would.
    std::thread::sleep(Duration::from_millis(1000));
    let pid = first.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let first = wait_bounded(first, 10);
    let (a_out, a_err) = (text(&first.stdout), text(&first.stderr));
    let b_out = text(&second.stdout);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{b_out}{}",
        text(&second.stderr)
    );
    for (out, want) in [
        (&a_out, "Listener started on port 5000"),
        (
            &a_out,
            "Sending traffic to 10.89.0.2 on port 5000 every 0.3 seconds",
        ),
        (&a_out, "Sent 1 messages to 10.89.0.2:5000"),
        (&a_out, "Received from 10.89.0.2:"),
        (&b_out, "Listener started on port 5000"),
        (&b_out, "Sent 6 messages to 10.89.0.1:5000"),
        (&b_out, "Received from 10.89.0.1:"),
        (
            &a_err,
            "10.89.0.2:5000: Connection refused; retrying in 0.3 s",
        ),
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // B's six messages all reached A.
    let got = a_out
        .lines()
        .filter(|l| l.starts_with("Received from 10.89.0.2:"))
        .count();
    assert_eq!(got, 6, "{a_out}");
}

#[test]
fn netgen_bad_input_is_one_line_exit_2() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for args in [
        &["host"][..],
        &["host", "0"],
        &["host", "80", "-i", "x"],
        // 1e20 s was a panic in Duration::from_secs_f64
        &["host", "80", "-i", "1e20"],
        &["--listen", "80", "host", "80"],
        &["host", "80", "--bogus"],
    ] {
        let o = Command::new(links.path("netgen"))
            .args(args)
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("netgen: "), "{err}");
    }
}
