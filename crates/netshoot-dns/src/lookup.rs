//! Name lookups as glibc does them: hosts file, then the search list by `ndots`, each server in
//! turn, with a trace of every name tried and what it got.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use serde::{Deserialize, Serialize};

use crate::{conf::ResolvConf, hosts, query, Answer, DnsError};

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
/// search list. `timeout` bounds each query; the whole lookup ends within three times that
/// ([`lookup_within`] chooses the whole bound).
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
    lookup_within(name, conf, hosts_text, timeout, timeout * 3)
}

/// [`lookup`] within `whole`: `timeout` bounds each query (and `options timeout:N` of the
/// resolv.conf, when shorter), and no query outlasts the whole lookup's deadline (each one's
/// timeout is at most the time left; at most 0.1 s more for a TCP fallback).
pub fn lookup_within(
    name: &str,
    conf: &ResolvConf,
    hosts_text: Option<&str>,
    timeout: Duration,
    whole: Duration,
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
    let deadline = Instant::now() + whole;
    let mut out = base("dns", Vec::new());
    let mut first_failure: Option<DnsError> = None;
    let mut any_answer = false;
    // `attempts` rounds over the servers, as glibc does.
    let servers: Vec<SocketAddr> = (0..conf.attempts)
        .flat_map(|_| conf.nameservers.iter().map(|s| SocketAddr::new(*s, 53)))
        .collect();
    let outcome = |r: Result<&Answer, &DnsError>| match r {
        Ok(a) if a.rcode == "NOERROR" => format!("NOERROR ({} answers)", a.answers.len()),
        Ok(a) => a.rcode.clone(),
        Err(e) => short(e),
    };
    'names: for cand in candidates(name, conf) {
        let mut got: Vec<IpAddr> = Vec::new();
        for qtype in [RecordType::A, RecordType::AAAA] {
            let turn = in_turn(
                &cand,
                qtype,
                &servers,
                conf.use_tcp,
                per_query,
                Some(deadline),
                &mut out.tried,
                &outcome,
            );
            if let Some(e) = turn.first_error {
                first_failure.get_or_insert(e);
            }
            if turn.out_of_time {
                break 'names;
            }
            let Some(a) = turn.decisive else {
                // No server would say anything about this name: asking for AAAA is hopeless too.
                break;
            };
            any_answer = true;
            got.extend(a.ips());
            if !a.ips().is_empty() {
                out.server = Some(a.server);
            }
            if a.rcode == "NXDOMAIN" {
                // No such name: no point asking for its AAAA.
                continue 'names;
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

/// What one question got from the servers asked in turn ([`in_turn`]).
struct Turn {
    /// The NOERROR or NXDOMAIN answer that ended the turn.
    decisive: Option<Answer>,
    /// The last answer of any rcode.
    last: Option<Answer>,
    /// The last error after the last answer (every error when nothing answered).
    error: Option<DnsError>,
    /// The first error of the turn.
    first_error: Option<DnsError>,
    /// The deadline passed before a server could be asked.
    out_of_time: bool,
}

/// Asks `name`/`rtype` of `servers` in turn until one answers NOERROR or NXDOMAIN (any other
/// rcode, or no reply, moves to the next server), pushing every question on `tried` with
/// `outcome`'s words for what it got. The one stub-resolver step under [`lookup`] and [`ask`].
#[allow(clippy::too_many_arguments)]
fn in_turn(
    name: &str,
    rtype: RecordType,
    servers: &[SocketAddr],
    tcp: bool,
    timeout: Duration,
    deadline: Option<Instant>,
    tried: &mut Vec<Tried>,
    outcome: &dyn Fn(Result<&Answer, &DnsError>) -> String,
) -> Turn {
    let mut turn = Turn {
        decisive: None,
        last: None,
        error: None,
        first_error: None,
        out_of_time: false,
    };
    for server in servers {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    turn.out_of_time = true;
                    break;
                }
                timeout.min(left)
            }
            None => timeout,
        };
        let r = query(*server, name, rtype, tcp, timeout);
        tried.push(Tried {
            name: name.to_string(),
            qtype: rtype.to_string(),
            server: *server,
            outcome: outcome(r.as_ref()),
        });
        match r {
            Ok(a) => {
                turn.error = None;
                if a.rcode == "NOERROR" || a.rcode == "NXDOMAIN" {
                    turn.decisive = Some(a.clone());
                    turn.last = Some(a);
                    break;
                }
                turn.last = Some(a);
            }
            Err(e) => {
                turn.first_error.get_or_insert_with(|| e.clone());
                turn.error = Some(e);
            }
        }
    }
    turn
}

/// What [`ask`] found: every name and server tried, the last answer, the last error after it.
pub type Asked = (Vec<Tried>, Option<Answer>, Option<DnsError>);

/// Asks each name in turn (the search list's [`candidates`]) of each server in turn, as a stub
/// resolver does, for dig-like tools: a NOERROR answer ends the search, NXDOMAIN moves to the
/// next name, any other rcode or no reply to the next server; when no server answered a name at
/// all, the next names are not tried. `qtype` is a record type's name (`A` when unknown).
/// `timeout` bounds each question; `within`, when given, the whole: no question outlasts it
/// (at most 0.1 s more for a TCP fallback), and none is asked after it.
pub fn ask(
    names: &[String],
    servers: &[SocketAddr],
    qtype: &str,
    tcp: bool,
    timeout: Duration,
    within: Option<Duration>,
) -> Asked {
    let deadline = within.map(|w| Instant::now() + w);
    let rtype: RecordType = qtype.parse().unwrap_or(RecordType::A);
    let mut tried = Vec::new();
    let mut last: Option<Answer> = None;
    let mut error = None;
    let outcome = |r: Result<&Answer, &DnsError>| match r {
        Ok(a) => a.rcode.clone(),
        Err(e) => e.to_string(),
    };
    for name in names {
        let turn = in_turn(
            name, rtype, servers, tcp, timeout, deadline, &mut tried, &outcome,
        );
        if let Some(a) = turn.last {
            last = Some(a);
            error = turn.error;
        } else if turn.error.is_some() {
            error = turn.error;
        }
        if turn.out_of_time || turn.decisive.as_ref().is_some_and(|a| a.rcode == "NOERROR") {
            break;
        }
        // No server answered this name at all: the next names would fare no better.
        if last.is_none() {
            break;
        }
    }
    // `Tried.qtype` is the type as the caller named it.
    for t in &mut tried {
        t.qtype = qtype.to_string();
    }
    (tried, last, error)
}

/// `n` with its final dot.
pub fn absolute(n: &str) -> String {
    if n.ends_with('.') {
        n.to_string()
    } else {
        format!("{n}.")
    }
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
/// texts (`None`: no file; no nameserver then means an error). `timeout` bounds each query,
/// `whole` the lookup ([`lookup_within`]).
pub fn lookup_host(
    name: &str,
    resolv_conf: Option<&str>,
    hosts_text: Option<&str>,
    timeout: Duration,
    whole: Duration,
) -> Result<Vec<IpAddr>, DnsError> {
    let conf = ResolvConf::parse(resolv_conf.unwrap_or(""));
    let l = lookup_within(name, &conf, hosts_text, timeout, whole)?;
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

    #[test]
    fn ask_within_ends_at_its_deadline_with_a_dripping_server() {
        let addr = crate::query::tests::tc_then_drip();
        let start = Instant::now();
        // Five servers of 1 s each would take 5 s; the whole is bounded at 1.5 s.
        let (tried, last, error) = ask(
            &["x.test.".to_string()],
            &[addr; 5],
            "A",
            false,
            Duration::from_secs(1),
            Some(Duration::from_millis(1500)),
        );
        let took = start.elapsed();
        assert!(took < Duration::from_millis(1800), "{took:?}");
        assert!(last.is_none());
        assert_eq!(tried.len(), 2, "{tried:?}");
        assert!(matches!(error, Some(DnsError::Timeout { .. })), "{error:?}");
    }
}
