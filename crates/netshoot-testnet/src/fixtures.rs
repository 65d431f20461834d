//! Fixtures more than one test file builds: an authoritative DNS server, a rule set in every
//! firewall table, a VXLAN device with remote VTEPs.

use std::path::PathBuf;
use std::time::Duration;

use crate::{require_root, unique, Child, Netns};

/// The `example.test` zone the DNS fixture serves.
pub const ZONE: &str = r#"$ORIGIN example.test.
$TTL 300
@    IN SOA ns1.example.test. admin.example.test. 2026112401 3600 600 86400 300
@    IN NS ns1
ns1  IN A 10.55.0.1
web  IN A 10.55.0.10
web  IN A 10.55.0.11
web  IN AAAA fd55::10
www  IN CNAME web
@    IN MX 10 mail
@    IN MX 20 mail2
mail IN A 10.55.0.25
_http._tcp IN SRV 0 5 80 web
@    IN TXT "v=spf1 -all" "second string"
@    IN CAA 0 issue "ca.example.test"
"#;

/// The reverse zone `0.55.10.in-addr.arpa` the DNS fixture serves.
pub const REVERSE: &str = r#"$ORIGIN 0.55.10.in-addr.arpa.
$TTL 300
@  IN SOA ns1.example.test. admin.example.test. 1 3600 600 86400 300
@  IN NS ns1.example.test.
10 IN PTR web.example.test.
"#;

/// A namespace running nsd on 10.55.0.1 with [`ZONE`] and [`REVERSE`], and a resolv.conf of
/// the caller's choosing. The server, its files and the namespace go on drop.
#[derive(Debug)]
pub struct Auth {
    /// The namespace nsd runs in (and the client runs in).
    pub ns: Netns,
    dir: PathBuf,
    _nsd: Child,
}

impl Drop for Auth {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Auth {
    /// Starts nsd in a new namespace (`tag`) whose resolv.conf is `resolv`, and waits until it
    /// answers on UDP and TCP.
    pub fn start(tag: &str, resolv: &str) -> Auth {
        require_root();
        let ns = Netns::new(tag);
        ns.ip(&["addr", "add", "10.55.0.1/32", "dev", "lo"]);
        ns.resolv_conf(resolv);
        let dir = std::env::temp_dir().join(unique("nsd"));
        std::fs::create_dir_all(&dir).expect("create nsd dir");
        std::fs::write(dir.join("example.test.zone"), ZONE).expect("write zone");
        std::fs::write(dir.join("rev.zone"), REVERSE).expect("write zone");
        let d = dir.display();
        std::fs::write(
            dir.join("nsd.conf"),
            format!(
                "server:\n  ip-address: 10.55.0.1\n  port: 53\n  username: \"\"\n  zonesdir: \"{d}\"\n  database: \"\"\n  pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  do-ip6: no\n  server-count: 1\nremote-control:\n  control-enable: no\nzone:\n  name: \"example.test\"\n  zonefile: \"example.test.zone\"\nzone:\n  name: \"0.55.10.in-addr.arpa\"\n  zonefile: \"rev.zone\"\n"
            ),
        )
        .expect("write nsd.conf");
        let conf = dir.join("nsd.conf");
        let nsd = ns.spawn(&["nsd", "-d", "-c", conf.to_str().expect("utf-8 temp dir")]);
        for _ in 0..200 {
            if ns.sh("ss -Hlun").contains("10.55.0.1:53")
                && ns.sh("ss -Hltn").contains("10.55.0.1:53")
            {
                return Auth { ns, dir, _nsd: nsd };
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("nsd did not start");
    }
}

/// IPv4 rules in every table (filter, nat, mangle, raw), written with iptables-nft: user chains,
/// negations, ranges, multiport, comments, REJECT/LOG/DNAT/SNAT/MASQUERADE/CONNMARK/MARK/CT.
pub const IPTABLES_RULES: &[&str] = &[
    "iptables -P INPUT DROP",
    "iptables -N WEB",
    "iptables -N LOGDROP",
    "iptables -A INPUT -i lo -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "iptables -A INPUT -m conntrack ! --ctstate INVALID -p udp --dport 53 -j ACCEPT",
    "iptables -A INPUT -s 10.1.2.3/32 -d 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT",
    "iptables -A INPUT -s 192.168.0.0/20 ! -i eth+ -p tcp --sport 1024:65535 -j WEB",
    "iptables -A INPUT ! -s 172.16.0.0/12 -p tcp -m multiport --dports 80,443,8000:8100 -j WEB",
    "iptables -A INPUT -p icmp --icmp-type 8 -m comment --comment \"ping from anywhere\" -j ACCEPT",
    "iptables -A INPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset",
    "iptables -A INPUT -p udp -m addrtype --dst-type LOCAL --limit-iface-in -j REJECT",
    "iptables -A INPUT -m mark --mark 0x1/0xff -j LOGDROP",
    "iptables -A INPUT -p 47 -j DROP",
    "iptables -A WEB -o veth0 -p tcp ! --dport 8080 -j RETURN",
    "iptables -A WEB -m comment --comment plain -j ACCEPT",
    "iptables -A LOGDROP -j LOG --log-prefix \"dropped: \" --log-level 6",
    "iptables -A LOGDROP -j DROP",
    "iptables -A FORWARD -g WEB",
    "iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80",
    "iptables -t nat -A PREROUTING -p udp --dport 5353 -j DNAT --to-destination 10.0.0.3-10.0.0.5",
    "iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE",
    "iptables -t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 20000-30000 --random",
    "iptables -t nat -A POSTROUTING -d 10.9.9.9/32 -p udp -j SNAT --to-source 10.0.0.1:4000-5000",
    "iptables -t mangle -A OUTPUT -p tcp --dport 7302 -j CONNMARK --set-mark 7",
    "iptables -t mangle -A PREROUTING -j MARK --set-xmark 0x10/0xff",
    "iptables -t raw -A OUTPUT -p udp --dport 7303 -j CT --zone 5",
    "iptables -t raw -A PREROUTING -p udp --dport 123 -j CT --notrack",
];

/// Runs each shell command of each list inside `ns`, in order.
pub fn apply(ns: &Netns, lists: &[&[&str]]) {
    for r in lists.iter().copied().flatten() {
        ns.sh(r);
    }
}

/// Creates `vx0` (VNI 42, port 4789, local 10.72.0.1, no learning) in `ns`, which must hold
/// 10.72.0.1, with a default remote VTEP 10.72.0.2 and a per-MAC one, 02:00:00:00:72:03 at
/// 10.72.0.3 (addresses inside the namespace: nothing is sent anywhere else).
pub fn vxlan_with_remotes(ns: &Netns) {
    ns.ip(&[
        "link",
        "add",
        "vx0",
        "type",
        "vxlan",
        "id",
        "42",
        "dstport",
        "4789",
        "local",
        "10.72.0.1",
        "nolearning",
    ]);
    ns.exec(&[
        "bridge",
        "fdb",
        "append",
        "00:00:00:00:00:00",
        "dev",
        "vx0",
        "dst",
        "10.72.0.2",
    ]);
    ns.exec(&[
        "bridge",
        "fdb",
        "add",
        "02:00:00:00:72:03",
        "dev",
        "vx0",
        "dst",
        "10.72.0.3",
    ]);
}
