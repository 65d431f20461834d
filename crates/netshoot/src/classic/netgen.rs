//! `netgen`: the classic netshoot image's traffic generator (`netgen HOST PORT`: listen on
//! PORT and send the host name to HOST:PORT every 10 seconds, retrying until HOST is there),
//! plus the `netgen` verb's own options (`--listen PORT` alone, `-i`, `-c`) and `--send-only`.
//! One engine: `netshoot_probe::netgen`, run through `cmd::nc::netgen_run`.

use std::time::Duration;

use netshoot_probe::netgen::Options;

use super::getopt::{usage, Opt, Spec};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["netgen"],
    about: "traffic generator: listen on PORT and send to HOST:PORT every interval",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "i",
        Some('i'),
        &["interval"],
        "SECONDS",
        "seconds between messages (default 10)",
    ),
    Opt::value(
        "c",
        Some('c'),
        &["count"],
        "COUNT",
        "stop after COUNT messages sent (with --listen alone: COUNT connections received)",
    ),
    Opt::value(
        "l",
        Some('l'),
        &["listen"],
        "PORT",
        "only listen on PORT (no HOST PORT); the listener keeps 4096 bytes a message, read within 2 s, 64 connections at once",
    ),
    Opt::flag(
        "send-only",
        None,
        &["send-only"],
        "only send to HOST:PORT; do not listen",
    ),
    Opt::flag(
        "json",
        None,
        &["json"],
        "one JSON object at the end (the counts), as netshoot --json netgen",
    ),
];

/// netgen's grammar.
pub const SPEC: Spec = Spec {
    tool: "netgen",
    opts: OPTS,
    permute: true,
    usage:
        "HOST PORT [-i SECONDS] [-c COUNT] [--send-only]\n       netgen --listen PORT [-c COUNT]",
    notes: "\
As the classic netshoot image's netgen.sh: prints 'Listener started on port P', 'Sending traffic
to HOST on port P every N seconds', 'Sent N messages to HOST:P'; each message is the host name.
Unlike the script it also prints what the listener receives ('Received from ADDR: TEXT'), and
says on stderr why a send failed before it retries. See docs/CLASSIC.md.",
    single_dash_long: false,
};

fn port(v: &str) -> anyhow::Result<u16> {
    crate::args::port(v).map_err(|e| usage("netgen", e))
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let interval = match p.value("i") {
        // Checked (1e20 and inf are refused, not a panic in Duration::from_secs_f64).
        Some(v) => crate::args::seconds_text(v, "-i", false)
            .map_err(|_| usage("netgen", format!("-i '{v}': a number of seconds >= 0")))?,
        None => Duration::from_secs(10),
    };
    let count = match p.value("c") {
        Some(v) => Some(
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| usage("netgen", format!("-c '{v}': a count > 0")))?,
        ),
        None => None,
    };
    let ops = p.args();
    let o = match (p.value("l"), ops.as_slice()) {
        (Some(l), []) => {
            if p.has("send-only") {
                return Err(usage(
                    "netgen",
                    "--listen and --send-only: give one of them",
                ));
            }
            Options {
                listen: Some(port(l)?),
                send: None,
                interval,
                count,
                message: Vec::new(),
            }
        }
        (Some(_), _) => {
            return Err(usage(
                "netgen",
                "--listen PORT takes no HOST PORT; run netgen HOST PORT to send and listen",
            ))
        }
        (None, [host, pt]) => {
            let pt = port(pt)?;
            Options {
                listen: (!p.has("send-only")).then_some(pt),
                send: Some((host.to_string(), pt)),
                interval,
                count,
                message: crate::cmd::nc::netgen_message(),
            }
        }
        (None, extra) if extra.len() > 2 => {
            return Err(usage(
                "netgen",
                format!("unexpected argument '{}'", extra[2]),
            ))
        }
        (None, _) => return Err(usage("netgen", "give HOST PORT, or --listen PORT")),
    };
    let target = ctx.enter()?;
    let mut out = ctx.output();
    out.json |= p.has("json");
    crate::cmd::nc::netgen_run(&o, &target, &out)
}
