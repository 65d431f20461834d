//! What a hostile HTTP server sends: the response head parser, the HTTP/1 body reader (chunked,
//! Content-Length, close), the redirect `Location` join, and the certificate decoder.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    response(data);
});
