//! Any bytes as an Ethernet frame: the summariser (all styles) and the hex dump never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netshoot_capture::summary::{hex_ascii, summarize, Style};

fuzz_target!(|data: &[u8]| {
    let _ = summarize(data, data.len() as u32, Style::default());
    let _ = summarize(data, u32::MAX, Style { link: true, verbose: true, very_verbose: true });
    let _ = hex_ascii(data, true, true);
});
