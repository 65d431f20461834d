//! Link options of the `netshoot` binary (they cut its resident memory; see docs/BENCHMARKS.md,
//! "Memory" of issue 19):
//!
//! - `-z pack-relative-relocs`: the ~18,000 relative relocations of a position-independent
//!   executable as a compact bitmap (`.relr.dyn`, 5 KiB) instead of `.rela.dyn` (440 KiB that
//!   the loader read at every start and that stayed resident);
//! - `--symbol-ordering-file=link/symbol-order.txt`: the functions start-up and the common
//!   commands run, placed together at the start of `.text`, so that the kernel's fault-around
//!   maps ~1 MiB of code instead of 64 KiB windows spread over 9 MiB. The file is made by
//!   `scripts/symbol-order` (valgrind runs of those commands); names it holds that a build does
//!   not have are ignored, so a stale file costs memory, never correctness;
//! - `-T link/hot-rodata.ld`: the read-only data those functions read (jump tables, constants,
//!   strings), made by the same script, in one output section (`.rodata.hot`) before the rest of
//!   `.rodata`, which the script leaves in lld's default layout (`INSERT BEFORE`); without it a
//!   command's few tables sat in 64 KiB fault-around windows spread over 1.2 MiB;
//! - `-Map=$NETSHOOT_LINK_MAP` when that is set (what `scripts/symbol-order` reads).
//!
//! They are lld's (the packed relocations also glibc ≥ 2.36's); they are given only for x86_64
//! Linux GNU targets, where rustc links with its own lld, and `NETSHOOT_LINK_PLAIN=1` leaves them
//! out.

fn main() {
    println!("cargo:rerun-if-changed=link/symbol-order.txt");
    println!("cargo:rerun-if-changed=link/hot-rodata.ld");
    println!("cargo:rerun-if-env-changed=NETSHOOT_LINK_MAP");
    println!("cargo:rerun-if-env-changed=NETSHOOT_LINK_PLAIN");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let plain = !var("NETSHOOT_LINK_PLAIN").is_empty();
    if plain
        || var("CARGO_CFG_TARGET_ARCH") != "x86_64"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
    {
        return;
    }
    let dir = var("CARGO_MANIFEST_DIR");
    let order = format!("{dir}/link/symbol-order.txt");
    println!("cargo:rustc-link-arg-bin=netshoot=-Wl,-z,pack-relative-relocs");
    println!("cargo:rustc-link-arg-bin=netshoot=-Wl,--symbol-ordering-file={order}");
    println!("cargo:rustc-link-arg-bin=netshoot=-Wl,--no-warn-symbol-ordering");
    println!("cargo:rustc-link-arg-bin=netshoot=-Wl,-T,{dir}/link/hot-rodata.ld");
    let map = var("NETSHOOT_LINK_MAP");
    if !map.is_empty() {
        println!("cargo:rustc-link-arg-bin=netshoot=-Wl,-Map={map}");
    }
}
