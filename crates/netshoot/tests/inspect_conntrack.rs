//! `conntrack` against conntrack-tools on the same namespace: TCP (established and TIME_WAIT),
//! UDP (unreplied), ICMP, a DNAT'd flow, a connection mark and a zone; `-C`, `-S`, filters, and
//! the CAP_NET_ADMIN error (root).

use std::process::{Command, Output};
use std::time::Duration;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{require_root, veth_pair, Child, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Lines without the timeout (third field), which ticks between the two reads; sorted.
fn lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("conntrack v"))
        .map(|l| {
            let mut f: Vec<&str> = l.split_whitespace().collect();
            if f.len() > 2 {
                f.remove(2);
            }
            f.join(" ")
        })
        .collect();
    v.sort();
    v
}

struct Topo {
    client: Netns,
    _server: Netns,
    _link: Link,
    _kids: Vec<Child>,
}

/// client 10.81.0.1 — server 10.81.0.2, with tracking rules in the client, a mark on port 7302,
/// a zone for UDP to port 7303, and a DNAT of port 7399 to 7301.
fn topo() -> Topo {
    require_root();
    let client = Netns::new("cc");
    let server = Netns::new("cs");
    let (_, _, link) = veth_pair(
        (Some(&client), Some("10.81.0.1/24")),
        (Some(&server), Some("10.81.0.2/24")),
    );
    for ns in [&client, &server] {
        ns.ip(&["link", "set", "lo", "up"]);
    }
    client.sh("iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT");
    client.sh("iptables -t mangle -A OUTPUT -p tcp --dport 7302 -j CONNMARK --set-mark 7");
    client.sh("iptables -t raw -A OUTPUT -p udp --dport 7303 -j CT --zone 5");
    client.sh(
        "iptables -t nat -A OUTPUT -p tcp --dport 7399 -j DNAT --to-destination 10.81.0.2:7301",
    );
    let kids = vec![
        server.spawn(&["socat", "TCP-LISTEN:7301,fork,reuseaddr", "SYSTEM:cat"]),
        server.spawn(&["socat", "TCP-LISTEN:7302,fork,reuseaddr", "SYSTEM:cat"]),
    ];
    std::thread::sleep(Duration::from_millis(400));
    let mut kids = kids;
    // Held open: an established connection, and one through the DNAT.
    kids.push(client.spawn(&["sh", "-c", "sleep 60 | socat - TCP:10.81.0.2:7301"]));
    kids.push(client.spawn(&["sh", "-c", "sleep 60 | socat - TCP:10.81.0.2:7399"]));
    // Closed at once: TIME_WAIT, with the mark.
    client.sh("echo hi | socat -t 0.2 - TCP:10.81.0.2:7302 >/dev/null");
    // UDP nobody answers (UNREPLIED), in zone 5; and ICMP.
    client.sh("echo x | socat - UDP:10.81.0.2:7303 || true");
    client.sh("echo x | socat - UDP:10.81.0.2:7304 || true");
    client.exec(&["ping", "-c", "1", "-W", "1", "10.81.0.2"]);
    std::thread::sleep(Duration::from_millis(300));
    Topo {
        client,
        _server: server,
        _link: link,
        _kids: kids,
    }
}

fn ours(t: &Topo, args: &[&str]) -> Output {
    let spec = format!("netns:{}", t.client.name);
    let mut v = vec!["-t", spec.as_str(), "conntrack"];
    v.extend_from_slice(args);
    NETSHOOT.run(&v)
}

fn peer(t: &Topo, args: &[&str]) -> String {
    let mut v = vec!["conntrack"];
    v.extend_from_slice(args);
    let o = Command::new("ip")
        .args(["netns", "exec", &t.client.name])
        .args(&v)
        .output()
        .expect("conntrack");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn entries_agree_with_conntrack_l() {
    require_root!();
    let t = topo();
    let want = lines(&peer(&t, &["-L"]));
    let o = ours(&t, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = lines(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(got, want);
    let all = want.join("\n");
    for needle in [
        "ESTABLISHED",
        "TIME_WAIT",
        "[UNREPLIED]",
        "mark=7",
        "zone=5",
        "dport=7399",
        "icmp",
    ] {
        assert!(all.contains(needle), "the fixture lacks {needle}: {all}");
    }
}

#[test]
fn filters_agree_with_conntrack_l() {
    require_root!();
    let t = topo();
    for f in [
        &["-p", "tcp"][..],
        &["-p", "tcp", "--dport", "7301"],
        &["-p", "udp"],
        &["-p", "tcp", "--state", "ESTABLISHED"],
        &["-s", "10.81.0.1", "-p", "icmp"],
        &["-m", "7"],
        &["-w", "5"],
    ] {
        let mut pa = vec!["-L"];
        pa.extend_from_slice(f);
        let want = lines(&peer(&t, &pa));
        let o = ours(&t, f);
        assert!(o.status.success(), "{f:?}");
        assert_eq!(lines(&String::from_utf8_lossy(&o.stdout)), want, "{f:?}");
    }
}

#[test]
fn count_and_stats_agree_with_conntrack_c_and_s() {
    require_root!();
    let t = topo();
    let o = ours(&t, &["-C"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        peer(&t, &["-C"]).trim()
    );
    // Per-CPU counters: the same fields and values (nothing is dropped here, so they hold still
    // between the two reads except `found`/`insert`, which the kernel no longer counts).
    let o = ours(&t, &["-S"]);
    let norm = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(
        norm(&String::from_utf8_lossy(&o.stdout)),
        norm(&peer(&t, &["-S"]))
    );
}

#[test]
fn without_cap_net_admin_the_error_names_it() {
    require_root!();
    let t = topo();
    let o = Command::new("ip")
        .args(["netns", "exec", &t.client.name])
        .args(["setpriv", "--bounding-set", "-net_admin", "--"])
        .arg(env!("CARGO_BIN_EXE_netshoot"))
        .arg("conntrack")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(
        e.contains("CAP_NET_ADMIN") && e.contains("--cap-add NET_ADMIN"),
        "{e}"
    );
}

#[test]
fn json_has_entries_and_usage() {
    require_root!();
    let t = topo();
    let o = ours(&t, &["--json", "-p", "tcp", "--dport", "7399"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = &v["entries"][0];
    assert_eq!(e["proto"], "tcp");
    assert_eq!(e["orig"]["dport"], 7399);
    // DNAT: replies come from the real service port.
    assert_eq!(e["reply"]["sport"], 7301);
    assert!(e["status"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "DST_NAT"));
    assert!(v["usage"]["max"].as_u64().unwrap() > 0);
}
