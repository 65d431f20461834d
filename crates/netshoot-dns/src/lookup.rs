//! Name lookups as glibc does them: hosts file, then the search list by `ndots`, each server in
//! turn, with a trace of every name tried and what it got.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use serde::{Deserialize, Serialize};

use crate::{conf::ResolvConf, hosts, query, DnsError};

/// One question asked during a lookup, and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tried {
    /// The fully qualified name asked.
    pub name: String,
    /// `A` or `AAAA`.
    pub qtype: String,
    /// The server asked.
    pub server: SocketAddr,
    /// `NOERROR (2 answers)`, `NXDOMAIN`, `SERVFAIL`, or the error (timeout, refused).
    pub outcome: String,
}

/// A lookup's result with its trace.
#[derive(Debug, Clone, Serialize)]
pub struct Lookup {
    /// The name as given.
    pub name: String,
    /// `literal`, `hosts` or `dns`.
    pub source: String,
    /// Questions asked, in order.
    pub tried: Vec<Tried>,
    /// The fully qualified name that answered, when DNS did.
    pub answered: Option<String>,
    /// The server that answered.
    pub server: Option<SocketAddr>,
    /// Addresses, IPv4 first.
    pub addresses: Vec<IpAddr>,
}

/// The names tried for `name`, in order: absolute names as they are; otherwise the search list
/// first when the name has fewer dots than `ndots`, else the name first.
pub fn candidates(name: &str, conf: &ResolvConf) -> Vec<String> {
    if name.ends_with('.') {
        return vec![name.to_string()];
    }
    let dots = name.matches('.').count();
    let searched: Vec<String> = conf
        .search
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| format!("{name}.{d}."))
        .collect();
    let plain = format!("{name}.");
    if dots >= conf.ndots as usize {
        std::iter::once(plain).chain(searched).collect()
    } else {
        searched.into_iter().chain(std::iter::once(plain)).collect()
    }
}

/// Resolves `name` as the target would: address literal, hosts file, then DNS through the
/// search list. `timeout` bounds each query; the whole lookup stops after three times that.
///
/// When servers answered but no name had an address (NXDOMAIN or no data all along the search
/// list) the result is `Ok` with no addresses and the trace of what each server said; `Err` means
/// no server could be asked or none answered.
pub fn lookup(
    name: &str,
    conf: &ResolvConf,
    hosts_text: Option<&str>,
    timeout: Duration,
) -> Result<Lookup, DnsError> {
    let base = |source: &str, addresses: Vec<IpAddr>| Lookup {
        name: name.to_string(),
        source: source.into(),
        tried: Vec::new(),
        answered: None,
        server: None,
        addresses,
    };
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(base("literal", vec![ip]));
    }
    if let Some(h) = hosts_text {
        let found = hosts::lookup(h, name);
        if !found.is_empty() {
            return Ok(base("hosts", found));
        }
    }
    if conf.nameservers.is_empty() {
        return Err(DnsError::NoServers);
    }
    let per_query = timeout.min(Duration::from_secs(conf.timeout_secs as u64));
    let deadline = Instant::now() + timeout * 3;
    let mut out = base("dns", Vec::new());
    let mut first_failure: Option<DnsError> = None;
    let mut any_answer = false;
    'names: for cand in candidates(name, conf) {
        let mut got: Vec<IpAddr> = Vec::new();
        for qtype in [RecordType::A, RecordType::AAAA] {
            let mut decided = false;
            'servers: for _ in 0..conf.attempts {
                for server in &conf.nameservers {
                    if Instant::now() >= deadline {
                        break 'names;
                    }
                    let addr = SocketAddr::new(*server, 53);
                    match query(addr, &cand, qtype, conf.use_tcp, per_query) {
                        Ok(a) => {
                            let outcome = match a.rcode.as_str() {
                                "NOERROR" => format!("NOERROR ({} answers)", a.answers.len()),
                                r => r.to_string(),
                            };
                            out.tried.push(Tried {
                                name: cand.clone(),
                                qtype: qtype.to_string(),
                                server: addr,
                                outcome,
                            });
                            if a.rcode == "NOERROR" || a.rcode == "NXDOMAIN" {
                                any_answer = true;
                                decided = true;
                                got.extend(a.ips());
                                if !a.ips().is_empty() {
                                    out.server = Some(addr);
                                }
                                if a.rcode == "NXDOMAIN" {
                                    // No such name: no point asking for its AAAA.
                                    continue 'names;
                                }
                                break 'servers;
                            }
                        }
                        Err(e) => {
                            out.tried.push(Tried {
                                name: cand.clone(),
                                qtype: qtype.to_string(),
                                server: addr,
                                outcome: short(&e),
                            });
                            first_failure.get_or_insert(e);
                        }
                    }
                }
            }
            if !decided {
                // No server would say anything about this name: asking for AAAA is hopeless too.
                break;
            }
        }
        if !got.is_empty() {
            got.sort_by_key(|ip| ip.is_ipv6());
            got.dedup();
            out.addresses = got;
            out.answered = Some(cand);
            return Ok(out);
        }
    }
    if !any_answer {
        if let Some(e) = first_failure {
            return Err(e);
        }
    }
    // The servers answered, and no name had an address: the trace says what each said.
    Ok(out)
}

fn short(e: &DnsError) -> String {
    match e {
        DnsError::Timeout { after, .. } => format!("timeout ({} ms)", after.as_millis()),
        DnsError::Refused { .. } => "refused (nothing listens on port 53)".into(),
        DnsError::Unreachable { why, .. } => format!("unreachable ({why})"),
        other => other.to_string(),
    }
}

/// The addresses of `name` as the target resolves it, from the target's resolv.conf and hosts
/// texts (`None`: no file; no nameserver then means an error).
pub fn lookup_host(
    name: &str,
    resolv_conf: Option<&str>,
    hosts_text: Option<&str>,
    timeout: Duration,
) -> Result<Vec<IpAddr>, DnsError> {
    let conf = ResolvConf::parse(resolv_conf.unwrap_or(""));
    let l = lookup(name, &conf, hosts_text, timeout)?;
    if l.addresses.is_empty() {
        let summary = l
            .tried
            .iter()
            .map(|t| format!("{} {} @{}: {}", t.name, t.qtype, t.server.ip(), t.outcome))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(DnsError::NotFound {
            name: name.to_string(),
            summary,
        });
    }
    Ok(l.addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(search: &[&str], ndots: u8) -> ResolvConf {
        ResolvConf {
            search: search.iter().map(|s| s.to_string()).collect(),
            ndots,
            ..ResolvConf::default()
        }
    }

    #[test]
    fn search_order_follows_ndots() {
        let k8s = conf(&["default.svc.cluster.local", "svc.cluster.local"], 5);
        assert_eq!(
            candidates("api.example.com", &k8s),
            [
                "api.example.com.default.svc.cluster.local.",
                "api.example.com.svc.cluster.local.",
                "api.example.com."
            ]
        );
        let docker = conf(&[], 0);
        assert_eq!(candidates("web", &docker), ["web."]);
        let one = conf(&["corp"], 1);
        assert_eq!(candidates("db", &one), ["db.corp.", "db."]);
        assert_eq!(candidates("db.x", &one), ["db.x.", "db.x.corp."]);
        assert_eq!(candidates("abs.", &one), ["abs."]);
    }

    #[test]
    fn literals_and_hosts_need_no_server() {
        let c = ResolvConf::default();
        let l = lookup("10.0.0.1", &c, None, Duration::from_millis(100)).unwrap();
        assert_eq!((l.source.as_str(), l.addresses.len()), ("literal", 1));
        let l = lookup("db", &c, Some("10.0.0.9 db\n"), Duration::from_millis(100)).unwrap();
        assert_eq!(l.source, "hosts");
        assert!(matches!(
            lookup("db", &c, None, Duration::from_millis(100)),
            Err(DnsError::NoServers)
        ));
    }
}
