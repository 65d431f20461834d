//! IPv4 headers (RFC 791).
//!
//! `new_checked` verifies the version, that the header length (IHL) is at least 20 bytes and
//! that the whole header (options included) is in the buffer. The total length is *not*
//! required to fit: captures are cut at a snap length and ICMP errors quote only the start of a
//! datagram. [`Ipv4Packet::payload`] is what the buffer holds of the payload, never more than
//! the total length announces.

use std::net::Ipv4Addr;

use crate::{be16, byte, checksum, put16, put8, put_slice, slice, Error};

/// Field ranges.
pub mod field {
    use crate::Field;
    /// Version (high nibble) and IHL (low nibble, in 32-bit words).
    pub const VER_IHL: usize = 0;
    /// DSCP and ECN.
    pub const TOS: usize = 1;
    /// Total length.
    pub const LENGTH: Field = 2..4;
    /// Identification.
    pub const IDENT: Field = 4..6;
    /// Flags (DF 0x4000, MF 0x2000) and fragment offset (in 8-byte units).
    pub const FLG_OFF: Field = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: Field = 10..12;
    /// Source address.
    pub const SRC_ADDR: Field = 12..16;
    /// Destination address.
    pub const DST_ADDR: Field = 16..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// Longest header (IHL 15).
pub const MAX_HEADER_LEN: usize = 60;

view! {
    /// A view of an IPv4 packet.
    Ipv4Packet
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks the version is 4, IHL >= 5 and the whole header is in the buffer.
    pub fn check_len(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 4 || self.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if b.len() < self.header_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Version (4).
    pub fn version(&self) -> u8 {
        byte(self.buffer.as_ref(), field::VER_IHL) >> 4
    }
    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(byte(self.buffer.as_ref(), field::VER_IHL) & 0x0f) * 4
    }
    /// DSCP and ECN byte.
    pub fn tos(&self) -> u8 {
        byte(self.buffer.as_ref(), field::TOS)
    }
    /// Total length (header and payload) as announced.
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH.start)
    }
    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::IDENT.start)
    }
    /// The flags and fragment offset word.
    pub fn flags_frag(&self) -> u16 {
        be16(self.buffer.as_ref(), field::FLG_OFF.start)
    }
    /// Don't fragment.
    pub fn dont_frag(&self) -> bool {
        self.flags_frag() & 0x4000 != 0
    }
    /// More fragments.
    pub fn more_frags(&self) -> bool {
        self.flags_frag() & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (self.flags_frag() & 0x1fff) << 3
    }
    /// A fragment (MF set or an offset).
    pub fn is_fragment(&self) -> bool {
        self.flags_frag() & 0x3fff != 0
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        byte(self.buffer.as_ref(), field::TTL)
    }
    /// Protocol of the payload.
    pub fn protocol(&self) -> u8 {
        byte(self.buffer.as_ref(), field::PROTOCOL)
    }
    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM.start)
    }
    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(crate::array::<4>(self.buffer.as_ref(), field::SRC_ADDR))
    }
    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(crate::array::<4>(self.buffer.as_ref(), field::DST_ADDR))
    }
    /// The options (between the fixed header and the payload).
    pub fn options(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = self.header_len().min(b.len()).max(HEADER_LEN.min(b.len()));
        slice(b, HEADER_LEN.min(end)..end)
    }
    /// The whole header.
    pub fn header(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        slice(b, 0..self.header_len().min(b.len()))
    }
    /// The payload the buffer holds: from the header's end to the total length or the buffer's
    /// end, whichever comes first.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let start = self.header_len().min(b.len());
        let end = usize::from(self.total_len()).clamp(start, b.len());
        slice(b, start..end)
    }
    /// Everything after the header, whatever the total length says (raw IPv4 sockets deliver
    /// the header of a received datagram; its length field is not to be trusted there).
    pub fn after_header(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        slice(b, self.header_len().min(b.len())..b.len())
    }
    /// The buffer holds less than the total length announces.
    pub fn is_truncated(&self) -> bool {
        self.buffer.as_ref().len() < usize::from(self.total_len())
    }
    /// The header checksum verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(&[checksum::data(self.header())])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets version 4 and the header length in bytes (a multiple of 4, 20..=60).
    pub fn set_header_len(&mut self, len: usize) {
        put8(
            self.buffer.as_mut(),
            field::VER_IHL,
            0x40 | ((len / 4) as u8 & 0x0f),
        );
    }
    /// Sets the DSCP/ECN byte.
    pub fn set_tos(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::TOS, v);
    }
    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::LENGTH.start, v);
    }
    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::IDENT.start, v);
    }
    /// Sets the flags and fragment offset word.
    pub fn set_flags_frag(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::FLG_OFF.start, v);
    }
    /// Sets the TTL.
    pub fn set_ttl(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::TTL, v);
    }
    /// Sets the protocol.
    pub fn set_protocol(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::PROTOCOL, v);
    }
    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.buffer.as_mut(), field::CHECKSUM.start, v);
    }
    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        put_slice(self.buffer.as_mut(), field::SRC_ADDR, &a.octets());
    }
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        put_slice(self.buffer.as_mut(), field::DST_ADDR, &a.octets());
    }
    /// The options, writable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let b = self.buffer.as_mut();
        let end = hl.min(b.len()).max(HEADER_LEN.min(b.len()));
        b.get_mut(HEADER_LEN.min(end)..end).unwrap_or_default()
    }
    /// The payload, writable (as far as the buffer and the total length go).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let total = usize::from(self.total_len());
        let b = self.buffer.as_mut();
        let start = hl.min(b.len());
        let end = total.clamp(start, b.len());
        b.get_mut(start..end).unwrap_or_default()
    }
    /// Computes and writes the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::finish(&[checksum::data(self.header())]);
        self.set_checksum(c);
    }
}

/// An IPv4 header as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub protocol: u8,
    /// Payload length (total length minus the header).
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// DSCP/ECN byte.
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// Flags and fragment offset word as on the wire (DF 0x4000, MF 0x2000, offset / 8).
    pub flags_frag: u16,
    /// Options length in bytes (a multiple of 4, at most 40); `emit` leaves them zero for the
    /// caller to write through [`Ipv4Packet::options_mut`].
    pub options_len: usize,
}

impl Ipv4Repr {
    /// A plain header: no options, not a fragment, ident 0, TTL 64.
    pub fn new(src_addr: Ipv4Addr, dst_addr: Ipv4Addr, protocol: u8, payload_len: usize) -> Self {
        Ipv4Repr {
            src_addr,
            dst_addr,
            protocol,
            payload_len,
            ttl: 64,
            tos: 0,
            ident: 0,
            flags_frag: 0,
            options_len: 0,
        }
    }

    /// Reads a checked packet (the payload length from the total length, not the buffer).
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Result<Self, Error> {
        p.check_len()?;
        Ok(Ipv4Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()).saturating_sub(p.header_len()),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            flags_frag: p.flags_frag(),
            options_len: p.header_len() - HEADER_LEN,
        })
    }

    /// Header length (with options).
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len
    }

    /// Header and payload length.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Writes the header (options zero, checksum filled) at the start of `buf`; returns the
    /// header length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let hl = self.header_len();
        if self.options_len % 4 != 0 || hl > MAX_HEADER_LEN || self.buffer_len() > 0xffff {
            return Err(Error::Malformed);
        }
        let Some(h) = buf.get_mut(..hl) else {
            return Err(Error::Truncated);
        };
        h.fill(0);
        let mut p = Ipv4Packet::new_unchecked(h);
        p.set_header_len(hl);
        p.set_tos(self.tos);
        p.set_total_len(self.buffer_len() as u16);
        p.set_ident(self.ident);
        p.set_flags_frag(self.flags_frag);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src_addr(self.src_addr);
        p.set_dst_addr(self.dst_addr);
        p.fill_checksum();
        Ok(hl)
    }
}

/// Slices borrowed from the underlying buffer (they outlive the view).
impl<'a> Ipv4Packet<&'a [u8]> {
    /// [`Ipv4Packet::payload`], borrowed from the buffer.
    pub fn payload_slice(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        let start = self.header_len().min(b.len());
        let end = usize::from(self.total_len()).clamp(start, b.len());
        slice(b, start..end)
    }
    /// [`Ipv4Packet::after_header`], borrowed from the buffer.
    pub fn after_header_slice(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        slice(b, self.header_len().min(b.len())..b.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    #[test]
    fn a_known_header_parses_and_verifies() {
        let p = Ipv4Packet::new_checked(&KNOWN[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(p.src_addr(), Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(192, 168, 0, 199));
        assert_eq!((p.protocol(), p.ttl(), p.dont_frag()), (17, 64, true));
        assert!(p.is_truncated());
        assert!(p.payload().is_empty());
        let r = Ipv4Repr::parse(&p).unwrap();
        let mut b = [0u8; 20];
        r.emit(&mut b).unwrap();
        assert_eq!(b, KNOWN);
    }

    #[test]
    fn emit_then_parse_with_options() {
        let mut r = Ipv4Repr::new(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 6, 3);
        r.options_len = 4;
        r.flags_frag = 0x2001;
        let mut b = vec![0u8; r.buffer_len() + 2];
        assert_eq!(r.emit(&mut b), Ok(24));
        let mut p = Ipv4Packet::new_checked(&mut b[..]).unwrap();
        p.options_mut().copy_from_slice(&[0x94, 4, 0, 0]);
        p.payload_mut().copy_from_slice(b"abc");
        p.fill_checksum();
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(p.options(), &[0x94, 4, 0, 0]);
        // The payload stops at the total length, not the buffer.
        assert_eq!(p.payload(), b"abc");
        assert_eq!(
            (p.more_frags(), p.frag_offset(), p.is_fragment()),
            (true, 8, true)
        );
        assert_eq!(Ipv4Repr::parse(&p), Ok(r));
    }

    #[test]
    fn truncated_and_corrupt_headers_are_refused() {
        for n in 0..20 {
            assert_eq!(
                Ipv4Packet::new_checked(&KNOWN[..n]).err(),
                Some(Error::Truncated)
            );
        }
        for ihl in 0..5u8 {
            let mut b = KNOWN;
            b[0] = 0x40 | ihl;
            assert_eq!(
                Ipv4Packet::new_checked(&b[..]).err(),
                Some(Error::Malformed)
            );
        }
        let mut b = KNOWN;
        b[0] = 0x46; // 24-byte header in a 20-byte buffer
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).err(),
            Some(Error::Truncated)
        );
        b[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).err(),
            Some(Error::Malformed)
        );
        let mut b = KNOWN;
        b[15] ^= 1;
        assert!(!Ipv4Packet::new_checked(&b[..]).unwrap().verify_checksum());
        // A total length shorter than the header gives an empty payload, not a panic.
        let mut b = [0u8; 30];
        b[..20].copy_from_slice(&KNOWN);
        b[2] = 0;
        b[3] = 4;
        assert!(Ipv4Packet::new_checked(&b[..])
            .unwrap()
            .payload()
            .is_empty());
    }
}
