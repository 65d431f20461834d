//! `conntrack`: the connection-tracking table over ctnetlink (`conntrack -L`, `-C`, `-S`).

use std::net::IpAddr;

use clap::Args;
use netshoot_inspect::conntrack::{ConntrackUsage, Entry};
use serde::Serialize;

use crate::render::Output;

/// `conntrack` options (conntrack-tools' letters).
#[derive(Debug, Args)]
pub struct ConntrackArgs {
    /// Only the number of entries (`conntrack -C`).
    #[arg(short = 'C', long, conflicts_with = "stats")]
    pub count: bool,
    /// Per-CPU statistics: insert_failed, drop, early_drop, … (`conntrack -S`).
    #[arg(short = 'S', long)]
    pub stats: bool,
    /// List entries (the default; accepted for conntrack's muscle memory).
    #[arg(short = 'L', long)]
    pub list: bool,
    /// Protocol: tcp, udp, icmp, icmpv6, sctp, … or a number.
    #[arg(short = 'p', long = "proto", value_name = "PROTO")]
    pub proto: Option<String>,
    /// Original source address.
    #[arg(
        short = 's',
        long = "src",
        visible_alias = "orig-src",
        value_name = "IP"
    )]
    pub src: Option<IpAddr>,
    /// Original destination address.
    #[arg(
        short = 'd',
        long = "dst",
        visible_alias = "orig-dst",
        value_name = "IP"
    )]
    pub dst: Option<IpAddr>,
    /// Original source port.
    #[arg(long = "sport", visible_alias = "orig-port-src", value_name = "PORT")]
    pub sport: Option<u16>,
    /// Original destination port.
    #[arg(long = "dport", visible_alias = "orig-port-dst", value_name = "PORT")]
    pub dport: Option<u16>,
    /// TCP state (ESTABLISHED, TIME_WAIT, SYN_SENT, …).
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,
    /// Address family.
    #[arg(short = 'f', long, value_parser = ["ipv4", "ipv6"], value_name = "FAMILY")]
    pub family: Option<String>,
    /// Conntrack zone.
    #[arg(short = 'w', long, value_name = "ZONE")]
    pub zone: Option<u16>,
    /// Connection mark.
    #[arg(short = 'm', long, value_name = "MARK")]
    pub mark: Option<u32>,
    /// Reply source address (after NAT: the real server).
    #[arg(short = 'r', long = "reply-src", value_name = "IP")]
    pub reply_src: Option<IpAddr>,
    /// Reply destination address.
    #[arg(short = 'q', long = "reply-dst", value_name = "IP")]
    pub reply_dst: Option<IpAddr>,
    /// Only source-NATed connections.
    #[arg(short = 'n', long = "src-nat")]
    pub src_nat: bool,
    /// Only destination-NATed connections.
    #[arg(short = 'g', long = "dst-nat")]
    pub dst_nat: bool,
    /// Only NATed connections (either way).
    #[arg(short = 'j', long = "any-nat")]
    pub any_nat: bool,
}

/// The `conntrack` report.
#[derive(Debug, Serialize)]
pub struct ConntrackReport {
    /// Entries that matched the filters (absent with `-C` / `-S`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<Entry>>,
    /// The table's size against its limit, and drop counters summed over CPUs.
    pub usage: ConntrackUsage,
    /// Per-CPU statistics (with `-S`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Vec<std::collections::BTreeMap<&'static str, u64>>>,
}

fn explain(e: std::io::Error) -> anyhow::Error {
    match e.raw_os_error() {
        Some(1) | Some(13) => anyhow::anyhow!(
            "reading the conntrack table needs CAP_NET_ADMIN in the target's namespace: run as root, or add --cap-add NET_ADMIN (or --privileged) to docker run"
        ),
        Some(2) | Some(93) | Some(95) | Some(97) => anyhow::anyhow!(
            "this kernel has no conntrack netlink interface: load it with modprobe nf_conntrack_netlink (on the host)"
        ),
        _ => anyhow::anyhow!("cannot read the conntrack table: {e}"),
    }
}

/// Runs `conntrack` in the (already entered) target.
pub fn run(args: &ConntrackArgs, out: &Output) -> anyhow::Result<i32> {
    let usage = netshoot_inspect::conntrack::usage().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "this kernel has no connection tracking loaded (no /proc/sys/net/netfilter/nf_conntrack_count): modprobe nf_conntrack, or no rule uses conntrack yet"
            )
        } else {
            anyhow::anyhow!("cannot read conntrack usage: {e}")
        }
    })?;
    if args.count {
        out.emit(
            &ConntrackReport {
                entries: None,
                usage: usage.clone(),
                cpus: None,
            },
            |r| format!("{}\n", r.usage.count),
        )?;
        return Ok(0);
    }
    if args.stats {
        let cpus = netshoot_inspect::conntrack::cpu_stats()
            .map_err(|e| anyhow::anyhow!("cannot read /proc/net/stat/nf_conntrack: {e}"))?;
        let report = ConntrackReport {
            entries: None,
            usage,
            cpus: Some(cpus.iter().map(|c| c.iter().copied().collect()).collect()),
        };
        out.emit(&report, |_| {
            cpus.iter()
                .enumerate()
                .map(|(i, c)| {
                    let f: Vec<String> = c.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("cpu={i:<4}\t{} \n", f.join(" "))
                })
                .collect()
        })?;
        return Ok(0);
    }
    let entries = matching(args)?;
    if !out.json {
        eprintln!(
            "netshoot: {} flow entries shown; table {} of nf_conntrack_max {}",
            entries.len(),
            usage.count,
            usage.max
        );
    }
    let report = ConntrackReport {
        entries: Some(entries),
        usage,
        cpus: None,
    };
    out.emit(&report, |r| {
        r.entries
            .iter()
            .flatten()
            .map(|e| format!("{}\n", e.line()))
            .collect()
    })?;
    Ok(0)
}

/// The entries of the (already entered) namespace that pass the filters of `args` (the verb's
/// listing and the classic `conntrack -L` share it).
pub fn matching(args: &ConntrackArgs) -> anyhow::Result<Vec<Entry>> {
    let proto: Option<u8> = match args.proto.as_deref() {
        None => None,
        Some(p) => Some(match p.to_ascii_lowercase().as_str() {
            "tcp" => 6,
            "udp" => 17,
            "icmp" => 1,
            "icmpv6" | "ipv6-icmp" => 58,
            "sctp" => 132,
            "dccp" => 33,
            "gre" => 47,
            "udplite" => 136,
            n => n.parse().map_err(|_| {
                anyhow::anyhow!(
                    "unknown protocol '{p}': use tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite or a number"
                )
            })?,
        }),
    };
    let family = match args.family.as_deref() {
        Some("ipv4") => 2,
        Some("ipv6") => 10,
        _ => 0,
    };
    let state = args.state.as_ref().map(|s| s.to_ascii_uppercase());
    let mut entries = netshoot_inspect::conntrack::entries(family).map_err(explain)?;
    let nat = |e: &Entry, what: &str| e.status.iter().any(|x| x == what);
    entries.retain(|e| {
        proto.is_none_or(|p| e.proto_num == p)
            && args.src.is_none_or(|a| e.orig.src == Some(a))
            && args.dst.is_none_or(|a| e.orig.dst == Some(a))
            && args.sport.is_none_or(|p| e.orig.sport == Some(p))
            && args.dport.is_none_or(|p| e.orig.dport == Some(p))
            && state.as_ref().is_none_or(|s| e.state.as_ref() == Some(s))
            && args.zone.is_none_or(|z| e.zone == z)
            && args.mark.is_none_or(|m| e.mark == m)
            && args.reply_src.is_none_or(|a| e.reply.src == Some(a))
            && args.reply_dst.is_none_or(|a| e.reply.dst == Some(a))
            && (!args.src_nat || nat(e, "SRC_NAT"))
            && (!args.dst_nat || nat(e, "DST_NAT"))
            && (!args.any_nat || nat(e, "SRC_NAT") || nat(e, "DST_NAT"))
    });
    Ok(entries)
}
