//! Hostile and busy peers for the probes (issue 14): `trace -T` (tcptraceroute) ends within
//! its bound while a bulk TCP stream keeps arriving on its raw TCP socket; `ping` of several
//! hosts, `fping`, `trace --report` and `mtr` open their sockets first and keep no capability
//! in any thread while they run. Each case has a watchdog that kills a regression instead of
//! hanging (root).

use std::process::Command;
use std::time::Duration;

use netshoot_testnet::cli::{Netshoot, Watched};
use netshoot_testnet::{netns_pair, require_root, Group, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// a 10.97.0.1 — b 10.97.0.2, one link.
fn pair() -> (Netns, Netns, Link) {
    let (a, b, _, _, l) = netns_pair(("hpra", "10.97.0.1/24"), ("hprb", "10.97.0.2/24"));
    (a, b, l)
}

/// A background program inside a namespace, in a process group killed on drop.
fn group(ns: &Netns, argv: &[&str]) -> Group {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.name]).args(argv);
    Group::spawn(cmd)
}

/// Runs `netshoot ARGS…`, reading its threads' capabilities once `sample_after` has passed;
/// killed (and the test failed) after `limit`.
fn watch(args: &[&str], sample_after: Duration, limit: Duration) -> Watched {
    NETSHOOT.watch(args, sample_after, limit, || {})
}

/// Drops TCP SYNs to `port` in `ns`: a silent port.
fn silent_port(ns: &Netns, port: u16) {
    ns.exec(&[
        "iptables",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        &port.to_string(),
        "-j",
        "DROP",
    ]);
}

/// `trace -T` while an iperf3 stream runs between the same namespaces (every segment of it
/// reaches trace's raw TCP socket): to a silent port, every probe still ends at its `-w`, so
/// the trace ends after max hops × queries × wait with a `*` for each probe; to a closed port
/// the destination's reset is still found among the stream's segments.
#[test]
fn trace_tcp_ends_on_time_under_busy_tcp() {
    require_root!();
    let (a, b, _l) = pair();
    let spec = format!("netns:{}", a.name);
    silent_port(&b, 7799);
    let _srv = group(&b, &["iperf3", "-s", "-B", "10.97.0.2", "-p", "7790"]);
    b.wait_listen(7790, false);
    // Both ways at once, so segments keep arriving whichever way trace's socket looks.
    let _stream = group(
        &a,
        &[
            "iperf3",
            "-c",
            "10.97.0.2",
            "-p",
            "7790",
            "-t",
            "40",
            "--bidir",
            "-b",
            "300M",
        ],
    );
    std::thread::sleep(Duration::from_millis(500));

    // Silent: 3 hops × 2 probes × 0.5 s = 3 s.
    let w = watch(
        &[
            "-t",
            &spec,
            "trace",
            "-T",
            "-p",
            "7799",
            "-m",
            "3",
            "-q",
            "2",
            "-w",
            "0.5",
            "10.97.0.2",
        ],
        Duration::from_millis(500),
        Duration::from_secs(10),
    );
    assert_eq!(w.code, Some(1), "stdout: {} stderr: {}", w.out, w.err);
    let lines: Vec<&str> = w.out.lines().collect();
    assert_eq!(
        lines,
        [
            "traceroute to 10.97.0.2 (10.97.0.2), 3 hops max, 44 byte packets",
            " 1  * *",
            " 2  * *",
            " 3  * *",
        ],
        "{}",
        w.err
    );
    assert!(
        w.took >= Duration::from_millis(2900) && w.took < Duration::from_secs(5),
        "3 s of probes took {:?}",
        w.took
    );
    assert!(w.caps.iter().all(|c| c.0 == 0), "CapEff {:x?}", w.caps);

    // Closed (no listener, not dropped): the reset answers at the first hop.
    let w = watch(
        &[
            "-t",
            &spec,
            "trace",
            "-T",
            "-p",
            "7798",
            "-m",
            "3",
            "-q",
            "3",
            "-w",
            "0.5",
            "10.97.0.2",
        ],
        Duration::ZERO,
        Duration::from_secs(10),
    );
    assert_eq!(w.code, Some(0), "stdout: {} stderr: {}", w.out, w.err);
    let last = w.out.lines().last().unwrap_or_default();
    assert!(last.starts_with(" 1  10.97.0.2  "), "{}", w.out);
    assert!(w.took < Duration::from_secs(3), "took {:?}", w.took);
}

/// `ping` of several hosts, `fping`, `trace --report` and `mtr -r` keep no capability in any
/// thread while they run (their sockets are opened once, first), and still get their answers.
#[test]
fn sweeps_and_mtr_rounds_run_without_capabilities() {
    require_root!();
    let (a, b, _l) = pair();
    let spec = format!("netns:{}", a.name);
    silent_port(&b, 7799);
    let no_caps = |what: &str, w: &Watched| {
        assert!(
            !w.caps.is_empty(),
            "{what} ended before its CapEff was read"
        );
        assert!(
            w.caps.iter().all(|c| c.0 == 0),
            "{what}: CapEff of its threads {:x?}",
            w.caps
        );
    };

    // Two hosts, 5 requests each 0.3 s apart: about 1.2 s.
    let w = watch(
        &[
            "-t",
            &spec,
            "ping",
            "-c",
            "5",
            "-i",
            "0.3",
            "10.97.0.2",
            "10.97.0.1",
        ],
        Duration::from_millis(600),
        Duration::from_secs(10),
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    no_caps("ping of two hosts", &w);
    assert!(
        w.out.contains("10.97.0.2       : xmt/rcv/%loss = 5/5/0%"),
        "{}",
        w.out
    );
    assert!(
        w.out.contains("10.97.0.1       : xmt/rcv/%loss = 5/5/0%"),
        "{}",
        w.out
    );

    // fping -C 4 -p 300: four requests per host.
    let w = watch(
        &[
            "-t",
            &spec,
            "fping",
            "-C",
            "4",
            "-p",
            "300",
            "-q",
            "10.97.0.2",
            "10.97.0.1",
        ],
        Duration::from_millis(500),
        Duration::from_secs(10),
    );
    // (fping -C prints its per-host lines on stderr.)
    assert_eq!(w.code, Some(0), "{} {}", w.out, w.err);
    no_caps("fping", &w);
    assert_eq!(w.err.lines().count(), 2, "{}", w.err);

    // trace --report to a silent port: 3 rounds × 2 hops × 0.4 s.
    let w = watch(
        &[
            "-t",
            &spec,
            "trace",
            "--report",
            "-T",
            "-p",
            "7799",
            "-m",
            "2",
            "-w",
            "0.4",
            "-c",
            "3",
            "10.97.0.2",
        ],
        Duration::from_millis(600),
        Duration::from_secs(10),
    );
    assert_eq!(w.code, Some(1), "{}", w.err);
    no_caps("trace --report", &w);
    let rows: Vec<&str> = w.out.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", w.out);
    assert!(
        rows.iter()
            .all(|r| r.contains("???") && r.contains("100.0%")),
        "{}",
        w.out
    );

    // mtr -r: 4 ICMP rounds 0.4 s apart.
    let w = watch(
        &[
            "-t",
            &spec,
            "mtr",
            "-r",
            "-n",
            "-c",
            "4",
            "-i",
            "0.4",
            "10.97.0.2",
        ],
        Duration::from_millis(500),
        Duration::from_secs(10),
    );
    assert_eq!(w.code, Some(0), "{} {}", w.out, w.err);
    no_caps("mtr -r", &w);
    let last = w.out.lines().last().unwrap_or_default();
    assert!(
        last.contains("10.97.0.2") && last.contains(" 0.0%"),
        "{}",
        w.out
    );
}
