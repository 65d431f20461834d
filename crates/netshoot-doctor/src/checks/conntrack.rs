//! Conntrack: a full table drops new connections silently.

use crate::facts::Facts;
use crate::{Context, Finding};

/// `conntrack`: usage against `nf_conntrack_max` and the drop counters of this namespace.
pub fn check(_ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let u = match facts.conntrack() {
        Ok(u) => u,
        Err(e) if e.not_found => {
            return vec![Finding::skipped(
                "conntrack",
                "connection tracking is not loaded here",
            )]
        }
        Err(e) => {
            return vec![Finding::skipped(
                "conntrack",
                format!("conntrack counters unreadable: {e}"),
            )]
        }
    };
    let pct = (u.count * 100).checked_div(u.max).unwrap_or(0);
    let evidence = [
        format!(
            "nf_conntrack_count {} / nf_conntrack_max {} ({pct}%)",
            u.count, u.max
        ),
        format!(
            "since boot, summed over {} CPUs: drop {}, insert_failed {}, early_drop {}",
            u.cpus, u.drop, u.insert_failed, u.early_drop
        ),
    ];
    let with = |mut f: Finding| {
        for e in &evidence {
            f = f.evidence(e.clone());
        }
        f
    };
    if u.max > 0 && u.count >= u.max {
        return vec![with(Finding::fail("conntrack", format!("The conntrack table is full ({} of {} entries): new connections are dropped.", u.count, u.max)))
            .why("Every new connection needs a conntrack entry; with none free the kernel drops its first packet ('nf_conntrack: table full, dropping packet').")
            .fix(format!("sysctl -w net.netfilter.nf_conntrack_max={} (and find what opens so many connections: netshoot conntrack)", u.max.saturating_mul(2).max(65536)))];
    }
    if pct >= 90 {
        return vec![with(Finding::warn(
            "conntrack",
            format!(
                "The conntrack table is {pct}% full ({} of {}).",
                u.count, u.max
            ),
        ))
        .why("When it fills up, new connections are dropped silently.")
        .fix(format!(
            "sysctl -w net.netfilter.nf_conntrack_max={}",
            u.max.saturating_mul(2)
        ))];
    }
    if u.drop > 0 || u.early_drop > 0 {
        return vec![with(Finding::warn(
            "conntrack",
            format!("Conntrack dropped {} packet(s) and evicted {} entries early since boot: the table has been full before.", u.drop, u.early_drop),
        ))
        .why("A table that fills up under load drops new connections silently.")
        .fix("raise net.netfilter.nf_conntrack_max, or shorten timeouts (net.netfilter.nf_conntrack_tcp_timeout_*)")];
    }
    vec![with(Finding::ok(
        "conntrack",
        format!(
            "Conntrack table at {pct}% ({} of {}), no drops.",
            u.count, u.max
        ),
    ))]
}
