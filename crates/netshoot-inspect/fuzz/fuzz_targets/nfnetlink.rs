//! Kernel replies through the decoders of netshoot-inspect (`nfnetlink`, see exercise.rs); nothing may
//! panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    nfnetlink(data);
});
