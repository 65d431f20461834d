//! Our compiled filters against libpcap's: for every expression of the corpus, libpcap's
//! program (`tcpdump -ddd -y EN10MB EXPR`) and ours run in the same interpreter over the same
//! packets — crafted edge cases (IPv4 options and fragments, IPv6 extension headers, ARP,
//! VLAN / QinQ, VXLAN, truncated frames) and real traffic captured by tcpdump in a namespace —
//! and must accept and reject exactly the same packets.

use std::collections::BTreeSet;
use std::process::Command;

use netshoot_capture::{bpf, craft, filter, pcap};

const PRIMITIVES: &[&str] = &[
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "igmp",
    "sctp",
    "host 10.0.0.1",
    "host 10.0.0.2",
    "src host 10.0.0.1",
    "dst host 10.0.0.2",
    "host 192.168.1.10",
    "ip host 10.0.0.1",
    "arp host 10.0.0.2",
    "rarp host 192.168.1.20",
    "src and dst host 10.0.0.1",
    "src or dst host 10.0.0.2",
    "host 224.0.0.251",
    "ip6 host 2001:db8::1",
    "host 2001:db8::2",
    "src host fe80::1",
    "dst host ff02::fb",
    "net 10.0.0.0/8",
    "net 10",
    "net 192.168.1.0/24",
    "net 192.168.0.0 mask 255.255.0.0",
    "src net 10.0.0.0/30",
    "dst net 192.168.1.16/28",
    "net 2001:db8::/32",
    "ip6 net fe80::/10",
    "net 0.0.0.0/0",
    "net 10.0.0.0/31",
    "port 80",
    "port 53",
    "port 443",
    "src port 80",
    "dst port 80",
    "tcp port 80",
    "udp port 53",
    "tcp dst port 443",
    "udp src port 5353",
    "port 4789",
    "port http",
    "port domain",
    "sctp port 80",
    "portrange 1-100",
    "portrange 5000-6000",
    "tcp portrange 8000-9000",
    "udp portrange 50-60",
    "src portrange 40000-40010",
    "port 22 or port 23",
    "ether host 02:42:0a:00:00:01",
    "ether src 02:42:0a:00:00:02",
    "ether dst ff:ff:ff:ff:ff:ff",
    "ether broadcast",
    "ether multicast",
    "broadcast",
    "multicast",
    "ip multicast",
    "ip6 multicast",
    "ether proto 0x88cc",
    "ether proto 0x806",
    "ip proto 1",
    "ip proto 47",
    "ip proto \\tcp",
    "ip6 proto 17",
    "ip6 proto 58",
    "proto 17",
    "proto 132",
    "less 64",
    "greater 100",
    "less 1000",
    "greater 1500",
    "vlan",
    "vlan 10",
    "vlan 20",
    "vlan 100",
    "vlan and ip",
    "vlan 10 and tcp port 80",
    "vlan 100 and vlan 10",
    "vlan and arp",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[tcpflags] & tcp-rst != 0",
    "tcp[13] = 0x12",
    "tcp[tcpflags] & (tcp-fin|tcp-ack) = (tcp-fin|tcp-ack)",
    "tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0",
    "ip[8] < 5",
    "ip[8] = 64",
    "ip[8] = 1",
    "ip[9] = 17",
    "ip[0] & 0xf > 5",
    "ip[0] & 0xf != 5",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "ip[2:2] > 1000",
    "udp[8:2] = 0x1234",
    "udp[4:2] > 100",
    "icmp[icmptype] = icmp-echo",
    "icmp[icmptype] == icmp-echoreply",
    "icmp[0] = 3 and icmp[1] = 3",
    "icmp[icmptype] = icmp-timxceed",
    "icmp6[icmp6type] = icmp6-echo",
    "icmp6[0] = icmp6-neighborsolicit",
    "len > 100",
    "len <= 60",
    "len - 14 > 40",
    "ether[0] & 1 = 1",
    "ether[12:2] = 0x800",
    "ether[12:2] > 1500",
    "arp[6:2] = 1",
    "arp[7] = 2",
    "tcp[2:2] = 80",
    "tcp[0:2] > 1024",
    "udp[2:2] = 4789 and udp[8] & 0x08 != 0",
    "tcp[(tcp[12] >> 4) * 4] = 0x47",
    "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 0",
    "ip[16] >= 224",
    "ip6[6] = 44",
    "ip6[6] = 0",
    "ip6[40] = 6",
    "ip6[7] = 64",
    "1 + 1 = 2",
    "len % 2 = 0",
    "len / 100 = 0",
    "len * 2 > 200",
    "ip[1] | 0x3 = 3",
    "ip[1] ^ 0xff = 0xff",
    "ether[6:4] = 0x02420a00",
    "-1 = 0xffffffff",
    "len & 0x7 = 4",
];

fn corpus() -> Vec<String> {
    let p = PRIMITIVES;
    let n = p.len();
    let mut set = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |s: String| {
        if set.insert(s.clone()) {
            out.push(s);
        }
    };
    for e in p {
        push(e.to_string());
    }
    for i in 0..n {
        let (a, b, c) = (p[i], p[(i * 7 + 3) % n], p[(i * 13 + 5) % n]);
        push(format!("{a} and {b}"));
        push(format!("{a} or not {b}"));
        push(format!("not ({a}) and ({b} or {c})"));
        if i % 2 == 0 {
            push(format!("{a} or {b} and {c}"));
            push(format!("!{a} && ({b} || {c})"));
        }
    }
    // Qualifier inheritance.
    for e in [
        "host 10.0.0.1 or 10.0.0.2",
        "tcp port 80 or 443",
        "src host 10.0.0.1 or 192.168.1.10",
        "port 53 and not 5353",
        "net 10.0.0.0/8 or 192.168.1.0/24",
        "tcp dst port 80 or 22 or 8080",
    ] {
        push(e.to_string());
    }
    out
}

/// libpcap's program; `optimize` false is tcpdump -O (libpcap's optimizer off).
fn libpcap_prog(expr: &str, optimize: bool) -> Result<Vec<bpf::Insn>, String> {
    let mut args = vec!["-ddd", "-y", "EN10MB"];
    if !optimize {
        args.push("-O");
    }
    args.extend(["--", expr]);
    let o = Command::new("tcpdump")
        .args(&args)
        .output()
        .expect("tcpdump is installed (scripts/setup)");
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
        // libpcap's optimizer proves some expressions false; that program is `ret #0`.
        if err.contains("expression rejects all packets") {
            return Ok(vec![bpf::Insn::stmt(bpf::RET | bpf::K, 0)]);
        }
        return Err(err);
    }
    bpf::parse_ddd(&String::from_utf8_lossy(&o.stdout)).ok_or_else(|| "unparsable -ddd".into())
}

fn libpcap(expr: &str) -> Result<Vec<bpf::Insn>, String> {
    libpcap_prog(expr, true)
}

/// Crafted frames, each also cut short at several lengths (wire length kept).
fn packets() -> Vec<(String, Vec<u8>, u32)> {
    let mut out = Vec::new();
    for (name, f) in craft::corpus() {
        let wire = f.len() as u32;
        for cut in [f.len(), 14, 18, 20, 23, 30, 34, 38, 40, 42, 54, 56, 60] {
            if cut <= f.len() {
                out.push((format!("{name} [{cut}/{wire}]"), f[..cut].to_vec(), wire));
            }
        }
    }
    out.extend(real_traffic());
    out
}

/// Real frames: tcpdump captures a little traffic on a namespace's loopback (root only).
fn real_traffic() -> Vec<(String, Vec<u8>, u32)> {
    if !nix_is_root() {
        return Vec::new();
    }
    let ns = format!("nstfe{}", std::process::id());
    let file = format!("/tmp/{ns}.pcap");
    let sh = |c: &str| {
        Command::new("sh")
            .args(["-c", c])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !sh(&format!("ip netns add {ns} && ip -n {ns} link set lo up && ip -n {ns} addr add ::1/128 dev lo 2>/dev/null; true")) {
        return Vec::new();
    }
    let script = format!(
        "ip netns exec {ns} sh -c 'tcpdump -i lo -U -w {file} 2>/dev/null & p=$!; sleep 0.5; \
         ping -c 2 -i 0.2 127.0.0.1 >/dev/null; ping -6 -c 2 -i 0.2 ::1 >/dev/null; \
         (echo hi | timeout 1 nc -l 127.0.0.1 8080 >/dev/null &); sleep 0.2; echo hello | timeout 1 nc -q 0 127.0.0.1 8080; \
         echo x | timeout 1 nc -u -w 0 127.0.0.1 53; sleep 0.5; kill $p; wait $p'"
    );
    sh(&script);
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    let recs = std::fs::read(&file)
        .ok()
        .and_then(|b| pcap::parse(&b).ok())
        .map(|(_, _, r)| r)
        .unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    recs.into_iter()
        .enumerate()
        .map(|(i, r)| (format!("real #{i}"), r.data, r.orig_len))
        .collect()
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

#[test]
fn decisions_equal_libpcap_for_the_whole_corpus() {
    let exprs = corpus();
    assert!(exprs.len() >= 300, "corpus has {} expressions", exprs.len());
    let pkts = packets();
    let real = pkts.iter().filter(|p| p.0.starts_with("real")).count();
    let mut compared = 0usize;
    let mut optimized_agree = 0usize;
    let mut mismatches = Vec::new();
    for e in &exprs {
        let theirs = match libpcap(e) {
            Ok(p) => p,
            Err(err) => {
                assert!(
                    filter::compile(e, filter::DEFAULT_SNAPLEN).is_err(),
                    "libpcap rejects {e:?} ({err}) but we compile it"
                );
                continue;
            }
        };
        let ours = filter::compile(e, filter::DEFAULT_SNAPLEN)
            .unwrap_or_else(|err| panic!("we reject {e:?}: {err}"));
        let unopt = libpcap_prog(e, false).unwrap_or_else(|_| theirs.clone());
        compared += 1;
        for (name, data, wire) in &pkts {
            // Against libpcap's unoptimized program (-O) always: same decision, also when a
            // load falls off the packet (the expression's own order decides, as in ours).
            // Against the optimized program tcpdump attaches, whenever neither program ran off
            // the packet's end (libpcap's optimizer reorders loads, so which one falls off a
            // short packet first differs).
            let (a, a_oob) = bpf::run_traced(&ours, data, *wire);
            let (u, _) = bpf::run_traced(&unopt, data, *wire);
            let (o, o_oob) = bpf::run_traced(&theirs, data, *wire);
            let (a, u, o) = (a > 0, u > 0, o > 0);
            if a != u {
                mismatches.push(format!("{e:?} on {name}: ours {a}, libpcap -O {u}"));
            } else if !a_oob && !o_oob && a != o {
                mismatches.push(format!("{e:?} on {name}: ours {a}, libpcap {o}"));
            } else if !a_oob && !o_oob {
                optimized_agree += 1;
            }
        }
    }
    eprintln!(
        "{compared} expressions × {} packets ({real} real): every decision equal to libpcap -O; {optimized_agree} decisions without a short read also equal to the optimized program",
        pkts.len()
    );
    assert!(
        compared >= 300,
        "only {compared} expressions compiled by both"
    );
    let mut by_expr: Vec<String> = Vec::new();
    for m in &mismatches {
        let e = m.split(" on ").next().unwrap_or_default().to_string();
        if !by_expr.contains(&e) {
            by_expr.push(e);
        }
    }
    let firsts: Vec<String> = by_expr
        .iter()
        .map(|e| {
            mismatches
                .iter()
                .find(|m| m.starts_with(e.as_str()))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches in {} expressions:\n{}",
        mismatches.len(),
        by_expr.len(),
        firsts.join("\n")
    );
}

#[test]
fn unsupported_and_wrong_expressions_fail_with_the_token() {
    for (e, tok) in [
        ("tcp port http2x", "http2x"),
        ("host 10.0.0.1 andd tcp", "andd"),
        ("gateway router", "gateway"),
        ("ip[0:3] = 1", "3"),
        ("portrange 10-", "end of expression"),
        ("(tcp", "end of expression"),
        ("host web.example", "web.example"),
    ] {
        let err = filter::compile(e, filter::DEFAULT_SNAPLEN).unwrap_err();
        assert_eq!(err.token, tok, "{e}: {err}");
        assert!(
            libpcap(e).is_err() || e.contains("web.example") || e.contains("gateway"),
            "{e}"
        );
    }
}
