// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

/// `dns`: the first byte picks the parser, the rest is hostile text or bytes.
/// 0: a DNS reply (as a server sends it, without the TCP length prefix) decoded and summarised
/// by `decode_reply`, the code `query` runs on every reply (its id taken from the reply, so the
/// id check passes); 1: a resolv.conf and the search candidates it gives; 2: a hosts file.
pub fn dns(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 3 {
        0 => {
            let id = rest
                .get(..2)
                .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
            let server = std::net::SocketAddr::from(([127, 0, 0, 53], 53));
            if let Ok(a) = netshoot_dns::decode_reply(server, rest, id) {
                let _ = a.ips();
                let _ = format!("{a:?}");
            }
        }
        1 => {
            let c = netshoot_dns::ResolvConf::parse(&String::from_utf8_lossy(rest));
            for name in ["db", "a.b", "x.y.z.w.", ""] {
                let _ = netshoot_dns::candidates(name, &c);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            for name in ["localhost", "db.", "h.test", ""] {
                let _ = netshoot_dns::hosts::lookup(&text, name);
            }
        }
    }
}
