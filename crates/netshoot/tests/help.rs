//! `--help` of every verb, every subcommand and every classic name, snapshot-tested (insta,
//! snapshots in tests/snapshots/). No root needed. The terminal width is fixed (COLUMNS=100, and
//! stdout is a pipe), so clap's wrapping is the same everywhere.
//!
//! A changed help text fails here: look with `cargo insta review` (or re-run with
//! `INSTA_UPDATE=always` and read the diff) and commit the snapshot with the change.

use std::process::Output;

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::Links;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn help(args: &[&str]) -> Output {
    let mut argv = args.to_vec();
    argv.push("--help");
    NETSHOOT.run_env(&argv, &[("COLUMNS", "100"), ("LINES", "50")])
}

/// What a help run printed, as one snapshot: the exit status, stdout, and stderr when any.
fn shown(o: &Output) -> String {
    let mut s = format!("exit: {:?}\n{}", o.status.code(), text(&o.stdout));
    if !o.stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&text(&o.stderr));
    }
    s
}

/// The subcommand names of a clap help text's `Commands:` section (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        // A command's line starts at two spaces; wrapped description lines are indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path below `path` (itself first), depth first, in clap's order.
fn walk(path: Vec<String>, into: &mut Vec<Vec<String>>) {
    let args: Vec<&str> = path.iter().map(String::as_str).collect();
    let o = help(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?} --help: {}", shown(&o));
    let subs = subcommands(&text(&o.stdout));
    into.push(path.clone());
    for s in subs {
        let mut p = path.clone();
        p.push(s);
        walk(p, into);
    }
}

#[test]
fn help_of_every_verb_and_subcommand() {
    let mut paths = Vec::new();
    walk(Vec::new(), &mut paths);
    // The tree is walked, not listed: a handful of verbs means the walk broke.
    assert!(paths.len() > 25, "{paths:?}");
    for p in &paths {
        let args: Vec<&str> = p.iter().map(String::as_str).collect();
        let name = if p.is_empty() {
            "netshoot".to_string()
        } else {
            format!("netshoot_{}", p.join("_"))
        };
        insta::assert_snapshot!(name, shown(&help(&args)));
    }
}

#[test]
fn help_of_every_classic_name() {
    // `install-links` makes one link per classic name: the names come from the binary itself.
    let links = Links::new(env!("CARGO_BIN_EXE_netshoot"));
    let mut names: Vec<String> = std::fs::read_dir(&links.0)
        .expect("read the links directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 34, "{names:?}");
    for name in &names {
        insta::assert_snapshot!(format!("classic_{name}"), shown(&help(&[name])));
    }
}
