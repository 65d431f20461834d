//! `nft`, read-only: `list ruleset|tables|table|chains|chain` in nft's syntax, rendered by the
//! same code as `netshoot firewall --nft` (`netshoot_inspect::nftfmt`) from the same nf_tables
//! read. Every command that would change the ruleset is refused.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["nft"],
    about: "list the nftables ruleset, read-only (netshoot firewall --nft)",
    run,
};

const READ_ONLY: &str = "netshoot is read-only: change the ruleset with the host's nft";

const OPTS: &[Opt] = &[
    Opt::flag(
        "t",
        Some('t'),
        &["terse"],
        "terse: omit the elements of named sets",
    ),
    Opt::unsupported(
        "a",
        Some('a'),
        &["handle"],
        Takes::No,
        "handles are not shown: list without -a",
    ),
    Opt::unsupported(
        "s",
        Some('s'),
        &["stateless"],
        Takes::No,
        "counters are always shown: list without -s",
    ),
    Opt::unsupported(
        "j",
        Some('j'),
        &["json"],
        Takes::No,
        "for JSON use netshoot --json firewall --nft",
    ),
    Opt::unsupported(
        "n",
        Some('n'),
        &["numeric"],
        Takes::No,
        "list without -n (addresses, ports and protocols are printed as nft prints them by default)",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["reversedns"],
        Takes::No,
        "no reverse DNS: list without -N",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["service"],
        Takes::No,
        "ports are numeric: list without -S",
    ),
    Opt::unsupported(
        "y",
        Some('y'),
        &["numeric-priority"],
        Takes::No,
        "priorities are named as nft names them: list without -y",
    ),
    Opt::unsupported(
        "p",
        Some('p'),
        &["numeric-protocol"],
        Takes::No,
        "list without -p",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &["numeric-time"],
        Takes::No,
        "list without -T",
    ),
    Opt::unsupported("c", Some('c'), &["check"], Takes::No, READ_ONLY),
    Opt::unsupported("f", Some('f'), &["file"], Takes::Value, READ_ONLY),
    Opt::unsupported("i", Some('i'), &["interactive"], Takes::No, READ_ONLY),
    Opt::unsupported("e", Some('e'), &["echo"], Takes::No, READ_ONLY),
    Opt::unsupported("o", Some('o'), &["optimize"], Takes::No, READ_ONLY),
    Opt::unsupported(
        "I",
        Some('I'),
        &["includepath"],
        Takes::Value,
        "netshoot reads no nft files",
    ),
    Opt::unsupported(
        "d",
        Some('d'),
        &["debug"],
        Takes::Value,
        "no debug output: see the rules' expressions with netshoot --json firewall --nft",
    ),
];

const SPEC: Spec = Spec {
    tool: "nft",
    opts: OPTS,
    permute: false,
    usage: "list ruleset [FAMILY] | list tables [FAMILY] | list table [FAMILY] TABLE | \
list chains [FAMILY] | list chain [FAMILY] TABLE CHAIN",
    notes: "Read-only: add, delete, flush, insert, replace, create, reset and rename are refused \
(use the host's nft). Tables that iptables-nft manages (they hold x_tables expressions) are not \
rendered in nft's translation: a note names them and iptables-save shows them. Sets, maps, \
flowtables and objects are not listed; a table without chains is not listed.",
    single_dash_long: false,
};

const FAMILIES: [&str; 6] = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];

fn family_first<'a>(words: &'a [&'a str]) -> (Option<&'a str>, &'a [&'a str]) {
    match words.first() {
        Some(f) if FAMILIES.contains(f) => (Some(f), &words[1..]),
        _ => (None, words),
    }
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    // nft takes its command as words or as one quoted string; `;` is a separator it allows.
    let joined = p.args().join(" ");
    let words: Vec<&str> = joined
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let Some((verb, rest)) = words.split_first() else {
        return Err(usage(name, "no command: give e.g. 'list ruleset'"));
    };
    match *verb {
        "list" => {}
        "add" | "delete" | "destroy" | "flush" | "insert" | "replace" | "create" | "reset"
        | "rename" => {
            return Err(usage(
                name,
                format!("'{verb}' changes the ruleset; {READ_ONLY}"),
            ));
        }
        "monitor" | "describe" | "export" | "import" => {
            return Err(usage(
                name,
                format!("'{verb}' is not supported by netshoot; 'list ruleset' shows the rules"),
            ));
        }
        other => {
            return Err(usage(
                name,
                format!("unknown command '{other}': netshoot's nft runs 'list …'"),
            ))
        }
    }
    let Some((what, rest)) = rest.split_first() else {
        return Err(usage(
            name,
            "list what? give ruleset, tables, table, chains or chain",
        ));
    };
    let (family, rest) = family_first(rest);
    enum Want<'a> {
        Ruleset,
        Tables,
        Table(&'a str),
        Chains,
        Chain(&'a str, &'a str),
    }
    let want = match (*what, rest) {
        ("ruleset", []) => Want::Ruleset,
        ("tables", []) => Want::Tables,
        ("chains", []) => Want::Chains,
        ("table", [t]) => Want::Table(t),
        ("chain", [t, c]) => Want::Chain(t, c),
        ("ruleset" | "tables" | "chains" | "table" | "chain", _) => {
            return Err(usage(
                name,
                format!(
                    "bad arguments to 'list {what}': list ruleset|tables|chains [FAMILY], list table [FAMILY] TABLE, list chain [FAMILY] TABLE CHAIN"
                ),
            ))
        }
        (w, _) => {
            return Err(usage(
                name,
                format!(
                    "'list {w}' is not supported by netshoot: it lists ruleset, tables, table, chains and chain"
                ),
            ))
        }
    };
    if ctx.json {
        return Err(usage(
            name,
            "--json: use netshoot --json firewall --nft (nft's -j is not supported)",
        ));
    }
    let _target = ctx.enter()?;
    let chains = crate::cmd::firewall::read_chains()?;
    // Named sets, for list ruleset / list table (none when they cannot be read).
    let sets = netshoot_inspect::firewall::sets().unwrap_or_default();
    let terse = p.has("t");
    use netshoot_inspect::nftfmt;
    let all: Vec<(&str, &str)> = nftfmt::tables(&chains)
        .into_iter()
        .filter(|(f, _)| family.is_none_or(|x| x == *f))
        .collect();
    let mut out = String::new();
    let mut skipped = Vec::new();
    match want {
        Want::Tables => {
            for (f, t) in &all {
                out.push_str(&format!("table {f} {t}\n"));
            }
        }
        Want::Ruleset | Want::Chains => {
            let rules = matches!(want, Want::Ruleset);
            for (f, t) in &all {
                if nftfmt::has_xt(&chains, f, t) {
                    skipped.push(format!("{f} {t}"));
                    continue;
                }
                out.push_str(&nftfmt::table_with_sets(
                    &chains, &sets, f, t, None, rules, terse,
                ));
            }
        }
        Want::Table(t) | Want::Chain(t, _) => {
            let f = family.unwrap_or("ip");
            if !all.contains(&(f, t)) {
                eprintln!("Error: No such file or directory: table {f} {t} does not exist (see nft list tables)");
                return Ok(1);
            }
            let chain = match want {
                Want::Chain(_, c) => Some(c),
                _ => None,
            };
            if let Some(c) = chain {
                if !chains
                    .iter()
                    .any(|x| x.family == f && x.table == t && x.name == c)
                {
                    eprintln!("Error: No such file or directory: chain {f} {t} {c} does not exist");
                    return Ok(1);
                }
            }
            if nftfmt::has_xt(&chains, f, t) {
                anyhow::bail!(
                    "table {f} {t} is managed by iptables-nft (x_tables expressions), which netshoot does not translate to nft syntax: see it with {}-save",
                    if f == "ip6" { "ip6tables" } else { "iptables" }
                );
            }
            out.push_str(&nftfmt::table_with_sets(
                &chains, &sets, f, t, chain, true, terse,
            ));
        }
    }
    print!("{out}");
    if !skipped.is_empty() {
        eprintln!(
            "nft: not shown (managed by iptables-nft; see iptables-save / ip6tables-save): {}",
            skipped.join(", ")
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_stop_at_the_command() {
        let p = SPEC
            .parse(&["-t", "list", "table", "ip", "filter"])
            .unwrap();
        assert!(p.has("t"));
        assert_eq!(p.args(), ["list", "table", "ip", "filter"]);
        assert!(SPEC.parse(&["-a", "list", "ruleset"]).is_err());
    }
}
