//! `capture --json` against tshark on the same packets: real traffic between two namespaces
//! (ping, ping -6 with neighbour discovery, a TCP exchange, DNS answered by dnsmasq, an ICMP
//! port unreachable quoting its datagram, and ping and ARP inside a VXLAN tunnel over the
//! pair), written by tcpdump, read back by `netshoot capture -r F --json`: every line's typed
//! description names the same addresses, ports, TCP flags, ICMP types, DNS question, VXLAN VNI
//! and inner addresses as `tshark -r F -T fields` does, packet for packet. A live capture
//! names its interface.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::{require_root, run, unique, veth_pair, Netns};
use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// tshark's fields, in the order `fields` below lists them.
const FIELDS: [&str; 16] = [
    "frame.len",
    "frame.cap_len",
    "arp.src.proto_ipv4",
    "arp.dst.proto_ipv4",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "udp.srcport",
    "udp.dstport",
    "icmp.type",
    "icmpv6.type",
    "vxlan.vni",
];

/// The same fields from one of our descriptions: each layer in the order tshark dissects
/// them (outer first, then a VXLAN frame's inner one or an ICMP error's quoted datagram).
fn fields(p: &Value, out: &mut BTreeMap<&'static str, Vec<String>>) {
    let mut push = |k: &'static str, v: &Value| {
        let s = match v {
            Value::String(s) => s.clone(),
            x => x.to_string(),
        };
        out.entry(k).or_default().push(s);
    };
    if let Some(x) = p.get("arp") {
        push("arp.src.proto_ipv4", &x["sender_ip"]);
        push("arp.dst.proto_ipv4", &x["target_ip"]);
    }
    if let Some(x) = p.get("ipv4") {
        push("ip.src", &x["src"]);
        push("ip.dst", &x["dst"]);
    }
    if let Some(x) = p.get("ipv6") {
        push("ipv6.src", &x["src"]);
        push("ipv6.dst", &x["dst"]);
    }
    if let Some(x) = p.get("tcp") {
        push("tcp.srcport", &x["src_port"]);
        push("tcp.dstport", &x["dst_port"]);
        let names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
        let bits = x["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| 1u16 << names.iter().position(|n| f == n).unwrap())
            .sum::<u16>();
        push("tcp.flags", &Value::String(format!("0x{bits:04x}")));
    }
    if let Some(x) = p.get("udp") {
        push("udp.srcport", &x["src_port"]);
        push("udp.dstport", &x["dst_port"]);
    }
    if let Some(x) = p.get("icmp") {
        push("icmp.type", &x["type"]);
    }
    if let Some(x) = p.get("icmp6") {
        push("icmpv6.type", &x["type"]);
    }
    if let Some(x) = p.get("vxlan") {
        push("vxlan.vni", &x["vni"]);
        fields(&x["inner"], out);
    }
    if let Some(q) = p.get("icmp").and_then(|x| x.get("quoted")) {
        fields(q, out);
    }
}

#[test]
fn json_fields_agree_with_tshark() {
    require_root!();
    let a = Netns::new("ja");
    let b = Netns::new("jb");
    let (ia, ib, _l) = veth_pair(
        (Some(&a), Some("10.87.0.1/24")),
        (Some(&b), Some("10.87.0.2/24")),
    );
    a.ip(&["-6", "addr", "add", "fd87::1/64", "dev", &ia, "nodad"]);
    b.ip(&["-6", "addr", "add", "fd87::2/64", "dev", &ib, "nodad"]);
    // A VXLAN tunnel over the pair.
    for (ns, dev, peer, inner) in [
        (&a, &ia, "10.87.0.2", "10.86.0.1/24"),
        (&b, &ib, "10.87.0.1", "10.86.0.2/24"),
    ] {
        ns.sh(&format!(
            "ip link add vx0 type vxlan id 4242 remote {peer} dstport 4789 dev {dev} && \
             ip addr add {inner} dev vx0 && ip link set vx0 up"
        ));
    }
    let _dns = b.dnsmasq("10.87.0.2", &["--host-record=web.test,10.87.0.50"]);
    let _srv = b.spawn(&["sh", "-c", "echo pong | timeout 5 nc -l -p 34567"]);
    let file = format!("/tmp/{}.pcap", unique("json"));
    let cap = b.spawn(&["tcpdump", "-i", &ib, "--immediate-mode", "-U", "-w", &file]);
    // A live capture of our own on a's side: its lines name the interface.
    let live = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &format!("netns:{}", a.name),
            "capture",
            "-i",
            &ia,
            "--json",
            "-c",
            "2",
            "--duration",
            "10",
            "icmp and host 10.87.0.2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    a.sh(concat!(
        "ping -c 2 -i 0.2 10.87.0.2 >/dev/null; ping -6 -c 1 fd87::2 >/dev/null; ",
        "echo ping | timeout 2 nc -q 1 10.87.0.2 34567 >/dev/null; ",
        "dig +tries=1 +time=2 @10.87.0.2 web.test >/dev/null; ",
        "echo x | nc -u -w 1 10.87.0.2 34568; ",
        "ping -c 2 -i 0.2 10.86.0.2 >/dev/null; true"
    ));
    std::thread::sleep(Duration::from_millis(300));
    let mut cap = cap;
    run(&["kill", "-INT", &cap.0.id().to_string()]);
    let _ = cap.0.wait();

    // Ours, a JSON object a line.
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["capture", "-r", &file, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let ours: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // tshark's dissection of the same file.
    let mut args = vec!["-r", file.as_str(), "-T", "fields", "-E", "separator=/t"];
    for f in FIELDS {
        args.extend(["-e", f]);
    }
    let t = Command::new("tshark").args(&args).output().unwrap();
    assert!(t.status.success(), "{t:?}");
    let theirs: Vec<String> = text(&t.stdout).lines().map(str::to_string).collect();
    assert_eq!(ours.len(), theirs.len(), "one JSON line per packet");
    for (v, line) in ours.iter().zip(&theirs) {
        let mut mine = BTreeMap::new();
        mine.insert("frame.len", vec![v["length"].to_string()]);
        mine.insert("frame.cap_len", vec![v["captured"].to_string()]);
        fields(&v["packet"], &mut mine);
        for (name, value) in FIELDS.iter().zip(line.split('\t')) {
            let want: Vec<String> = value
                .split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            let got = mine.get(name).cloned().unwrap_or_default();
            assert_eq!(got, want, "{name} of {}\n{v}", v["summary"]);
        }
    }
    // tshark names the DNS question without its final dot.
    let mut qs = Vec::new();
    let q = Command::new("tshark")
        .args(["-r", &file, "-T", "fields", "-e", "dns.qry.name"])
        .output()
        .unwrap();
    for v in &ours {
        if let Some(n) = v["packet"]["dns"]["question"]["name"].as_str() {
            qs.push(n.trim_end_matches('.').to_string());
        }
    }
    let tq: Vec<String> = text(&q.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(qs, tq);

    // What the traffic was, field by field.
    let find = |f: &dyn Fn(&Value) -> bool| ours.iter().any(|v| f(&v["packet"]));
    assert!(find(&|p| p["dns"]["question"]["name"] == "web.test."
        && p["dns"]["question"]["type"] == "A"
        && p["dns"]["response"] == false
        && p["udp"]["dst_port"] == 53));
    assert!(find(&|p| p["dns"]["response"] == true
        && p["dns"]["answer"][0]["data"] == "10.87.0.50"
        && p["ipv4"]["src"] == "10.87.0.2"));
    assert!(find(&|p| p["tcp"]["dst_port"] == 34567
        && p["tcp"]["flags"] == serde_json::json!(["SYN"])
        && p["ipv4"]["src"] == "10.87.0.1"));
    assert!(find(&|p| p["icmp"]["type"] == 3
        && p["icmp"]["unreachable"]["port"] == 34568
        && p["icmp"]["quoted"]["udp"]["dst_port"] == 34568));
    assert!(find(&|p| p["vxlan"]["vni"] == 4242
        && p["vxlan"]["inner"]["ipv4"]["src"] == "10.86.0.1"
        && p["vxlan"]["inner"]["ipv4"]["dst"] == "10.86.0.2"
        && p["vxlan"]["inner"]["icmp"]["type"] == 8));
    assert!(find(&|p| p["icmp6"]["type"] == 128
        && p["ipv6"]["src"] == "fd87::1"
        && p["icmp6"]["seq"] == 1));
    // The line is still there, as the text output prints it.
    let plain = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["capture", "-r", &file, "--tstamp", "none"])
        .output()
        .unwrap();
    let summaries: Vec<&str> = ours
        .iter()
        .map(|v| v["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries.join("\n") + "\n", text(&plain.stdout));

    // The live capture: two ICMP lines on a's interface.
    let l = live.wait_with_output().unwrap();
    assert!(l.status.success(), "{l:?}");
    let lines: Vec<Value> = text(&l.stdout)
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", text(&l.stdout));
    for v in &lines {
        assert_eq!(v["interface"], ia.as_str(), "{v}");
        assert_eq!(
            v["packet"]["icmp"]["id"], lines[0]["packet"]["icmp"]["id"],
            "{v}"
        );
    }
    assert_eq!(lines[0]["packet"]["ipv4"]["dst"], "10.87.0.2");
    let _ = std::fs::remove_file(&file);
}
