//! `ping`: iputils ping's command line onto our `ping` verb (the same engine and iputils'
//! lines). `ping` is also our verb's name, so the verb's own options (`--count`, `-a`, CIDRs,
//! several hosts, `--json`) are accepted here too.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ping"],
    about: "ICMP echo like iputils ping (netshoot ping)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "c",
        Some('c'),
        &["count"],
        "COUNT",
        "stop after COUNT requests",
    ),
    Opt::value(
        "i",
        Some('i'),
        &["interval"],
        "SECONDS",
        "seconds between requests (default 1)",
    ),
    Opt::value(
        "W",
        Some('W'),
        &["wait"],
        "SECONDS",
        "seconds to wait for a reply after the last request",
    ),
    Opt::value(
        "w",
        Some('w'),
        &["deadline"],
        "SECONDS",
        "stop after SECONDS",
    ),
    Opt::value(
        "s",
        Some('s'),
        &["size"],
        "BYTES",
        "ICMP payload bytes (default 56)",
    ),
    Opt::value("t", Some('t'), &["ttl"], "TTL", "IP TTL / IPv6 hop limit"),
    Opt::value(
        "M",
        Some('M'),
        &[],
        "do|dont|want",
        "path-MTU discovery: do sets DF",
    ),
    Opt::value(
        "I",
        Some('I'),
        &["interface"],
        "IFACE|ADDRESS",
        "send from this interface or source address",
    ),
    Opt::flag("q", Some('q'), &["quiet"], "only the summary"),
    Opt::flag("n", Some('n'), &[], "numeric output (always so)"),
    Opt::flag(
        "D",
        Some('D'),
        &[],
        "print a timestamp (seconds since the epoch) before each line",
    ),
    Opt::flag(
        "O",
        Some('O'),
        &[],
        "report a request still unanswered when the next one leaves",
    ),
    Opt::flag("4", Some('4'), &[], "IPv4 only"),
    Opt::flag("6", Some('6'), &[], "IPv6 only"),
    Opt::flag(
        "a",
        Some('a'),
        &["alive"],
        "several hosts: print only those that answered (fping -a; not iputils' audible ping)",
    ),
    Opt::flag(
        "force",
        None,
        &["force"],
        "accept a CIDR larger than /16 (netshoot's addition)",
    ),
    Opt::flag(
        "json",
        None,
        &["json"],
        "one JSON report (netshoot's addition)",
    ),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "f",
        Some('f'),
        &[],
        Takes::No,
        "flood ping is not offered; use -i 0.01 -q for a fast one",
    ),
    Opt::unsupported(
        "l",
        Some('l'),
        &[],
        Takes::Value,
        "no preload; use a short -i instead",
    ),
    Opt::unsupported(
        "p",
        Some('p'),
        &[],
        Takes::Value,
        "the payload pattern is fixed",
    ),
    Opt::unsupported(
        "Q",
        Some('Q'),
        &[],
        Takes::Value,
        "the TOS/DSCP byte is not settable; leave -Q out",
    ),
    Opt::unsupported(
        "R",
        Some('R'),
        &[],
        Takes::No,
        "record route is not offered; use traceroute",
    ),
    Opt::unsupported(
        "r",
        Some('r'),
        &[],
        Takes::No,
        "bypassing the routing table is not offered; use -I IFACE",
    ),
    Opt::unsupported(
        "b",
        Some('b'),
        &[],
        Takes::No,
        "broadcast ping is not offered; use fping -g CIDR",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &[],
        Takes::Value,
        "IP timestamps are not offered; use -D for local ones",
    ),
    Opt::unsupported(
        "m",
        Some('m'),
        &[],
        Takes::Value,
        "packets are not marked; leave -m out",
    ),
    Opt::unsupported(
        "A",
        Some('A'),
        &[],
        Takes::No,
        "adaptive ping is not offered; give -i",
    ),
    Opt::unsupported(
        "B",
        Some('B'),
        &[],
        Takes::No,
        "the source is chosen once already; give -I ADDRESS to pin it",
    ),
    Opt::unsupported(
        "L",
        Some('L'),
        &[],
        Takes::No,
        "multicast loopback is not settable",
    ),
    Opt::unsupported(
        "U",
        Some('U'),
        &[],
        Takes::No,
        "round trips are always measured in user space",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &[],
        Takes::No,
        "SO_DEBUG is not set; leave -d out",
    ),
    Opt::unsupported(
        "v",
        Some('v'),
        &[],
        Takes::No,
        "leave -v out; ICMP errors are always shown",
    ),
    Opt::unsupported(
        "e",
        Some('e'),
        &[],
        Takes::Value,
        "the identifier is chosen by netshoot (or the kernel)",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &[],
        Takes::Value,
        "IPv6 flow labels are not settable",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &[],
        Takes::Value,
        "node information queries are not offered",
    ),
    Opt::unsupported("C", Some('C'), &[], Takes::No, "leave -C out"),
];

/// iputils ping's grammar (GNU permutation: options may follow the host).
pub const SPEC: Spec = Spec {
    tool: "ping",
    opts: OPTS,
    permute: true,
    usage: "[-46aDnOq] [-c COUNT] [-i SECONDS] [-I IFACE|ADDRESS] [-M do|dont|want] [-s BYTES] [-t TTL] [-w DEADLINE] [-W TIMEOUT] HOST...",
    notes: "\
Lines and statistics are iputils ping's. Several hosts or a CIDR are pinged at once with one
summary line each, like fping -q -c (netshoot's addition; -a prints only those that answered).
The same engine as `netshoot ping` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if p.has("V") {
        println!("ping from netshoot {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    if p.args().is_empty() {
        return Err(usage("ping", "usage error: Destination address required"));
    }
    let mut ctx = ctx.clone();
    ctx.json |= p.has("json");
    let mut v: Vec<String> = vec!["ping".into()];
    for (id, flag) in [
        ("c", "-c"),
        ("i", "-i"),
        ("W", "-W"),
        ("w", "-w"),
        ("s", "-s"),
        ("t", "-t"),
        ("M", "-M"),
        ("I", "-I"),
    ] {
        if let Some(val) = p.value(id) {
            v.push(flag.into());
            v.push(val.into());
        }
    }
    for (id, flag) in [
        ("q", "-q"),
        ("n", "-n"),
        ("D", "-D"),
        ("O", "-O"),
        ("4", "-4"),
        ("6", "-6"),
        ("a", "-a"),
        ("force", "--force"),
    ] {
        if p.has(id) {
            v.push(flag.into());
        }
    }
    v.push("--".into());
    v.extend(p.args().iter().map(|s| s.to_string()));
    ctx.verb(&v)
}
