// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

/// `response`: the first byte picks the parser, the rest is what a hostile server sent.
/// 0: `h1::parse_head`; 1: a whole response to GET through the reader `fetch` uses (1xx skipped,
/// Content-Length / chunked / close-delimited body, `Location` joined); 2: the same to HEAD;
/// 3: `tls::decode_cert` over a DER certificate.
pub fn response(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            if let Ok(h) = netshoot_http::h1::parse_head(rest) {
                let _ = netshoot_http::h1::header(&h.headers, "location");
            }
        }
        1 | 2 => {
            let method = if sel % 4 == 1 { "GET" } else { "HEAD" };
            let _ = netshoot_http::h1::decode_response(rest, method, "http://h.test/a/b?c=d");
        }
        _ => {
            let _ = netshoot_http::tls::decode_cert(rest);
        }
    }
}
