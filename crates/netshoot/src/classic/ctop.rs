//! `ctop`: ctop's command line (Go flags, one dash) onto `stats` (the same engine: one Docker
//! list call, the cgroups and `/proc/PID/net/dev`): the screen on a terminal, else the table.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ctop"],
    about: "per container CPU, memory, network, block IO (netshoot stats)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("a", Some('a'), &[], "show running containers only"),
    Opt::value(
        "f",
        Some('f'),
        &[],
        "TEXT",
        "only containers whose name or image holds TEXT",
    ),
    Opt::value(
        "s",
        Some('s'),
        &[],
        "FIELD",
        "sort by cpu, mem, net, io, pids, name or state (default cpu)",
    ),
    Opt::flag("r", Some('r'), &[], "reverse the order"),
    Opt::flag(
        "i",
        Some('i'),
        &[],
        "invert colours (the screen has none to invert)",
    ),
    Opt::unsupported(
        "scale-cpu",
        None,
        &["scale-cpu"],
        Takes::No,
        "CPU % is per CPU (two busy cores are 200 %), as docker stats shows it",
    ),
    Opt::unsupported(
        "connector",
        None,
        &["connector"],
        Takes::Value,
        "netshoot reads the Docker engine (DOCKER_HOST=unix://…) and the host's cgroups",
    ),
    Opt::unsupported("v", Some('v'), &[], Takes::No, "see netshoot --version"),
];

/// ctop's grammar.
pub const SPEC: Spec = Spec {
    tool: "ctop",
    opts: OPTS,
    permute: false,
    usage: "[-a] [-r] [-f TEXT] [-s FIELD]",
    notes: "\
The screen of `netshoot stats` (q quits, Enter opens a container with its interfaces and
sockets); when stdout is not a terminal, one table after a second. Figures are counted as
docker stats counts them (see docs/CLASSIC.md).",
    single_dash_long: true,
};

/// ctop's sort field names → ours.
fn sort_field(f: &str) -> Option<&'static str> {
    Some(match f {
        "cpu" | "cpus" => "cpu",
        "mem" | "mem %" | "memory" => "mem",
        "net" => "net",
        "io" => "io",
        "pids" => "pids",
        "name" => "name",
        "state" => "state",
        _ => return None,
    })
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        return Err(usage("ctop", format!("unexpected argument '{a}'")));
    }
    let mut v: Vec<String> = vec!["stats".into()];
    if p.has("a") {
        v.push("--running".into());
    }
    if let Some(f) = p.value("f") {
        v.extend(["--filter".into(), f.to_string()]);
    }
    if let Some(s) = p.value("s") {
        let key = sort_field(s).ok_or_else(|| {
            usage(
                "ctop",
                format!("invalid -s '{s}': give cpu, mem, net, io, pids, name or state"),
            )
        })?;
        v.extend(["--sort".into(), key.to_string()]);
    }
    if p.has("r") {
        v.push("--reverse".into());
    }
    ctx.verb(&v)
}
