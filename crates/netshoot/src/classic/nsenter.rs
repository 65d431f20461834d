//! `nsenter`: util-linux's command line for the network namespace, onto `exec` (the same
//! resolution and `setns` as `netshoot -t SPEC exec`): `nsenter --net=PATH [PROGRAM…]`,
//! `nsenter -t PID -n [PROGRAM…]`. netshoot enters network namespaces only.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["nsenter"],
    about: "run a program in another network namespace (netshoot exec)",
    run,
};

const OTHER_NS: &str =
    "netshoot enters network namespaces only; use the host's nsenter for the others";

const OPTS: &[Opt] = &[
    Opt::value(
        "t",
        Some('t'),
        &["target"],
        "PID",
        "the process whose namespaces to enter",
    ),
    Opt {
        id: "n",
        short: Some('n'),
        long: &["net"],
        takes: Takes::Optional,
        help: "the network namespace: -t PID's, or FILE (--net=FILE, -nFILE)",
        unsupported: None,
        value_name: "",
    },
    Opt::flag(
        "F",
        Some('F'),
        &["no-fork"],
        "do not fork before running the program (never forks)",
    ),
    Opt::unsupported("m", Some('m'), &["mount"], Takes::Optional, OTHER_NS),
    Opt::unsupported("u", Some('u'), &["uts"], Takes::Optional, OTHER_NS),
    Opt::unsupported("i", Some('i'), &["ipc"], Takes::Optional, OTHER_NS),
    Opt::unsupported("p", Some('p'), &["pid"], Takes::Optional, OTHER_NS),
    Opt::unsupported("C", Some('C'), &["cgroup"], Takes::Optional, OTHER_NS),
    Opt::unsupported("U", Some('U'), &["user"], Takes::Optional, OTHER_NS),
    Opt::unsupported("T", Some('T'), &["time"], Takes::Optional, OTHER_NS),
    Opt::unsupported(
        "a",
        Some('a'),
        &["all"],
        Takes::No,
        "give -n (with -t PID) for the network namespace",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["setuid"],
        Takes::Value,
        "run netshoot as that user instead",
    ),
    Opt::unsupported(
        "G",
        Some('G'),
        &["setgid"],
        Takes::Value,
        "run netshoot as that group instead",
    ),
    Opt::unsupported(
        "r",
        Some('r'),
        &["root"],
        Takes::Optional,
        "netshoot keeps its own root directory",
    ),
    Opt::unsupported(
        "w",
        Some('w'),
        &["wd"],
        Takes::Optional,
        "cd in the program instead (sh -c 'cd DIR && …')",
    ),
    Opt::unsupported(
        "preserve",
        None,
        &["preserve-credentials"],
        Takes::No,
        "credentials are never changed",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["follow-context"],
        Takes::No,
        "SELinux contexts are not changed",
    ),
];

/// nsenter's grammar: options end at the program.
pub const SPEC: Spec = Spec {
    tool: "nsenter",
    opts: OPTS,
    permute: false,
    usage: "[-t PID] -n[FILE] | --net[=FILE] [PROGRAM [ARGS…]]",
    notes: "\
Without a program, a shell ($SHELL or /bin/sh). The exit status is the program's. The mount
namespace stays (the tools of the system netshoot runs on stay usable). The same engine as
`netshoot -t SPEC exec` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let p = SPEC.parse(args)?;
    if p.has("help") && p.args().is_empty() {
        print!("{}", SPEC.help());
        return Ok(0);
    }
    if !p.has("n") {
        return Err(usage(
            "nsenter",
            "give -n (with -t PID) or --net=FILE: netshoot enters the network namespace",
        ));
    }
    let spec = match (p.value("n"), p.value("t")) {
        (Some(file), _) => file.to_string(),
        (None, Some(pid)) => {
            let n: u32 = pid
                .parse()
                .map_err(|_| usage("nsenter", format!("invalid -t '{pid}': give a process id")))?;
            format!("pid:{n}")
        }
        (None, None) => return Err(usage("nsenter", "-n without a FILE needs -t PID")),
    };
    let mut ctx = ctx.clone();
    ctx.target = Some(spec);
    let mut v: Vec<String> = vec!["exec".into(), "--".into()];
    v.extend(p.args().iter().map(|s| s.to_string()));
    ctx.verb(&v)
}
