//! ICMPv6 (RFC 4443) and the neighbour-discovery fields netshoot reads (RFC 4861).

use std::net::{IpAddr, Ipv6Addr};

use crate::{be32, byte, checksum, ip_proto, slice, Error};

/// Field ranges.
pub mod field {
    use crate::{Field, Rest};
    /// Type.
    pub const TYPE: usize = 0;
    /// Code.
    pub const CODE: usize = 1;
    /// Checksum.
    pub const CHECKSUM: Field = 2..4;
    /// Echo identifier.
    pub const ECHO_IDENT: Field = 4..6;
    /// Echo sequence number.
    pub const ECHO_SEQNO: Field = 6..8;
    /// Packet too big: MTU.
    pub const MTU: Field = 4..8;
    /// Parameter problem: pointer.
    pub const POINTER: Field = 4..8;
    /// Neighbour advertisement flags (R, S, O).
    pub const NA_FLAGS: usize = 4;
    /// Neighbour solicitation/advertisement target.
    pub const TARGET: Field = 8..24;
    /// ND options after the target.
    pub const ND_OPTIONS: Rest = 24..;
    /// Echo data, or the packet an error quotes.
    pub const DATA: Rest = 8..;
}

/// Header length.
pub const HEADER_LEN: usize = 8;

/// Message types netshoot names.
pub mod msg_type {
    /// Destination unreachable.
    pub const DST_UNREACHABLE: u8 = 1;
    /// Packet too big.
    pub const PKT_TOO_BIG: u8 = 2;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 3;
    /// Parameter problem.
    pub const PARAM_PROBLEM: u8 = 4;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 129;
    /// Router solicitation.
    pub const ROUTER_SOLICIT: u8 = 133;
    /// Router advertisement.
    pub const ROUTER_ADVERT: u8 = 134;
    /// Neighbour solicitation.
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    /// Neighbour advertisement.
    pub const NEIGHBOR_ADVERT: u8 = 136;
    /// Multicast listener report v2.
    pub const MLDV2_REPORT: u8 = 143;
}

/// True for the types that quote the offending packet (1..=4).
pub fn is_error(t: u8) -> bool {
    (1..=4).contains(&t)
}

view! {
    /// A view of an ICMPv6 message.
    Icmpv6Packet, min = HEADER_LEN
}

tail!(Icmpv6Packet, HEADER_LEN, data, data_slice, data_mut);
icmp_common!(Icmpv6Packet);

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Packet-too-big MTU.
    pub fn mtu(&self) -> u32 {
        be32(self.buffer.as_ref(), 4)
    }
    /// Parameter-problem pointer.
    pub fn pointer(&self) -> u32 {
        be32(self.buffer.as_ref(), 4)
    }
    /// Neighbour advertisement flags byte (0x80 router, 0x40 solicited, 0x20 override).
    pub fn na_flags(&self) -> u8 {
        byte(self.buffer.as_ref(), field::NA_FLAGS)
    }
    /// The neighbour solicitation/advertisement target, when the message is long enough.
    pub fn target_addr(&self) -> Option<Ipv6Addr> {
        let b = self.buffer.as_ref();
        (b.len() >= field::TARGET.end).then(|| Ipv6Addr::from(crate::array::<16>(b, field::TARGET)))
    }
    /// ND options after the target (empty when absent).
    pub fn nd_options(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        slice(b, field::ND_OPTIONS.start.min(b.len())..b.len())
    }
    /// An error message (quotes a packet).
    pub fn is_error(&self) -> bool {
        is_error(self.msg_type())
    }
    /// The checksum verifies over the pseudo-header and the whole buffer.
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let p = checksum::pseudo_header_v6(src, dst, ip_proto::ICMPV6, b.len() as u32);
        checksum::verify(&[p, checksum::data(b)])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Computes and writes the checksum over the pseudo-header and the whole buffer.
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let p = checksum::pseudo_header_v6(src, dst, ip_proto::ICMPV6, b.len() as u32);
        let c = checksum::finish(&[p, checksum::data(b)]);
        self.set_checksum(c);
    }
}

/// An ICMPv6 message header as values (the data is the caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr {
    /// Echo request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
    },
    /// Echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
    },
    /// Destination unreachable.
    DstUnreachable {
        /// Code.
        code: u8,
    },
    /// Packet too big.
    PktTooBig {
        /// MTU.
        mtu: u32,
    },
    /// Time exceeded.
    TimeExceeded {
        /// Code.
        code: u8,
    },
    /// Anything else: type, code and bytes 4..8.
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes 4..8.
        rest: u32,
    },
}

impl Icmpv6Repr {
    /// Reads a checked message (the checksum is not judged here).
    pub fn parse<T: AsRef<[u8]>>(p: &Icmpv6Packet<T>) -> Result<Self, Error> {
        Icmpv6Packet::new_checked(p.buffer.as_ref())?;
        Ok(match (p.msg_type(), p.msg_code()) {
            (128, 0) => Icmpv6Repr::EchoRequest {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            },
            (129, 0) => Icmpv6Repr::EchoReply {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            },
            (1, code) if p.rest_of_header() == 0 => Icmpv6Repr::DstUnreachable { code },
            (2, 0) => Icmpv6Repr::PktTooBig { mtu: p.mtu() },
            (3, code) if p.rest_of_header() == 0 => Icmpv6Repr::TimeExceeded { code },
            (msg_type, code) => Icmpv6Repr::Other {
                msg_type,
                code,
                rest: p.rest_of_header(),
            },
        })
    }

    /// Header length.
    pub fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header at the start of `buf`. With addresses, the checksum is computed over
    /// the pseudo-header and the *whole* `buf` (write the data first); without (a raw ICMPv6
    /// socket, where the kernel computes it), it is left zero. Returns the header length.
    pub fn emit(
        &self,
        buf: &mut [u8],
        addrs: Option<(&Ipv6Addr, &Ipv6Addr)>,
    ) -> Result<usize, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let (t, c, rest) = match *self {
            Icmpv6Repr::EchoRequest { ident, seq_no } => {
                (128, 0, (u32::from(ident) << 16) | u32::from(seq_no))
            }
            Icmpv6Repr::EchoReply { ident, seq_no } => {
                (129, 0, (u32::from(ident) << 16) | u32::from(seq_no))
            }
            Icmpv6Repr::DstUnreachable { code } => (1, code, 0),
            Icmpv6Repr::PktTooBig { mtu } => (2, 0, mtu),
            Icmpv6Repr::TimeExceeded { code } => (3, code, 0),
            Icmpv6Repr::Other {
                msg_type,
                code,
                rest,
            } => (msg_type, code, rest),
        };
        let mut p = Icmpv6Packet::new_unchecked(buf);
        p.set_msg_type(t);
        p.set_msg_code(c);
        p.set_rest_of_header(rest);
        p.set_checksum(0);
        if let Some((s, d)) = addrs {
            p.fill_checksum(s, d);
        }
        Ok(HEADER_LEN)
    }
}

/// The checksum verifies for an ICMPv6 message between two addresses of any family (false
/// unless both are IPv6).
pub fn verify_checksum_ip(b: &[u8], src: &IpAddr, dst: &IpAddr) -> bool {
    match (src, dst) {
        (IpAddr::V6(s), IpAddr::V6(d)) => Icmpv6Packet::new_unchecked(b).verify_checksum(s, d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_round_trip_with_checksum() {
        let (s, d): (Ipv6Addr, Ipv6Addr) = ("fe80::1".parse().unwrap(), "fe80::2".parse().unwrap());
        let mut b = [0u8; 12];
        b[8..].copy_from_slice(b"ping");
        let r = Icmpv6Repr::EchoRequest {
            ident: 7,
            seq_no: 9,
        };
        r.emit(&mut b, Some((&s, &d))).unwrap();
        let p = Icmpv6Packet::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum(&s, &d));
        assert!(!p.verify_checksum(&s, &s));
        assert_eq!(Icmpv6Repr::parse(&p), Ok(r));
        for n in 0..8 {
            assert!(Icmpv6Packet::new_checked(&b[..n]).is_err());
        }
        let mut bad = b;
        bad[10] ^= 1;
        assert!(!Icmpv6Packet::new_checked(&bad[..])
            .unwrap()
            .verify_checksum(&s, &d));
    }

    #[test]
    fn a_neighbour_solicitation_and_the_error_reprs() {
        // fe80::1 → ff02::1:ff00:2, who has fe80::2; the checksum worked out independently
        // (Python over the pseudo-header and the message).
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "fe80::1".parse().unwrap(),
            "ff02::1:ff00:2".parse().unwrap(),
        );
        let mut b = [0u8; 24];
        b[0] = 135;
        b[8..24].copy_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
        Icmpv6Packet::new_unchecked(&mut b[..]).fill_checksum(&s, &d);
        assert_eq!(&b[2..4], &[0x7d, 0xa1]);
        let p = Icmpv6Packet::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum(&s, &d));
        assert_eq!(p.target_addr(), Some("fe80::2".parse().unwrap()));
        assert!(Icmpv6Packet::new_checked(&b[..20])
            .unwrap()
            .target_addr()
            .is_none());
        for r in [
            Icmpv6Repr::PktTooBig { mtu: 1280 },
            Icmpv6Repr::DstUnreachable { code: 4 },
            Icmpv6Repr::TimeExceeded { code: 0 },
        ] {
            let mut b = [0u8; 8];
            r.emit(&mut b, None).unwrap();
            assert_eq!(
                Icmpv6Repr::parse(&Icmpv6Packet::new_checked(&b[..]).unwrap()),
                Ok(r)
            );
        }
    }
}
