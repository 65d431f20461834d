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
