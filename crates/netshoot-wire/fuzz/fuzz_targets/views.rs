//! Any bytes through every netshoot-wire view: `new_checked` and then every accessor, at every
//! layer; nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    exercise(data);
});
