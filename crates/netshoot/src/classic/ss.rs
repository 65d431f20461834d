//! `ss`: iproute2's command line onto our `sockets` verb (the same sock_diag dump, filter and
//! table). `netshoot ss …` comes here too, so the verb's long options are accepted as well.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ss"],
    about: "list sockets (netshoot sockets)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("t", Some('t'), &["tcp"], "TCP sockets"),
    Opt::flag("u", Some('u'), &["udp"], "UDP sockets"),
    Opt::flag("w", Some('w'), &["raw"], "raw sockets"),
    Opt::flag("x", Some('x'), &["unix"], "unix-domain sockets"),
    Opt::flag(
        "l",
        Some('l'),
        &["listening"],
        "listening sockets only (TCP LISTEN, unconnected UDP/raw/unix)",
    ),
    Opt::flag("a", Some('a'), &["all"], "listening and connected sockets"),
    Opt::flag(
        "n",
        Some('n'),
        &["numeric"],
        "numeric ports (addresses are always numeric)",
    ),
    Opt::flag(
        "p",
        Some('p'),
        &["processes"],
        "the processes holding each socket",
    ),
    Opt::flag("4", Some('4'), &["ipv4"], "IPv4 sockets only"),
    Opt::flag("6", Some('6'), &["ipv6"], "IPv6 sockets only"),
    Opt::value("f", Some('f'), &["family"], "FAMILY", "inet, inet6 or unix"),
    Opt::value(
        "A",
        Some('A'),
        &["query", "socket"],
        "QUERY",
        "comma-separated: all, inet, tcp, udp, raw, unix, unix_stream, unix_dgram, unix_seqpacket",
    ),
    Opt::flag("H", Some('H'), &["no-header"], "no header line"),
    Opt::flag(
        "O",
        Some('O'),
        &["oneline"],
        "one line per socket (always so)",
    ),
    Opt::flag("json", None, &["json"], "JSON (netshoot's)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "r",
        Some('r'),
        &["resolve"],
        Takes::No,
        "addresses stay numeric (ports are named without -n); leave -r out",
    ),
    Opt::unsupported(
        "e",
        Some('e'),
        &["extended"],
        Takes::No,
        "uid and inode are in `netshoot --json ss`",
    ),
    Opt::flag(
        "o",
        Some('o'),
        &["options"],
        "TCP timers: timer:(keepalive,19min,0)",
    ),
    Opt::unsupported(
        "m",
        Some('m'),
        &["memory"],
        Takes::No,
        "socket memory is not shown; leave -m out",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &["info"],
        Takes::No,
        "TCP internals are not shown; `netshoot capture` shows what the connection does",
    ),
    Opt::unsupported(
        "s",
        Some('s'),
        &["summary"],
        Takes::No,
        "count rows instead: `ss -tanH | wc -l`",
    ),
    Opt::unsupported(
        "K",
        Some('K'),
        &["kill"],
        Takes::No,
        "netshoot is read-only and closes no sockets",
    ),
    Opt::unsupported(
        "E",
        Some('E'),
        &["events"],
        Takes::No,
        "poll with `watch ss …` instead",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["context"],
        Takes::No,
        "SELinux contexts are not shown; -p names the processes",
    ),
    Opt::unsupported(
        "z",
        Some('z'),
        &["contexts"],
        Takes::No,
        "SELinux contexts are not shown; -p names the processes",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["net"],
        Takes::Value,
        "give the namespace as netshoot's target: netshoot -t netns:NAME ss …",
    ),
    Opt::unsupported(
        "b",
        Some('b'),
        &["bpf"],
        Takes::No,
        "socket BPF filters are not shown",
    ),
    Opt::unsupported(
        "0",
        Some('0'),
        &["packet"],
        Takes::No,
        "packet sockets are not listed; use -t, -u, -w or -x",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["sctp"],
        Takes::No,
        "SCTP sockets are not listed; use -t or -u",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &["dccp"],
        Takes::No,
        "DCCP sockets are not listed; use -t or -u",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &["mptcp"],
        Takes::No,
        "MPTCP sockets are not listed; use -t",
    ),
    Opt::unsupported(
        "vsock",
        None,
        &["vsock"],
        Takes::No,
        "vsock sockets are not listed",
    ),
    Opt::unsupported(
        "tipc",
        None,
        &["tipc"],
        Takes::No,
        "TIPC sockets are not listed",
    ),
    Opt::unsupported(
        "xdp",
        None,
        &["xdp"],
        Takes::No,
        "XDP sockets are not listed",
    ),
    Opt::unsupported(
        "D",
        Some('D'),
        &["diag"],
        Takes::Value,
        "raw sock_diag dumps are not written; use --json",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["filter"],
        Takes::Value,
        "give the filter on the command line",
    ),
    Opt::unsupported(
        "cgroup",
        None,
        &["cgroup"],
        Takes::No,
        "cgroups are not shown; -p names the processes",
    ),
    Opt::unsupported(
        "tos",
        None,
        &["tos"],
        Takes::No,
        "TOS/class are not shown; leave --tos out",
    ),
    Opt::unsupported(
        "inet-sockopt",
        None,
        &["inet-sockopt"],
        Takes::No,
        "socket options are not shown",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &["threads"],
        Takes::No,
        "-p names processes, not threads",
    ),
];

/// ss's grammar (GNU permutation: the filter may come before options).
pub const SPEC: Spec = Spec {
    tool: "ss",
    opts: OPTS,
    permute: true,
    usage: "[-tuwxlanpo46HO] [-f FAMILY] [-A QUERY] [FILTER]",
    notes: "\
FILTER: state STATE, exclude STATE, sport OP :PORT, dport OP :PORT, src|dst PREFIX[:PORT],
joined with and, or, not and parentheses.
The table is ss's, on a terminal and to a pipe. Without -t/-u/-w/-x,
TCP, UDP, raw and unix sockets are listed (ss also lists netlink and packet sockets).
The same engine as `netshoot sockets` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

/// Socket kinds selected by `-f` and `-A`.
fn query(word: &str, flags: &mut Vec<&'static str>) -> anyhow::Result<()> {
    for w in word.split(',') {
        match w {
            "all" => flags.extend(["-t", "-u", "-w", "-x"]),
            "inet" => flags.extend(["-t", "-u", "-w", "-4"]),
            "inet6" => flags.extend(["-t", "-u", "-w", "-6"]),
            "tcp" => flags.push("-t"),
            "udp" => flags.push("-u"),
            "raw" => flags.push("-w"),
            "unix" | "unix_stream" | "unix_dgram" | "unix_seqpacket" => flags.push("-x"),
            other => {
                return Err(usage(
                    "ss",
                    format!(
                        "socket kind '{other}' is not listed; use all, inet, inet6, tcp, udp, raw or unix"
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "ss (netshoot {}): netshoot's own sock_diag engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    let mut flags: Vec<&'static str> = Vec::new();
    for (id, flag) in [
        ("t", "-t"),
        ("u", "-u"),
        ("w", "-w"),
        ("x", "-x"),
        ("l", "-l"),
        ("a", "-a"),
        ("n", "-n"),
        ("p", "-p"),
        ("4", "-4"),
        ("6", "-6"),
        ("H", "-H"),
        ("o", "-o"),
    ] {
        if p.has(id) {
            flags.push(flag);
        }
    }
    if let Some(f) = p.value("f") {
        match f {
            "inet" => flags.push("-4"),
            "inet6" => flags.push("-6"),
            "unix" => flags.push("-x"),
            other => {
                return Err(usage(
                    "ss",
                    format!("family '{other}' is not listed; use inet, inet6 or unix"),
                ))
            }
        }
    }
    if let Some(q) = p.value("A") {
        query(q, &mut flags)?;
    }
    if flags.contains(&"-l") && flags.contains(&"-a") {
        // ss: the last of -l and -a wins; our verb refuses both, so keep -a (every socket).
        flags.retain(|f| *f != "-l");
    }
    if flags.contains(&"-4") && flags.contains(&"-6") {
        flags.retain(|f| *f != "-4" && *f != "-6");
    }
    flags.sort();
    flags.dedup();
    let mut v: Vec<String> = vec!["sockets".into()];
    v.extend(flags.iter().map(|f| f.to_string()));
    let filter = p.args();
    if !filter.is_empty() {
        v.push("--".into());
        v.extend(filter.iter().map(|s| s.to_string()));
    }
    let mut ctx = ctx.clone();
    if p.has("json") {
        ctx.json = true;
    }
    ctx.verb(&v)
}
