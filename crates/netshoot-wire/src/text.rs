//! The one sanitiser for text a peer or a target controls (a DNS name or TXT string, an HTTP
//! reason phrase or header, a certificate field, a process name, an interface alias, a container
//! name) before it reaches a terminal. JSON output keeps the real string: serde escapes control
//! characters itself; only text output goes through here.
//!
//! Which characters are unsafe ([`is_unsafe`]): the C0 controls U+0000..U+001F (ESC among them),
//! DEL U+007F, the C1 controls U+0080..U+009F (U+009B is a one-byte CSI to many terminals), and
//! the bidirectional formatting characters (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
//! which reorder what follows them on screen.
//!
//! How [`escape`] shows them, as Rust's `escape_debug` does, so every escape reads back to one
//! character and nothing is lost:
//!
//! | character | shown as |
//! | --- | --- |
//! | tab, newline, carriage return | `\t`, `\n`, `\r` |
//! | any other C0 control, DEL | `\xHH` (ESC is `\x1b`) |
//! | a C1 control or a bidi character | `\u{HHHH}` (`\u{9b}`, `\u{202e}`) |
//! | a backslash | `\\`, so that a peer cannot forge an escape |
//! | anything else | itself |
//!
//! Dialects of the same rule, for outputs that copy a classic tool byte for byte:
//! [`escape_lines`] keeps newline and tab and leaves backslashes (an HTTP body or other
//! multi-line text shown whole, which is full of both); [`escape_bytes`] also shows bytes that
//! are not UTF-8 as `\xHH`; [`dig`] writes the unsafe characters and the bytes of non-ASCII
//! ones as dig does in a TXT string or a name (RFC 1035 §5.1 `\DDD`, decimal); [`caret`] writes
//! them as tcpdump's `fn_print_char` does (`^[` for ESC, `M-` before a byte >= 0x80).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: a C0 control, DEL, a C1 control or a bidi
/// formatting character.
pub fn is_unsafe(c: char) -> bool {
    matches!(c as u32, 0..=0x1f | 0x7f..=0x9f | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\\' => out.push_str("\\\\"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Rewrites the characters `pick` selects with `show`; borrows when none is there.
fn rewrite<'a>(
    s: &'a str,
    pick: impl Fn(char) -> bool,
    show: impl Fn(&mut String, char),
) -> Cow<'a, str> {
    match s.char_indices().find(|&(_, c)| pick(c)) {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let mut out = String::with_capacity(s.len() + 8);
            out.push_str(&s[..at]);
            for c in s[at..].chars() {
                if pick(c) {
                    show(&mut out, c);
                } else {
                    out.push(c);
                }
            }
            Cow::Owned(out)
        }
    }
}

/// `s` made safe for one line of a terminal: every unsafe character ([`is_unsafe`]) and every
/// backslash escaped (the table in the module's documentation). Borrows when nothing changes.
pub fn escape(s: &str) -> Cow<'_, str> {
    rewrite(s, |c| c == '\\' || is_unsafe(c), push_escaped)
}

/// Multi-line text (an HTTP body shown on a terminal) made safe: as [`escape`], except that
/// newline and tab stay and backslashes are left as they are (a body is full of them; `-o FILE`
/// gives the exact bytes).
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    rewrite(s, |c| c != '\n' && c != '\t' && is_unsafe(c), push_escaped)
}

/// Text for an HTML or XML page (text nodes and quoted attributes): [`escape`] first, so a
/// control character shows instead of acting, then `& < > " '` as entities.
pub fn escape_xml(s: &str) -> String {
    let visible = escape(s);
    let mut o = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Bytes that should be text (a process name, an interface alias) made safe: valid UTF-8 as
/// [`escape`] shows it, every byte that is not UTF-8 as `\xHH` (above 0x7f, so it never reads
/// as a character's escape).
pub fn escape_bytes(b: &[u8]) -> Cow<'_, str> {
    use std::fmt::Write;
    match std::str::from_utf8(b) {
        Ok(s) => escape(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            for chunk in b.utf8_chunks() {
                out.push_str(&escape(chunk.valid()));
                for x in chunk.invalid() {
                    let _ = write!(out, "\\x{x:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// A byte stream (an HTTP body on its way to a terminal) escaped as [`escape_lines`] shows
/// text, piece by piece: bytes that are not UTF-8 as `\xHH`; a character cut between two
/// pieces is held until the next one (or [`LinesEscaper::finish`]).
#[derive(Debug, Default)]
pub struct LinesEscaper {
    carry: Vec<u8>,
}

impl LinesEscaper {
    /// The text for `piece` (and what was held from before), safe to print.
    pub fn push(&mut self, piece: &[u8]) -> String {
        self.carry.extend_from_slice(piece);
        let keep = incomplete_tail(&self.carry);
        let whole = self.carry.len() - keep;
        let out = lines_bytes(&self.carry[..whole]);
        self.carry.drain(..whole);
        out
    }

    /// What is still held (a character cut at the very end), shown as bytes.
    pub fn finish(self) -> String {
        lines_bytes(&self.carry)
    }
}

/// How many bytes at the end of `b` start a UTF-8 character that is not complete yet.
fn incomplete_tail(b: &[u8]) -> usize {
    for back in 1..=b.len().min(3) {
        let lead = b[b.len() - back];
        if lead & 0xc0 == 0x80 {
            continue;
        }
        let need = match lead {
            0xf0..=0xf7 => 4,
            0xe0..=0xef => 3,
            0xc0..=0xdf => 2,
            _ => 1,
        };
        return if need > back { back } else { 0 };
    }
    0
}

fn lines_bytes(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&escape_lines(chunk.valid()));
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out
}

/// DNS text as dig shows it in a name or a quoted TXT string: each byte of an unsafe
/// character as `\DDD` (decimal, RFC 1035 §5.1). Other non-ASCII text stays readable (dig
/// would write its bytes as `\DDD` too), and `"` and `\` are left as they are (the caller
/// quotes; hickory already escapes names).
pub fn dig(s: &str) -> Cow<'_, str> {
    rewrite(s, is_unsafe, |out, c| {
        use std::fmt::Write;
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            let _ = write!(out, "\\{b:03}");
        }
    })
}

/// Text as tcpdump prints a DNS label or other peer text (`fn_print_char`): a control as `^`
/// and the character 0x40 above it (`^[` for ESC, `^?` for DEL), and each byte of a non-ASCII
/// character as `M-` and that byte's low seven bits shown the same way.
pub fn caret(s: &str) -> Cow<'_, str> {
    fn one(out: &mut String, b: u8) {
        let mut b = b;
        if b >= 0x80 {
            out.push_str("M-");
            b &= 0x7f;
        }
        if b < 0x20 || b == 0x7f {
            out.push('^');
            out.push(char::from(b ^ 0x40));
        } else {
            out.push(char::from(b));
        }
    }
    rewrite(
        s,
        |c| !c.is_ascii() || c.is_ascii_control(),
        |out, c| {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                one(out, b);
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_entities_after_controls() {
        assert_eq!(
            escape_xml("a<b>&\"'\u{1b}[2J"),
            "a&lt;b&gt;&amp;&quot;&#39;\\x1b[2J"
        );
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "web.test.",
            "GET / HTTP/1.1",
            "nginx: worker",
            "é ü 日本",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(x) if x == s), "{s}");
            assert!(matches!(escape_lines(s), Cow::Borrowed(x) if x == s), "{s}");
            assert!(matches!(dig(s), Cow::Borrowed(x) if x == s), "{s}");
        }
        assert!(matches!(escape_lines("a\\b\n\tc"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_shows_every_control_visibly() {
        assert_eq!(escape("a\x1b[31mred\x1b[0m"), "a\\x1b[31mred\\x1b[0m");
        assert_eq!(escape("\t\n\r\0\x07\x7f"), "\\t\\n\\r\\x00\\x07\\x7f");
        assert_eq!(escape("\u{9b}2J\u{85}"), "\\u{9b}2J\\u{85}");
        assert_eq!(escape("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(escape("C:\\x1b"), "C:\\\\x1b");
        for c in (0..0x110000u32).filter_map(char::from_u32) {
            let s = c.to_string();
            let e = escape(&s);
            assert!(!e.chars().any(is_unsafe), "{c:?} → {e}");
        }
    }

    #[test]
    fn escape_is_unambiguous() {
        // Distinct inputs give distinct outputs: a peer cannot forge an escape.
        let inputs = ["\x1b", "\\x1b", "\\\x1b", "\n", "\\n", "\u{9b}", "\\u{9b}"];
        let outs: std::collections::HashSet<String> =
            inputs.iter().map(|s| escape(s).into_owned()).collect();
        assert_eq!(outs.len(), inputs.len());
    }

    #[test]
    fn escape_lines_keeps_newline_and_tab() {
        assert_eq!(
            escape_lines("line1\r\n\tline2 \x1b]0;title\x07\\"),
            "line1\\r\n\tline2 \\x1b]0;title\\x07\\"
        );
    }

    #[test]
    fn escape_bytes_shows_invalid_utf8_as_hex() {
        assert_eq!(escape_bytes(b"nginx"), "nginx");
        assert_eq!(escape_bytes(b"a\x1bb"), "a\\x1bb");
        assert_eq!(escape_bytes(b"a\xff\x1b\xc3\xa9"), "a\\xff\\x1bé");
    }

    #[test]
    fn lines_escaper_streams_and_keeps_cut_characters_whole() {
        let mut e = LinesEscaper::default();
        let mut out = e.push(b"a\x1b[2J\n\xc3");
        out += &e.push(b"\xa9\xff\tz\xe2\x80");
        out += &e.finish();
        assert_eq!(out, "a\\x1b[2J\né\\xff\tz\\xe2\\x80");
    }

    #[test]
    fn dig_is_decimal_ddd() {
        assert_eq!(dig("\x1b[31mred"), "\\027[31mred");
        assert_eq!(dig("a\u{9b}b"), "a\\194\\155b");
        assert_eq!(dig("tab\there"), "tab\\009here");
    }

    #[test]
    fn caret_is_tcpdumps_form() {
        assert_eq!(caret("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(caret("\x7f\x00"), "^?^@");
        assert_eq!(caret("é"), "M-CM-)");
        assert_eq!(caret("te\\t"), "te\\t");
    }
}
