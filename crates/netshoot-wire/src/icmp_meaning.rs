//! The one table of ICMP and ICMPv6 meanings, and every short form netshoot prints of them:
//! plain words (doctor, `EchoOutcome::Error`), iputils `ping`'s texts, nmap's `--reason` words,
//! traceroute's `!H !N !P !X` flags and tcpdump's message names.

use std::borrow::Cow;

/// Which ICMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpVersion {
    /// ICMP for IPv4.
    V4,
    /// ICMPv6.
    V6,
}

/// Which caller's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Plain words: `host unreachable`, `TTL exceeded in transit`.
    Words,
    /// iputils `ping`: `Destination Host Unreachable`, `Time to live exceeded`.
    Iputils,
    /// nmap's `--reason`: `host-unreach`, `admin-prohibited`.
    Nmap,
    /// traceroute's flag after a hop: `!H`, `!N`, `!P`, `!X`.
    Traceroute,
    /// tcpdump's message names: `time exceeded in-transit`, `neighbor solicitation`.
    Tcpdump,
}

/// Codes a row covers (empty: any code).
type Codes = &'static [u8];

struct Row {
    v: IcmpVersion,
    t: u8,
    codes: Codes,
    words: Option<&'static str>,
    iputils: Option<&'static str>,
    nmap: Option<&'static str>,
    trace: Option<&'static str>,
    tcpdump: Option<&'static str>,
}

const ANY: Codes = &[];
const ADMIN: Codes = &[9, 10, 13];

const fn row(v: IcmpVersion, t: u8, codes: Codes) -> Row {
    Row {
        v,
        t,
        codes,
        words: None,
        iputils: None,
        nmap: None,
        trace: None,
        tcpdump: None,
    }
}

impl Row {
    const fn words(mut self, s: &'static str) -> Self {
        self.words = Some(s);
        self
    }
    const fn iputils(mut self, s: &'static str) -> Self {
        self.iputils = Some(s);
        self
    }
    const fn nmap(mut self, s: &'static str) -> Self {
        self.nmap = Some(s);
        self
    }
    const fn trace(mut self, s: &'static str) -> Self {
        self.trace = Some(s);
        self
    }
    const fn tcpdump(mut self, s: &'static str) -> Self {
        self.tcpdump = Some(s);
        self
    }
    fn field(&self, d: Dialect) -> Option<&'static str> {
        match d {
            Dialect::Words => self.words,
            Dialect::Iputils => self.iputils,
            Dialect::Nmap => self.nmap,
            Dialect::Traceroute => self.trace,
            Dialect::Tcpdump => self.tcpdump,
        }
    }
}

use IcmpVersion::{V4, V6};

/// Rows are searched in order: the first that covers (version, type, code) *and* has a text
/// in the dialect asked for answers; so a code-specific row comes before its type's catch-all.
const TABLE: &[Row] = &[
    // ICMP (IPv4)
    row(V4, 0, ANY).tcpdump("echo reply"),
    row(V4, 8, ANY).tcpdump("echo request"),
    row(V4, 3, &[0])
        .words("network unreachable")
        .iputils("Destination Net Unreachable")
        .nmap("net-unreach")
        .trace("!N"),
    row(V4, 3, &[1])
        .words("host unreachable")
        .iputils("Destination Host Unreachable")
        .nmap("host-unreach")
        .trace("!H")
        .tcpdump("host unreachable"),
    row(V4, 3, &[2])
        .words("protocol unreachable")
        .iputils("Destination Protocol Unreachable")
        .nmap("proto-unreach")
        .trace("!P"),
    row(V4, 3, &[3])
        .words("port unreachable")
        .iputils("Destination Port Unreachable")
        .nmap("port-unreach")
        .tcpdump("port unreachable"),
    row(V4, 3, &[4])
        .words("fragmentation needed")
        .iputils("Frag needed and DF set")
        .tcpdump("unreachable - need to frag"),
    row(V4, 3, &[13]).tcpdump("unreachable - admin prohibited filter"),
    row(V4, 3, ADMIN)
        .words("administratively prohibited")
        .iputils("Packet filtered")
        .nmap("admin-prohibited")
        .trace("!X"),
    row(V4, 3, ANY).nmap("unreach"),
    row(V4, 5, ANY).tcpdump("redirect"),
    row(V4, 11, &[0])
        .words("TTL exceeded in transit")
        .iputils("Time to live exceeded")
        .tcpdump("time exceeded in-transit"),
    row(V4, 11, &[1]).words("fragment reassembly time exceeded"),
    row(V4, 11, ANY).tcpdump("ip reassembly time exceeded"),
    // ICMPv6
    row(V6, 1, &[0])
        .words("no route to destination")
        .iputils("Destination unreachable: No route"),
    row(V6, 1, &[1])
        .words("administratively prohibited")
        .iputils("Destination unreachable: Administratively prohibited"),
    row(V6, 1, &[3])
        .words("address unreachable")
        .iputils("Destination unreachable: Address unreachable"),
    row(V6, 1, &[4])
        .words("port unreachable")
        .iputils("Destination unreachable: Port unreachable")
        .tcpdump("destination unreachable, unreachable port"),
    row(V6, 1, ANY).tcpdump("destination unreachable"),
    row(V6, 2, ANY)
        .words("packet too big")
        .iputils("Packet too big")
        .tcpdump("packet too big"),
    row(V6, 3, &[0]).words("hop limit exceeded in transit"),
    row(V6, 3, ANY)
        .iputils("Time exceeded: Hop limit")
        .tcpdump("time exceeded in-transit"),
    row(V6, 128, ANY).tcpdump("echo request"),
    row(V6, 129, ANY).tcpdump("echo reply"),
    row(V6, 133, ANY).tcpdump("router solicitation"),
    row(V6, 134, ANY).tcpdump("router advertisement"),
    row(V6, 135, ANY).tcpdump("neighbor solicitation"),
    row(V6, 136, ANY).tcpdump("neighbor advertisement"),
    row(V6, 143, ANY).tcpdump("multicast listener report v2"),
];

/// The table's text for (version, type, code) in `dialect`, if it has one.
pub fn lookup(v: IcmpVersion, dialect: Dialect, t: u8, code: u8) -> Option<&'static str> {
    TABLE
        .iter()
        .filter(|r| r.v == v && r.t == t && (r.codes.is_empty() || r.codes.contains(&code)))
        .find_map(|r| r.field(dialect))
}

/// What an ICMP message means, in plain words (`unknown ICMP message` when the table does not
/// say).
pub fn icmp_meaning(v: IcmpVersion, t: u8, code: u8) -> &'static str {
    lookup(v, Dialect::Words, t, code).unwrap_or("unknown ICMP message")
}

fn fallback(v: IcmpVersion, t: u8, code: u8) -> String {
    match v {
        V4 => format!("ICMP type {t} code {code}"),
        V6 => format!("ICMPv6 type {t} code {code}"),
    }
}

/// Plain words, or `ICMP type T code C` / `ICMPv6 type T code C`.
pub fn words(v: IcmpVersion, t: u8, code: u8) -> Cow<'static, str> {
    match lookup(v, Dialect::Words, t, code) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(fallback(v, t, code)),
    }
}

/// iputils `ping`'s text for an error, or `ICMP type T code C` / `ICMPv6 type T code C`.
pub fn iputils(v: IcmpVersion, t: u8, code: u8) -> Cow<'static, str> {
    match lookup(v, Dialect::Iputils, t, code) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(fallback(v, t, code)),
    }
}

/// nmap's `--reason` word for an ICMP (IPv4) destination unreachable; `None` for other types.
pub fn nmap_reason(t: u8, code: u8) -> Option<&'static str> {
    lookup(V4, Dialect::Nmap, t, code)
}

/// traceroute's flag for an ICMP (IPv4) destination unreachable: `None` for a port
/// unreachable (the destination answered as expected) and for other types, `!<code>` for
/// codes without a letter.
pub fn traceroute_flag(t: u8, code: u8) -> Option<Cow<'static, str>> {
    if t != 3 || code == 3 {
        return None;
    }
    Some(match lookup(V4, Dialect::Traceroute, t, code) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("!<{code}>")),
    })
}

/// tcpdump's name for a message: the table's, else `unreachable code C` (ICMP unreachable),
/// `type-#T code C` (other ICMP) or `type T` (ICMPv6).
pub fn tcpdump(v: IcmpVersion, t: u8, code: u8) -> Cow<'static, str> {
    match lookup(v, Dialect::Tcpdump, t, code) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(match (v, t) {
            (V4, 3) => format!("unreachable code {code}"),
            (V4, _) => format!("type-#{t} code {code}"),
            (V6, _) => format!("type {t}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The five tables this one replaced, copied from before the change, compared over every
    /// (type, code) pair.
    mod before {
        pub fn icmp_text4(t: u8, c: u8) -> String {
            match (t, c) {
                (3, 0) => "network unreachable".into(),
                (3, 1) => "host unreachable".into(),
                (3, 2) => "protocol unreachable".into(),
                (3, 3) => "port unreachable".into(),
                (3, 4) => "fragmentation needed".into(),
                (3, 9 | 10 | 13) => "administratively prohibited".into(),
                (11, 0) => "TTL exceeded in transit".into(),
                (11, 1) => "fragment reassembly time exceeded".into(),
                _ => format!("ICMP type {t} code {c}"),
            }
        }
        pub fn icmp_text6(t: u8, c: u8) -> String {
            match (t, c) {
                (1, 0) => "no route to destination".into(),
                (1, 1) => "administratively prohibited".into(),
                (1, 3) => "address unreachable".into(),
                (1, 4) => "port unreachable".into(),
                (2, _) => "packet too big".into(),
                (3, 0) => "hop limit exceeded in transit".into(),
                _ => format!("ICMPv6 type {t} code {c}"),
            }
        }
        pub fn ping_text(v6: bool, t: u8, c: u8) -> String {
            if v6 {
                match (t, c) {
                    (1, 0) => "Destination unreachable: No route".into(),
                    (1, 1) => "Destination unreachable: Administratively prohibited".into(),
                    (1, 3) => "Destination unreachable: Address unreachable".into(),
                    (1, 4) => "Destination unreachable: Port unreachable".into(),
                    (2, _) => "Packet too big".into(),
                    (3, _) => "Time exceeded: Hop limit".into(),
                    _ => format!("ICMPv6 type {t} code {c}"),
                }
            } else {
                match (t, c) {
                    (3, 0) => "Destination Net Unreachable".into(),
                    (3, 1) => "Destination Host Unreachable".into(),
                    (3, 2) => "Destination Protocol Unreachable".into(),
                    (3, 3) => "Destination Port Unreachable".into(),
                    (3, 4) => "Frag needed and DF set".into(),
                    (3, 9 | 10 | 13) => "Packet filtered".into(),
                    (11, 0) => "Time to live exceeded".into(),
                    _ => format!("ICMP type {t} code {c}"),
                }
            }
        }
        pub fn scan_reason(c: u8) -> &'static str {
            match c {
                1 => "host-unreach",
                2 => "proto-unreach",
                3 => "port-unreach",
                9 | 10 | 13 => "admin-prohibited",
                0 => "net-unreach",
                _ => "unreach",
            }
        }
        pub fn trace_flag(t: u8, c: u8) -> Option<String> {
            match (t, c) {
                (11, _) => None,
                (3, 3) => None,
                (3, 0) => Some("!N".to_string()),
                (3, 1) => Some("!H".to_string()),
                (3, 2) => Some("!P".to_string()),
                (3, 9 | 10 | 13) => Some("!X".to_string()),
                (3, c) => Some(format!("!<{c}>")),
                _ => None,
            }
        }
        /// summary.rs's fixed texts (the parts without addresses or lengths).
        pub fn tcpdump4(t: u8, c: u8) -> Option<String> {
            Some(match (t, c) {
                (8, _) => "echo request".into(),
                (0, _) => "echo reply".into(),
                (3, 1) => "host unreachable".into(),
                (3, 4) => "unreachable - need to frag".into(),
                (3, 13) => "unreachable - admin prohibited filter".into(),
                (3, 3) => return None, // "udp/tcp port N unreachable" or "unreachable code 3"
                (3, c) => format!("unreachable code {c}"),
                (11, 0) => "time exceeded in-transit".into(),
                (11, _) => "ip reassembly time exceeded".into(),
                (5, _) => "redirect".into(),
                (t, c) => format!("type-#{t} code {c}"),
            })
        }
        pub fn tcpdump6(t: u8, c: u8) -> String {
            match (t, c) {
                (128, _) => "echo request".into(),
                (129, _) => "echo reply".into(),
                (1, 4) => "destination unreachable, unreachable port".into(),
                (135, _) => "neighbor solicitation".into(),
                (136, _) => "neighbor advertisement".into(),
                (143, _) => "multicast listener report v2".into(),
                (133, _) => "router solicitation".into(),
                (134, _) => "router advertisement".into(),
                (1, _) => "destination unreachable".into(),
                (2, _) => "packet too big".into(),
                (3, _) => "time exceeded in-transit".into(),
                (t, _) => format!("type {t}"),
            }
        }
    }

    #[test]
    fn every_text_is_byte_identical_to_the_tables_it_replaced() {
        for t in 0..=255u8 {
            for c in 0..=255u8 {
                assert_eq!(words(V4, t, c), before::icmp_text4(t, c), "v4 {t} {c}");
                assert_eq!(words(V6, t, c), before::icmp_text6(t, c), "v6 {t} {c}");
                assert_eq!(iputils(V4, t, c), before::ping_text(false, t, c), "{t} {c}");
                assert_eq!(iputils(V6, t, c), before::ping_text(true, t, c), "{t} {c}");
                assert_eq!(
                    traceroute_flag(t, c).map(String::from),
                    before::trace_flag(t, c)
                );
                if let Some(s) = before::tcpdump4(t, c) {
                    assert_eq!(tcpdump(V4, t, c), s, "tcpdump v4 {t} {c}");
                }
                assert_eq!(
                    tcpdump(V6, t, c),
                    before::tcpdump6(t, c),
                    "tcpdump v6 {t} {c}"
                );
            }
            assert_eq!(nmap_reason(3, t), Some(before::scan_reason(t)));
            assert_eq!(nmap_reason(11, t), None);
        }
        assert_eq!(icmp_meaning(V4, 3, 1), "host unreachable");
        assert_eq!(icmp_meaning(V4, 42, 0), "unknown ICMP message");
    }
}
