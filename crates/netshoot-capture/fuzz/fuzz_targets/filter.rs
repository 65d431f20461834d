//! Any text as a filter expression: compiled or refused with a position, never a panic; a
//! compiled program runs over the crafted frames without a panic and only jumps forward.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netshoot_capture::{bpf, craft, filter};

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    if let Ok(prog) = filter::compile(expr, 262_144) {
        assert!(!prog.is_empty());
        for (_, f) in craft::corpus().iter().take(8) {
            let _ = bpf::run(&prog, f, f.len() as u32);
        }
    }
});
