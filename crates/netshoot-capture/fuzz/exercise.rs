// The `flows` fuzz target's body, shared by the cargo-fuzz target (fuzz_targets/flows.rs) and the
// corpus test (tests/fuzz_corpus.rs), both through `include!`. It may not panic on any input.

/// `flows`: a run of captured frames through top's table. Each record: a 2-byte frame length
/// (big-endian), a control byte (bit 0: a second passes after it, bit 1: a local process owns
/// it, bit 2: its wire length is 64 KiB more than captured), then the frame. The table keeps at
/// most 4 pairs, so the overflow path runs too; every frame also goes through `ports` and
/// `ip_endpoints`, and the report is read and serialized at the end.
pub fn flows(data: &[u8]) {
    use netshoot_capture::flows::{ip_endpoints, ports, Flows};
    let mut f = Flows::with_max_pairs(4);
    let mut rest = data;
    while rest.len() >= 3 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 3);
        let ctl = rest[2];
        let frame = &rest[3..3 + len];
        rest = &rest[3 + len..];
        let wire = len as u32 + if ctl & 4 != 0 { 65_536 } else { 0 };
        let _ = ports(frame);
        let _ = ip_endpoints(frame, wire);
        f.add_owned(frame, wire, (ctl & 2 != 0).then_some("42/curl"));
        if ctl & 1 != 0 {
            f.tick();
        }
    }
    let report = f.report();
    let _ = (f.len(), f.is_empty());
    let _ = serde_json::to_string(&report);
}
