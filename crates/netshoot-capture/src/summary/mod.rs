//! One line per packet in tcpdump's words (`-n -S`: numeric, absolute sequence numbers):
//! Ethernet (`-e`), ARP, IPv4/IPv6, ICMP/ICMPv6, TCP (flags, seq, ack, win, options, length),
//! UDP, DNS queries and answers, VXLAN (with the inner frame), the HTTP request or status line.
//! Every read is bounds-checked: a truncated or hostile packet gives "[|proto]", never a panic.
//!
//! A frame is parsed once into a [`Packet`] (`parse`), a typed `Serialize` description of its
//! layers (`packet`), and the line is rendered from that description (`render`): `capture
//! --json` prints the description next to the line.

use std::fmt::Write as _;

mod packet;
mod parse;
mod render;

pub use packet::*;

/// Options for the line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// `-e`: the link-level header.
    pub link: bool,
    /// `-v`: IP header details on their own line, TCP checksums, ICMP's quoted datagram, HTTP
    /// headers.
    pub verbose: bool,
    /// `-vv`: also UDP checksums and the sequence number of every TCP segment.
    pub very_verbose: bool,
}

/// tcpdump's relative TCP sequence numbers: the first sequence and acknowledgement numbers of
/// each conversation, kept across packets (bounded: the table starts over when full).
#[derive(Debug, Default)]
pub struct Seqs {
    map: std::collections::HashMap<ConvKey, (u32, u32)>,
}

/// A TCP conversation in one collating order: address, address, the two ports.
type ConvKey = (Vec<u8>, Vec<u8>, u32);

impl Seqs {
    /// At most this many conversations are remembered.
    pub const CAP: usize = 65_536;
}

/// Summaries across packets: `relative` gives tcpdump's default relative sequence numbers
/// (without it, `-S`'s absolute numbers).
#[derive(Debug)]
pub struct Summarizer {
    style: Style,
    seqs: Option<Seqs>,
}

impl Summarizer {
    /// A summariser with `style`; `relative` for tcpdump's default sequence numbers.
    pub fn new(style: Style, relative: bool) -> Summarizer {
        Summarizer {
            style,
            seqs: relative.then(Seqs::default),
        }
    }

    /// The line for one frame (`orig_len` = length on the wire).
    pub fn line(&mut self, frame: &[u8], orig_len: u32) -> String {
        let p = self.describe(frame, orig_len);
        self.render(&p)
    }

    /// The description of one frame (`orig_len` = length on the wire), in this summariser's
    /// style (checksum verdicts and the other verbose-only parts are read when it shows them)
    /// and with its relative sequence numbers.
    pub fn describe(&mut self, frame: &[u8], orig_len: u32) -> Packet {
        let mut cx = parse::Cx {
            style: self.style,
            seqs: self.seqs.as_mut(),
        };
        parse::ethernet(frame, orig_len, &mut cx, 0)
    }

    /// The line for a description, in this summariser's style.
    pub fn render(&self, p: &Packet) -> String {
        p.render(self.style)
    }

    /// The style lines are written in.
    pub fn style(&self) -> Style {
        self.style
    }
}

impl Packet {
    /// tcpdump's line for this description in `style` (which should be the style it was
    /// described in: verbose-only parts are read only when the style shows them).
    pub fn render(&self, style: Style) -> String {
        let mut s = String::new();
        render::packet(&mut s, self, style);
        s
    }
}

/// One captured packet as a typed event: what `capture --json` prints, one object a line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PacketEvent {
    /// Capture time, seconds since the epoch with microseconds (`"1700000000.123456"`).
    pub time: String,
    /// The interface it was captured on, when known (live captures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Length on the wire.
    pub length: u32,
    /// Bytes captured.
    pub captured: usize,
    /// tcpdump's line (as `capture` prints it, without the timestamp).
    pub summary: String,
    /// The typed description the line is rendered from.
    pub packet: Packet,
    /// The captured bytes in hex, when a dump (-X, -x, -A) was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

impl Summarizer {
    /// The event for one frame captured at `sec`.`nsec` (`orig_len` = length on the wire):
    /// its description and its line, parsed once.
    pub fn event(
        &mut self,
        (sec, nsec): (u32, u32),
        interface: Option<String>,
        frame: &[u8],
        orig_len: u32,
    ) -> PacketEvent {
        let packet = self.describe(frame, orig_len);
        PacketEvent {
            time: format!("{sec}.{:06}", nsec / 1000),
            interface,
            length: orig_len,
            captured: frame.len(),
            summary: self.render(&packet),
            packet,
            hex: None,
        }
    }
}

/// One frame alone, with absolute sequence numbers (tcpdump -S).
pub fn summarize(frame: &[u8], orig_len: u32, style: Style) -> String {
    Summarizer::new(style, false).line(frame, orig_len)
}

/// `-X` (hex and ASCII), `-x` (hex) or `-A` (ASCII) of `data`, 16 bytes a line as tcpdump
/// prints it; the caller picks where `data` starts (tcpdump: the network header, unless -e).
pub fn hex_ascii(data: &[u8], ascii: bool, hex: bool) -> String {
    let mut s = String::new();
    if !hex {
        // tcpdump -A: printable characters, tabs, spaces and newlines as they are; a CR is
        // a '.' only when at least two bytes follow it and the next is not a newline (so a
        // CR before a newline, and one among the last two bytes, print nothing); anything
        // else as '.'.
        for (i, &c) in data.iter().enumerate() {
            match c {
                b'\r' => {
                    if data.len() - i > 2 && data[i + 1] != b'\n' {
                        s.push('.');
                    }
                }
                b'\t' | b' ' | b'\n' | 0x21..=0x7e => s.push(c as char),
                _ => s.push('.'),
            }
        }
        s.push('\n');
        return s;
    }
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = write!(s, "\t0x{:04x}:  ", i * 16);
        for pair in 0..8 {
            match (chunk.get(pair * 2), chunk.get(pair * 2 + 1)) {
                (Some(a), Some(b)) => {
                    let _ = write!(s, "{a:02x}{b:02x} ");
                }
                (Some(a), None) => {
                    let _ = write!(s, "{a:02x}   ");
                }
                _ => s.push_str("     "),
            }
        }
        if !ascii {
            // tcpdump -x ends its lines at the last byte.
            while s.ends_with(' ') {
                s.pop();
            }
        }
        if ascii {
            s.push(' ');
            s.extend(chunk.iter().map(|&c| {
                if (0x21..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            }));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_for_the_crafted_corpus() {
        let c = crate::craft::corpus();
        let get = |n: &str| {
            let f = &c.iter().find(|(name, _)| name.starts_with(n)).unwrap().1;
            summarize(f, f.len() as u32, Style::default())
        };
        assert_eq!(
            get("tcp syn 10.0.0.1"),
            "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65535, length 0"
        );
        assert_eq!(get("tcp http request"), "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1000:1029, ack 2000, win 65535, length 29: HTTP: GET / HTTP/1.1");
        assert_eq!(
            get("udp dns query"),
            "IP 10.0.0.1.40001 > 10.0.0.2.53: 4660+ A? web.test. (26)"
        );
        assert_eq!(
            get("arp request"),
            "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
        );
        assert_eq!(
            get("icmp echo reply"),
            "IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 4660, seq 1, length 12"
        );
        assert!(get("vxlan").contains(
            "VXLAN, flags [I] (0x08), vni 4096\nIP 10.0.1.2 > 10.0.1.3: ICMP echo request"
        ));
    }

    #[test]
    fn ascii_carriage_returns_as_tcpdump_prints_them() {
        // A CR is a '.' only with two or more bytes after it and no newline next.
        let a = |d: &[u8]| hex_ascii(d, true, false);
        assert_eq!(a(b"ab\r"), "ab\n");
        assert_eq!(a(b"ab\rc"), "abc\n");
        assert_eq!(a(b"a\r\nb"), "a\nb\n");
        assert_eq!(a(b"\r\r\rabc"), "...abc\n");
        assert_eq!(a(b"a\rbcd\r"), "a.bcd\n");
        assert_eq!(a(b"\r"), "\n");
    }

    #[test]
    fn peer_text_reaches_the_line_as_tcpdump_4_99_shows_it() {
        // tcpdump prints an HTTP line only when it is printable ASCII, and DNS text with
        // fn_print_char (`^[` for ESC): no raw control byte in any style.
        let c = crate::craft::hostile();
        let get = |n: &str, verbose: bool| {
            let f = &c.iter().find(|(name, _)| name == n).unwrap().1;
            let style = Style {
                verbose,
                ..Style::default()
            };
            summarize(f, f.len() as u32, style)
        };
        let req = get("http request line with ESC", false);
        assert!(req.ends_with("length 35: HTTP"), "{req}");
        assert!(get("http request line with ESC", true).ends_with("HTTP, length: 35"));
        let head = get("http header with ESC", true);
        assert!(head.ends_with("\n\tHTTP/1.1 200 OK"), "{head}");
        let q = get("dns label with ESC", false);
        assert!(q.contains("4660+ A? a^[[2Jb.test. ("), "{q}");
        let txt = get("dns txt with ESC", false);
        assert!(txt.contains("4660 1/0/0 TXT \"^[[31m\" ("), "{txt}");
        for (n, _) in &c {
            for v in [false, true] {
                let line = get(n, v);
                assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line}");
            }
        }
    }

    #[test]
    fn truncated_and_junk_never_panic() {
        for (_, f) in crate::craft::corpus() {
            for cut in 0..f.len() {
                let _ = summarize(
                    &f[..cut],
                    f.len() as u32,
                    Style {
                        link: true,
                        verbose: true,
                        very_verbose: true,
                    },
                );
            }
        }
        let mut seed = 17u32;
        for n in 0..3000 {
            let mut f: Vec<u8> = (0..(n % 200))
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            if f.len() > 14 {
                f[12] = [0x08, 0x86, 0x81, 0x08][n % 4];
                f[13] = [0x00, 0xdd, 0x00, 0x06][n % 4];
            }
            let _ = summarize(
                &f,
                f.len() as u32,
                Style {
                    link: true,
                    verbose: true,
                    very_verbose: true,
                },
            );
        }
    }
}
