//! What a hostile host or router sends back to ping, trace and scan: echo replies, ICMP errors
//! quoting (or pretending to quote) our probes, TCP SYN-ACKs and resets.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    replies(data);
});
