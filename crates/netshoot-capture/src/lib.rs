//! Packet capture for netshoot: pcap-filter expressions compiled to classic BPF in pure Rust
//! (`filter`), a BPF interpreter with the kernel's semantics (`bpf`), AF_PACKET TPACKET_V3
//! rings (`ring`) and the live capture tcpdump opens on them (`source`), pcap files (`pcap`)
//! and tcpdump's rotation of them (`rotate`), iftop's per-pair rates (`flows`) and `top`'s
//! snapshots of them (`top`), tcpdump-style packet lines (`summary`), and crafted frames for
//! tests and fuzz seeds (`craft`).

pub mod bpf;
pub mod craft;
pub mod filter;
pub mod flows;
pub mod pcap;
pub mod ring;
pub mod rotate;
pub mod source;
pub mod summary;
pub mod top;
