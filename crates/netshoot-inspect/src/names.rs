//! Local name tables for the classic tools that print names without `-n`: service names from
//! `/etc/services` and host names from `/etc/hosts`. Files only: nothing here asks DNS.

use std::collections::HashMap;
use std::net::IpAddr;

/// Port → service name tables, per protocol, as `getservbyport` reads `/etc/services`.
#[derive(Debug, Clone, Default)]
pub struct Services {
    by_port: HashMap<(u16, String), String>,
}

impl Services {
    /// Reads `/etc/services` (an empty table when it is missing).
    pub fn load() -> Services {
        std::fs::read_to_string("/etc/services")
            .map(|t| Services::parse(&t))
            .unwrap_or_default()
    }

    /// Parses services(5) text; the first name given for a port and protocol wins, as with
    /// `getservbyport`.
    pub fn parse(text: &str) -> Services {
        let mut by_port = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut f = line.split_whitespace();
            let (Some(name), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            let Some((port, proto)) = pp.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            by_port
                .entry((port, proto.to_string()))
                .or_insert_with(|| name.to_string());
        }
        Services { by_port }
    }

    /// The service name of `port` for `proto` (`tcp`, `udp`).
    pub fn name(&self, port: u16, proto: &str) -> Option<&str> {
        self.by_port
            .get(&(port, proto.to_string()))
            .map(String::as_str)
    }
}

/// Address → host name, as `gethostbyaddr` answers from `/etc/hosts` (the first line naming the
/// address, its first name).
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    by_addr: HashMap<IpAddr, String>,
}

impl Hosts {
    /// Reads `/etc/hosts` (an empty table when it is missing).
    pub fn load() -> Hosts {
        std::fs::read_to_string("/etc/hosts")
            .map(|t| Hosts::parse(&t))
            .unwrap_or_default()
    }

    /// Parses hosts(5) text.
    pub fn parse(text: &str) -> Hosts {
        let mut by_addr = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut f = line.split_whitespace();
            let (Some(addr), Some(name)) = (f.next(), f.next()) else {
                continue;
            };
            if let Ok(a) = addr.parse::<IpAddr>() {
                by_addr.entry(a).or_insert_with(|| name.to_string());
            }
        }
        Hosts { by_addr }
    }

    /// The name of `addr`, when `/etc/hosts` has one.
    pub fn name(&self, addr: IpAddr) -> Option<&str> {
        self.by_addr.get(&addr).map(String::as_str)
    }
}

/// Protocol number → name, as `getprotobynumber` reads `/etc/protocols`.
#[derive(Debug, Clone, Default)]
pub struct Protocols {
    by_number: HashMap<u8, String>,
}

impl Protocols {
    /// Reads `/etc/protocols` (an empty table when it is missing).
    pub fn load() -> Protocols {
        std::fs::read_to_string("/etc/protocols")
            .map(|t| Protocols::parse(&t))
            .unwrap_or_default()
    }

    /// Parses protocols(5) text; the first name for a number wins.
    pub fn parse(text: &str) -> Protocols {
        let mut by_number = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut f = line.split_whitespace();
            if let (Some(name), Some(Ok(n))) = (f.next(), f.next().map(str::parse::<u8>)) {
                by_number.entry(n).or_insert_with(|| name.to_string());
            }
        }
        Protocols { by_number }
    }

    /// The name of protocol `n`.
    pub fn name(&self, n: u8) -> Option<&str> {
        self.by_number.get(&n).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_entry_wins() {
        let s =
            Services::parse("ssh 22/tcp # x\nhttp 80/tcp www\nalt 80/tcp\nbad\ndomain 53/udp\n");
        assert_eq!(s.name(22, "tcp"), Some("ssh"));
        assert_eq!(s.name(80, "tcp"), Some("http"));
        assert_eq!(s.name(53, "udp"), Some("domain"));
        assert_eq!(s.name(53, "tcp"), None);
        let h = Hosts::parse("127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 other\n");
        assert_eq!(h.name("127.0.0.1".parse().unwrap()), Some("localhost"));
        assert_eq!(h.name("::1".parse().unwrap()), Some("localhost"));
        assert_eq!(h.name("10.0.0.1".parse().unwrap()), None);
    }
}
