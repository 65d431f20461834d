//! DNS: do the target's nameservers answer (UDP and TCP), and does the resolv.conf fit the
//! network (the embedded DNS on a user-defined Docker network, `ndots` pitfalls)?

use std::net::SocketAddr;

use netshoot_dns::ResolvConf;

use crate::facts::{DnsFailureKind, Facts};
use crate::{Context, Finding};

/// `dns.server:<ip>`, `dns.embedded`, `dns.ndots:<name>`.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let conf = ResolvConf::parse(ctx.target.resolv_conf.as_deref().unwrap_or(""));
    let path = ctx
        .target
        .resolv_conf_path
        .clone()
        .unwrap_or_else(|| "resolv.conf".into());
    // Ask only about names the user gave: never about names that would leave for the internet.
    let Some(name) = ctx
        .dests
        .iter()
        .find(|d| {
            d.host.parse::<std::net::IpAddr>().is_err() && d.resolved_by.as_deref() != Some("hosts")
        })
        .map(|d| {
            d.tried
                .first()
                .map(|t| t.name.clone())
                .unwrap_or_else(|| format!("{}.", d.host))
        })
    else {
        return vec![Finding::skipped(
            "dns",
            "no destination is a name to ask the nameservers about",
        )];
    };
    let mut out = Vec::new();
    if conf.nameservers.is_empty() {
        out.push(
            Finding::fail(
                "dns.server",
                format!("{path} names no nameserver, so no name resolves."),
            )
            .evidence(format!("{path}: no 'nameserver' line"))
            .why("Without a nameserver every lookup fails at once.")
            .fix("add 'nameserver ADDRESS' (docker run --dns ADDRESS, or fix the network's DNS)"),
        );
        return out;
    }
    for ip in &conf.nameservers {
        let server = SocketAddr::new(*ip, 53);
        let udp = facts.dns_query(server, &name, false, ctx.opts.probe_timeout);
        let id = format!("dns.server:{ip}");
        match udp {
            Err(e) => {
                let (summary, why) = match &e.kind {
                    DnsFailureKind::Timeout { after_ms } => (
                        format!("Nameserver {ip} from {path} does not answer (no reply within {after_ms} ms)."),
                        "Every lookup waits for the timeout on this server before trying the next, or fails.",
                    ),
                    DnsFailureKind::Refused => (
                        format!("Nothing listens on port 53 at nameserver {ip} from {path}."),
                        "The host is there but runs no DNS server: every lookup sent to it fails.",
                    ),
                    _ => (
                        format!("Nameserver {ip} from {path} cannot be reached: {e}."),
                        "Lookups sent to it fail.",
                    ),
                };
                out.push(
                    Finding::fail(id, summary)
                        .about(format!("nameserver {ip}"))
                        .evidence(format!("{name} A @{ip} over UDP: {e}"))
                        .evidence(format!("{path}: nameserver {}", conf.nameservers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", nameserver ")))
                        .why(why)
                        .fix("point the target at a working DNS server (docker run --dns ADDRESS, or edit resolv.conf), or start the server"),
                );
            }
            Ok(a) => {
                let tcp = facts.dns_query(server, &name, true, ctx.opts.probe_timeout);
                match tcp {
                    Ok(_) => out.push(
                        Finding::ok(
                            id,
                            format!("Nameserver {ip} answers over UDP and TCP ({} for {name}, {} ms).", a.rcode, a.elapsed_us / 1000),
                        )
                        .about(format!("nameserver {ip}"))
                        .evidence(format!("{name} A @{ip}: {}", a.rcode)),
                    ),
                    Err(e) => out.push(
                        Finding::warn(id, format!("Nameserver {ip} answers over UDP but not over TCP."))
                            .about(format!("nameserver {ip}"))
                            .evidence(format!("{name} A @{ip} over TCP: {e}"))
                            .why("Answers too large for UDP come back truncated and must be fetched over TCP: those lookups fail.")
                            .fix("allow TCP port 53 to the nameserver (firewall), or fix the server"),
                    ),
                }
            }
        }
    }
    // A container on a user-defined network resolves container names through 127.0.0.11.
    if let Some(c) = &ctx.target.container {
        let user_net = facts
            .container(&c.id)
            .and_then(|i| i.network_settings)
            .and_then(|n| n.networks)
            .map(|m| {
                m.keys()
                    .filter(|k| !matches!(k.as_str(), "bridge" | "host" | "none"))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let embedded: std::net::IpAddr = "127.0.0.11".parse().expect("literal");
        if !user_net.is_empty() && !conf.nameservers.contains(&embedded) {
            out.push(
                Finding::warn(
                    "dns.embedded",
                    format!(
                        "Container {} is on user-defined network {} but its resolv.conf does not use Docker's embedded DNS (127.0.0.11).",
                        c.name,
                        user_net.join(", ")
                    ),
                )
                .evidence(format!("{path}: nameserver {}", conf.nameservers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")))
                .why("Only the embedded DNS answers for container names, aliases and tasks.<service> on the network.")
                .fix("do not bind-mount or rewrite /etc/resolv.conf; pass external servers with --dns so the embedded DNS forwards to them"),
            );
        }
    }
    // ndots pitfall: a dotted name with fewer dots than ndots goes through the whole search list
    // before it is asked as given (a pod's ndots:5 with its three cluster search domains).
    for d in &ctx.dests {
        let host = d.host.trim_end_matches('.');
        let dots = host.matches('.').count();
        if d.host.ends_with('.')
            || dots == 0
            || dots >= conf.ndots as usize
            || d.addresses.is_empty()
        {
            continue;
        }
        // The names asked, in order; the last is the one that answered.
        let mut names: Vec<&str> = Vec::new();
        for t in &d.tried {
            if names.last() != Some(&t.name.as_str()) {
                names.push(&t.name);
            }
        }
        let Some((answered, before)) = names.split_last() else {
            continue;
        };
        if before.is_empty() || answered.trim_end_matches('.') != host {
            continue;
        }
        let k = before.len();
        let mut f = Finding::warn(
            format!("dns.ndots:{}", d.host),
            format!(
                "'{host}' has {dots} dot(s), fewer than ndots:{}: {k} search name(s) are asked before '{host}.' itself, so a resolver that asks A and AAAA (glibc, musl) sends {} queries before the one that answers.",
                conf.ndots,
                2 * k
            ),
        )
        .evidence(format!(
            "{path}: search {}; options ndots:{}",
            conf.search.join(" "),
            conf.ndots
        ));
        for t in d.tried.iter().take(8) {
            f = f.evidence(format!(
                "{} {} @{}: {}",
                t.name,
                t.qtype,
                t.server.ip(),
                t.outcome
            ));
        }
        out.push(
            f.why("Each wasted query is a round trip to the nameserver (the cluster DNS, and its upstream for names outside the cluster) before every new connection: external names resolve slowly, and a slow or lost answer for any search name delays them all.")
                .fix(format!("use the absolute name '{host}.' (trailing dot), or lower ndots to {dots} or less (a pod's spec.dnsConfig.options: name ndots, value \"{dots}\")")),
        );
    }
    out
}
