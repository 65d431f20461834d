//! The probes' classic names (`ping`, `fping`, `traceroute`, `tcptraceroute`, `mtr`, `nc`,
//! `nmap`, `curl`) against the real tools on namespaces the tests build: each command line is
//! run through a link named after the tool (argv[0]), as `netshoot NAME …`, and by the peer,
//! and the values must agree (root).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use netshoot_testnet::cli::text;
use netshoot_testnet::{netns_pair, require_root, unique, wire, Child, Link, Netns};

/// A directory with a link to our binary for every classic name (made once per run).
fn links() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("netshoot-classic-probes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for name in [
            "ping",
            "fping",
            "traceroute",
            "tcptraceroute",
            "mtr",
            "nc",
            "netcat",
            "nmap",
            "curl",
        ] {
            let l = dir.join(name);
            let _ = std::fs::remove_file(&l);
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_netshoot"), &l).expect("symlink");
        }
        dir
    })
}

/// Who runs the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Our link named after the tool, inside the namespace (`ip netns exec NS LINK …`).
    Link,
    /// `netshoot -t netns:NS NAME …`.
    Verb,
    /// The real tool.
    Peer,
}

fn out(ns: &Netns, via: Via, tool: &str, args: &[&str]) -> Output {
    let mut c = match via {
        Via::Link => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &ns.name]).arg(links().join(tool));
            c
        }
        Via::Verb => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_netshoot"));
            c.args(["-t", &format!("netns:{}", ns.name), tool]);
            c
        }
        Via::Peer => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &ns.name, tool]);
            c
        }
    };
    c.args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run")
}

/// client 10.84.0.1 — server 10.84.0.2 and 10.84.0.3 (one link).
fn pair() -> (Netns, Netns, Link) {
    require_root();
    let (c, s, _, server_if, l) = netns_pair(("kc", "10.84.0.1/24"), ("ks", "10.84.0.2/24"));
    s.ip(&["addr", "add", "10.84.0.3/24", "dev", &server_if]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    (c, s, l)
}

/// An unknown flag: one line on stderr naming it, exit 2, through the link and the verb.
fn refuses_unknown_flag(tool: &str, flag: &str) {
    for via in [Via::Link, Via::Verb] {
        let o = match via {
            Via::Link => Command::new(links().join(tool))
                .args([flag, "x"])
                .output()
                .unwrap(),
            _ => Command::new(env!("CARGO_BIN_EXE_netshoot"))
                .args([tool, flag, "x"])
                .output()
                .unwrap(),
        };
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{tool} {flag} via {via:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{tool} {flag}: {e}");
        assert!(e.contains(flag), "{tool} {flag}: {e}");
        assert!(o.stdout.is_empty(), "{tool} {flag}");
    }
}

// ---------------------------------------------------------------------------------------- ping

/// `N packets transmitted, M received, X% packet loss` of a ping run.
fn ping_summary(t: &str) -> String {
    let l = t
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no summary in {t}"));
    let f: Vec<&str> = l.split(", ").collect();
    format!(
        "{}, {}, {}",
        f[0],
        f[1],
        f.iter().find(|x| x.contains("loss")).unwrap()
    )
}

#[test]
fn ping_counts_and_lines_agree_with_iputils() {
    require_root!();
    let (c, _s, _l) = pair();
    let args = [
        "-c",
        "3",
        "-i",
        "0.2",
        "-W",
        "1",
        "-n",
        "-s",
        "100",
        "-t",
        "7",
        "10.84.0.2",
    ];
    let theirs = out(&c, Via::Peer, "ping", &args);
    for via in [Via::Link, Via::Verb] {
        let ours = out(&c, via, "ping", &args);
        let (a, b) = (text(&ours.stdout), text(&theirs.stdout));
        assert_eq!(ping_summary(&a), ping_summary(&b), "{via:?}\n{a}\n{b}");
        assert_eq!(a.lines().next(), b.lines().next(), "the PING line");
        let replies = |t: &str| {
            t.lines()
                .filter(|l| l.starts_with("108 bytes from 10.84.0.2: icmp_seq="))
                .count()
        };
        assert_eq!(replies(&a), 3, "{a}");
        assert_eq!(replies(&a), replies(&b));
        assert_eq!(
            (ours.status.code(), theirs.status.code()),
            (Some(0), Some(0))
        );
    }
    // -q: only the header and the summary; -D: a [seconds.micros] stamp before each reply.
    for (flag, check) in [("-q", 0usize), ("-D", 2)] {
        let a = text(
            &out(
                &c,
                Via::Link,
                "ping",
                &["-c", "2", "-i", "0.2", flag, "10.84.0.2"],
            )
            .stdout,
        );
        let b = text(
            &out(
                &c,
                Via::Peer,
                "ping",
                &["-c", "2", "-i", "0.2", flag, "10.84.0.2"],
            )
            .stdout,
        );
        let stamped = |t: &str| {
            t.lines()
                .filter(|l| l.starts_with('[') && l.contains("] 64 bytes from"))
                .count()
        };
        let replies = |t: &str| t.lines().filter(|l| l.contains("bytes from")).count();
        if flag == "-q" {
            assert_eq!((replies(&a), replies(&b)), (check, check), "{a}\n{b}");
        } else {
            assert_eq!((stamped(&a), stamped(&b)), (check, check), "{a}\n{b}");
        }
        assert_eq!(ping_summary(&a), ping_summary(&b));
    }
}

/// `ping HOST | head -2` ends when head does, quietly, as iputils ends on SIGPIPE.
#[test]
fn ping_ends_quietly_when_the_reader_goes_away() {
    require_root!();
    let (c, _s, _l) = pair();
    let cmd = format!(
        "timeout 5 {} -i 0.2 10.84.0.2 | head -2",
        links().join("ping").display()
    );
    let t0 = std::time::Instant::now();
    let o = Command::new("ip")
        .args(["netns", "exec", &c.name, "sh", "-c", &cmd])
        .output()
        .unwrap();
    // before `timeout` would have stopped it
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(text(&o.stdout).lines().count(), 2);
    assert_eq!(text(&o.stderr), "", "no panic, no error line");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn ping_loss_deadline_interface_and_outstanding_agree_with_iputils() {
    require_root!();
    let (c, _s, _l) = pair();
    // Nobody holds .99: every request is lost (exit 1); -O reports each unanswered one.
    let args = ["-c", "3", "-i", "0.3", "-W", "1", "-O", "10.84.0.99"];
    let a = out(&c, Via::Link, "ping", &args);
    let b = out(&c, Via::Peer, "ping", &args);
    let (ta, tb) = (text(&a.stdout), text(&b.stdout));
    assert_eq!(a.status.code(), b.status.code(), "{ta}\n{tb}");
    assert_eq!(a.status.code(), Some(1));
    let loss = |t: &str| ping_summary(t).split(", ").nth(1).unwrap().to_string();
    assert_eq!(loss(&ta), "0 received");
    assert_eq!(loss(&ta), loss(&tb));
    let noanswer = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("no answer yet for icmp_seq="))
            .count()
    };
    assert!(noanswer(&ta) >= 1 && noanswer(&tb) >= 1, "{ta}\n{tb}");
    // -w deadline with -I interface (by name) and by source address.
    let ifname = c.ip(&["-o", "link", "show", "type", "veth"]);
    let ifname = ifname
        .split(':')
        .nth(1)
        .unwrap()
        .trim()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    for dev in [ifname.as_str(), "10.84.0.1"] {
        let args = ["-w", "1", "-i", "0.25", "-I", dev, "10.84.0.3"];
        let a = text(&out(&c, Via::Verb, "ping", &args).stdout);
        let b = text(&out(&c, Via::Peer, "ping", &args).stdout);
        let rcv = |t: &str| {
            ping_summary(t)
                .split(' ')
                .nth(3)
                .unwrap()
                .parse::<u32>()
                .unwrap()
        };
        assert!(rcv(&a) >= 3 && rcv(&b) >= 3, "{a}\n{b}");
        // `PING … from SOURCE IFACE: …` names what -I chose
        assert_eq!(a.lines().next(), b.lines().next());
        assert!(rcv(&a).abs_diff(rcv(&b)) <= 1, "{a}\n{b}");
    }
}

#[test]
fn ping_refuses_unknown_and_unsupported_flags() {
    refuses_unknown_flag("ping", "-Z");
    let o = Command::new(links().join("ping"))
        .args(["-f", "10.84.0.2"])
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(e.contains("'-f'") && e.contains("-i 0.01"), "{e}");
    let o = Command::new(links().join("ping")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("Destination address required"));
}

// --------------------------------------------------------------------------------------- fping

fn lines(t: &str) -> BTreeSet<String> {
    t.lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn fping_alive_unreachable_and_generate_agree() {
    require_root!();
    let (c, _s, _l) = pair();
    let args = [
        "-r",
        "1",
        "-t",
        "300",
        "10.84.0.2",
        "10.84.0.3",
        "10.84.0.77",
    ];
    let theirs = out(&c, Via::Peer, "fping", &args);
    let tb = lines(&text(&theirs.stdout));
    assert!(
        tb.contains("10.84.0.2 is alive") && tb.contains("10.84.0.77 is unreachable"),
        "{tb:?}"
    );
    for via in [Via::Link, Via::Verb] {
        let ours = out(&c, via, "fping", &args);
        assert_eq!(lines(&text(&ours.stdout)), tb, "{via:?}");
        assert_eq!(ours.status.code(), theirs.status.code());
        assert_eq!(ours.status.code(), Some(1));
    }
    // -a -g CIDR: the alive set of a /29; -u: the unreachable ones.
    for flag in ["-a", "-u"] {
        let args = [flag, "-r", "0", "-t", "300", "-g", "10.84.0.0/29"];
        let a = lines(&text(&out(&c, Via::Link, "fping", &args).stdout));
        let b = lines(&text(&out(&c, Via::Peer, "fping", &args).stdout));
        assert_eq!(a, b, "{flag}");
        if flag == "-a" {
            let want: BTreeSet<String> = ["10.84.0.1", "10.84.0.2", "10.84.0.3"]
                .map(String::from)
                .into();
            assert_eq!(a, want);
        } else {
            assert_eq!(a.len(), 3, "{a:?}"); // .4 .5 .6
        }
    }
    // -g FIRST LAST
    let args = ["-a", "-r", "0", "-t", "300", "-g", "10.84.0.1", "10.84.0.4"];
    assert_eq!(
        lines(&text(&out(&c, Via::Verb, "fping", &args).stdout)),
        lines(&text(&out(&c, Via::Peer, "fping", &args).stdout))
    );
}

/// fping -c / -C: the per-reply lines (without times) and the summary counts.
#[test]
fn fping_counts_and_summaries_agree() {
    require_root!();
    let (c, _s, _l) = pair();
    let strip = |t: &str| -> BTreeSet<String> {
        // "10.84.0.2 : [0], 64 bytes, 0.041 ms (0.041 avg, 0% loss)" -> "10.84.0.2 : [0], 64 bytes"
        // "10.84.0.2 : xmt/rcv/%loss = 3/3/0%, min/avg/max = …" -> "… = 3/3/0%"
        t.lines()
            .map(|l| l.split(", ").take(2).collect::<Vec<_>>().join(", "))
            .map(|l| {
                if l.contains("xmt/rcv") {
                    l.split(", ").next().unwrap().to_string()
                } else {
                    l
                }
            })
            .collect()
    };
    let args = [
        "-c",
        "3",
        "-p",
        "200",
        "-t",
        "400",
        "10.84.0.2",
        "10.84.0.3",
        "10.84.0.88",
    ];
    let b = out(&c, Via::Peer, "fping", &args);
    for via in [Via::Link, Via::Verb] {
        let a = out(&c, via, "fping", &args);
        assert_eq!(
            strip(&text(&a.stdout)),
            strip(&text(&b.stdout)),
            "{via:?} stdout"
        );
        assert_eq!(
            strip(&text(&a.stderr)),
            strip(&text(&b.stderr)),
            "{via:?} stderr"
        );
        assert_eq!(a.status.code(), b.status.code());
    }
    assert!(
        text(&b.stderr).contains("10.84.0.88 : xmt/rcv/%loss = 3/0/100%"),
        "{}",
        text(&b.stderr)
    );
    // -q: summaries only; -C: the list of round trips, '-' for the lost ones.
    let args = [
        "-q",
        "-C",
        "2",
        "-p",
        "200",
        "-t",
        "400",
        "10.84.0.2",
        "10.84.0.88",
    ];
    let a = out(&c, Via::Link, "fping", &args);
    let b = out(&c, Via::Peer, "fping", &args);
    assert!(a.stdout.is_empty() && b.stdout.is_empty());
    let shape = |t: &str| -> BTreeSet<String> {
        t.lines()
            .map(|l| {
                l.split(' ')
                    .map(|w| if w.parse::<f64>().is_ok() { "T" } else { w })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    assert_eq!(
        shape(&text(&a.stderr)),
        shape(&text(&b.stderr)),
        "{}\n{}",
        text(&a.stderr),
        text(&b.stderr)
    );
}

#[test]
fn fping_refuses_unknown_flags() {
    refuses_unknown_flag("fping", "-Z");
}

// ------------------------------------------------------------- traceroute, tcptraceroute, mtr

/// client 10.85.1.2 — r1 — r2 — server 10.85.3.2 (each link a /24; routers without ICMP rate
/// limits), with TCP listeners on 80 and 8080 at the server.
struct Chain {
    client: Netns,
    _routers: Vec<Netns>,
    _server: Netns,
    _web: Vec<Child>,
}

fn chain() -> Chain {
    require_root();
    let c = Netns::new("kc");
    let r: Vec<Netns> = (0..2).map(|_| Netns::new("kr")).collect();
    let s = Netns::new("ks");
    wire(&c, "10.85.1.2/24", &r[0], "10.85.1.1/24");
    wire(&r[0], "10.85.2.1/24", &r[1], "10.85.2.2/24");
    wire(&r[1], "10.85.3.1/24", &s, "10.85.3.2/24");
    for ns in r.iter().chain([&c, &s]) {
        ns.sh("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0");
    }
    c.ip(&["route", "add", "default", "via", "10.85.1.1"]);
    r[0].ip(&["route", "add", "default", "via", "10.85.2.2"]);
    r[1].ip(&["route", "add", "default", "via", "10.85.2.1"]);
    s.ip(&["route", "add", "default", "via", "10.85.3.1"]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    let web = s.tcp_sinks(&["80", "8080"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    Chain {
        client: c,
        _routers: r,
        _server: s,
        _web: web,
    }
}

/// The hops of traceroute's lines: TTL → the addresses and flags (`<syn,ack>`, `!H`) shown.
fn hops(t: &str) -> Vec<(u8, BTreeSet<String>)> {
    t.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let ttl: u8 = w.next()?.parse().ok()?;
            let seen = w
                .filter(|x| {
                    x.trim_matches(|c| c == '(' || c == ')')
                        .parse::<std::net::Ipv4Addr>()
                        .is_ok()
                        || x.starts_with('<')
                        || x.starts_with('!')
                })
                .map(String::from)
                .collect();
            Some((ttl, seen))
        })
        .collect()
}

#[test]
fn traceroute_hops_agree_udp_icmp_tcp() {
    require_root!();
    let ch = chain();
    let want = vec![
        (1, BTreeSet::from(["10.85.1.1".to_string()])),
        (2, BTreeSet::from(["10.85.2.2".to_string()])),
        (3, BTreeSet::from(["10.85.3.2".to_string()])),
    ];
    for args in [
        &["-n", "-q", "2", "-w", "1", "10.85.3.2"][..],
        &["-n", "-I", "-q", "1", "10.85.3.2"],
        &["-n", "-T", "-p", "8080", "-q", "1", "10.85.3.2"],
        &["-n", "-U", "-q", "1", "-z", "20", "10.85.3.2"],
    ] {
        let theirs = out(&ch.client, Via::Peer, "traceroute", args);
        let b = text(&theirs.stdout);
        assert_eq!(hops(&b), want, "peer {args:?}\n{b}");
        for via in [Via::Link, Via::Verb] {
            let ours = out(&ch.client, via, "traceroute", args);
            let a = text(&ours.stdout);
            assert_eq!(hops(&a), hops(&b), "{via:?} {args:?}\n{a}\n{b}");
            assert_eq!(ours.status.code(), Some(0));
            assert_eq!(theirs.status.code(), Some(0));
            // the header line
            assert_eq!(a.lines().next(), b.lines().next(), "{args:?}");
        }
    }
    // Without -n: `ADDR (ADDR)` (no reverse names in these namespaces); -f/-m cut the range.
    let args = ["-f", "2", "-m", "2", "-q", "1", "10.85.3.2"];
    let a = text(&out(&ch.client, Via::Link, "traceroute", &args).stdout);
    let b = text(&out(&ch.client, Via::Peer, "traceroute", &args).stdout);
    assert_eq!(hops(&a), hops(&b), "{a}\n{b}");
    assert!(
        a.lines()
            .nth(1)
            .unwrap_or("")
            .starts_with(" 2  10.85.2.2 (10.85.2.2)  "),
        "{a}"
    );
}

#[test]
fn tcptraceroute_shows_the_destination_flags_like_debians() {
    require_root!();
    let ch = chain();
    for (port, flag) in [("80", "<syn,ack>"), ("81", "<rst,ack>")] {
        let args = ["-n", "-q", "1", "10.85.3.2", port];
        let b = text(&out(&ch.client, Via::Peer, "tcptraceroute", &args).stdout);
        assert!(hops(&b).last().unwrap().1.contains(flag), "{b}");
        for via in [Via::Link, Via::Verb] {
            let a = text(&out(&ch.client, via, "tcptraceroute", &args).stdout);
            assert_eq!(hops(&a), hops(&b), "{via:?} {port}\n{a}\n{b}");
        }
    }
}

/// mtr -r rows: (hop, host, Loss%, Snt).
fn mtr_rows(t: &str) -> Vec<(String, String, String, String)> {
    t.lines()
        .filter(|l| l.contains(".|-- "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0].into(), w[1].into(), w[2].into(), w[3].into())
        })
        .collect()
}

#[test]
fn mtr_report_and_json_agree() {
    require_root!();
    let ch = chain();
    for args in [
        &["-r", "-n", "-c", "3", "-i", "0.2", "10.85.3.2"][..],
        &[
            "-rw",
            "-n",
            "-c",
            "2",
            "-i",
            "0.2",
            "-T",
            "-P",
            "8080",
            "10.85.3.2",
        ],
    ] {
        let b = text(&out(&ch.client, Via::Peer, "mtr", args).stdout);
        for via in [Via::Link, Via::Verb] {
            let a = text(&out(&ch.client, via, "mtr", args).stdout);
            assert_eq!(mtr_rows(&a), mtr_rows(&b), "{via:?} {args:?}\n{a}\n{b}");
            assert_eq!(mtr_rows(&a).len(), 3, "{a}");
            // the header line, column for column
            let head = |t: &str| t.lines().nth(1).unwrap_or("").to_string();
            assert_eq!(head(&a), head(&b), "{args:?}");
        }
    }
    let args = ["--json", "-n", "-c", "2", "-i", "0.2", "10.85.3.2"];
    let hubs = |t: &str| -> Vec<(String, f64, u64)> {
        let v: serde_json::Value = serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}: {t}"));
        v["report"]["hubs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["host"].as_str().unwrap().to_string(),
                    h["Loss%"].as_f64().unwrap(),
                    h["Snt"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let a = text(&out(&ch.client, Via::Link, "mtr", &args).stdout);
    let b = text(&out(&ch.client, Via::Peer, "mtr", &args).stdout);
    assert_eq!(hubs(&a), hubs(&b));
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["report"]["mtr"]["dst"], "10.85.3.2");
    assert_eq!(v["report"]["mtr"]["tests"], 2);
}

/// On a terminal (`script` gives a pty), mtr draws its screen on the alternate screen with the
/// hops mtr's report shows, ends after -c cycles and restores the terminal.
/// fping names the ICMP errors its requests draw (a routing loop between the routers).
#[test]
fn fping_reports_icmp_errors_like_fping() {
    require_root!();
    let ch = chain();
    let args = ["-c", "2", "-p", "200", "-t", "500", "10.85.9.9"];
    let icmp = |o: &Output| -> Vec<String> {
        text(&o.stderr)
            .lines()
            .filter(|l| l.starts_with("ICMP "))
            .map(String::from)
            .collect()
    };
    let b = out(&ch.client, Via::Peer, "fping", &args);
    let a = out(&ch.client, Via::Link, "fping", &args);
    assert_eq!(
        icmp(&a),
        icmp(&b),
        "{}\n{}",
        text(&a.stderr),
        text(&b.stderr)
    );
    assert_eq!(icmp(&a).len(), 2, "{}", text(&a.stderr));
    assert!(
        icmp(&a)[0].contains("ICMP Time Exceeded from 10.85."),
        "{:?}",
        icmp(&a)
    );
    assert_eq!(a.status.code(), b.status.code());
}

#[test]
fn mtr_draws_a_screen_on_a_terminal() {
    require_root!();
    let ch = chain();
    let cmd = format!(
        "ip netns exec {} {} -n -c 2 -i 0.2 10.85.3.2",
        ch.client.name,
        links().join("mtr").display()
    );
    let screen = netshoot_testnet::cli::pty(
        &cmd,
        netshoot_testnet::cli::Pty::sized(20, 120, std::time::Duration::from_secs(30)),
    )
    .out;
    assert!(
        screen.contains("\x1b[?1049h") && screen.contains("\x1b[?1049l"),
        "alternate screen entered and left: {screen:?}"
    );
    let b = text(
        &out(
            &ch.client,
            Via::Peer,
            "mtr",
            &["-r", "-n", "-c", "2", "-i", "0.2", "10.85.3.2"],
        )
        .stdout,
    );
    let hosts: Vec<String> = mtr_rows(&b).into_iter().map(|r| r.1).collect();
    assert_eq!(hosts, ["10.85.1.1", "10.85.2.2", "10.85.3.2"]);
    for h in &hosts {
        assert!(screen.contains(h.as_str()), "{h} on the screen: {screen:?}");
    }
    // -t without a terminal: one line, exit 2.
    let o = out(&ch.client, Via::Link, "mtr", &["-t", "10.85.3.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr).lines().count(), 1);
}

#[test]
fn trace_tools_refuse_unknown_flags() {
    refuses_unknown_flag("traceroute", "-Y");
    refuses_unknown_flag("tcptraceroute", "-Y");
    refuses_unknown_flag("mtr", "-Y");
}

// ------------------------------------------------------------------------------------------ nc

/// The pair with a web port (80), an echo port (7007) and a UDP echo (5353) at 10.84.0.2.
fn pair_with_servers() -> (Netns, Netns, Link, Vec<Child>) {
    let (c, s, l) = pair();
    let kids = vec![
        s.spawn(&["socat", "TCP-LISTEN:80,fork,reuseaddr", "OPEN:/dev/null"]),
        s.spawn(&["socat", "TCP-LISTEN:7007,fork,reuseaddr", "PIPE"]),
        s.spawn(&["socat", "UDP-LISTEN:5353,fork,reuseaddr", "PIPE"]),
    ];
    std::thread::sleep(std::time::Duration::from_millis(300));
    (c, s, l, kids)
}

#[test]
fn nc_verdicts_and_messages_agree_with_openbsd_netcat() {
    require_root!();
    let (c, _s, _l, _k) = pair_with_servers();
    for args in [
        &["-vz", "10.84.0.2", "80"][..],
        &["-vz", "10.84.0.2", "81"],
        &["-z", "10.84.0.2", "81"],
        &["-vz", "-w", "1", "10.84.0.2", "79-81"],
        &["-v", "-z", "10.84.0.2", "80", "7007", "81"],
        &["-vzu", "10.84.0.2", "5353"],
        &["-vzu", "10.84.0.2", "5354"],
        &["-vz", "-w", "1", "10.84.0.77", "80"],
        &["-vz", "-n", "10.84.0.3", "12345"],
    ] {
        // An address nobody holds: each run starts from an empty neighbour table, so each
        // waits for ARP the same way.
        c.ip(&["neigh", "flush", "all"]);
        let theirs = out(&c, Via::Peer, "nc", args);
        for (via, name) in [(Via::Link, "nc"), (Via::Verb, "nc"), (Via::Link, "netcat")] {
            c.ip(&["neigh", "flush", "all"]);
            let ours = out(&c, via, name, args);
            assert_eq!(
                text(&ours.stderr),
                text(&theirs.stderr),
                "{via:?} {name} {args:?}"
            );
            assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
            assert!(ours.stdout.is_empty());
        }
    }
    let o = out(&c, Via::Link, "nc", &["-vz", "10.84.0.2", "80"]);
    assert_eq!(
        text(&o.stderr),
        "Connection to 10.84.0.2 80 port [tcp/http] succeeded!\n"
    );
    let o = out(&c, Via::Link, "nc", &["-vz", "10.84.0.2", "81"]);
    assert_eq!(o.status.code(), Some(1));
}

/// Bytes through an echo server, TCP (-N, -q) and UDP, and a refused connection.
#[test]
fn nc_moves_the_same_bytes_as_openbsd_netcat() {
    require_root!();
    let (c, _s, _l, _k) = pair_with_servers();
    let feed = |via: Via, args: &[&str], input: &str| -> (String, String, Option<i32>) {
        let mut cmd = match via {
            Via::Peer => {
                let mut x = Command::new("ip");
                x.args(["netns", "exec", &c.name, "nc"]);
                x
            }
            _ => {
                let mut x = Command::new("ip");
                x.args(["netns", "exec", &c.name]).arg(links().join("nc"));
                x
            }
        };
        let mut child = cmd
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (text(&o.stdout), text(&o.stderr), o.status.code())
    };
    for (args, input) in [
        (&["-N", "10.84.0.2", "7007"][..], "hello\nworld\n"),
        (&["-q", "1", "-v", "10.84.0.2", "7007"], "one line\n"),
        (&["-u", "-w", "1", "10.84.0.2", "5353"], "datagram\n"),
        (&["-v", "10.84.0.2", "7008"], "x\n"),
    ] {
        let a = feed(Via::Link, args, input);
        let b = feed(Via::Peer, args, input);
        assert_eq!(a, b, "{args:?}");
    }
}

/// Our `nc -l` receives what the peer's nc sends, and says so in netcat's words with -v.
#[test]
fn nc_listens_like_openbsd_netcat() {
    require_root!();
    let (c, s, _l) = pair();
    let shape = |t: &str| -> String {
        // "Connection received on 10.84.0.1 41234" -> "… 10.84.0.1 PORT"
        t.lines()
            .map(|l| match l.rsplit_once(' ') {
                Some((a, p))
                    if l.starts_with("Connection received") && p.parse::<u16>().is_ok() =>
                {
                    format!("{a} PORT")
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut got = Vec::new();
    for (via, port) in [(Via::Link, "9101"), (Via::Peer, "9102")] {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &s.name]);
        match via {
            Via::Peer => cmd.arg("nc"),
            _ => cmd.arg(links().join("nc")),
        };
        let server = cmd
            .args(["-lvn", "-p", port])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400));
        c.sh(&format!(
            "for i in $(seq 30); do printf 'to the listener\\n' | nc -N -w 2 10.84.0.2 {port} && break; sleep 0.2; done"
        ));
        let o = server.wait_with_output().unwrap();
        got.push((
            text(&o.stdout),
            shape(&text(&o.stderr)).replace(port, "P"),
            o.status.code(),
        ));
    }
    assert_eq!(got[0], got[1]);
    assert_eq!(got[0].0, "to the listener\n");
    assert!(got[0].1.contains("Listening on 0.0.0.0 P"), "{:?}", got[0]);
    // UDP: -luv binds, names the first sender, prints the datagram (both stopped by timeout).
    let mut got = Vec::new();
    for (via, port) in [(Via::Link, "9103"), (Via::Peer, "9104")] {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &s.name, "timeout", "2"]);
        match via {
            Via::Peer => cmd.arg("nc"),
            _ => cmd.arg(links().join("nc")),
        };
        let server = cmd
            .args(["-luvn", "-p", port])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        c.sh(&format!(
            "printf 'a datagram\\n' | nc -u -w 1 10.84.0.2 {port}"
        ));
        let o = server.wait_with_output().unwrap();
        got.push((text(&o.stdout), shape(&text(&o.stderr)).replace(port, "P")));
    }
    assert_eq!(got[0], got[1]);
    assert_eq!(got[0].0, "a datagram\n");
    assert!(
        got[0]
            .1
            .starts_with("Bound on 0.0.0.0 P\nConnection received on 10.84.0.1 PORT"),
        "{:?}",
        got[0]
    );
}

#[test]
fn nc_refuses_unknown_flags() {
    refuses_unknown_flag("nc", "-Y");
    refuses_unknown_flag("netcat", "-Y");
}

// ---------------------------------------------------------------------------------------- nmap

/// The lines of an nmap report that carry facts (times and nmap's chatter left out): the
/// report and host lines, Not shown, the table (exact columns unless `loose`), MAC, notes,
/// Discovered (sorted at the end: nmap scans hosts in parallel), and the done line up to the
/// time.
fn nmap_facts(t: &str, loose: bool) -> Vec<String> {
    let (mut found, mut rest): (Vec<String>, Vec<String>) = t
        .lines()
        .filter_map(|l| {
            let first = l.split_whitespace().next().unwrap_or("");
            let row = first.contains("/tcp") || first.contains("/udp");
            if row {
                if loose {
                    return Some(l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
                }
                return Some(l.trim_end().to_string());
            }
            if l.starts_with("PORT ") {
                return Some(if loose {
                    "PORT".into()
                } else {
                    l.trim_end().into()
                });
            }
            if l.starts_with("Host is up") {
                return Some(l.split(" (").next().unwrap().trim_end_matches('.').into());
            }
            if l.starts_with("Nmap done:") {
                return Some(l.split(" scanned in").next().unwrap().into());
            }
            [
                "Nmap scan report for",
                "Not shown:",
                "All ",
                "MAC Address:",
                "Note: Host seems down",
                "Discovered open port",
            ]
            .iter()
            .any(|p| l.starts_with(p))
            .then(|| l.to_string())
        })
        .partition(|l| l.starts_with("Discovered"));
    found.sort();
    rest.extend(found);
    rest
}

#[test]
fn nmap_reports_agree_with_nmap() {
    require_root!();
    let (c, s, _l, _k) = pair_with_servers();
    s.sh("sysctl -qw net.ipv4.icmp_ratelimit=0");
    // UDP echoes: 9876 has no nmap payload (an empty probe gets no echo: open|filtered), 7777
    // and 5353 have one (nmap-payloads), so both tools see them open.
    let _udp = s.spawn(&["socat", "UDP-LISTEN:9876,fork,reuseaddr", "PIPE"]);
    let _udp2 = s.spawn(&["socat", "UDP-LISTEN:7777,fork,reuseaddr", "PIPE"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    for (args, loose) in [
        (&["-n", "-sS", "-p", "1-100,7007", "10.84.0.2"][..], false),
        (
            &["-n", "-sT", "-Pn", "-p", "79-81,7007", "10.84.0.2"],
            false,
        ),
        (&["-n", "-p-", "--open", "-T4", "10.84.0.2"], false),
        (
            &["-n", "-sU", "-p", "5353,5354,7777,9876", "10.84.0.2"],
            false,
        ),
        (&["-n", "-sT", "-d", "-p", "80,81", "10.84.0.2"], true),
        (
            &["-n", "-v", "-p", "80,7007,8080", "10.84.0.2", "10.84.0.3"],
            false,
        ),
        (&["-n", "-sn", "10.84.0.0/29"], false),
        (&["-n", "-p", "80", "10.84.0.99"], false),
    ] {
        let theirs = out(&c, Via::Peer, "nmap", args);
        let b = nmap_facts(&text(&theirs.stdout), loose);
        assert!(!b.is_empty(), "{args:?}: {}", text(&theirs.stdout));
        for via in [Via::Link, Via::Verb] {
            let ours = out(&c, via, "nmap", args);
            let a = nmap_facts(&text(&ours.stdout), loose);
            assert_eq!(
                a,
                b,
                "{via:?} {args:?}\n{}\n{}",
                text(&ours.stdout),
                text(&theirs.stdout)
            );
            assert_eq!(ours.status.code(), theirs.status.code());
        }
    }
}

#[test]
fn nmap_writes_normal_output_and_refuses_other_formats() {
    require_root!();
    let (c, _s, _l, _k) = pair_with_servers();
    let file = std::env::temp_dir().join(format!("netshoot-nmap-{}.txt", std::process::id()));
    let f = file.to_str().unwrap();
    let o = out(
        &c,
        Via::Link,
        "nmap",
        &["-n", "-sT", "-p", "80,81", "-oN", f, "10.84.0.2"],
    );
    assert_eq!(o.status.code(), Some(0));
    let written = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(written.starts_with("# Nmap"), "{written}");
    assert_eq!(
        nmap_facts(&written, false),
        nmap_facts(&text(&o.stdout), false)
    );
    assert!(written.contains("80/tcp open   http\n"), "{written}");
    // netshoot --json nmap / nc: one JSON document with the same verdicts.
    let spec = format!("netns:{}", c.name);
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &spec,
            "--json",
            "nmap",
            "-n",
            "-sT",
            "-p",
            "80,81",
            "10.84.0.2",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<&str> = v["scans"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["open", "closed"]);
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "--json", "nc", "-vz", "10.84.0.2", "80", "81"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["state"], "open");
    assert_eq!(v[1]["state"], "refused");
    assert!(o.stderr.is_empty());
    for fmt in ["-oX", "-oG"] {
        let o = Command::new(links().join("nmap"))
            .args([fmt, "x", "10.84.0.2"])
            .output()
            .unwrap();
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(e.lines().count(), 1);
        assert!(e.contains(fmt) && e.contains("-oN"), "{e}");
    }
    refuses_unknown_flag("nmap", "-Y");
}

// ---------------------------------------------------------------------------------------- curl

/// The pair with python's http.server on 10.84.0.2:8000 (a page, a file, a directory that
/// redirects), and a port that accepts and never answers (9090).
fn web() -> (Netns, Netns, Link, Vec<Child>, PathBuf) {
    let (c, s, l) = pair();
    let root = std::env::temp_dir().join(unique("kw"));
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("index.html"), "hello from the server\n").unwrap();
    std::fs::write(root.join("sub/data.txt"), "x".repeat(5000)).unwrap();
    let kids = vec![
        s.spawn(&[
            "python3",
            "-m",
            "http.server",
            "8000",
            "-b",
            "10.84.0.2",
            "-d",
            root.to_str().unwrap(),
        ]),
        s.spawn(&["socat", "TCP-LISTEN:9090,fork,reuseaddr", "SYSTEM:sleep 10"]),
    ];
    // wait until the server answers
    for _ in 0..50 {
        if c.sh("curl -s -o /dev/null -w '%{http_code}' http://10.84.0.2:8000/ || true") == "200" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (c, s, l, kids, root)
}

/// curl's `curl: (N) …` lines with the milliseconds taken out.
fn curl_errors(t: &str) -> Vec<String> {
    t.lines()
        .filter(|l| l.starts_with("curl:"))
        .map(|l| {
            l.split_whitespace()
                .map(|w| if w.parse::<u64>().is_ok() { "N" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|l| l.split(" with ").next().unwrap().to_string())
        .collect()
}

#[test]
fn curl_bodies_write_out_and_errors_agree_with_curl() {
    require_root!();
    let (c, _s, _l, _k, root) = web();
    let base = "http://10.84.0.2:8000";
    let page = format!("{base}/");
    let data = format!("{base}/sub/data.txt");
    let sub = format!("{base}/sub");
    let nope = format!("{base}/nope");
    let cases: Vec<Vec<&str>> = vec![
        vec!["-s", &page],
        vec!["-s", &data],
        vec![
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{content_type}\\n",
            &data,
        ],
        vec![
            "-s",
            "-L",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{num_redirects} %{url_effective}",
            &sub,
        ],
        vec![
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            &sub,
        ],
        vec![
            "-s",
            "-X",
            "POST",
            "-d",
            "a=b",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &page,
        ],
        vec![
            "-s",
            "-H",
            "X-Probe: 1",
            "-A",
            "probe/1",
            "-u",
            "u:p",
            "-w",
            "%{http_code}",
            &page,
        ],
        vec!["-f", &nope],
        vec!["-sf", &nope],
        vec!["-sSf", &nope],
        vec!["-s", "-w", "%{http_code}", &nope],
        vec!["http://10.84.0.2:81/"],
        vec!["-s", "http://10.84.0.2:81/"],
        vec!["-sS", "http://no-such-host.invalid/"],
        vec!["-sS", "-m", "1", "http://10.84.0.2:9090/"],
        vec![
            "-s",
            "--resolve",
            "web.test:8000:10.84.0.2",
            "http://web.test:8000/",
        ],
        vec![
            "-s",
            "--http1.1",
            "-G",
            "-d",
            "q=1",
            "-w",
            " %{http_code}",
            &page,
        ],
        vec!["10.84.0.2:8000/"],
    ];
    for args in &cases {
        let theirs = out(&c, Via::Peer, "curl", args);
        for via in [Via::Link, Via::Verb] {
            let ours = out(&c, via, "curl", args);
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{via:?} {args:?}");
            assert_eq!(ours.status.code(), theirs.status.code(), "{via:?} {args:?}");
            assert_eq!(
                curl_errors(&text(&ours.stderr)),
                curl_errors(&text(&theirs.stderr)),
                "{via:?} {args:?}"
            );
        }
    }
    // What those runs saw, spelled out (so the comparisons above cannot agree on nothing).
    let o = out(&c, Via::Link, "curl", &["-s", &page]);
    assert_eq!(text(&o.stdout), "hello from the server\n");
    let o = out(
        &c,
        Via::Link,
        "curl",
        &[
            "-s",
            "-L",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{num_redirects}",
            &sub,
        ],
    );
    assert_eq!(text(&o.stdout), "200 1");
    let o = out(&c, Via::Link, "curl", &["-f", &nope]);
    assert_eq!(o.status.code(), Some(22));
    assert_eq!(
        text(&o.stderr),
        "curl: (22) The requested URL returned error: 404\n"
    );
    assert!(o.stdout.is_empty());
    let o = out(&c, Via::Link, "curl", &["http://10.84.0.2:81/"]);
    assert_eq!(o.status.code(), Some(7));
    assert!(text(&o.stderr).starts_with("curl: (7) Failed to connect to 10.84.0.2 port 81 after "));
    // -I, -i, -D - and -v with -i: the same status line and headers by name (and body).
    for flag in ["-sI", "-si", "-sD-", "-svi"] {
        let a = text(&out(&c, Via::Link, "curl", &[flag, &page]).stdout);
        let b = text(&out(&c, Via::Peer, "curl", &[flag, &page]).stdout);
        let names = |t: &str| -> Vec<String> {
            t.lines()
                .map(|l| l.split(':').next().unwrap_or("").to_string())
                .filter(|n| n != "Date")
                .collect()
        };
        assert_eq!(a.lines().next(), b.lines().next(), "{flag}");
        assert_eq!(names(&a), names(&b), "{flag}\n{a}\n{b}");
    }
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn curl_refuses_unknown_and_unsupported_flags() {
    refuses_unknown_flag("curl", "--bogus-flag");
    let o = Command::new(links().join("curl"))
        .args(["-x", "p:3128", "http://10.84.0.2/"])
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(e.contains("'-x'") && e.contains("proxies"), "{e}");
}
