//! VXLAN headers (RFC 7348), the eight bytes after the UDP header.

use crate::{be32, byte, put32, put8, Error};

/// Field ranges.
pub mod field {
    use crate::{Field, Rest};
    /// Flags (0x08: the VNI is valid).
    pub const FLAGS: Field = 0..1;
    /// The VNI (24 bits) and a reserved byte.
    pub const VNI: Field = 4..8;
    /// The inner Ethernet frame.
    pub const PAYLOAD: Rest = 8..;
}

/// Header length.
pub const HEADER_LEN: usize = 8;
/// The "VNI valid" flag.
pub const FLAG_I: u8 = 0x08;
/// The UDP port VXLAN uses (IANA).
pub const PORT: u16 = 4789;

view! {
    /// A view of a VXLAN header.
    VxlanHeader, min = HEADER_LEN
}

tail!(VxlanHeader, HEADER_LEN, payload, payload_slice, payload_mut);

impl<T: AsRef<[u8]>> VxlanHeader<T> {
    /// Flags.
    pub fn flags(&self) -> u8 {
        byte(self.buffer.as_ref(), 0)
    }
    /// The VXLAN network identifier.
    pub fn vni(&self) -> u32 {
        be32(self.buffer.as_ref(), field::VNI.start) >> 8
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VxlanHeader<T> {
    /// Sets the flags.
    pub fn set_flags(&mut self, f: u8) {
        put8(self.buffer.as_mut(), 0, f);
    }
    /// Sets the VNI (24 bits).
    pub fn set_vni(&mut self, vni: u32) {
        put32(
            self.buffer.as_mut(),
            field::VNI.start,
            (vni & 0x00ff_ffff) << 8,
        );
    }
}

/// Writes a VXLAN header with the I flag and `vni` at the start of `buf`.
pub fn emit(vni: u32, buf: &mut [u8]) -> Result<usize, Error> {
    if buf.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    buf[..HEADER_LEN].fill(0);
    let mut h = VxlanHeader::new_unchecked(buf);
    h.set_flags(FLAG_I);
    h.set_vni(vni);
    Ok(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_truncation() {
        let mut b = [0u8; 9];
        emit(4096, &mut b).unwrap();
        assert_eq!(&b[..8], &[8, 0, 0, 0, 0, 0x10, 0, 0]);
        let h = VxlanHeader::new_checked(&b[..]).unwrap();
        assert_eq!((h.flags(), h.vni(), h.payload().len()), (8, 4096, 1));
        assert!(VxlanHeader::new_checked(&b[..7]).is_err());
    }
}
