//! The fuzz targets' bodies over their committed seed corpora (fuzz/corpus/TARGET), every prefix
//! of every seed, and each seed with every byte flipped: runs in plain `cargo test`, without
//! cargo-fuzz or nightly.

include!("../fuzz/exercise.rs");

#[test]
fn the_docker_corpus_never_panics() {
    netshoot_testnet::fuzz::replay(env!("CARGO_MANIFEST_DIR"), "docker", docker, 8);
}

#[test]
fn the_cri_corpus_never_panics() {
    netshoot_testnet::fuzz::replay(env!("CARGO_MANIFEST_DIR"), "cri", cri, 6);
}
