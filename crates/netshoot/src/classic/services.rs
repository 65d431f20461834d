//! Service names for ports, as the classic tools print them: `/etc/services` (nc's
//! `[tcp/http]`) and nmap's own `nmap-services` (nmap's SERVICE column and its top ports), when
//! those files are there. Load them (`preload`) before entering a target whose files differ.

use std::collections::HashMap;
use std::sync::OnceLock;

type Table = HashMap<(u16, String), String>;
/// (frequency, port, protocol) of nmap-services, most frequent first.
type Freq = Vec<(f64, u16, String)>;

/// `name port/proto …` lines; the first name of a port wins. With `freq`, nmap's third
/// column (the port's frequency) is kept too.
fn parse(text: &str) -> (Table, Freq) {
    let mut t = Table::new();
    let mut f = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(name), Some(pp)) = (w.next(), w.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        if let Some(freq) = w.next().and_then(|x| x.parse::<f64>().ok()) {
            f.push((freq, port, proto.to_string()));
        }
        t.entry((port, proto.to_string()))
            .or_insert_with(|| name.to_string());
    }
    (t, f)
}

fn etc() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| parse(&std::fs::read_to_string("/etc/services").unwrap_or_default()).0)
}

fn nmap() -> &'static (Table, Freq) {
    static T: OnceLock<(Table, Freq)> = OnceLock::new();
    T.get_or_init(|| {
        let text = [
            "/usr/share/nmap/nmap-services",
            "/usr/local/share/nmap/nmap-services",
        ]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
        let (t, mut f) = parse(&text);
        f.sort_by(|a, b| b.0.total_cmp(&a.0));
        (t, f)
    })
}

/// Reads the files now (before a target's mount namespace hides them).
pub fn preload() {
    let _ = etc();
    let _ = nmap();
    let _ = payloads();
}

/// A C string literal's bytes (`\x0D`, `\0`, `\n`, `\r`, `\t`, `\\`, `\"`).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        match b[i] {
            b'x' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
            }
            b'0' => {
                out.push(0);
                i += 1;
            }
            b'n' => {
                out.push(b'\n');
                i += 1;
            }
            b'r' => {
                out.push(b'\r');
                i += 1;
            }
            b't' => {
                out.push(b'\t');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// nmap-payloads: `udp PORTS "string" "string"… [source PORT]` entries, the first payload of
/// each port.
fn parse_payloads(text: &str) -> HashMap<u16, Vec<u8>> {
    let mut m: HashMap<u16, Vec<u8>> = HashMap::new();
    let mut ports: Vec<u16> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut flush = |ports: &mut Vec<u16>, data: &mut Vec<u8>| {
        for p in ports.drain(..) {
            m.entry(p).or_insert_with(|| data.clone());
        }
        data.clear();
    };
    for line in text.lines() {
        let mut rest = line.trim_start();
        if rest.starts_with('#') || rest.is_empty() {
            continue;
        }
        if let Some(r) = rest.strip_prefix("udp ") {
            flush(&mut ports, &mut data);
            let r = r.trim_start();
            let (list, tail) = r.split_once(char::is_whitespace).unwrap_or((r, ""));
            for part in list.split(',') {
                match part.split_once('-') {
                    Some((a, b)) => {
                        if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) {
                            ports.extend(a..=b);
                        }
                    }
                    None => ports.extend(part.parse::<u16>().ok()),
                }
            }
            rest = tail;
        }
        // the quoted strings on this line (a `source` line has none)
        let mut r = rest;
        while let Some(start) = r.find('"') {
            let after = &r[start + 1..];
            let mut end = None;
            let mut esc = false;
            for (k, c) in after.char_indices() {
                match c {
                    '\\' if !esc => esc = true,
                    '"' if !esc => {
                        end = Some(k);
                        break;
                    }
                    _ => esc = false,
                }
            }
            let Some(end) = end else { break };
            data.extend(unescape(&after[..end]));
            r = &after[end + 1..];
        }
    }
    flush(&mut ports, &mut data);
    m
}

fn payloads() -> &'static HashMap<u16, Vec<u8>> {
    static T: OnceLock<HashMap<u16, Vec<u8>>> = OnceLock::new();
    T.get_or_init(|| {
        let text = [
            "/usr/share/nmap/nmap-payloads",
            "/usr/local/share/nmap/nmap-payloads",
        ]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
        parse_payloads(&text)
    })
}

/// nmap's UDP probe payloads by port (nmap-payloads), when that file is there.
pub fn nmap_payloads() -> HashMap<u16, Vec<u8>> {
    payloads().clone()
}

/// The `/etc/services` name of `port` (`proto`: tcp or udp).
pub fn etc_name(port: u16, proto: &str) -> Option<&'static str> {
    etc().get(&(port, proto.to_string())).map(String::as_str)
}

/// nmap's name of `port`: nmap-services, else `/etc/services`.
pub fn nmap_name(port: u16, proto: &str) -> Option<&'static str> {
    nmap()
        .0
        .get(&(port, proto.to_string()))
        .map(String::as_str)
        .or_else(|| etc_name(port, proto))
}

/// nmap's `n` most frequent ports of `proto` (its default port list), when nmap-services is
/// there.
pub fn nmap_top(n: usize, proto: &str) -> Option<Vec<u16>> {
    let f = &nmap().1;
    if f.is_empty() {
        return None;
    }
    let mut v: Vec<u16> = f
        .iter()
        .filter(|(_, _, p)| p == proto)
        .map(|(_, port, _)| *port)
        .take(n)
        .collect();
    v.sort_unstable();
    v.dedup();
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_like_nmap_payloads() {
        let t = "# c\nudp 7 \"\\x0D\\x0A\"\nudp 53,5353 \"\\x00\\x01\"\n  \"ab\\\"\"\n  source 53\nudp 53 \"zz\"\nudp 10-11 \"None\\x00\"\n";
        let m = parse_payloads(t);
        assert_eq!(m[&7], b"\r\n");
        assert_eq!(m[&53], b"\x00\x01ab\"");
        assert_eq!(m[&5353], m[&53]);
        assert_eq!(m[&11], b"None\x00");
        assert!(!m.contains_key(&8));
    }
}
