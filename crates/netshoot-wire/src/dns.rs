//! The DNS message header (RFC 1035 §4.1.1); names and records are `netshoot-dns`'s business.

use crate::{be16, put16};

/// Field ranges.
pub mod field {
    use crate::{Field, Rest};
    /// Identifier.
    pub const ID: Field = 0..2;
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub const FLAGS: Field = 2..4;
    /// Question count.
    pub const QDCOUNT: Field = 4..6;
    /// Answer count.
    pub const ANCOUNT: Field = 6..8;
    /// Authority count.
    pub const NSCOUNT: Field = 8..10;
    /// Additional count.
    pub const ARCOUNT: Field = 10..12;
    /// Questions and records.
    pub const BODY: Rest = 12..;
}

/// Header length.
pub const HEADER_LEN: usize = 12;

view! {
    /// A view of a DNS header.
    DnsHeader, min = HEADER_LEN
}

tail!(DnsHeader, HEADER_LEN, body, body_slice, body_mut);

impl<T: AsRef<[u8]>> DnsHeader<T> {
    /// Identifier.
    pub fn id(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// The flags word.
    pub fn flags(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }
    /// A response (QR set).
    pub fn is_response(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    /// Opcode.
    pub fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xf) as u8
    }
    /// Authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags() & 0x0400 != 0
    }
    /// Truncated.
    pub fn tc(&self) -> bool {
        self.flags() & 0x0200 != 0
    }
    /// Recursion desired.
    pub fn rd(&self) -> bool {
        self.flags() & 0x0100 != 0
    }
    /// Recursion available.
    pub fn ra(&self) -> bool {
        self.flags() & 0x0080 != 0
    }
    /// Authentic data.
    pub fn ad(&self) -> bool {
        self.flags() & 0x0020 != 0
    }
    /// Checking disabled.
    pub fn cd(&self) -> bool {
        self.flags() & 0x0010 != 0
    }
    /// Response code.
    pub fn rcode(&self) -> u8 {
        (self.flags() & 0xf) as u8
    }
    /// Question count.
    pub fn qdcount(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }
    /// Answer count.
    pub fn ancount(&self) -> u16 {
        be16(self.buffer.as_ref(), 6)
    }
    /// Authority count.
    pub fn nscount(&self) -> u16 {
        be16(self.buffer.as_ref(), 8)
    }
    /// Additional count.
    pub fn arcount(&self) -> u16 {
        be16(self.buffer.as_ref(), 10)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> DnsHeader<T> {
    /// Sets the identifier.
    pub fn set_id(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 0, v);
    }
    /// Sets the flags word.
    pub fn set_flags(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 2, v);
    }
    /// Sets the four counts (questions, answers, authority, additional).
    pub fn set_counts(&mut self, qd: u16, an: u16, ns: u16, ar: u16) {
        let b = self.buffer.as_mut();
        put16(b, 4, qd);
        put16(b, 6, an);
        put16(b, 8, ns);
        put16(b, 10, ar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_truncation() {
        let mut b = [0u8; 13];
        let mut h = DnsHeader::new_unchecked(&mut b[..]);
        h.set_id(0xbeef);
        h.set_flags(0x8183);
        h.set_counts(1, 0, 1, 0);
        let h = DnsHeader::new_checked(&b[..]).unwrap();
        assert_eq!(
            (h.id(), h.is_response(), h.rd(), h.ra(), h.rcode()),
            (0xbeef, true, true, true, 3)
        );
        assert_eq!((h.qdcount(), h.nscount(), h.body().len()), (1, 1, 1));
        assert!(DnsHeader::new_checked(&b[..11]).is_err());
    }
}
