//! `http` against real servers in a namespace, compared with curl and openssl on the same
//! servers: an `openssl s_server` with a test CA → intermediate → leaf chain (chain vs
//! `openssl s_client -showcerts`, TLS version and cipher vs `curl -v`, timings), `nghttpd` for
//! HTTP/2 (ALPN and prior knowledge, `-i` output vs curl's), and a raw echo server for HTTP/1.1
//! requests, chunked bodies and redirects (byte-identical requests to curl's). Root needed.

use std::process::Command;

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::{require_root, unique, Child, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A scratch directory removed on drop.
struct Dir(String);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sh(cmd: &str) {
    let o = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(o.status.success(), "{cmd}: {}", text(&o.stderr));
}

/// Root CA → intermediate → leaf for web.test (EC P-256), made with the openssl CLI.
fn pki() -> Dir {
    let d = format!("/tmp/{}", unique("pki"));
    std::fs::create_dir_all(&d).unwrap();
    sh(&format!(
        "cd {d} && \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
           -subj '/CN=netshoot Test Root CA/O=netshoot tests' && \
         openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj '/CN=netshoot Test Intermediate' && \
         printf 'basicConstraints=critical,CA:true\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > int.ext && \
         openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out int.pem -days 30 -extfile int.ext && \
         openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=web.test' && \
         printf 'subjectAltName=DNS:web.test,DNS:www.web.test,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > leaf.ext && \
         openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext && \
         cat leaf.pem int.pem > chain.pem && mkdir www && printf 'hello over h2\\n' > www/index.html"
    ));
    Dir(d)
}

/// The s:/i:/v: lines and PEM blocks of a `-showcerts` chain print.
fn chain_lines(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_chain = false;
    let mut in_pem = false;
    for l in s.lines() {
        if l == "Certificate chain" {
            in_chain = true;
            continue;
        }
        if !in_chain {
            continue;
        }
        if l.starts_with("-----BEGIN") {
            in_pem = true;
        }
        let keep = in_pem
            || l.get(2..5) == Some(" s:")
            || l.starts_with("   i:")
            || l.starts_with("   v:");
        if keep {
            out.push(l.to_string());
        }
        if l.starts_with("-----END") {
            in_pem = false;
        }
        if l == "---" {
            break;
        }
    }
    out
}

#[test]
fn https_chain_matches_s_client_and_timings_are_ordered() {
    require_root!();
    let ns = Netns::new("hs");
    let pki = pki();
    let d = &pki.0;
    let _srv: Child = ns.spawn(&[
        "openssl",
        "s_server",
        "-quiet",
        "-accept",
        "127.0.0.1:4433",
        "-cert",
        &format!("{d}/leaf.pem"),
        "-key",
        &format!("{d}/leaf.key"),
        "-cert_chain",
        &format!("{d}/int.pem"),
        "-www",
    ]);
    ns.wait_listen(4433, false);
    let spec = format!("netns:{}", ns.name);
    let ca = format!("{d}/ca.pem");
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "http",
        "--resolve",
        "web.test:4433:127.0.0.1",
        "--cacert",
        &ca,
        "--showcerts",
        "--timing",
        "--json",
        "https://web.test:4433/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);

    // The chain: the same lines as openssl s_client -showcerts on the same server.
    let peer = ns.output(&[
        "sh",
        "-c",
        "openssl s_client -showcerts -connect 127.0.0.1:4433 </dev/null 2>/dev/null",
    ]);
    let theirs = chain_lines(&text(&peer.stdout));
    assert_eq!(
        theirs
            .iter()
            .filter(|l| l.starts_with("-----BEGIN"))
            .count(),
        2
    );
    assert_eq!(chain_lines(&err), theirs, "ours:\n{err}");

    // The leaf's SANs as openssl x509 prints them.
    let san = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            &format!("{d}/leaf.pem"),
        ])
        .output()
        .unwrap();
    let san_line = text(&san.stdout).lines().nth(1).unwrap().trim().to_string();
    assert!(err.contains(&format!("   SAN: {san_line}")), "{err}");

    // TLS version and cipher: what curl (OpenSSL) negotiated with the same server.
    let c = ns.output(&[
        "curl",
        "-sv",
        "-o",
        "/dev/null",
        "--cacert",
        &ca,
        "--resolve",
        "web.test:4433:127.0.0.1",
        "https://web.test:4433/",
    ]);
    let curl_err = text(&c.stderr);
    let curl_tls = curl_err
        .lines()
        .find_map(|l| l.strip_prefix("* SSL connection using "))
        .expect("curl -v names the TLS session");
    let mut parts = curl_tls.split(" / ");
    let (cv, cc) = (parts.next().unwrap(), parts.next().unwrap());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hop = &v["hops"][0];
    assert_eq!(hop["tls"]["version"], cv);
    assert_eq!(hop["tls"]["cipher"], cc);
    assert_eq!(hop["tls"]["verify"], "ok");
    assert_eq!(v["status"], 200);
    assert_eq!(v["http_version"], "HTTP/1.0");
    assert!(
        v["body"].as_str().unwrap().contains("s_server"),
        "{}",
        v["body"]
    );

    // Timings: every phase happened, in curl's order.
    let t = &hop["timings"];
    let pts: Vec<f64> = [
        "namelookup",
        "connect",
        "appconnect",
        "pretransfer",
        "starttransfer",
        "total",
    ]
    .iter()
    .map(|k| t[k].as_f64().unwrap())
    .collect();
    assert!(pts.windows(2).all(|w| w[0] <= w[1]), "{t}");
    assert!(
        pts[1] > 0.0 && pts[2] > pts[1],
        "TLS takes time after connect: {t}"
    );
    for row in [
        "dns lookup",
        "tcp connect",
        "tls handshake",
        "first byte",
        "total",
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(row)),
            "{row} missing:\n{err}"
        );
    }

    // Without the CA: curl refuses (60), so do we (1), naming the fix; -k goes on and still
    // reports the verdict.
    let c = ns.output(&["curl", "-s", "-o", "/dev/null", "https://127.0.0.1:4433/"]);
    assert_eq!(c.status.code(), Some(60));
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "http",
        "-o",
        "/dev/null",
        "https://127.0.0.1:4433/",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("unknown CA") && e.contains("--cacert") && e.contains("-k"),
        "{e}"
    );
    // The trusted CAs from the environment: CURL_CA_BUNDLE as curl reads it, SSL_CERT_FILE as
    // OpenSSL reads it (the image sets SSL_CERT_FILE to Debian's bundle).
    let c = Command::new("ip")
        .args(["netns", "exec", &ns.name, "curl", "-s", "-o", "/dev/null"])
        .arg("https://127.0.0.1:4433/")
        .env("CURL_CA_BUNDLE", &ca)
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0), "curl with CURL_CA_BUNDLE");
    let c = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo | ip netns exec {} openssl s_client -connect 127.0.0.1:4433 -verify_return_error",
            ns.name
        ))
        .env_remove("CURL_CA_BUNDLE")
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0), "openssl with SSL_CERT_FILE");
    for var in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
        let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .args(["-t", &spec, "http", "-s", "-o", "/dev/null"])
            .arg("https://127.0.0.1:4433/")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .env(var, &ca)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{var}: {}", text(&o.stderr));
    }
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "http",
        "-k",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{ssl_verify_result}",
        "https://127.0.0.1:4433/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let c = ns.output(&[
        "curl",
        "-k",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "https://127.0.0.1:4433/",
    ]);
    assert_eq!(text(&o.stdout), format!("{} 1", text(&c.stdout)));
}

/// Drops the Date header (the two requests may straddle a second).
fn without_date(s: &str) -> String {
    s.lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn http2_by_alpn_and_prior_knowledge_matches_curl() {
    require_root!();
    let ns = Netns::new("h2");
    let pki = pki();
    let d = &pki.0;
    let www = format!("{d}/www");
    let _tls = ns.spawn(&[
        "nghttpd",
        "-d",
        &www,
        "8443",
        &format!("{d}/leaf.key"),
        &format!("{d}/chain.pem"),
    ]);
    let _clear = ns.spawn(&["nghttpd", "--no-tls", "-d", &www, "8080"]);
    ns.wait_listen(8443, false);
    ns.wait_listen(8080, false);
    let spec = format!("netns:{}", ns.name);
    let ca = format!("{d}/ca.pem");
    for (url, extra) in [
        (
            "https://web.test:8443/index.html",
            vec![
                "--cacert",
                ca.as_str(),
                "--resolve",
                "web.test:8443:127.0.0.1",
            ],
        ),
        (
            "http://127.0.0.1:8080/index.html",
            vec!["--http2-prior-knowledge"],
        ),
    ] {
        let mut ours = vec!["-t", spec.as_str(), "http", "-i"];
        ours.extend(extra.iter().copied());
        ours.push(url);
        let o = NETSHOOT.run(&ours);
        assert_eq!(o.status.code(), Some(0), "{url}: {}", text(&o.stderr));
        let mut curl = vec!["curl", "-s", "-i"];
        curl.extend(extra.iter().copied());
        curl.push(url);
        let c = ns.output(&curl);
        assert!(c.status.success());
        assert!(
            text(&c.stdout).starts_with("HTTP/2 200"),
            "{}",
            text(&c.stdout)
        );
        assert_eq!(
            without_date(&text(&o.stdout)),
            without_date(&text(&c.stdout)),
            "{url}"
        );

        let mut ours = vec![
            "-t",
            spec.as_str(),
            "http",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code} %{size_download}",
        ];
        ours.extend(extra.iter().copied());
        ours.push(url);
        let mut curl = vec![
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code} %{size_download}",
        ];
        curl.extend(extra.iter().copied());
        curl.push(url);
        assert_eq!(
            text(&NETSHOOT.run(&ours).stdout),
            text(&ns.output(&curl).stdout),
            "{url}"
        );
    }
    // ALPN: the server chose h2.
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "http",
        "--json",
        "--cacert",
        &ca,
        "--resolve",
        "web.test:8443:127.0.0.1",
        "https://web.test:8443/index.html",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hops"][0]["tls"]["alpn"], "h2");
    assert_eq!(v["body"], "hello over h2\n");
}

/// A raw HTTP/1.1 server: /echo returns the request bytes, /chunked a chunked body, /r/N
/// redirects N times, /see-other answers 303 to /echo.
const ECHO_SERVER: &str = r#"
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def serve(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk: break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length": n = int(v)
    while len(body) < n:
        body += c.recv(65536)
    method, path = head.split(b" ")[0], head.split(b" ")[1].decode()
    raw = head + b"\r\n\r\n" + body
    if path.startswith("/r/"):
        left = int(path[3:])
        if left == 0:
            out = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ndone\n"
        else:
            out = ("HTTP/1.1 302 Found\r\nLocation: /r/%d\r\nContent-Length: 0\r\n\r\n" % (left - 1)).encode()
    elif path == "/see-other":
        out = b"HTTP/1.1 303 See Other\r\nLocation: http://127.0.0.1:" + sys.argv[1].encode() + b"/echo\r\nContent-Length: 0\r\n\r\n"
    elif path == "/chunked":
        out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in [b"alpha ", b"beta " * 300, b"gamma\n"]) + b"0\r\n\r\n"
    else:
        out = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + str(len(raw)).encode() + b"\r\n\r\n"
        if method != b"HEAD": out += raw
    c.sendall(out)
while True:
    c, _ = s.accept()
    try: serve(c)
    except Exception: pass
    c.close()
"#;

fn echo_ns() -> (Netns, Child, Dir) {
    require_root();
    let ns = Netns::new("h1");
    let dir = format!("/tmp/{}", unique("echo"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/echo.py"), ECHO_SERVER).unwrap();
    let srv = ns.spawn(&["python3", &format!("{dir}/echo.py"), "8000"]);
    ns.wait_listen(8000, false);
    (ns, srv, Dir(dir))
}

#[test]
fn http1_requests_bodies_and_redirects_match_curl() {
    require_root!();
    let (ns, _srv, _dir) = echo_ns();
    let spec = format!("netns:{}", ns.name);
    let base = "http://127.0.0.1:8000";
    let curl_ua = {
        let v = Command::new("curl").arg("--version").output().unwrap();
        let first = text(&v.stdout).lines().next().unwrap().to_string();
        format!("curl/{}", first.split_whitespace().nth(1).unwrap())
    };
    let cases: Vec<Vec<String>> = vec![
        // the request bytes, method, headers (added and removed) and body
        vec![
            "-X".into(),
            "PUT".into(),
            "-H".into(),
            "X-A: 1".into(),
            "-H".into(),
            "Accept:".into(),
            "-d".into(),
            "a=b".into(),
            "-d".into(),
            "c=d".into(),
            format!("{base}/echo?q=1"),
        ],
        vec![format!("{base}/echo")],
        // chunked response body
        vec![format!("{base}/chunked")],
        // redirects followed: the final body (an echo of a GET after a 303 to a POST)
        vec![
            "-L".into(),
            "-d".into(),
            "x=1".into(),
            format!("{base}/see-other"),
        ],
        vec![
            "-L".into(),
            "-w".into(),
            "%{http_code} %{num_redirects} %{url_effective}\\n".into(),
            format!("{base}/r/3"),
        ],
        // not followed
        vec![
            "-w".into(),
            "%{http_code} %{redirect_url} %{size_download}\\n".into(),
            format!("{base}/r/2"),
        ],
        // head only
        vec!["-I".into(), format!("{base}/echo")],
        vec!["-i".into(), format!("{base}/echo")],
    ];
    for case in cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let mut ours = vec!["-t", spec.as_str(), "http", "-s", "-A", curl_ua.as_str()];
        ours.extend(&args);
        let o = NETSHOOT.run(&ours);
        assert_eq!(o.status.code(), Some(0), "{case:?}: {}", text(&o.stderr));
        let mut curl = vec!["curl", "-s"];
        curl.extend(&args);
        let c = ns.output(&curl);
        assert!(c.status.success(), "curl {case:?}");
        assert_eq!(text(&o.stdout), text(&c.stdout), "{case:?}");
    }
    // Too many redirects: curl exits 47, we exit 1 with one line.
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "http",
        "-L",
        "--max-redirs",
        "2",
        &format!("{base}/r/5"),
    ]);
    let c = ns.output(&[
        "curl",
        "-s",
        "-L",
        "--max-redirs",
        "2",
        &format!("{base}/r/5"),
    ]);
    assert_eq!(c.status.code(), Some(47));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("maximum (2) redirects"),
        "{}",
        text(&o.stderr)
    );
    // -o writes exactly the body curl gets.
    let out = format!("/tmp/{}", unique("body"));
    let o = NETSHOOT.run(&["-t", &spec, "http", "-o", &out, &format!("{base}/chunked")]);
    assert_eq!(o.status.code(), Some(0));
    let c = ns.output(&["curl", "-s", &format!("{base}/chunked")]);
    assert_eq!(std::fs::read(&out).unwrap(), c.stdout);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn bad_input_is_one_line_each() {
    require_root!();
    let (ns, _srv, _dir) = echo_ns();
    ns.resolv_conf("nameserver 127.0.0.1\n");
    let spec = format!("netns:{}", ns.name);
    for (args, code, needle) in [
        (vec!["http://"], 2, "invalid URL"),
        (vec!["ftp://127.0.0.1/"], 2, "unsupported URL scheme 'ftp'"),
        (
            vec!["http://no-such-name.invalid/"],
            2,
            "cannot resolve 'no-such-name.invalid'",
        ),
        (vec!["http://127.0.0.1:8009/"], 1, "connection refused"),
        (
            vec!["--cacert", "/nonexistent/ca.pem", "https://127.0.0.1:8000/"],
            2,
            "--cacert /nonexistent/ca.pem",
        ),
        (
            vec!["--cacert", "/etc/hostname", "https://127.0.0.1:8000/"],
            2,
            "holds no PEM certificate",
        ),
        (
            vec!["-o", "/nonexistent/dir/out", "http://127.0.0.1:8000/echo"],
            2,
            "-o /nonexistent/dir/out",
        ),
        (
            vec!["--resolve", "web.test:80", "http://web.test/"],
            2,
            "HOST:PORT:ADDR",
        ),
        (
            vec!["-H", "NoColon", "http://127.0.0.1:8000/"],
            2,
            "-H 'NoColon'",
        ),
        (
            vec!["-m", "1.5", "https://127.0.0.1:8000/"],
            1,
            "timed out after 1.5 s",
        ),
    ] {
        let mut a = vec!["-t", spec.as_str(), "http"];
        a.extend(&args);
        let o = NETSHOOT.run(&a);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}

/// `http --json` always answers in JSON: a refused connection is `{"error", "kind": "connect",
/// "phase": "connect", …}` with the exit status (curl's 7 for the classic curl); a response is
/// the report with status, headers and timing points (ordered: see the https test).
#[test]
fn json_reports_a_response_and_a_refused_connection() {
    require_root!();
    let (ns, _srv, _dir) = echo_ns();
    let spec = format!("netns:{}", ns.name);
    let o = NETSHOOT.run(&["-t", &spec, "http", "--json", "http://127.0.0.1:8009/"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["url"], "http://127.0.0.1:8009/");
    assert_eq!(v["kind"], "connect");
    assert_eq!(v["phase"], "connect");
    assert_eq!(v["host"], "127.0.0.1");
    assert_eq!(v["port"], 8009);
    assert_eq!(v["exit_code"], 1);
    assert!(
        v["error"].as_str().unwrap().contains("connection refused"),
        "{v}"
    );
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "--json",
        "curl",
        "-s",
        "http://127.0.0.1:8009/",
    ]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["exit_code"].as_i64()),
        (Some("connect"), Some(7))
    );

    let o = NETSHOOT.run(&["-t", &spec, "http", "--json", "http://127.0.0.1:8000/echo"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], 200);
    assert!(v.get("error").is_none(), "{v}");
    let hop = &v["hops"][0];
    assert_eq!(hop["remote"], "127.0.0.1:8000");
    assert!(!hop["headers"].as_array().unwrap().is_empty(), "{hop}");
    assert!(hop["timings"]["total"].as_f64().unwrap() > 0.0, "{hop}");
}
