//! 802.1Q / 802.1ad VLAN tags (the four bytes after the TPID).

use crate::{be16, put16, Error};

/// Field ranges (from the TCI, i.e. after the frame's TPID).
pub mod field {
    use crate::{Field, Rest};
    /// Tag control information: PCP (3 bits), DEI (1), VID (12).
    pub const TCI: Field = 0..2;
    /// The EtherType of what follows.
    pub const ETHERTYPE: Field = 2..4;
    /// The payload.
    pub const PAYLOAD: Rest = 4..;
}

/// Header length.
pub const HEADER_LEN: usize = 4;

view! {
    /// A view of a VLAN tag.
    VlanHeader, min = HEADER_LEN
}

tail!(VlanHeader, HEADER_LEN, payload, payload_slice, payload_mut);

impl<T: AsRef<[u8]>> VlanHeader<T> {
    /// Priority code point.
    pub fn pcp(&self) -> u8 {
        (be16(self.buffer.as_ref(), 0) >> 13) as u8
    }
    /// Drop eligible indicator.
    pub fn dei(&self) -> bool {
        be16(self.buffer.as_ref(), 0) & 0x1000 != 0
    }
    /// VLAN identifier.
    pub fn vid(&self) -> u16 {
        be16(self.buffer.as_ref(), 0) & 0x0fff
    }
    /// The whole TCI.
    pub fn tci(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// EtherType of what follows.
    pub fn ethertype(&self) -> u16 {
        be16(self.buffer.as_ref(), field::ETHERTYPE.start)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VlanHeader<T> {
    /// Sets the TCI.
    pub fn set_tci(&mut self, tci: u16) {
        put16(self.buffer.as_mut(), 0, tci);
    }
    /// Sets the inner EtherType.
    pub fn set_ethertype(&mut self, t: u16) {
        put16(self.buffer.as_mut(), field::ETHERTYPE.start, t);
    }
}

/// Writes a tag (TCI, inner EtherType) at the start of `buf`; returns its length.
pub fn emit(tci: u16, ethertype: u16, buf: &mut [u8]) -> Result<usize, Error> {
    if buf.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    let mut h = VlanHeader::new_unchecked(buf);
    h.set_tci(tci);
    h.set_ethertype(ethertype);
    Ok(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_truncation() {
        let mut b = [0u8; 6];
        emit(0xa00a, 0x0800, &mut b).unwrap();
        let h = VlanHeader::new_checked(&b[..]).unwrap();
        assert_eq!(
            (h.pcp(), h.dei(), h.vid(), h.ethertype()),
            (5, false, 10, 0x0800)
        );
        assert_eq!(h.payload().len(), 2);
        assert!(VlanHeader::new_checked(&b[..3]).is_err());
    }
}
