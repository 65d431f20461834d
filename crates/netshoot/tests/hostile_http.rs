//! Hostile servers for `http` (issue 14): one that accepts, reads the request and never
//! answers (for http:// and, as a TLS server that never finishes the handshake, for
//! https://), and one that redirects https → http on the same host and port to collect the
//! credentials. Each case asserts a bounded end (a watchdog kills a regression instead of
//! hanging), the exit status and one line on stderr; Ctrl-C ends a stalled transfer at once
//! (root).

use std::process::{Child, Command};
use std::time::Duration;

use netshoot_testnet::cli::{finish, text, Netshoot, Ran};
use netshoot_testnet::{require_root, unique, Group, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A namespace with a silent server on 127.0.0.1:8080 (socat reads into `sleep`, which never
/// writes).
fn silent_ns() -> (Netns, Group) {
    let ns = Netns::new("hht");
    ns.resolv_conf("nameserver 127.0.0.1\n");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.name]).args([
        "socat",
        "TCP-LISTEN:8080,fork,reuseaddr",
        "SYSTEM:sleep 60",
    ]);
    let g = Group::spawn(cmd);
    ns.wait_listen(8080, false);
    (ns, g)
}

/// Started as a terminal's foreground process is (SIGINT at its default action), for the
/// Ctrl-C cases.
fn start(args: &[&str]) -> Child {
    NETSHOOT.start_foreground(args)
}

fn bounded(args: &[&str], limit: Duration) -> Ran {
    NETSHOOT.bounded(args, limit)
}

/// A silent HTTP server ends `http -m 1` after a second waiting for the response; a TLS
/// server that never answers the ClientHello ends it in the handshake, by -m or by
/// `--connect-timeout`; every time exit 1 and one line; `--json` names the phase.
#[test]
fn a_silent_server_and_a_silent_handshake_end_at_their_bounds() {
    require_root!();
    let (ns, _srv) = silent_ns();
    let spec = format!("netns:{}", ns.name);

    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "-s",
            "-m",
            "1",
            "http://127.0.0.1:8080/",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(
        r.took >= Duration::from_millis(950) && r.took < Duration::from_secs(2),
        "{:?}",
        r.took
    );
    assert_eq!(
        r.err,
        "netshoot: http: the transfer timed out after 1.0 s waiting for the response (-m SECONDS allows longer)\n"
    );
    assert!(r.out.is_empty(), "{}", r.out);

    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "-s",
            "-m",
            "1",
            "https://127.0.0.1:8080/",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.took < Duration::from_secs(2), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: http: the transfer timed out after 1.0 s in the TLS handshake (-m SECONDS allows longer)\n"
    );

    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "-s",
            "--connect-timeout",
            "1",
            "https://127.0.0.1:8080/",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.took < Duration::from_secs(2), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: http: no connection to 127.0.0.1 within 1.0 s: still in the TLS handshake (--connect-timeout SECONDS allows longer)\n"
    );

    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "--json",
            "-m",
            "0.5",
            "https://127.0.0.1:8080/",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).expect(&r.out);
    assert_eq!(v["kind"], "timeout");
    assert_eq!(v["phase"], "appconnect");

    // The classic curl: curl's code 28.
    let r = bounded(
        &[
            "-t",
            &spec,
            "curl",
            "-sS",
            "-m",
            "1",
            "http://127.0.0.1:8080/",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(28), "{}", r.err);
    assert!(
        r.err.starts_with("curl: (28) Operation timed out after "),
        "{}",
        r.err
    );
}

/// Ctrl-C during a transfer stalled on a silent server (and in a TLS handshake that never
/// ends) ends `http` at once.
#[test]
fn ctrl_c_ends_a_stalled_transfer() {
    require_root!();
    let (ns, _srv) = silent_ns();
    let spec = format!("netns:{}", ns.name);
    for url in ["http://127.0.0.1:8080/", "https://127.0.0.1:8080/"] {
        let child = start(&["-t", &spec, "http", "-s", url]);
        std::thread::sleep(Duration::from_millis(1000));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let r = finish(child, Duration::from_secs(2), url);
        assert!(r.took < Duration::from_secs(1), "{url}: {:?}", r.took);
    }
}

/// Answers TLS (first byte 0x16) with a redirect to http:// on the same host and port, and
/// plain HTTP with the request head as the body.
const SCHEME_FLIP: &str = r#"
import socket, ssl, sys, threading

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])

def head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        b = c.recv(4096)
        if not b:
            break
        data += b
    return data.split(b"\r\n\r\n")[0]

def serve(c):
    try:
        if c.recv(1, socket.MSG_PEEK) == b"\x16":
            c = ctx.wrap_socket(c, server_side=True)
            head(c)
            c.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:8443/echo\r\nContent-Length: 0\r\n\r\n")
        else:
            h = head(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(h) + h)
        c.close()
    except Exception:
        pass

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8443))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// `-L` from https://127.0.0.1:8443 to http://127.0.0.1:8443 (same host and port, scheme
/// changed) sends neither Authorization nor Cookie over the cleartext hop, as curl; other
/// headers go on.
#[test]
fn an_https_to_http_redirect_drops_the_credentials() {
    require_root!();
    let ns = Netns::new("hhr");
    let dir = format!("/tmp/{}", unique("flip"));
    std::fs::create_dir_all(&dir).unwrap();
    let _rm = Rm(dir.clone());
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(format!("{dir}/key.pem"))
        .arg("-out")
        .arg(format!("{dir}/cert.pem"))
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    std::fs::write(format!("{dir}/flip.py"), SCHEME_FLIP).unwrap();
    let _srv = ns.spawn(&[
        "python3",
        &format!("{dir}/flip.py"),
        &format!("{dir}/cert.pem"),
        &format!("{dir}/key.pem"),
    ]);
    ns.wait_listen(8443, false);
    let spec = format!("netns:{}", ns.name);
    let r = bounded(
        &[
            "-t",
            &spec,
            "http",
            "-s",
            "-L",
            "-k",
            "-H",
            "Authorization: Bearer s3cret",
            "-H",
            "Cookie: session=s3cret",
            "-H",
            "X-Kept: yes",
            "https://127.0.0.1:8443/",
        ],
        Duration::from_secs(10),
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(r.out.starts_with("GET /echo HTTP/1.1\r\n"), "{}", r.out);
    assert!(r.out.contains("X-Kept: yes"), "{}", r.out);
    assert!(!r.out.contains("s3cret"), "{}", r.out);
}

/// Removes a directory on drop.
struct Rm(String);

impl Drop for Rm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
