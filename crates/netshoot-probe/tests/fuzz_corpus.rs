//! The fuzz targets' bodies over their committed seed corpora (fuzz/corpus/TARGET), every prefix
//! of every seed, and each seed with every byte flipped: runs in plain `cargo test`, without
//! cargo-fuzz or nightly.

include!("../fuzz/exercise.rs");

#[test]
fn the_replies_corpus_never_panics() {
    netshoot_testnet::fuzz::replay(env!("CARGO_MANIFEST_DIR"), "replies", replies, 8);
}
