//! One module per command (or family of commands). Each turns its arguments into a library call
//! and renders the typed report it gets back.

pub mod bridge;
pub mod calico;
pub mod capture;
pub mod conntrack;
pub mod dns;
pub mod doctor;
pub mod entrypoint;
pub mod exec;
pub mod firewall;
pub mod http;
pub mod inspect;
pub mod ip;
pub mod ipvs;
pub mod map;
pub mod mesh;
pub mod misc;
pub mod motd;
pub mod nc;
pub mod perf;
pub mod perf_report;
pub mod ping;
pub mod probes;
pub mod scan;
pub mod sockets;
pub mod stats;
pub mod target;
pub mod targets;
pub mod trace;
