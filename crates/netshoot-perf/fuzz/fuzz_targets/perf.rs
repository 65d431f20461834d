//! What a hostile iperf3/iperf2 peer sends: params and results JSON, UDP datagram headers, the
//! iperf2 client header and server report.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    perf(data);
});
