//! What a hostile DNS server or target file gives: a DNS reply decoded and summarised as `query`
//! does, a resolv.conf and its search candidates, a hosts file.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    dns(data);
});
