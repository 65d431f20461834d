//! UDP headers (RFC 768).

use std::net::IpAddr;

use crate::{be16, checksum, ip_proto, put16, slice, Error};

/// Field ranges.
pub mod field {
    use crate::{Field, Rest};
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Length (header and data).
    pub const LENGTH: Field = 4..6;
    /// Checksum.
    pub const CHECKSUM: Field = 6..8;
    /// Data.
    pub const PAYLOAD: Rest = 8..;
}

/// Header length.
pub const HEADER_LEN: usize = 8;

view! {
    /// A view of a UDP datagram. `new_checked` verifies the 8-byte header; the data is what the
    /// buffer holds, never more than the length field announces.
    UdpPacket, min = HEADER_LEN
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }
    /// Length field.
    pub fn len(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }
    /// The length field says no data.
    pub fn is_empty(&self) -> bool {
        self.len() <= HEADER_LEN as u16
    }
    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), 6)
    }
    /// The data the buffer holds, up to the length field.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let start = HEADER_LEN.min(b.len());
        let end = usize::from(self.len()).clamp(start, b.len());
        slice(b, start..end)
    }
    /// The checksum verifies (or is zero, "none", over IPv4) over the pseudo-header and the
    /// whole buffer.
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        if src.is_ipv4() && self.checksum() == 0 {
            return true;
        }
        let b = self.buffer.as_ref();
        checksum::pseudo_header(src, dst, ip_proto::UDP, b.len() as u32)
            .is_some_and(|p| checksum::verify(&[p, checksum::data(b)]))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 0, v);
    }
    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 2, v);
    }
    /// Sets the length field.
    pub fn set_len(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 4, v);
    }
    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 6, v);
    }
    /// The data, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let b = self.buffer.as_mut();
        let n = b.len();
        b.get_mut(HEADER_LEN.min(n)..).unwrap_or_default()
    }
    /// Computes and writes the checksum over the pseudo-header and the whole buffer (0xffff
    /// for a computed zero).
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        if let Some(p) = checksum::pseudo_header(src, dst, ip_proto::UDP, b.len() as u32) {
            let c = checksum::finish(&[p, checksum::data(b)]);
            self.set_checksum(if c == 0 { 0xffff } else { c });
        }
    }
}

/// A UDP header as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Data length.
    pub payload_len: usize,
}

impl UdpRepr {
    /// Reads a checked datagram (the data length from the length field).
    pub fn parse<T: AsRef<[u8]>>(p: &UdpPacket<T>) -> Result<Self, Error> {
        if usize::from(p.len()) < HEADER_LEN {
            return Err(Error::Malformed);
        }
        Ok(UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload_len: usize::from(p.len()) - HEADER_LEN,
        })
    }
    /// Header and data length.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }
    /// Writes the header (checksum zero: see [`UdpPacket::fill_checksum`]) at the start of
    /// `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.buffer_len() > 0xffff {
            return Err(Error::Malformed);
        }
        let Some(h) = buf.get_mut(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        let mut p = UdpPacket::new_unchecked(h);
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(self.buffer_len() as u16);
        p.set_checksum(0);
        Ok(HEADER_LEN)
    }
}

/// Slices borrowed from the underlying buffer (they outlive the view).
impl<'a> UdpPacket<&'a [u8]> {
    /// [`UdpPacket::payload`], borrowed from the buffer.
    pub fn payload_slice(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        let start = HEADER_LEN.min(b.len());
        let end = usize::from(self.len()).clamp(start, b.len());
        slice(b, start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_parse_checksum() {
        let r = UdpRepr {
            src_port: 1234,
            dst_port: 53,
            payload_len: 2,
        };
        let mut b = [0u8; 10];
        r.emit(&mut b).unwrap();
        b[8..].copy_from_slice(b"ab");
        let (s, d): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        UdpPacket::new_unchecked(&mut b[..]).fill_checksum(&s, &d);
        // The value computed by hand in checksum's tests.
        assert_eq!(&b[6..8], &[0x85, 0x6e]);
        let p = UdpPacket::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum(&s, &d));
        assert_eq!(UdpRepr::parse(&p), Ok(r));
        assert_eq!(p.payload(), b"ab");
        for n in 0..8 {
            assert!(UdpPacket::new_checked(&b[..n]).is_err());
        }
        // A length field below 8 gives no data, not a panic; parse refuses it.
        b[4] = 0;
        b[5] = 3;
        let p = UdpPacket::new_checked(&b[..]).unwrap();
        assert!(p.payload().is_empty());
        assert_eq!(UdpRepr::parse(&p), Err(Error::Malformed));
    }
}
