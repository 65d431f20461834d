//! Netlink for every view of this crate: one request/reply loop ([`transact_bytes`]), the
//! message splitter ([`Messages`]), the attribute walker ([`Attrs`]) and a bounds-checked
//! [`Reader`] for the fixed structs between them. rtnetlink and sock_diag's unix dump go through
//! the typed wrappers ([`dump`], [`request`], [`transact`]); nfnetlink, sock_diag's inet dump
//! and generic netlink (IPVS) through the bytes.
//!
//! Every request goes out on a fresh socket created in the calling thread's namespace. Nothing
//! here can panic on what the kernel (or a test) hands it: every length is checked before use.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

use netlink_packet_core::{
    NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR` (an error, or the ACK when its code is 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// Message types below this are netlink's own control messages.
pub const NLMSG_MIN_TYPE: u16 = 0x10;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 1;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLA_F_NESTED`: the attribute holds attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// The bits of `nla_type` that are the type.
pub const NLA_TYPE_MASK: u16 = 0x3fff;

/// `struct nlmsghdr`: length, type, flags, sequence number, port id.
pub mod nlmsghdr {
    use std::ops::Range;
    /// `nlmsg_len` (u32, native order).
    pub const LEN: Range<usize> = 0..4;
    /// `nlmsg_type` (u16).
    pub const TYPE: Range<usize> = 4..6;
    /// `nlmsg_flags` (u16).
    pub const FLAGS: Range<usize> = 6..8;
    /// `nlmsg_seq` (u32).
    pub const SEQ: Range<usize> = 8..12;
    /// `nlmsg_pid` (u32).
    pub const PID: Range<usize> = 12..16;
    /// The header's size.
    pub const SIZE: usize = 16;
}

/// The largest datagram [`transact_bytes`] accepts (the kernel's dump datagrams are at most
/// 32 KiB; a single reply larger than this is refused, not allocated).
pub const MAX_DATAGRAM: usize = 1 << 20;

/// Netlink's alignment (`NLMSG_ALIGN`, `NLA_ALIGN`): up to a multiple of four.
pub fn align(len: usize) -> usize {
    len.saturating_add(3) & !3
}

// ---------------------------------------------------------------------------------------------
// Reading bytes.

/// A bounds-checked view of a fixed C struct: every read names its offset and returns `None`
/// past the end, so a short or lying buffer reads as missing fields, never as a panic.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `b`.
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b }
    }

    /// The whole buffer.
    pub fn bytes(&self) -> &'a [u8] {
        self.b
    }

    /// `len` bytes from `at`.
    pub fn slice(&self, at: usize, len: usize) -> Option<&'a [u8]> {
        self.b.get(at..at.checked_add(len)?)
    }

    /// Everything from `at` on (empty past the end).
    pub fn rest(&self, at: usize) -> &'a [u8] {
        self.b.get(at..).unwrap_or(&[])
    }

    /// `N` bytes from `at`.
    pub fn array<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.slice(at, N)?.try_into().ok()
    }

    /// A byte.
    pub fn u8(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    /// A u16 in native order (netlink's, and the kernel's structs').
    pub fn ne16(&self, at: usize) -> Option<u16> {
        self.array(at).map(u16::from_ne_bytes)
    }

    /// A u32 in native order.
    pub fn ne32(&self, at: usize) -> Option<u32> {
        self.array(at).map(u32::from_ne_bytes)
    }

    /// A u64 in native order.
    pub fn ne64(&self, at: usize) -> Option<u64> {
        self.array(at).map(u64::from_ne_bytes)
    }

    /// A u16 in network order (ports).
    pub fn be16(&self, at: usize) -> Option<u16> {
        self.array(at).map(u16::from_be_bytes)
    }

    /// A u32 in network order.
    pub fn be32(&self, at: usize) -> Option<u32> {
        self.array(at).map(u32::from_be_bytes)
    }

    /// A u64 in network order.
    pub fn be64(&self, at: usize) -> Option<u64> {
        self.array(at).map(u64::from_be_bytes)
    }

    /// A u16 in little-endian order.
    pub fn le16(&self, at: usize) -> Option<u16> {
        self.array(at).map(u16::from_le_bytes)
    }

    /// A u32 in little-endian order.
    pub fn le32(&self, at: usize) -> Option<u32> {
        self.array(at).map(u32::from_le_bytes)
    }

    /// The C string in the `len`-byte field at `at` (up to its first NUL, or the whole field).
    pub fn cstr(&self, at: usize, len: usize) -> Option<String> {
        self.slice(at, len).map(cstr)
    }
}

/// A native-order u16 at the start of `b` (an attribute's payload).
pub fn ne16(b: &[u8]) -> Option<u16> {
    Reader::new(b).ne16(0)
}

/// A native-order u32 at the start of `b`.
pub fn ne32(b: &[u8]) -> Option<u32> {
    Reader::new(b).ne32(0)
}

/// A native-order u64 at the start of `b`.
pub fn ne64(b: &[u8]) -> Option<u64> {
    Reader::new(b).ne64(0)
}

/// A big-endian u16 at the start of `b` (network order, as netfilter sends ports and zones).
pub fn be16(b: &[u8]) -> Option<u16> {
    Reader::new(b).be16(0)
}

/// A big-endian u32 at the start of `b`.
pub fn be32(b: &[u8]) -> Option<u32> {
    Reader::new(b).be32(0)
}

/// A big-endian u64 at the start of `b`.
pub fn be64(b: &[u8]) -> Option<u64> {
    Reader::new(b).be64(0)
}

/// A NUL-terminated (or not) string: the bytes before the first NUL, lossily as UTF-8.
pub fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Attributes.

/// One netlink attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// The type, without the nested and byte-order flags.
    pub kind: u16,
    /// The flags as sent (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`).
    pub flags: u16,
    /// The payload (without padding).
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attributes nested in this one.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }

    /// A reader over the payload.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.payload)
    }
}

/// The attributes of a buffer, in order. A truncated or lying tail ends the walk.
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// The attributes in `b`.
    pub fn new(b: &'a [u8]) -> Attrs<'a> {
        Attrs { rest: b }
    }

    /// The payload of the first attribute of type `kind`.
    pub fn get(self, kind: u16) -> Option<&'a [u8]> {
        self.find_kind(kind).map(|a| a.payload)
    }

    /// The first attribute of type `kind`.
    pub fn find_kind(mut self, kind: u16) -> Option<Attr<'a>> {
        self.find(|a| a.kind == kind)
    }

    /// The attributes nested in the first attribute of each type along `path`.
    pub fn nested(self, path: &[u16]) -> Option<Attrs<'a>> {
        path.iter()
            .try_fold(self, |a, k| a.find_kind(*k).map(|x| x.nested()))
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        let r = Reader::new(self.rest);
        let len = usize::from(r.ne16(0)?);
        let ty = r.ne16(2)?;
        if len < 4 || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let a = Attr {
            kind: ty & NLA_TYPE_MASK,
            flags: ty & !NLA_TYPE_MASK,
            payload: &self.rest[4..len],
        };
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(a)
    }
}

/// The attributes of a buffer as (type without flags, payload): [`Attrs`] collected.
pub fn attrs(b: &[u8]) -> Vec<(u16, &[u8])> {
    Attrs::new(b).map(|a| (a.kind, a.payload)).collect()
}

/// One attribute for a request: length, type, payload, padded to four bytes.
pub fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut a = Vec::with_capacity(align(len));
    a.extend_from_slice(&(len as u16).to_ne_bytes());
    a.extend_from_slice(&ty.to_ne_bytes());
    a.extend_from_slice(payload);
    a.resize(align(len), 0);
    a
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// One netlink message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// `nlmsg_type`.
    pub kind: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// The body after the header.
    pub payload: &'a [u8],
    /// The whole message, header included (for typed decoders).
    pub bytes: &'a [u8],
}

impl Message<'_> {
    /// The code of an `NLMSG_ERROR` or `NLMSG_DONE` (0 when the body is too short to hold one):
    /// a negative errno, or 0 for an ACK / a clean end.
    pub fn code(&self) -> i32 {
        Reader::new(self.payload).ne32(0).map_or(0, |c| c as i32)
    }
}

/// A message whose length does not fit its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl From<Malformed> for io::Error {
    fn from(_: Malformed) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "netlink message length out of bounds",
        )
    }
}

/// The messages of one received datagram, in order. A length that lies yields
/// `Err(Malformed)` once and ends the walk; a tail shorter than a header is ignored.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    /// The messages in `b`.
    pub fn new(b: &'a [u8]) -> Messages<'a> {
        Messages { rest: b }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < nlmsghdr::SIZE {
            return None;
        }
        let r = Reader::new(self.rest);
        let len = r.ne32(nlmsghdr::LEN.start)? as usize;
        if len < nlmsghdr::SIZE || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Malformed));
        }
        let bytes = &self.rest[..len];
        let m = Message {
            kind: r.ne16(nlmsghdr::TYPE.start)?,
            flags: r.ne16(nlmsghdr::FLAGS.start)?,
            seq: r.ne32(nlmsghdr::SEQ.start)?,
            payload: &bytes[nlmsghdr::SIZE..],
            bytes,
        };
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(Ok(m))
    }
}

/// What one message means for the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A reply to hand on.
    Reply,
    /// Netlink's own message (NOOP, OVERRUN) or another request's: skip it.
    Skip,
    /// The reply is complete (`NLMSG_DONE`, or the ACK).
    End,
    /// The kernel refused, with this errno.
    Failed(i32),
}

/// Classifies `m` for the request of sequence number `seq`.
pub fn step(m: &Message<'_>, seq: u32) -> Step {
    if m.seq != seq {
        return Step::Skip;
    }
    match m.kind {
        // A dump the kernel cannot serve (a missing diag module) ends in DONE with -errno.
        NLMSG_DONE | NLMSG_ERROR if m.code() < 0 => Step::Failed(m.code().saturating_neg()),
        NLMSG_DONE | NLMSG_ERROR => Step::End,
        k if k < NLMSG_MIN_TYPE => Step::Skip,
        _ => Step::Reply,
    }
}

/// A request: `nlmsghdr` (length, `kind`, `flags`; sequence number and port id 0, set by
/// [`transact_bytes`]) then `body`.
pub fn message(kind: u16, flags: u16, body: &[u8]) -> Vec<u8> {
    let len = nlmsghdr::SIZE + body.len();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(len as u32).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(body);
    v
}

// ---------------------------------------------------------------------------------------------
// The loop.

static SEQUENCE: AtomicU32 = AtomicU32::new(1);

/// Sends `request` (a whole message, header first) on a fresh socket of `protocol`
/// (`NETLINK_ROUTE`, `NETLINK_SOCK_DIAG`, `NETLINK_NETFILTER`, `NETLINK_GENERIC`, …) in the
/// calling thread's namespace, and hands every reply message to `each` until the reply is
/// complete: `NLMSG_DONE` or the ACK; for a request that is neither a dump nor asks for an
/// ACK, the datagram that brings the reply. The request's sequence number is set here, and
/// replies with another are skipped. A kernel error comes back as `io::Error` with the
/// kernel's errno; a datagram larger than [`MAX_DATAGRAM`] or a lying length as
/// `InvalidData`.
pub fn transact_bytes(
    protocol: isize,
    request: &[u8],
    mut each: impl FnMut(&Message<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let header = Reader::new(request);
    let (Some(len), Some(flags)) = (
        header.ne32(nlmsghdr::LEN.start),
        header.ne16(nlmsghdr::FLAGS.start),
    ) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "netlink request shorter than its header",
        ));
    };
    if len as usize != request.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "netlink request length does not match its header",
        ));
    }
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let mut req = request.to_vec();
    req[nlmsghdr::SEQ].copy_from_slice(&seq.to_ne_bytes());
    let (dump, ack) = (flags & NLM_F_DUMP != 0, flags & NLM_F_ACK != 0);

    let mut socket = Socket::new(protocol)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    socket.send(&req, 0)?;

    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // The next datagram's size, so that a large single reply is not cut.
        let size = socket.recv(&mut &mut [0u8; 0][..], PEEK_TRUNC)?;
        if size > MAX_DATAGRAM {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("netlink reply of {size} bytes is larger than {MAX_DATAGRAM}"),
            ));
        }
        if size > buf.len() {
            buf.resize(size, 0);
        }
        let n = socket.recv(&mut &mut buf[..], 0)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "netlink socket closed mid-reply",
            ));
        }
        match datagram(buf.get(..n).unwrap_or(&buf), seq, &mut each)? {
            None => return Ok(()),
            Some(true) if !dump && !ack => return Ok(()),
            Some(_) => {}
        }
    }
}

/// Hands the replies in one received datagram for the request of sequence number `seq` to
/// `each`: `None` when the reply is complete, else whether the datagram held a reply. A kernel
/// error comes back as `io::Error` with its errno, a lying length as `InvalidData`.
pub fn datagram(
    buf: &[u8],
    seq: u32,
    each: &mut impl FnMut(&Message<'_>) -> io::Result<()>,
) -> io::Result<Option<bool>> {
    let mut replied = false;
    for m in Messages::new(buf) {
        let m = m?;
        match step(&m, seq) {
            Step::Reply => {
                each(&m)?;
                replied = true;
            }
            Step::Skip => {}
            Step::End => return Ok(None),
            Step::Failed(errno) => return Err(io::Error::from_raw_os_error(errno)),
        }
    }
    Ok(Some(replied))
}

/// The size probe's flags: the next datagram's full length, leaving it queued.
const PEEK_TRUNC: i32 = nix::libc::MSG_PEEK | nix::libc::MSG_TRUNC;

/// [`transact_bytes`] for the families whose messages start with a 4-byte header (`nfgenmsg`
/// of nfnetlink, `genlmsghdr` of generic netlink): per reply, that header's first byte (the
/// family, or the command) and the attributes after it.
pub fn transact_fixed4(protocol: isize, request: &[u8]) -> io::Result<Vec<(u8, Vec<u8>)>> {
    let mut out = Vec::new();
    transact_bytes(protocol, request, |m| {
        out.extend(fixed4(m));
        Ok(())
    })?;
    Ok(out)
}

/// A message of a family with a 4-byte header: that header's first byte and the attributes.
fn fixed4(m: &Message<'_>) -> Option<(u8, Vec<u8>)> {
    let (first, attrs) = (m.payload.first()?, m.payload.get(4..)?);
    Some((*first, attrs.to_vec()))
}

/// What [`transact_fixed4`] returns for a reply that came as the datagrams `datagrams`, for
/// the request of sequence number `seq` (the fuzz targets' entry point: no socket).
#[doc(hidden)]
pub fn replies_fixed4(datagrams: &[&[u8]], seq: u32) -> io::Result<Vec<(u8, Vec<u8>)>> {
    let mut out = Vec::new();
    for d in datagrams {
        let done = datagram(d, seq, &mut |m| {
            out.extend(fixed4(m));
            Ok(())
        })?;
        if done.is_none() {
            break;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Typed requests (netlink-packet-* messages).

/// Sends a dump request (`NLM_F_DUMP`) and returns every message of the multipart reply.
pub fn dump(request: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
    transact(NETLINK_ROUTE, request, NLM_F_DUMP | NLM_F_REQUEST)
}

/// Sends a single request (`RTM_GETROUTE` for one destination, `RTM_GETNSID`, …) with
/// `NLM_F_ACK` and returns the reply messages that precede the kernel's ACK. A kernel error
/// comes back as `io::Error` with the kernel's errno (`ENETUNREACH` for a route lookup that
/// finds none).
pub fn request(request: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
    transact(NETLINK_ROUTE, request, NLM_F_REQUEST | NLM_F_ACK)
}

/// One typed request of any netlink family (`NETLINK_ROUTE`, `NETLINK_SOCK_DIAG`, …) through
/// [`transact_bytes`]: the replies until `NLMSG_DONE` or the ACK, decoded.
pub fn transact<M>(protocol: isize, request: M, flags: u16) -> io::Result<Vec<M>>
where
    M: NetlinkSerializable + NetlinkDeserializable + std::fmt::Debug,
{
    let mut out = Vec::new();
    transact_each(protocol, request, flags, |m| {
        out.push(m);
        Ok(())
    })?;
    Ok(out)
}

/// As [`transact`], handing each decoded reply to `each` as it is read instead of collecting
/// them (a large dump is never held whole).
pub fn transact_each<M>(
    protocol: isize,
    request: M,
    flags: u16,
    mut each: impl FnMut(M) -> io::Result<()>,
) -> io::Result<()>
where
    M: NetlinkSerializable + NetlinkDeserializable + std::fmt::Debug,
{
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(request));
    packet.finalize();
    let mut buf = vec![0u8; packet.buffer_len()];
    packet.serialize(&mut buf[..]);
    transact_bytes(protocol, &buf, |m| match typed(m)? {
        Some(x) => each(x),
        None => Ok(()),
    })
}

/// One reply message decoded as `M` (`None` for netlink's own messages).
pub fn typed<M>(m: &Message<'_>) -> io::Result<Option<M>>
where
    M: NetlinkDeserializable + std::fmt::Debug,
{
    let msg: NetlinkMessage<M> = NetlinkMessage::deserialize(m.bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("netlink: {e}")))?;
    Ok(match msg.payload {
        NetlinkPayload::InnerMessage(x) => Some(x),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut m = message(kind, 0, body);
        m[nlmsghdr::SEQ].copy_from_slice(&seq.to_ne_bytes());
        m.resize(align(m.len()), 0);
        m
    }

    #[test]
    fn attributes_walk_and_nest() {
        let inner = [attr(1, &7u32.to_ne_bytes()), attr(2, b"eth0\0")].concat();
        let buf = [
            attr(3, b"x"),
            attr(4 | NLA_F_NESTED, &inner),
            attr(5 | NLA_F_NET_BYTEORDER, &80u16.to_be_bytes()),
        ]
        .concat();
        let all: Vec<Attr> = Attrs::new(&buf).collect();
        assert_eq!(all.len(), 3);
        assert_eq!((all[0].kind, all[0].payload), (3, &b"x"[..]));
        assert_eq!((all[1].kind, all[1].flags), (4, NLA_F_NESTED));
        assert_eq!(all[2].reader().be16(0), Some(80));
        let n = Attrs::new(&buf).nested(&[4]).unwrap();
        assert_eq!(n.get(1).and_then(ne32), Some(7));
        assert_eq!(n.get(2).map(cstr).as_deref(), Some("eth0"));
        assert!(Attrs::new(&buf).nested(&[4, 1, 9]).is_none());
        assert_eq!(attrs(&buf).len(), 3);
    }

    #[test]
    fn truncated_and_lying_attributes_end_the_walk() {
        let buf = [attr(1, &[1, 2, 3, 4, 5]), attr(2, &[9; 6])].concat();
        // Every cut: the attributes that fit whole, then the end; never a panic.
        for cut in 0..=buf.len() {
            let n = Attrs::new(&buf[..cut]).count();
            // The first attribute is 9 bytes (padded to 12), the second 10 (from 12 on).
            let whole = usize::from(cut >= 9) + usize::from(cut >= 22);
            assert_eq!(n, whole, "cut {cut}");
        }
        // Lengths below the header, and beyond the buffer.
        assert_eq!(Attrs::new(&[2, 0, 1, 0, 0, 0]).count(), 0);
        assert_eq!(Attrs::new(&[0xff, 0xff, 1, 0, 0, 0]).count(), 0);
        assert_eq!(
            Attrs::new(&[8, 0, 1, 0, 1, 2, 3, 4, 0xff, 0xff, 2, 0]).count(),
            1
        );
        // Nested walks into junk end too.
        let lie = attr(1 | NLA_F_NESTED, &[0xff, 0x7f, 0, 0, 1, 2]);
        assert_eq!(Attrs::new(&lie).nested(&[1]).unwrap().count(), 0);
        // Random bytes, deep or not: no panic.
        let mut x: u32 = 0x1234_5678;
        for len in 0..600 {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            for a in Attrs::new(&b) {
                for n in a.nested() {
                    let _ = n.nested().count();
                }
            }
        }
    }

    #[test]
    fn reader_is_bounds_checked() {
        let r = Reader::new(&[1, 2, 3, 4, b'a', b'b', 0, b'c']);
        assert_eq!(r.u8(0), Some(1));
        assert_eq!(r.be16(0), Some(0x0102));
        assert_eq!(r.le16(0), Some(0x0201));
        assert_eq!(r.be32(0), Some(0x0102_0304));
        assert_eq!(r.le32(0), Some(0x0403_0201));
        assert_eq!(
            r.ne32(4).map(|v| v.to_ne_bytes()),
            Some([b'a', b'b', 0, b'c'])
        );
        assert_eq!(r.ne32(5), None);
        assert_eq!(r.ne64(1), None);
        assert_eq!(r.ne16(usize::MAX), None);
        assert_eq!(r.slice(usize::MAX, 2), None);
        assert_eq!(r.array::<2>(6), Some([0, b'c']));
        assert_eq!(r.cstr(4, 4).as_deref(), Some("ab"));
        assert_eq!(r.cstr(7, 1).as_deref(), Some("c"));
        assert_eq!(r.cstr(7, 2), None);
        assert!(r.rest(100).is_empty());
    }

    #[test]
    fn messages_split_and_classify() {
        let data = [
            msg(20, 5, &[1, 2, 3, 4]),
            msg(NLMSG_NOOP, 5, &[]),
            msg(21, 6, &[]),
            msg(NLMSG_DONE, 5, &0i32.to_ne_bytes()),
        ]
        .concat();
        let steps: Vec<Step> = Messages::new(&data).map(|m| step(&m.unwrap(), 5)).collect();
        assert_eq!(steps, [Step::Reply, Step::Skip, Step::Skip, Step::End]);
        let m = Messages::new(&data).next().unwrap().unwrap();
        assert_eq!((m.kind, m.payload), (20, &[1, 2, 3, 4][..]));
        assert_eq!(m.bytes.len(), 20);
        // Errors in DONE and ERROR; the ACK; a DONE without a code.
        let failed = msg(NLMSG_DONE, 1, &(-2i32).to_ne_bytes());
        assert_eq!(
            step(&Messages::new(&failed).next().unwrap().unwrap(), 1),
            Step::Failed(2)
        );
        let err = msg(NLMSG_ERROR, 1, &(-1i32).to_ne_bytes());
        assert_eq!(
            step(&Messages::new(&err).next().unwrap().unwrap(), 1),
            Step::Failed(1)
        );
        let ack = msg(NLMSG_ERROR, 1, &[0; 20]);
        assert_eq!(
            step(&Messages::new(&ack).next().unwrap().unwrap(), 1),
            Step::End
        );
        let bare = msg(NLMSG_DONE, 1, &[]);
        assert_eq!(
            step(&Messages::new(&bare).next().unwrap().unwrap(), 1),
            Step::End
        );
        // A length that lies is one error, then the end; a short tail is nothing.
        let mut lie = msg(20, 1, &[0; 8]);
        lie[0] = 0xff;
        let mut it = Messages::new(&lie);
        assert_eq!(it.next(), Some(Err(Malformed)));
        assert_eq!(it.next(), None);
        assert_eq!(Messages::new(&[1, 2, 3]).count(), 0);
        let mut small = msg(20, 1, &[]);
        small[0] = 4;
        assert_eq!(Messages::new(&small).next(), Some(Err(Malformed)));
        for cut in 0..data.len() {
            let _ = Messages::new(&data[..cut]).count();
        }
    }

    /// A real request on the loopback namespace of this process: the links dump ends, and a
    /// request that asks the kernel for nonsense comes back as its errno.
    #[test]
    fn transact_reads_a_real_dump_and_errors() {
        // RTM_GETLINK dump with an ifinfomsg (16 bytes, family AF_UNSPEC).
        let req = message(18, NLM_F_REQUEST | NLM_F_DUMP, &[0u8; 16]);
        let mut n = 0;
        transact_bytes(0, &req, |m| {
            assert_eq!(m.kind, 16); // RTM_NEWLINK
            n += 1;
            Ok(())
        })
        .unwrap();
        assert!(n >= 1, "no interface at all");
        // RTM_GETLINK for ifindex 0x7fffffff: no such device.
        let mut body = [0u8; 16];
        body[4..8].copy_from_slice(&0x7fff_ffffi32.to_ne_bytes());
        let req = message(18, NLM_F_REQUEST | NLM_F_ACK, &body);
        let e = transact_bytes(0, &req, |_| Ok(())).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(19)); // ENODEV
                                                // A request whose header lies about its length is refused before it is sent.
        let mut bad = req.clone();
        bad[0] = 3;
        assert!(transact_bytes(0, &bad, |_| Ok(())).is_err());
    }
}
