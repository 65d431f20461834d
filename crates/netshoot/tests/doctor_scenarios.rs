//! Doctor scenarios (root): each situation is built for real with namespaces, and the doctor's
//! top finding must name the injected fault; the healthy topology has no warn or fail.
//!
//! Topology per test (own /24 in 10.231.0.0/16, own bridge, nothing leaves the machine):
//!
//! ```text
//!   client .10 ──┐
//!   server .20 ──┼── bridge (host) ── gw .1 (router namespace: dnsmasq for *.test, forwarding)
//! ```

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use netshoot_testnet::cli::{assert_top_finding, Netshoot};
use netshoot_testnet::{require_root, Bridge, Child, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

struct Topo {
    net: String,
    client: Netns,
    server: Netns,
    gw: Netns,
    br: Bridge,
    _procs: Vec<Child>,
    etc: std::path::PathBuf,
}

impl Drop for Topo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

fn subnet() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = (std::process::id() + N.fetch_add(1, Ordering::Relaxed) * 7) % 250 + 1;
    format!("10.231.{n}")
}

impl Topo {
    /// The healthy topology: client and server on a bridge with forwarding allowed, a gateway
    /// that answers DNS for web.test, and a TCP listener on the server's 0.0.0.0:8080.
    fn healthy() -> Topo {
        Self::build(true, "0.0.0.0")
    }

    fn build(accept_forward: bool, listen_on: &str) -> Topo {
        require_root();
        let net = subnet();
        let br = Bridge::new(accept_forward);
        let client = Netns::new("cl");
        let server = Netns::new("sv");
        let gw = Netns::new("gw");
        br.attach(&client, "eth0", Some(&format!("{net}.10/24")));
        br.attach(&server, "eth0", Some(&format!("{net}.20/24")));
        br.attach(&gw, "eth0", Some(&format!("{net}.1/24")));
        for ns in [&client, &server] {
            ns.ip(&["route", "add", "default", "via", &format!("{net}.1")]);
        }
        gw.sh("sysctl -qw net.ipv4.ip_forward=1");
        let etc = std::path::PathBuf::from(format!("/etc/netns/{}", client.name));
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("resolv.conf"), format!("nameserver {net}.1\n")).unwrap();
        let dns = gw.dnsmasq(
            &format!("{net}.1"),
            &[
                "--local=/test/",
                &format!("--host-record=web.test,{net}.20"),
            ],
        );
        let listener = server.spawn(&[
            "socat",
            "-u",
            &format!("TCP-LISTEN:8080,bind={listen_on},fork,reuseaddr"),
            "OPEN:/dev/null",
        ]);
        let t = Topo {
            net,
            client,
            server,
            gw,
            br,
            _procs: vec![dns, listener],
            etc,
        };
        t.wait_listening(&t.gw, ":53");
        t.wait_listening(&t.server, ":8080");
        t
    }

    fn wait_listening(&self, ns: &Netns, port: &str) {
        for _ in 0..100 {
            if ns.sh("ss -Hltun").contains(port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!("nothing listens on {port} in {}", ns.name);
    }

    fn doctor(&self, dests: &[&str]) -> (i32, Value) {
        let spec = format!("netns:{}", self.client.name);
        let mut args = vec!["-t", spec.as_str(), "doctor", "--json"];
        args.extend_from_slice(dests);
        let rec = netshoot_testnet::doctor_record_args();
        args.extend(rec.iter().map(String::as_str));
        NETSHOOT.json(&args)
    }
}

/// The first finding is a failure whose id starts with `id`; exit status 1.
/// … and it has evidence.
fn assert_top(res: &(i32, Value), id: &str) {
    assert_top_finding(res, id);
    let top = &res.1["findings"][0];
    assert!(
        top["evidence"].as_array().is_some_and(|e| !e.is_empty()),
        "{top:#}"
    );
}

#[test]
fn healthy_topology_has_no_warning_or_failure() {
    require_root!();
    let t = Topo::healthy();
    let server = format!("{}.20:8080", t.net);
    let gw = format!("{}.1", t.net);
    let (code, v) = t.doctor(&["web.test:8080", &server, &gw]);
    assert_eq!(v["counts"]["fail"], 0, "{v:#}");
    assert_eq!(v["counts"]["warn"], 0, "{v:#}");
    assert_eq!(code, 0);
    assert!(v["counts"]["ok"].as_u64().unwrap() >= 5, "{v:#}");
    assert!(
        v["destinations"][0]["resolved_by"]
            .as_str()
            .unwrap()
            .starts_with("dns"),
        "{v:#}"
    );
}

#[test]
fn service_bound_to_loopback_is_named() {
    require_root!();
    let t = Topo::build(true, "127.0.0.1");
    let (code, v) = t.doctor(&[&format!("{}.20:8080", t.net)]);
    assert_top(&(code, v.clone()), "listen.loopback");
}

#[test]
fn wrong_dns_server_is_named() {
    require_root!();
    let t = Topo::healthy();
    // .99 is on the subnet but nobody has it.
    std::fs::write(
        t.etc.join("resolv.conf"),
        format!("nameserver {}.99\n", t.net),
    )
    .unwrap();
    assert_top(&t.doctor(&["web.test:8080"]), "dns.server");
}

#[test]
fn dns_server_without_a_listener_is_named() {
    require_root!();
    let t = Topo::healthy();
    // The server host exists but runs no DNS server: ICMP port unreachable.
    std::fs::write(
        t.etc.join("resolv.conf"),
        format!("nameserver {}.20\n", t.net),
    )
    .unwrap();
    assert_top(&t.doctor(&["web.test:8080"]), "dns.server");
}

#[test]
fn missing_default_route_is_named() {
    require_root!();
    let t = Topo::healthy();
    t.client.ip(&["route", "del", "default"]);
    // A destination off the subnet, in the gateway namespace.
    t.gw.ip(&["addr", "add", "10.232.0.1/32", "dev", "lo"]);
    assert_top(&t.doctor(&["10.232.0.1"]), "route");
}

#[test]
fn iptables_drop_on_the_port_is_named() {
    require_root!();
    let t = Topo::healthy();
    t.server.sh("iptables -I INPUT -p tcp --dport 8080 -j DROP");
    assert_top(&t.doctor(&[&format!("{}.20:8080", t.net)]), "firewall");
}

#[test]
fn iptables_reject_on_the_port_is_named() {
    require_root!();
    let t = Topo::healthy();
    t.server
        .sh("iptables -I INPUT -p tcp --dport 8080 -j REJECT");
    let res = t.doctor(&[&format!("{}.20:8080", t.net)]);
    assert_top(&res, "firewall");
    assert!(res.1["findings"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("REJECT"));
}

#[test]
fn forward_drop_on_a_hand_made_bridge_is_named() {
    require_root!();
    let t = Topo::build(false, "0.0.0.0");
    let res = t.doctor(&[&format!("{}.20:8080", t.net)]);
    assert_top(&res, "firewall.forward");
    let fix = res.1["findings"][0]["fix"].as_str().unwrap().to_string();
    assert!(fix.contains(&t.br.name), "{fix}");
}

#[test]
fn mtu_mismatch_between_veth_ends_is_named() {
    require_root!();
    let t = Topo::healthy();
    // The server's end takes less than the client's end sends.
    t.server.ip(&["link", "set", "eth0", "mtu", "1400"]);
    assert_top(&t.doctor(&[&format!("{}.20", t.net)]), "mtu");
}

#[test]
fn path_mtu_black_hole_is_named() {
    require_root!();
    let t = Topo::healthy();
    // The server moves behind the gateway on a 1400-byte link, and the gateway drops the
    // ICMP "fragmentation needed" it should send back.
    let far = Netns::new("far");
    let (_a, _b, _g) = netshoot_testnet::veth_pair(
        (Some(&t.gw), Some("10.233.0.1/24")),
        (Some(&far), Some("10.233.0.2/24")),
    );
    for (ns, dev) in [(&t.gw, _a.as_str()), (&far, _b.as_str())] {
        ns.ip(&["link", "set", dev, "mtu", "1400"]);
    }
    far.ip(&["route", "add", "default", "via", "10.233.0.1"]);
    t.gw.sh("iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP");
    t.gw.sh("iptables -A FORWARD -p icmp --icmp-type fragmentation-needed -j DROP");
    assert_top(&t.doctor(&["10.233.0.2"]), "mtu.path");
}

#[test]
fn arp_incomplete_because_the_peer_is_down_is_named() {
    require_root!();
    let t = Topo::healthy();
    t.server.ip(&["link", "set", "eth0", "down"]);
    assert_top(&t.doctor(&[&format!("{}.20:8080", t.net)]), "neighbour");
}

#[test]
fn unknown_name_is_named() {
    require_root!();
    let t = Topo::healthy();
    assert_top(&t.doctor(&["nosuch.test"]), "name:nosuch.test");
}

#[test]
fn a_destination_that_parses_as_nothing_is_a_usage_error() {
    require_root!();
    let t = Topo::healthy();
    let spec = format!("netns:{}", t.client.name);
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "doctor", "db:99999"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("cannot read destination 'db:99999'") && e.contains("host:port"),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1);
    let _ = &t.server;
}

#[test]
fn conntrack_usage_agrees_with_the_kernel() {
    require_root!();
    let t = Topo::healthy();
    // Make this namespace track connections, then look.
    t.client
        .sh("iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT");
    let (_, v) = t.doctor(&[&format!("{}.20:8080", t.net)]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "conntrack")
        .unwrap_or_else(|| panic!("no conntrack finding: {v:#}"));
    assert_eq!(f["status"], "ok", "{f:#}");
    let ev = f["evidence"][0].as_str().unwrap();
    let max = std::fs::read_to_string("/proc/sys/net/netfilter/nf_conntrack_max").unwrap();
    assert!(
        ev.contains(&format!("/ nf_conntrack_max {}", max.trim())),
        "{ev}"
    );
    let count: u64 = ev
        .strip_prefix("nf_conntrack_count ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    // conntrack -C, run inside the namespace afterwards, sees at least what the doctor saw
    // before its own probes (entries live for minutes).
    let after: u64 = t.client.exec(&["conntrack", "-C"]).trim().parse().unwrap();
    assert!(
        count <= after && after > 0,
        "doctor saw {count}, conntrack -C says {after}"
    );
}
