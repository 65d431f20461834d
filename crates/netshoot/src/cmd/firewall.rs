//! `firewall`: iptables rules as `iptables -S` prints them, read from nf_tables.

use clap::Args;
use netshoot_inspect::iptsave;
use serde::Serialize;

use crate::render::Output;

/// `firewall` options (iptables' letters).
#[derive(Debug, Args)]
pub struct FirewallArgs {
    /// Table: filter (default), nat, mangle, raw, security.
    #[arg(short = 't', long, default_value = "filter", value_name = "TABLE")]
    pub table: String,
    /// IPv6 (ip6tables).
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// Print rules (the default; accepted as in `iptables -S`).
    #[arg(short = 'S', long = "list-rules")]
    pub list_rules: bool,
    /// Packet and byte counters per rule and policy (`iptables -S -v`: `-c PACKETS BYTES`).
    #[arg(short = 'c', long)]
    pub counters: bool,
    /// Read the legacy x_tables (iptables-legacy) instead of nf_tables; chosen by itself when
    /// only a legacy table of that name exists. IPv4.
    #[arg(long, conflicts_with = "ipv6")]
    pub legacy: bool,
    /// The native nf_tables tables (not iptables-nft's) in `nft list ruleset` syntax.
    #[arg(long, conflicts_with_all = ["legacy", "chain"])]
    pub nft: bool,
    /// Only this chain.
    #[arg(value_name = "CHAIN")]
    pub chain: Option<String>,
}

/// The `firewall` report.
#[derive(Debug, Serialize)]
pub struct FirewallReport {
    /// `ip` or `ip6`.
    pub family: &'static str,
    /// Table.
    pub table: String,
    /// Lines as `iptables -S` prints them.
    pub rules: Vec<String>,
    /// The decoded chains of this table (expressions, policies, counters).
    pub chains: Vec<netshoot_inspect::firewall::Chain>,
}

/// Every nf_tables chain of the (already entered) namespace, with errors that name the fix (the
/// classic iptables, iptables-save and nft names read through this too).
pub fn read_chains() -> anyhow::Result<Vec<netshoot_inspect::firewall::Chain>> {
    netshoot_inspect::firewall::ruleset().map_err(|e| match e.raw_os_error() {
        Some(1) | Some(13) => anyhow::anyhow!(
            "reading the firewall needs CAP_NET_ADMIN in the target's namespace: run as root, or add --cap-add NET_ADMIN to docker run"
        ),
        Some(2) | Some(93) | Some(95) | Some(97) => anyhow::anyhow!(
            "this kernel has no nf_tables netlink interface (module nf_tables): modprobe nf_tables on the host"
        ),
        _ => anyhow::anyhow!("cannot read nf_tables: {e}"),
    })
}

/// Runs `firewall` in the (already entered) target.
pub fn run(args: &FirewallArgs, out: &Output) -> anyhow::Result<i32> {
    let family = if args.ipv6 { "ip6" } else { "ip" };
    if iptsave::builtin_chains(&args.table).is_none() {
        anyhow::bail!(
            "no iptables table '{}': use one of {} (-t TABLE)",
            args.table,
            iptsave::TABLES.join(", ")
        );
    }
    let chains = read_chains()?;
    if args.nft {
        let text = netshoot_inspect::nftfmt::ruleset(&chains);
        let native: Vec<netshoot_inspect::firewall::Chain> = chains
            .into_iter()
            .filter(|c| !netshoot_inspect::nftfmt::is_iptables_table(c.family, &c.table))
            .collect();
        out.emit(&native, |_| text.clone())?;
        return Ok(0);
    }
    let counters = args.counters || out.verbose > 0;
    let in_nft = chains
        .iter()
        .any(|c| c.family == family && c.table == args.table);
    let legacy_here = !args.ipv6 && netshoot_inspect::legacy::tables().contains(&args.table);
    let use_legacy = args.legacy || (legacy_here && !in_nft);
    let mut rules = if use_legacy {
        if !legacy_here {
            anyhow::bail!(
                "no legacy iptables table '{}' in this namespace (/proc/net/ip_tables_names lists: {}); drop --legacy to read nf_tables",
                args.table,
                {
                    let t = netshoot_inspect::legacy::tables();
                    if t.is_empty() { "none".to_string() } else { t.join(", ") }
                }
            );
        }
        let blob = netshoot_inspect::legacy::read(&args.table).map_err(|e| match e.raw_os_error() {
            Some(1) | Some(13) => anyhow::anyhow!(
                "reading legacy iptables needs CAP_NET_ADMIN and CAP_NET_RAW in the target's namespace: run as root, or add --cap-add NET_ADMIN --cap-add NET_RAW"
            ),
            _ => anyhow::anyhow!("cannot read legacy table {}: {e}", args.table),
        })?;
        netshoot_inspect::legacy::save(&blob, counters)
    } else {
        if legacy_here && !out.json {
            out.note(&format!(
                "legacy iptables also has a '{}' table here; see it with --legacy",
                args.table
            ));
        }
        iptsave::save(&chains, family, &args.table, counters).unwrap_or_default()
    };
    if let Some(c) = &args.chain {
        let mine: Vec<&netshoot_inspect::firewall::Chain> = chains
            .iter()
            .filter(|x| x.family == family && x.table == args.table)
            .collect();
        let builtin = iptsave::builtin_chains(&args.table).unwrap_or(&[]);
        if !builtin.contains(&c.as_str()) && !mine.iter().any(|x| &x.name == c) {
            anyhow::bail!(
                "no chain '{c}' in table {} ({family}); chains: {}",
                args.table,
                builtin
                    .iter()
                    .map(|s| s.to_string())
                    .chain(mine.iter().map(|x| x.name.clone()))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        // As iptables -S CHAIN: its policy or -N, then its rules.
        rules.retain(|l| {
            l == &format!("-N {c}")
                || l.starts_with(&format!("-P {c} "))
                || l.starts_with(&format!("-A {c} "))
        });
    }
    let report = FirewallReport {
        family,
        table: args.table.clone(),
        rules,
        chains: chains
            .into_iter()
            .filter(|c| c.family == family && c.table == args.table)
            .collect(),
    };
    out.emit(&report, |r| {
        r.rules.iter().map(|l| format!("{l}\n")).collect()
    })?;
    Ok(0)
}
