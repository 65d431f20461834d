//! The `flows` fuzz target's body over its committed seed corpus (fuzz/corpus/flows), every prefix
//! of every seed, and each seed with every byte flipped: runs in plain `cargo test`, without
//! cargo-fuzz or nightly.

include!("../fuzz/exercise.rs");

#[test]
fn the_flows_corpus_never_panics() {
    netshoot_testnet::fuzz::replay(env!("CARGO_MANIFEST_DIR"), "flows", flows, 8);
}
