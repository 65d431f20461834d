//! `iptables` / `ip6tables`, read-only: `-S [CHAIN]` onto our `firewall` verb, `-L [CHAIN]` with
//! `-n -v -x --line-numbers` in iptables' own table layout (`netshoot_inspect::iptlist`), both
//! from the same nf_tables read. Every command that would change the rules is refused.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["iptables", "ip6tables"],
    about: "show iptables rules, read-only (netshoot firewall)",
    run,
};

const READ_ONLY: &str = "netshoot is read-only: change rules with the host's iptables";

const OPTS: &[Opt] = &[
    Opt::flag(
        "L",
        Some('L'),
        &["list"],
        "list the rules of a chain or of all chains",
    ),
    Opt::flag(
        "S",
        Some('S'),
        &["list-rules"],
        "print the rules of a chain or of all chains as iptables-save does",
    ),
    Opt::value(
        "t",
        Some('t'),
        &["table"],
        "TABLE",
        "table: filter (default), nat, mangle, raw, security",
    ),
    Opt::flag(
        "n",
        Some('n'),
        &["numeric"],
        "numeric addresses, ports and protocols",
    ),
    Opt::flag(
        "v",
        Some('v'),
        &["verbose"],
        "counters and interfaces (-L); counters (-S)",
    ),
    Opt::flag("x", Some('x'), &["exact"], "exact counters (no K/M/G)"),
    Opt::flag(
        "line-numbers",
        None,
        &["line-numbers"],
        "number the rules (-L)",
    ),
    Opt::flag(
        "c",
        Some('c'),
        &[],
        "with -S: counters, as -S -v (netshoot's firewall -c)",
    ),
    Opt {
        id: "w",
        short: Some('w'),
        long: &["wait"],
        takes: Takes::Optional,
        help: "wait for the xtables lock (accepted; reading takes no lock)",
        unsupported: None,
        value_name: "SECS",
    },
    Opt::value(
        "W",
        Some('W'),
        &["wait-interval"],
        "USECS",
        "accepted with -w (reading takes no lock)",
    ),
    Opt::unsupported("A", Some('A'), &["append"], Takes::Value, READ_ONLY),
    Opt::unsupported("I", Some('I'), &["insert"], Takes::Value, READ_ONLY),
    Opt::unsupported("D", Some('D'), &["delete"], Takes::Value, READ_ONLY),
    Opt::unsupported("R", Some('R'), &["replace"], Takes::Value, READ_ONLY),
    Opt::unsupported("F", Some('F'), &["flush"], Takes::No, READ_ONLY),
    Opt::unsupported("Z", Some('Z'), &["zero"], Takes::No, READ_ONLY),
    Opt::unsupported("N", Some('N'), &["new-chain"], Takes::Value, READ_ONLY),
    Opt::unsupported("X", Some('X'), &["delete-chain"], Takes::No, READ_ONLY),
    Opt::unsupported("P", Some('P'), &["policy"], Takes::Value, READ_ONLY),
    Opt::unsupported("E", Some('E'), &["rename-chain"], Takes::Value, READ_ONLY),
    Opt::unsupported(
        "C",
        Some('C'),
        &["check"],
        Takes::Value,
        "checking for one rule is not supported: look for it in iptables -S CHAIN",
    ),
    Opt::unsupported(
        "modprobe",
        None,
        &["modprobe"],
        Takes::Value,
        "netshoot loads no modules",
    ),
];

const SPEC4: Spec = Spec {
    tool: "iptables",
    opts: OPTS,
    permute: true,
    usage: "[-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers] | -S [CHAIN] [-v]",
    notes: "Read-only: -A, -I, -D, -R, -F, -Z, -N, -X, -P, -E are refused (use the host's \
iptables). Rules are read from nf_tables (what iptables-nft and dockerd install); -S also reads \
legacy x_tables when only they hold the table. Without -n, addresses are not looked up in DNS \
(shown as numbers; 0.0.0.0/0 as anywhere); ports and protocols are named as iptables names them.",
    single_dash_long: false,
};

const SPEC6: Spec = Spec {
    tool: "ip6tables",
    ..SPEC4
};

/// A command letter (or long command) that changes rules: refused before anything else, so
/// the rule's own options (`-p tcp --dport 22 -j ACCEPT`) do not fail first as unknown.
fn modifying(args: &[String]) -> Option<String> {
    const LONG: &[&str] = &[
        "--append",
        "--insert",
        "--delete",
        "--replace",
        "--flush",
        "--zero",
        "--new-chain",
        "--delete-chain",
        "--policy",
        "--rename-chain",
        "--new",
    ];
    for a in args {
        if a == "--" {
            break;
        }
        if a.starts_with("--") {
            let name = a.split('=').next().unwrap_or(a);
            if LONG.contains(&name) {
                return Some(name.to_string());
            }
        } else if let Some(cluster) = a.strip_prefix('-') {
            if let Some(c) = cluster.chars().find(|c| "AIDRFZNXPE".contains(*c)) {
                return Some(format!("-{c}"));
            }
            // -t TABLE, -w SECS: the value is attached or the next word; either way it has no
            // dash and is not looked at.
        }
    }
    None
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let ipv6 = name.starts_with("ip6");
    let spec = if ipv6 { &SPEC6 } else { &SPEC4 };
    if let Some(cmd) = modifying(args) {
        return Err(usage(
            name,
            format!("'{cmd}' changes the rules; {READ_ONLY}"),
        ));
    }
    let p = spec.parse(args)?;
    if p.has("help") {
        print!("{}", spec.help());
        return Ok(0);
    }
    let table = p.value("t").unwrap_or("filter").to_string();
    // `-w 5`: iptables takes the seconds from the next word when it is a number.
    let ops: Vec<&str> = p
        .args()
        .into_iter()
        .filter(|a| !(p.has("w") && a.chars().all(|c| c.is_ascii_digit())))
        .collect();
    if ops.len() > 1 {
        return Err(usage(
            name,
            format!("unexpected '{}': give at most one CHAIN", ops[1]),
        ));
    }
    let chain = ops.first().map(|s| s.to_string());
    let (list, rules) = (p.has("L"), p.has("S"));
    if list && rules {
        return Err(usage(name, "-L and -S cannot be combined: choose one"));
    }
    if p.has("c") && !rules {
        return Err(usage(
            name,
            "-c sets counters on a new rule, which netshoot does not write; -S -c or -L -v show them",
        ));
    }
    if !list && !rules {
        return Err(usage(name, "no command specified: give -L or -S"));
    }
    if netshoot_inspect::iptsave::builtin_chains(&table).is_none() {
        return Err(usage(
            name,
            format!(
                "table '{table}' does not exist: use one of {}",
                netshoot_inspect::iptsave::TABLES.join(", ")
            ),
        ));
    }
    // -S, and --json for either: our firewall verb (same engine, legacy fallback, JSON).
    if rules || ctx.json {
        let mut v: Vec<String> = vec!["firewall".into(), "-t".into(), table];
        if ipv6 {
            v.push("-6".into());
        }
        if p.has("v") || p.has("c") {
            v.push("-c".into());
        }
        if let Some(c) = chain {
            v.push("--".into());
            v.push(c);
        }
        return ctx.verb(&v);
    }
    let _target = ctx.enter()?;
    let chains = crate::cmd::firewall::read_chains()?;
    let family = if ipv6 { "ip6" } else { "ip" };
    let in_nft = chains
        .iter()
        .any(|c| c.family == family && c.table == table);
    if !in_nft && !ipv6 && netshoot_inspect::legacy::tables().contains(&table) {
        anyhow::bail!(
            "the {table} table here is legacy x_tables, which -L does not read: see it with {name} -t {table} -S"
        );
    }
    let f = netshoot_inspect::iptlist::ListFormat {
        numeric: p.has("n"),
        verbose: p.has("v"),
        exact: p.has("x"),
        line_numbers: p.has("line-numbers"),
    };
    match netshoot_inspect::iptlist::list(&chains, family, &table, chain.as_deref(), &f) {
        Some(text) => {
            print!("{text}");
            Ok(0)
        }
        None => {
            // As iptables says it (exit 1).
            eprintln!("{name}: No chain/target/match by that name.");
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn write_commands_are_found_before_their_rule_options() {
        assert_eq!(
            modifying(&s(&[
                "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"
            ])),
            Some("-A".into())
        );
        assert_eq!(
            modifying(&s(&["-t", "nat", "--flush"])),
            Some("--flush".into())
        );
        assert_eq!(modifying(&s(&["-nvL", "INPUT"])), None);
        assert_eq!(modifying(&s(&["-L", "-Z"])), Some("-Z".into()));
    }

    #[test]
    fn read_options_parse() {
        let p = SPEC4
            .parse(&["-t", "nat", "-nvxL", "PREROUTING", "--line-numbers"])
            .unwrap();
        assert!(p.has("L") && p.has("n") && p.has("v") && p.has("x"));
        assert!(p.has("line-numbers"));
        assert_eq!(p.args(), ["PREROUTING"]);
    }
}
