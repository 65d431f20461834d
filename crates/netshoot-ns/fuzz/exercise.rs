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

/// `cri`: the body of a container runtime's gRPC answer (length-prefixed frames) after a
/// selector byte that picks the call, unframed by `cri::unframe` and decoded as `Cri::call`
/// does: 0 `ListPodSandbox` (each sandbox's metadata), 1 `PodSandboxStatus` (its IPs and the
/// runtime's verbose `info` read by `pods::runtime_info`), 2 `ListContainers`, 3 a
/// `grpc-message` trailer (percent-decoded).
pub fn cri(data: &[u8]) {
    use netshoot_ns::cri::{api, grpc_message, unframe};
    use prost::Message;
    let Some((&sel, raw)) = data.split_first() else {
        return;
    };
    if sel % 4 == 3 {
        let _ = grpc_message(raw);
        return;
    }
    let Ok(msg) = unframe(raw, 1 << 20) else {
        return;
    };
    match sel % 4 {
        0 => {
            if let Ok(r) = api::ListPodSandboxResponse::decode(msg) {
                for s in &r.items {
                    let _ = s
                        .metadata
                        .as_ref()
                        .map(|m| format!("{}/{}", m.namespace, m.name));
                }
            }
        }
        1 => {
            if let Ok(r) = api::PodSandboxStatusResponse::decode(msg) {
                let _ = r
                    .status
                    .and_then(|s| s.network)
                    .map(|n| n.additional_ips.len());
                let _ = netshoot_ns::pods::runtime_info(&r.info);
            }
        }
        _ => {
            let _ = api::ListContainersResponse::decode(msg).map(|r| format!("{r:?}"));
        }
    }
}
