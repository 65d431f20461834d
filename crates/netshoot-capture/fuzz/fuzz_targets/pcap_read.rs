//! Any bytes as a pcap file: parsed or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, _, recs)) = netshoot_capture::pcap::parse(data) {
        for r in recs {
            let _ = netshoot_capture::summary::summarize(&r.data, r.orig_len, Default::default());
        }
    }
});
