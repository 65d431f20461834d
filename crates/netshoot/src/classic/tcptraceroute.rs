//! `tcptraceroute HOST [PORT]`: as Debian's tcptraceroute, `traceroute -T -O info -p PORT`
//! on our `trace` engine (the destination's answer shown as `<syn,ack>` or `<rst,ack>`).

use super::getopt::{usage, Opt, Spec, Takes};
use super::traceroute::num;
use super::{Ctx, Tool};
use crate::cmd::trace::TraceArgs;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["tcptraceroute"],
    about: "the routers on the way with TCP SYN probes (netshoot trace -T)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "n",
        Some('n'),
        &[],
        "numeric addresses (without it: ADDR (ADDR); names are not looked up)",
    ),
    Opt::value("m", Some('m'), &[], "HOPS", "maximum hops (default 30)"),
    Opt::value("f", Some('f'), &[], "TTL", "first TTL (default 1)"),
    Opt::value("q", Some('q'), &[], "N", "probes per hop (default 3)"),
    Opt::value(
        "w",
        Some('w'),
        &[],
        "SECONDS",
        "seconds to wait for each probe (default 1)",
    ),
    Opt::unsupported(
        "p",
        Some('p'),
        &[],
        Takes::Value,
        "the source port is chosen by netshoot; give the destination port after the host",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &[],
        Takes::Value,
        "the route decides the interface",
    ),
    Opt::unsupported(
        "s",
        Some('s'),
        &[],
        Takes::Value,
        "the route decides the source address",
    ),
    Opt::unsupported(
        "l",
        Some('l'),
        &[],
        Takes::Value,
        "the probe length is fixed",
    ),
    Opt::unsupported(
        "t",
        Some('t'),
        &[],
        Takes::Value,
        "the TOS byte is not settable",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &[],
        Takes::No,
        "hop addresses are not resolved",
    ),
    Opt::unsupported("S", Some('S'), &[], Takes::No, "only SYN probes are sent"),
    Opt::unsupported("A", Some('A'), &[], Takes::No, "only SYN probes are sent"),
    Opt::unsupported("E", Some('E'), &[], Takes::No, "ECN is not set"),
    Opt::unsupported(
        "F",
        Some('F'),
        &[],
        Takes::No,
        "probe the path MTU with ping -M do -s SIZE",
    ),
    Opt::unsupported("d", Some('d'), &[], Takes::No, "leave -d out"),
];

/// tcptraceroute's grammar.
pub const SPEC: Spec = Spec {
    tool: "tcptraceroute",
    opts: OPTS,
    permute: true,
    usage: "[-n] [-f FIRST_TTL] [-m MAX_TTL] [-q NQUERIES] [-w WAIT] HOST [PORT]",
    notes: "\
As Debian's tcptraceroute (a wrapper around traceroute -T -O info): traceroute's lines, the
destination's TCP answer shown as <syn,ack> (open) or <rst,ack> (closed). The port defaults to 80.",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let (host, port) = match p.args().as_slice() {
        [h] => (h.to_string(), 80),
        [h, port] => (
            h.to_string(),
            crate::args::port(port).map_err(|e| usage("tcptraceroute", e))?,
        ),
        [] => return Err(usage("tcptraceroute", "give a host (and a port)")),
        _ => return Err(usage("tcptraceroute", "give a host and at most a port")),
    };
    let a = TraceArgs {
        host,
        icmp: false,
        tcp: true,
        port: Some(port),
        first: num("tcptraceroute", &p, "f")?.unwrap_or(1),
        max_hops: num("tcptraceroute", &p, "m")?.unwrap_or(30),
        queries: num("tcptraceroute", &p, "q")?.unwrap_or(3),
        wait: num("tcptraceroute", &p, "w")?.unwrap_or(1.0),
        numeric: p.has("n"),
        report: false,
        cycles: 10,
        sendwait: None,
        classic: true,
        tcp_info: true,
    };
    super::traceroute::trace(&a, ctx)
}
