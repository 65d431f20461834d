//! pcap files (the libpcap format tcpdump and tshark read and write): a writer that flushes
//! whole records, and a bounds-checked reader for both byte orders and both timestamp
//! resolutions. Corrupt input is an error, never a panic.

use std::io::{Read, Write};

/// Ethernet link type.
pub const LINKTYPE_ETHERNET: u32 = 1;
const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Seconds since the epoch.
    pub sec: u32,
    /// Nanoseconds within the second.
    pub nsec: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// The captured bytes (at most the snap length).
    pub data: Vec<u8>,
}

/// Why a file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a pcap file.
    #[error("not a pcap file (magic {0:#010x}); pcapng is read with --pcapng files written by netshoot, or convert with editcap -F pcap")]
    Magic(u32),
    /// A record is damaged.
    #[error("corrupt record {index}: {why}")]
    Corrupt {
        /// 1-based record number.
        index: u64,
        /// What is wrong.
        why: String,
    },
}

/// Writes pcap: the header at creation, then records.
pub struct Writer<W: Write> {
    out: W,
    nanos: bool,
}

impl<W: Write> Writer<W> {
    /// Starts a file (microsecond timestamps unless `nanos`).
    pub fn new(mut out: W, snaplen: u32, linktype: u32, nanos: bool) -> std::io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&(if nanos { MAGIC_NS } else { MAGIC_US }).to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&linktype.to_le_bytes());
        out.write_all(&h)?;
        Ok(Writer { out, nanos })
    }

    /// Appends one record (one write call, so an interrupted capture never holds half a record
    /// in our buffer).
    pub fn write(
        &mut self,
        sec: u32,
        nsec: u32,
        orig_len: u32,
        data: &[u8],
    ) -> std::io::Result<()> {
        let frac = if self.nanos { nsec } else { nsec / 1000 };
        let mut r = Vec::with_capacity(16 + data.len());
        r.extend_from_slice(&sec.to_le_bytes());
        r.extend_from_slice(&frac.to_le_bytes());
        r.extend_from_slice(&(data.len() as u32).to_le_bytes());
        r.extend_from_slice(&orig_len.to_le_bytes());
        r.extend_from_slice(data);
        self.out.write_all(&r)
    }

    /// Flushes buffered records.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Reads a whole pcap stream: (link type, snap length, records).
pub fn read_all(mut r: impl Read) -> Result<(u32, u32, Vec<Record>), PcapError> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf)?;
    parse(&buf)
}

/// Parses pcap bytes.
pub fn parse(buf: &[u8]) -> Result<(u32, u32, Vec<Record>), PcapError> {
    let head = buf.get(..24).ok_or(PcapError::Magic(0))?;
    let m = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let (le, nanos) = match m {
        MAGIC_US => (true, false),
        MAGIC_NS => (true, true),
        _ => match m.swap_bytes() {
            MAGIC_US => (false, false),
            MAGIC_NS => (false, true),
            _ => return Err(PcapError::Magic(m)),
        },
    };
    let u32at = |b: &[u8], o: usize| -> u32 {
        let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let snaplen = u32at(head, 16);
    let linktype = u32at(head, 20) & 0x0fff_ffff;
    let mut recs = Vec::new();
    let mut off = 24usize;
    let mut index = 0u64;
    while off < buf.len() {
        index += 1;
        let Some(h) = buf.get(off..off + 16) else {
            return Err(PcapError::Corrupt {
                index,
                why: format!("record header cut short ({} of 16 bytes)", buf.len() - off),
            });
        };
        let (sec, frac, incl, orig) =
            (u32at(h, 0), u32at(h, 4), u32at(h, 8) as usize, u32at(h, 12));
        if incl > 262_144.max(snaplen as usize) {
            return Err(PcapError::Corrupt {
                index,
                why: format!("captured length {incl} exceeds the snap length {snaplen}"),
            });
        }
        let Some(data) = buf.get(off + 16..off + 16 + incl) else {
            return Err(PcapError::Corrupt {
                index,
                why: format!("data cut short ({} of {incl} bytes)", buf.len() - off - 16),
            });
        };
        let nsec = if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        if nsec >= 1_000_000_000 {
            return Err(PcapError::Corrupt {
                index,
                why: "sub-second timestamp out of range".into(),
            });
        }
        recs.push(Record {
            sec,
            nsec,
            orig_len: orig,
            data: data.to_vec(),
        });
        off += 16 + incl;
    }
    Ok((linktype, snaplen, recs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption() {
        let mut w = Writer::new(Vec::new(), 65535, LINKTYPE_ETHERNET, false).unwrap();
        w.write(1, 2000, 60, &[1u8; 60]).unwrap();
        w.write(3, 4000, 1500, &[2u8; 100]).unwrap();
        let bytes = w.into_inner();
        let (lt, snap, recs) = parse(&bytes).unwrap();
        assert_eq!((lt, snap, recs.len()), (1, 65535, 2));
        assert_eq!(recs[1].nsec, 4000);
        assert_eq!(recs[1].orig_len, 1500);
        assert!(parse(&bytes[..bytes.len() - 1]).is_err());
        assert!(parse(b"garbage garbage garbage garbage").is_err());
        let mut seed = 3u32;
        for cut in 0..bytes.len() {
            let mut b = bytes[..cut].to_vec();
            if let Some(x) = b.get_mut(cut / 2) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *x ^= (seed >> 16) as u8;
            }
            let _ = parse(&b);
        }
    }
}
