//! `firewall` against `iptables -S` / `ip6tables -S` (with and without counters) on the same
//! namespace: a fixture of many iptables features in every table, and dockerd's own chains on
//! the host (a container with a published port adds DNAT and MASQUERADE); bad input (root;
//! Docker for the host case).

use std::process::Command;

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::docker::{require_docker, test_image, Container};
use netshoot_testnet::fixtures::{self, IPTABLES_RULES};
use netshoot_testnet::{require_root, run, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn ours(spec: Option<&str>, args: &[&str]) -> String {
    let mut v = Vec::new();
    if let Some(s) = spec {
        v.extend(["-t", s]);
    }
    v.push("firewall");
    v.extend_from_slice(args);
    NETSHOOT.ok_text(&v)
}

/// A namespace with rules in every table, written with iptables-nft.
fn fixture() -> Netns {
    require_root();
    let ns = Netns::new("fw");
    let ip6: &[&str] = &[
        "ip6tables -P FORWARD DROP",
        "ip6tables -A INPUT -s fd00::/64 -d fd00::1/128 -p tcp --dport 443 -j ACCEPT",
        "ip6tables -A INPUT -p ipv6-icmp -j ACCEPT",
        "ip6tables -A INPUT -p tcp -j REJECT --reject-with icmp6-adm-prohibited",
    ];
    fixtures::apply(&ns, &[IPTABLES_RULES, ip6]);
    // Some counted traffic: loopback packets hit the first INPUT rule.
    ns.ip(&["link", "set", "lo", "up"]);
    ns.exec(&["ping", "-c", "2", "-i", "0.2", "127.0.0.1"]);
    ns
}

#[test]
fn every_table_agrees_with_iptables_s() {
    require_root!();
    let ns = fixture();
    let spec = format!("netns:{}", ns.name);
    for (bin, fam) in [("iptables", None), ("ip6tables", Some("-6"))] {
        for table in ["filter", "nat", "mangle", "raw"] {
            let want = ns.exec(&[bin, "-t", table, "-S"]);
            let mut args = vec!["-t", table];
            args.extend(fam);
            assert_eq!(ours(Some(&spec), &args), want, "{bin} -t {table} -S");
            let want = ns.exec(&[bin, "-t", table, "-S", "-v"]);
            args.push("-c");
            assert_eq!(ours(Some(&spec), &args), want, "{bin} -t {table} -S -v");
        }
    }
    // One chain.
    assert_eq!(
        ours(Some(&spec), &["LOGDROP"]),
        ns.exec(&["iptables", "-S", "LOGDROP"])
    );
}

#[test]
fn dockerd_chains_on_the_host_agree_with_iptables_s() {
    require_docker!();
    let _web = Container::run(
        "fwpub",
        &[
            "-p",
            "127.0.0.1:18081:80",
            test_image(),
            "sleep",
            "infinity",
        ],
    );
    // dockerd and other tests may change the host's rules between the two reads: compare a
    // few times until both reads see the same moment.
    for table in ["filter", "nat"] {
        let mut last = (String::new(), String::new());
        let same = (0..5).any(|_| {
            let want = run(&["iptables", "-t", table, "-S"]);
            let got = ours(None, &["-t", table]);
            let ok = got == want;
            last = (got, want);
            ok
        });
        assert!(same, "{table}: ours\n{}\niptables\n{}", last.0, last.1);
        if table == "nat" {
            assert!(last.0.contains("-j DNAT --to-destination"), "{}", last.0);
            assert!(last.0.contains("-j MASQUERADE"), "{}", last.0);
        } else {
            assert!(last.0.contains("-N DOCKER-USER"), "{}", last.0);
        }
    }
}

#[test]
fn bad_table_and_chain_are_one_line_and_exit_2() {
    require_root!();
    let ns = fixture();
    let spec = format!("netns:{}", ns.name);
    for args in [&["-t", "bogus"][..], &["NOSUCH"]] {
        let mut v = vec!["-t", spec.as_str(), "firewall"];
        v.extend_from_slice(args);
        let o = NETSHOOT.run(&v);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
    // Without CAP_NET_ADMIN.
    let o = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .args(["setpriv", "--bounding-set", "-net_admin", "--"])
        .arg(env!("CARGO_BIN_EXE_netshoot"))
        .arg("firewall")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("CAP_NET_ADMIN"), "{e}");
}

#[test]
fn legacy_tables_agree_with_iptables_legacy_s() {
    require_root!();
    let ns = Netns::new("fl");
    for r in [
        "iptables-legacy -P INPUT DROP",
        "iptables-legacy -N WEB",
        "iptables-legacy -A INPUT -i lo -j ACCEPT",
        "iptables-legacy -A INPUT -s 10.0.0.0/8 ! -i eth+ -p tcp --dport 22 -j ACCEPT",
        "iptables-legacy -A INPUT -p udp --sport 53 -m conntrack --ctstate ESTABLISHED -m comment --comment \"dns replies\" -j ACCEPT",
        "iptables-legacy -A INPUT -p tcp -m multiport --dports 80,443 -j WEB",
        "iptables-legacy -A WEB -p tcp ! --dport 8000:9000 -j REJECT --reject-with tcp-reset",
        "iptables-legacy -A WEB -d 192.168.1.0/24 -j RETURN",
        "iptables-legacy -A FORWARD -g WEB",
        "iptables-legacy -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE",
        "iptables-legacy -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80",
    ] {
        ns.sh(r);
    }
    let spec = format!("netns:{}", ns.name);
    for table in ["filter", "nat"] {
        let want = ns.exec(&["iptables-legacy", "-t", table, "-S"]);
        // Chosen by itself: nf_tables has no such table in this namespace.
        assert_eq!(ours(Some(&spec), &["-t", table]), want, "{table}");
        let want = ns.exec(&["iptables-legacy", "-t", table, "-S", "-v"]);
        assert_eq!(
            ours(Some(&spec), &["-t", table, "--legacy", "-c"]),
            want,
            "{table} -v"
        );
    }
}

#[test]
fn native_nft_tables_agree_with_nft_list_ruleset() {
    require_root!();
    let ns = Netns::new("fn");
    let rules = r#"table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept
		ct state established,related accept
		ip saddr 10.0.0.0/8 tcp dport 22 accept
		ip daddr != 192.168.1.1 udp dport 53 counter packets 0 bytes 0 accept
		ip6 saddr fd00::/64 drop
		meta l4proto icmp accept
		tcp dport 8000-9000 reject with tcp reset
		udp sport < 1024 drop
		oifname "eth0" log prefix "out: " drop
		iifname "veth*" ip saddr 172.16.0.0/12 return
		jump web
	}

	chain web {
		tcp dport 80 accept
		return
	}
}
table ip natty {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade
	}
}
"#;
    let file = std::env::temp_dir().join(format!("{}.nft", ns.name));
    std::fs::write(&file, rules).unwrap();
    ns.exec(&["nft", "-f", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    let spec = format!("netns:{}", ns.name);
    let want = ns.exec(&["nft", "list", "ruleset"]);
    assert_eq!(ours(Some(&spec), &["--nft"]), want);
    // What iptables-nft wrote is left to `firewall -t TABLE`.
    ns.sh("iptables -A INPUT -p tcp --dport 1 -j DROP");
    assert_eq!(ours(Some(&spec), &["--nft"]), want);
}
