//! Replays a fuzz target's committed seed corpus under plain `cargo test` (no nightly, no
//! cargo-fuzz), so CI runs every target's body over its seeds and their near neighbours.

use std::path::Path;

/// Runs `body` over every committed seed in `CRATE_DIR/fuzz/corpus/TARGET`, over every prefix
/// of each seed and over each seed with every byte flipped (for seeds over 512 bytes: 512 evenly
/// spaced prefixes and flips, to keep the debug-build test fast). Panics (failing the test) if `body` panics or
/// if there are fewer than `min_seeds` seeds.
pub fn replay(crate_dir: &str, target: &str, body: fn(&[u8]), min_seeds: usize) {
    let dir = Path::new(crate_dir).join("fuzz/corpus").join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        // What a local `cargo fuzz run` added (named by its SHA-1; git ignores them) is not a
        // seed, and libFuzzer may replace it while this runs.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let seed = std::fs::read(&path).unwrap();
        let step = (seed.len() / 512).max(1);
        body(&seed);
        for cut in (0..seed.len()).step_by(step) {
            body(&seed[..cut]);
            let mut m = seed.clone();
            m[cut] ^= 0xff;
            body(&m);
        }
        n += 1;
    }
    assert!(n >= min_seeds, "only {n} seeds in {}", dir.display());
}
