//! AF_PACKET capture with a TPACKET_V3 memory-mapped ring and a kernel-attached classic BPF
//! filter. The only `unsafe` of the crate lives here: the socket options that take C structs,
//! the mmap of the ring, and reading the kernel's block and packet headers in it.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};

use nix::libc;

use crate::bpf::Insn;

/// One packet in the ring (valid until the callback returns).
#[derive(Debug)]
pub struct Packet<'a> {
    /// Seconds.
    pub sec: u32,
    /// Nanoseconds.
    pub nsec: u32,
    /// Length on the wire.
    pub len: u32,
    /// Captured bytes (the filter's return value caps them: the snap length).
    pub data: &'a [u8],
    /// The VLAN tag the NIC or the kernel took out of the frame: (TCI, TPID).
    pub vlan: Option<(u16, u16)>,
    /// The interface it was seen on.
    pub ifindex: i32,
    /// `PACKET_HOST`, `PACKET_OUTGOING`, … (sockaddr_ll's sll_pkttype).
    pub pkttype: u8,
}

/// sll_pkttype of a packet this host sent.
pub const PACKET_OUTGOING: u8 = 4;

impl Packet<'_> {
    /// The outgoing copy of a packet on a loopback interface (one of `loopbacks`): loopback
    /// shows every packet twice, and libpcap keeps only the incoming one.
    pub fn is_loopback_copy(&self, loopbacks: &[i32]) -> bool {
        self.pkttype == PACKET_OUTGOING && loopbacks.contains(&self.ifindex)
    }
}

/// Kernel counters (PACKET_STATISTICS, accumulated: each read resets the kernel's).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Packets that passed the filter ("received by filter").
    pub packets: u64,
    /// Packets dropped because the ring was full ("dropped by kernel").
    pub drops: u64,
}

/// An open capture.
pub struct Ring {
    fd: OwnedFd,
    map: NonNull<u8>,
    map_len: usize,
    block_size: usize,
    blocks: usize,
    cur: usize,
    stats: Stats,
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn setopt<T>(fd: i32, level: i32, name: i32, v: &T) -> io::Result<()> {
    // SAFETY: `v` points to a live, initialised T of the size given.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
}

const BLOCK_STATUS: usize = 8;
const NUM_PKTS: usize = 12;
const FIRST_PKT: usize = 16;

impl Ring {
    /// Opens a capture on `ifindex` (0: every interface) with `filter` attached before any
    /// packet is queued, a ring of `blocks` × `block_size` bytes, and promiscuous mode.
    pub fn open(
        ifindex: u32,
        filter: &[Insn],
        promisc: bool,
        block_size: usize,
        blocks: usize,
    ) -> io::Result<Ring> {
        // Protocol 0: nothing is queued until bind() names ETH_P_ALL, after the filter is on.
        // SAFETY: plain socket(2) call.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        check(raw)?;
        // SAFETY: `raw` is a new descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let s = fd.as_raw_fd();
        let prog: Vec<libc::sock_filter> = filter
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let fprog = libc::sock_fprog {
            len: prog.len() as u16,
            filter: prog.as_ptr() as *mut libc::sock_filter,
        };
        setopt(s, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog)?;
        let version: libc::c_int = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setopt(s, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let frame = 2048u32;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: frame,
            tp_frame_nr: (block_size * blocks / frame as usize) as u32,
            tp_retire_blk_tov: 50,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setopt(s, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        let map_len = block_size * blocks;
        // SAFETY: mapping the ring the kernel just allocated for this socket.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                s,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let map =
            NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        let ring = Ring {
            fd,
            map,
            map_len,
            block_size,
            blocks,
            cur: 0,
            stats: Stats::default(),
        };
        if promisc && ifindex != 0 {
            // SAFETY: packet_mreq is plain data.
            let mut mr: libc::packet_mreq = unsafe { std::mem::zeroed() };
            mr.mr_ifindex = ifindex as i32;
            mr.mr_type = libc::PACKET_MR_PROMISC as u16;
            setopt(s, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mr)?;
        }
        // SAFETY: sockaddr_ll is plain data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: binding with a valid sockaddr_ll of the size given.
        check(unsafe {
            libc::bind(
                s,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        })?;
        Ok(ring)
    }

    fn block(&self, i: usize) -> *mut u8 {
        // SAFETY: i < blocks, so the offset stays inside the mapping.
        unsafe { self.map.as_ptr().add(i * self.block_size) }
    }

    fn rd32(p: *const u8, off: usize) -> u32 {
        // SAFETY: callers pass offsets inside the mapping (checked against the block size).
        unsafe { std::ptr::read_unaligned(p.add(off).cast::<u32>()) }
    }

    /// Waits up to `timeout_ms` for a filled block and hands each of its packets to `f`;
    /// returns how many it handed over (0 on timeout).
    pub fn next_block(
        &mut self,
        timeout_ms: i32,
        f: &mut dyn FnMut(&Packet<'_>),
    ) -> io::Result<usize> {
        let b = self.block(self.cur);
        // SAFETY: block_status is a u32 the kernel writes; read it volatile.
        let status =
            |b: *mut u8| unsafe { std::ptr::read_volatile(b.add(BLOCK_STATUS).cast::<u32>()) };
        if status(b) & libc::TP_STATUS_USER == 0 {
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                return if e.kind() == io::ErrorKind::Interrupted {
                    Ok(0)
                } else {
                    Err(e)
                };
            }
            if status(b) & libc::TP_STATUS_USER == 0 {
                return Ok(0);
            }
        }
        fence(Ordering::Acquire);
        let n = Self::rd32(b, NUM_PKTS) as usize;
        let mut off = Self::rd32(b, FIRST_PKT) as usize;
        let mut handed = 0;
        for _ in 0..n {
            if off + 48 > self.block_size {
                break;
            }
            // SAFETY: off + 48 <= block_size: the header is inside the block.
            let h = unsafe { b.add(off) };
            let next = Self::rd32(h, 0) as usize;
            let sec = Self::rd32(h, 4);
            let nsec = Self::rd32(h, 8);
            let snap = Self::rd32(h, 12) as usize;
            let len = Self::rd32(h, 16);
            let st = Self::rd32(h, 20);
            // SAFETY: reading the u16 tp_mac at offset 24 inside the header.
            let mac = unsafe { std::ptr::read_unaligned(h.add(24).cast::<u16>()) } as usize;
            let tci = Self::rd32(h, 32) as u16;
            // SAFETY: reading the u16 tp_vlan_tpid at offset 36 inside the header.
            let tpid = unsafe { std::ptr::read_unaligned(h.add(36).cast::<u16>()) };
            // The sockaddr_ll follows the 48-byte header: ifindex at +4, pkttype at +10.
            let ifindex = Self::rd32(h, 48 + 4) as i32;
            // SAFETY: reading one byte inside the header area (mac >= 48 + 20).
            let pkttype = unsafe { *h.add(48 + 10) };
            if off + mac + snap <= self.block_size {
                // SAFETY: the packet bytes lie inside this block, which the kernel handed to
                // us (TP_STATUS_USER) and will not touch until we give it back below.
                let data = unsafe { std::slice::from_raw_parts(h.add(mac), snap) };
                let tpid = if st & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                    tpid
                } else {
                    0x8100
                };
                let vlan = (st & libc::TP_STATUS_VLAN_VALID != 0).then_some((tci, tpid));
                f(&Packet {
                    sec,
                    nsec,
                    len,
                    data,
                    vlan,
                    ifindex,
                    pkttype,
                });
                handed += 1;
            }
            if next == 0 {
                break;
            }
            off += next;
        }
        fence(Ordering::Release);
        // SAFETY: give the block back to the kernel.
        unsafe {
            std::ptr::write_volatile(b.add(BLOCK_STATUS).cast::<u32>(), libc::TP_STATUS_KERNEL)
        };
        self.cur = (self.cur + 1) % self.blocks;
        Ok(handed)
    }

    /// The kernel's counters so far.
    pub fn stats(&mut self) -> io::Result<Stats> {
        // SAFETY: tpacket_stats_v3 is plain data; the kernel fills at most `len` bytes.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: valid pointers and length.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        })?;
        self.stats.packets += u64::from(st.tp_packets);
        self.stats.drops += u64::from(st.tp_drops);
        Ok(self.stats)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping what open() mapped, once.
        unsafe {
            libc::munmap(self.map.as_ptr().cast(), self.map_len);
        }
    }
}
