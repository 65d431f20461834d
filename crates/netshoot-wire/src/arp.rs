//! ARP packets (RFC 826), any hardware and protocol address lengths.

use std::net::Ipv4Addr;

use crate::{be16, byte, put16, put8, put_slice, slice, Error};

/// Field ranges of the fixed part; the addresses follow at offsets that depend on the lengths.
pub mod field {
    use crate::Field;
    /// Hardware type (1: Ethernet).
    pub const HTYPE: Field = 0..2;
    /// Protocol type (0x0800: IPv4).
    pub const PTYPE: Field = 2..4;
    /// Hardware address length.
    pub const HLEN: usize = 4;
    /// Protocol address length.
    pub const PLEN: usize = 5;
    /// Operation (1 request, 2 reply).
    pub const OPER: Field = 6..8;
    /// Where the addresses begin.
    pub const ADDRESSES: usize = 8;

    /// Sender hardware address.
    pub fn sha(hlen: usize, _plen: usize) -> Field {
        ADDRESSES..ADDRESSES + hlen
    }
    /// Sender protocol address.
    pub fn spa(hlen: usize, plen: usize) -> Field {
        ADDRESSES + hlen..ADDRESSES + hlen + plen
    }
    /// Target hardware address.
    pub fn tha(hlen: usize, plen: usize) -> Field {
        ADDRESSES + hlen + plen..ADDRESSES + 2 * hlen + plen
    }
    /// Target protocol address.
    pub fn tpa(hlen: usize, plen: usize) -> Field {
        ADDRESSES + 2 * hlen + plen..ADDRESSES + 2 * hlen + 2 * plen
    }
}

/// Operation: request.
pub const OP_REQUEST: u16 = 1;
/// Operation: reply.
pub const OP_REPLY: u16 = 2;

view! {
    /// A view of an ARP packet.
    ArpPacket
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps after checking the fixed part and all four addresses are there.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Self::new_unchecked(buffer);
        let b = p.buffer.as_ref();
        if b.len() < field::ADDRESSES {
            return Err(Error::Truncated);
        }
        if b.len() < field::tpa(p.hlen(), p.plen()).end {
            return Err(Error::Truncated);
        }
        Ok(p)
    }
    /// Hardware type.
    pub fn htype(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// Protocol type.
    pub fn ptype(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }
    /// Hardware address length.
    pub fn hlen(&self) -> usize {
        usize::from(byte(self.buffer.as_ref(), field::HLEN))
    }
    /// Protocol address length.
    pub fn plen(&self) -> usize {
        usize::from(byte(self.buffer.as_ref(), field::PLEN))
    }
    /// Operation.
    pub fn oper(&self) -> u16 {
        be16(self.buffer.as_ref(), 6)
    }
    /// Sender hardware address.
    pub fn sha(&self) -> &[u8] {
        slice(self.buffer.as_ref(), field::sha(self.hlen(), self.plen()))
    }
    /// Sender protocol address.
    pub fn spa(&self) -> &[u8] {
        slice(self.buffer.as_ref(), field::spa(self.hlen(), self.plen()))
    }
    /// Target hardware address.
    pub fn tha(&self) -> &[u8] {
        slice(self.buffer.as_ref(), field::tha(self.hlen(), self.plen()))
    }
    /// Target protocol address.
    pub fn tpa(&self) -> &[u8] {
        slice(self.buffer.as_ref(), field::tpa(self.hlen(), self.plen()))
    }
    /// Ethernet/IPv4 ARP (htype 1, ptype 0x0800, lengths 6 and 4).
    pub fn is_ethernet_ipv4(&self) -> bool {
        self.htype() == 1 && self.ptype() == 0x0800 && self.hlen() == 6 && self.plen() == 4
    }
}

/// An Ethernet/IPv4 ARP packet as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpRepr {
    /// Operation (1 request, 2 reply).
    pub operation: u16,
    /// Sender MAC.
    pub source_hardware_addr: [u8; 6],
    /// Sender IPv4 address.
    pub source_protocol_addr: Ipv4Addr,
    /// Target MAC.
    pub target_hardware_addr: [u8; 6],
    /// Target IPv4 address.
    pub target_protocol_addr: Ipv4Addr,
}

/// The length of an Ethernet/IPv4 ARP packet.
pub const ETHERNET_IPV4_LEN: usize = 28;

impl ArpRepr {
    /// Reads a checked packet; `Malformed` unless it is Ethernet/IPv4.
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Result<Self, Error> {
        if !p.is_ethernet_ipv4() {
            return Err(Error::Malformed);
        }
        let six = |s: &[u8]| {
            let mut a = [0u8; 6];
            if s.len() == 6 {
                a.copy_from_slice(s);
            }
            a
        };
        let four = |s: &[u8]| {
            let mut a = [0u8; 4];
            if s.len() == 4 {
                a.copy_from_slice(s);
            }
            Ipv4Addr::from(a)
        };
        Ok(ArpRepr {
            operation: p.oper(),
            source_hardware_addr: six(p.sha()),
            source_protocol_addr: four(p.spa()),
            target_hardware_addr: six(p.tha()),
            target_protocol_addr: four(p.tpa()),
        })
    }

    /// Length of the packet.
    pub fn buffer_len(&self) -> usize {
        ETHERNET_IPV4_LEN
    }

    /// Writes the packet at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.len() < ETHERNET_IPV4_LEN {
            return Err(Error::Truncated);
        }
        put16(buf, 0, 1);
        put16(buf, 2, 0x0800);
        put8(buf, field::HLEN, 6);
        put8(buf, field::PLEN, 4);
        put16(buf, 6, self.operation);
        put_slice(buf, field::sha(6, 4), &self.source_hardware_addr);
        put_slice(buf, field::spa(6, 4), &self.source_protocol_addr.octets());
        put_slice(buf, field::tha(6, 4), &self.target_hardware_addr);
        put_slice(buf, field::tpa(6, 4), &self.target_protocol_addr.octets());
        Ok(ETHERNET_IPV4_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_parse_and_truncation() {
        let r = ArpRepr {
            operation: OP_REQUEST,
            source_hardware_addr: [2, 0, 0, 0, 0, 1],
            source_protocol_addr: Ipv4Addr::new(10, 0, 0, 1),
            target_hardware_addr: [0; 6],
            target_protocol_addr: Ipv4Addr::new(10, 0, 0, 2),
        };
        let mut b = [0u8; 28];
        r.emit(&mut b).unwrap();
        let p = ArpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(ArpRepr::parse(&p), Ok(r));
        for n in 0..28 {
            assert!(ArpPacket::new_checked(&b[..n]).is_err(), "{n}");
        }
        // Huge announced lengths are refused, not read past.
        let mut big = b;
        big[4] = 255;
        assert!(ArpPacket::new_checked(&big[..]).is_err());
    }
}
