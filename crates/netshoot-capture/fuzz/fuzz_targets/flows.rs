//! Any run of frames through top's flow table (`flows`): pair keys, ports, the bounded table,
//! the one-second buckets and the report; nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    flows(data);
});
