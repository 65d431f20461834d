//! Packet capture for netshoot: pcap-filter expressions compiled to classic BPF in pure Rust
//! (`filter`), a BPF interpreter with the kernel's semantics (`bpf`), pcap files (`pcap`), and
//! crafted frames for tests and fuzz seeds (`craft`).

pub mod bpf;
pub mod craft;
pub mod filter;
pub mod pcap;
