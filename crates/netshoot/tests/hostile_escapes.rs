//! Hostile text (issue 14): escape sequences a peer or a process puts in a DNS TXT record, an
//! HTTP reason phrase, header and body, a process name, an interface name and alias. In text
//! mode no raw ESC (0x1b) reaches stdout or stderr and the escaped form shows
//! (`netshoot_wire::text`); `--json` keeps the exact string. Each run is bounded (killed and
//! failed after 10 s). Root: every hostile side lives in a namespace the test creates.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::{require_root, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));
const LIMIT: Duration = Duration::from_secs(10);
const ESC: u8 = 0x1b;

/// Runs `cmd`, killing it and failing the test when it outlives [`LIMIT`]: (status, stdout,
/// stderr) as bytes.
fn bounded(mut cmd: Command) -> (i32, Vec<u8>, Vec<u8>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let status = status.unwrap_or_else(|| {
        panic!(
            "{cmd:?} still ran after {LIMIT:?} (killed); stderr: {}",
            text(&err)
        )
    });
    (status.code().unwrap_or(-1), out, err)
}

/// `netshoot -t netns:NS ARGS…`, bounded; the text it printed on stdout and stderr, each
/// checked to hold no raw ESC.
fn clean_run(ns: &Netns, args: &[&str]) -> (i32, String, String) {
    let target = format!("netns:{}", ns.name);
    let mut cmd = NETSHOOT.command();
    cmd.args(["-t", &target]).args(args);
    let (code, out, err) = bounded(cmd);
    for (what, b) in [("stdout", &out), ("stderr", &err)] {
        assert!(
            !b.contains(&ESC),
            "{args:?}: a raw ESC reached {what}: {:?}",
            text(b)
        );
    }
    (code, text(&out), text(&err))
}

/// `netshoot --json -t netns:NS ARGS…`, bounded, parsed.
fn json_run(ns: &Netns, args: &[&str]) -> serde_json::Value {
    let target = format!("netns:{}", ns.name);
    let mut cmd = NETSHOOT.command();
    cmd.args(["--json", "-t", &target]).args(args);
    let (_, out, err) = bounded(cmd);
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{args:?}: no JSON ({e}): {} {}", text(&out), text(&err)))
}

#[test]
fn a_txt_record_with_escape_sequences_is_shown_as_dig_does() {
    require_root!();
    let ns = Netns::new("hesd");
    ns.ip(&["addr", "add", "10.87.0.53/32", "dev", "lo"]);
    ns.resolv_conf("nameserver 10.87.0.53\n");
    let txt = "\x1b[31mred\x1b]0;pwn";
    let record = format!("--txt-record=esc.test,{txt}");
    let _dns = ns.dnsmasq("10.87.0.53", &[&record]);
    ns.wait_listen(53, true);
    let shown = "\"\\027[31mred\\027]0;pwn\"";
    for args in [
        &["dns", "esc.test", "TXT", "@10.87.0.53"][..],
        &["dig", "esc.test", "TXT", "@10.87.0.53"],
        &["dig", "+short", "esc.test", "TXT"],
        &["host", "-t", "TXT", "esc.test", "10.87.0.53"],
        &["nslookup", "-type=TXT", "esc.test", "10.87.0.53"],
    ] {
        let (code, out, err) = clean_run(&ns, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains(shown), "{args:?}: {out}");
    }
    let v = json_run(&ns, &["dns", "esc.test", "TXT", "@10.87.0.53"]);
    assert_eq!(
        v["answer"]["answers"][0]["data"],
        format!("\"{txt}\""),
        "{v}"
    );
}

/// An HTTP/1.1 server on 127.0.0.1:8080 in `ns` whose reason phrase, one header and body hold
/// escape sequences.
const EVIL_HTTP: &str = r#"
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080))
s.listen(8)
body = b"body\x1b[2J\x1b]0;pwn\x07 end\n"
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 200 O\x1b[31mK\r\nX-Evil: a\x1b]0;pwn\x07b\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    c.close()
"#;

#[test]
fn an_http_head_and_body_with_escape_sequences_are_escaped_on_a_terminal() {
    require_root!();
    let ns = Netns::new("hesh");
    let _srv = ns.spawn(&["python3", "-c", EVIL_HTTP]);
    ns.wait_listen(8080, false);
    let url = "http://127.0.0.1:8080/";
    let dir = std::env::temp_dir().join(netshoot_testnet::unique("hesh"));
    std::fs::create_dir_all(&dir).unwrap();
    let body_file = dir.join("body");
    let body_path = body_file.to_str().unwrap();
    // -i: the head on stdout (escaped), the body to a file (exact); -v: the head on stderr.
    let (code, out, err) = clean_run(&ns, &["http", "-i", "-v", "-o", body_path, url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("HTTP/1.1 200 O\\x1b[31mK\r\n"), "{out}");
    assert!(out.contains("X-Evil: a\\x1b]0;pwn\\x07b\r\n"), "{out}");
    assert!(err.contains("< X-Evil: a\\x1b]0;pwn\\x07b"), "{err}");
    assert_eq!(
        std::fs::read(&body_file).unwrap(),
        b"body\x1b[2J\x1b]0;pwn\x07 end\n",
        "-o FILE keeps the exact bytes"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // --json: the exact body.
    let v = json_run(&ns, &["http", url]);
    assert_eq!(v["body"], "body\x1b[2J\x1b]0;pwn\x07 end\n", "{v}");
    // On a terminal (script(1) gives it one) the body is escaped too, newlines kept.
    if Command::new("script").arg("--version").output().is_ok() {
        let line = format!(
            "{} -t netns:{} http -i {url}",
            env!("CARGO_BIN_EXE_netshoot"),
            ns.name
        );
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        let (code, out, _) = bounded(cmd);
        assert_eq!(code, 0, "{}", text(&out));
        assert!(
            !out.contains(&ESC),
            "a raw ESC on the terminal: {:?}",
            text(&out)
        );
        let out = text(&out);
        assert!(out.contains("body\\x1b[2J\\x1b]0;pwn\\x07 end"), "{out}");
    }
}

#[test]
fn a_process_named_with_escape_sequences_is_escaped_in_ss_netstat_and_targets() {
    require_root!();
    let ns = Netns::new("hesp");
    // argv[0] (netstat -p) and comm (ss -p, targets) both hold ESC.
    let serve = "import ctypes, socket, time\n\
                 ctypes.CDLL(None).prctl(15, b'\\x1b[31mevil', 0, 0, 0)\n\
                 s = socket.socket(); s.bind(('127.0.0.1', 7070)); s.listen(1)\n\
                 time.sleep(60)";
    // The interpreter itself, not a wrapper script (pyenv's) that would set argv[0] again.
    let py = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    let py = text(&py.stdout).trim().to_string();
    let line = format!("exec -a $'\\e[31mevil' {py} -c \"{serve}\"");
    let _p = ns.spawn(&["bash", "-c", &line]);
    ns.wait_listen(7070, false);
    let (code, out, err) = clean_run(&ns, &["ss", "-tlnp"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("users:((\"\\x1b[31mevil\",pid="), "{out}");
    let (code, out, err) = clean_run(&ns, &["netstat", "-tlnp"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/\\x1b[31mevil"), "{out}");
    let (code, out, err) = clean_run(&ns, &["targets"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" \\x1b[31mevil"), "{out}");
    // --json keeps the real name.
    let v = json_run(&ns, &["sockets", "-t", "-l", "-p"]);
    let names: Vec<String> = v["sockets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["processes"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["command"].as_str().map(str::to_string))
        .collect();
    assert!(names.iter().any(|n| n == "\x1b[31mevil"), "{v}");
}

#[test]
fn an_interface_named_with_escape_sequences_is_escaped_in_ip_and_ifconfig() {
    require_root!();
    let ns = Netns::new("hesi");
    // Any root inside a namespace may name an interface so (the kernel refuses only '/', ':'
    // and whitespace) and give it any alias; iproute2 prints both raw.
    let name = "d\x1b[2J";
    ns.ip(&["link", "add", name, "type", "veth", "peer", "name", "esc1"]);
    ns.ip(&["link", "set", "dev", name, "alias", "al\x1b]0;x\x07"]);
    for args in [
        &["ip", "link"][..],
        &["ip", "addr"],
        &["ip", "-d", "link", "show"],
        &["ifconfig", "-a"],
    ] {
        let (code, out, err) = clean_run(&ns, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("d\\x1b[2J"), "{args:?}: {out}");
    }
    let (_, out, _) = clean_run(&ns, &["targets"]);
    assert!(out.contains("d\\x1b[2J"), "{out}");
    // ip -j: valid JSON (iproute2's would hold a raw ESC) with the exact name.
    let (code, out, err) = clean_run(&ns, &["ip", "-j", "link"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("ip -j is JSON");
    assert!(
        v.as_array().unwrap().iter().any(|l| l["ifname"] == name),
        "{v}"
    );
}
