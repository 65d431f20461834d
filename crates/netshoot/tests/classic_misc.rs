//! The classic `iftop` (text mode) and `nsenter` names against iftop 1.0 and util-linux's
//! nsenter on the same namespaces: the same host pair and cumulative bytes for a known flow;
//! the same program output and exit status inside a namespace entered by path or by pid.

use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::{require_root, veth_pair, Links, Netns};

/// The rows of an iftop text block for host pairs: (local, peer, cumulative out, cumulative in).
fn iftop_pairs(text: &str) -> Vec<(String, String, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for w in lines.windows(2) {
        let (first, second) = (w[0], w[1]);
        if first.contains("=>")
            && second.contains("<=")
            && first.trim_start().starts_with(|c: char| c.is_ascii_digit())
        {
            let f: Vec<&str> = first.split_whitespace().collect();
            let s: Vec<&str> = second.split_whitespace().collect();
            out.push((
                f[1].to_string(),
                s[0].to_string(),
                f[f.len() - 1].to_string(),
                s[s.len() - 1].to_string(),
            ));
        }
    }
    out
}

#[test]
fn iftop_text_mode_counts_a_known_flow_as_iftop_does() {
    require_root!();
    let a = Netns::new("ia");
    let b = Netns::new("ib");
    let (ia, ib, _l) = veth_pair(
        (Some(&a), Some("10.91.0.1/24")),
        (Some(&b), Some("10.91.0.2/24")),
    );
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    b.ip(&["addr", "add", "10.91.0.4/24", "dev", &ib]);
    let spawn = |prog: &str| {
        // iftop 1.0 notices that -s has passed only when a packet arrives: a bound for it.
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &a.name,
                "timeout",
                "30",
                prog,
                "-t",
                "-s",
                "4",
                "-i",
                &ia,
                "-n",
                "-N",
                "-f",
                "icmp or udp port 9",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let peer = spawn("iftop");
    let ours = spawn(&links.path("iftop"));
    std::thread::sleep(Duration::from_millis(1200));
    // 10 echo requests and 10 replies of 1028 IP bytes each.
    a.sh("ping -c 10 -i 0.1 -s 1000 10.91.0.2 >/dev/null");
    std::thread::sleep(Duration::from_millis(3500));
    // A datagram of another pair wakes iftop after its 4 s.
    a.sh("echo wake | nc -u -w 1 10.91.0.4 9; true");
    let p = peer.wait_with_output().unwrap();
    let o = ours.wait_with_output().unwrap();
    let (pt, ot) = (
        String::from_utf8_lossy(&p.stdout),
        String::from_utf8_lossy(&o.stdout),
    );
    assert!(o.status.success(), "{o:?}");
    let (pp, op) = (iftop_pairs(&pt), iftop_pairs(&ot));
    assert_eq!(
        op,
        vec![(
            "10.91.0.1".to_string(),
            "10.91.0.2".to_string(),
            "10.0KB".to_string(),
            "10.0KB".to_string()
        )],
        "ours:\n{ot}"
    );
    let flow =
        |v: &[(String, String, String, String)]| v.iter().find(|r| r.1 == "10.91.0.2").cloned();
    assert_eq!(flow(&op), flow(&pp), "ours:\n{ot}\niftop:\n{pt}");
    // The block's frame is iftop's, line for line, apart from the figures.
    let shape = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.split("  ").next().unwrap_or("").trim_end().to_string())
            .filter(|l| !l.is_empty() && !l.starts_with(|c: char| c.is_ascii_digit()))
            .collect()
    };
    assert_eq!(shape(&ot), shape(&pt), "ours:\n{ot}\niftop:\n{pt}");
    // Bad input.
    let bad = Command::new(links.path("iftop"))
        .args(["-t", "-o", "source"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("-o source is not supported"));
}

#[test]
fn nsenter_runs_a_program_in_the_namespace_as_nsenter_does() {
    require_root!();
    let a = Netns::new("na");
    a.ip(&[
        "link", "add", "nsdummy0", "type", "veth", "peer", "name", "nsdummy1",
    ]);
    a.ip(&["addr", "add", "10.92.0.1/24", "dev", "nsdummy0"]);
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let nsenter = links.path("nsenter");
    let path = format!("/var/run/netns/{}", a.name);
    let both = |args: &[&str]| {
        let o = Command::new(&nsenter).args(args).output().unwrap();
        let p = Command::new("nsenter").args(args).output().unwrap();
        assert_eq!(o.status.code(), p.status.code(), "{args:?}: {o:?} {p:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&p.stdout),
            "{args:?}"
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let by_path = format!("--net={path}");
    let out = both(&[&by_path, "ip", "-br", "addr"]);
    assert!(out.contains("10.92.0.1/24"), "{out}");
    both(&[&by_path, "sh", "-c", "exit 3"]);
    // By pid: a process living in the namespace.
    let sleeper = a.spawn(&["sleep", "30"]);
    let pid = sleeper.0.id().to_string();
    // `ip netns exec` enters the namespace, then runs sleep: wait until the pid is inside.
    let want = std::fs::metadata(&path)
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .unwrap();
    for _ in 0..100 {
        let now = std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0);
        if now == want {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = both(&["-t", &pid, "-n", "ip", "-br", "addr"]);
    assert!(out.contains("10.92.0.1/24"), "{out}");
    // Through netshoot's own door, too.
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["nsenter", &by_path, "--", "ip", "-br", "addr"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("10.92.0.1/24"),
        "{o:?}"
    );
    // Other namespaces are refused in one line.
    let o = Command::new(&nsenter)
        .args(["-t", &pid, "-n", "-m", "true"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.contains("'-m' is not supported") && e.lines().count() == 1,
        "{e}"
    );
    let o = Command::new(&nsenter).args(["true"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn conflicting_flags_are_one_line_and_exit_2() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (tool, args, needle) in [
        ("ping", &["-4", "-6", "-c", "1", "127.0.0.1"][..], "-4"),
        ("nc", &["-l", "-z", "1234"][..], "-l and -z"),
        ("iperf", &["-s", "-c", "127.0.0.1"][..], "-s and -c"),
        ("iperf3", &["-s", "-c", "127.0.0.1"][..], "-s and -c"),
        (
            "curl",
            &["-I", "-d", "x", "http://127.0.0.1:1/"][..],
            "one HTTP request method",
        ),
        ("iftop", &["-s", "2"][..], "-s needs -t"),
        (
            "tcpdump",
            &["-F", "/dev/null", "port", "80"][..],
            "give one of them",
        ),
    ] {
        let o = Command::new(links.path(tool)).args(args).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{tool} {args:?}: {o:?}");
        assert_eq!(e.trim_end().lines().count(), 1, "{tool} {args:?}: {e}");
        assert!(
            e.starts_with(&format!("{tool}: ")) && e.contains(needle),
            "{tool} {args:?}: {e}"
        );
    }
}

#[test]
fn huge_durations_are_one_line_errors_not_panics() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let bin = env!("CARGO_BIN_EXE_netshoot").to_string();
    for argv in [
        vec![
            bin.clone(),
            "capture".into(),
            "--duration".into(),
            "1e20".into(),
            "-i".into(),
            "lo".into(),
        ],
        vec![
            bin.clone(),
            "connect".into(),
            "-w".into(),
            "1e20".into(),
            "127.0.0.1".into(),
            "1".into(),
        ],
        vec![
            bin.clone(),
            "http".into(),
            "-m".into(),
            "1e20".into(),
            "http://127.0.0.1:1/".into(),
        ],
        vec![
            links.path("nc"),
            "-w".into(),
            "1e20".into(),
            "127.0.0.1".into(),
            "1".into(),
        ],
        vec![
            links.path("tcpdump"),
            "--duration".into(),
            "1e20".into(),
            "-i".into(),
            "lo".into(),
        ],
    ] {
        let o = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{argv:?}: {o:?}");
        assert_eq!(e.trim_end().lines().count(), 1, "{argv:?}: {e}");
        assert!(!e.contains("panicked"), "{argv:?}: {e}");
    }
}
