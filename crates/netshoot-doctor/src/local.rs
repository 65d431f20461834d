//! Where a destination address lives on this host, when it does.

use std::net::IpAddr;

use netshoot_ns::Namespace;

/// The namespace (of those listed) that has `ip` on one of its interfaces, with that
/// interface's name.
pub fn namespace_of(ip: IpAddr, namespaces: &[Namespace]) -> Option<(&Namespace, String)> {
    namespaces.iter().find_map(|ns| {
        let dev = netshoot_ns::in_namespace(&ns.path, move || {
            netshoot_inspect::interfaces()
                .ok()?
                .into_iter()
                .find(|i| i.addresses.iter().any(|a| a.address == ip))
                .map(|i| i.name)
        })
        .ok()
        .flatten()?;
        Some((ns, dev))
    })
}
