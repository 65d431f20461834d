//! The classic `tcpdump` name against tcpdump 4.99 on the same traffic: a file tcpdump wrote
//! from real traffic between two namespaces (software checksums, so verdicts are real), read
//! back by both with the flags people use (`-v`, `-vv`, `-e`, `-X`, `-XX`, `-x`, `-A`, `-S`,
//! `-tt`), line for line equal; the live command line of the classic walkthrough
//! (`tcpdump -i eth0 port 9999 -c 1 -Xvv`, options after the expression); bad input.

use std::process::{Command, Output};
use std::time::Duration;

use netshoot_testnet::cli::text;
use netshoot_testnet::{netns_pair, require_root, run, unique, Link, Links, Netns};

/// Namespaces a (10.89.0.1, fd89::1) and b (10.89.0.2, fd89::2) on a veth pair with transmit
/// checksum offload off, so every checksum in a capture is computed and verifiable.
fn pair() -> (Netns, Netns, String, String, Link) {
    require_root();
    let (a, b, ia, ib, l) = netns_pair(("ta", "10.89.0.1/24"), ("tb", "10.89.0.2/24"));
    a.ip(&["-6", "addr", "add", "fd89::1/64", "dev", &ia, "nodad"]);
    b.ip(&["-6", "addr", "add", "fd89::2/64", "dev", &ib, "nodad"]);
    a.sh(&format!("ethtool -K {ia} tx off >/dev/null"));
    b.sh(&format!("ethtool -K {ib} tx off >/dev/null"));
    (a, b, ia, ib, l)
}

#[test]
fn reading_a_file_prints_tcpdumps_lines_for_every_flag_set() {
    require_root!();
    let (a, b, _ia, ib, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let file = std::env::temp_dir().join(format!("{}.pcap", unique("td")));
    let file = file.to_str().unwrap().to_string();
    // tcpdump itself writes the file, on b's side.
    // Every packet of the exchange, without the IPv6 housekeeping of an interface coming up
    // (multicast listener reports are summarised but not decoded in -v detail).
    let cap = b.spawn(&[
        "tcpdump",
        "-i",
        &ib,
        "--immediate-mode",
        "-U",
        "-w",
        &file,
        "not",
        "ip6",
        "multicast",
    ]);
    std::thread::sleep(Duration::from_millis(700));
    let srv = b.spawn(&[
        "sh",
        "-c",
        "printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok' | timeout 3 nc -l -p 80 >/dev/null",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    a.sh(concat!(
        "ping -c 2 -i 0.2 10.89.0.2 >/dev/null; ping -6 -c 1 fd89::2 >/dev/null; ",
        "printf 'GET / HTTP/1.1\\r\\nHost: b\\r\\nUser-Agent: t\\r\\n\\r\\n' | timeout 2 nc -q 1 10.89.0.2 80 >/dev/null; ",
        "echo x | nc -u -w 1 10.89.0.2 9999; echo y | nc -6 -u -w 1 fd89::2 9999; ",
        // Carriage returns where tcpdump -A treats them differently: last, second to last,
        // before a newline, in a row, in the middle.
        "for p in 'ab\\r' 'ab\\rc' 'a\\r\\nb' '\\r\\r\\rabc' 'a\\rbcd\\r'; do ",
        "printf \"$p\" | nc -u -q 0 10.89.0.2 7; done; ",
        "dig +tries=1 +time=1 @10.89.0.2 web.test >/dev/null; true"
    ));
    drop(srv);
    // Stop tcpdump as a person would (Ctrl-C), so it writes out what it still holds, and
    // wait for it (a loaded machine may be behind).
    let mut cap = cap;
    std::thread::sleep(Duration::from_millis(300));
    run(&["kill", "-INT", &cap.0.id().to_string()]);
    let _ = cap.0.wait();
    let peer = |flags: &[&str]| {
        let mut v = vec!["-r", file.as_str(), "-n"];
        v.extend_from_slice(flags);
        let o = Command::new("tcpdump").args(&v).output().unwrap();
        assert!(o.status.success(), "{o:?}");
        text(&o.stdout)
    };
    let ours = |flags: &[&str]| {
        let mut v = vec!["-r", file.as_str(), "-n"];
        v.extend_from_slice(flags);
        let o = Command::new(links.path("tcpdump"))
            .args(&v)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        text(&o.stdout)
    };
    let base = peer(&[]);
    for needle in [
        "ICMP echo request",
        "ICMP6, echo request",
        "HTTP: GET / HTTP/1.1",
        "A? web.test.",
        ".7: UDP, length 3",
        ".7: UDP, length 4",
        ".7: UDP, length 6",
    ] {
        assert!(base.contains(needle), "the traffic lacks {needle}:\n{base}");
    }
    for flags in [
        &[][..],
        &["-v"],
        &["-vv"],
        &["-vvv"],
        &["-e"],
        &["-e", "-vv"],
        &["-X"],
        &["-XX"],
        &["-x"],
        &["-xx"],
        &["-A"],
        &["-S"],
        &["-S", "-v"],
        &["-tt"],
        &["-t", "-v"],
        &["-c", "3", "-X"],
        &["icmp", "or", "udp", "-vv"],
        &["tcp", "port", "80", "-A", "-v"],
    ] {
        let (p, o) = (peer(flags), ours(flags));
        assert_eq!(
            o, p,
            "tcpdump -r F -n {flags:?}: ours (left) differs from tcpdump's"
        );
    }
    // -v really verified checksums (offload was off): every TCP checksum is correct.
    let v = ours(&["-v", "tcp"]);
    assert!(v.contains("(correct)") && !v.contains("incorrect"), "{v}");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn the_walkthrough_command_line_runs_verbatim() {
    require_root!();
    let (a, b, _ia, ib, _l) = pair();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    // `tcpdump -i eth0 port 9999 -c 1 -Xvv`: options after the expression, clustered flags.
    let td = links.path("tcpdump");
    let cap = Command::new("ip")
        .args([
            "netns", "exec", &b.name, &td, "-i", &ib, "port", "9999", "-c", "1", "-Xvv",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    a.sh("echo hello-9999 | nc -u -w 1 10.89.0.2 9999; true");
    let o = cap.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("IP (tos 0x0, ttl 64"), "{out}");
    assert!(
        lines[1].starts_with("    10.89.0.1.")
            && lines[1].contains("> 10.89.0.2.9999: [udp sum ok] UDP, length 11"),
        "{out}"
    );
    assert!(
        out.contains("6865 6c6c"),
        "the -X dump shows the payload: {out}"
    );
    assert!(text(&o.stderr).contains("1 packets captured"), "{o:?}");
    // The same through `netshoot -t netns:B tcpdump …`.
    let cap = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &format!("netns:{}", b.name),
            "tcpdump",
            "-i",
            &ib,
            "-nn",
            "udp",
            "-c",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    a.sh("echo again | nc -u -w 1 10.89.0.2 9998; true");
    let o = cap.wait_with_output().unwrap();
    assert!(
        text(&o.stdout).contains("> 10.89.0.2.9998: UDP, length 6"),
        "{o:?}"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    require_root!();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let td = links.path("tcpdump");
    let one = |args: &[&str], needle: &str| {
        let o: Output = Command::new(&td).args(args).output().unwrap();
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
    };
    one(&["-K"], "'-K' is not supported");
    one(&["-Q", "in"], "'-Q' is not supported");
    one(&["--bogus"], "unknown option '--bogus'");
    one(&["-c"], "needs a value");
    one(&["-ttt"], "-ttt is not supported");
    one(
        &["-F", "/nonexistent/filter"],
        "cannot read the filter file",
    );
    one(&["-w", "-"], "not supported");
    // A name netshoot does not answer to lists the ones it does.
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .arg("tshark")
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.contains("'tshark'") && e.contains("tcpdump") && e.lines().count() == 1,
        "{e}"
    );
    // -D lists interfaces as tcpdump does, in libpcap's order, inside a namespace of our own
    // (the host's interfaces change while other tests run).
    let (a, _b, ia, _ib, _l) = pair();
    let o = a.exec(&[&td, "-D"]);
    let peer = a.exec(&["tcpdump", "-D"]);
    let ours_lines: Vec<&str> = o.lines().collect();
    let peer_lines: Vec<&str> = peer
        .lines()
        .filter(|l| {
            !["bluetooth", "nflog", "nfqueue", "dbus", "usbmon"]
                .iter()
                .any(|x| l.contains(x))
        })
        .collect();
    assert_eq!(ours_lines, peer_lines, "ours:\n{o}\ntcpdump:\n{peer}");
    assert!(
        o.contains(&format!("1.{ia} [Up, Running, Connected]")),
        "{o}"
    );
}
