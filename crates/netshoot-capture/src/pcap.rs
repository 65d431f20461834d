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
    #[error("not a pcap or pcapng file (it starts with {0:#010x})")]
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

/// Writes pcap (or pcapng): the header at creation, then records.
pub struct Writer<W: Write> {
    out: W,
    nanos: bool,
    ng: bool,
    /// Bytes handed to `out` so far (header and records): the file's size once flushed.
    written: u64,
}

fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend_from_slice(&total.to_le_bytes());
    b
}

impl<W: Write> Writer<W> {
    /// Starts a pcapng file: a section header and one interface (microsecond timestamps).
    pub fn new_pcapng(mut out: W, snaplen: u32, linktype: u32) -> std::io::Result<Self> {
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        let mut idb = Vec::new();
        idb.extend_from_slice(&(linktype as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        let mut h = ng_block(0x0A0D_0D0A, &shb);
        h.extend(ng_block(1, &idb));
        out.write_all(&h)?;
        Ok(Writer {
            out,
            nanos: false,
            ng: true,
            written: h.len() as u64,
        })
    }

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
        Ok(Writer {
            out,
            nanos,
            ng: false,
            written: h.len() as u64,
        })
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
        if self.ng {
            let ts = u64::from(sec) * 1_000_000 + u64::from(nsec / 1000);
            let mut epb = Vec::with_capacity(20 + data.len());
            epb.extend_from_slice(&0u32.to_le_bytes());
            epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            epb.extend_from_slice(&(ts as u32).to_le_bytes());
            epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
            epb.extend_from_slice(&orig_len.to_le_bytes());
            epb.extend_from_slice(data);
            let block = ng_block(6, &epb);
            self.out.write_all(&block)?;
            self.written += block.len() as u64;
            return Ok(());
        }
        let frac = if self.nanos { nsec } else { nsec / 1000 };
        let mut r = Vec::with_capacity(16 + data.len());
        r.extend_from_slice(&sec.to_le_bytes());
        r.extend_from_slice(&frac.to_le_bytes());
        r.extend_from_slice(&(data.len() as u32).to_le_bytes());
        r.extend_from_slice(&orig_len.to_le_bytes());
        r.extend_from_slice(data);
        self.out.write_all(&r)?;
        self.written += r.len() as u64;
        Ok(())
    }

    /// Bytes written so far, file header included: the file's size once flushed.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The bytes `write` adds for a packet of `captured` bytes (a pcap record header, or a
    /// pcapng enhanced packet block with its padding).
    pub fn record_len(&self, captured: usize) -> u64 {
        let n = captured as u64;
        if self.ng {
            32 + n.div_ceil(4) * 4
        } else {
            16 + n
        }
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

/// Parses pcap or pcapng bytes: (link type, snap length, records).
pub fn parse(buf: &[u8]) -> Result<(u32, u32, Vec<Record>), PcapError> {
    if buf.len() >= 4 && buf[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        return parse_ng(buf);
    }
    let mut first = [0u8; 4];
    for (d, b) in first.iter_mut().zip(buf) {
        *d = *b;
    }
    let m = u32::from_le_bytes(first);
    let (le, nanos) = match m {
        MAGIC_US => (true, false),
        MAGIC_NS => (true, true),
        _ => match m.swap_bytes() {
            MAGIC_US => (false, false),
            MAGIC_NS => (false, true),
            _ => return Err(PcapError::Magic(m)),
        },
    };
    let head = buf.get(..24).ok_or(PcapError::Corrupt {
        index: 0,
        why: format!("file header cut short ({} of 24 bytes)", buf.len()),
    })?;
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

/// pcapng: section headers (either byte order), interface descriptions (link type, snap
/// length, timestamp resolution), enhanced and simple packet blocks; other blocks skipped.
fn parse_ng(buf: &[u8]) -> Result<(u32, u32, Vec<Record>), PcapError> {
    let mut off = 0usize;
    let mut le = true;
    let mut ifaces: Vec<(u32, u32, u64)> = Vec::new(); // linktype, snaplen, ticks per second
    let mut recs = Vec::new();
    let mut index = 0u64;
    let rd32 = |b: &[u8], o: usize, le: bool| -> Option<u32> {
        let a: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let rd16 = |b: &[u8], o: usize, le: bool| -> Option<u16> {
        let a: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    };
    while off < buf.len() {
        index += 1;
        let bad = |why: &str| PcapError::Corrupt {
            index,
            why: why.to_string(),
        };
        let kind_raw = buf
            .get(off..off + 4)
            .ok_or_else(|| bad("block header cut short"))?;
        if kind_raw == [0x0a, 0x0d, 0x0d, 0x0a] {
            let m = buf
                .get(off + 8..off + 12)
                .ok_or_else(|| bad("section header cut short"))?;
            le = match m {
                [0x4d, 0x3c, 0x2b, 0x1a] => true,
                [0x1a, 0x2b, 0x3c, 0x4d] => false,
                _ => return Err(bad("bad byte-order magic")),
            };
            ifaces.clear();
        }
        let kind = rd32(buf, off, le).ok_or_else(|| bad("block header cut short"))?;
        let len = rd32(buf, off + 4, le).ok_or_else(|| bad("block header cut short"))? as usize;
        if len < 12 || len % 4 != 0 || len > buf.len() - off {
            return Err(bad(&format!("block length {len} does not fit the file")));
        }
        let body = &buf[off + 8..off + len - 4];
        match kind {
            1 => {
                let lt =
                    u32::from(rd16(body, 0, le).ok_or_else(|| bad("interface block cut short"))?);
                let snap = rd32(body, 4, le).ok_or_else(|| bad("interface block cut short"))?;
                let mut tps = 1_000_000u64;
                let mut o = 8;
                while let (Some(code), Some(olen)) = (rd16(body, o, le), rd16(body, o + 2, le)) {
                    let olen = usize::from(olen);
                    if code == 0 {
                        break;
                    }
                    if code == 9 && olen == 1 {
                        if let Some(&r) = body.get(o + 4) {
                            let e = u32::from(r & 0x7f);
                            tps = if r & 0x80 != 0 {
                                2u64.checked_pow(e)
                            } else {
                                10u64.checked_pow(e)
                            }
                            .ok_or_else(|| bad("timestamp resolution out of range"))?;
                        }
                    }
                    o += 4 + olen.div_ceil(4) * 4;
                }
                ifaces.push((lt, snap, tps.max(1)));
            }
            6 | 3 => {
                let short = || bad("packet block cut short");
                let (ifid, ts, caplen, orig, data_off) = if kind == 6 {
                    let ifid = rd32(body, 0, le).ok_or_else(short)? as usize;
                    let hi = rd32(body, 4, le).ok_or_else(short)?;
                    let lo = rd32(body, 8, le).ok_or_else(short)?;
                    let cap = rd32(body, 12, le).ok_or_else(short)? as usize;
                    let orig = rd32(body, 16, le).ok_or_else(short)?;
                    (
                        ifid,
                        (u64::from(hi) << 32) | u64::from(lo),
                        cap,
                        orig,
                        20usize,
                    )
                } else {
                    let orig = rd32(body, 0, le).ok_or_else(short)?;
                    (
                        0,
                        0,
                        (orig as usize).min(body.len().saturating_sub(4)),
                        orig,
                        4,
                    )
                };
                let &(_, _, tps) = ifaces
                    .get(ifid)
                    .ok_or_else(|| bad("packet of an undeclared interface"))?;
                let data = body
                    .get(data_off..data_off.saturating_add(caplen))
                    .ok_or_else(|| bad("packet data cut short"))?;
                let nsec = ((ts % tps) as u128 * 1_000_000_000 / tps as u128) as u32;
                recs.push(Record {
                    sec: (ts / tps) as u32,
                    nsec,
                    orig_len: orig,
                    data: data.to_vec(),
                });
            }
            _ => {}
        }
        off += len;
    }
    let (lt, snap, _) = ifaces
        .first()
        .copied()
        .unwrap_or((LINKTYPE_ETHERNET, 262_144, 1));
    Ok((lt, snap, recs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption() {
        let mut w = Writer::new(Vec::new(), 65535, LINKTYPE_ETHERNET, false).unwrap();
        w.write(1, 2000, 60, &[1u8; 60]).unwrap();
        w.write(3, 4000, 1500, &[2u8; 100]).unwrap();
        assert_eq!(w.bytes_written(), 24 + 16 + 60 + 16 + 100);
        let bytes = w.into_inner();
        assert_eq!(bytes.len(), 24 + 16 + 60 + 16 + 100);
        let (lt, snap, recs) = parse(&bytes).unwrap();
        assert_eq!((lt, snap, recs.len()), (1, 65535, 2));
        assert_eq!(recs[1].nsec, 4000);
        assert_eq!(recs[1].orig_len, 1500);
        assert!(parse(&bytes[..bytes.len() - 1]).is_err());
        let mut ng = Writer::new_pcapng(Vec::new(), 65535, LINKTYPE_ETHERNET).unwrap();
        let before = ng.bytes_written();
        let rec = ng.record_len(61);
        ng.write(1, 2000, 60, &[1u8; 61]).unwrap();
        assert_eq!(ng.bytes_written(), before + rec);
        let total = ng.bytes_written();
        let ngb = ng.into_inner();
        assert_eq!(ngb.len() as u64, total);
        let (lt, _, r) = parse(&ngb).unwrap();
        assert_eq!((lt, r.len(), r[0].data.len(), r[0].nsec), (1, 1, 61, 2000));
        for cut in 0..ngb.len() {
            let _ = parse(&ngb[..cut]);
        }
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
