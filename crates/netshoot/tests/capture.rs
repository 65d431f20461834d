//! `capture` against tcpdump and tshark on the same namespaces: the same packets captured,
//! files we write read by `tcpdump -r` and `tshark -r` with the same counts, files tcpdump
//! writes read by ours with the same lines; Ctrl-C leaves a complete file; VXLAN decapsulated
//! on the underlay of a tunnel; inside a container and a Swarm overlay's namespace; bad input.

use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, require_docker, test_image, underlay_mtu, Container, DockerNet,
};
use netshoot_testnet::{netns_pair, require_root, unique, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Namespaces a (10.88.0.1, interface returned) and b (10.88.0.2) on a veth pair.
fn pair() -> (Netns, Netns, String, Link) {
    require_root();
    let (a, b, ia, _, l) = netns_pair(("ca", "10.88.0.1/24"), ("cb", "10.88.0.2/24"));
    (a, b, ia, l)
}

fn tmp(name: &str) -> String {
    format!("/tmp/{}-{name}", unique("cap"))
}

/// ping, a TCP exchange and a UDP datagram from a to b.
fn traffic(a: &Netns, b: &Netns) {
    let srv = Command::new("ip")
        .args([
            "netns",
            "exec",
            &b.name,
            "sh",
            "-c",
            "echo pong | timeout 3 nc -l -p 34567 >/dev/null",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    a.sh("ping -c 2 -i 0.2 10.88.0.2 >/dev/null; echo ping | timeout 2 nc -q 1 10.88.0.2 34567 >/dev/null; echo x | nc -u -w 1 10.88.0.2 34568 || true");
    let _ = srv.wait_with_output();
}

/// The captured length of every record of a (little-endian) pcap file, read straight from it.
fn record_lengths(path: &str) -> Vec<u64> {
    let b = std::fs::read(path).unwrap();
    let mut off = 24;
    let mut lens = Vec::new();
    while off + 16 <= b.len() {
        let incl = u32::from_le_bytes([b[off + 8], b[off + 9], b[off + 10], b[off + 11]]) as usize;
        lens.push(incl as u64);
        off += 16 + incl;
    }
    lens
}

fn count_lines(cmd: &[&str]) -> usize {
    let o = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    text(&o.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

#[test]
fn files_agree_with_tcpdump_and_tshark_both_ways() {
    require_root!();
    let (a, b, ia, _l) = pair();
    let spec = format!("netns:{}", a.name);
    let (ours, theirs) = (tmp("ours.pcap"), tmp("theirs.pcap"));
    let filter = "host 10.88.0.2";
    let iface = ia.clone();
    let mine = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &spec,
            "capture",
            "-i",
            &iface,
            "-w",
            &ours,
            "--duration",
            "4",
            filter,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let td = Command::new("ip")
        .args([
            "netns", "exec", &a.name, "tcpdump", "-i", &iface, "-U", "-w", &theirs, filter,
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    traffic(&a, &b);
    let out = mine.wait_with_output().unwrap();
    let _ = Command::new("kill")
        .args(["-INT", &td.id().to_string()])
        .status();
    let _ = td.wait_with_output();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let captured: usize = err
        .lines()
        .find_map(|l| l.strip_suffix(" packets captured"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a count on stderr");
    assert!(captured >= 8, "{err}");
    // Our file: tcpdump and tshark read it, with our count and our bytes.
    assert_eq!(count_lines(&["tcpdump", "-n", "-r", &ours]), captured);
    assert_eq!(count_lines(&["tshark", "-r", &ours]), captured);
    let caps = Command::new("tshark")
        .args(["-r", &ours, "-T", "fields", "-e", "frame.cap_len"])
        .output()
        .unwrap();
    let tshark_bytes: u64 = text(&caps.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .sum();
    let lens = record_lengths(&ours);
    assert_eq!(lens.len(), captured);
    assert_eq!(lens.iter().sum::<u64>(), tshark_bytes);
    // pcapng: the same packets, read by both, and by us with tcpdump's lines.
    let ng = tmp("ours.pcapng");
    let o = NETSHOOT.run(&["capture", "-r", &ours, "-w", &ng, "--pcapng"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(count_lines(&["tcpdump", "-n", "-r", &ng]), captured);
    assert_eq!(count_lines(&["tshark", "-r", &ng]), captured);
    let a1 = Command::new("tcpdump")
        .args(["-n", "-S", "-r", &ours])
        .output()
        .unwrap();
    let a2 = NETSHOOT.run(&["capture", "-r", &ng]);
    assert_eq!(
        text(&a2.stdout),
        text(&a1.stdout),
        "our pcapng read back gives tcpdump's lines"
    );
    let _ = std::fs::remove_file(&ng);
    // The same traffic, so the same packets as tcpdump's own capture.
    assert_eq!(count_lines(&["tcpdump", "-n", "-r", &theirs]), captured);
    // tcpdump's file read by us: the same lines as tcpdump -n -S -r prints.
    let t = Command::new("tcpdump")
        .args(["-n", "-S", "-r", &theirs])
        .output()
        .unwrap();
    let o = NETSHOOT.run(&["capture", "-r", &theirs]);
    let (tl, ol) = (text(&t.stdout), text(&o.stdout));
    assert_eq!(ol.lines().count(), tl.lines().count());
    for (x, y) in ol.lines().zip(tl.lines()) {
        assert_eq!(x, y);
    }
    // --json carries the same lines.
    let j = NETSHOOT.run(&["capture", "-r", &theirs, "--json"]);
    let summaries: Vec<String> = text(&j.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["summary"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let plain: Vec<String> = tl
        .lines()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    assert_eq!(summaries, plain);
    // A filter on read: our interpreter, tcpdump's count.
    let o = NETSHOOT.run(&["capture", "-r", &theirs, "tcp[tcpflags] & tcp-syn != 0"]);
    assert_eq!(
        text(&o.stdout).lines().count(),
        count_lines(&[
            "tcpdump",
            "-n",
            "-r",
            &theirs,
            "tcp[tcpflags] & tcp-syn != 0"
        ])
    );
    for f in [&ours, &theirs] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn ctrl_c_leaves_a_complete_file_and_count_ends_on_time() {
    require_root!();
    let (a, b, ia, _l) = pair();
    let spec = format!("netns:{}", a.name);
    let file = tmp("int.pcap");
    let cap = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "capture", "-i", &ia, "-w", &file])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    a.sh("ping -c 5 -i 0.1 10.88.0.2 >/dev/null");
    let _ = Command::new("kill")
        .args(["-INT", &cap.id().to_string()])
        .status();
    let out = cap.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let captured: usize = err
        .lines()
        .find_map(|l| l.strip_suffix(" packets captured"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(captured >= 10, "{err}");
    assert_eq!(
        count_lines(&["tcpdump", "-n", "-r", &file]),
        captured,
        "every packet the summary reports is in the file"
    );
    let _ = std::fs::remove_file(&file);
    // -c: exactly that many lines.
    let t = std::thread::spawn({
        let name = a.name.clone();
        move || {
            std::thread::sleep(Duration::from_millis(500));
            let _ = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &name,
                    "ping",
                    "-c",
                    "4",
                    "-i",
                    "0.2",
                    "10.88.0.2",
                ])
                .output();
        }
    });
    let o = NETSHOOT.run(&["-t", &spec, "capture", "-i", &ia, "-c", "3", "icmp"]);
    t.join().unwrap();
    assert_eq!(text(&o.stdout).lines().count(), 3, "{}", text(&o.stdout));
    drop(b);
}

#[test]
fn vxlan_is_decapsulated_on_the_underlay() {
    require_root!();
    let (a, b, ia, _l) = pair();
    for (ns, local, remote, inner) in [
        (&a, "10.88.0.1", "10.88.0.2", "10.99.0.1/24"),
        (&b, "10.88.0.2", "10.88.0.1", "10.99.0.2/24"),
    ] {
        ns.sh(&format!(
            "ip link add vx0 type vxlan id 42 local {local} remote {remote} dstport 4789 && ip addr add {inner} dev vx0 && ip link set vx0 up"
        ));
    }
    let spec = format!("netns:{}", a.name);
    let t = std::thread::spawn({
        let name = a.name.clone();
        move || {
            std::thread::sleep(Duration::from_millis(500));
            let _ = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &name,
                    "ping",
                    "-c",
                    "2",
                    "-i",
                    "0.2",
                    "10.99.0.2",
                ])
                .output();
        }
    });
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "capture",
        "-i",
        &ia,
        "-c",
        "2",
        "udp port 4789 and udp[28:2] = 0x0800 and udp[39] = 1",
    ]);
    t.join().unwrap();
    let out = text(&o.stdout);
    assert!(out.contains("VXLAN, flags [I] (0x08), vni 42"), "{out}");
    assert!(
        out.contains("IP 10.99.0.1 > 10.99.0.2: ICMP echo request"),
        "{out}"
    );
}

#[test]
fn inside_a_container_and_an_overlay_namespace() {
    require_docker!();
    ensure_swarm();
    let mtu = format!("com.docker.network.driver.mtu={}", underlay_mtu());
    let ov = DockerNet::new("overlay", &["--attachable", "--opt", &mtu]);
    let x = Container::run(
        "cpx",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    let y = Container::run(
        "cpy",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    for (target, iface) in [
        (x.name.clone(), "eth0".to_string()),
        (format!("network:{}", ov.name), "any".to_string()),
    ] {
        let t = std::thread::spawn({
            let (x, y) = (x.name.clone(), y.name.clone());
            move || {
                std::thread::sleep(Duration::from_millis(700));
                let _ = Command::new(env!("CARGO_BIN_EXE_netshoot"))
                    .args(["-t", &x, "ping", "-c", "3", "-i", "0.3", &y])
                    .output();
            }
        });
        let o = NETSHOOT.run(&[
            "-t",
            &target,
            "capture",
            "-i",
            &iface,
            "-c",
            "2",
            "--duration",
            "8",
            "icmp",
        ]);
        t.join().unwrap();
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{target}: {}", text(&o.stderr));
        assert!(
            out.contains("ICMP echo request") || out.contains("ICMP echo reply"),
            "{target}: {out}"
        );
    }
}

#[test]
fn bad_input_is_one_line_each() {
    require_root!();
    let (a, _b, _ia, _l) = pair();
    let spec = format!("netns:{}", a.name);
    let corrupt = tmp("corrupt.pcap");
    std::fs::write(&corrupt, b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00").unwrap();
    for (args, needle) in [
        (
            vec!["-t", spec.as_str(), "capture", "-i", "eth9"],
            "no interface 'eth9'",
        ),
        (
            vec!["-t", spec.as_str(), "capture", "tcp port abc"],
            "at column 10 ('abc')",
        ),
        (
            vec![
                "-t",
                spec.as_str(),
                "capture",
                "-i",
                "lo",
                "-w",
                "/nonexistent/dir/x.pcap",
            ],
            "-w /nonexistent/dir/x.pcap",
        ),
        (vec!["capture", "-r", corrupt.as_str()], "corrupt record 1"),
        (
            vec!["capture", "-r", "/etc/hostname"],
            "not a pcap or pcapng file",
        ),
    ] {
        let o = NETSHOOT.run(&args);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
    }
    // Without CAP_NET_RAW: the capability and the Docker flag are named.
    let o = Command::new("setpriv")
        .args([
            "--inh-caps",
            "-net_raw",
            "--bounding-set",
            "-net_raw",
            env!("CARGO_BIN_EXE_netshoot"),
            "capture",
            "-i",
            "lo",
            "-c",
            "1",
        ])
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("CAP_NET_RAW") && e.contains("--cap-add NET_RAW"),
        "{e}"
    );
    let _ = std::fs::remove_file(&corrupt);
}

#[test]
fn top_totals_agree_with_a_flow_of_known_size() {
    require_root!();
    let (a, b, ia, _l) = pair();
    let _srv = b.spawn(&["iperf3", "-s", "-1", "-p", "5299"]);
    std::thread::sleep(Duration::from_millis(400));
    let spec = format!("netns:{}", a.name);
    let t = std::thread::spawn({
        let name = a.name.clone();
        move || {
            std::thread::sleep(Duration::from_millis(1200));
            Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &name,
                    "iperf3",
                    "-c",
                    "10.88.0.2",
                    "-p",
                    "5299",
                    "-n",
                    "40M",
                    "-b",
                    "100M",
                ])
                .output()
                .unwrap()
        }
    });
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "top",
        "-i",
        &ia,
        "--json",
        "--interval",
        "6",
        "--count",
        "1",
        "port 5299",
    ]);
    assert!(t.join().unwrap().status.success());
    let last = text(&o.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let v: serde_json::Value =
        serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {last} {}", text(&o.stderr)));
    let p = &v["pairs"][0];
    assert_eq!(p["a"], "10.88.0.1");
    let sent = p["a_to_b"]["total_bytes"].as_u64().unwrap() as f64;
    let want = 40.0 * 1024.0 * 1024.0;
    assert!(
        (sent - want).abs() / want < 0.03,
        "top counted {sent} bytes for a {want}-byte flow"
    );
    assert!(p["b_to_a"]["total_bytes"].as_u64().unwrap() > 0);
    // The client side of the flow lives in this namespace: its process is named.
    let procs = p["processes"].as_array().unwrap();
    assert!(
        procs
            .iter()
            .any(|x| x.as_str().unwrap_or_default().ends_with("/iperf3")),
        "{p}"
    );
}

/// On a terminal (`script` gives a pty of 30×150), top draws a ratatui screen on the alternate
/// screen with the pair and its rates, and restores the terminal when it ends.
#[test]
fn top_draws_a_screen_on_a_terminal() {
    require_root!();
    let ns = Netns::new("tu");
    let name = ns.name.clone();
    let pinger = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        let _ = Command::new("ip")
            .args([
                "netns",
                "exec",
                &name,
                "ping",
                "-c",
                "5",
                "-i",
                "0.3",
                "127.0.0.1",
            ])
            .output();
    });
    let cmd = format!(
        "{} -t netns:{} top -i lo --interval 1 --count 3",
        env!("CARGO_BIN_EXE_netshoot"),
        ns.name
    );
    let out = netshoot_testnet::cli::pty(
        &cmd,
        netshoot_testnet::cli::Pty::sized(30, 150, Duration::from_secs(30)),
    )
    .out;
    pinger.join().unwrap();
    assert!(
        out.contains("\x1b[?1049h") && out.contains("\x1b[?1049l"),
        "alternate screen entered and left"
    );
    assert!(
        out.contains("netshoot") && out.contains("127.0.0.1") && out.contains("2s"),
        "{out:?}"
    );
}

/// A pcap file of a 6 MB TCP flow from a to b, written by tcpdump (1500-byte snap length);
/// its size shows the whole flow is in it.
fn tcpdump_file_of_a_flow(port: &str) -> String {
    let (a, b, ia, _l) = pair();
    let _srv = b.spawn(&["iperf3", "-s", "-1", "-p", port]);
    std::thread::sleep(Duration::from_millis(400));
    let big = tmp("big.pcap");
    let td = Command::new("ip")
        .args([
            "netns",
            "exec",
            &a.name,
            "tcpdump",
            "-i",
            &ia,
            "-s",
            "1500",
            "-U",
            "-w",
            &big,
            &format!("port {port}"),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // 40 Mbit/s, so that tcpdump on a loaded machine keeps up (at full speed a run once left
    // fewer than three 1 MB files' worth).
    a.sh(&format!(
        "iperf3 -c 10.88.0.2 -p {port} -n 6M -l 1400 -b 40M >/dev/null"
    ));
    // Stop tcpdump once its file stops growing (it may lag behind the flow).
    let mut last = 0;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(300));
        let len = std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0);
        if len > 0 && len == last {
            break;
        }
        last = len;
    }
    let _ = Command::new("kill")
        .args(["-INT", &td.id().to_string()])
        .status();
    let _ = td.wait_with_output();
    let len = std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0);
    assert!(len > 6_000_000, "tcpdump wrote {len} bytes of a 6 MB flow");
    big
}

/// -C/-W rotation: files of at most the size asked, reused in a ring, each a valid pcap.
#[test]
fn rotation_by_size_keeps_a_ring_of_valid_files() {
    require_root!();
    let big = tcpdump_file_of_a_flow("5298");
    let base = tmp("rot");
    let o = NETSHOOT.run(&["capture", "-r", &big, "-w", &base, "-C", "1", "-W", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for i in 0..3 {
        let f = format!("{base}{i}");
        let len = std::fs::metadata(&f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len();
        assert!(len <= 1_000_000, "{f} is {len} bytes");
        assert!(count_lines(&["tcpdump", "-n", "-r", &f]) > 0, "{f} reads");
        let _ = std::fs::remove_file(&f);
    }
    assert!(
        std::fs::metadata(format!("{base}3")).is_err(),
        "-W 3 keeps three names"
    );
    let _ = std::fs::remove_file(&big);
}

/// -C with --pcapng: the size limit counts pcapng's real block sizes (larger than pcap's
/// records), so no file passes it; every file is a pcapng that tcpdump and tshark read, and
/// together they hold every packet.
#[test]
fn pcapng_rotation_by_size_counts_pcapng_bytes() {
    require_root!();
    let big = tcpdump_file_of_a_flow("5297");
    let packets = count_lines(&["tcpdump", "-n", "-r", &big]);
    assert!(packets > 3000, "the flow gave {packets} packets");
    let base = tmp("rotng");
    let o = NETSHOOT.run(&["capture", "-r", &big, "-w", &base, "--pcapng", "-C", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut names = vec![base.clone()];
    names.extend(
        (1..)
            .map(|i| format!("{base}{i}"))
            .take_while(|f| std::fs::metadata(f).is_ok()),
    );
    assert!(names.len() >= 4, "6 MB in files of 1 MB: {names:?}");
    let (mut ours, mut bytes) = (0, 0);
    for f in &names {
        let b = std::fs::read(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(
            b.get(..4),
            Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]),
            "{f} is pcapng"
        );
        assert!(b.len() <= 1_000_000, "{f} is {} bytes", b.len());
        let n = count_lines(&["tcpdump", "-n", "-r", f]);
        assert_eq!(
            n,
            count_lines(&["tshark", "-n", "-r", f]),
            "{f}: tcpdump and tshark agree"
        );
        assert!(n > 0, "{f} reads");
        ours += n;
        bytes += b.len();
    }
    assert_eq!(ours, packets, "every packet is in one of the files");
    // Nearly full: each file but the last holds all it can within 1 MB.
    assert!(
        bytes > (names.len() - 1) * 990_000,
        "{bytes} bytes in {} files",
        names.len()
    );
    for f in names {
        let _ = std::fs::remove_file(f);
    }
    let _ = std::fs::remove_file(&big);
}
