//! `tcpdump`: tcpdump 4.99's command line onto `capture` (the same engine: our pcap-filter
//! compiler, the AF_PACKET ring, tcpdump's packet lines).

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["tcpdump"],
    about: "capture packets (netshoot capture)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "i",
        Some('i'),
        &["interface"],
        "IFACE",
        "interface (default: the first up, non-loopback one); any for all",
    ),
    Opt::value("c", Some('c'), &[], "COUNT", "exit after COUNT packets"),
    Opt::value(
        "w",
        Some('w'),
        &[],
        "FILE",
        "write packets to a pcap FILE (- is not supported)",
    ),
    Opt::value(
        "r",
        Some('r'),
        &[],
        "FILE",
        "read packets from a pcap or pcapng FILE",
    ),
    Opt::value(
        "s",
        Some('s'),
        &["snapshot-length"],
        "SNAPLEN",
        "bytes to keep of each packet (0: 262144)",
    ),
    Opt::value(
        "C",
        Some('C'),
        &[],
        "MB",
        "with -w: a new file every MB million bytes",
    ),
    Opt::value(
        "G",
        Some('G'),
        &[],
        "SECONDS",
        "with -w: a new file every SECONDS",
    ),
    Opt::value(
        "W",
        Some('W'),
        &[],
        "COUNT",
        "with -C/-G: at most COUNT files, in a ring",
    ),
    Opt::value(
        "B",
        Some('B'),
        &["buffer-size"],
        "KIB",
        "ring buffer size in KiB",
    ),
    Opt::value(
        "F",
        Some('F'),
        &[],
        "FILE",
        "read the filter expression from FILE",
    ),
    Opt::flag(
        "p",
        Some('p'),
        &["no-promiscuous-mode"],
        "do not put the interface in promiscuous mode",
    ),
    Opt::flag("e", Some('e'), &[], "print the link-level header"),
    Opt::flag(
        "X",
        Some('X'),
        &[],
        "hex and ASCII of each packet (-XX: with the link header)",
    ),
    Opt::flag(
        "x",
        Some('x'),
        &[],
        "hex of each packet (-xx: with the link header)",
    ),
    Opt::flag("A", Some('A'), &[], "ASCII of each packet"),
    Opt::flag(
        "n",
        Some('n'),
        &[],
        "numeric addresses and ports (always so; -nn too)",
    ),
    Opt::flag(
        "S",
        Some('S'),
        &["absolute-tcp-sequence-numbers"],
        "absolute TCP sequence numbers (always so)",
    ),
    Opt::flag(
        "l",
        Some('l'),
        &[],
        "line-buffered output (always so on a terminal; every packet is flushed)",
    ),
    Opt::flag(
        "U",
        Some('U'),
        &["packet-buffered"],
        "flush after every packet (always so without -w)",
    ),
    Opt::flag(
        "immediate",
        None,
        &["immediate-mode"],
        "deliver packets at once (always so)",
    ),
    Opt::flag(
        "v",
        Some('v'),
        &[],
        "verbose: IP header fields and checksums (-vv, -vvv: more)",
    ),
    Opt::flag(
        "d",
        Some('d'),
        &[],
        "print the compiled BPF program and exit (-dd as C, -ddd as decimals)",
    ),
    Opt::flag(
        "t",
        Some('t'),
        &[],
        "-t: no timestamp; -tt: seconds since the epoch; -tttt: date and time",
    ),
    Opt::flag(
        "D",
        Some('D'),
        &["list-interfaces"],
        "list the interfaces capture can use",
    ),
    Opt::flag("version", None, &["version"], "print the version"),
    Opt::value(
        "duration",
        None,
        &["duration"],
        "SECONDS",
        "stop after SECONDS (netshoot's addition)",
    ),
    Opt::flag(
        "pcapng",
        None,
        &["pcapng"],
        "with -w: write pcapng (netshoot's addition)",
    ),
    Opt::unsupported(
        "K",
        Some('K'),
        &["dont-verify-checksums"],
        Takes::No,
        "checksums are verified only with -v; leave -K out",
    ),
    Opt::unsupported(
        "O",
        Some('O'),
        &["no-optimize"],
        Takes::No,
        "our compiler emits one program; -d shows it",
    ),
    Opt::unsupported(
        "q",
        Some('q'),
        &[],
        Takes::No,
        "leave -q out for the full line",
    ),
    Opt::unsupported(
        "Q",
        Some('Q'),
        &["direction"],
        Takes::Value,
        "direction is not selectable; filter on addresses instead",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &["monitor-mode"],
        Takes::No,
        "monitor mode (Wi-Fi) is out of scope",
    ),
    Opt::unsupported(
        "y",
        Some('y'),
        &["linktype"],
        Takes::Value,
        "only Ethernet (EN10MB) is captured",
    ),
    Opt::unsupported(
        "L",
        Some('L'),
        &["list-data-link-types"],
        Takes::No,
        "only Ethernet (EN10MB) is captured",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["relinquish-privileges"],
        Takes::Value,
        "run netshoot as the user instead (docker run --user)",
    ),
    Opt::unsupported(
        "z",
        Some('z'),
        &[],
        Takes::Value,
        "run the command after netshoot exits",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &[],
        Takes::Value,
        "packets are decoded by port and protocol only",
    ),
    Opt::unsupported(
        "j",
        Some('j'),
        &["time-stamp-type"],
        Takes::Value,
        "the kernel's default time stamps are used",
    ),
    Opt::unsupported(
        "J",
        Some('J'),
        &["list-time-stamp-types"],
        Takes::No,
        "the kernel's default time stamps are used",
    ),
    Opt::unsupported(
        "nano",
        None,
        &["nano", "time-stamp-precision"],
        Takes::Optional,
        "time stamps are in microseconds",
    ),
    Opt::unsupported(
        "number",
        Some('#'),
        &["number"],
        Takes::No,
        "number lines with `nl` or `cat -n`",
    ),
    Opt::unsupported(
        "b",
        Some('b'),
        &[],
        Takes::No,
        "BGP AS numbers are not decoded",
    ),
    Opt::unsupported(
        "f",
        Some('f'),
        &[],
        Takes::No,
        "addresses are always numeric",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &[],
        Takes::No,
        "addresses are always numeric",
    ),
    Opt::unsupported(
        "H",
        Some('H'),
        &[],
        Takes::No,
        "802.11s headers are not decoded",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &[],
        Takes::Value,
        "TCP-MD5 signatures are not verified",
    ),
    Opt::unsupported("E", Some('E'), &[], Takes::Value, "ESP is not decrypted"),
    Opt::unsupported("V", Some('V'), &[], Takes::Value, "give one file with -r"),
    Opt::unsupported(
        "m",
        Some('m'),
        &[],
        Takes::Value,
        "SNMP MIBs are not loaded",
    ),
    Opt::unsupported(
        "u",
        Some('u'),
        &[],
        Takes::No,
        "NFS handles are not decoded",
    ),
    Opt::unsupported(
        "print",
        None,
        &["print"],
        Takes::No,
        "-w and printing at once: capture twice or read the file with -r",
    ),
    Opt::unsupported(
        "count",
        None,
        &["count"],
        Takes::No,
        "use -c, or count lines with `wc -l`",
    ),
];

/// tcpdump's grammar (GNU permutation: options may follow the expression).
pub const SPEC: Spec = Spec {
    tool: "tcpdump",
    opts: OPTS,
    permute: true,
    usage: "[-AdDeFlnpSUvxX] [-B KIB] [-c COUNT] [-C MB] [-F FILE] [-G SECONDS] [-i IFACE] [-r FILE] [-s SNAPLEN] [-w FILE] [-W COUNT] [EXPRESSION]",
    notes: "\
Packet lines are printed as tcpdump -n prints them (numeric addresses and ports).
Status (listening on …, packets captured/received/dropped) goes to stderr, as tcpdump's does.
The same engine as `netshoot capture` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "tcpdump (netshoot {}): netshoot's own capture engine, no libpcap",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("version", &version)))? else {
        return Ok(0);
    };
    if p.has("D") {
        return list_interfaces(ctx);
    }
    let mut v: Vec<String> = vec!["capture".into()];
    let mut push = |a: &str, b: Option<&str>| {
        v.push(a.to_string());
        if let Some(b) = b {
            v.push(b.to_string());
        }
    };
    for (id, flag) in [
        ("i", "-i"),
        ("c", "-c"),
        ("w", "-w"),
        ("r", "-r"),
        ("C", "-C"),
        ("G", "-G"),
        ("W", "-W"),
        ("B", "-B"),
        ("duration", "--duration"),
    ] {
        if let Some(val) = p.value(id) {
            if id == "w" && val == "-" {
                return Err(usage(
                    "tcpdump",
                    "-w - (pcap to stdout) is not supported; give a file name",
                ));
            }
            push(flag, Some(val));
        }
    }
    if let Some(s) = p.value("s") {
        let n: u32 = s.parse().map_err(|_| {
            usage(
                "tcpdump",
                format!("invalid snaplen '{s}': give a number of bytes"),
            )
        })?;
        // tcpdump: 0 means the default, 262144.
        let n = if n == 0 { 262_144 } else { n };
        push("-s", Some(&n.to_string()));
    }
    for _ in 0..p.count("X").min(2) {
        push("-X", None);
    }
    for _ in 0..p.count("x").min(2) {
        push("-x", None);
    }
    for (id, flag) in [
        ("p", "-p"),
        ("e", "-e"),
        ("A", "-A"),
        ("pcapng", "--pcapng"),
    ] {
        if p.has(id) {
            push(flag, None);
        }
    }
    if p.count("d") > 0 {
        push(&format!("-{}", "d".repeat(p.count("d").min(3))), None);
    }
    match p.count("t") {
        0 => {}
        1 => push("--tstamp", Some("none")),
        2 => push("--tstamp", Some("epoch")),
        4 => push("--tstamp", Some("date")),
        n => {
            return Err(usage(
                "tcpdump",
                format!(
                    "-{} is not supported; use -t (none), -tt (epoch) or -tttt (date)",
                    "t".repeat(n)
                ),
            ))
        }
    }
    if !p.has("S") {
        push("--relative-seq", None);
    }
    let verbose = p.count("v");
    for _ in 0..verbose.min(3) {
        push("-v", None);
    }
    let mut expr: Vec<String> = p.args().iter().map(|s| s.to_string()).collect();
    if let Some(f) = p.value("F") {
        if !expr.is_empty() {
            return Err(usage(
                "tcpdump",
                "-F FILE and an expression on the command line: give one of them",
            ));
        }
        let text = std::fs::read_to_string(f).map_err(|e| {
            usage(
                "tcpdump",
                format!("-F {f}: cannot read the filter file: {e}"),
            )
        })?;
        // tcpdump ignores '#' comments in a filter file.
        let text: String = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        expr = vec![text.trim().to_string()];
    }
    if !expr.is_empty() {
        v.push("--".into());
        v.extend(expr);
    }
    ctx.verb(&v)
}

/// `tcpdump -D`: the interfaces in libpcap's order (up and running first, then `any`, the
/// loopback, the ones up but not running, the ones down; ifindex order within each), with
/// libpcap's flag words.
fn list_interfaces(ctx: &Ctx) -> anyhow::Result<i32> {
    ctx.enter()?;
    let mut ifs = netshoot_inspect::interfaces()
        .map_err(|e| anyhow::anyhow!("cannot list interfaces: {e}"))?;
    ifs.sort_by_key(|i| i.index);
    // (merit, name, flag words): lower merit first, as libpcap sorts its device list.
    let mut rows: Vec<(u32, String, Vec<&str>)> = Vec::new();
    for i in &ifs {
        let running = i.flags.iter().any(|f| f == "LOWER_UP");
        let lo = i.link_type == "loopback";
        let mut merit = 0;
        if !i.up {
            merit |= 0x8000_0000;
        }
        if !running {
            merit |= 0x4000_0000;
        }
        if lo {
            merit |= 0x2000_0000;
        }
        let mut flags = Vec::new();
        if i.up {
            flags.push("Up");
        }
        if running {
            flags.push("Running");
        }
        if lo {
            flags.push("Loopback");
        } else if i.up {
            flags.push(if running { "Connected" } else { "Disconnected" });
        }
        if flags.is_empty() {
            flags.push("none");
        }
        rows.push((merit, i.name.clone(), flags));
    }
    rows.push((
        0x1000_0000,
        "any (Pseudo-device that captures on all interfaces)".into(),
        vec!["Up", "Running"],
    ));
    rows.sort_by_key(|r| r.0);
    for (n, (_, name, flags)) in rows.iter().enumerate() {
        println!("{}.{name} [{}]", n + 1, flags.join(", "));
    }
    Ok(0)
}
