//! A live capture as tcpdump opens one: the interface (by default the first one that is up and
//! not loopback; `any` for all), the AF_PACKET ring sized from a buffer size, the compiled
//! filter attached in the kernel, promiscuous mode; packets come out as tcpdump sees them, with
//! the VLAN tag the kernel took out put back into the frame and the second copy of each
//! loopback packet dropped (libpcap does both).

use std::io::{self, BufRead};

use nix::net::if_::{if_nametoindex, InterfaceFlags};

use crate::bpf::{self, Insn};
use crate::pcap::{self, PcapError, Record};
use crate::ring::{Packet, Ring, Stats};

/// What to capture.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The interface; `None` for tcpdump's default (the first up, non-loopback one), `any` for
    /// all.
    pub interface: Option<&'a str>,
    /// The compiled filter (`filter::compile`); its return value is the snap length.
    pub filter: &'a [Insn],
    /// Put the interface in promiscuous mode.
    pub promiscuous: bool,
    /// Ring buffer size in KiB (rounded down to whole 256 KiB blocks, at least two).
    pub buffer_kib: usize,
}

/// Why a capture cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The namespace has no interface at all.
    #[error("no interface to capture on here; give one with -i")]
    NoInterface,
    /// No interface of that name.
    #[error("no interface '{name}' here; interfaces: {} (or 'any')", .known.join(", "))]
    UnknownInterface {
        /// The name asked for.
        name: String,
        /// The interfaces there are.
        known: Vec<String>,
    },
    /// Opening a packet socket needs CAP_NET_RAW.
    #[error("capturing needs CAP_NET_RAW: run as root, or give the container --cap-add NET_RAW")]
    Permission,
    /// The ring could not be set up.
    #[error("cannot capture on {name}: {error}")]
    Open {
        /// The interface.
        name: String,
        /// The kernel's answer.
        error: io::Error,
    },
}

/// Why a capture file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Not a pcap or pcapng file, or a damaged one.
    #[error(transparent)]
    Pcap(#[from] PcapError),
    /// A capture of another link layer.
    #[error("link type {0} is not Ethernet (1); only Ethernet captures are read")]
    LinkType(u32),
}

/// The packets of a pcap or pcapng capture of Ethernet frames (`tcpdump -r`) that pass
/// `filter`, in file order, each as it was recorded (all in memory: for a file of any size,
/// [`Recorded`]).
pub fn recorded(file: &[u8], filter: &[Insn]) -> Result<Vec<Record>, FileError> {
    Recorded::open(file, filter)?.collect()
}

/// A pcap or pcapng capture of Ethernet frames read record by record (`tcpdump -r`), only the
/// packets that pass the filter: memory holds one record, whatever the file's size.
pub struct Recorded<'f, R: BufRead> {
    reader: pcap::Reader<R>,
    filter: &'f [Insn],
    failed: bool,
}

impl<'f, R: BufRead> Recorded<'f, R> {
    /// Reads the file's header; refuses a capture of another link layer than Ethernet.
    pub fn open(r: R, filter: &'f [Insn]) -> Result<Self, FileError> {
        let reader = pcap::Reader::new(r)?;
        if reader.linktype() != pcap::LINKTYPE_ETHERNET {
            return Err(FileError::LinkType(reader.linktype()));
        }
        Ok(Recorded {
            reader,
            filter,
            failed: false,
        })
    }
}

impl<R: BufRead> Iterator for Recorded<'_, R> {
    type Item = Result<Record, FileError>;

    /// The next packet that passes the filter; after an error, the end.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.reader.next_record() {
                Ok(None) => return None,
                Ok(Some(r)) => {
                    if bpf::run(self.filter, &r.data, r.orig_len) != 0 {
                        return Some(Ok(r));
                    }
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.into()));
                }
            }
        }
    }
}

impl Record {
    /// The record as a frame.
    pub fn frame(&self) -> Frame<'_> {
        Frame {
            sec: self.sec,
            nsec: self.nsec,
            len: self.orig_len,
            data: &self.data,
            ifindex: 0,
        }
    }
}

/// One packet as tcpdump sees it (valid during the callback).
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Seconds since the epoch.
    pub sec: u32,
    /// Nanoseconds within the second.
    pub nsec: u32,
    /// Length on the wire (with the VLAN tag, when one was put back).
    pub len: u32,
    /// The captured bytes (at most the snap length, plus a VLAN tag put back).
    pub data: &'a [u8],
    /// The index of the interface the frame was seen on (0 when unknown: a file).
    pub ifindex: i32,
}

/// An open live capture.
pub struct Source {
    ring: Ring,
    name: String,
    loopbacks: Vec<i32>,
    /// Scratch for a frame whose VLAN tag is put back.
    tagged: Vec<u8>,
}

/// (name, up, loopback) of each interface, in the kernel's order.
fn interfaces() -> Vec<(String, bool, bool)> {
    let mut v: Vec<(String, bool, bool)> = Vec::new();
    if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
        for a in addrs {
            if !v.iter().any(|(n, _, _)| *n == a.interface_name) {
                let up = a.flags.contains(InterfaceFlags::IFF_UP);
                let lo = a.flags.contains(InterfaceFlags::IFF_LOOPBACK);
                v.push((a.interface_name, up, lo));
            }
        }
    }
    v
}

/// `frame` with the VLAN tag (TCI, TPID) put back after the MAC addresses, into `out`; a frame
/// too short to hold the addresses is copied as it is.
pub fn insert_vlan_tag(frame: &[u8], (tci, tpid): (u16, u16), out: &mut Vec<u8>) {
    out.clear();
    match frame.split_at_checked(12) {
        Some((macs, rest)) => {
            out.extend_from_slice(macs);
            out.extend_from_slice(&tpid.to_be_bytes());
            out.extend_from_slice(&tci.to_be_bytes());
            out.extend_from_slice(rest);
        }
        None => out.extend_from_slice(frame),
    }
}

impl Source {
    /// Opens the capture: chooses the interface, sizes the ring, attaches the filter before any
    /// packet is queued.
    pub fn open(o: &Options<'_>) -> Result<Source, SourceError> {
        let ifs = interfaces();
        let name = match o.interface {
            Some(n) => n.to_string(),
            None => ifs
                .iter()
                .find(|(_, up, lo)| *up && !*lo)
                .or_else(|| ifs.first())
                .map(|(n, _, _)| n.clone())
                .ok_or(SourceError::NoInterface)?,
        };
        let ifindex = if name == "any" {
            0
        } else {
            if_nametoindex(name.as_str()).map_err(|_| SourceError::UnknownInterface {
                name: name.clone(),
                known: ifs.iter().map(|(n, _, _)| n.clone()).collect(),
            })?
        };
        // 256 KiB blocks, as libpcap sizes them for its snap length (1 MiB blocks cost the
        // sender ~4 % more at 600k small packets/s, measured with bench/capture.sh).
        let block = 256usize << 10;
        let blocks = (o.buffer_kib.saturating_mul(1024) / block).max(2);
        let ring = Ring::open(ifindex, o.filter, o.promiscuous, block, blocks).map_err(|e| {
            if e.raw_os_error() == Some(nix::libc::EPERM) {
                SourceError::Permission
            } else {
                SourceError::Open {
                    name: name.clone(),
                    error: e,
                }
            }
        })?;
        let loopbacks = ifs
            .iter()
            .filter(|(_, _, lo)| *lo)
            .filter_map(|(n, _, _)| if_nametoindex(n.as_str()).ok())
            .map(|i| i as i32)
            .collect();
        Ok(Source {
            ring,
            name,
            loopbacks,
            tagged: Vec::new(),
        })
    }

    /// The interface's name (or `any`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits up to `timeout_ms` for a filled block of the ring and hands each of its packets to
    /// `f` (VLAN tags put back, loopback copies left out); returns how many it handed over.
    pub fn next_block(
        &mut self,
        timeout_ms: i32,
        f: &mut dyn FnMut(&Frame<'_>),
    ) -> io::Result<usize> {
        let Source {
            ring,
            loopbacks,
            tagged,
            ..
        } = self;
        let mut handed = 0;
        ring.next_block(timeout_ms, &mut |p: &Packet<'_>| {
            // A loopback interface shows every packet twice (out and in); keep one.
            if p.is_loopback_copy(loopbacks) {
                return;
            }
            let (data, len) = match p.vlan {
                Some(tag) => {
                    insert_vlan_tag(p.data, tag, tagged);
                    (&tagged[..], p.len.saturating_add(4))
                }
                None => (p.data, p.len),
            };
            handed += 1;
            f(&Frame {
                sec: p.sec,
                nsec: p.nsec,
                len,
                data,
                ifindex: p.ifindex,
            });
        })?;
        Ok(handed)
    }

    /// The kernel's counters so far (packets that passed the filter, drops).
    pub fn stats(&mut self) -> io::Result<Stats> {
        self.ring.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_tag_goes_back_after_the_addresses() {
        let frame: Vec<u8> = (0u8..20).collect();
        let mut out = Vec::new();
        insert_vlan_tag(&frame, (0x2064, 0x8100), &mut out);
        assert_eq!(&out[..12], &frame[..12]);
        assert_eq!(&out[12..16], &[0x81, 0x00, 0x20, 0x64]);
        assert_eq!(&out[16..], &frame[12..]);
        // Too short for the addresses: as it is (the scratch is reused, so cleared first).
        insert_vlan_tag(&frame[..5], (1, 0x88a8), &mut out);
        assert_eq!(out, &frame[..5]);
    }

    #[test]
    fn recorded_frames_pass_the_filter() {
        let corpus = crate::craft::corpus();
        let mut w = pcap::Writer::new(Vec::new(), 65535, pcap::LINKTYPE_ETHERNET, false).unwrap();
        for (_, f) in &corpus {
            w.write(1, 0, f.len() as u32, f).unwrap();
        }
        let file = w.into_inner();
        let all = recorded(&file, &crate::filter::compile("", 65535).unwrap()).unwrap();
        assert_eq!(all.len(), corpus.len());
        let tcp = crate::filter::compile("tcp", 65535).unwrap();
        let some = recorded(&file, &tcp).unwrap();
        assert!(!some.is_empty() && some.len() < all.len());
        for r in &some {
            let f = r.frame();
            assert_eq!((f.len, f.data.len()), (r.orig_len, r.data.len()));
            assert_ne!(bpf::run(&tcp, f.data, f.len), 0);
        }
        let mut raw = pcap::Writer::new(Vec::new(), 65535, 101, false).unwrap();
        raw.write(1, 0, 20, &[0x45; 20]).unwrap();
        let e = recorded(&raw.into_inner(), &tcp).unwrap_err();
        assert_eq!(
            e.to_string(),
            "link type 101 is not Ethernet (1); only Ethernet captures are read"
        );
        assert!(recorded(b"not a capture", &tcp).is_err());
    }

    #[test]
    fn unknown_interface_names_the_ones_there_are() {
        let e = Source::open(&Options {
            interface: Some("nosuchif0"),
            filter: &crate::filter::compile("", 64).unwrap(),
            promiscuous: false,
            buffer_kib: 1024,
        })
        .err()
        .unwrap();
        let text = e.to_string();
        assert!(
            text.starts_with("no interface 'nosuchif0' here; interfaces: ")
                && text.contains("lo")
                && text.ends_with("(or 'any')"),
            "{text}"
        );
    }
}
