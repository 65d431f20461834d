//! What a hostile (or broken) Docker Engine API socket answers: the HTTP head and the JSON of
//! container, network, service, info and node answers, decoded as netshoot decodes them.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    docker(data);
});
