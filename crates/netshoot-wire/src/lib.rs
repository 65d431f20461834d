//! The wire layer of netshoot, in the style of smoltcp: zero-copy views over `T: AsRef<[u8]>`
//! (setters over `T: AsMut<[u8]>`) for every header netshoot reads or writes, with
//! `new_checked` constructors that verify every length the accessors rely on, so that no
//! accessor can panic afterwards, whatever the bytes. `Repr`s parse a view into plain values and
//! emit them back into a buffer, so headers are never built by hand.
//!
//! Also here: the one Internet checksum ([`checksum`]), the one sanitiser of peer text for a
//! terminal ([`text`]), the one parser of "the ICMP error that
//! quotes our probe" ([`icmp_error`]) and the one table of ICMP meanings ([`icmp_meaning`]).
//!
//! No sockets, no allocation in the views, no `unsafe`.

#![forbid(unsafe_code)]

/// Declares a view: the struct over a buffer `T`, `new_unchecked` and `into_inner`; with
/// `min = N`, also a `new_checked` that needs N bytes (the views whose accessors need no more).
macro_rules! view {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// Wraps `buffer` without checks (accessors then read zeros where bytes are
            /// missing; none panics).
            pub fn new_unchecked(buffer: T) -> Self {
                $name { buffer }
            }
            /// The buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, min = $min:expr) => {
        view!($(#[$doc])* $name);

        impl<T: AsRef<[u8]>> $name<T> {
            /// Wraps `buffer` after checking it holds the whole fixed header.
            pub fn new_checked(buffer: T) -> Result<Self, $crate::Error> {
                if buffer.as_ref().len() < $min {
                    return Err($crate::Error::Truncated);
                }
                Ok($name { buffer })
            }
        }
    };
}

/// For a view with a fixed header of `$len` bytes: what follows it, read-only (`$get`),
/// borrowed from a `&'a [u8]` buffer (`$slice`) and writable (`$mut`).
macro_rules! tail {
    ($name:ident, $len:expr, $get:ident, $slice:ident, $mut:ident) => {
        impl<T: AsRef<[u8]>> $name<T> {
            /// What follows the fixed header.
            pub fn $get(&self) -> &[u8] {
                let b = self.buffer.as_ref();
                b.get($len.min(b.len())..).unwrap_or(&[])
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $name<T> {
            /// What follows the fixed header, writable.
            pub fn $mut(&mut self) -> &mut [u8] {
                let b = self.buffer.as_mut();
                let n = b.len();
                b.get_mut($len.min(n)..).unwrap_or_default()
            }
        }

        /// Slices borrowed from the underlying buffer (they outlive the view).
        impl<'a> $name<&'a [u8]> {
            /// What follows the fixed header, borrowed from the buffer.
            pub fn $slice(&self) -> &'a [u8] {
                let b: &'a [u8] = self.buffer;
                b.get($len.min(b.len())..).unwrap_or(&[])
            }
        }
    };
}

/// The header fields ICMP and ICMPv6 share: type, code, checksum and bytes 4..8 (echo
/// identifier and sequence number).
macro_rules! icmp_common {
    ($name:ident) => {
        impl<T: AsRef<[u8]>> $name<T> {
            /// Type.
            pub fn msg_type(&self) -> u8 {
                $crate::byte(self.buffer.as_ref(), field::TYPE)
            }
            /// Code.
            pub fn msg_code(&self) -> u8 {
                $crate::byte(self.buffer.as_ref(), field::CODE)
            }
            /// Checksum field.
            pub fn checksum(&self) -> u16 {
                $crate::be16(self.buffer.as_ref(), field::CHECKSUM.start)
            }
            /// Echo identifier.
            pub fn echo_ident(&self) -> u16 {
                $crate::be16(self.buffer.as_ref(), field::ECHO_IDENT.start)
            }
            /// Echo sequence number.
            pub fn echo_seq_no(&self) -> u16 {
                $crate::be16(self.buffer.as_ref(), field::ECHO_SEQNO.start)
            }
            /// Bytes 4..8 as one word.
            pub fn rest_of_header(&self) -> u32 {
                $crate::be32(self.buffer.as_ref(), field::ECHO_IDENT.start)
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $name<T> {
            /// Sets the type.
            pub fn set_msg_type(&mut self, v: u8) {
                $crate::put8(self.buffer.as_mut(), field::TYPE, v);
            }
            /// Sets the code.
            pub fn set_msg_code(&mut self, v: u8) {
                $crate::put8(self.buffer.as_mut(), field::CODE, v);
            }
            /// Sets the checksum field.
            pub fn set_checksum(&mut self, v: u16) {
                $crate::put16(self.buffer.as_mut(), field::CHECKSUM.start, v);
            }
            /// Sets the echo identifier.
            pub fn set_echo_ident(&mut self, v: u16) {
                $crate::put16(self.buffer.as_mut(), field::ECHO_IDENT.start, v);
            }
            /// Sets the echo sequence number.
            pub fn set_echo_seq_no(&mut self, v: u16) {
                $crate::put16(self.buffer.as_mut(), field::ECHO_SEQNO.start, v);
            }
            /// Sets bytes 4..8.
            pub fn set_rest_of_header(&mut self, v: u32) {
                $crate::put32(self.buffer.as_mut(), field::ECHO_IDENT.start, v);
            }
        }
    };
}

pub mod arp;
pub mod checksum;
pub mod dns;
pub mod ethernet;
pub mod icmp_error;
pub mod icmp_meaning;
pub mod icmpv4;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod text;
pub mod udp;
pub mod vlan;
pub mod vxlan;

pub use arp::{ArpPacket, ArpRepr};
pub use dns::DnsHeader;
pub use ethernet::{EthernetFrame, EthernetRepr};
pub use icmp_error::{IcmpError, QuotedDatagram};
pub use icmp_meaning::{icmp_meaning, IcmpVersion};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Packet, Icmpv6Repr};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{ExtHeader, Ipv6Packet, Ipv6Repr, UpperLayer};
pub use tcp::{TcpOption, TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};
pub use vlan::VlanHeader;
pub use vxlan::VxlanHeader;

/// Why a buffer is not a packet of the kind asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer is shorter than a length the header announces or the format requires.
    Truncated,
    /// A field has a value the format does not allow (a version, a header length too small, …).
    Malformed,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated packet",
            Error::Malformed => "malformed packet",
        })
    }
}

impl std::error::Error for Error {}

/// A field's byte range inside its header.
pub type Field = std::ops::Range<usize>;
/// Where the rest of a header (its payload or variable part) begins.
pub type Rest = std::ops::RangeFrom<usize>;

/// IP protocol numbers netshoot names.
pub mod ip_proto {
    /// IPv6 hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// IGMP.
    pub const IGMP: u8 = 2;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 routing header.
    pub const IPV6_ROUTING: u8 = 43;
    /// IPv6 fragment header.
    pub const IPV6_FRAGMENT: u8 = 44;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ESP.
    pub const ESP: u8 = 50;
    /// Authentication header.
    pub const AH: u8 = 51;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 "no next header".
    pub const IPV6_NO_NEXT: u8 = 59;
    /// IPv6 destination options.
    pub const IPV6_DEST_OPTS: u8 = 60;
    /// SCTP.
    pub const SCTP: u8 = 132;
}

/// Big-endian reads from slices whose length the caller has checked (by `new_checked`).
/// Written with `get` so that even a wrong check cannot panic: a short read gives 0.
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

pub(crate) fn byte(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

pub(crate) fn put16(b: &mut [u8], at: usize, v: u16) {
    if let Some(s) = b.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

pub(crate) fn put32(b: &mut [u8], at: usize, v: u32) {
    if let Some(s) = b.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

pub(crate) fn put8(b: &mut [u8], at: usize, v: u8) {
    if let Some(s) = b.get_mut(at) {
        *s = v;
    }
}

pub(crate) fn array<const N: usize>(b: &[u8], r: Field) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(s) = b.get(r) {
        if s.len() == N {
            a.copy_from_slice(s);
        }
    }
    a
}

pub(crate) fn put_slice(b: &mut [u8], r: Field, v: &[u8]) {
    if let Some(s) = b.get_mut(r) {
        if s.len() == v.len() {
            s.copy_from_slice(v);
        }
    }
}

pub(crate) fn slice(b: &[u8], r: std::ops::Range<usize>) -> &[u8] {
    b.get(r).unwrap_or(&[])
}
