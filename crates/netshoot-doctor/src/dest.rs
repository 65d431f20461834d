//! Destinations: what the user wants to reach, as written and as resolved.

use std::net::IpAddr;

use serde::Serialize;

use crate::DoctorError;

/// A destination: a host, `host:port`, a URL, a container or a service name.
#[derive(Debug, Clone, Serialize)]
pub struct Dest {
    /// As the user wrote it.
    pub input: String,
    /// The host part (a name or an address literal).
    pub host: String,
    /// The port, when one was given or implied by a URL scheme.
    pub port: Option<u16>,
    /// `http` or `https` for URLs.
    pub scheme: Option<String>,
    /// Filled by resolution: the addresses to try.
    pub addresses: Vec<IpAddr>,
    /// Filled by resolution: how the host was resolved (`literal`, `hosts`, `dns`, `container`,
    /// `service`), or why it was not.
    pub resolved_by: Option<String>,
    /// Filled by resolution: the Docker container of that name, when there is one.
    pub container: Option<String>,
    /// Filled by resolution: the Swarm service of that name, when there is one.
    pub service: Option<String>,
    /// Filled by resolution: the DNS questions asked and what each got.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<netshoot_dns::Tried>,
    /// Filled by resolution: true when DNS servers answered that the name does not exist (as
    /// opposed to not answering at all).
    pub nxdomain: bool,
}

impl Dest {
    /// A short label for check ids and messages (`db:5432`).
    pub fn label(&self) -> String {
        match self.port {
            Some(p) if self.host.contains(':') => format!("[{}]:{p}", self.host),
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// Parses one DEST. Errors are one line naming the accepted forms.
    pub fn parse(input: &str) -> Result<Dest, DoctorError> {
        let bad = |why: &str| DoctorError::BadDest {
            dest: input.to_string(),
            why: why.to_string(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut scheme = None;
        let mut rest = s;
        if let Some((sch, r)) = s.split_once("://") {
            let sch = sch.to_ascii_lowercase();
            if sch != "http" && sch != "https" {
                return Err(bad(&format!(
                    "unknown scheme '{sch}' (http and https are understood)"
                )));
            }
            rest = r.split(['/', '?', '#']).next().unwrap_or("");
            if let Some((_, h)) = rest.rsplit_once('@') {
                rest = h;
            }
            scheme = Some(sch);
        }
        let (host, port) = split_host_port(rest).map_err(|w| bad(&w))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = port.or(match scheme.as_deref() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        });
        if host.parse::<IpAddr>().is_err() && !valid_name(&host) {
            return Err(bad(&format!(
                "'{host}' is neither an address nor a host name"
            )));
        }
        Ok(Dest {
            input: input.to_string(),
            host,
            port,
            scheme,
            addresses: Vec::new(),
            resolved_by: None,
            container: None,
            service: None,
            tried: Vec::new(),
            nxdomain: false,
        })
    }
}

fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| -> Result<u16, String> {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'{p}' is not a port (1-65535)"))
    };
    if let Some(r) = s.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .ok_or_else(|| "unclosed '[' in an IPv6 address".to_string())?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{h}' is not an IPv6 address"));
        }
        return match after.strip_prefix(':') {
            Some(p) => Ok((h.to_string(), Some(port(p)?))),
            None if after.is_empty() => Ok((h.to_string(), None)),
            None => Err(format!("unexpected '{after}' after ']'")),
        };
    }
    // A bare IPv6 literal has several colons.
    if s.matches(':').count() > 1 {
        return s
            .parse::<std::net::Ipv6Addr>()
            .map(|_| (s.to_string(), None))
            .map_err(|_| format!("'{s}' is not an IPv6 address (write [ADDR]:PORT for a port)"));
    }
    match s.split_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(port(p)?))),
        None => Ok((s.to_string(), None)),
    }
}

/// Host names, container and service names: dot-separated labels of letters, digits, `-`, `_`.
fn valid_name(h: &str) -> bool {
    h.len() <= 253
        && h.trim_end_matches('.').split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !l.starts_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let d = Dest::parse("db").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("db", None));
        let d = Dest::parse("db:5432").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("db", Some(5432)));
        let d = Dest::parse("10.0.0.1:80").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("10.0.0.1", Some(80)));
        let d = Dest::parse("[fd00::1]:53").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("fd00::1", Some(53)));
        assert_eq!(d.label(), "[fd00::1]:53");
        let d = Dest::parse("fd00::1").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("fd00::1", None));
        let d = Dest::parse("https://web.example/x?y").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("web.example", Some(443)));
        assert_eq!(d.scheme.as_deref(), Some("https"));
        let d = Dest::parse("http://u:p@web:8080/").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("web", Some(8080)));
        let d = Dest::parse("tasks.api").unwrap();
        assert_eq!(d.host, "tasks.api");
    }

    #[test]
    fn nonsense_is_refused_in_one_line() {
        for bad in [
            "", "a b", "db:0", "db:99999", "db:x", "ftp://x", "[::1", "::zz", "http://", "-x",
            "a..b",
        ] {
            let e = Dest::parse(bad).unwrap_err().to_string();
            assert!(e.contains("host, host:port, a URL"), "{bad}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}
