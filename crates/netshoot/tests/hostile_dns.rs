//! A hostile DNS server for `dns`, `http` and `doctor` (issue 14): it answers every UDP question with
//! TC=1 and no answer, and on TCP sends the length prefix and then one byte a second. Each
//! case asserts a bounded end (a watchdog kills a regression instead of hanging), the exit
//! status and one line on stderr; Ctrl-C ends a stalled lookup at once (root).

use std::process::{Child, Command};
use std::time::Duration;

use netshoot_testnet::cli::{finish, Netshoot, Ran};
use netshoot_testnet::{require_root, unique, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// UDP: the question back with QR and TC set, no answer. TCP: a length prefix of 256, then a
/// zero byte every second.
const DRIP_SERVER: &str = r#"
import socket, struct, threading, time

def tc(q):
    flags = struct.unpack(">H", q[2:4])[0]
    i = 12
    while q[i] != 0:
        i += q[i] + 1
    return q[:2] + struct.pack(">HHHHH", 0x8200 | (flags & 0x0100), 1, 0, 0, 0) + q[12:i + 5]

def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", 53))
    while True:
        q, peer = u.recvfrom(4096)
        try:
            u.sendto(tc(q), peer)
        except Exception:
            pass

def drip(c):
    try:
        c.recv(4096)
        c.sendall(b"\x01\x00")
        for _ in range(256):
            time.sleep(1)
            c.sendall(b"\x00")
    except Exception:
        pass

threading.Thread(target=udp, daemon=True).start()
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 53))
t.listen(64)
while True:
    c, _ = t.accept()
    threading.Thread(target=drip, args=(c,), daemon=True).start()
"#;

/// A namespace whose resolv.conf names three servers (127.0.0.1-3), all of them the dripping
/// server; the script file is removed on drop.
struct Drip {
    ns: Netns,
    _server: netshoot_testnet::Child,
    script: String,
}

impl Drop for Drip {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.script);
    }
}

fn drip_ns() -> Drip {
    let ns = Netns::new("hdn");
    ns.resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\nnameserver 127.0.0.3\n");
    let script = format!("/tmp/{}.py", unique("drip"));
    std::fs::write(&script, DRIP_SERVER).unwrap();
    let server = ns.spawn(&["python3", &script]);
    ns.wait_listen(53, false);
    ns.wait_listen(53, true);
    Drip {
        ns,
        _server: server,
        script,
    }
}

/// Started as a terminal's foreground process is (SIGINT at its default action), for the
/// Ctrl-C cases.
fn start(args: &[&str]) -> Child {
    NETSHOOT.start_foreground(args)
}

fn bounded(args: &[&str], limit: Duration) -> Ran {
    NETSHOOT.bounded(args, limit)
}

/// `dns NAME @SERVER`: the TCP retry of the truncated answer ends at -w (2 s by default),
/// exit 1, one line naming the server and the bound; with the three servers of the
/// resolv.conf and `-w 5`, `--deadline 2` ends the whole lookup after 2 s (15 s without it).
#[test]
fn dns_ends_a_tc_then_drip_server_at_its_bounds() {
    require_root!();
    let d = drip_ns();
    let spec = format!("netns:{}", d.ns.name);

    let r = bounded(
        &["-t", &spec, "dns", "web.test", "@127.0.0.1"],
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(
        r.took >= Duration::from_millis(1900) && r.took < Duration::from_secs(3),
        "{:?}",
        r.took
    );
    assert_eq!(
        r.err, "netshoot: 127.0.0.1:53: no answer within 2000 ms\n",
        "{}",
        r.out
    );
    assert!(r.out.contains(";; no server answered"), "{}", r.out);

    let r = bounded(
        &["-t", &spec, "dns", "web.test", "-w", "5", "--deadline", "2"],
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(
        r.took >= Duration::from_millis(1900) && r.took < Duration::from_secs(3),
        "{:?}",
        r.took
    );
    assert_eq!(r.err.lines().count(), 1, "{}", r.err);
    assert!(
        r.err.starts_with(
            "netshoot: no answer within the whole lookup's 2 s (--deadline SECS allows longer); last: 127.0.0.1:53: no answer within"
        ),
        "{}",
        r.err
    );
}

/// `http` to a name only the dripping servers could resolve ends at -m, exit 1, one line that
/// says it was resolving; `--connect-timeout` bounds the lookup too.
#[test]
fn http_ends_at_its_bounds_while_resolving_through_a_dripping_server() {
    require_root!();
    let d = drip_ns();
    let spec = format!("netns:{}", d.ns.name);

    let r = bounded(
        &["-t", &spec, "http", "-s", "-m", "2", "http://web.test/"],
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.took < Duration::from_secs(3), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: http: the transfer timed out after 2.0 s resolving the name (-m SECONDS allows longer)\n"
    );

    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "-s",
            "--connect-timeout",
            "1.5",
            "http://web.test/",
        ],
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.took < Duration::from_millis(2500), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: http: no connection to web.test within 1.5 s: still resolving the name (--connect-timeout SECONDS allows longer)\n"
    );
}

/// Ctrl-C during a lookup stalled on the drip ends `dns` and `http` at once.
#[test]
fn ctrl_c_ends_a_stalled_lookup() {
    require_root!();
    let d = drip_ns();
    let spec = format!("netns:{}", d.ns.name);
    for args in [
        vec![
            "-t",
            &spec,
            "dns",
            "web.test",
            "-w",
            "30",
            "--deadline",
            "60",
        ],
        vec!["-t", &spec, "http", "-s", "-m", "60", "http://web.test/"],
    ] {
        let child = start(&args);
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let r = finish(child, Duration::from_secs(2), &format!("{args:?}"));
        assert!(r.took < Duration::from_secs(1), "{args:?}: {:?}", r.took);
    }
}

/// `doctor NAME` with the dripping servers as the target's resolvers ends within its own
/// deadline, and the name's lookup ends by its timeout (each query whole), not by the drip.
#[test]
fn doctor_ends_with_a_tc_then_drip_resolver() {
    require_root!();
    let d = drip_ns();
    let spec = format!("netns:{}", d.ns.name);
    let r = bounded(
        &["-t", &spec, "doctor", "web.test"],
        Duration::from_secs(15),
    );
    assert_eq!(r.code, Some(1), "{}{}", r.out, r.err);
    assert!(r.took < Duration::from_secs(11), "{:?}", r.took);
    assert!(
        r.out
            .contains("web.test: - (unresolved: 127.0.0.1:53: no answer within"),
        "{}",
        r.out
    );
}
