//! TCP headers (RFC 9293) and their options.
//!
//! `new_checked` verifies the 20-byte header is there, the data offset is at least 5 words and
//! the whole header (options included) is in the buffer.

use std::net::IpAddr;

use crate::{be16, be32, byte, checksum, ip_proto, put16, put32, put8, slice, Error};

/// Field ranges.
pub mod field {
    use crate::Field;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Sequence number.
    pub const SEQ_NUM: Field = 4..8;
    /// Acknowledgment number.
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (high nibble, in words) and reserved bits/NS.
    pub const DATA_OFF: usize = 12;
    /// Flags (CWR ECE URG ACK PSH RST SYN FIN).
    pub const FLAGS: usize = 13;
    /// Window.
    pub const WIN_SIZE: Field = 14..16;
    /// Checksum.
    pub const CHECKSUM: Field = 16..18;
    /// Urgent pointer.
    pub const URGENT: Field = 18..20;
}

/// Header length without options.
pub const HEADER_LEN: usize = 20;

/// Flag bits in [`field::FLAGS`].
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

view! {
    /// A view of a TCP segment.
    TcpPacket
}

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of option list (kind 0): the walk stops after it.
    EndOfList,
    /// No-operation (kind 1).
    NoOp,
    /// Maximum segment size (kind 2).
    MaxSegmentSize(u16),
    /// Window scale shift (kind 3).
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks (kind 5): pairs of 32-bit left/right edges, 8 bytes each.
    Sack(&'a [u8]),
    /// Timestamps (kind 8).
    Timestamp {
        /// TSval.
        tsval: u32,
        /// TSecr.
        tsecr: u32,
    },
    /// Any other option: its kind and data.
    Unknown {
        /// Kind.
        kind: u8,
        /// Data (after kind and length).
        data: &'a [u8],
    },
    /// An option whose length byte is missing, below 2, past the end, or wrong for its kind:
    /// the rest of the options, undecoded. The walk stops after it.
    Malformed(&'a [u8]),
}

/// The options of a segment, in order.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    rest: &'a [u8],
}

impl<'a> TcpOptions<'a> {
    /// Options from raw option bytes.
    pub fn new(rest: &'a [u8]) -> Self {
        TcpOptions { rest }
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = TcpOption<'a>;
    fn next(&mut self) -> Option<TcpOption<'a>> {
        let r = self.rest;
        let &kind = r.first()?;
        match kind {
            0 => {
                self.rest = &[];
                return Some(TcpOption::EndOfList);
            }
            1 => {
                self.rest = &r[1..];
                return Some(TcpOption::NoOp);
            }
            _ => {}
        }
        let len = usize::from(r.get(1).copied().unwrap_or(0));
        if len < 2 || len > r.len() {
            self.rest = &[];
            return Some(TcpOption::Malformed(r));
        }
        let data = &r[2..len];
        let opt = match (kind, data.len()) {
            (2, 2) => TcpOption::MaxSegmentSize(be16(data, 0)),
            (3, 1) => TcpOption::WindowScale(data[0]),
            (4, 0) => TcpOption::SackPermitted,
            (5, n) if n % 8 == 0 => TcpOption::Sack(data),
            (8, 8) => TcpOption::Timestamp {
                tsval: be32(data, 0),
                tsecr: be32(data, 4),
            },
            (2..=5 | 8, _) => {
                self.rest = &[];
                return Some(TcpOption::Malformed(r));
            }
            _ => TcpOption::Unknown { kind, data },
        };
        self.rest = &r[len..];
        Some(opt)
    }
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks the fixed header is there, the data offset is at least 5 and the options fit.
    pub fn check_len(&self) -> Result<(), Error> {
        let n = self.buffer.as_ref().len();
        if n < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if n < self.header_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }
    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        be32(self.buffer.as_ref(), 4)
    }
    /// Acknowledgment number.
    pub fn ack_number(&self) -> u32 {
        be32(self.buffer.as_ref(), 8)
    }
    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(byte(self.buffer.as_ref(), field::DATA_OFF) >> 4) * 4
    }
    /// The flags byte.
    pub fn flags(&self) -> u8 {
        byte(self.buffer.as_ref(), field::FLAGS)
    }
    /// FIN.
    pub fn fin(&self) -> bool {
        self.flags() & flags::FIN != 0
    }
    /// SYN.
    pub fn syn(&self) -> bool {
        self.flags() & flags::SYN != 0
    }
    /// RST.
    pub fn rst(&self) -> bool {
        self.flags() & flags::RST != 0
    }
    /// PSH.
    pub fn psh(&self) -> bool {
        self.flags() & flags::PSH != 0
    }
    /// ACK.
    pub fn ack(&self) -> bool {
        self.flags() & flags::ACK != 0
    }
    /// URG.
    pub fn urg(&self) -> bool {
        self.flags() & flags::URG != 0
    }
    /// ECE.
    pub fn ece(&self) -> bool {
        self.flags() & flags::ECE != 0
    }
    /// CWR.
    pub fn cwr(&self) -> bool {
        self.flags() & flags::CWR != 0
    }
    /// Window.
    pub fn window_len(&self) -> u16 {
        be16(self.buffer.as_ref(), 14)
    }
    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), 16)
    }
    /// Urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        be16(self.buffer.as_ref(), 18)
    }
    /// The option bytes.
    pub fn options_raw(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = self.header_len().clamp(HEADER_LEN.min(b.len()), b.len());
        slice(b, HEADER_LEN.min(end)..end)
    }
    /// The options, decoded.
    pub fn options(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options_raw())
    }
    /// The segment's data.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        slice(b, self.header_len().min(b.len())..b.len())
    }
    /// The checksum verifies over the pseudo-header of `src` → `dst` and the whole buffer
    /// (false for mixed families).
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        let b = self.buffer.as_ref();
        checksum::pseudo_header(src, dst, ip_proto::TCP, b.len() as u32)
            .is_some_and(|p| checksum::verify(&[p, checksum::data(b)]))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 0, v);
    }
    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 2, v);
    }
    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: u32) {
        put32(self.buffer.as_mut(), 4, v);
    }
    /// Sets the acknowledgment number.
    pub fn set_ack_number(&mut self, v: u32) {
        put32(self.buffer.as_mut(), 8, v);
    }
    /// Sets the header length in bytes (a multiple of 4).
    pub fn set_header_len(&mut self, len: usize) {
        put8(
            self.buffer.as_mut(),
            field::DATA_OFF,
            ((len / 4) as u8) << 4,
        );
    }
    /// Sets the flags byte.
    pub fn set_flags(&mut self, v: u8) {
        put8(self.buffer.as_mut(), field::FLAGS, v);
    }
    /// Sets the window.
    pub fn set_window_len(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 14, v);
    }
    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 16, v);
    }
    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        put16(self.buffer.as_mut(), 18, v);
    }
    /// The data, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let b = self.buffer.as_mut();
        let n = b.len();
        b.get_mut(hl.min(n)..).unwrap_or_default()
    }
    /// Computes the checksum over the pseudo-header and the whole buffer, and writes it
    /// (nothing for mixed families).
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        if let Some(p) = checksum::pseudo_header(src, dst, ip_proto::TCP, b.len() as u32) {
            let c = checksum::finish(&[p, checksum::data(b)]);
            self.set_checksum(c);
        }
    }
}

/// A TCP header as values (options: the common four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number (written whatever the ACK flag says).
    pub ack_number: u32,
    /// Flags byte.
    pub flags: u8,
    /// Window.
    pub window_len: u16,
    /// Urgent pointer.
    pub urgent_at: u16,
    /// MSS option.
    pub max_seg_size: Option<u16>,
    /// Window scale option.
    pub window_scale: Option<u8>,
    /// SACK-permitted option.
    pub sack_permitted: bool,
    /// Timestamp option (TSval, TSecr).
    pub timestamp: Option<(u32, u32)>,
}

impl TcpRepr {
    /// Reads a checked segment (options other than the four modelled are skipped).
    pub fn parse<T: AsRef<[u8]>>(p: &TcpPacket<T>) -> Result<Self, Error> {
        p.check_len()?;
        let mut r = TcpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq_number: p.seq_number(),
            ack_number: p.ack_number(),
            flags: p.flags(),
            window_len: p.window_len(),
            urgent_at: p.urgent_at(),
            ..Default::default()
        };
        for o in p.options() {
            match o {
                TcpOption::MaxSegmentSize(v) => r.max_seg_size = Some(v),
                TcpOption::WindowScale(v) => r.window_scale = Some(v),
                TcpOption::SackPermitted => r.sack_permitted = true,
                TcpOption::Timestamp { tsval, tsecr } => r.timestamp = Some((tsval, tsecr)),
                _ => {}
            }
        }
        Ok(r)
    }

    /// Header length with the options (padded to a multiple of 4).
    pub fn header_len(&self) -> usize {
        let mut n = HEADER_LEN;
        if self.max_seg_size.is_some() {
            n += 4;
        }
        if self.window_scale.is_some() {
            n += 3;
        }
        if self.sack_permitted {
            n += 2;
        }
        if self.timestamp.is_some() {
            n += 10;
        }
        n.div_ceil(4) * 4
    }

    /// Writes the header (checksum zero: see [`TcpPacket::fill_checksum`]) at the start of
    /// `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let hl = self.header_len();
        let Some(h) = buf.get_mut(..hl) else {
            return Err(Error::Truncated);
        };
        h.fill(0);
        let mut at = HEADER_LEN;
        let mut opt = |h: &mut [u8], bytes: &[u8]| {
            crate::put_slice(h, at..at + bytes.len(), bytes);
            at += bytes.len();
        };
        if let Some(m) = self.max_seg_size {
            let [a, b] = m.to_be_bytes();
            opt(h, &[2, 4, a, b]);
        }
        if let Some(w) = self.window_scale {
            opt(h, &[3, 3, w]);
        }
        if self.sack_permitted {
            opt(h, &[4, 2]);
        }
        if let Some((v, e)) = self.timestamp {
            let (v, e) = (v.to_be_bytes(), e.to_be_bytes());
            opt(h, &[8, 10, v[0], v[1], v[2], v[3], e[0], e[1], e[2], e[3]]);
        }
        // Padding: NOPs then nothing (zero is end of list).
        let mut p = TcpPacket::new_unchecked(h);
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq_number(self.seq_number);
        p.set_ack_number(self.ack_number);
        p.set_header_len(hl);
        p.set_flags(self.flags);
        p.set_window_len(self.window_len);
        p.set_urgent_at(self.urgent_at);
        Ok(hl)
    }
}

/// Slices borrowed from the underlying buffer (they outlive the view).
impl<'a> TcpPacket<&'a [u8]> {
    /// [`TcpPacket::payload`], borrowed from the buffer.
    pub fn payload_slice(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        slice(b, self.header_len().min(b.len())..b.len())
    }
    /// [`TcpPacket::options`], borrowed from the buffer.
    pub fn options_slice(&self) -> TcpOptions<'a> {
        let b: &'a [u8] = self.buffer;
        let end = self.header_len().clamp(HEADER_LEN.min(b.len()), b.len());
        TcpOptions::new(slice(b, HEADER_LEN.min(end)..end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> (IpAddr, IpAddr) {
        ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap())
    }

    /// A SYN from a Linux host (tcpdump -X), checksum as it went on the wire.
    const LINUX_SYN: [u8; 40] = [
        0xb5, 0x6e, 0x00, 0x50, 0x3a, 0x1f, 0x0c, 0x5a, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0x14, 0x35, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x8a, 0x2b,
        0x1c, 0x6e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    #[test]
    fn emit_parse_checksum_round_trip() {
        let r = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq_number: 7,
            flags: flags::SYN,
            window_len: 1024,
            max_seg_size: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some((1, 2)),
            ..Default::default()
        };
        assert_eq!(r.header_len(), 40);
        let mut b = vec![0u8; 43];
        r.emit(&mut b).unwrap();
        let (s, d) = addrs();
        let mut p = TcpPacket::new_checked(&mut b[..]).unwrap();
        p.payload_mut().copy_from_slice(b"xyz");
        p.fill_checksum(&s, &d);
        let p = TcpPacket::new_checked(&b[..]).unwrap();
        assert!(p.verify_checksum(&s, &d));
        assert!(!p.verify_checksum(&d, &d));
        assert_eq!(TcpRepr::parse(&p), Ok(r));
        assert_eq!(p.payload(), b"xyz");
        assert!(p.syn() && !p.ack());
    }

    #[test]
    fn a_captured_linux_syn_decodes() {
        let p = TcpPacket::new_checked(&LINUX_SYN[..]).unwrap();
        let (s, d): (IpAddr, IpAddr) = (
            "192.168.1.10".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
        );
        // The checksum belongs to another address pair; recompute it for ours and verify.
        let mut b = LINUX_SYN;
        TcpPacket::new_unchecked(&mut b[..]).fill_checksum(&s, &d);
        assert!(TcpPacket::new_checked(&b[..])
            .unwrap()
            .verify_checksum(&s, &d));
        let opts: Vec<TcpOption> = p.options().collect();
        assert_eq!(
            opts,
            [
                TcpOption::MaxSegmentSize(1460),
                TcpOption::SackPermitted,
                TcpOption::Timestamp {
                    tsval: 0x8a2b1c6e,
                    tsecr: 0
                },
                TcpOption::NoOp,
                TcpOption::WindowScale(7),
            ]
        );
        assert_eq!(
            (p.src_port(), p.dst_port(), p.header_len()),
            (46446, 80, 40)
        );
    }

    #[test]
    fn truncated_and_corrupt_segments_are_refused() {
        for n in 0..40 {
            assert!(TcpPacket::new_checked(&LINUX_SYN[..n]).is_err(), "{n}");
        }
        for off in 0..5u8 {
            let mut b = LINUX_SYN;
            b[12] = off << 4;
            assert_eq!(TcpPacket::new_checked(&b[..]).err(), Some(Error::Malformed));
        }
        let bad: Vec<TcpOption> = TcpOptions::new(&[2, 4, 5]).collect();
        assert_eq!(bad, [TcpOption::Malformed(&[2, 4, 5])]);
        let bad: Vec<TcpOption> = TcpOptions::new(&[1, 8, 1]).collect();
        assert_eq!(bad, [TcpOption::NoOp, TcpOption::Malformed(&[8, 1])]);
    }
}
