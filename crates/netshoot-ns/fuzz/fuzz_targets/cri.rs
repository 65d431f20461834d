//! What a hostile (or broken) container runtime's CRI socket answers: gRPC message frames
//! holding `ListPodSandbox`, `PodSandboxStatus` (with the runtime's verbose JSON info) and
//! `ListContainers` answers, and `grpc-message` trailers, decoded as netshoot decodes them.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|data: &[u8]| {
    cri(data);
});
