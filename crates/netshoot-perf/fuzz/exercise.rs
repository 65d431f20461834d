// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

/// `perf`: the first byte picks the parser, the rest is what a hostile iperf peer sent.
/// 0: a length-prefixed params JSON (`proto::recv_json`) taken as a client's test
/// (`Spec::from_params`), checked against the server's default limits and sized
/// (`server::buffers_for`); 1: a length-prefixed results JSON and each stream's entry
/// (`peer_stream`, `peer_num`, as `combine` reads them); 2: a run of iperf3 UDP datagrams
/// (`proto::get_udp_header`, 32- and 64-bit, into `UdpRx::datagram`) and the UDP connect check;
/// 3: an iperf2 client header, server report and datagram id.
pub fn perf(data: &[u8]) {
    use netshoot_perf::*;
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            if let Ok(v) = proto::recv_json(&mut &rest[..]) {
                if let Ok(spec) = Spec::from_params(&v) {
                    let _ = server::Limits::default().check(&spec);
                    let _ = server::buffers_for(&spec);
                    let _ = spec.to_params();
                }
            }
        }
        1 => {
            if let Ok(v) = proto::recv_json(&mut &rest[..]) {
                for id in [1, 3, 5, u32::MAX] {
                    let p = peer_stream(Some(&v), id);
                    for k in [
                        "bytes",
                        "start_time",
                        "end_time",
                        "packets",
                        "errors",
                        "jitter",
                    ] {
                        let _ = peer_num(p, k) as u64;
                    }
                }
                let _ = v.get("cpu_util_total").and_then(|c| c.as_f64());
            }
        }
        2 => {
            let _ = proto::is_udp_connect(rest);
            for (wide, size) in [(false, 12), (true, 16)] {
                let mut rx = proto::UdpRx::default();
                for (i, d) in rest.chunks(size).enumerate() {
                    if let Some((sec, usec, seq)) = proto::get_udp_header(d, wide) {
                        let sent = f64::from(sec) + f64::from(usec) / 1e6;
                        rx.datagram(seq, sent, 1.0e9 + i as f64);
                    }
                }
            }
        }
        _ => {
            let _ = iperf2::parse_header(rest);
            let _ = iperf2::parse_server_report(rest);
            let _ = iperf2::datagram_id(rest);
        }
    }
}
