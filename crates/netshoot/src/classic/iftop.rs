//! `iftop`: iftop 1.0's command line onto `top` (the same engine: the AF_PACKET ring, our BPF,
//! per-pair 2/10/40 s rates): the interactive screen, or `-t` text mode (`-s N`: one block after
//! N seconds, then exit).

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["iftop"],
    about: "bandwidth per host pair (netshoot top)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "i",
        Some('i'),
        &[],
        "IFACE",
        "interface (default: the first up, non-loopback one)",
    ),
    Opt::value(
        "f",
        Some('f'),
        &[],
        "FILTER",
        "pcap-filter expression for the packets counted",
    ),
    Opt::value(
        "F",
        Some('F'),
        &[],
        "NET/MASK",
        "count only traffic to or from this IPv4 network",
    ),
    Opt::flag(
        "t",
        Some('t'),
        &[],
        "text mode: print blocks to stdout instead of the screen",
    ),
    Opt::value(
        "s",
        Some('s'),
        &[],
        "SECONDS",
        "text mode: print one block after SECONDS, then exit",
    ),
    Opt::value(
        "L",
        Some('L'),
        &[],
        "LINES",
        "text mode: at most LINES host pairs",
    ),
    Opt::value(
        "o",
        Some('o'),
        &[],
        "2s",
        "sort by the 2 s average (the default; 10s/40s refused)",
    ),
    Opt::flag("B", Some('B'), &[], "rates in bytes per second"),
    Opt::flag("n", Some('n'), &[], "no host name lookups (never done)"),
    Opt::flag(
        "N",
        Some('N'),
        &[],
        "no port-to-service resolution (never done)",
    ),
    Opt::flag("p", Some('p'), &[], "promiscuous mode (always on)"),
    Opt::flag("b", Some('b'), &[], "no bar graphs (text mode has none)"),
    Opt::flag(
        "l",
        Some('l'),
        &[],
        "show IPv6 link-local traffic (always shown)",
    ),
    Opt::unsupported(
        "P",
        Some('P'),
        &[],
        Takes::No,
        "pairs are per host; see ports with `ss -tnp` or `tcpdump`",
    ),
    Opt::unsupported(
        "G",
        Some('G'),
        &[],
        Takes::Value,
        "use -f 'net PREFIX' for an IPv6 network",
    ),
    Opt::unsupported(
        "c",
        Some('c'),
        &[],
        Takes::Value,
        "give the options on the command line",
    ),
    Opt::unsupported("m", Some('m'), &[], Takes::Value, "the scale is automatic"),
    Opt::unsupported("u", Some('u'), &[], Takes::Value, "use -B for bytes"),
];

/// iftop's grammar.
pub const SPEC: Spec = Spec {
    tool: "iftop",
    opts: OPTS,
    permute: true,
    usage: "[-nNpblBt] [-i IFACE] [-f FILTER] [-F NET/MASK] [-s SECONDS] [-L LINES]",
    notes: "\
Rates are IP lengths in bits per second (bytes with -B), averaged over 2, 10 and 40 seconds,
as iftop counts them. Without -t: the interactive screen (q quits). The same engine as
`netshoot top` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if let Some(o) = p.value("o") {
        if o != "2s" {
            return Err(usage(
                "iftop",
                format!("-o {o} is not supported; pairs are sorted by the 2 s average"),
            ));
        }
    }
    if let Some(a) = p.args().first() {
        return Err(usage(
            "iftop",
            format!("unexpected argument '{a}'; give a filter with -f"),
        ));
    }
    let mut v: Vec<String> = vec!["top".into()];
    if let Some(i) = p.value("i") {
        v.extend(["-i".into(), i.to_string()]);
    }
    if p.has("t") {
        v.push("--iftop-text".into());
        if p.has("B") {
            v.push("--iftop-bytes".into());
        }
        match p.value("s") {
            Some(s) => {
                let n: u64 = s.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    usage("iftop", format!("invalid -s '{s}': give whole seconds > 0"))
                })?;
                v.extend([
                    "--interval".into(),
                    n.to_string(),
                    "--count".into(),
                    "1".into(),
                ]);
            }
            None => v.extend(["--interval".into(), "2".into()]),
        }
    } else if p.has("s") {
        return Err(usage("iftop", "-s needs -t (text mode)"));
    }
    let lines = p.value("L").unwrap_or("10");
    let n: usize = lines.parse().map_err(|_| {
        usage(
            "iftop",
            format!("invalid -L '{lines}': give a number of lines"),
        )
    })?;
    v.extend(["--lines".into(), n.to_string()]);
    let mut filter: Vec<String> = Vec::new();
    if let Some(f) = p.value("f") {
        filter.push(format!("({f})"));
    }
    if let Some(net) = p.value("F") {
        filter.push(format!("net {net}"));
    }
    if !filter.is_empty() {
        v.push(filter.join(" and "));
    }
    ctx.verb(&v)
}
