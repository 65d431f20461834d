//! `netshoot`: the binary. Parses arguments, resolves and enters the target on the main thread
//! (before any other thread or runtime exists), dispatches to a command and renders its report.

mod args;
mod classic;
mod cli;
mod cmd;
mod interrupt;
mod kubectl;
mod privs;
mod progress;
mod render;
mod screen;

use std::process::ExitCode;

use cli::{Cli, Command, HostCommand as H, ToolCommand as T};

fn main() -> ExitCode {
    // The classic names first: `tcpdump …` through a link, or `netshoot [-t SPEC] tcpdump …`.
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The image's entrypoint (`netshoot entrypoint [CMD…]`): a shell, netshoot, or a program.
    if argv.get(1).map(String::as_str) == Some(cmd::entrypoint::WORD) {
        return cmd::entrypoint::run(&argv[2..]);
    }
    main_with(argv)
}

/// netshoot with this command line (argv[0] first).
fn main_with(argv: Vec<String>) -> ExitCode {
    if let Some(code) = classic::dispatch(&argv) {
        return code;
    }
    let cli = match cli::parse(&argv) {
        Ok(c) => c,
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidSubcommand => {
            let word = e
                .get(clap::error::ContextKind::InvalidSubcommand)
                .map(|v| v.to_string())
                .unwrap_or_default();
            render::error(
                json_asked(&argv),
                &format!(
                    "netshoot: '{word}' is neither a netshoot command (see netshoot --help) nor a classic name netshoot answers to: {}",
                    classic::names_line()
                ),
                render::ErrorKind::Usage,
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::from(0);
            }
            if json_asked(&argv) {
                // People read clap's message with its usage block on stderr (printed above);
                // programs get its first line as the error object on stdout.
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or("invalid arguments");
                render::error_json(
                    &format!("netshoot: {}", first.trim_start_matches("error: ")),
                    render::ErrorKind::Usage,
                );
            }
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            render::error(
                json,
                &format!("netshoot: {}", one_line(&e)),
                render::ErrorKind::of(&e),
            );
            e.downcast_ref::<netshoot_ns::NsError>()
                .map(|n| n.exit_code())
                .unwrap_or(2)
        }
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Whether `--json` is on a command line clap refused (before a `--`, after which the words are
/// another program's).
fn json_asked(argv: &[String]) -> bool {
    argv.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        <Cli>::command().print_help()?;
        return Ok(0);
    };
    let out = render::Output {
        json: cli.json,
        verbose: cli.verbose,
    };
    if let Some(p) = &cli.cri_socket {
        netshoot_ns::cri::set_socket(p.clone());
    }
    // Commands that look at the whole host, or at nothing, run where netshoot runs.
    match command {
        Command::Host(H::Targets(a)) => return cmd::targets::run(&a, &out),
        Command::Host(H::Map(a)) => return cmd::map::run(&a, &out),
        Command::Host(H::Stats(a)) => return cmd::stats::run(&a, cli.target.as_deref(), &out),
        Command::Host(H::Completions { shell }) => return cmd::misc::completions(shell),
        Command::Tools(T::Man) => return cmd::misc::man(),
        Command::Host(H::Sleep { duration }) => return cmd::misc::sleep(duration.as_deref()),
        Command::Tools(T::InstallLinks { dir, force, hard }) => {
            return classic::install_links(&dir, force, hard)
        }
        _ => {}
    }
    // Everything else runs inside the target: resolve, then enter on this (the only) thread.
    let target = cmd::target::enter(cli.target.as_deref(), cli.container.as_deref(), &out)?;
    match command {
        Command::Host(H::Exec(a)) => cmd::exec::run(&a, &target),
        Command::Host(H::Doctor(a)) => cmd::doctor::run(&a, &target, &out),
        Command::Ip(c) => cmd::ip::run(&c, &target, &out),
        Command::Dns(c) => cmd::dns::run(&c, &target, &out),
        Command::Inspect(c) => cmd::inspect::run(&c, &out),
        Command::Probe(c) => cmd::probes::run(&c, &target, &out),
        Command::Perf(c) => cmd::perf::run(&c, &target, &out),
        Command::Mesh(c) => cmd::mesh::run(&c, &target, &out),
        Command::Capture(c) => cmd::capture::run(&c, &out),
        Command::Tools(T::Motd(a)) => cmd::motd::run(&a, &target, &out),
        Command::Host(
            H::Targets(_) | H::Map(_) | H::Stats(_) | H::Completions { .. } | H::Sleep { .. },
        )
        | Command::Tools(T::Man | T::InstallLinks { .. }) => {
            unreachable!("handled above")
        }
    }
}
