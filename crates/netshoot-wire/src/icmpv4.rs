//! ICMP for IPv4 (RFC 792).

use std::net::Ipv4Addr;

use crate::{be16, be32, byte, checksum, Error};

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
    /// "Fragmentation needed": next-hop MTU (RFC 1191).
    pub const NEXT_HOP_MTU: Field = 6..8;
    /// Redirect: gateway address.
    pub const GATEWAY: Field = 4..8;
    /// Parameter problem: pointer.
    pub const POINTER: usize = 4;
    /// The rest of the header as one word.
    pub const REST_OF_HEADER: Field = 4..8;
    /// Echo data, or the datagram an error quotes.
    pub const DATA: Rest = 8..;
}

/// Header length.
pub const HEADER_LEN: usize = 8;

/// Message types netshoot names.
pub mod msg_type {
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination unreachable.
    pub const DST_UNREACHABLE: u8 = 3;
    /// Source quench.
    pub const SOURCE_QUENCH: u8 = 4;
    /// Redirect.
    pub const REDIRECT: u8 = 5;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 8;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 11;
    /// Parameter problem.
    pub const PARAM_PROBLEM: u8 = 12;
}

/// True for the types that quote the offending datagram.
pub fn is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

view! {
    /// A view of an ICMP message.
    Icmpv4Packet, min = HEADER_LEN
}

tail!(Icmpv4Packet, HEADER_LEN, data, data_slice, data_mut);
icmp_common!(Icmpv4Packet);

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Next-hop MTU of a "fragmentation needed" (0 when the router did not say).
    pub fn next_hop_mtu(&self) -> u16 {
        be16(self.buffer.as_ref(), field::NEXT_HOP_MTU.start)
    }
    /// Redirect gateway.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(self.buffer.as_ref(), 4))
    }
    /// Parameter-problem pointer.
    pub fn pointer(&self) -> u8 {
        byte(self.buffer.as_ref(), field::POINTER)
    }
    /// An error message (quotes a datagram).
    pub fn is_error(&self) -> bool {
        is_error(self.msg_type())
    }
    /// The checksum verifies over the whole buffer.
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(&[checksum::data(self.buffer.as_ref())])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Computes and writes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::finish(&[checksum::data(self.buffer.as_ref())]);
        self.set_checksum(c);
    }
}

/// An ICMP message header as values (the data is the caller's: echo payload or quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv4Repr {
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
        /// Next-hop MTU (code 4; 0 otherwise).
        mtu: u16,
    },
    /// Time exceeded.
    TimeExceeded {
        /// Code (0 in transit, 1 reassembly).
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

impl Icmpv4Repr {
    /// Reads a checked message (the checksum is not judged here).
    pub fn parse<T: AsRef<[u8]>>(p: &Icmpv4Packet<T>) -> Result<Self, Error> {
        Icmpv4Packet::new_checked(p.buffer.as_ref())?;
        Ok(match (p.msg_type(), p.msg_code()) {
            (8, 0) => Icmpv4Repr::EchoRequest {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            },
            (0, 0) => Icmpv4Repr::EchoReply {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
            },
            (3, code) if p.rest_of_header() >> 16 == 0 => Icmpv4Repr::DstUnreachable {
                code,
                mtu: p.next_hop_mtu(),
            },
            (11, code) if p.rest_of_header() == 0 => Icmpv4Repr::TimeExceeded { code },
            (msg_type, code) => Icmpv4Repr::Other {
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

    /// Writes the header at the start of `buf` and the checksum over the *whole* `buf`: write
    /// the data into `buf[8..]` first. Returns the header length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let (t, c, rest) = match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no } => {
                (8, 0, (u32::from(ident) << 16) | u32::from(seq_no))
            }
            Icmpv4Repr::EchoReply { ident, seq_no } => {
                (0, 0, (u32::from(ident) << 16) | u32::from(seq_no))
            }
            Icmpv4Repr::DstUnreachable { code, mtu } => (3, code, u32::from(mtu)),
            Icmpv4Repr::TimeExceeded { code } => (11, code, 0),
            Icmpv4Repr::Other {
                msg_type,
                code,
                rest,
            } => (msg_type, code, rest),
        };
        let mut p = Icmpv4Packet::new_unchecked(buf);
        p.set_msg_type(t);
        p.set_msg_code(c);
        p.set_rest_of_header(rest);
        p.fill_checksum();
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_echo_request_verifies() {
        // Echo request id 0x1c2e, seq 1, data de ad be ef; checksum worked out by hand.
        let mut b = [8u8, 0, 0, 0, 0x1c, 0x2e, 0, 1, 0xde, 0xad, 0xbe, 0xef];
        Icmpv4Repr::EchoRequest {
            ident: 0x1c2e,
            seq_no: 1,
        }
        .emit(&mut b)
        .unwrap();
        // 0800+0000+1c2e+0001+dead+beef = 0x1c1cb → 0xc1cc, complement 0x3e33.
        assert_eq!(&b[2..4], &[0x3e, 0x33]);
        let p = Icmpv4Packet::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(
            Icmpv4Repr::parse(&p),
            Ok(Icmpv4Repr::EchoRequest {
                ident: 0x1c2e,
                seq_no: 1
            })
        );
        assert_eq!(p.data(), &[0xde, 0xad, 0xbe, 0xef]);
        let mut bad = b;
        bad[9] ^= 0x10;
        assert!(!Icmpv4Packet::new_checked(&bad[..])
            .unwrap()
            .verify_checksum());
        for n in 0..8 {
            assert!(Icmpv4Packet::new_checked(&b[..n]).is_err());
        }
    }

    #[test]
    fn errors_round_trip() {
        for r in [
            Icmpv4Repr::DstUnreachable { code: 4, mtu: 1400 },
            Icmpv4Repr::TimeExceeded { code: 0 },
            Icmpv4Repr::Other {
                msg_type: 5,
                code: 1,
                rest: 0x0a000001,
            },
        ] {
            let mut b = [0u8; 8];
            r.emit(&mut b).unwrap();
            let p = Icmpv4Packet::new_checked(&b[..]).unwrap();
            assert!(p.verify_checksum());
            assert_eq!(Icmpv4Repr::parse(&p), Ok(r));
        }
    }
}
