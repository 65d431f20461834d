//! Views of the kernel's network state over netlink, in the calling thread's namespace.
//!
//! Every function returns a typed, `Serialize` report; rendering is the binary's job.

pub mod link;
pub mod netlink;

pub use link::{interfaces, Interface, InterfaceAddress};
