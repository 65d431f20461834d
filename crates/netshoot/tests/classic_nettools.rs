//! The classic names `netstat`, `ss`, `ifconfig`, `route` and `arp` against Debian's net-tools
//! and iproute2 on the same namespace (root): the same command line through a link named after
//! the tool (run inside the namespace with `ip netns exec`) and as `netshoot -t netns:NAME NAME …`,
//! next to the real tool run the same way. Header lines must be equal; rows equal as sets (text
//! equal where the brief asks it); counters that move between two runs are masked.

use std::process::{Command, Output};
use std::time::Duration;

use netshoot_testnet::{require_root, run, veth_pair, Child, Links, Netns};

/// The namespace under test and what lives in it.
struct World {
    ns: Netns,
    _peer: Netns,
    _kids: Vec<Child>,
    links: Links,
    sock: String,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sock);
        let _ = std::fs::remove_file(format!("{}.dg", self.sock));
    }
}

/// A namespace with eth0 (a veth to a peer namespace) carrying IPv4 and IPv6 addresses, a down
/// veth pair, routes of every kind net-tools prints (default, gateway with metric, host,
/// blackhole, unreachable), neighbours (permanent, resolved, unresolved), TCP and UDP
/// listeners and connections over IPv4 and IPv6, a pinger's raw sockets and a unix listener
/// with a client. Its resolv.conf points at 127.0.0.1 (nothing listens), so a peer tool that
/// tries DNS for a name fails at once without leaving the namespace.
fn world() -> World {
    require_root();
    let ns = Netns::new("nt");
    let peer = Netns::new("nu");
    ns.resolv_conf("nameserver 127.0.0.1\n");
    let (ia, ib, _g) = veth_pair((Some(&ns), None), (Some(&peer), None));
    ns.ip(&["link", "set", &ia, "down"]);
    ns.ip(&["link", "set", &ia, "name", "eth0"]);
    ns.ip(&["link", "set", "eth0", "up"]);
    ns.ip(&["addr", "add", "10.171.0.1/24", "brd", "+", "dev", "eth0"]);
    ns.ip(&["-6", "addr", "add", "fd17::1/64", "dev", "eth0", "nodad"]);
    // An alias interface (ifconfig lists eth0:1 of its own) and an unlabelled secondary.
    ns.ip(&[
        "addr",
        "add",
        "10.171.0.100/24",
        "dev",
        "eth0",
        "label",
        "eth0:1",
    ]);
    ns.ip(&["addr", "add", "10.171.0.101/24", "dev", "eth0"]);
    peer.ip(&["addr", "add", "10.171.0.2/24", "dev", &ib]);
    ns.ip(&["link", "add", "dn0", "type", "veth", "peer", "name", "dn1"]);
    // A point-to-point tun device (ifconfig's `destination`, the UNSPEC hardware line).
    ns.ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ns.ip(&["link", "set", "tun0", "up"]);
    ns.ip(&[
        "addr",
        "add",
        "10.176.0.1",
        "peer",
        "10.176.0.2",
        "dev",
        "tun0",
    ]);
    for r in [
        &["route", "add", "default", "via", "10.171.0.2"][..],
        &[
            "route",
            "add",
            "10.172.0.0/16",
            "via",
            "10.171.0.2",
            "metric",
            "50",
        ],
        &["route", "add", "blackhole", "10.173.0.0/16"],
        &["route", "add", "unreachable", "10.174.0.0/16"],
        &["route", "add", "10.175.0.5", "dev", "eth0"],
        // A multipath route (/proc/net/route shows its first next hop), one with metrics
        // (route -e's MSS, Window and irtt), a prohibit host route and a throw route.
        &[
            "route",
            "add",
            "10.177.0.0/16",
            "nexthop",
            "via",
            "10.171.0.2",
            "nexthop",
            "via",
            "10.171.0.3",
        ],
        &[
            "route",
            "add",
            "10.178.0.0/16",
            "via",
            "10.171.0.2",
            "advmss",
            "1300",
            "window",
            "5000",
            "rtt",
            "100",
        ],
        &["route", "add", "prohibit", "10.179.0.5"],
        &["route", "add", "throw", "10.180.0.0/16"],
    ] {
        ns.ip(r);
    }
    ns.ip(&[
        "neigh",
        "add",
        "10.171.0.9",
        "lladdr",
        "aa:bb:cc:dd:ee:01",
        "dev",
        "eth0",
    ]);
    // A resolved neighbour (the peer) and one that never answers (an unused address of our
    // own test subnet).
    ns.exec(&["ping", "-c1", "-W2", "10.171.0.2"]);
    let _ = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "ping",
            "-c1",
            "-W1",
            "10.171.0.7",
        ])
        .output();
    let sock = format!("/tmp/{}.sock", ns.name);
    let mut kids = vec![
        ns.spawn(&[
            "socat",
            "TCP4-LISTEN:7201,bind=127.0.0.1,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "socat",
            "TCP6-LISTEN:7202,ipv6only=0,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "socat",
            "TCP6-LISTEN:7203,bind=[::1],ipv6only=1,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "sh",
            "-c",
            "sleep 60 | socat UDP4-RECV:7204,bind=127.0.0.1 -",
        ]),
        ns.spawn(&["sh", "-c", "sleep 60 | socat UDP6-RECV:7205 -"]),
        // Ports /etc/services names (http-alt, mdns): printed by name without -n.
        ns.spawn(&[
            "socat",
            "TCP4-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork",
            "SYSTEM:cat",
        ]),
        ns.spawn(&[
            "sh",
            "-c",
            "sleep 60 | socat UDP4-RECV:5353,bind=127.0.0.1 -",
        ]),
        ns.spawn(&["socat", &format!("UNIX-LISTEN:{sock},fork"), "SYSTEM:cat"]),
        // An unconnected unix datagram socket (ss: UNCONN, netstat: no state).
        ns.spawn(&[
            "sh",
            "-c",
            &format!("sleep 60 | socat UNIX-RECV:{sock}.dg -"),
        ]),
        ns.spawn(&["ping", "-q", "-i", "0.5", "127.0.0.1"]),
        // netstat -p names a process by its argv[0]: cut to 19 characters with the PID, the
        // file name of an absolute path.
        ns.spawn(&[
            "python3",
            "-c",
            "import os; os.execv('/usr/bin/socat', ['a-very-long-program-name', 'TCP4-LISTEN:7206,bind=127.0.0.1,reuseaddr', 'SYSTEM:cat'])",
        ]),
        ns.spawn(&[
            "/usr/bin/socat",
            "TCP4-LISTEN:7207,bind=127.0.0.1,reuseaddr",
            "SYSTEM:cat",
        ]),
    ];
    std::thread::sleep(Duration::from_millis(500));
    kids.push(ns.spawn(&["sh", "-c", "sleep 60 | socat - TCP4:127.0.0.1:7201"]));
    kids.push(ns.spawn(&["sh", "-c", "sleep 60 | socat - TCP6:[::1]:7202"]));
    kids.push(ns.spawn(&["sh", "-c", "sleep 60 | socat - UDP4:127.0.0.1:7204"]));
    // A connection with a keepalive timer (ss -o: timer:(keepalive,24min,0)), and one closed
    // at once, whose socket waits in TIME-WAIT (not in ss's default states; in netstat's).
    kids.push(ns.spawn(&[
        "sh",
        "-c",
        "sleep 60 | socat - TCP4:127.0.0.1:7201,keepalive,keepidle=1500",
    ]));
    ns.sh("echo hi | socat - TCP4:127.0.0.1:7201");
    kids.push(ns.spawn(&[
        "sh",
        "-c",
        &format!("sleep 60 | socat - UNIX-CONNECT:{sock}"),
    ]));
    for _ in 0..50 {
        let n = ns
            .exec(&["ss", "-Htn", "state", "established"])
            .lines()
            .count();
        let u = ns
            .exec(&["ss", "-Hun", "state", "established"])
            .lines()
            .count();
        let l = ns.exec(&["ss", "-Htln"]).lines().count();
        if n >= 6 && u >= 1 && l >= 6 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    World {
        ns,
        _peer: peer,
        _kids: kids,
        links: Links::new(env!("CARGO_BIN_EXE_netshoot")),
        sock,
    }
}

fn text(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

impl World {
    /// The real tool inside the namespace.
    fn peer(&self, tool: &str, args: &[&str]) -> String {
        let mut v = vec!["ip", "netns", "exec", &self.ns.name, tool];
        v.extend_from_slice(args);
        run(&v)
    }

    /// Our link named after the tool, inside the namespace.
    fn link(&self, tool: &str, args: &[&str]) -> String {
        let o = Command::new("ip")
            .args(["netns", "exec", &self.ns.name, &self.links.path(tool)])
            .args(args)
            .output()
            .unwrap();
        text(&o, &format!("link {tool} {args:?}"))
    }

    /// `netshoot -t netns:NAME TOOL …`.
    fn verb(&self, tool: &str, args: &[&str]) -> String {
        let spec = format!("netns:{}", self.ns.name);
        let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .args(["-t", &spec, tool])
            .args(args)
            .output()
            .unwrap();
        text(&o, &format!("netshoot {tool} {args:?}"))
    }

    /// Ours both ways, each checked against the peer with `same`.
    fn check(&self, tool: &str, args: &[&str], same: fn(&str, &str, &str)) {
        let want = self.peer(tool, args);
        let what = format!("{tool} {}", args.join(" "));
        same(&self.link(tool, args), &want, &format!("link: {what}"));
        same(&self.verb(tool, args), &want, &format!("netshoot: {what}"));
    }
}

/// Title and column-heading lines (exactly), then every other line as a sorted multiset.
fn split(t: &str) -> (Vec<String>, Vec<String>) {
    let heading = |l: &str| {
        l.starts_with("Active ")
            || l.starts_with("Proto ")
            || l.starts_with("Netid ")
            || l.starts_with("State ")
            || l.starts_with("Recv-Q ")
            || l.starts_with("Kernel ")
            || l.starts_with("Destination ")
            || l.starts_with("Iface ")
            || l.starts_with("Address ")
    };
    let head = t.lines().filter(|l| heading(l)).map(String::from).collect();
    let mut rows: Vec<String> = t
        .lines()
        .filter(|l| !heading(l))
        .map(String::from)
        .collect();
    rows.sort();
    (head, rows)
}

fn same_rows(ours: &str, want: &str, what: &str) {
    let (oh, or) = split(ours);
    let (wh, wr) = split(want);
    assert_eq!(
        oh, wh,
        "{what}: heading lines\nours:\n{ours}\npeer:\n{want}"
    );
    assert_eq!(or, wr, "{what}: rows\nours:\n{ours}\npeer:\n{want}");
}

/// As `same_rows`, with the seconds of TIME-WAIT timers masked (they count down between runs).
fn same_rows_timers(ours: &str, want: &str, what: &str) {
    let mask = |t: &str| -> String {
        t.lines()
            .map(|l| match l.find("timer:(timewait,") {
                Some(i) => {
                    let (a, b) = l.split_at(i);
                    format!("{a}{}", b.replace(|c: char| c.is_ascii_digit(), "N"))
                }
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    same_rows(&mask(ours), &mask(want), what);
}

fn same_text(ours: &str, want: &str, what: &str) {
    assert_eq!(ours, want, "{what}\nours:\n{ours}\npeer:\n{want}");
}

/// ifconfig's text with the packet and byte counts masked (the pinger and IPv6 keep them
/// moving); every other line, error counters included, stays exact.
fn same_ifconfig(ours: &str, want: &str, what: &str) {
    let mask = |t: &str| -> String {
        t.lines()
            .map(|l| {
                let k = l.trim_start();
                if k.starts_with("RX packets") || k.starts_with("TX packets") {
                    k[..10].to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        mask(ours),
        mask(want),
        "{what}\nours:\n{ours}\npeer:\n{want}"
    );
}

/// netstat -i's rows with RX-OK and TX-OK masked.
fn same_iface_rows(ours: &str, want: &str, what: &str) {
    let mask = |t: &str| -> String {
        t.lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split_whitespace().collect();
                if f.len() == 11 && f[0] != "Iface" {
                    f[2] = "N";
                    f[6] = "N";
                }
                f.join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    same_rows(&mask(ours), &mask(want), what);
}

#[test]
fn netstat_sockets_agree_with_net_tools() {
    require_root!();
    let w = world();
    let want = w.peer("netstat", &["-tulpn"]);
    assert!(want.contains("/socat") && want.contains("tcp6"), "{want}");
    assert!(w.peer("netstat", &["-tn"]).contains("TIME_WAIT"));
    // PID/ and argv[0] together cut to 19 characters.
    let long = want
        .split_whitespace()
        .find(|f| f.contains("/a-very-long"))
        .unwrap_or_else(|| panic!("{want}"));
    assert_eq!(long.len(), 19, "{want}");
    let named = w.peer("netstat", &["-tul"]);
    assert!(
        named.contains("localhost:http-alt") && named.contains("localhost:mdns"),
        "{named}"
    );
    for args in [
        &["-tulpn"][..],
        &["-taupn"],
        &["-antp"],
        &["-tuln"],
        &["-auwpn"],
        &["-tlpne"],
        &["-4an"],
        &["-6an"],
        &["-xan"],
        &["-xapn"],
        &["-xl"],
        &["-x"],
        &["-tuanW"],
        // Without -n: ports by /etc/services, 127.0.0.1 by /etc/hosts, [::].
        &["-tua"],
    ] {
        w.check("netstat", args, same_rows);
    }
}

#[test]
fn netstat_routes_and_interfaces_agree_with_net_tools() {
    require_root!();
    let w = world();
    let want = w.peer("netstat", &["-rn"]);
    assert!(
        want.contains("10.174.0.0")
            && want.contains(" UG ")
            && want.contains(" 1340 5000      12 "),
        "{want}"
    );
    for args in [&["-rn"][..], &["-r"], &["-rne"]] {
        w.check("netstat", args, same_text);
    }
    for args in [&["-i"][..], &["-ia"]] {
        w.check("netstat", args, same_iface_rows);
    }
    w.check("netstat", &["-ie"], same_ifconfig);
}

#[test]
fn ss_agrees_with_iproute2() {
    require_root!();
    let w = world();
    for args in [
        &["-tulpn"][..],
        &["-tan"],
        &["-uan"],
        &["-xanp"],
        // ss's default states per kind: -u and -w ESTAB only (no State column), -x connected.
        &["-u"],
        &["-wn"],
        &["-x"],
        &["-xl"],
        &["-tuwx"],
        &["-tan", "state", "established"],
        &["-tan", "( dport = :7201 or sport = :7201 )"],
        &[
            "-tan",
            "not",
            "dst",
            "127.0.0.1",
            "or",
            "sport",
            "=",
            ":7201",
        ],
        &["-Htan"],
        &["-ta"],
        &["-tul"],
    ] {
        w.check("ss", args, same_rows);
    }
    // The table itself, byte for byte.
    w.check("ss", &["-tuln"], same_text);
    w.check("ss", &["-to"], same_text);
    // Timers, TIME-WAIT included.
    let want = w.peer("ss", &["-tano"]);
    assert!(
        want.contains("timer:(keepalive,24min,0)") && want.contains("timer:(timewait,"),
        "{want}"
    );
    w.check("ss", &["-tano"], same_rows_timers);
    w.check("ss", &["-tno", "state", "time-wait"], same_rows_timers);
}

#[test]
fn ifconfig_agrees_with_net_tools() {
    require_root!();
    let w = world();
    let want = w.peer("ifconfig", &["-a"]);
    assert!(
        want.contains("dn0:") && want.contains("inet6 fd17::1"),
        "{want}"
    );
    for args in [&[][..], &["-a"], &["eth0"], &["lo"], &["dn1"]] {
        w.check("ifconfig", args, same_ifconfig);
    }
    w.check("ifconfig", &["-s"], same_iface_rows);
}

#[test]
fn route_and_arp_agree_with_net_tools() {
    require_root!();
    let w = world();
    for args in [&["-n"][..], &[], &["-e"], &["-ne"]] {
        w.check("route", args, same_text);
    }
    let want = w.peer("arp", &["-n"]);
    assert!(
        want.contains("(incomplete)") && want.contains("CM") && want.contains(" C "),
        "{want}"
    );
    for args in [
        &["-n"][..],
        &["-a"],
        &["-an"],
        &["-e"],
        &["-n", "-i", "eth0"],
        &["-n", "10.171.0.9"],
        &["-n", "10.171.0.99"],
        &["-vn"],
    ] {
        w.check("arp", args, same_rows);
    }
}

#[test]
fn bad_flags_and_writes_are_one_line_and_exit_2() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let cases: &[(&str, &[&str], &str)] = &[
        ("netstat", &["-Q"], "unknown option '-Q'"),
        ("netstat", &["-s"], "'-s' is not supported"),
        ("ss", &["-Q"], "unknown option '-Q'"),
        ("ss", &["-K"], "read-only"),
        ("ss", &["state", "bogus"], "unknown socket state"),
        ("ifconfig", &["-Q"], "unknown option '-Q'"),
        ("ifconfig", &["eth0", "up"], "read-only"),
        (
            "ifconfig",
            &["eth0", "10.0.0.1", "netmask", "255.0.0.0"],
            "read-only",
        ),
        ("route", &["-Q"], "unknown option '-Q'"),
        ("route", &["add", "default", "gw", "10.0.0.1"], "read-only"),
        ("route", &["del", "default"], "read-only"),
        ("route", &["-A", "inet6"], "ip -6 route"),
        ("arp", &["-Q"], "unknown option '-Q'"),
        ("arp", &["-s", "10.0.0.1", "aa:bb:cc:dd:ee:ff"], "read-only"),
        ("arp", &["-d", "10.0.0.1"], "read-only"),
    ];
    for (tool, args, needle) in cases {
        let by_link = Command::new(links.path(tool)).args(*args).output().unwrap();
        let by_name = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .arg(tool)
            .args(*args)
            .output()
            .unwrap();
        for (how, o) in [("link", by_link), ("netshoot NAME", by_name)] {
            let e = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{how} {tool} {args:?}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{how} {tool} {args:?}: {e}");
            assert!(e.contains(needle), "{how} {tool} {args:?}: {e}");
            assert!(o.stdout.is_empty(), "{how} {tool} {args:?}");
        }
    }
}

#[test]
fn ss_on_a_terminal_spreads_columns_as_iproute2() {
    require_root!();
    let w = world();
    // Under a pty of a given width (script(1)), ss spreads the spare width over its columns.
    let pty = |prog: &str, cols: u32, args: &str| -> String {
        let cmd = format!("stty cols {cols}; {prog} {args}");
        let o = Command::new("ip")
            .args([
                "netns",
                "exec",
                &w.ns.name,
                "script",
                "-qec",
                &cmd,
                "/dev/null",
            ])
            .output()
            .unwrap();
        text(&o, &cmd)
    };
    let ours = w.links.path("ss");
    for cols in [60, 100, 160] {
        for args in ["-tan", "-tuln", "-xa"] {
            let want = pty("ss", cols, args);
            assert!(want.contains("Local Address:Port"), "{want}");
            same_text(
                &pty(&ours, cols, args),
                &want,
                &format!("ss {args} on {cols} columns"),
            );
        }
    }
    // Wider than the pipe layout on a wide terminal.
    let wide = pty(&ours, 160, "-tan");
    assert!(
        wide.lines().next().unwrap().trim_end().len() > 100,
        "{wide}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (tool, args) in [
        ("netstat", &["-an"][..]),
        ("ss", &["-an"]),
        ("ifconfig", &["-a"]),
        ("route", &["-n"]),
        ("arp", &["-n"]),
        // A loop that must end too, not write on into nothing.
        ("netstat", &["-rn", "-c"]),
    ] {
        let mut child = Command::new(links.path(tool))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the tool writes: its writes fail with EPIPE.
        drop(child.stdout.take());
        if netshoot_testnet::wait_bounded(&mut child, Duration::from_secs(10)).is_none() {
            panic!("{tool} {args:?} still runs with nobody reading");
        }
        let o = child.wait_with_output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.is_empty(), "{tool}: {e}");
        assert_eq!(o.status.code(), Some(0), "{tool}");
    }
}

#[test]
fn netstat_c_prints_again_every_second() {
    require_root!();
    let w = world();
    let once = w.peer("netstat", &["-rn"]);
    for how in ["link", "netshoot"] {
        let spec = format!("netns:{}", w.ns.name);
        let link = w.links.path("netstat");
        let mut argv = vec!["timeout", "2.5"];
        match how {
            "link" => argv.extend(["ip", "netns", "exec", &w.ns.name, &link]),
            _ => argv.extend([env!("CARGO_BIN_EXE_netshoot"), "-t", &spec, "netstat"]),
        }
        let mut rn = argv.clone();
        rn.extend(["-rn", "-c"]);
        let o = Command::new(rn[0]).args(&rn[1..]).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        // Each second the whole table again, each time equal to one `netstat -rn`.
        let n = out.matches("Kernel IP routing table").count();
        assert!(n >= 2, "{how}: {out}");
        assert_eq!(out, once.repeat(n), "{how}");
        // -i: the title once, the table with its heading every second.
        let mut ic = argv.clone();
        ic.extend(["-i", "-c"]);
        let o = Command::new(ic[0]).args(&ic[1..]).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            out.matches("Kernel Interface table").count(),
            1,
            "{how}: {out}"
        );
        assert!(out.matches("Iface ").count() >= 2, "{how}: {out}");
    }
}
