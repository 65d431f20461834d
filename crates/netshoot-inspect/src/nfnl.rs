//! nfnetlink: dump requests to netfilter subsystems (nf_tables, ctnetlink), through the one
//! netlink loop of [`crate::netlink`]; its attribute walker and readers are re-exported here
//! for the decoders of `firewall` and `conntrack`.

use std::io;

use netlink_sys::protocols::NETLINK_NETFILTER;

pub use crate::netlink::{attr, attrs, be16, be32, be64, cstr as string};
use crate::netlink::{message, transact_fixed4, NLM_F_DUMP, NLM_F_REQUEST};

/// `NFNL_SUBSYS_CTNETLINK`.
pub const SUBSYS_CTNETLINK: u16 = 1;
/// `NFNL_SUBSYS_NFTABLES`.
pub const SUBSYS_NFTABLES: u16 = 10;

/// Sends one dump request (`subsys << 8 | msg`, `nfgenmsg.family = family`, 0 for every
/// family) on a fresh socket in the calling thread's namespace and returns, per reply message,
/// its `nfgenmsg` family and attribute payload. Kernel errors come back as `io::Error` with
/// the kernel's errno (EPERM without CAP_NET_ADMIN, ENOENT/EOPNOTSUPP without the module).
pub fn dump(subsys: u16, msg: u16, family: u8) -> io::Result<Vec<(u8, Vec<u8>)>> {
    dump_with(subsys, msg, family, &[])
}

/// [`dump`] with request attributes after the `nfgenmsg` (e.g. the table and set whose
/// elements to dump).
pub fn dump_with(
    subsys: u16,
    msg: u16,
    family: u8,
    attrs: &[u8],
) -> io::Result<Vec<(u8, Vec<u8>)>> {
    // nfgenmsg: family, version 0, res_id 0.
    let body = [&[family, 0, 0, 0][..], attrs].concat();
    let req = message((subsys << 8) | msg, NLM_F_REQUEST | NLM_F_DUMP, &body);
    transact_fixed4(NETLINK_NETFILTER, &req)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random and truncated buffers through every netfilter decoder: no panic, ever.
    #[test]
    fn junk_never_panics() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let len = (next() % 300) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Plausible attribute headers now and then, so nested walks go deep.
            if round % 3 == 0 && b.len() >= 4 {
                let l = (b.len() as u16).min(4 + (next() % 200) as u16);
                b[0..2].copy_from_slice(&l.to_ne_bytes());
                b[2] = (next() % 24) as u8;
                b[3] = 0x80;
            }
            let _ = attrs(&b);
            let _ = crate::conntrack::parse_entry(2, &b);
            let _ = crate::conntrack::parse_entry(10, &b);
            for m in crate::netlink::Messages::new(&b) {
                let _ = m.map(|m| crate::netlink::step(&m, 0));
            }
            let _ = crate::sockets::parse_inet_diag(&b, crate::Proto::Tcp);
        }
    }
}
