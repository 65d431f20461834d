//! `ipvsadm`, read-only: `-L`/`-l` with `-n`, `--stats`, `--exact` and one service (`-t`, `-u`,
//! `-f`), read by the same code as our `ipvs` verb (`netshoot_inspect::ipvs::table`) and printed
//! in its ipvsadm layout. Every command that would change the table is refused.

use std::net::SocketAddr;

use netshoot_inspect::ipvs::IpvsError;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ipvsadm"],
    about: "list IPVS virtual services, read-only (netshoot ipvs)",
    run,
};

const READ_ONLY: &str = "netshoot is read-only: change the table with the host's ipvsadm";

const OPTS: &[Opt] = &[
    Opt::flag("L", Some('L'), &["list"], "list the table (the default)"),
    Opt::flag("l", Some('l'), &[], "as -L"),
    Opt::flag(
        "n",
        Some('n'),
        &["numeric"],
        "numeric addresses and ports (always so)",
    ),
    Opt::flag("stats", None, &["stats"], "connections, packets and bytes"),
    Opt::flag("exact", None, &["exact"], "exact numbers (always so)"),
    Opt::value(
        "t",
        Some('t'),
        &["tcp-service"],
        "ADDR:PORT",
        "only this TCP service",
    ),
    Opt::value(
        "u",
        Some('u'),
        &["udp-service"],
        "ADDR:PORT",
        "only this UDP service",
    ),
    Opt::value(
        "f",
        Some('f'),
        &["fwmark-service"],
        "MARK",
        "only this firewall-mark service",
    ),
    Opt::unsupported(
        "rate",
        None,
        &["rate"],
        Takes::No,
        "rates are not kept: compare two --stats readings",
    ),
    Opt::unsupported(
        "c",
        Some('c'),
        &["connection"],
        Takes::No,
        "IPVS connections are not listed: netshoot conntrack shows the flows",
    ),
    Opt::unsupported(
        "timeout",
        None,
        &["timeout"],
        Takes::No,
        "the IPVS timeouts are not read",
    ),
    Opt::unsupported(
        "daemon",
        None,
        &["daemon"],
        Takes::No,
        "the sync daemon's state is not read",
    ),
    Opt::unsupported(
        "sort",
        None,
        &["sort"],
        Takes::No,
        "services are listed in the kernel's order",
    ),
    Opt::unsupported(
        "thresholds",
        None,
        &["thresholds"],
        Takes::No,
        "use --stats",
    ),
    Opt::unsupported(
        "persistent-conn",
        None,
        &["persistent-conn"],
        Takes::No,
        "use --stats",
    ),
    Opt::unsupported("A", Some('A'), &["add-service"], Takes::No, READ_ONLY),
    Opt::unsupported("E", Some('E'), &["edit-service"], Takes::No, READ_ONLY),
    Opt::unsupported("D", Some('D'), &["delete-service"], Takes::No, READ_ONLY),
    Opt::unsupported("C", Some('C'), &["clear"], Takes::No, READ_ONLY),
    Opt::unsupported("R", Some('R'), &["restore"], Takes::No, READ_ONLY),
    Opt::unsupported(
        "S",
        Some('S'),
        &["save"],
        Takes::No,
        "the table is listed with -Ln, not saved",
    ),
    Opt::unsupported("a", Some('a'), &["add-server"], Takes::No, READ_ONLY),
    Opt::unsupported("e", Some('e'), &["edit-server"], Takes::No, READ_ONLY),
    Opt::unsupported("d", Some('d'), &["delete-server"], Takes::No, READ_ONLY),
    Opt::unsupported("Z", Some('Z'), &["zero"], Takes::No, READ_ONLY),
    Opt::unsupported("set", None, &["set"], Takes::No, READ_ONLY),
    Opt::unsupported(
        "start-daemon",
        None,
        &["start-daemon"],
        Takes::Value,
        READ_ONLY,
    ),
    Opt::unsupported(
        "stop-daemon",
        None,
        &["stop-daemon"],
        Takes::Value,
        READ_ONLY,
    ),
];

const SPEC: Spec = Spec {
    tool: "ipvsadm",
    opts: OPTS,
    permute: true,
    usage: "-L|-l [-n] [--stats] [--exact] [-t|-u ADDR:PORT | -f MARK]",
    notes: "Read-only: -A, -E, -D, -C, -R, -a, -e, -d, -Z are refused (use the host's \
ipvsadm). Addresses and ports are always numeric (as -n).",
    single_dash_long: false,
};

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        return Err(usage(name, format!("unexpected '{a}'")));
    }
    let service: Option<(&str, SocketAddr)> = match (p.value("t"), p.value("u")) {
        (Some(_), Some(_)) => return Err(usage(name, "give one of -t and -u")),
        (Some(v), None) | (None, Some(v)) => {
            let proto = if p.value("t").is_some() { "TCP" } else { "UDP" };
            let sa: SocketAddr = v.parse().map_err(|_| {
                usage(
                    name,
                    format!("bad service '{v}': give ADDR:PORT, e.g. 10.0.0.1:80 or [fd00::1]:80"),
                )
            })?;
            Some((proto, sa))
        }
        (None, None) => None,
    };
    let fwmark: Option<u32> = match p.value("f") {
        Some(v) => Some(
            v.parse()
                .map_err(|_| usage(name, format!("bad firewall mark '{v}'")))?,
        ),
        None => None,
    };
    let _target = ctx.enter()?;
    let mut t = match netshoot_inspect::ipvs::table() {
        Ok(t) => t,
        Err(IpvsError::NoIpvs) => {
            // As ipvsadm says it (exit 2).
            eprintln!("Can't initialize ipvs: Protocol not available");
            eprintln!("Are you sure that IP Virtual Server is built in the kernel or as module?");
            return Ok(2);
        }
        Err(e) => anyhow::bail!("{e}"),
    };
    if let Some((proto, sa)) = service {
        t.services
            .retain(|s| s.protocol == proto && s.addr == Some(sa.ip()) && s.port == sa.port());
        if t.services.is_empty() {
            anyhow::bail!("no such service: {proto} {sa} (list them all with ipvsadm -Ln)");
        }
    }
    if let Some(m) = fwmark {
        t.services.retain(|s| s.fwmark == Some(m));
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&t)?);
        return Ok(0);
    }
    print!("{}", crate::cmd::ipvs::text(&t, p.has("stats")));
    Ok(0)
}
