//! The classic front door: netshoot answers to the classic tools' names (busybox-style, through
//! argv[0] or as `netshoot NAME ARGS…`) and parses each tool's own command line, then runs
//! netshoot's own engine for it — the same library functions our verbs call, never a second
//! implementation. Each tool lives in its own module with its option table (`getopt::Spec`),
//! which also writes its `--help` and refuses classic flags we do not implement with a hint.

pub mod getopt;

mod ctop;
mod iftop;
mod nsenter;
mod tcpdump;
// probes room
mod curl;
mod fping;
mod mtr;
mod nc;
mod nmap;
mod ping;
mod services;
mod tcptraceroute;
mod traceroute;
// perf room
mod iperf;
mod iperf3;
mod netgen;
// dnsfw room
mod conntrack;
mod dig;
mod dnsfmt;
mod drill;
mod host;
mod iptables;
mod iptables_save;
mod ipvsadm;
mod nft;
mod nslookup;
// inspect room
mod brctl;
mod bridge;
mod ip;
// nettools room
mod arp;
mod ifconfig;
mod netstat;
mod route;
mod ss;
// kubernetes room
mod calicoctl;
// (one `mod TOOL;` line per tool module, grouped by room; keep each room's lines together)

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::render::Output;

/// What a classic tool runs with: the netshoot options given before its name.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// `netshoot -t SPEC NAME …`: the target to enter first.
    pub target: Option<String>,
    /// `netshoot -t pod:… -c CONTAINER NAME …`: one container of a pod target.
    pub container: Option<String>,
    /// `netshoot --json NAME …`.
    pub json: bool,
    /// `netshoot -v NAME …`.
    pub verbose: u8,
}

impl Ctx {
    /// The renderer settings for a tool that prints through `render::Output`.
    pub fn output(&self) -> Output {
        Output {
            json: self.json,
            verbose: self.verbose,
        }
    }

    /// Runs one of our own verbs with `args` (our syntax, after the verb's name), keeping the
    /// target and `--json`: the classic name and the verb share one engine.
    pub fn verb<S: AsRef<str>>(&self, args: &[S]) -> anyhow::Result<i32> {
        let mut argv: Vec<String> = vec!["netshoot".into()];
        if let Some(t) = &self.target {
            argv.push("-t".into());
            argv.push(t.clone());
        }
        if let Some(c) = &self.container {
            argv.push("-c".into());
            argv.push(c.clone());
        }
        if self.json {
            argv.push("--json".into());
        }
        for _ in 0..self.verbose {
            argv.push("-v".into());
        }
        argv.extend(args.iter().map(|a| a.as_ref().to_string()));
        let cli = crate::cli::parse(&argv).map_err(|e| {
            // A value our verb refuses (`-c abc`): clap's first line, without its usage block.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .to_string();
            anyhow::Error::new(getopt::Usage(
                first.trim_start_matches("error: ").to_string(),
            ))
        })?;
        crate::run(cli)
    }

    /// Enters the target (if any) for a tool that calls a library function itself. Must run
    /// before the tool starts any thread.
    pub fn enter(&self) -> anyhow::Result<netshoot_ns::Target> {
        crate::cmd::target::enter(
            self.target.as_deref(),
            self.container.as_deref(),
            &self.output(),
        )
    }
}

/// A classic tool: its names and its entry point.
pub struct Tool {
    /// The names it answers to (the first is the main one).
    pub names: &'static [&'static str],
    /// One line for `netshoot --help` and the names list.
    pub about: &'static str,
    /// Parses the classic command line (without the program name) and runs it.
    pub run: fn(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32>,
}

/// Every classic tool, grouped by room (keep each room's lines together).
pub static TOOLS: &[&Tool] = &[
    // capture room
    &tcpdump::TOOL,
    &iftop::TOOL,
    // namespaces
    &nsenter::TOOL,
    // docker room
    &ctop::TOOL,
    // probes room
    &ping::TOOL,
    &fping::TOOL,
    &traceroute::TOOL,
    &tcptraceroute::TOOL,
    &mtr::TOOL,
    &nc::TOOL,
    &nmap::TOOL,
    &curl::TOOL,
    // perf room
    &iperf::TOOL,
    &iperf3::TOOL,
    &netgen::TOOL,
    // dnsfw room
    &iptables::TOOL,
    &iptables_save::TOOL,
    &nft::TOOL,
    &dig::TOOL,
    &drill::TOOL,
    &nslookup::TOOL,
    &host::TOOL,
    &conntrack::TOOL,
    &ipvsadm::TOOL,
    // inspect room
    &ip::TOOL,
    &bridge::TOOL,
    &brctl::TOOL,
    // nettools room
    &netstat::TOOL,
    &ss::TOOL,
    &ifconfig::TOOL,
    &route::TOOL,
    &arp::TOOL,
    // kubernetes room
    &calicoctl::TOOL,
    // (further rooms add their tools here)
];

/// Now as C's `ctime` prints it in UTC (`Tue Dec  1 22:31:40 2026`), for the date lines of
/// iptables-save and drill.
pub fn ctime_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, t) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::cmd::capture::civil_date(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {d:>2} {:02}:{:02}:{:02} {y}",
        WD[days.rem_euclid(7) as usize],
        MO[(m - 1) as usize],
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// The tool answering to `name`.
pub fn lookup(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().copied().find(|t| t.names.contains(&name))
}

/// Every name, in table order.
pub fn names() -> Vec<&'static str> {
    TOOLS.iter().flat_map(|t| t.names.iter().copied()).collect()
}

/// The names whose own `--json` flag asks for netshoot's JSON report (others either have no
/// such flag or give it the peer tool's meaning: curl's request body, iperf3's and mtr's JSON).
const NETSHOOT_JSON_FLAG: &[&str] = &[
    "arp",
    "conntrack",
    "ifconfig",
    "netgen",
    "netstat",
    "ping",
    "ss",
];

/// Whether a failed run of `name` reports its error as JSON too: `netshoot --json NAME …`, or
/// the tool's own `--json` (before a `--`) where that is netshoot's JSON.
fn json_errors(name: &str, args: &[String], ctx: &Ctx) -> bool {
    ctx.json
        || (NETSHOOT_JSON_FLAG.contains(&name)
            && args
                .iter()
                .take_while(|a| *a != "--")
                .any(|a| a == "--json"))
}

/// A tool's main function: `--help` from its spec, errors on one line with exit 2 for usage
/// (and as a JSON object on stdout too in JSON mode).
fn run_tool(tool: &Tool, name: &str, args: &[String], ctx: &Ctx) -> ExitCode {
    match (tool.run)(name, args, ctx) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            let usage = e.downcast_ref::<getopt::Usage>().is_some();
            let msg = format!("{e:#}").replace('\n', " ");
            // getopt's own errors already name the tool; a value our verb's parser refused and
            // every other error get the name in front.
            let line = if usage && msg.starts_with(&format!("{name}:")) {
                msg
            } else {
                format!("{name}: {msg}")
            };
            crate::render::error(
                json_errors(name, args, ctx),
                &line,
                crate::render::ErrorKind::of(&e),
            );
            let code = if usage {
                2
            } else {
                e.downcast_ref::<netshoot_ns::NsError>()
                    .map(|n| n.exit_code())
                    .unwrap_or(2)
            };
            ExitCode::from(code.clamp(0, 255) as u8)
        }
    }
}

/// The program name netshoot was started under (argv[0]'s file name).
fn program_name(argv0: &str) -> &str {
    Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(argv0)
}

/// Busybox-style dispatch, before clap sees anything. Returns `None` when the command line is
/// netshoot's own (`netshoot VERB …`).
pub fn dispatch(argv: &[String]) -> Option<ExitCode> {
    let prog = program_name(argv.first().map(String::as_str).unwrap_or("netshoot"));
    if prog != "netshoot" {
        // kubectl's plugin discovery runs a `kubectl-netshoot` on PATH: the kubectl plugin.
        if prog == crate::kubectl::NAME {
            return Some(crate::kubectl::main(argv));
        }
        if let Some(tool) = lookup(prog) {
            return Some(run_tool(tool, prog, &argv[1..], &Ctx::default()));
        }
        // Started under a name we do not know (a renamed binary): behave as netshoot.
    }
    // netshoot [-t SPEC] [-c CONTAINER] [--cri-socket PATH] [--json] [-v] NAME ARGS…
    let mut ctx = Ctx::default();
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        match a {
            "-t" | "--target" => {
                ctx.target = Some(argv.get(i + 1)?.clone());
                i += 2;
            }
            "-c" | "--container" => {
                ctx.container = Some(argv.get(i + 1)?.clone());
                i += 2;
            }
            "--cri-socket" => {
                netshoot_ns::cri::set_socket(argv.get(i + 1)?.into());
                i += 2;
            }
            "--json" => {
                ctx.json = true;
                i += 1;
            }
            "-v" | "--verbose" => {
                ctx.verbose += 1;
                i += 1;
            }
            _ if a.starts_with("--cri-socket=") => {
                netshoot_ns::cri::set_socket(a["--cri-socket=".len()..].into());
                i += 1;
            }
            _ if a.starts_with("--target=") => {
                ctx.target = Some(a["--target=".len()..].to_string());
                i += 1;
            }
            _ if a.starts_with("-t") && a.len() > 2 => {
                ctx.target = Some(a[2..].to_string());
                i += 1;
            }
            _ => break,
        }
    }
    // A classic name that is also one of our verbs (`ip`, `ss`, `ping`, `bridge`, `conntrack`,
    // `netgen`) goes to the classic parser, which accepts the verb's own options too.
    let word = argv.get(i)?;
    if word == crate::kubectl::NAME {
        return Some(crate::kubectl::main(&argv[i..]));
    }
    let tool = lookup(word)?;
    Some(run_tool(tool, word, &argv[i + 1..], &ctx))
}

/// One line naming every classic name, for errors about a name we do not provide.
pub fn names_line() -> String {
    names().join(", ")
}

/// `netshoot install-links DIR`: a symlink to this binary for every classic name, and one named
/// `kubectl-netshoot` (the kubectl plugin).
pub fn install_links(dir: &str, force: bool, hard: bool) -> anyhow::Result<i32> {
    let exe =
        std::env::current_exe().context("cannot find netshoot's own path (/proc/self/exe)")?;
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}: choose a writable directory",
            dir.display()
        )
    })?;
    let mut made = 0;
    for name in names().into_iter().chain([crate::kubectl::NAME]) {
        let link = dir.join(name);
        if link.symlink_metadata().is_ok() {
            if !force {
                eprintln!(
                    "netshoot: {} exists; left alone (give --force to replace it)",
                    link.display()
                );
                continue;
            }
            std::fs::remove_file(&link)
                .with_context(|| format!("cannot replace {}", link.display()))?;
        }
        let made_it = if hard {
            std::fs::hard_link(&exe, &link)
        } else {
            std::os::unix::fs::symlink(&exe, &link)
        };
        made_it.with_context(|| format!("cannot create {}", link.display()))?;
        match lookup(name) {
            Some(t) => println!("{:<16} {}", link.display(), t.about),
            None => println!("{:<16} {}", link.display(), crate::kubectl::ABOUT),
        }
        made += 1;
    }
    println!("{made} links to {} in {}", exe.display(), dir.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_no_tool_shadows_a_verb_by_accident() {
        let all = names();
        let mut seen = std::collections::HashSet::new();
        for n in &all {
            assert!(seen.insert(*n), "{n} listed twice");
        }
    }

    #[test]
    fn program_name_is_the_file_name() {
        assert_eq!(program_name("/usr/local/bin/tcpdump"), "tcpdump");
        assert_eq!(program_name("netshoot"), "netshoot");
    }
}
