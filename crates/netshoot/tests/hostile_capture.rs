//! Hostile peers and hostile files against `top` and `capture`, and the capabilities the
//! packet tools keep once their sockets are open: a flood of spoofed sources keeps `top`'s
//! table at its cap and its memory bounded; a capture file of any size is read in constant
//! memory, a damaged or lying one is one error line; `capture`, `top`, `ping`, `trace` and
//! `scan -sS` run without capabilities (top: only the two that name processes) while they
//! still capture, count, ping, trace and scan. Every command ends within a watchdog's bound.

use std::io::{BufWriter, Write};
use std::process::Command;
use std::time::Duration;

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::{netns_pair, require_root, unique, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE (19): what `top` keeps to name processes.
const TOP_KEEPS: u64 = (1 << 2) | (1 << 19);

/// Namespaces a (10.89.0.1, interface returned) and b (10.89.0.2) on a veth pair.
fn pair() -> (Netns, Netns, String, Link) {
    let (a, b, ia, _, l) = netns_pair(("ha", "10.89.0.1/24"), ("hb", "10.89.0.2/24"));
    (a, b, ia, l)
}

/// A file removed on drop.
struct TmpFile(String);

impl TmpFile {
    fn new(name: &str) -> TmpFile {
        TmpFile(format!("/tmp/{}-{name}", unique("hcp")))
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// UDP from random sources in 10.100.0.0/16 (spoofed, raw socket) to 10.89.0.2 for `secs`.
const FLOOD: &str = r#"
import random, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
end = time.time() + float(sys.argv[1])
dst = socket.inet_aton("10.89.0.2")
udp = struct.pack("!HHHH", 4000, 9, 8 + 18, 0) + b"x" * 18
while time.time() < end:
    for _ in range(200):
        src = struct.pack("!BBH", 10, 100, random.getrandbits(16))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
        s.sendto(ip + udp, ("10.89.0.2", 0))
"#;

/// A flood of spoofed sources: every snapshot keeps at most --max-pairs pairs, the rest is
/// counted as overflow, memory stays bounded, and top runs with only the capabilities that
/// name processes.
#[test]
fn top_under_a_spoofed_source_flood_keeps_its_cap_and_memory() {
    require_root!();
    let (a, _b, ia, _l) = pair();
    // Neighbour resolved first, so the flood leaves at once.
    a.sh("ping -c 1 -W 2 10.89.0.2 >/dev/null");
    let _flood = a.spawn(&["python3", "-c", FLOOD, "12"]);
    std::thread::sleep(Duration::from_millis(300));
    let spec = format!("netns:{}", a.name);
    let w = NETSHOOT.watch(
        &[
            "-t",
            &spec,
            "top",
            "-i",
            &ia,
            "--json",
            "--interval",
            "1",
            "--count",
            "5",
            "--max-pairs",
            "2000",
            "-n",
            "5",
            "udp",
        ],
        Duration::from_millis(1500),
        Duration::from_secs(20),
        || {},
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    let snaps: Vec<serde_json::Value> = w
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(snaps.len(), 5, "{}", w.out);
    for s in &snaps {
        let tracked = s["tracked_pairs"].as_u64().unwrap();
        assert!(tracked <= 2000, "{s}");
        assert!(s["pairs"].as_array().unwrap().len() <= 5);
    }
    let last = snaps.last().unwrap();
    assert_eq!(
        last["tracked_pairs"], 2000,
        "the flood filled the table: {last}"
    );
    assert!(last["overflow_bytes"].as_u64().unwrap() > 0, "{last}");
    assert!(
        last["other_bytes"].as_u64() >= last["overflow_bytes"].as_u64(),
        "{last}"
    );
    assert!(
        w.hwm_kib < 48 * 1024,
        "top's VmHWM {} KiB under a flood",
        w.hwm_kib
    );
    assert!(
        !w.caps.is_empty(),
        "top ended before its capabilities were read"
    );
    for (eff, prm, bnd) in &w.caps {
        assert_eq!(*eff & !TOP_KEEPS, 0, "CapEff {eff:x}");
        assert_eq!(*prm & !TOP_KEEPS, 0, "CapPrm {prm:x}");
        assert_eq!(*bnd & !TOP_KEEPS, 0, "CapBnd {bnd:x}");
    }
    eprintln!("top under a flood: VmHWM {} KiB, {:?}", w.hwm_kib, w.took);
}

/// An Ethernet/IPv4/UDP frame of `len` bytes (len ≥ 42).
fn frame(len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[8, 0]);
    let ip_len = (len - 14) as u16;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 89, 0, 1]);
    f[30..34].copy_from_slice(&[10, 89, 0, 2]);
    f[34..36].copy_from_slice(&4000u16.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    f
}

/// A pcap file of `n` copies of a 1514-byte frame (little-endian, microseconds).
fn big_pcap(path: &str, n: usize) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&h).unwrap();
    let f = frame(1514);
    for i in 0..n {
        let mut r = Vec::with_capacity(16);
        r.extend_from_slice(&(1_700_000_000u32 + (i / 1000) as u32).to_le_bytes());
        r.extend_from_slice(&((i % 1000) as u32 * 1000).to_le_bytes());
        r.extend_from_slice(&1514u32.to_le_bytes());
        r.extend_from_slice(&1514u32.to_le_bytes());
        w.write_all(&r).unwrap();
        w.write_all(&f).unwrap();
    }
    w.flush().unwrap();
}

/// A pcapng file (one section, one Ethernet interface) of `n` copies of a 1514-byte frame.
fn big_pcapng(path: &str, n: usize) {
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(body);
        b.extend(std::iter::repeat_n(0u8, pad));
        b.extend_from_slice(&total.to_le_bytes());
        b
    }
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    w.write_all(&block(0x0A0D_0D0A, &shb)).unwrap();
    let mut idb = Vec::new();
    idb.extend_from_slice(&1u16.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&65535u32.to_le_bytes());
    w.write_all(&block(1, &idb)).unwrap();
    let f = frame(1514);
    for i in 0..n {
        let ts = 1_700_000_000_000_000u64 + i as u64;
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&1514u32.to_le_bytes());
        epb.extend_from_slice(&1514u32.to_le_bytes());
        epb.extend_from_slice(&f);
        w.write_all(&block(6, &epb)).unwrap();
    }
    w.flush().unwrap();
}

/// `capture -r` of a 200 MB pcap and a 64 MB pcapng holds one record at a time: VmHWM stays
/// under 30 MiB, every record is written again; the copy reads back the same.
#[test]
fn capture_r_streams_a_large_file_in_constant_memory() {
    let big = TmpFile::new("big.pcap");
    let n = 200_000_000 / 1530;
    big_pcap(&big.0, n);
    let copy = TmpFile::new("copy.pcap");
    let w = NETSHOOT.watch(
        &["capture", "-r", &big.0, "-w", &copy.0],
        Duration::ZERO,
        Duration::from_secs(60),
        || {},
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    assert!(
        w.hwm_kib < 30 * 1024,
        "VmHWM {} KiB for -r of 200 MB",
        w.hwm_kib
    );
    assert_eq!(
        std::fs::metadata(&copy.0).unwrap().len(),
        std::fs::metadata(&big.0).unwrap().len(),
        "every record written again"
    );
    // The copy reads back.
    let o = NETSHOOT.run(&["capture", "-r", &copy.0, "-c", "2", "--tstamp", "epoch"]);
    assert_eq!(text(&o.stdout).lines().count(), 2, "{}", text(&o.stderr));
    eprintln!("-r 200 MB pcap: VmHWM {} KiB in {:?}", w.hwm_kib, w.took);
    drop((big, copy));

    let ng = TmpFile::new("big.pcapng");
    big_pcapng(&ng.0, 64_000_000 / 1546);
    let w = NETSHOOT.watch(
        &["capture", "-r", &ng.0, "udp port 53"],
        Duration::ZERO,
        Duration::from_secs(60),
        || {},
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    assert_eq!(w.out.lines().count(), 64_000_000 / 1546);
    assert!(
        w.hwm_kib < 30 * 1024,
        "VmHWM {} KiB for -r of 64 MB",
        w.hwm_kib
    );
    eprintln!("-r 64 MB pcapng: VmHWM {} KiB in {:?}", w.hwm_kib, w.took);
}

/// Lying lengths are one error line, never an allocation; damage after good records shows
/// those records first, then one error line (tcpdump's "truncated dump file").
#[test]
fn capture_r_of_lying_and_damaged_files() {
    let f = TmpFile::new("lie.pcap");
    // snap length 0xffffffff, a record that claims 0xfffffff0 captured bytes.
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    b.extend_from_slice(&60u32.to_le_bytes());
    b.extend_from_slice(&[0; 64]);
    std::fs::write(&f.0, &b).unwrap();
    let o = NETSHOOT.run(&["capture", "-r", &f.0]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("corrupt record 1") && e.contains("largest record"),
        "{e}"
    );
    // pcapng: a block that claims almost 4 GiB.
    let mut ng = Vec::new();
    ng.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
    ng.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    ng.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    ng.extend_from_slice(&[0; 64]);
    std::fs::write(&f.0, &ng).unwrap();
    let o = NETSHOOT.run(&["capture", "-r", &f.0]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("corrupt record 1"), "{e}");
    // Three good records, then a record cut short.
    big_pcap(&f.0, 3);
    let mut b = std::fs::read(&f.0).unwrap();
    b.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    std::fs::write(&f.0, &b).unwrap();
    let o = NETSHOOT.run(&["capture", "-r", &f.0]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(text(&o.stdout).lines().count(), 3);
    assert!(
        e.lines()
            .last()
            .unwrap_or_default()
            .contains("corrupt record 4"),
        "{e}"
    );
}

/// `capture`, `ping` (raw socket), `trace` and `scan -sS` keep no capability in any thread
/// once their sockets are open, and still capture, ping, trace and scan.
#[test]
fn packet_tools_drop_their_capabilities_once_the_sockets_are_open() {
    require_root!();
    let (a, b, ia, _l) = pair();
    let spec = format!("netns:{}", a.name);
    let all_zero = |what: &str, caps: &[(u64, u64, u64)]| {
        assert!(
            !caps.is_empty(),
            "{what} ended before its capabilities were read"
        );
        for c in caps {
            assert_eq!(
                *c,
                (0, 0, 0),
                "{what}: (CapEff, CapPrm, CapBnd) of a thread"
            );
        }
    };
    // capture: the packets arrive after the capabilities are gone.
    let name = a.name.clone();
    let w = NETSHOOT.watch(
        &["-t", &spec, "capture", "-i", &ia, "-c", "3", "icmp"],
        Duration::from_millis(700),
        Duration::from_secs(15),
        move || {
            let _ = Command::new("ip")
                .args(["netns", "exec", &name, "ping", "-c", "3", "-i", "0.2"])
                .arg("10.89.0.2")
                .output();
        },
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    assert_eq!(w.out.lines().count(), 3, "{}", w.out);
    all_zero("capture", &w.caps);
    // ping: a new namespace refuses ICMP datagram sockets (ping_group_range 1 0): raw.
    let w = NETSHOOT.watch(
        &["-t", &spec, "ping", "-c", "5", "-i", "0.5", "10.89.0.2"],
        Duration::from_millis(800),
        Duration::from_secs(15),
        || {},
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    assert!(w.out.contains("5 received"), "{}", w.out);
    all_zero("ping", &w.caps);
    // trace to a silent address: 3 hops of 1 s.
    let w = NETSHOOT.watch(
        &[
            "-t",
            &spec,
            "trace",
            "-n",
            "-q",
            "1",
            "-w",
            "1",
            "-m",
            "3",
            "10.89.0.9",
        ],
        Duration::from_millis(800),
        Duration::from_secs(15),
        || {},
    );
    // Unanswered (1), or the kernel's own host-unreachable once ARP gives up.
    assert!(matches!(w.code, Some(0 | 1)), "{}", w.err);
    assert!(w.out.starts_with("traceroute to 10.89.0.9"), "{}", w.out);
    assert!(w.out.lines().count() >= 2, "{}", w.out);
    all_zero("trace", &w.caps);
    // scan -sS: a listener is found open after the capabilities are gone.
    let _sink = b.tcp_sinks(&["8080"]);
    b.wait_listen(8080, false);
    let w = NETSHOOT.watch(
        &[
            "-t",
            &spec,
            "--json",
            "scan",
            "-sS",
            "-p",
            "8080,8081",
            "10.89.0.2",
            "10.89.0.9",
            "10.89.0.10",
        ],
        // A short scan: sample early (its sockets are open and dropped within milliseconds),
        // and two silent hosts keep it running past the sample on a busy machine.
        Duration::from_millis(300),
        Duration::from_secs(20),
        || {},
    );
    assert_eq!(w.code, Some(0), "{}", w.err);
    let v: serde_json::Value = serde_json::from_str(&w.out).expect("JSON");
    assert_eq!(v[0]["ports"][0]["state"], "open", "{v}");
    assert_eq!(v[0]["ports"][1]["state"], "closed", "{v}");
    all_zero("scan -sS", &w.caps);
}
