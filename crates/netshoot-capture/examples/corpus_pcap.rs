//! Writes the crafted corpus to a pcap file and prints our summaries (compare with tcpdump).
fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus.pcap".into());
    let f = std::fs::File::create(&path).expect("create");
    let mut w = netshoot_capture::pcap::Writer::new(f, 262_144, 1, false).expect("header");
    for (i, (_, frame)) in netshoot_capture::craft::corpus().iter().enumerate() {
        w.write(1_700_000_000 + i as u32, 0, frame.len() as u32, frame)
            .expect("write");
    }
    for (_, frame) in netshoot_capture::craft::corpus() {
        let line =
            netshoot_capture::summary::summarize(&frame, frame.len() as u32, Default::default());
        println!("{}", line.replace('\n', " "));
    }
}
