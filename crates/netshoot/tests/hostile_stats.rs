//! `stats` against a container that names an interface with a terminal escape sequence (an OSC
//! that would set the window title, then BEL): the detail view shows the name escaped, never
//! the raw sequence (`\x1b` and `\x07` written out, so the reader sees them), and the screen
//! still ends on `q` within its bound.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::finish;
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
        "stty rows 30 cols 150; {} stats --interval 0.5 --filter {}",
        env!("CARGO_BIN_EXE_netshoot"),
        c.name
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut keys = child.stdin.take().unwrap();
    let typist = std::thread::spawn(move || {
        for (wait, k) in [(2000, "\r"), (1500, "q")] {
            std::thread::sleep(Duration::from_millis(wait));
            let _ = keys.write_all(k.as_bytes());
            let _ = keys.flush();
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    let r = finish(child, Duration::from_secs(20), "stats on a pty");
    typist.join().unwrap();
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
