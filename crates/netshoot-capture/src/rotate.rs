//! tcpdump's `-w` file with rotation: a new file when the next packet would take the file past
//! a size (`-C`), or after a time (`-G`), keeping at most a number of names in a ring (`-W`).
//! The size is what the pcap or pcapng writer says it has written, so both formats are
//! counted exactly.

use std::fs::File;
use std::io::{self, BufWriter};
use std::time::{Duration, Instant};

use crate::pcap;
use crate::source::Frame;

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// libpcap's format, microsecond timestamps.
    Pcap,
    /// pcapng: one section, one Ethernet interface, microsecond timestamps.
    Pcapng,
}

/// When to start a new file. Without `max_bytes` and `every`, one file is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rotation {
    /// A new file when the next packet would take this one past this many bytes (`-C`).
    pub max_bytes: Option<u64>,
    /// A new file when this one has been open this long (`-G`).
    pub every: Option<Duration>,
    /// At most this many files, their names reused in a ring (`-W`); without it, names count
    /// up without end.
    pub files: Option<u32>,
}

/// Why the files cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// A file could not be created.
    #[error("cannot create {name}")]
    Create {
        /// The file's name.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Writes packets to `base`, then `base1`, `base2`, … as the rotation asks (with a ring of
/// `files` names: `base0` … `base{files-1}`, zero-padded to one width, as tcpdump names them).
pub struct RotatingWriter {
    base: String,
    format: Format,
    snaplen: u32,
    rotation: Rotation,
    writer: pcap::Writer<BufWriter<File>>,
    opened: Instant,
    index: u32,
    /// Records in the current file.
    records: u64,
}

impl RotatingWriter {
    /// The name of file number `index` of `base` with a ring of `files` names (or none).
    pub fn file_name(base: &str, index: u32, files: Option<u32>) -> String {
        match files {
            Some(n) => {
                let width = (n.max(1) - 1).to_string().len();
                format!("{base}{index:0width$}")
            }
            None if index == 0 => base.to_string(),
            None => format!("{base}{index}"),
        }
    }

    fn open_file(
        name: &str,
        format: Format,
        snaplen: u32,
    ) -> Result<pcap::Writer<BufWriter<File>>, RotateError> {
        let f = File::create(name).map_err(|source| RotateError::Create {
            name: name.to_string(),
            source,
        })?;
        let out = BufWriter::with_capacity(1 << 20, f);
        Ok(match format {
            Format::Pcapng => pcap::Writer::new_pcapng(out, snaplen, pcap::LINKTYPE_ETHERNET)?,
            Format::Pcap => pcap::Writer::new(out, snaplen, pcap::LINKTYPE_ETHERNET, false)?,
        })
    }

    /// Creates the first file (Ethernet link type, `snaplen` in its header).
    pub fn create(
        base: &str,
        format: Format,
        snaplen: u32,
        rotation: Rotation,
    ) -> Result<Self, RotateError> {
        let name = Self::file_name(base, 0, rotation.files);
        Ok(RotatingWriter {
            base: base.to_string(),
            format,
            snaplen,
            rotation,
            writer: Self::open_file(&name, format, snaplen)?,
            opened: Instant::now(),
            index: 0,
            records: 0,
        })
    }

    /// The name of the file being written.
    pub fn current_file(&self) -> String {
        Self::file_name(&self.base, self.index, self.rotation.files)
    }

    /// Appends one packet, first starting the next file when the rotation says so. A file
    /// always takes at least one packet, however small the size limit.
    pub fn write(&mut self, frame: &Frame<'_>) -> Result<(), RotateError> {
        let full = self.rotation.max_bytes.is_some_and(|max| {
            self.writer.bytes_written() + self.writer.record_len(frame.data.len()) > max
        });
        let old = self
            .rotation
            .every
            .is_some_and(|d| self.opened.elapsed() >= d);
        if (full && self.records > 0) || old {
            self.writer.flush()?;
            self.index += 1;
            if let Some(n) = self.rotation.files {
                self.index %= n.max(1);
            }
            self.writer = Self::open_file(&self.current_file(), self.format, self.snaplen)?;
            self.opened = Instant::now();
            self.records = 0;
        }
        self.writer
            .write(frame.sec, frame.nsec, frame.len, frame.data)?;
        self.records += 1;
        Ok(())
    }

    /// Flushes the current file.
    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(base: &str) -> Vec<(String, Vec<u8>)> {
        (0..)
            .map(|i| RotatingWriter::file_name(base, i, None))
            .map_while(|n| std::fs::read(&n).ok().map(|b| (n, b)))
            .collect()
    }

    /// Both formats: no file passes the limit, each is full up to one packet, and every packet
    /// reads back in order.
    #[test]
    fn size_limit_counts_each_formats_bytes() {
        let dir = std::env::temp_dir().join(format!("nsrot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (format, tag) in [(Format::Pcap, "pcap"), (Format::Pcapng, "ng")] {
            let base = dir.join(tag).to_string_lossy().into_owned();
            let rotation = Rotation {
                max_bytes: Some(10_000),
                ..Rotation::default()
            };
            let mut w = RotatingWriter::create(&base, format, 65535, rotation).unwrap();
            for i in 0..100u32 {
                // 997 bytes: pcapng pads it to 1000.
                let data = [i as u8; 997];
                w.write(&Frame {
                    sec: i,
                    nsec: 0,
                    len: 997,
                    data: &data,
                    ifindex: 0,
                })
                .unwrap();
            }
            w.finish().unwrap();
            let got = files(&base);
            assert!(got.len() > 5, "{tag}: {} files", got.len());
            let mut seen = Vec::new();
            for (n, b) in &got {
                assert!(b.len() <= 10_000, "{tag}: {n} has {} bytes", b.len());
                let (_, _, recs) = pcap::parse(b).unwrap();
                if n != &got.last().unwrap().0 {
                    let rec = if format == Format::Pcapng { 1032 } else { 1013 };
                    assert!(
                        b.len() + rec > 10_000,
                        "{tag}: {n} ({} bytes) not full",
                        b.len()
                    );
                }
                seen.extend(recs.iter().map(|r| r.sec));
            }
            assert_eq!(seen, (0..100).collect::<Vec<_>>(), "{tag}");
            for (n, _) in got {
                let _ = std::fs::remove_file(n);
            }
        }
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn ring_names_are_zero_padded() {
        assert_eq!(RotatingWriter::file_name("x", 3, Some(12)), "x03");
        assert_eq!(RotatingWriter::file_name("x", 0, Some(3)), "x0");
        assert_eq!(RotatingWriter::file_name("x", 0, None), "x");
        assert_eq!(RotatingWriter::file_name("x", 2, None), "x2");
    }
}
