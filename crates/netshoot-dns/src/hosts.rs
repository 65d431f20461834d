//! Hosts files (`/etc/hosts` of the target).

use std::net::IpAddr;

/// Addresses for `name` in a hosts file's text, in file order.
pub fn lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let ip: IpAddr = f.next()?.split('%').next()?.parse().ok()?;
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
            lookup(h, "db"),
            vec!["172.18.0.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            lookup(h, "DB.net1."),
            vec!["172.18.0.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(lookup(h, "localhost").len(), 2);
        assert!(lookup(h, "web").is_empty());
    }
}
