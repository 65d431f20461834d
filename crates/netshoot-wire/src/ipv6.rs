//! IPv6 headers (RFC 8200) and the extension-header chain.
//!
//! `new_checked` verifies the version and that the 40-byte fixed header is in the buffer; as
//! for IPv4 the payload may be cut short (captures, ICMP quotes), and
//! [`Ipv6Packet::payload`] is what the buffer holds, never more than the payload length
//! announces. [`Ipv6Packet::ext_headers`] walks hop-by-hop, routing, fragment, destination
//! options and AH headers (at most [`MAX_EXT_HEADERS`]); [`Ipv6Packet::upper_layer`] returns the
//! upper protocol and where it begins.

use std::net::Ipv6Addr;

use crate::{be16, be32, byte, ip_proto, put16, put32, put8, put_slice, slice, Error};

/// Field ranges.
pub mod field {
    use crate::Field;
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VER_TC_FLOW: Field = 0..4;
    /// Payload length (extension headers included).
    pub const LENGTH: Field = 4..6;
    /// Next header.
    pub const NXT_HDR: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SRC_ADDR: Field = 8..24;
    /// Destination address.
    pub const DST_ADDR: Field = 24..40;
}

/// Fixed header length.
pub const HEADER_LEN: usize = 40;
/// The most extension headers walked before giving up.
pub const MAX_EXT_HEADERS: usize = 16;

view! {
    /// A view of an IPv6 packet.
    Ipv6Packet
}

/// One extension header in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtHeader {
    /// Its kind (the next-header value that announced it: 0, 43, 44, 51, 60).
    pub kind: u8,
    /// Where it begins, from the start of the IPv6 header.
    pub offset: usize,
    /// Its length in bytes.
    pub len: usize,
    /// The next header it announces.
    pub next_header: u8,
}

/// A fragment header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Fragment offset in bytes.
    pub offset: u16,
    /// More fragments follow.
    pub more: bool,
    /// Identification.
    pub ident: u32,
}

/// Where the upper-layer protocol begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// The upper protocol (6, 17, 58, …; 59 when there is none; or an extension header kind
    /// the walk stopped at because it was cut short).
    pub protocol: u8,
    /// Its offset from the start of the IPv6 header.
    pub offset: usize,
    /// The fragment header, when there is one.
    pub fragment: Option<Ipv6Fragment>,
}

/// True for the next-header values the walker steps over.
pub fn is_ext_header(kind: u8) -> bool {
    matches!(
        kind,
        ip_proto::HOP_BY_HOP
            | ip_proto::IPV6_ROUTING
            | ip_proto::IPV6_FRAGMENT
            | ip_proto::AH
            | ip_proto::IPV6_DEST_OPTS
    )
}

/// The extension headers of a packet, in order.
#[derive(Debug, Clone)]
pub struct ExtHeaders<'a> {
    buf: &'a [u8],
    next: u8,
    offset: usize,
    count: usize,
    failed: Option<Error>,
}

impl<'a> ExtHeaders<'a> {
    /// The next header after the last one yielded, and where it begins.
    pub fn position(&self) -> (u8, usize) {
        (self.next, self.offset)
    }
    /// Why the walk stopped early, if it did (a header cut short, or too many).
    pub fn error(&self) -> Option<Error> {
        self.failed
    }
}

impl Iterator for ExtHeaders<'_> {
    type Item = ExtHeader;
    fn next(&mut self) -> Option<ExtHeader> {
        if self.failed.is_some() || !is_ext_header(self.next) {
            return None;
        }
        if self.count >= MAX_EXT_HEADERS {
            self.failed = Some(Error::Malformed);
            return None;
        }
        let b = self.buf;
        let (Some(&nh), Some(&l)) = (b.get(self.offset), b.get(self.offset + 1)) else {
            self.failed = Some(Error::Truncated);
            return None;
        };
        let len = match self.next {
            ip_proto::IPV6_FRAGMENT => 8,
            ip_proto::AH => (usize::from(l) + 2) * 4,
            _ => (usize::from(l) + 1) * 8,
        };
        if b.len() < self.offset + len {
            self.failed = Some(Error::Truncated);
            return None;
        }
        let h = ExtHeader {
            kind: self.next,
            offset: self.offset,
            len,
            next_header: nh,
        };
        self.next = nh;
        self.offset += len;
        self.count += 1;
        Some(h)
    }
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks the fixed header is there and the version is 6.
    pub fn check_len(&self) -> Result<(), Error> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 6 {
            return Err(Error::Malformed);
        }
        Ok(())
    }

    /// Version (6).
    pub fn version(&self) -> u8 {
        byte(self.buffer.as_ref(), 0) >> 4
    }
    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        ((be32(self.buffer.as_ref(), 0) >> 20) & 0xff) as u8
    }
    /// Flow label.
    pub fn flow_label(&self) -> u32 {
        be32(self.buffer.as_ref(), 0) & 0x000f_ffff
    }
    /// Payload length as announced (extension headers included).
    pub fn payload_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH.start)
    }
    /// Next header (the first extension header or the upper protocol).
    pub fn next_header(&self) -> u8 {
        byte(self.buffer.as_ref(), field::NXT_HDR)
    }
    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        byte(self.buffer.as_ref(), field::HOP_LIMIT)
    }
    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(crate::array::<16>(self.buffer.as_ref(), field::SRC_ADDR))
    }
    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(crate::array::<16>(self.buffer.as_ref(), field::DST_ADDR))
    }
    /// The packet as far as the buffer and the payload length go.
    fn bounded(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end =
            (HEADER_LEN + usize::from(self.payload_len())).clamp(HEADER_LEN.min(b.len()), b.len());
        slice(b, 0..end)
    }
    /// The payload the buffer holds (extension headers included), at most the announced length.
    pub fn payload(&self) -> &[u8] {
        let b = self.bounded();
        slice(b, HEADER_LEN.min(b.len())..b.len())
    }
    /// The buffer holds less than the payload length announces.
    pub fn is_truncated(&self) -> bool {
        self.buffer.as_ref().len() < HEADER_LEN + usize::from(self.payload_len())
    }
    /// The extension headers.
    pub fn ext_headers(&self) -> ExtHeaders<'_> {
        ExtHeaders {
            buf: self.bounded(),
            next: self.next_header(),
            offset: HEADER_LEN,
            count: 0,
            failed: None,
        }
    }
    /// The upper-layer protocol after the extension headers, and its offset. A chain cut short
    /// stops at the header that did not fit (its kind is then the protocol); more than
    /// [`MAX_EXT_HEADERS`] is `Malformed`.
    pub fn upper_layer(&self) -> Result<UpperLayer, Error> {
        let b = self.bounded();
        let mut it = self.ext_headers();
        let mut fragment = None;
        for h in it.by_ref() {
            if h.kind == ip_proto::IPV6_FRAGMENT {
                let w = be16(b, h.offset + 2);
                fragment = Some(Ipv6Fragment {
                    offset: w & 0xfff8,
                    more: w & 1 != 0,
                    ident: be32(b, h.offset + 4),
                });
            }
        }
        if it.error() == Some(Error::Malformed) {
            return Err(Error::Malformed);
        }
        let (protocol, offset) = it.position();
        Ok(UpperLayer {
            protocol,
            offset,
            fragment,
        })
    }
    /// The upper-layer bytes (after the extension headers), as far as the buffer goes.
    pub fn upper_payload(&self) -> Result<(u8, &[u8]), Error> {
        let u = self.upper_layer()?;
        let b = self.bounded();
        Ok((u.protocol, slice(b, u.offset.min(b.len())..b.len())))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    /// Sets version 6, the traffic class and the flow label.
    pub fn set_version_tc_flow(&mut self, tc: u8, flow: u32) {
        let w = (6u32 << 28) | (u32::from(tc) << 20) | (flow & 0x000f_ffff);
        put32(self.buffer.as_mut(), 0, w);
    }
    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::LENGTH.start, v);
    }
    /// Sets the next header.
    pub fn set_next_header(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::NXT_HDR, v);
    }
    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::HOP_LIMIT, v);
    }
    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        put_slice(self.buffer.as_mut(), field::SRC_ADDR, &a.octets());
    }
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        put_slice(self.buffer.as_mut(), field::DST_ADDR, &a.octets());
    }
    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        let b = self.buffer.as_mut();
        let start = HEADER_LEN.min(b.len());
        let end = end.clamp(start, b.len());
        b.get_mut(start..end).unwrap_or_default()
    }
}

/// An IPv6 header as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Next header.
    pub next_header: u8,
    /// Payload length (extension headers included).
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label.
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// A plain header: hop limit 64, traffic class and flow label 0.
    pub fn new(
        src_addr: Ipv6Addr,
        dst_addr: Ipv6Addr,
        next_header: u8,
        payload_len: usize,
    ) -> Self {
        Ipv6Repr {
            src_addr,
            dst_addr,
            next_header,
            payload_len,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
        }
    }

    /// Reads a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<Self, Error> {
        p.check_len()?;
        Ok(Ipv6Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: usize::from(p.payload_len()),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
        })
    }

    /// Header length.
    pub fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header and payload length.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Writes the header at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.payload_len > 0xffff {
            return Err(Error::Malformed);
        }
        let Some(h) = buf.get_mut(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        let mut p = Ipv6Packet::new_unchecked(h);
        p.set_version_tc_flow(self.traffic_class, self.flow_label);
        p.set_payload_len(self.payload_len as u16);
        p.set_next_header(self.next_header);
        p.set_hop_limit(self.hop_limit);
        p.set_src_addr(self.src_addr);
        p.set_dst_addr(self.dst_addr);
        Ok(HEADER_LEN)
    }
}

/// Slices borrowed from the underlying buffer (they outlive the view).
impl<'a> Ipv6Packet<&'a [u8]> {
    /// [`Ipv6Packet::payload`], borrowed from the buffer.
    pub fn payload_slice(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        let end =
            (HEADER_LEN + usize::from(self.payload_len())).clamp(HEADER_LEN.min(b.len()), b.len());
        slice(b, HEADER_LEN.min(end)..end)
    }
    /// [`Ipv6Packet::upper_payload`], borrowed from the buffer.
    pub fn upper_payload_slice(&self) -> Result<(u8, &'a [u8]), Error> {
        let u = self.upper_layer()?;
        let b: &'a [u8] = self.buffer;
        let end =
            (HEADER_LEN + usize::from(self.payload_len())).clamp(HEADER_LEN.min(b.len()), b.len());
        Ok((u.protocol, slice(b, u.offset.min(end)..end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(next: u8, len: usize) -> Ipv6Repr {
        Ipv6Repr::new(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            next,
            len,
        )
    }

    #[test]
    fn emit_parse_and_truncation() {
        let mut r = repr(17, 8);
        r.traffic_class = 0xb8;
        r.flow_label = 0x12345;
        let mut b = vec![0u8; 48];
        r.emit(&mut b).unwrap();
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&p), Ok(r));
        assert_eq!(p.payload().len(), 8);
        assert_eq!(
            p.upper_layer(),
            Ok(UpperLayer {
                protocol: 17,
                offset: 40,
                fragment: None
            })
        );
        for n in 0..40 {
            assert_eq!(
                Ipv6Packet::new_checked(&b[..n]).err(),
                Some(Error::Truncated)
            );
        }
        b[0] = 0x40;
        assert_eq!(
            Ipv6Packet::new_checked(&b[..]).err(),
            Some(Error::Malformed)
        );
    }

    #[test]
    fn extension_headers_are_walked_to_the_upper_layer() {
        // hop-by-hop (8) → routing (16) → fragment (8) → destination options (8) → TCP.
        let mut b = vec![0u8; 40 + 8 + 16 + 8 + 8 + 20];
        repr(0, b.len() - 40).emit(&mut b).unwrap();
        b[40] = 43;
        b[48] = 44;
        b[49] = 1;
        b[64] = 60;
        b[66..68].copy_from_slice(&(0x0100u16 | 1).to_be_bytes());
        b[68..72].copy_from_slice(&7u32.to_be_bytes());
        b[72] = 6;
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        let kinds: Vec<u8> = p.ext_headers().map(|h| h.kind).collect();
        assert_eq!(kinds, [0, 43, 44, 60]);
        let u = p.upper_layer().unwrap();
        assert_eq!((u.protocol, u.offset), (6, 80));
        assert_eq!(
            u.fragment,
            Some(Ipv6Fragment {
                offset: 256,
                more: true,
                ident: 7
            })
        );
        // Cut inside the routing header: the walk stops there.
        let p = Ipv6Packet::new_checked(&b[..60]).unwrap();
        assert_eq!(
            p.upper_layer().map(|u| (u.protocol, u.offset)),
            Ok((43, 48))
        );
    }

    #[test]
    fn an_endless_chain_is_refused() {
        let n = MAX_EXT_HEADERS + 2;
        let mut b = vec![0u8; 40 + 8 * n];
        repr(60, 8 * n).emit(&mut b).unwrap();
        for i in 0..n {
            b[40 + 8 * i] = 60;
        }
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.upper_layer(), Err(Error::Malformed));
    }
}
