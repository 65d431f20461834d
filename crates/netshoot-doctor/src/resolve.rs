//! Resolving destinations before the checks run: address literals, Docker containers and Swarm
//! services by name (recorded for the Docker checks), then the target's own hosts file and DNS
//! through its resolv.conf (`netshoot-dns`, the same lookup the `dns` command traces).

use std::net::IpAddr;

use crate::facts::Facts;
use crate::{Dest, Options};

/// Resolves every destination; failures are recorded for the checks to report.
pub fn resolve_all(facts: &dyn Facts, dests: Vec<Dest>, opts: &Options) -> Vec<Dest> {
    let docker = facts.docker();
    dests
        .into_iter()
        .map(|d| resolve_one(facts, d, docker, opts))
        .collect()
}

fn resolve_one(facts: &dyn Facts, mut d: Dest, docker: bool, opts: &Options) -> Dest {
    if let Ok(ip) = d.host.parse::<IpAddr>() {
        d.addresses = vec![ip];
        d.resolved_by = Some("literal".into());
        return d;
    }
    // Docker's view: is it a container or a service? (Recorded even when DNS answers too.)
    if docker {
        if let Some(c) = facts.container(&d.host) {
            d.container = Some(c.short_name().to_string());
        }
        if let Some(s) = facts.service(d.host.trim_start_matches("tasks.")) {
            d.service = Some(s.spec.name.clone());
        }
    }
    match facts.lookup(&d.host, opts.probe_timeout) {
        Ok(l) if l.addresses.is_empty() => {
            // The servers answered: no such name (or no address) all along the search list.
            d.nxdomain = true;
            d.resolved_by = Some("unresolved: the target's DNS has no address for it".into());
            d.tried = l.tried;
        }
        Ok(l) => {
            d.addresses = l.addresses;
            d.tried = l.tried;
            d.resolved_by = Some(match (l.source.as_str(), l.answered) {
                ("dns", Some(name)) => format!("dns ({name})"),
                (src, _) => src.to_string(),
            });
        }
        Err(e) => d.resolved_by = Some(format!("unresolved: {e}")),
    }
    d
}
