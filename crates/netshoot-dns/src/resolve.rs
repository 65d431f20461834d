//! One HOST operand to one address, as the target resolves it: the resolver every probe command
//! (ping, scan, connect, trace, perf and their classic names) uses for its destination.

use std::net::IpAddr;
use std::time::Duration;

use crate::{lookup_host, DnsError};

/// How long each DNS query of [`resolve_one`] may take (the whole lookup: three times that,
/// [`RESOLVE_WHOLE`]).
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the whole lookup of [`resolve_one`] may take, every query included.
pub const RESOLVE_WHOLE: Duration = Duration::from_secs(9);

/// The address family a command asks for (`-4`, `-6`, or either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// The first address, whichever family (IPv4 first, as [`crate::lookup`] orders them).
    #[default]
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

impl Family {
    /// Whether `ip` is of this family.
    pub fn admits(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// Where names are resolved: the target's resolv.conf and hosts texts (`None`: no such file),
/// and the target's name for messages.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    /// The target's resolv.conf text.
    pub resolv_conf: Option<&'a str>,
    /// The target's hosts text.
    pub hosts: Option<&'a str>,
    /// The target as errors name it (`netns:web`, `container web`).
    pub label: &'a str,
}

/// Why [`resolve_one`] found no address. Each message is one line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    /// The lookup failed (no server, no answer, no such name).
    #[error("cannot resolve '{host}' in {label}: {source}")]
    Lookup {
        /// The name.
        host: String,
        /// The target.
        label: String,
        /// What the lookup said.
        source: DnsError,
    },
    /// The name resolved, but to no address of the family asked for.
    #[error("'{host}' has no {} address in {label}", if *family == Family::V6 { "IPv6" } else { "IPv4" })]
    NoAddressOfFamily {
        /// The name.
        host: String,
        /// The target.
        label: String,
        /// The family asked for.
        family: Family,
    },
}

/// HOST (an address literal or a name) as one address: a literal as it is; a name through the
/// target's hosts file and then DNS with its search list ([`lookup_host`], [`RESOLVE_TIMEOUT`]
/// per query, [`RESOLVE_WHOLE`] in all), the first address of `family`.
pub fn resolve_one(host: &str, names: &Names<'_>, family: Family) -> Result<IpAddr, ResolveError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs = lookup_host(
        host,
        names.resolv_conf,
        names.hosts,
        RESOLVE_TIMEOUT,
        RESOLVE_WHOLE,
    )
    .map_err(|source| ResolveError::Lookup {
        host: host.to_string(),
        label: names.label.to_string(),
        source,
    })?;
    addrs
        .into_iter()
        .find(|a| family.admits(a))
        .ok_or_else(|| ResolveError::NoAddressOfFamily {
            host: host.to_string(),
            label: names.label.to_string(),
            family,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "10.0.0.9 db\nfd00::9 db\nfd00::8 six\n";

    fn names() -> Names<'static> {
        Names {
            resolv_conf: None,
            hosts: Some(HOSTS),
            label: "netns:t",
        }
    }

    #[test]
    fn literals_hosts_and_families() {
        let n = names();
        assert_eq!(
            resolve_one("192.0.2.1", &n, Family::V6)
                .unwrap()
                .to_string(),
            "192.0.2.1"
        );
        assert_eq!(
            resolve_one("db", &n, Family::Any).unwrap().to_string(),
            "10.0.0.9"
        );
        assert_eq!(
            resolve_one("db", &n, Family::V6).unwrap().to_string(),
            "fd00::9"
        );
        assert_eq!(
            resolve_one("six", &n, Family::V4).unwrap_err().to_string(),
            "'six' has no IPv4 address in netns:t"
        );
        let e = resolve_one("nope", &n, Family::Any)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot resolve 'nope' in netns:t: no nameserver"),
            "{e}"
        );
    }
}
