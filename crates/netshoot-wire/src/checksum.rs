//! The Internet checksum (RFC 1071), once.
//!
//! [`data`] sums a buffer as big-endian 16-bit words (an odd last byte padded with zero) and
//! folds the carries: the one's-complement sum, *not* complemented. Sums of parts are joined
//! with [`combine`] (each part but the last must have an even length). A checksum field carries
//! `!combine(&[...])`; a received message verifies when `combine` over it (checksum field
//! included) is `0xffff`, which [`verify`] tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The one's-complement sum of `bytes` (not complemented).
pub fn data(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut words = bytes.chunks_exact(2);
    for w in &mut words {
        sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        sum += u64::from(u16::from_be_bytes([*last, 0]));
    }
    fold(sum)
}

/// Joins one's-complement sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|s| u64::from(*s)).sum())
}

/// The sum of `parts` as if they were one buffer, whatever their lengths (odd-length parts
/// included).
pub fn data_parts(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        let mut rest: &[u8] = part;
        if let (Some(hi), Some((&lo, tail))) = (odd, rest.split_first()) {
            sum += u64::from(u16::from_be_bytes([hi, lo]));
            odd = None;
            rest = tail;
        }
        let mut words = rest.chunks_exact(2);
        for w in &mut words {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            odd = Some(*last);
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    fold(sum)
}

/// The sum of the IPv4 pseudo-header (RFC 793): addresses, protocol, transport length.
pub fn pseudo_header_v4(src: &Ipv4Addr, dst: &Ipv4Addr, protocol: u8, length: u32) -> u16 {
    let mut p = [0u8; 12];
    p[0..4].copy_from_slice(&src.octets());
    p[4..8].copy_from_slice(&dst.octets());
    p[9] = protocol;
    p[10..12].copy_from_slice(&(length as u16).to_be_bytes());
    data(&p)
}

/// The sum of the IPv6 pseudo-header (RFC 8200 §8.1): addresses, upper-layer length, next
/// header.
pub fn pseudo_header_v6(src: &Ipv6Addr, dst: &Ipv6Addr, protocol: u8, length: u32) -> u16 {
    let mut p = [0u8; 40];
    p[0..16].copy_from_slice(&src.octets());
    p[16..32].copy_from_slice(&dst.octets());
    p[32..36].copy_from_slice(&length.to_be_bytes());
    p[39] = protocol;
    data(&p)
}

/// The pseudo-header sum for either family; `None` when the two addresses are of different
/// families.
pub fn pseudo_header(src: &IpAddr, dst: &IpAddr, protocol: u8, length: u32) -> Option<u16> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(pseudo_header_v4(s, d, protocol, length)),
        (IpAddr::V6(s), IpAddr::V6(d)) => Some(pseudo_header_v6(s, d, protocol, length)),
        _ => None,
    }
}

/// The checksum field value for a message whose sums (pseudo-header, message with its checksum
/// field zero) are `sums`.
pub fn finish(sums: &[u16]) -> u16 {
    !combine(sums)
}

/// True when a message (checksum field included) plus the other `sums` verifies.
pub fn verify(sums: &[u16]) -> bool {
    combine(sums) == 0xffff
}

/// The checksum a transport segment `seg` should carry (pseudo-header over `src`, `dst`,
/// `protocol` and the segment length; the segment's own checksum field, at `at`, taken as
/// zero). `None` for mixed address families.
pub fn transport(src: &IpAddr, dst: &IpAddr, protocol: u8, seg: &[u8], at: usize) -> Option<u16> {
    let pseudo = pseudo_header(src, dst, protocol, seg.len() as u32)?;
    let head = seg.get(..at).unwrap_or(seg);
    let tail = seg.get(at + 2..).unwrap_or(&[]);
    Some(!combine(&[pseudo, data_parts(&[head, &[0, 0], tail])]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        assert_eq!(
            data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
    }

    #[test]
    fn a_known_ipv4_header_verifies() {
        // A real header (Wikipedia's example): checksum 0xb861.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert!(verify(&[data(&h)]));
        let mut z = h;
        z[10] = 0;
        z[11] = 0;
        assert_eq!(finish(&[data(&z)]), 0xb861);
    }

    #[test]
    fn parts_of_any_length_sum_like_one_buffer() {
        let b: Vec<u8> = (0..37u8).map(|i| i.wrapping_mul(97)).collect();
        for cut in 0..b.len() {
            for cut2 in cut..b.len() {
                assert_eq!(
                    data_parts(&[&b[..cut], &b[cut..cut2], &b[cut2..]]),
                    data(&b),
                    "{cut} {cut2}"
                );
            }
        }
    }

    #[test]
    fn transport_checksum_of_a_known_udp_datagram() {
        // 10.0.0.1:1234 > 10.0.0.2:53, payload "ab", checksum computed by hand:
        // pseudo 0a00+0001+0a00+0002+0011+000a = 0x141e; udp 04d2+0035+000a+0000+6162 = 0x6673
        // sum 0x7a91, complement 0x856e.
        let seg = [0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, b'a', b'b'];
        let (s, d): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(transport(&s, &d, 17, &seg, 6), Some(0x856e));
    }
}
