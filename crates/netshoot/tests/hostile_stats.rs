//! `stats` against a container that names an interface with a terminal escape sequence (an OSC
//! that would set the window title, then BEL): the detail view shows the name escaped, never
//! the raw sequence (`\x1b` and `\x07` written out, so the reader sees them), and the screen
//! still ends on `q` within its bound.

use std::time::Duration;

use netshoot_testnet::cli::{pty, Pty};
use netshoot_testnet::docker::{test_image, Container};
use netshoot_testnet::run;

#[test]
fn an_escape_sequence_in_an_interface_name_is_shown_escaped() {
    netshoot_testnet::require_docker!();
    let c = Container::run("sth", &[test_image(), "sleep", "infinity"]);
    let pid = c.pid().to_string();
    // Made in the container's namespace (removed with it): a veth pair, one end named so.
    run(&[
        "nsenter",
        "-t",
        &pid,
        "-n",
        "ip",
        "link",
        "add",
        "name",
        "x\x1b]0;pwn\x07",
        "type",
        "veth",
        "peer",
        "name",
        "sthpeer",
    ]);
    let cmd = format!(
        "{} stats --interval 0.5 --filter {}",
        env!("CARGO_BIN_EXE_netshoot"),
        c.name
    );
    let r = pty(
        &cmd,
        Pty {
            size: Some((30, 150)),
            keys: &[(2000, "\r"), (1500, "q")],
            limit: Duration::from_secs(20),
        },
    );
    assert!(r.out.contains("Interfaces"), "the detail view: {:?}", r.out);
    assert!(r.out.contains("sthpeer"), "{:?}", r.out);
    assert!(
        !r.out.contains("\x1b]0;pwn"),
        "raw OSC reached the terminal: {:?}",
        r.out
    );
    // Escaped by the one sanitiser (netshoot_wire::text::escape), so the reader sees the name
    // has an ESC and a BEL in it.
    assert!(
        r.out.contains("x\\x1b]0;pwn\\x07"),
        "the name, escaped: {:?}",
        r.out
    );
    assert!(r.took < Duration::from_secs(12), "q quit: {:?}", r.took);
}
