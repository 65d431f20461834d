//! The classic DNS and netfilter names against the real tools on the same namespace: dig,
//! drill, nslookup and host against nsd; iptables, ip6tables, iptables-save, ip6tables-save and
//! nft against rules the test writes; conntrack entries as sets; ipvsadm's no-IPVS error;
//! unknown flags and write commands refused. Each command runs through a link named after the
//! tool (`ip netns exec NS LINK …`) and as `netshoot -t netns:NS NAME …` (root).

use std::process::{Command, Output};
use std::time::Duration;

use netshoot_testnet::cli::{stderr, stdout};
use netshoot_testnet::fixtures::{self, Auth, IPTABLES_RULES};
use netshoot_testnet::{require_root, unique, veth_pair, Links, Netns};

/// The real tool inside the namespace.
fn peer(ns: &Netns, tool: &str, args: &[&str]) -> Output {
    let mut argv = vec![tool];
    argv.extend_from_slice(args);
    ns.output(&argv)
}

/// Ours, both ways: through the link inside the namespace, and as `netshoot -t netns:NS NAME`.
fn ours(links: &Links, ns: &Netns, tool: &str, args: &[&str]) -> [Output; 2] {
    let link = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(links.path(tool))
        .args(args)
        .output()
        .expect("run the link");
    let spec = format!("netns:{}", ns.name);
    let verb = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, tool])
        .args(args)
        .output()
        .expect("run netshoot NAME");
    [link, verb]
}

/// Ours and the peer's stdout after `norm`, equal both ways; returns the peer's text.
fn agree(links: &Links, ns: &Netns, tool: &str, args: &[&str], norm: fn(&str) -> String) -> String {
    let want = peer(ns, tool, args);
    let w = norm(&stdout(&want));
    for (door, got) in ["link", "netshoot NAME"]
        .iter()
        .zip(ours(links, ns, tool, args))
    {
        assert_eq!(
            got.status.code(),
            want.status.code(),
            "{tool} {args:?} via {door}: exit; ours: {}",
            stderr(&got)
        );
        assert_eq!(norm(&stdout(&got)), w, "{tool} {args:?} via {door}");
    }
    w
}

fn same(s: &str) -> String {
    s.to_string()
}

// ---------------------------------------------------------------------------------------------
// iptables, ip6tables, iptables-save, ip6tables-save

/// Rules in every table, written with iptables-nft (the features our reader renders).
fn fw_fixture() -> Netns {
    require_root();
    let ns = Netns::new("cfw");
    // Without -n iptables looks addresses up: let that fail fast on this namespace's loopback.
    ns.resolv_conf("nameserver 127.0.0.1\n");
    let extra: &[&str] = &[
        // Matches and targets written as native expressions or less common blobs.
        "iptables -N EXTRA",
        "iptables -A EXTRA -m state --state NEW,ESTABLISHED -j ACCEPT",
        "iptables -A EXTRA -m state ! --state INVALID -j ACCEPT",
        "iptables -A EXTRA -p tcp --syn -m limit --limit 3/min --limit-burst 7 -j ACCEPT",
        "iptables -A EXTRA -m limit --limit 10/sec -j ACCEPT",
        "iptables -A EXTRA -m limit --limit 100/hour -j ACCEPT",
        "iptables -A EXTRA -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
        "iptables -A EXTRA -p tcp --tcp-flags ALL NONE -j DROP",
        "iptables -A EXTRA -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP",
        "iptables -A EXTRA -m iprange ! --dst-range 10.0.1.1-10.0.1.5 -j DROP",
        "iptables -A EXTRA -p udp -m multiport --sports 53,123 -j ACCEPT",
        "iptables -A EXTRA -p icmp --icmp-type 3/1 -j ACCEPT",
        "iptables -A EXTRA ! -p tcp -j ACCEPT",
        "iptables -A EXTRA -f -j DROP",
        "iptables -A EXTRA -m mark ! --mark 0x2 -j DROP",
        "iptables -A EXTRA -m connmark --mark 0x5/0xf -j CONNMARK --restore-mark",
        "iptables -A EXTRA -j MARK --set-mark 9",
        "iptables -A EXTRA -p tcp --dport 22 -j LOG --log-level 7 --log-prefix x --log-tcp-options",
        "iptables -t nat -A PREROUTING -p tcp --dport 81 -j REDIRECT --to-ports 8080",
        "ip6tables -A INPUT -m iprange --src-range fd00::1-fd00::9 -j ACCEPT",
        "ip6tables -A INPUT -p tcp --syn -j TCPMSS --set-mss 1220",
        "ip6tables -P FORWARD DROP",
        "ip6tables -A INPUT -s fd00::/64 -d fd00::1/128 -p tcp --dport 443 -j ACCEPT",
        "ip6tables -A INPUT -p ipv6-icmp -j ACCEPT",
        "ip6tables -A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT",
        "ip6tables -A INPUT -p tcp -j REJECT --reject-with icmp6-adm-prohibited",
    ];
    fixtures::apply(&ns, &[IPTABLES_RULES, extra]);
    // Counted traffic: loopback packets hit the first INPUT rule and the mangle rule.
    ns.exec(&["ping", "-c", "2", "-i", "0.2", "127.0.0.1"]);
    ns
}

fn no_comments(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn iptables_l_s_and_save_equal_the_peers() {
    require_root!();
    let ns = fw_fixture();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for tool in ["iptables", "ip6tables"] {
        for table in ["filter", "nat", "mangle", "raw"] {
            for args in [
                &["-S"][..],
                &["-S", "-v"],
                &["-L", "-n"],
                &["-L", "-n", "-v"],
                &["-L", "-n", "-v", "-x", "--line-numbers"],
                &["-nvL", "--line-numbers"],
                // Without -n (no counters: iptables' own lookups to 127.0.0.1 count on lo).
                &["-L"],
            ] {
                let mut a = vec!["-t", table];
                a.extend_from_slice(args);
                let got = agree(&links, &ns, tool, &a, same);
                assert!(got.contains(if args[0] == "-S" { "-P " } else { "Chain " }));
            }
        }
        // One chain.
        agree(&links, &ns, tool, &["-L", "INPUT", "-n", "-v", "-x"], same);
        agree(&links, &ns, tool, &["-S", "INPUT"], same);
    }
    let all = agree(
        &links,
        &ns,
        "iptables",
        &["-L", "-n", "-v", "-x", "--line-numbers"],
        same,
    );
    for needle in [
        "Chain WEB (3 references)",
        "Chain INPUT (policy DROP ",
        "[goto]",
        "tcp spts:1024:65535",
        "multiport dports 80,443,8000:8100",
        "/* ping from anywhere */",
        "LOG flags 0 level 6 prefix \"dropped: \"",
        "!172.16.0.0/12",
        "!eth+",
        "state NEW,ESTABLISHED",
        "tcp flags:0x17/0x02 limit: avg 3/min burst 7",
        "source IP range 10.0.0.1-10.0.0.9",
        "TCPMSS clamp to PMTU",
        "DROP       0    -f  *",
        "CONNMARK restore",
        "LOG flags 2 level 7 prefix \"x\"",
    ] {
        assert!(all.contains(needle), "the fixture lacks {needle}: {all}");
    }
    for tool in ["iptables-save", "ip6tables-save"] {
        for args in [&[][..], &["-c"], &["-t", "nat"], &["-t", "filter", "-c"]] {
            let got = agree(&links, &ns, tool, args, no_comments);
            assert!(got.contains("COMMIT"), "{tool} {args:?}: {got}");
        }
    }
    // The comment lines name netshoot; there is one before and one after every table.
    let [o, _] = ours(&links, &ns, "iptables-save", &[]);
    let t = stdout(&o);
    assert_eq!(
        t.lines()
            .filter(|l| l.starts_with("# Generated by netshoot iptables-save"))
            .count(),
        t.lines().filter(|l| l.starts_with('*')).count()
    );
}

// ---------------------------------------------------------------------------------------------
// nft

const NFT_RULES: &str = r#"table inet web {
	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept
		ct state established,related accept
		ip saddr 10.0.0.0/8 tcp dport 8080 counter accept
		ip6 saddr fd00::/64 udp dport 53 accept
		meta l4proto ipv6-icmp accept
		icmp type echo-request limit rate 5/second accept
		icmpv6 type echo-request accept
		tcp dport { 22, 80, 443 } accept
		tcp dport { 80, 443, 8000-8100, 9000 } accept
		ip saddr { 10.0.0.1, 10.0.0.5 } udp dport != { 53, 123 } drop
		iifname { "eth0", "lo" } accept
		ip daddr { 10.1.0.0/16, 192.168.0.0/24 } drop
		ip6 saddr { fd00::/64, fd01::1 } accept
		meta l4proto { tcp, udp } accept
		tcp dport 2222 limit rate 3/minute burst 7 packets accept
		limit rate over 10/second drop
		tcp dport 25 reject with tcp reset
		counter log prefix "drop: " drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		jump extra
	}
	chain extra {
		oifname "eth0" counter
		return
	}
}
table ip filter {
	chain INPUT {
		type filter hook input priority 0; policy accept;
		tcp dport 9000 drop
		icmp type != echo-reply drop
		ip daddr 10.1.1.1 counter packets 0 bytes 0 accept
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.0.0/24 oifname "eth0" masquerade
		ip daddr 10.9.9.9 udp dport 53 snat to 10.0.0.1:4000-5000 random persistent
		meta l4proto tcp masquerade to :20000-30000 random
		oifname "eth1" masquerade fully-random
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to 10.0.0.2:80
		udp dport 5353 dnat to 10.0.0.3-10.0.0.5
		tcp dport 81 redirect to :8080
	}
}
table ip st {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.1 }
	}
	set ports {
		type inet_service
		elements = { 22, 80 }
	}
	set many {
		type inet_service
		elements = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }
	}
	set addrs {
		type ipv4_addr
		elements = { 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5 }
	}
	set v6s {
		type ipv6_addr
		elements = { fd00::1, fd00::2, fd00::3 }
	}
	set ifs {
		type ifname
		elements = { "eth0", "lo" }
	}
	set protos {
		type inet_proto
		elements = { 1, 2, 6, 17, 47, 50, 51, 58, 132 }
	}
	set empty {
		type ipv4_addr
	}
	set later {
		type ipv4_addr
		flags timeout
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr @blocked drop
		tcp dport @ports accept
	}
}
table ip6 n6 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 80 dnat to [fd00::2]:8080
	}
}
table inet n4 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.5.5.5 tcp dport 80 dnat ip to 10.0.0.2:8080
	}
}
"#;

#[test]
fn nft_lists_equal_the_peers() {
    require_root!();
    let ns = Netns::new("cnft");
    let file = std::env::temp_dir().join(unique("rules.nft"));
    std::fs::write(&file, NFT_RULES).unwrap();
    ns.exec(&["nft", "-f", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for args in [
        &["list", "ruleset"][..],
        &["list", "ruleset", "inet"],
        &["list", "table", "ip", "filter"],
        &["list", "table", "filter"],
        &["list", "table", "inet", "web"],
        &["list", "tables"],
        &["list", "chains"],
        &["list", "chain", "inet", "web", "input"],
        &["list", "table", "st"],
        &["-t", "list", "table", "st"],
        &["list", "chain", "ip", "st", "in"],
        &["list table ip nat"],
    ] {
        let got = agree(&links, &ns, "nft", args, same);
        assert!(got.contains("table "), "{args:?}: {got}");
    }
    // A table iptables-nft manages is named, not rendered (nft translates its x_tables
    // expressions through iptables).
    ns.exec(&[
        "ip6tables",
        "-A",
        "OUTPUT",
        "-m",
        "comment",
        "--comment",
        "x",
        "-j",
        "ACCEPT",
    ]);
    for o in ours(&links, &ns, "nft", &["list", "table", "ip6", "filter"]) {
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("ip6tables-save"), "{}", stderr(&o));
    }
    for o in ours(&links, &ns, "nft", &["list", "ruleset"]) {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains("ip6 filter"), "{}", stderr(&o));
        assert!(stdout(&o).contains("table inet web {"), "{}", stdout(&o));
    }
}

// ---------------------------------------------------------------------------------------------
// dig, drill, nslookup, host against nsd

/// nsd on 10.55.0.1 in a namespace whose resolv.conf points at it (as tests/dns.rs builds it).
fn auth() -> Auth {
    Auth::start("cdns", "nameserver 10.55.0.1\nsearch example.test\n")
}

/// Without what differs by design or by the moment: the query time, date, size, the version
/// line, message ids and byte counts.
fn dns_norm(s: &str) -> String {
    s.lines()
        .filter(|l| {
            !(l.contains("Query time:")
                || l.starts_with(";; WHEN:")
                || l.starts_with(";; MSG SIZE")
                || l.contains("<<>>")
                || l.starts_with("Received "))
        })
        .map(|l| match l.find(", id: ") {
            Some(i) if l.starts_with(";; ->>HEADER<<-") => format!("{}\n", &l[..i]),
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn dig_drill_nslookup_and_host_agree_with_the_peers_on_nsd() {
    require_root!();
    let a = auth();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let ns = &a.ns;
    let dig: &[&[&str]] = &[
        &["@10.55.0.1", "web.example.test"],
        &["www.example.test"],
        &["+short", "web.example.test"],
        &["+noall", "+answer", "example.test", "MX"],
        &["nope.example.test"],
        &["-x", "10.55.0.10"],
        &["-t", "TXT", "example.test"],
        &["example.test", "SOA", "+tcp"],
        &["web", "+search"],
        &["-p", "53", "_http._tcp.example.test", "SRV"],
        &["example.test", "CAA", "+time=2", "+tries=1"],
        &[
            "web.example.test",
            "AAAA",
            "+noall",
            "+answer",
            "+authority",
        ],
    ];
    for args in dig {
        agree(&links, ns, "dig", args, dns_norm);
    }
    let full = agree(&links, ns, "dig", &["nope.example.test"], dns_norm);
    for needle in [
        ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN",
        ";; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1",
        ";; OPT PSEUDOSECTION:",
        ";; QUESTION SECTION:",
        ";; AUTHORITY SECTION:",
        ";; SERVER: 10.55.0.1#53(10.55.0.1) (UDP)",
    ] {
        assert!(full.contains(needle), "{needle}: {full}");
    }
    let drill: &[&[&str]] = &[
        &["web.example.test", "@10.55.0.1"],
        &["-V", "5", "web.example.test"],
        &["nope.example.test"],
        &["-x", "10.55.0.10"],
        &["example.test", "MX"],
        &["-t", "www.example.test"],
        &["-Q", "web.example.test", "AAAA"],
    ];
    for args in drill {
        agree(&links, ns, "drill", args, dns_norm);
    }
    let nslookup: &[&[&str]] = &[
        &["web.example.test"],
        &["www.example.test", "10.55.0.1"],
        &["nope.example.test"],
        &["-type=MX", "example.test"],
        &["10.55.0.10"],
        &["-type=AAAA", "web.example.test"],
        &["-type=TXT", "example.test"],
        &["web"],
        &["-type=SOA", "example.test"],
        &["-type=NS", "example.test"],
        &["-q=SRV", "_http._tcp.example.test"],
        &["-type=AAAA", "mail.example.test"],
        &["-port=53", "-type=CNAME", "www.example.test"],
    ];
    for args in nslookup {
        agree(&links, ns, "nslookup", args, dns_norm);
    }
    let host: &[&[&str]] = &[
        &["web.example.test"],
        &["www.example.test"],
        &["example.test"],
        &["-t", "MX", "example.test"],
        &["nope.example.test"],
        &["10.55.0.10"],
        &["-t", "TXT", "example.test"],
        &["-t", "SOA", "example.test"],
        &["-t", "AAAA", "mail.example.test"],
        &["web.example.test", "10.55.0.1"],
        &["-t", "NS", "example.test"],
        &["-t", "SRV", "_http._tcp.example.test"],
        &["web"],
        &["-v", "web.example.test"],
        &["-a", "example.test"],
    ];
    for args in host {
        agree(&links, ns, "host", args, dns_norm);
    }
    let h = agree(&links, ns, "host", &["www.example.test"], dns_norm);
    assert!(
        h.contains("www.example.test is an alias for web.example.test."),
        "{h}"
    );
    assert!(
        h.contains("web.example.test has IPv6 address fd55::10"),
        "{h}"
    );
    let h = agree(&links, ns, "host", &["nope.example.test"], dns_norm);
    assert!(
        h.contains("Host nope.example.test not found: 3(NXDOMAIN)"),
        "{h}"
    );
}

#[test]
fn dig_without_an_answer_exits_9_as_dig() {
    require_root!();
    let a = auth();
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    // Nothing listens on port 5353 of the namespace's own address.
    let args = [
        "-p",
        "5353",
        "+tries=1",
        "+time=1",
        "@10.55.0.1",
        "web.example.test",
    ];
    let want = peer(&a.ns, "dig", &args);
    assert_eq!(want.status.code(), Some(9));
    for got in ours(&links, &a.ns, "dig", &args) {
        assert_eq!(got.status.code(), Some(9), "{}", stderr(&got));
        let t = stdout(&got);
        assert!(
            t.contains(";; communications error to 10.55.0.1#5353: connection refused"),
            "{t}"
        );
        assert!(t.contains(";; no servers could be reached"), "{t}");
    }
}

// ---------------------------------------------------------------------------------------------
// conntrack, ipvsadm

/// Entries without the timeout (third field, or fifth with -o extended), which ticks; sorted.
fn ct_set(s: &str, extended: bool) -> String {
    let mut v: Vec<String> = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f: Vec<&str> = l.split_whitespace().collect();
            let i = if extended { 4 } else { 2 };
            if f.len() > i {
                f.remove(i);
            }
            f.join(" ")
        })
        .collect();
    v.sort();
    v.join("\n")
}

fn ct_plain(s: &str) -> String {
    ct_set(s, false)
}

fn ct_ext(s: &str) -> String {
    ct_set(s, true)
}

#[test]
fn conntrack_entries_equal_as_sets() {
    require_root!();
    let client = Netns::new("cct");
    let server = Netns::new("cst");
    let (_, _, _link) = veth_pair(
        (Some(&client), Some("10.82.0.1/24")),
        (Some(&server), Some("10.82.0.2/24")),
    );
    client.sh("iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT");
    client.sh(
        "iptables -t nat -A OUTPUT -p tcp --dport 7399 -j DNAT --to-destination 10.82.0.2:7301",
    );
    let mut kids = vec![server.spawn(&["socat", "TCP-LISTEN:7301,fork,reuseaddr", "SYSTEM:cat"])];
    std::thread::sleep(Duration::from_millis(300));
    kids.push(client.spawn(&["sh", "-c", "sleep 60 | socat - TCP:10.82.0.2:7301"]));
    kids.push(client.spawn(&["sh", "-c", "sleep 60 | socat - TCP:10.82.0.2:7399"]));
    client.sh("echo x | socat - UDP:10.82.0.2:7304 || true");
    client.exec(&["ping", "-c", "1", "-W", "1", "10.82.0.2"]);
    std::thread::sleep(Duration::from_millis(300));
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let all = agree(&links, &client, "conntrack", &["-L"], ct_plain);
    for needle in ["ESTABLISHED", "[UNREPLIED]", "dport=7399", "icmp"] {
        assert!(all.contains(needle), "the fixture lacks {needle}: {all}");
    }
    for args in [
        &["-L", "-p", "tcp"][..],
        &["-L", "-p", "udp"],
        &["-L", "-p", "tcp", "--dport", "7301"],
        &["-L", "-r", "10.82.0.2", "-p", "tcp"],
        &["-L", "-f", "ipv4", "-p", "icmp"],
    ] {
        agree(&links, &client, "conntrack", args, ct_plain);
    }
    agree(
        &links,
        &client,
        "conntrack",
        &["-L", "-o", "extended"],
        ct_ext,
    );
    agree(&links, &client, "conntrack", &["-C"], same);
    drop(kids);
}

#[test]
fn ipvsadm_says_the_kernel_has_no_ipvs_as_ipvsadm_does() {
    require_root!();
    let ns = Netns::new("civ");
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let want = peer(&ns, "ipvsadm", &["-L", "-n"]);
    if want.status.success() {
        // A kernel with IPVS: the (empty) table both ways.
        agree(&links, &ns, "ipvsadm", &["-L", "-n"], same);
        return;
    }
    // ipvsadm's own two lines (modprobe's complaint before them is modprobe's).
    let lines = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with("modprobe:"))
            .map(str::to_string)
            .collect()
    };
    for got in ours(&links, &ns, "ipvsadm", &["-L", "-n"]) {
        assert_eq!(got.status.code(), want.status.code());
        assert_eq!(lines(&stderr(&got)), lines(&stderr(&want)));
        assert!(
            stderr(&got).contains("Can't initialize ipvs"),
            "{}",
            stderr(&got)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn unknown_flags_fail_with_one_line_and_exit_2() {
    require_root!();
    let ns = Netns::new("cbad");
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (tool, bad) in [
        ("dig", "-Z"),
        ("dig", "+bogus"),
        ("dig", "+trace"),
        ("drill", "-Z"),
        ("drill", "-T"),
        ("nslookup", "-bogus"),
        ("host", "-Z"),
        ("host", "-l"),
        ("conntrack", "--bogus"),
        ("conntrack", "-E"),
        ("ipvsadm", "--bogus"),
        ("ipvsadm", "--rate"),
        ("iptables", "--bogus"),
        ("ip6tables", "-Y"),
        ("iptables-save", "-q"),
        ("ip6tables-save", "--bogus"),
        ("nft", "-a"),
        ("nft", "--bogus"),
    ] {
        for o in ours(&links, &ns, tool, &[bad, "example.test"]) {
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{tool} {bad}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{tool} {bad}: {e}");
            let shown = bad.trim_start_matches(['-', '+']);
            assert!(e.contains(shown), "{tool} {bad}: {e}");
            assert!(stdout(&o).is_empty(), "{tool} {bad}");
        }
    }
}

#[test]
fn write_commands_are_refused_as_read_only() {
    require_root!();
    let ns = Netns::new("cro");
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    for (tool, args) in [
        (
            "iptables",
            &["-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"][..],
        ),
        ("iptables", &["-P", "INPUT", "DROP"]),
        ("ip6tables", &["-t", "nat", "-F"]),
        ("iptables", &["-N", "X"]),
        ("nft", &["add", "table", "ip", "x"]),
        ("nft", &["flush", "ruleset"]),
        ("conntrack", &["-D", "-p", "tcp"]),
        ("conntrack", &["-F"]),
        ("ipvsadm", &["-A", "-t", "10.0.0.1:80"]),
        ("ipvsadm", &["-C"]),
    ] {
        for o in ours(&links, &ns, tool, args) {
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{tool} {args:?}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{tool} {args:?}: {e}");
            assert!(e.contains("read-only"), "{tool} {args:?}: {e}");
        }
    }
    // Nothing changed: no table was made.
    assert!(!ns.exec(&["nft", "list", "tables"]).contains("table ip x"));
    assert_eq!(
        ns.exec(&["iptables", "-S", "INPUT"]).trim(),
        "-P INPUT ACCEPT"
    );
}
