//! The firewall evaluator against rule sets nft wrote into a test namespace (root): IPv6
//! address matches read the IPv6 header's real offsets, IPv4 ones the IPv4 header's.

use std::net::IpAddr;

use netshoot_inspect::firewall::{decide, ruleset, Chain, Decision, Packet};
use netshoot_testnet::{require_root, Netns};

/// The rule set as seen from inside `ns` (netlink sockets belong to the namespace of the
/// thread that opens them: a thread of its own enters it).
fn chains_in(ns: &Netns) -> Vec<Chain> {
    let path = ns.path();
    std::thread::spawn(move || {
        let f = std::fs::File::open(&path).expect("open the namespace");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        ruleset().expect("read the rule set")
    })
    .join()
    .unwrap()
}

/// The verdict's word, whatever type carries it.
fn verdict(d: &Decision) -> String {
    format!("{:?}", d.verdict).trim_matches('"').to_lowercase()
}

fn packet(src: &str, dst: &str, proto: u8, dport: u16) -> Packet {
    Packet {
        src: src.parse::<IpAddr>().unwrap(),
        dst: dst.parse::<IpAddr>().unwrap(),
        proto,
        sport: 40000,
        dport,
        iif: None,
        oif: None,
        dnat: None,
    }
}

#[test]
fn ipv6_address_matches_decide_like_the_kernel() {
    require_root();
    let ns = Netns::new("fw6");
    ns.sh("nft add table inet t \
         && nft add chain inet t out '{ type filter hook output priority 0; policy accept; }' \
         && nft add chain inet t in '{ type filter hook input priority 0; policy accept; }' \
         && nft add rule inet t out ip6 daddr 2001:db8::2 drop \
         && nft add rule inet t in ip6 saddr 2001:db8::9 tcp dport 443 drop \
         && nft add rule inet t out ip daddr 10.0.0.2 drop");
    let chains = chains_in(&ns);

    // Output to the dropped IPv6 address: drop, by the rule that names it.
    let d = decide(&chains, 3, &packet("2001:db8::1", "2001:db8::2", 6, 80));
    assert_eq!(verdict(&d), "drop", "{d:?}");
    assert!(d.by.contains("inet t/out"), "{d:?}");
    let d = decide(&chains, 3, &packet("2001:db8::1", "2001:db8::2", 17, 53));
    assert_eq!(verdict(&d), "drop", "{d:?}");
    // Another IPv6 address: accepted by the policy.
    let d = decide(&chains, 3, &packet("2001:db8::1", "2001:db8::3", 6, 80));
    assert_eq!((verdict(&d), d.policy), ("accept".into(), true), "{d:?}");

    // Input from the dropped source, to port 443 only (transport offsets after IPv6's 40).
    let d = decide(&chains, 1, &packet("2001:db8::9", "2001:db8::1", 6, 443));
    assert_eq!(verdict(&d), "drop", "{d:?}");
    let d = decide(&chains, 1, &packet("2001:db8::9", "2001:db8::1", 6, 444));
    assert_eq!(verdict(&d), "accept", "{d:?}");

    // IPv4 still reads IPv4 offsets.
    let d = decide(&chains, 3, &packet("10.0.0.1", "10.0.0.2", 6, 80));
    assert_eq!(verdict(&d), "drop", "{d:?}");
    let d = decide(&chains, 3, &packet("10.0.0.1", "10.0.0.3", 6, 80));
    assert_eq!(verdict(&d), "accept", "{d:?}");
}
