//! pcap files (the libpcap format tcpdump and tshark read and write): a writer that flushes
//! whole records, and a bounds-checked streaming reader (pcap and pcapng, both byte orders and
//! timestamp resolutions) that holds one record at a time. Corrupt input is an error, never a
//! panic.

use std::io::{BufRead, Read, Write};

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
    let mut reader = Reader::new(buf)?;
    let mut recs = Vec::new();
    while let Some(r) = reader.next_record()? {
        recs.push(r);
    }
    Ok((reader.linktype(), reader.snaplen(), recs))
}

/// The largest record or block a [`Reader`] takes (16 MiB): a length field beyond it is
/// corruption, never an allocation.
pub const MAX_RECORD: usize = 16 << 20;

/// The captured length any pcap record may have whatever its file's snap length (libpcap's
/// largest snap length).
const MAX_SNAPLEN: usize = 262_144;

/// Which format a [`Reader`] reads.
#[derive(Debug)]
enum Format {
    /// pcap: its byte order and timestamp resolution.
    Pcap { le: bool, nanos: bool },
    /// pcapng: the current section's byte order and interfaces (link type, snap length,
    /// timestamp ticks per second).
    Ng {
        le: bool,
        ifaces: Vec<(u32, u32, u64)>,
    },
}

/// A pcap or pcapng stream read one record at a time (`tcpdump -r` of a file of any size):
/// memory holds one record (or pcapng block), never the file. Corrupt input is an error, never
/// a panic or an allocation beyond [`MAX_RECORD`].
#[derive(Debug)]
pub struct Reader<R: BufRead> {
    r: R,
    format: Format,
    linktype: u32,
    snaplen: u32,
    /// Records (pcap) or blocks (pcapng) read so far.
    index: u64,
    /// The current pcapng block.
    block: Vec<u8>,
}

/// Reads until `buf` is full or the stream ends; the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Appends exactly `n` bytes of `r` to `out` (growing it only as bytes arrive); the bytes
/// appended.
fn read_more(r: &mut impl BufRead, n: usize, out: &mut Vec<u8>) -> std::io::Result<usize> {
    r.by_ref().take(n as u64).read_to_end(out)
}

fn u32_of(b: [u8; 4], le: bool) -> u32 {
    if le {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    }
}

impl<R: BufRead> Reader<R> {
    /// Reads the file header (pcap) or the section header up to the first interface
    /// description (pcapng).
    pub fn new(mut r: R) -> Result<Reader<R>, PcapError> {
        let mut head = [0u8; 24];
        let got = read_full(&mut r, &mut head[..4])?;
        if got == 4 && head[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            let mut reader = Reader {
                r,
                format: Format::Ng {
                    le: true,
                    ifaces: Vec::new(),
                },
                linktype: LINKTYPE_ETHERNET,
                snaplen: MAX_SNAPLEN as u32,
                index: 0,
                block: Vec::new(),
            };
            reader.block.extend_from_slice(&head[..4]);
            // Blocks up to the first interface description decide the link type (a packet
            // before it is an error: it belongs to no interface).
            while reader.next_block()?.is_some() {
                if let Format::Ng { ifaces, .. } = &reader.format {
                    if let Some(&(lt, snap, _)) = ifaces.first() {
                        reader.linktype = lt;
                        reader.snaplen = snap;
                        break;
                    }
                }
            }
            return Ok(reader);
        }
        let m = u32::from_le_bytes(head[..4].try_into().unwrap_or_default());
        let (le, nanos) = match m {
            MAGIC_US => (true, false),
            MAGIC_NS => (true, true),
            _ => match m.swap_bytes() {
                MAGIC_US => (false, false),
                MAGIC_NS => (false, true),
                _ => return Err(PcapError::Magic(m)),
            },
        };
        let got = got + read_full(&mut r, &mut head[4..])?;
        if got < 24 {
            return Err(PcapError::Corrupt {
                index: 0,
                why: format!("file header cut short ({got} of 24 bytes)"),
            });
        }
        let at = |o: usize| u32_of([head[o], head[o + 1], head[o + 2], head[o + 3]], le);
        Ok(Reader {
            r,
            format: Format::Pcap { le, nanos },
            linktype: at(20) & 0x0fff_ffff,
            snaplen: at(16),
            index: 0,
            block: Vec::new(),
        })
    }

    /// The link type (pcapng: of the first interface; Ethernet when there is none).
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// The snap length (pcapng: of the first interface).
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// The next record, or `None` at the end of the stream.
    pub fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        match self.format {
            Format::Pcap { le, nanos } => self.next_pcap(le, nanos),
            Format::Ng { .. } => loop {
                match self.next_block()? {
                    None => return Ok(None),
                    Some(Some(rec)) => return Ok(Some(rec)),
                    Some(None) => {}
                }
            },
        }
    }

    fn at_end(&mut self) -> Result<bool, PcapError> {
        Ok(self.r.fill_buf()?.is_empty())
    }

    fn next_pcap(&mut self, le: bool, nanos: bool) -> Result<Option<Record>, PcapError> {
        if self.at_end()? {
            return Ok(None);
        }
        self.index += 1;
        let index = self.index;
        let corrupt = |why: String| PcapError::Corrupt { index, why };
        let mut h = [0u8; 16];
        let got = read_full(&mut self.r, &mut h)?;
        if got < 16 {
            return Err(corrupt(format!(
                "record header cut short ({got} of 16 bytes)"
            )));
        }
        let at = |o: usize| u32_of([h[o], h[o + 1], h[o + 2], h[o + 3]], le);
        let (sec, frac, incl, orig) = (at(0), at(4), at(8) as usize, at(12));
        if incl > MAX_SNAPLEN.max(self.snaplen as usize) {
            return Err(corrupt(format!(
                "captured length {incl} exceeds the snap length {}",
                self.snaplen
            )));
        }
        if incl > MAX_RECORD {
            return Err(corrupt(format!(
                "captured length {incl} exceeds the largest record read ({MAX_RECORD} bytes)"
            )));
        }
        let mut data = Vec::with_capacity(incl.min(MAX_SNAPLEN));
        let got = read_more(&mut self.r, incl, &mut data)?;
        if got < incl {
            return Err(corrupt(format!("data cut short ({got} of {incl} bytes)")));
        }
        let nsec = if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        if nsec >= 1_000_000_000 {
            return Err(corrupt("sub-second timestamp out of range".into()));
        }
        Ok(Some(Record {
            sec,
            nsec,
            orig_len: orig,
            data,
        }))
    }

    /// The next pcapng block: `None` at the end of the stream, `Some(None)` for a block that
    /// is not a packet, `Some(Some(record))` for a packet. The block's first bytes may already
    /// be in `self.block` (the magic `new` read).
    fn next_block(&mut self) -> Result<Option<Option<Record>>, PcapError> {
        if self.block.is_empty() && self.at_end()? {
            return Ok(None);
        }
        self.index += 1;
        let index = self.index;
        let bad = |why: &str| PcapError::Corrupt {
            index,
            why: why.to_string(),
        };
        let Format::Ng { le, ifaces } = &mut self.format else {
            return Ok(None);
        };
        let have = self.block.len();
        let got = read_more(&mut self.r, 8 - have, &mut self.block)?;
        if have + got < 4 {
            return Err(bad("block header cut short"));
        }
        if self.block[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            let got = read_more(&mut self.r, 4, &mut self.block)?;
            if self.block.len() < 12 || got < 4 {
                return Err(bad("section header cut short"));
            }
            *le = match self.block[8..12] {
                [0x4d, 0x3c, 0x2b, 0x1a] => true,
                [0x1a, 0x2b, 0x3c, 0x4d] => false,
                _ => return Err(bad("bad byte-order magic")),
            };
            ifaces.clear();
        }
        if self.block.len() < 8 {
            return Err(bad("block header cut short"));
        }
        let le = *le;
        let word = |b: &[u8], o: usize| -> Option<u32> {
            Some(u32_of(b.get(o..o + 4)?.try_into().ok()?, le))
        };
        let kind = word(&self.block, 0).ok_or_else(|| bad("block header cut short"))?;
        let len = word(&self.block, 4).ok_or_else(|| bad("block header cut short"))? as usize;
        if len < 12 || len % 4 != 0 || len < self.block.len() {
            return Err(bad(&format!("block length {len} does not fit the file")));
        }
        if len > MAX_RECORD {
            return Err(bad(&format!(
                "block length {len} exceeds the largest block read ({MAX_RECORD} bytes)"
            )));
        }
        let want = len - self.block.len();
        let got = read_more(&mut self.r, want, &mut self.block)?;
        if got < want {
            return Err(bad(&format!("block length {len} does not fit the file")));
        }
        let block = std::mem::take(&mut self.block);
        let rec = ng_block_record(kind, &block[8..len - 4], le, ifaces, &bad);
        // The scratch is kept for the next block (emptied, its capacity bounded).
        self.block = block;
        self.block.clear();
        if self.block.capacity() > 1 << 20 {
            self.block = Vec::new();
        }
        rec.map(Some)
    }
}

/// One pcapng block's body: an interface description is recorded in `ifaces`; an enhanced
/// or simple packet block is a record; other blocks are skipped.
fn ng_block_record(
    kind: u32,
    body: &[u8],
    le: bool,
    ifaces: &mut Vec<(u32, u32, u64)>,
    bad: &dyn Fn(&str) -> PcapError,
) -> Result<Option<Record>, PcapError> {
    let rd32 =
        |b: &[u8], o: usize| -> Option<u32> { Some(u32_of(b.get(o..o + 4)?.try_into().ok()?, le)) };
    let rd16 = |b: &[u8], o: usize| -> Option<u16> {
        let a: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    };
    match kind {
        1 => {
            let lt = u32::from(rd16(body, 0).ok_or_else(|| bad("interface block cut short"))?);
            let snap = rd32(body, 4).ok_or_else(|| bad("interface block cut short"))?;
            let mut tps = 1_000_000u64;
            let mut o = 8;
            while let (Some(code), Some(olen)) = (rd16(body, o), rd16(body, o + 2)) {
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
            Ok(None)
        }
        6 | 3 => {
            let short = || bad("packet block cut short");
            let (ifid, ts, caplen, orig, data_off) = if kind == 6 {
                let ifid = rd32(body, 0).ok_or_else(short)? as usize;
                let hi = rd32(body, 4).ok_or_else(short)?;
                let lo = rd32(body, 8).ok_or_else(short)?;
                let cap = rd32(body, 12).ok_or_else(short)? as usize;
                let orig = rd32(body, 16).ok_or_else(short)?;
                (
                    ifid,
                    (u64::from(hi) << 32) | u64::from(lo),
                    cap,
                    orig,
                    20usize,
                )
            } else {
                let orig = rd32(body, 0).ok_or_else(short)?;
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
            Ok(Some(Record {
                sec: (ts / tps) as u32,
                nsec,
                orig_len: orig,
                data: data.to_vec(),
            }))
        }
        _ => Ok(None),
    }
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

    /// The streaming reader gives the same records through a one-byte buffer (every read
    /// short), and refuses lying lengths without allocating them.
    #[test]
    fn streaming_reads_and_lying_lengths() {
        let mut w = Writer::new(Vec::new(), 65535, LINKTYPE_ETHERNET, true).unwrap();
        let mut ng = Writer::new_pcapng(Vec::new(), 65535, LINKTYPE_ETHERNET).unwrap();
        for i in 0..50u32 {
            let data = vec![i as u8; (i as usize * 37) % 1500 + 1];
            w.write(i, i * 1000, 1500, &data).unwrap();
            ng.write(i, i * 1000, 1500, &data).unwrap();
        }
        for bytes in [w.into_inner(), ng.into_inner()] {
            let (lt, snap, all) = parse(&bytes).unwrap();
            let mut r = Reader::new(std::io::BufReader::with_capacity(1, &bytes[..])).unwrap();
            assert_eq!((r.linktype(), r.snaplen()), (lt, snap));
            let mut got = Vec::new();
            while let Some(rec) = r.next_record().unwrap() {
                got.push(rec);
            }
            assert_eq!(got, all);
            assert_eq!(got.len(), 50);
            // Cut anywhere: an error or fewer records, never a panic.
            for cut in (0..bytes.len()).step_by(97) {
                if let Ok(mut r) = Reader::new(&bytes[..cut]) {
                    while let Ok(Some(_)) = r.next_record() {}
                }
            }
        }
        // pcap: a snap length of 4 GiB and a record claiming almost that.
        let mut lie = Writer::new(Vec::new(), u32::MAX, LINKTYPE_ETHERNET, false)
            .unwrap()
            .into_inner();
        lie.extend_from_slice(&[0; 8]);
        lie.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
        lie.extend_from_slice(&60u32.to_le_bytes());
        let e = Reader::new(&lie[..]).unwrap().next_record().unwrap_err();
        assert!(e.to_string().contains("largest record"), "{e}");
        // pcapng: a section header block claiming almost 4 GiB.
        let mut lie = vec![0x0a, 0x0d, 0x0d, 0x0a, 0xf0, 0xff, 0xff, 0xff];
        lie.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        lie.extend_from_slice(&[0; 16]);
        let e = Reader::new(&lie[..]).unwrap_err();
        assert!(e.to_string().contains("largest block"), "{e}");
    }
}
