//! `netshoot entrypoint …`: what the image runs (`ENTRYPOINT ["netshoot", "entrypoint"]`).
//!
//! - no command, on a terminal (`docker run -it …`): the interactive shell with the banner;
//! - no command, no terminal (`docker run --rm netshoot`): `netshoot targets`;
//! - a netshoot option, one of our verbs or a classic name (`tcpdump …`, `ip route`,
//!   `-t web exec`): netshoot itself;
//! - any other program in the image (`sh -c …`, `grep`, `awk`): that program, in place of
//!   netshoot (exec), so its exit status and signals are its own.
//!
//! The program fallback exists only here: `netshoot WORD` run by hand keeps its error for a word
//! that is neither a verb nor a classic name.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

/// The word after `netshoot` that selects entrypoint mode.
pub const WORD: &str = "entrypoint";

/// Runs the image's entrypoint with the container's command `args`.
pub fn run(args: &[String]) -> ExitCode {
    use std::io::IsTerminal;
    let netshoot = |rest: &[String]| {
        let mut argv = vec!["netshoot".to_string()];
        argv.extend_from_slice(rest);
        crate::main_with(argv)
    };
    let Some(first) = args.first() else {
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            return match super::exec::interactive(None) {
                Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
                Err(e) => {
                    eprintln!("netshoot: {}", format!("{e:#}").replace('\n', " "));
                    ExitCode::from(2)
                }
            };
        }
        return netshoot(&["targets".to_string()]);
    };
    if first.starts_with('-') || crate::classic::lookup(first).is_some() || is_verb(first) {
        return netshoot(args);
    }
    match program(first) {
        Some(path) => {
            let err = std::process::Command::new(path)
                .arg0(first)
                .args(&args[1..])
                .exec();
            eprintln!("netshoot: cannot run '{first}': {err}");
            ExitCode::from(126)
        }
        None => {
            eprintln!(
                "netshoot: '{}' is neither a netshoot command (netshoot --help), a classic name ({}) \
                 nor a program in this image (sh, grep, awk, …: ls /bin)",
                super::motd::clean(first),
                crate::classic::names_line()
            );
            ExitCode::from(127)
        }
    }
}

/// Whether `word` is one of our verbs (or an alias of one).
fn is_verb(word: &str) -> bool {
    use clap::CommandFactory;
    <crate::cli::Cli>::command()
        .get_subcommands()
        .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
}

/// `word` as an executable: a path as given, else the first match on PATH.
fn program(word: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let exec = |p: &PathBuf| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if word.contains('/') {
        let p = PathBuf::from(word);
        return exec(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(word))
        .find(exec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_and_aliases_are_recognised() {
        assert!(is_verb("targets"));
        assert!(is_verb("ls"));
        assert!(is_verb("sleep"));
        assert!(!is_verb("grep"));
    }
}
