//! The fuzz target's body over its committed seed corpus (fuzz/corpus/views), every prefix of
//! every seed, and each seed with every byte flipped: runs in plain `cargo test`, without
//! cargo-fuzz or nightly.

include!("../fuzz/exercise.rs");

#[test]
fn the_seed_corpus_never_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/views");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("the seed corpus") {
        let seed = std::fs::read(e.unwrap().path()).unwrap();
        for cut in 0..=seed.len() {
            exercise(&seed[..cut]);
        }
        for i in 0..seed.len() {
            let mut m = seed.clone();
            m[i] ^= 0xff;
            exercise(&m);
        }
        n += 1;
    }
    assert!(n >= 10, "only {n} seeds in {}", dir.display());
}
