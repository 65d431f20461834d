//! `traceroute`: the Linux traceroute 2.1's command line onto our `trace` engine (UDP by
//! default, `-I` ICMP, `-T` TCP SYN), with its lines (`ADDR (ADDR)` unless `-n`).

use super::getopt::{usage, Opt, Parsed, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::trace::TraceArgs;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["traceroute"],
    about: "the routers on the way, like traceroute (netshoot trace)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "n",
        Some('n'),
        &[],
        "numeric addresses (without it: ADDR (ADDR); names are not looked up)",
    ),
    Opt::flag("I", Some('I'), &["icmp"], "ICMP echo probes"),
    Opt::flag(
        "T",
        Some('T'),
        &["tcp"],
        "TCP SYN probes (port 80 unless -p)",
    ),
    Opt::flag(
        "U",
        Some('U'),
        &["udp"],
        "UDP probes (the default; port 53 with -U, as traceroute)",
    ),
    Opt::value(
        "M",
        Some('M'),
        &["module"],
        "udp|icmp|tcp",
        "the probe method by name",
    ),
    Opt::value(
        "p",
        Some('p'),
        &["port"],
        "PORT",
        "UDP: the first port (default 33434); TCP: the port (default 80)",
    ),
    Opt::value(
        "m",
        Some('m'),
        &["max-hops"],
        "HOPS",
        "maximum hops (default 30)",
    ),
    Opt::value("f", Some('f'), &["first"], "TTL", "first TTL (default 1)"),
    Opt::value(
        "q",
        Some('q'),
        &["queries"],
        "N",
        "probes per hop (default 3)",
    ),
    Opt::value(
        "w",
        Some('w'),
        &["wait"],
        "SECONDS",
        "seconds to wait for each probe (default 1; see notes)",
    ),
    Opt::value(
        "z",
        Some('z'),
        &["sendwait"],
        "SECONDS",
        "pause between probes (above 10: milliseconds)",
    ),
    Opt::value(
        "O",
        Some('O'),
        &["options"],
        "info",
        "TCP: -O info shows the destination's flags (<syn,ack>)",
    ),
    Opt::flag("4", Some('4'), &[], "IPv4 (the only family traced)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "6",
        Some('6'),
        &[],
        Takes::No,
        "IPv6 tracing is not offered; trace an IPv4 address",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["sim-queries"],
        Takes::Value,
        "probes are sent one at a time; use -w to bound the wait",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &["interface"],
        Takes::Value,
        "the route decides the interface; trace from the right target (-t)",
    ),
    Opt::unsupported(
        "s",
        Some('s'),
        &["source"],
        Takes::Value,
        "the route decides the source address",
    ),
    Opt::unsupported(
        "g",
        Some('g'),
        &["gateway"],
        Takes::Value,
        "source routing is not offered",
    ),
    Opt::unsupported(
        "t",
        Some('t'),
        &["tos"],
        Takes::Value,
        "the TOS byte is not settable",
    ),
    Opt::unsupported(
        "l",
        Some('l'),
        &["flowlabel"],
        Takes::Value,
        "IPv6 flow labels are not settable",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["dont-fragment"],
        Takes::No,
        "probe the path MTU with ping -M do -s SIZE",
    ),
    Opt::unsupported(
        "A",
        Some('A'),
        &["as-path-lookups"],
        Takes::No,
        "AS paths are not looked up",
    ),
    Opt::unsupported(
        "r",
        Some('r'),
        &[],
        Takes::No,
        "bypassing the routing table is not offered",
    ),
    Opt::unsupported("d", Some('d'), &["debug"], Takes::No, "leave -d out"),
    Opt::unsupported(
        "e",
        Some('e'),
        &["extensions"],
        Takes::No,
        "ICMP extensions (MPLS) are not shown",
    ),
    Opt::unsupported(
        "P",
        Some('P'),
        &["protocol"],
        Takes::Value,
        "use -I, -T or UDP (the default)",
    ),
    Opt::unsupported("D", Some('D'), &["dccp"], Takes::No, "use -T (TCP) or UDP"),
    Opt::unsupported(
        "sport",
        None,
        &["sport"],
        Takes::Value,
        "the source port is chosen by netshoot",
    ),
    Opt::unsupported(
        "fwmark",
        None,
        &["fwmark"],
        Takes::Value,
        "probes are not marked",
    ),
    Opt::unsupported(
        "mtu",
        None,
        &["mtu"],
        Takes::No,
        "probe the path MTU with ping -M do -s SIZE",
    ),
    Opt::unsupported(
        "back",
        None,
        &["back"],
        Takes::No,
        "backward hop counts are not shown",
    ),
];

/// traceroute's grammar (options may follow the host).
pub const SPEC: Spec = Spec {
    tool: "traceroute",
    opts: OPTS,
    permute: true,
    usage: "[-4IinTUV] [-f FIRST_TTL] [-m MAX_TTL] [-M METHOD] [-O info] [-p PORT] [-q NQUERIES] [-w WAIT] [-z SENDWAIT] HOST",
    notes: "\
Probes are sent one after another (traceroute sends up to 16 at once), so the wait per probe
defaults to 1 s instead of 5 s. Hop addresses are never resolved to names: without -n a hop
reads `10.0.0.1 (10.0.0.1)`. The same engine as `netshoot trace` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

/// Parses a number option of traceroute.
pub(super) fn num<T: std::str::FromStr>(
    tool: &str,
    p: &Parsed,
    id: &str,
) -> anyhow::Result<Option<T>> {
    p.value(id)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| usage(tool, format!("-{id} '{v}': not a valid number")))
        })
        .transpose()
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if p.has("V") {
        println!("traceroute (netshoot {})", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    let host = match p.args().as_slice() {
        [h] => h.to_string(),
        [_, len] => {
            return Err(usage(
                "traceroute",
                format!("a packet length ({len}) is not supported; leave it out"),
            ))
        }
        [] => return Err(usage("traceroute", "Specify \"host\" missing argument.")),
        _ => return Err(usage("traceroute", "give one host")),
    };
    let mut icmp = p.has("I");
    let mut tcp = p.has("T");
    if let Some(m) = p.value("M") {
        match m {
            "icmp" => icmp = true,
            "tcp" | "tcpconn" => tcp = true,
            "udp" | "default" => {}
            _ => return Err(usage("traceroute", format!("-M {m}: use icmp, tcp or udp"))),
        }
    }
    if icmp && tcp {
        return Err(usage("traceroute", "give one of -I and -T"));
    }
    let tcp_info = match p.value("O") {
        None => false,
        Some("info") if tcp => true,
        Some(o) => {
            return Err(usage(
                "traceroute",
                format!("-O {o}: only -O info with -T is supported"),
            ))
        }
    };
    // traceroute -U without -p probes port 53.
    let port: Option<u16> = num("traceroute", &p, "p")?.or(p.has("U").then_some(53));
    let wait: f64 = match p.value("w") {
        Some(w) if w.contains(',') || w.contains('/') => {
            return Err(usage(
                "traceroute",
                format!("-w {w}: give one number of seconds (HERE,NEAR are not supported)"),
            ))
        }
        _ => num("traceroute", &p, "w")?.unwrap_or(1.0),
    };
    // traceroute -z: above 10 it is milliseconds.
    let sendwait =
        num::<f64>("traceroute", &p, "z")?.map(|z| if z > 10.0 { z / 1000.0 } else { z });
    let a = TraceArgs {
        host,
        icmp,
        tcp,
        port,
        first: num("traceroute", &p, "f")?.unwrap_or(1),
        max_hops: num("traceroute", &p, "m")?.unwrap_or(30),
        queries: num("traceroute", &p, "q")?.unwrap_or(3),
        wait,
        numeric: p.has("n"),
        report: false,
        cycles: 10,
        sendwait,
        classic: true,
        tcp_info,
    };
    trace(&a, ctx)
}

/// Runs the trace engine for a classic name.
pub(super) fn trace(a: &TraceArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let target = ctx.enter()?;
    crate::cmd::trace::run(a, &target, &ctx.output())
}
