//! Any bytes as an Ethernet frame: the summariser (all styles), its typed description
//! serialized to JSON, and the hex dump never panic; the line rendered from the description is
//! the summariser's line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netshoot_capture::summary::{hex_ascii, summarize, Style, Summarizer};

fuzz_target!(|data: &[u8]| {
    let _ = summarize(data, u32::MAX, Style::default());
    let all = Style { link: true, verbose: true, very_verbose: true };
    for style in [Style::default(), all] {
        let len = data.len() as u32;
        let p = Summarizer::new(style, true).describe(data, len);
        let json = serde_json::to_string(&p).expect("a description serializes");
        assert!(json.starts_with('{'));
        // A fresh conversation table has no relative numbers yet: the line is -S's.
        assert_eq!(p.render(style), summarize(data, len, style));
    }
    let _ = hex_ascii(data, true, true);
});
