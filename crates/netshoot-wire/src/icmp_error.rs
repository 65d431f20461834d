//! "The ICMP error that quotes our probe": given an ICMP or ICMPv6 error message, the quoted
//! original datagram's IP header and the first 8 bytes of its transport header (RFC 792 and
//! RFC 4443 guarantee those), so that a probe can tell whether the error is about one of its
//! own packets: addresses, protocol, ports, ICMP identifier and sequence, TCP sequence.

use std::net::IpAddr;

use crate::icmp_meaning::IcmpVersion;
use crate::{
    be16, be32, icmpv4, icmpv6, Error, Icmpv4Packet, Icmpv6Packet, Ipv4Packet, Ipv6Packet,
};

/// The start of the datagram an ICMP error quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedDatagram {
    /// Source address of the quoted datagram (ours, for our probe).
    pub src_addr: IpAddr,
    /// Destination address of the quoted datagram (the probe's target).
    pub dst_addr: IpAddr,
    /// Its transport protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Its TTL / hop limit as the reporting router saw it.
    pub hop_limit: u8,
    transport: [u8; 8],
    transport_len: usize,
}

impl QuotedDatagram {
    /// The quoted transport bytes (at most 8).
    pub fn transport(&self) -> &[u8] {
        &self.transport[..self.transport_len.min(8)]
    }
    fn get16(&self, at: usize) -> Option<u16> {
        (self.transport_len >= at + 2).then(|| be16(&self.transport, at))
    }
    /// UDP/TCP source port.
    pub fn src_port(&self) -> Option<u16> {
        self.get16(0)
    }
    /// UDP/TCP destination port.
    pub fn dst_port(&self) -> Option<u16> {
        self.get16(2)
    }
    /// ICMP/ICMPv6 type of a quoted ICMP message.
    pub fn icmp_type(&self) -> Option<u8> {
        (self.transport_len >= 1).then_some(self.transport[0])
    }
    /// Echo identifier of a quoted echo request.
    pub fn icmp_ident(&self) -> Option<u16> {
        self.get16(4)
    }
    /// Echo sequence number of a quoted echo request.
    pub fn icmp_seq(&self) -> Option<u16> {
        self.get16(6)
    }
    /// TCP sequence number of a quoted segment.
    pub fn tcp_seq(&self) -> Option<u32> {
        (self.transport_len >= 8).then(|| be32(&self.transport, 4))
    }
}

/// An ICMP error and what it quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError {
    /// ICMP or ICMPv6.
    pub version: IcmpVersion,
    /// Type.
    pub msg_type: u8,
    /// Code.
    pub code: u8,
    /// Bytes 4..8 of the error (MTU, pointer, gateway).
    pub rest_of_header: u32,
    /// The quoted datagram.
    pub quoted: QuotedDatagram,
}

impl IcmpError {
    /// The MTU the error reports: the next-hop MTU of an ICMP "fragmentation needed" (`None`
    /// when the router left it zero) or the MTU of an ICMPv6 "packet too big".
    pub fn mtu(&self) -> Option<u32> {
        match (self.version, self.msg_type, self.code) {
            (IcmpVersion::V4, 3, 4) => Some(self.rest_of_header & 0xffff).filter(|m| *m > 0),
            (IcmpVersion::V6, 2, _) => Some(self.rest_of_header),
            _ => None,
        }
    }
    /// "Too big": fragmentation needed (ICMP) or packet too big (ICMPv6).
    pub fn is_too_big(&self) -> bool {
        matches!(
            (self.version, self.msg_type, self.code),
            (IcmpVersion::V4, 3, 4) | (IcmpVersion::V6, 2, _)
        )
    }
}

impl QuotedDatagram {
    /// The quote's fields, keeping the first 8 bytes of `transport`.
    fn new(src: IpAddr, dst: IpAddr, protocol: u8, hop_limit: u8, transport: &[u8]) -> Self {
        let n = transport.len().min(8);
        let mut t = [0u8; 8];
        t[..n].copy_from_slice(&transport[..n]);
        QuotedDatagram {
            src_addr: src,
            dst_addr: dst,
            protocol,
            hop_limit,
            transport: t,
            transport_len: n,
        }
    }
}

/// Parses an ICMP (IPv4) message, starting at its type byte: an error type (3, 4, 5, 11, 12)
/// quoting an IPv4 header whole. Anything else is `Malformed`; a quote cut inside its IP
/// header is `Truncated`.
pub fn parse_v4(icmp: &[u8]) -> Result<IcmpError, Error> {
    let p = Icmpv4Packet::new_checked(icmp)?;
    if !icmpv4::is_error(p.msg_type()) {
        return Err(Error::Malformed);
    }
    let q = Ipv4Packet::new_checked(p.data())?;
    Ok(IcmpError {
        version: IcmpVersion::V4,
        msg_type: p.msg_type(),
        code: p.msg_code(),
        rest_of_header: p.rest_of_header(),
        quoted: QuotedDatagram::new(
            q.src_addr().into(),
            q.dst_addr().into(),
            q.protocol(),
            q.ttl(),
            q.after_header(),
        ),
    })
}

/// Parses an ICMPv6 message, starting at its type byte: an error type (1..=4) quoting an IPv6
/// header; extension headers in the quote are stepped over when they are whole.
pub fn parse_v6(icmp: &[u8]) -> Result<IcmpError, Error> {
    let p = Icmpv6Packet::new_checked(icmp)?;
    if !icmpv6::is_error(p.msg_type()) {
        return Err(Error::Malformed);
    }
    let q = Ipv6Packet::new_checked(p.data())?;
    let (protocol, offset) = match q.upper_layer() {
        Ok(u) if !crate::ipv6::is_ext_header(u.protocol) => (u.protocol, u.offset),
        _ => (q.next_header(), crate::ipv6::HEADER_LEN),
    };
    Ok(IcmpError {
        version: IcmpVersion::V6,
        msg_type: p.msg_type(),
        code: p.msg_code(),
        rest_of_header: p.rest_of_header(),
        quoted: QuotedDatagram::new(
            q.src_addr().into(),
            q.dst_addr().into(),
            protocol,
            q.hop_limit(),
            p.data().get(offset..).unwrap_or(&[]),
        ),
    })
}

/// [`parse_v4`] or [`parse_v6`].
pub fn parse(version: IcmpVersion, icmp: &[u8]) -> Result<IcmpError, Error> {
    match version {
        IcmpVersion::V4 => parse_v4(icmp),
        IcmpVersion::V6 => parse_v6(icmp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Icmpv4Repr, Icmpv6Repr, Ipv4Repr, Ipv6Repr, TcpRepr, UdpRepr};
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// An ICMP error from a router quoting `inner` (IP header + 8 bytes), as Linux sends it.
    fn v4_error(repr: Icmpv4Repr, inner: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 8 + inner.len()];
        b[8..].copy_from_slice(inner);
        repr.emit(&mut b).unwrap();
        b
    }

    #[test]
    fn a_time_exceeded_quoting_a_udp_probe() {
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 9, 9, 9));
        let udp = UdpRepr {
            src_port: 41000,
            dst_port: 33435,
            payload_len: 32,
        };
        let mut ip = Ipv4Repr::new(s, d, 17, udp.buffer_len());
        ip.ttl = 1;
        let mut inner = vec![0u8; 28];
        ip.emit(&mut inner).unwrap();
        udp.emit(&mut inner[20..]).unwrap();
        let e = parse_v4(&v4_error(Icmpv4Repr::TimeExceeded { code: 0 }, &inner)).unwrap();
        assert_eq!((e.msg_type, e.code, e.mtu()), (11, 0, None));
        let q = e.quoted;
        assert_eq!((q.src_addr, q.dst_addr), (IpAddr::V4(s), IpAddr::V4(d)));
        assert_eq!((q.protocol, q.hop_limit), (17, 1));
        assert_eq!((q.src_port(), q.dst_port()), (Some(41000), Some(33435)));
    }

    #[test]
    fn frag_needed_quoting_an_echo_and_unreachable_quoting_a_syn() {
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let mut inner = vec![0u8; 28];
        Ipv4Repr::new(s, d, 1, 1400).emit(&mut inner).unwrap();
        Icmpv4Repr::EchoRequest {
            ident: 77,
            seq_no: 5,
        }
        .emit(&mut inner[20..])
        .unwrap();
        let e = parse_v4(&v4_error(
            Icmpv4Repr::DstUnreachable { code: 4, mtu: 1280 },
            &inner,
        ))
        .unwrap();
        assert!(e.is_too_big());
        assert_eq!(e.mtu(), Some(1280));
        let q = e.quoted;
        assert_eq!(
            (q.icmp_type(), q.icmp_ident(), q.icmp_seq()),
            (Some(8), Some(77), Some(5))
        );
        // No MTU given: none reported.
        let e = parse_v4(&v4_error(
            Icmpv4Repr::DstUnreachable { code: 4, mtu: 0 },
            &inner,
        ))
        .unwrap();
        assert_eq!(e.mtu(), None);

        let syn = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq_number: 0xdead_beef,
            flags: 2,
            ..Default::default()
        };
        let mut inner = vec![0u8; 40];
        Ipv4Repr::new(s, d, 6, 20).emit(&mut inner).unwrap();
        syn.emit(&mut inner[20..]).unwrap();
        let e = parse_v4(&v4_error(
            Icmpv4Repr::DstUnreachable { code: 13, mtu: 0 },
            &inner[..28],
        ))
        .unwrap();
        assert_eq!(e.quoted.tcp_seq(), Some(0xdead_beef));
        assert_eq!(e.quoted.dst_port(), Some(80));
    }

    #[test]
    fn short_quotes_and_non_errors_are_refused_or_partial() {
        let mut inner = vec![0u8; 28];
        Ipv4Repr::new(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 17, 8)
            .emit(&mut inner)
            .unwrap();
        let full = v4_error(Icmpv4Repr::TimeExceeded { code: 0 }, &inner);
        for n in 0..28 {
            assert!(parse_v4(&full[..n]).is_err(), "{n}");
        }
        // Header whole, transport cut: the fields that are there, the others None.
        let e = parse_v4(&full[..31]).unwrap();
        assert_eq!((e.quoted.src_port(), e.quoted.dst_port()), (Some(0), None));
        // An echo reply is not an error.
        let mut echo = [0u8; 8];
        Icmpv4Repr::EchoReply {
            ident: 1,
            seq_no: 1,
        }
        .emit(&mut echo)
        .unwrap();
        assert_eq!(parse_v4(&echo), Err(Error::Malformed));
        // A quote with IHL < 5.
        let mut bad = full.clone();
        bad[8] = 0x44;
        assert_eq!(parse_v4(&bad), Err(Error::Malformed));
    }

    #[test]
    fn icmpv6_errors_quote_through_extension_headers() {
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        // Quoted: IPv6, destination options (8 bytes), echo request.
        let mut inner = vec![0u8; 40 + 8 + 8];
        Ipv6Repr::new(s, d, 60, 16).emit(&mut inner).unwrap();
        inner[40] = 58;
        Icmpv6Repr::EchoRequest {
            ident: 9,
            seq_no: 3,
        }
        .emit(&mut inner[48..], None)
        .unwrap();
        let mut b = vec![0u8; 8 + inner.len()];
        b[8..].copy_from_slice(&inner);
        Icmpv6Repr::PktTooBig { mtu: 1280 }
            .emit(&mut b, Some((&d, &s)))
            .unwrap();
        let e = parse_v6(&b).unwrap();
        assert_eq!((e.mtu(), e.is_too_big()), (Some(1280), true));
        assert_eq!(e.quoted.protocol, 58);
        assert_eq!(
            (
                e.quoted.icmp_type(),
                e.quoted.icmp_ident(),
                e.quoted.icmp_seq()
            ),
            (Some(128), Some(9), Some(3))
        );
        assert_eq!(e.quoted.dst_addr, IpAddr::V6(d));
        for n in 0..48 {
            assert!(parse_v6(&b[..n]).is_err(), "{n}");
        }
        let mut echo = [0u8; 8];
        Icmpv6Repr::EchoReply {
            ident: 1,
            seq_no: 1,
        }
        .emit(&mut echo, None)
        .unwrap();
        assert_eq!(parse_v6(&echo), Err(Error::Malformed));
    }
}
