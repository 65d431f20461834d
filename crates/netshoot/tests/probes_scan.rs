//! `scan` against nmap on the same namespaces: open, closed (RST), filtered (DROP) and
//! REJECT (ICMP port unreachable) ports with -sT and -sS; without CAP_NET_RAW; bad input (root).

use std::process::Command;
use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{netns_pair, require_root, Child, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

const PORTS: &str = "9,10,22,80,81,82,83,8080,31337,40000,40001";

/// client 10.86.0.1 — server 10.86.0.2: listeners on 22, 80, 8080, 31337; 81 and 40000-40001
/// dropped; 82 and 83 rejected (ICMP port unreachable, and TCP reset).
fn topo() -> (Netns, Netns, Link, Vec<Child>) {
    require_root();
    let (c, s, _, _, l) = netns_pair(("sc", "10.86.0.1/24"), ("ss", "10.86.0.2/24"));
    c.ip(&["link", "set", "lo", "up"]);
    c.resolv_conf("nameserver 127.0.0.1\n");
    let kids = s.tcp_sinks(&["22", "80", "8080", "31337"]);
    s.sh("iptables -A INPUT -p tcp --dport 81 -j DROP");
    s.sh("iptables -A INPUT -p tcp --dport 40000:40001 -j DROP");
    s.sh("iptables -A INPUT -p tcp --dport 82 -j REJECT");
    s.sh("iptables -A INPUT -p tcp --dport 83 -j REJECT --reject-with tcp-reset");
    std::thread::sleep(Duration::from_millis(400));
    (c, s, l, kids)
}

/// `port/tcp state` lines of either tool.
fn states(text: &str) -> Vec<(u16, String)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let port = f.next()?.strip_suffix("/tcp")?.parse().ok()?;
            Some((port, f.next()?.to_string()))
        })
        .collect()
}

fn compare(kind: &str) {
    let (c, _s, _l, _k) = topo();
    let spec = format!("netns:{}", c.name);
    let o = NETSHOOT.run(&["-t", &spec, "scan", kind, "-p", PORTS, "10.86.0.2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = states(&String::from_utf8_lossy(&o.stdout));
    let n = Command::new("ip")
        .args([
            "netns",
            "exec",
            &c.name,
            "nmap",
            "-n",
            "-Pn",
            kind,
            "-p",
            PORTS,
            "10.86.0.2",
        ])
        .output()
        .unwrap();
    let theirs = states(&String::from_utf8_lossy(&n.stdout));
    assert_eq!(theirs.len(), 11, "{}", String::from_utf8_lossy(&n.stdout));
    assert_eq!(ours, theirs, "{kind}");
}

#[test]
fn connect_scan_agrees_with_nmap_st() {
    require_root!();
    compare("-sT");
}

#[test]
fn syn_scan_agrees_with_nmap_ss() {
    require_root!();
    compare("-sS");
}

#[test]
fn json_names_states_and_reasons() {
    require_root!();
    let (c, _s, _l, _k) = topo();
    let spec = format!("netns:{}", c.name);
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "--json",
        "scan",
        "-sS",
        "-p",
        "22,81,82,9",
        "10.86.0.2",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ports = v[0]["ports"].as_array().unwrap();
    let get = |p: u64| ports.iter().find(|x| x["port"] == p).unwrap().clone();
    assert_eq!(get(22)["state"], "open");
    assert_eq!(get(9)["reason"], "reset");
    assert_eq!(get(81)["reason"], "no-response");
    assert_eq!(get(82)["reason"], "port-unreach");
}

#[test]
fn without_cap_net_raw_syn_names_it_and_connect_still_works() {
    require_root!();
    let (c, _s, _l, _k) = topo();
    let run = |kind: &str| {
        c.output_without_net_raw(&[
            env!("CARGO_BIN_EXE_netshoot"),
            "scan",
            kind,
            "-p",
            "22,9",
            "10.86.0.2",
        ])
    };
    let o = run("-sS");
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("CAP_NET_RAW"), "{e}");
    let o = run("-sT");
    assert!(o.status.success());
    assert_eq!(
        states(&String::from_utf8_lossy(&o.stdout)),
        [(9, "closed".to_string()), (22, "open".to_string())]
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    require_root!();
    let (c, _s, _l, _k) = topo();
    let spec = format!("netns:{}", c.name);
    for args in [
        &["scan", "-p", "1-0", "10.86.0.2"][..],
        &["scan", "-p", "80,x", "10.86.0.2"],
        &["scan", "10.0.0.0/8"],
        &["scan", "no-such-host.invalid"],
    ] {
        let mut v = vec!["-t", spec.as_str()];
        v.extend_from_slice(args);
        let o = NETSHOOT.run(&v);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
    }
}

/// A scan longer than a second draws a progress bar on a terminal (`script` gives it a pty),
/// erases it at the end, and draws nothing when stderr is not a terminal.
#[test]
fn progress_bar_only_on_a_terminal() {
    require_root!();
    let ns = Netns::new("pg");
    ns.sh("iptables -A INPUT -p tcp --dport 21000:21499 -j DROP");
    let cmd = format!(
        "{} -t netns:{} scan -sT -p 21000-21499 127.0.0.1 >/dev/null",
        env!("CARGO_BIN_EXE_netshoot"),
        ns.name
    );
    let shown = netshoot_testnet::cli::pty(
        &cmd,
        netshoot_testnet::cli::Pty {
            size: None,
            keys: &[],
            limit: Duration::from_secs(60),
        },
    )
    .out;
    assert!(shown.contains("scan ["), "no bar on a tty: {shown:?}");
    assert!(shown.contains("/500"), "{shown:?}");
    assert!(
        shown.ends_with("\r\x1b[2K"),
        "the bar is erased at the end: {shown:?}"
    );
    let plain = NETSHOOT.run(&[
        "-t",
        &format!("netns:{}", ns.name),
        "scan",
        "-sT",
        "-p",
        "21000-21499",
        "127.0.0.1",
    ]);
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("scan ["));
    assert!(
        String::from_utf8_lossy(&plain.stdout).contains("500 filtered"),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
}
