//! In `--json` mode an error is JSON too: `{"error": LINE, "kind": KIND}` on stdout, while the
//! same LINE stays on stderr for people; a check that finds a problem is a report (exit 1), not
//! an error. No root needed: bad targets, usage errors and a closed port on loopback.

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Runs a command that must fail with exit 2; returns its error object after checking that it
/// carries stderr's one line.
fn error_of(args: &[&str]) -> Value {
    let o = NETSHOOT.run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let v = json(&stdout(&o));
    let line = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{args:?}: {v}"));
    assert!(
        stderr(&o).lines().any(|l| l == line),
        "{args:?}: the error object's line is not stderr's: {v} / {}",
        stderr(&o)
    );
    assert_eq!(v.as_object().map(|m| m.len()), Some(2), "{v}");
    v
}

#[test]
fn a_bad_or_missing_target_is_a_json_error() {
    let v = error_of(&["--json", "-t", "bogus:x", "sockets"]);
    assert_eq!(v["kind"], "usage");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("bad target 'bogus:x'"));
    let v = error_of(&["-t", "netns:nst-no-such-ns", "sockets", "--json"]);
    assert_eq!(v["kind"], "target");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .starts_with("netshoot: no network namespace"));
    // The same through a classic name, with --json before the name.
    let v = error_of(&["--json", "-t", "netns:nst-no-such-ns", "netstat", "-tln"]);
    assert_eq!(v["kind"], "target");
    assert!(v["error"].as_str().unwrap().starts_with("netstat: "), "{v}");
}

#[test]
fn usage_errors_are_json_errors_when_json_is_asked() {
    // clap's usage error: its usage block stays on stderr, its first line is the object.
    let o = NETSHOOT.run(&["--json", "dns", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage: netshoot dns"), "{}", stderr(&o));
    let v = json(&stdout(&o));
    assert_eq!(v["kind"], "usage");
    assert_eq!(
        v["error"],
        "netshoot: unexpected argument '--no-such-flag' found"
    );
    // An unknown command.
    let v = error_of(&["--json", "frobnicate"]);
    assert_eq!(v["kind"], "usage");
    // A classic name's own parser, with --json before the name and with the tool's own --json.
    let v = error_of(&["--json", "tcpdump", "-Z", "nobody"]);
    assert_eq!(v["kind"], "usage");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .starts_with("tcpdump: option '-Z'"));
    let v = error_of(&["ping", "--json", "-c", "abc", "127.0.0.1"]);
    assert_eq!(v["kind"], "usage");
    // --json after `--` is an operand, not netshoot's flag.
    let o = NETSHOOT.run(&["dns", "--bogus", "--", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
}

#[test]
fn without_json_errors_stay_one_line_on_stderr() {
    for args in [
        &["-t", "bogus:x", "sockets"][..],
        &["frobnicate"],
        &["tcpdump", "-Z", "nobody"],
    ] {
        let o = NETSHOOT.run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_check_that_finds_a_problem_is_a_report_not_an_error() {
    // Nothing listens on loopback port 1: connect reports "refused" and exits 1.
    for args in [
        &["--json", "connect", "-z", "-w", "1", "127.0.0.1", "1"][..],
        &["--json", "nc", "-z", "-w", "1", "127.0.0.1", "1"],
    ] {
        let o = NETSHOOT.run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let v = json(&stdout(&o));
        assert!(v.get("error").is_none(), "{v}");
        assert_eq!(v[0]["state"], "refused", "{v}");
    }
}
