//! `iperf3`: iperf3 3.12's command line onto `perf server` / `perf client` (the same engine:
//! iperf3's protocol, iperf3's report lines and -J structure).

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["iperf3"],
    about: "iperf3 throughput tests, client and server (netshoot perf)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("s", Some('s'), &["server"], "run as a server"),
    Opt::value(
        "c",
        Some('c'),
        &["client"],
        "HOST",
        "run as a client of HOST",
    ),
    Opt::value("p", Some('p'), &["port"], "PORT", "port (default 5201)"),
    Opt::value(
        "i",
        Some('i'),
        &["interval"],
        "SECS",
        "seconds between interval reports (0: none)",
    ),
    Opt::flag("J", Some('J'), &["json"], "JSON output"),
    Opt::value("B", Some('B'), &["bind"], "ADDR", "server: bind to ADDR"),
    Opt::flag(
        "1",
        Some('1'),
        &["one-off"],
        "server: serve one test, then exit",
    ),
    Opt::flag("u", Some('u'), &["udp"], "client: UDP instead of TCP"),
    Opt::value(
        "t",
        Some('t'),
        &["time"],
        "SECS",
        "client: seconds to transmit (default 10)",
    ),
    Opt::value(
        "n",
        Some('n'),
        &["bytes"],
        "N[KMG]",
        "client: bytes to transmit instead of a time",
    ),
    Opt::value(
        "k",
        Some('k'),
        &["blockcount"],
        "N[KMG]",
        "client: blocks to transmit instead of a time",
    ),
    Opt::value(
        "P",
        Some('P'),
        &["parallel"],
        "N",
        "client: parallel streams",
    ),
    Opt::flag("R", Some('R'), &["reverse"], "client: the server sends"),
    Opt::flag("bidir", None, &["bidir"], "client: both directions at once"),
    Opt::value(
        "b",
        Some('b'),
        &["bitrate", "bandwidth"],
        "N[KMG]",
        "client: target bits/sec per stream (UDP default 1M)",
    ),
    Opt::value(
        "l",
        Some('l'),
        &["length"],
        "N[KMG]",
        "client: write / datagram length",
    ),
    Opt::value(
        "O",
        Some('O'),
        &["omit"],
        "SECS",
        "client: leave out the first SECS",
    ),
    Opt::value(
        "w",
        Some('w'),
        &["window"],
        "N[KMG]",
        "client: socket buffer size",
    ),
    Opt::value(
        "C",
        Some('C'),
        &["congestion"],
        "ALGO",
        "client: TCP congestion control algorithm",
    ),
    Opt::flag("N", Some('N'), &["no-delay"], "client: TCP_NODELAY"),
    Opt::flag(
        "Z",
        Some('Z'),
        &["zerocopy"],
        "client: TCP sends with sendfile (zero copy)",
    ),
    Opt::value(
        "M",
        Some('M'),
        &["set-mss"],
        "BYTES",
        "client: TCP maximum segment size",
    ),
    Opt::flag(
        "udp64",
        None,
        &["udp-counters-64bit"],
        "client: 64-bit UDP counters",
    ),
    Opt::value(
        "connect-timeout",
        None,
        &["connect-timeout"],
        "MS",
        "client: milliseconds to wait for the connection",
    ),
    Opt::flag("4", Some('4'), &["version4"], "client: IPv4 only"),
    Opt::flag("6", Some('6'), &["version6"], "client: IPv6 only"),
    Opt::flag("v", Some('v'), &["version"], "print the version"),
    Opt::unsupported(
        "f",
        Some('f'),
        &["format"],
        Takes::Value,
        "rates are printed adaptively as iperf3's default; use -J for exact bytes",
    ),
    Opt::unsupported(
        "V",
        Some('V'),
        &["verbose"],
        Takes::No,
        "leave -V out; -J carries every number",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &["debug"],
        Takes::Optional,
        "leave -d out; netshoot -v iperf3 … adds diagnostics",
    ),
    Opt::unsupported(
        "D",
        Some('D'),
        &["daemon"],
        Takes::No,
        "run netshoot in the background (&, nohup, a container)",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &["pidfile"],
        Takes::Value,
        "no pid file is written; use $! in the shell",
    ),
    Opt::unsupported(
        "logfile",
        None,
        &["logfile"],
        Takes::Value,
        "redirect the output with > FILE",
    ),
    Opt::unsupported(
        "forceflush",
        None,
        &["forceflush"],
        Takes::No,
        "every line is flushed already; leave --forceflush out",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &["title"],
        Takes::Value,
        "prefix lines with sed 's/^/TITLE: /'",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["file"],
        Takes::Value,
        "data is not read from or written to a file; use netshoot connect HOST PORT < FILE",
    ),
    Opt::unsupported(
        "A",
        Some('A'),
        &["affinity"],
        Takes::Value,
        "pin netshoot with taskset -c N instead",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["tos"],
        Takes::Value,
        "the TOS byte is not set; leave -S out",
    ),
    Opt::unsupported(
        "L",
        Some('L'),
        &["flowlabel"],
        Takes::Value,
        "the IPv6 flow label is not set; leave -L out",
    ),
    Opt::unsupported(
        "X",
        Some('X'),
        &["xbind"],
        Takes::Value,
        "SCTP is not supported; TCP or UDP (-u)",
    ),
    Opt::unsupported(
        "sctp",
        None,
        &["sctp"],
        Takes::No,
        "SCTP is not supported; TCP or UDP (-u)",
    ),
    Opt::unsupported(
        "nstreams",
        None,
        &["nstreams"],
        Takes::Value,
        "SCTP is not supported; use -P for parallel TCP streams",
    ),
    Opt::unsupported(
        "cport",
        None,
        &["cport"],
        Takes::Value,
        "the client port is the kernel's; leave --cport out",
    ),
    Opt::unsupported(
        "get-server-output",
        None,
        &["get-server-output"],
        Takes::No,
        "run the server with netshoot -t SERVER iperf3 -s to see its side",
    ),
    Opt::unsupported(
        "pacing-timer",
        None,
        &["pacing-timer"],
        Takes::Value,
        "pacing is fixed; leave --pacing-timer out",
    ),
    Opt::unsupported(
        "fq-rate",
        None,
        &["fq-rate"],
        Takes::Value,
        "fair-queue pacing is not set; use -b RATE",
    ),
    Opt::unsupported(
        "dont-fragment",
        None,
        &["dont-fragment"],
        Takes::No,
        "DF is the kernel's default (path MTU discovery); leave it out",
    ),
    Opt::unsupported(
        "repeating-payload",
        None,
        &["repeating-payload"],
        Takes::No,
        "the payload is fixed; leave --repeating-payload out",
    ),
    Opt::unsupported(
        "timestamps",
        None,
        &["timestamps"],
        Takes::Optional,
        "prefix lines with ts (moreutils) instead",
    ),
    Opt::unsupported(
        "rcv-timeout",
        None,
        &["rcv-timeout"],
        Takes::Value,
        "use netshoot perf server --setup-timeout SECONDS (default 10) instead",
    ),
    Opt::unsupported(
        "extra-data",
        None,
        &["extra-data"],
        Takes::Value,
        "no extra data is sent; leave --extra-data out",
    ),
    Opt::unsupported(
        "username",
        None,
        &["username"],
        Takes::Value,
        "authentication is not implemented; run the server without --rsa-*",
    ),
    Opt::unsupported(
        "rsa-public-key-path",
        None,
        &["rsa-public-key-path"],
        Takes::Value,
        "authentication is not implemented; run the server without --rsa-*",
    ),
    Opt::unsupported(
        "rsa-private-key-path",
        None,
        &["rsa-private-key-path"],
        Takes::Value,
        "authentication is not implemented; run the server without --rsa-*",
    ),
    Opt::unsupported(
        "authorized-users-path",
        None,
        &["authorized-users-path"],
        Takes::Value,
        "authentication is not implemented; run the server without --rsa-*",
    ),
];

/// iperf3's grammar (GNU permutation).
pub const SPEC: Spec = Spec {
    tool: "iperf3",
    opts: OPTS,
    permute: true,
    usage: "-s [-p PORT] [-1] [-i SECS] [-B ADDR] [-J]\n       iperf3 -c HOST [-p PORT] [-t SECS | -n N | -k N] [-P N] [-R | --bidir] [-u] [-b RATE] [-l LEN] [-i SECS] [-O SECS] [-w N] [-C ALGO] [-N] [-Z] [-M BYTES] [-J]",
    notes: "\
Runs netshoot perf server / perf client: iperf3's protocol (interoperable with iperf3 3.x),
iperf3's report lines, and with -J iperf3's JSON structure. See docs/CLASSIC.md.",
    single_dash_long: false,
};

const CLIENT_ONLY: &[(&str, &str)] = &[
    ("u", "-u"),
    ("t", "-t"),
    ("n", "-n"),
    ("k", "-k"),
    ("P", "-P"),
    ("R", "-R"),
    ("bidir", "--bidir"),
    ("b", "-b"),
    ("l", "-l"),
    ("O", "-O"),
    ("w", "-w"),
    ("C", "-C"),
    ("N", "-N"),
    ("Z", "-Z"),
    ("M", "-M"),
    ("udp64", "--udp-counters-64bit"),
    ("connect-timeout", "--connect-timeout"),
    ("4", "-4"),
    ("6", "-6"),
];

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "iperf 3.12 compatible (netshoot {}): netshoot's own perf engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("v", &version)))? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        return Err(usage("iperf3", format!("unexpected argument '{a}'")));
    }
    let mut v: Vec<String> = vec!["perf".into()];
    match (p.has("s"), p.value("c")) {
        (true, Some(_)) => return Err(usage("iperf3", "-s and -c: give one of them")),
        (false, None) => {
            return Err(usage(
                "iperf3",
                "parameter error - must either be a client (-c) or server (-s)",
            ))
        }
        (true, None) => {
            if let Some((_, f)) = CLIENT_ONLY.iter().find(|(id, _)| p.has(id)) {
                return Err(usage(
                    "iperf3",
                    format!("{f} is a client option; give it to iperf3 -c"),
                ));
            }
            v.push("server".into());
            if p.has("1") {
                v.push("-1".into());
            }
            if let Some(b) = p.value("B") {
                v.extend(["-B".into(), b.into()]);
            }
        }
        (false, Some(host)) => {
            if p.has("1") {
                return Err(usage(
                    "iperf3",
                    "-1 is a server option; give it to iperf3 -s",
                ));
            }
            if p.has("B") {
                return Err(usage(
                    "iperf3",
                    "-B on the client is not supported; the kernel picks the source address",
                ));
            }
            if p.has("R") && p.has("bidir") {
                return Err(usage("iperf3", "-R and --bidir: give one of them"));
            }
            v.push("client".into());
            v.push(host.into());
            for (id, flag) in [
                ("t", "-t"),
                ("n", "-n"),
                ("k", "-k"),
                ("P", "-P"),
                ("b", "-b"),
                ("l", "-l"),
                ("O", "-O"),
                ("w", "-w"),
                ("C", "-C"),
                ("M", "-M"),
            ] {
                if let Some(x) = p.value(id) {
                    v.extend([flag.into(), x.into()]);
                }
            }
            for (id, flag) in [
                ("R", "-R"),
                ("bidir", "--bidir"),
                ("u", "-u"),
                ("N", "-N"),
                ("Z", "-Z"),
                ("udp64", "--udp-counters-64bit"),
                ("4", "-4"),
                ("6", "-6"),
            ] {
                if p.has(id) {
                    v.push(flag.into());
                }
            }
            if let Some(ms) = p.value("connect-timeout") {
                let ms: f64 = ms.parse().ok().filter(|m: &f64| *m > 0.0).ok_or_else(|| {
                    usage(
                        "iperf3",
                        format!("--connect-timeout '{ms}': a number of milliseconds > 0"),
                    )
                })?;
                v.extend(["--connect-timeout".into(), format!("{}", ms / 1000.0)]);
            }
        }
    }
    if let Some(i) = p.value("i") {
        v.extend(["-i".into(), i.into()]);
    }
    if let Some(port) = p.value("p") {
        v.extend(["-p".into(), port.into()]);
    }
    if p.has("J") {
        v.push("-J".into());
    }
    ctx.verb(&v)
}
