//! Resolving destinations before the checks run: address literals, the target's hosts file,
//! Docker containers and Swarm services by name, then DNS through the target's resolv.conf.

use std::net::IpAddr;

use netshoot_ns::docker::Docker;
use netshoot_ns::Target;

use crate::{Dest, Options};

/// Resolves every destination; failures are recorded in `resolved_by` for the checks to report.
pub fn resolve_all(target: &Target, dests: Vec<Dest>, opts: &Options) -> Vec<Dest> {
    let docker = Docker::from_env().ok().filter(|d| d.available());
    dests
        .into_iter()
        .map(|d| resolve_one(target, d, docker.as_ref(), opts))
        .collect()
}

fn resolve_one(target: &Target, mut d: Dest, docker: Option<&Docker>, opts: &Options) -> Dest {
    if let Ok(ip) = d.host.parse::<IpAddr>() {
        d.addresses = vec![ip];
        d.resolved_by = Some("literal".into());
        return d;
    }
    // Docker's view: is it a container or a service? (Recorded even when DNS answers too.)
    if let Some(docker) = docker {
        if let Ok(Some(c)) = docker.inspect_container(&d.host) {
            d.container = Some(c.short_name().to_string());
        }
        if let Ok(Some(s)) = docker.inspect_service(d.host.trim_start_matches("tasks.")) {
            d.service = Some(s.spec.name.clone());
        }
    }
    if let Some(ips) = target.hosts.as_deref().map(|h| hosts_lookup(h, &d.host)) {
        if !ips.is_empty() {
            d.addresses = ips;
            d.resolved_by = Some("hosts".into());
            return d;
        }
    }
    let _ = opts;
    d.resolved_by = Some(
        "unresolved: not an address and not in the target's hosts file (DNS is not consulted yet)"
            .into(),
    );
    d
}

/// Addresses for `name` in a hosts file's text.
pub fn hosts_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let ip: IpAddr = f.next()?.parse().ok()?;
            f.any(|n| n.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file() {
        let h =
            "127.0.0.1 localhost\n# x\n172.18.0.3\tdb db.net1 # c\n::1 localhost ip6-localhost\n";
        assert_eq!(
            hosts_lookup(h, "db"),
            vec!["172.18.0.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            hosts_lookup(h, "DB.net1."),
            vec!["172.18.0.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(hosts_lookup(h, "localhost").len(), 2);
        assert!(hosts_lookup(h, "web").is_empty());
    }
}
