// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

/// `docker`: a whole answer of the Docker Engine API socket (HTTP head and JSON body) after a
/// selector byte that picks what it answers, decoded by `docker::decode_answer` as
/// `Docker::get` does: 0 `/containers/json` (each summary's name), 1 `/containers/ID/json`
/// (short name), 2 `/networks` (bridge device), 3 `/networks/ID`, 4 `/services/ID`, 5 `/info`,
/// 6 `/nodes`.
pub fn docker(data: &[u8]) {
    use netshoot_ns::docker::*;
    let Some((&sel, raw)) = data.split_first() else {
        return;
    };
    match sel % 7 {
        0 => {
            if let Ok(v) = decode_answer::<Vec<ContainerSummary>>(raw) {
                for c in &v {
                    let _ = c.name();
                }
            }
        }
        1 => {
            if let Ok(c) = decode_answer::<ContainerInspect>(raw) {
                let _ = c.short_name();
            }
        }
        2 => {
            if let Ok(v) = decode_answer::<Vec<NetworkInspect>>(raw) {
                for n in &v {
                    let _ = n.bridge_device();
                }
            }
        }
        3 => {
            if let Ok(n) = decode_answer::<NetworkInspect>(raw) {
                let _ = n.bridge_device();
            }
        }
        4 => {
            let _ = decode_answer::<ServiceInspect>(raw).map(|s| format!("{s:?}"));
        }
        5 => {
            let _ = decode_answer::<EngineInfo>(raw).map(|s| format!("{s:?}"));
        }
        _ => {
            let _ = decode_answer::<Vec<SwarmNode>>(raw).map(|s| format!("{s:?}"));
        }
    }
}
