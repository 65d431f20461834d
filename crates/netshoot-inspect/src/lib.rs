//! Views of the kernel's network state over netlink, in the calling thread's namespace.
//!
//! Every function returns a typed, `Serialize` report; rendering is the binary's job.

pub mod bridge;
pub mod conntrack;
pub mod details;
mod details_bridge;
pub mod firewall;
pub mod iptlist;
pub mod iptsave;
pub mod ipvs;
pub mod kubenft;
pub mod kubeproxy;
pub mod legacy;
pub mod link;
pub mod map;
pub mod names;
pub mod neigh;
pub mod netlink;
pub mod nfnl;
pub mod nftfmt;
pub mod owners;
pub mod peer;
pub mod route;
pub mod sockets;
pub mod stats;
pub mod whose;
pub mod xt;

pub use link::{interfaces, Interface, InterfaceAddress, LinkStats};
pub use neigh::{neighbours, neighbours_in_states, Neighbour};
pub use peer::{resolve_peers, VethPeer};
pub use route::{route_get, routes, Family, Route, Table};
pub use sockets::{inet_sockets, sockets, unix_sockets, Owner, Proto, Socket, UnixSocket};
