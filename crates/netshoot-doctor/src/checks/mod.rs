//! The checks, in root-cause order: when several fail, the earlier one is the cause and the later
//! ones its symptoms, and the report keeps this order within a status.

mod conntrack;
mod dns;
mod docker;
mod firewall;
mod interfaces;
mod kube;
mod listen;
mod mtu;
mod neigh;
mod overlay;
mod reach;
mod route;
mod swarm;

use crate::CheckFn;

/// Every check with its id, in root-cause order.
pub fn all() -> Vec<(&'static str, CheckFn)> {
    vec![
        ("docker", docker::check),
        ("interfaces", interfaces::check),
        ("route", route::check),
        ("neighbour", neigh::check),
        ("kube", kube::check),
        ("dns", dns::check),
        ("firewall", firewall::check),
        ("conntrack", conntrack::check),
        ("listen", listen::check),
        ("mtu", mtu::check),
        ("mtu.overlay", overlay::check),
        ("swarm", swarm::check),
        ("reach", reach::check),
    ]
}
