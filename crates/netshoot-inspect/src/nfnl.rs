//! nfnetlink: dump requests to netfilter subsystems (nf_tables, ctnetlink) and a bounds-checked
//! attribute walker shared by their decoders.

use std::io;

use netlink_sys::{protocols::NETLINK_NETFILTER, Socket, SocketAddr};

/// `NFNL_SUBSYS_CTNETLINK`.
pub const SUBSYS_CTNETLINK: u16 = 1;
/// `NFNL_SUBSYS_NFTABLES`.
pub const SUBSYS_NFTABLES: u16 = 10;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;

/// Sends one dump request (`subsys << 8 | msg`, `nfgenmsg.family = family`, 0 for every
/// family) on a fresh socket in the calling thread's namespace and returns, per reply message,
/// its `nfgenmsg` family and attribute payload. Kernel errors come back as `io::Error` with
/// the kernel's errno (EPERM without CAP_NET_ADMIN, ENOENT/EOPNOTSUPP without the module).
pub fn dump(subsys: u16, msg: u16, family: u8) -> io::Result<Vec<(u8, Vec<u8>)>> {
    dump_with(subsys, msg, family, &[])
}

/// One attribute for a request: length, type, payload, padded to four bytes.
pub fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(4 + payload.len() + 3);
    a.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    a.extend_from_slice(&ty.to_ne_bytes());
    a.extend_from_slice(payload);
    while a.len() % 4 != 0 {
        a.push(0);
    }
    a
}

/// [`dump`] with request attributes after the `nfgenmsg` (e.g. the table and set whose
/// elements to dump).
pub fn dump_with(
    subsys: u16,
    msg: u16,
    family: u8,
    attrs: &[u8],
) -> io::Result<Vec<(u8, Vec<u8>)>> {
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut req = Vec::with_capacity(20 + attrs.len());
    req.extend_from_slice(&((20 + attrs.len()) as u32).to_ne_bytes());
    req.extend_from_slice(&((subsys << 8) | msg).to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(&[family, 0, 0, 0]); // nfgenmsg: family, version 0, res_id 0
    req.extend_from_slice(attrs);
    socket.send(&req, 0)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = socket.recv(&mut &mut buf[..], 0)?;
        if n == 0 {
            return Ok(out);
        }
        if let Some(done) = split(&buf[..n], &mut out)? {
            debug_assert!(done);
            return Ok(out);
        }
    }
}

/// Splits one receive buffer into messages, appending (family, payload) to `out`. `Some(true)`
/// when the dump ended; errors for a kernel error (in ERROR or DONE).
pub fn split(mut b: &[u8], out: &mut Vec<(u8, Vec<u8>)>) -> io::Result<Option<bool>> {
    while b.len() >= 16 {
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let ty = u16::from_ne_bytes([b[4], b[5]]);
        if len < 16 || len > b.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "netlink message length out of bounds",
            ));
        }
        let body = &b[16..len];
        let code = body
            .get(..4)
            .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .unwrap_or(0);
        match ty {
            NLMSG_DONE if code < 0 => return Err(io::Error::from_raw_os_error(-code)),
            NLMSG_DONE => return Ok(Some(true)),
            NLMSG_ERROR if code < 0 => return Err(io::Error::from_raw_os_error(-code)),
            NLMSG_ERROR => {}
            _ if body.len() >= 4 => out.push((body[0], body[4..].to_vec())),
            _ => {}
        }
        let adv = (len + 3) & !3;
        if adv >= b.len() {
            break;
        }
        b = &b[adv..];
    }
    Ok(None)
}

/// Netlink attributes of a buffer: (type without the nested/byte-order flags, payload).
/// A truncated or lying tail ends the walk.
pub fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            break;
        }
        out.push((ty, &b[4..len]));
        let adv = (len + 3) & !3;
        if adv >= b.len() {
            break;
        }
        b = &b[adv..];
    }
    out
}

/// A big-endian u16 (network order, as netfilter sends ports and zones).
pub fn be16(b: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(..2)?.try_into().ok()?))
}

/// A big-endian u32.
pub fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

/// A big-endian u64.
pub fn be64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

/// A NUL-terminated (or not) string.
pub fn string(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
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
            let mut out = Vec::new();
            let _ = split(&b, &mut out);
            let mut socks = Vec::new();
            let _ = crate::sockets::parse_inet_dump(&b, crate::Proto::Tcp, &mut socks);
        }
    }
}
