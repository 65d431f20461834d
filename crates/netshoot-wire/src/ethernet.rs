//! Ethernet II frames.

use crate::{array, be16, put16, put_slice, Error};

/// Field ranges.
pub mod field {
    use crate::{Field, Rest};
    /// Destination MAC.
    pub const DESTINATION: Field = 0..6;
    /// Source MAC.
    pub const SOURCE: Field = 6..12;
    /// EtherType (or TPID of a VLAN tag).
    pub const ETHERTYPE: Field = 12..14;
    /// The payload.
    pub const PAYLOAD: Rest = 14..;
}

/// Header length.
pub const HEADER_LEN: usize = 14;

/// EtherTypes netshoot names.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad (QinQ) service tag.
    pub const QINQ: u16 = 0x88a8;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// The pre-802.1ad QinQ tag some switches use.
    pub const QINQ_LEGACY: u16 = 0x9100;

    /// True for the TPIDs of a VLAN tag (802.1Q, 802.1ad, 0x9100).
    pub fn is_vlan_tag(t: u16) -> bool {
        matches!(t, VLAN | QINQ | QINQ_LEGACY)
    }
}

view! {
    /// A view of an Ethernet II frame.
    EthernetFrame
}

tail!(
    EthernetFrame,
    HEADER_LEN,
    payload,
    payload_slice,
    payload_mut
);

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps `buffer` after checking it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Checks the buffer holds a whole header.
    pub fn check_len(&self) -> Result<(), Error> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Destination MAC.
    pub fn dst_addr(&self) -> [u8; 6] {
        array(self.buffer.as_ref(), field::DESTINATION)
    }

    /// Source MAC.
    pub fn src_addr(&self) -> [u8; 6] {
        array(self.buffer.as_ref(), field::SOURCE)
    }

    /// EtherType (0x8100 / 0x88a8 when a VLAN tag follows).
    pub fn ethertype(&self) -> u16 {
        be16(self.buffer.as_ref(), field::ETHERTYPE.start)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC.
    pub fn set_dst_addr(&mut self, a: [u8; 6]) {
        put_slice(self.buffer.as_mut(), field::DESTINATION, &a);
    }
    /// Sets the source MAC.
    pub fn set_src_addr(&mut self, a: [u8; 6]) {
        put_slice(self.buffer.as_mut(), field::SOURCE, &a);
    }
    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, t: u16) {
        put16(self.buffer.as_mut(), field::ETHERTYPE.start, t);
    }
}

/// An Ethernet header as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetRepr {
    /// Source MAC.
    pub src_addr: [u8; 6],
    /// Destination MAC.
    pub dst_addr: [u8; 6],
    /// EtherType.
    pub ethertype: u16,
}

impl EthernetRepr {
    /// Reads a checked frame.
    pub fn parse<T: AsRef<[u8]>>(f: &EthernetFrame<T>) -> Result<Self, Error> {
        f.check_len()?;
        Ok(EthernetRepr {
            src_addr: f.src_addr(),
            dst_addr: f.dst_addr(),
            ethertype: f.ethertype(),
        })
    }

    /// Header length.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let mut f = EthernetFrame::new_unchecked(buf);
        f.set_dst_addr(self.dst_addr);
        f.set_src_addr(self.src_addr);
        f.set_ethertype(self.ethertype);
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_parse_and_truncation() {
        let r = EthernetRepr {
            src_addr: [2, 0, 0, 0, 0, 1],
            dst_addr: [0xff; 6],
            ethertype: ethertype::ARP,
        };
        let mut b = [0u8; 16];
        assert_eq!(r.emit(&mut b), Ok(14));
        b[14] = 7;
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&f), Ok(r));
        assert_eq!(f.payload(), &[7, 0]);
        for n in 0..14 {
            assert_eq!(
                EthernetFrame::new_checked(&b[..n]).err(),
                Some(Error::Truncated)
            );
        }
        assert!(r.emit(&mut [0u8; 13]).is_err());
    }
}
