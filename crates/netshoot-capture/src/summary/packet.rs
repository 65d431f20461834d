//! The typed description of one packet: what the summariser read from the bytes, layer by
//! layer, before any text is written. `capture --json` prints it; `render` turns it into
//! tcpdump's line.
//!
//! One `Packet` per frame, flat: each layer the frame has is a field (`ethernet`, `arp`,
//! `ipv4`/`ipv6`, `tcp`/`udp`/`icmp`/`icmp6`, `dns`, `http`, `vxlan`), absent layers are left
//! out of the JSON. A VXLAN frame's inner frame and an ICMP error's quoted datagram are
//! `Packet`s of their own. Parts the line shows only in a verbose style (checksum verdicts,
//! HTTP header lines, a DNS query's additional records) are filled in only in that style.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use netshoot_wire::tcp::flags;
use serde::{Serialize, Serializer};

/// One packet as the summariser read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Packet {
    /// The Ethernet header and its VLAN tags (absent for an ICMP error's quoted datagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ethernet: Option<Ethernet>,
    /// ARP or RARP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arp: Option<Arp>,
    /// IPv4 header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Ipv4>,
    /// IPv6 header and extension headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Ipv6>,
    /// TCP header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Tcp>,
    /// UDP header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<Udp>,
    /// ICMP message (also when an IPv6 packet carries protocol 1, as tcpdump reads it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<Icmp>,
    /// ICMPv6 message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp6: Option<Icmp6>,
    /// VXLAN header and the frame it carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vxlan: Option<Vxlan>,
    /// A DNS message on port 53 or 5353.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,
    /// An HTTP message on port 80, 8080 or 3128.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Http>,
    /// Bytes after the TCP or UDP header (the length the line ends with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_length: Option<usize>,
    /// The layer whose header the captured bytes end inside (tcpdump's `[|tcp]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncated>,
}

/// Where a packet's captured bytes ran out (tcpdump's `[|proto]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truncated {
    /// The Ethernet header.
    Ether,
    /// A VLAN tag.
    Vlan,
    /// The ARP message.
    Arp,
    /// The IPv4 header.
    Ip,
    /// The IPv6 header or an extension header.
    Ip6,
    /// The TCP header.
    Tcp,
    /// The UDP header.
    Udp,
    /// The ICMP header.
    Icmp,
    /// The ICMPv6 header.
    Icmp6,
}

/// A MAC address (printed and serialized as `aa:bb:cc:dd:ee:ff`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        colon_hex(f, &self.0)
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Bytes `aa:bb:…`, as tcpdump prints hardware addresses of any length.
pub(crate) fn colon_hex(f: &mut impl fmt::Write, b: &[u8]) -> fmt::Result {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            f.write_char(':')?;
        }
        write!(f, "{x:02x}")?;
    }
    Ok(())
}

/// Raw bytes, serialized as one lowercase hex string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            use std::fmt::Write as _;
            let _ = write!(t, "{b:02x}");
        }
        s.serialize_str(&t)
    }
}

/// A checksum the summariser verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Checksum {
    /// The value in the header.
    pub value: u16,
    /// The value the bytes call for (absent when the sender sent none: UDP over IPv4, 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u16>,
    /// `good`, `bad`, or `absent`.
    pub status: ChecksumStatus,
}

/// A checksum's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumStatus {
    /// The header carries what the bytes call for.
    Good,
    /// It does not.
    Bad,
    /// The sender sent none (UDP over IPv4 with 0).
    Absent,
}

impl Checksum {
    /// `value` checked against `expected`.
    pub fn verify(value: u16, expected: u16) -> Checksum {
        Checksum {
            value,
            expected: Some(expected),
            status: if value == expected {
                ChecksumStatus::Good
            } else {
                ChecksumStatus::Bad
            },
        }
    }
}

/// The Ethernet header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ethernet {
    /// Source MAC.
    pub src: Mac,
    /// Destination MAC.
    pub dst: Mac,
    /// VLAN tags, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vlans: Vec<Vlan>,
    /// The EtherType after the tags (an 802.3 length when ≤ 1500).
    pub ethertype: u16,
    /// The frame's length on the wire.
    pub length: u32,
}

impl Ethernet {
    /// The bytes after the Ethernet header and its tags, by the length on the wire.
    pub fn payload_length(&self) -> u32 {
        self.length.saturating_sub(14 + 4 * self.vlans.len() as u32)
    }
}

/// One VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Vlan {
    /// The tag protocol identifier (0x8100, 0x88a8, 0x9100).
    pub tpid: u16,
    /// VLAN id.
    pub id: u16,
    /// Priority code point.
    pub pcp: u8,
}

/// An ARP (or RARP) message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arp {
    /// Operation: 1 request, 2 reply, 3 reverse request, 4 reverse reply.
    pub op: u16,
    /// Hardware address length.
    pub hlen: u8,
    /// Protocol address length.
    pub plen: u8,
    /// Sender hardware address.
    pub sender_mac: Mac,
    /// Sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// Target hardware address.
    pub target_mac: Mac,
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
    /// The message's length on the wire.
    pub length: u32,
}

/// The IPv4 header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ipv4 {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Type of service.
    pub tos: u8,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub id: u16,
    /// Don't fragment.
    pub df: bool,
    /// More fragments.
    pub mf: bool,
    /// Fragment offset in bytes.
    pub fragment_offset: u16,
    /// Protocol number.
    pub protocol: u8,
    /// Total length (header included).
    pub length: u16,
    /// Header length in bytes.
    pub header_length: usize,
    /// Option names as tcpdump -v prints them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Bytes after the header by the total length.
    pub payload_length: usize,
    /// The header checksum (verbose styles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}

/// The IPv6 header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ipv6 {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination.
    pub dst: Ipv6Addr,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label.
    pub flow_label: u32,
    /// Hop limit.
    pub hop_limit: u8,
    /// The fixed header's next header.
    pub next_header: u8,
    /// The payload length field.
    pub length: u16,
    /// Extension headers, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// The protocol after the extension headers.
    pub protocol: u8,
    /// Bytes after the extension headers, by the payload length.
    pub payload_length: usize,
}

/// An IPv6 extension header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Extension {
    /// Hop-by-hop options.
    HopByHop,
    /// Routing header.
    Routing,
    /// Destination options.
    DestinationOptions,
    /// Fragment header.
    Fragment {
        /// Identification.
        id: u32,
        /// Offset in bytes.
        offset: u16,
        /// The bytes after this header, by the payload length.
        length: usize,
    },
}

/// TCP flags (serialized as names: `["SYN", "ACK"]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    const NAMES: [(u8, &'static str); 8] = [
        (flags::FIN, "FIN"),
        (flags::SYN, "SYN"),
        (flags::RST, "RST"),
        (flags::PSH, "PSH"),
        (flags::ACK, "ACK"),
        (flags::URG, "URG"),
        (flags::ECE, "ECE"),
        (flags::CWR, "CWR"),
    ];

    /// Whether `bit` (one of `netshoot_wire::tcp::flags`) is set.
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

impl Serialize for TcpFlags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            Self::NAMES
                .iter()
                .filter(|(b, _)| self.0 & b != 0)
                .map(|(_, n)| *n),
        )
    }
}

/// The TCP header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number as sent.
    pub seq: u32,
    /// Acknowledgement number as sent.
    pub ack: u32,
    /// tcpdump's relative numbers, when asked for and the conversation is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative: Option<RelativeSeq>,
    /// Flags.
    pub flags: TcpFlags,
    /// Window.
    pub window: u16,
    /// Header length in bytes.
    pub header_length: usize,
    /// Options (when the header has any and they were captured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<TcpOption>>,
    /// The checksum (verbose styles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}

/// Relative sequence and acknowledgement numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RelativeSeq {
    /// Sequence number relative to the conversation's first.
    pub seq: u32,
    /// Acknowledgement number relative to the conversation's first.
    pub ack: u32,
}

/// A TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpOption {
    /// End of options.
    Eol,
    /// No operation.
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale.
    Wscale(u8),
    /// SACK permitted.
    SackOk,
    /// Timestamps.
    Timestamp {
        /// TSval.
        val: u32,
        /// TSecr.
        ecr: u32,
    },
    /// SACK with this many blocks.
    Sack(usize),
    /// Any other kind.
    Unknown(u8),
    /// The options end inside an option.
    Truncated,
}

/// The UDP header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The length field.
    pub length: u16,
    /// The checksum (verbose styles only: `-v` over IPv6, `-vv` over IPv4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}

/// An ICMP message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Icmp {
    /// Type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Code.
    pub code: u8,
    /// Identifier (echo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u16>,
    /// Sequence number (echo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u16>,
    /// Next-hop MTU (fragmentation needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u16>,
    /// What a destination-unreachable names from its quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Unreachable<Ipv4Addr>>,
    /// The message's length (the IP payload).
    pub length: usize,
    /// The checksum (verbose styles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// The datagram an error quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quoted: Option<Box<Packet>>,
}

/// The destination of the datagram an ICMP error quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Unreachable<A> {
    /// Its destination address.
    pub dst: A,
    /// Its protocol.
    pub protocol: u8,
    /// Its destination port (0 when not captured).
    pub port: u16,
}

/// An ICMPv6 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Icmp6 {
    /// Type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Code (absent when not captured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u8>,
    /// Identifier (echo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u16>,
    /// Sequence number (echo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u16>,
    /// MTU (packet too big).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// Group records (multicast listener report v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_records: Option<u16>,
    /// Neighbour discovery target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Ipv6Addr>,
    /// Neighbour advertisement flags (router 0x80, solicited 0x40, override 0x20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nd_flags: Option<u8>,
    /// Neighbour discovery options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nd_options: Vec<NdOption>,
    /// What a port unreachable names from its quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Unreachable<Ipv6Addr>>,
    /// The message's length (the IP payload).
    pub length: usize,
    /// The checksum (verbose styles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}

/// A neighbour discovery option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NdOption {
    /// Type (1 source link-address, 2 target link-address, 3 prefix, 5 MTU).
    #[serde(rename = "type")]
    pub kind: u8,
    /// Length in bytes.
    pub length: usize,
    /// The bytes after type and length.
    pub data: Hex,
}

/// The VXLAN header and the frame it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vxlan {
    /// Flags (0x08: the VNI is valid).
    pub flags: u8,
    /// VXLAN network identifier.
    pub vni: u32,
    /// The inner frame.
    pub inner: Box<Packet>,
}

/// A DNS message as tcpdump summarises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dns {
    /// Identifier.
    pub id: u16,
    /// A response.
    pub response: bool,
    /// Recursion desired.
    pub recursion_desired: bool,
    /// Authoritative answer.
    pub authoritative: bool,
    /// Response code.
    pub rcode: u8,
    /// Questions.
    pub questions: u16,
    /// Answer records.
    pub answers: u16,
    /// Authority records.
    pub authority: u16,
    /// Additional records.
    pub additional: u16,
    /// The first question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
    /// A response's answers (at most 16).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answer: Vec<Answer>,
    /// A query's additional records (`-vv` only; at most 4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_records: Vec<Additional>,
}

/// A DNS question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// The name, with its final dot.
    pub name: String,
    /// The type's name (`A`, `AAAA`, `Type65`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A DNS answer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The type's name.
    #[serde(rename = "type")]
    pub kind: String,
    /// The address or name it carries, or a TXT record's quoted strings (empty for other types).
    pub data: String,
}

/// A DNS additional record of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Additional {
    /// An EDNS OPT record.
    Opt {
        /// The owner name.
        name: String,
        /// The UDP payload size.
        udp_size: u16,
        /// DNSSEC OK.
        dnssec_ok: bool,
        /// Options.
        options: Vec<EdnsOption>,
    },
    /// Any other record.
    Record {
        /// The owner name.
        name: String,
        /// The type's name.
        #[serde(rename = "type")]
        kind: String,
    },
}

/// An EDNS option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdnsOption {
    /// Option code (10 cookie, 3 NSID).
    pub code: u16,
    /// Its data.
    pub data: Hex,
}

/// An HTTP message's first segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Http {
    /// The request or status line, when the payload starts with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<String>,
    /// Every line of the segment (verbose styles only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}
