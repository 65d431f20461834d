//! `curl`: curl 7.88's command line onto our `http` engine (HTTP/1.1 and HTTP/2, TLS), with
//! curl's behaviour where scripts depend on it: the body on stdout, `-w` variables, errors as
//! `curl: (7) Failed to connect to …` with curl's exit codes, `-f` exiting 22 without a body.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::http::HttpArgs;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["curl"],
    about: "HTTP requests like curl (netshoot http)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "s",
        Some('s'),
        &["silent"],
        "no progress and no error messages (see -S)",
    ),
    Opt::flag(
        "S",
        Some('S'),
        &["show-error"],
        "with -s: still print errors",
    ),
    Opt::flag(
        "v",
        Some('v'),
        &["verbose"],
        "trace the exchange on stderr (* info, > sent, < received)",
    ),
    Opt::value(
        "o",
        Some('o'),
        &["output"],
        "FILE",
        "write the body to FILE",
    ),
    Opt::flag(
        "O",
        Some('O'),
        &["remote-name"],
        "write the body to a file named like the URL's last path segment",
    ),
    Opt::flag("L", Some('L'), &["location"], "follow redirects"),
    Opt::value(
        "max-redirs",
        None,
        &["max-redirs"],
        "N",
        "at most N redirects (default 50)",
    ),
    Opt::flag(
        "I",
        Some('I'),
        &["head"],
        "HEAD request; print the response head",
    ),
    Opt::flag(
        "i",
        Some('i'),
        &["include"],
        "print the response head before the body",
    ),
    Opt::value("X", Some('X'), &["request"], "METHOD", "request method"),
    Opt::value(
        "H",
        Some('H'),
        &["header"],
        "'NAME: VALUE'",
        "extra request header ('NAME:' removes one)",
    ),
    Opt::value(
        "d",
        Some('d'),
        &["data", "data-ascii", "data-binary"],
        "DATA",
        "request body (@FILE reads a file); POST",
    ),
    Opt::value(
        "data-raw",
        None,
        &["data-raw"],
        "DATA",
        "request body as given ('@' is not special)",
    ),
    Opt::value(
        "json",
        None,
        &["json"],
        "DATA",
        "JSON body with Content-Type and Accept application/json",
    ),
    Opt::flag(
        "G",
        Some('G'),
        &["get"],
        "put the -d data in the URL's query and GET",
    ),
    Opt::value(
        "u",
        Some('u'),
        &["user"],
        "USER:PASSWORD",
        "HTTP basic authentication",
    ),
    Opt::value("A", Some('A'), &["user-agent"], "NAME", "User-Agent header"),
    Opt::value("e", Some('e'), &["referer"], "URL", "Referer header"),
    Opt::value(
        "b",
        Some('b'),
        &["cookie"],
        "NAME=VALUE",
        "Cookie header (a cookie file is not read)",
    ),
    Opt::value("r", Some('r'), &["range"], "RANGE", "Range header (bytes)"),
    Opt::flag(
        "k",
        Some('k'),
        &["insecure"],
        "do not verify the server's certificate",
    ),
    Opt::value(
        "cacert",
        None,
        &["cacert"],
        "FILE",
        "trust the CA certificates in FILE (PEM)",
    ),
    Opt::value(
        "m",
        Some('m'),
        &["max-time"],
        "SECONDS",
        "give up on the whole transfer after SECONDS (default 30; curl has none)",
    ),
    Opt::value(
        "connect-timeout",
        None,
        &["connect-timeout"],
        "SECONDS",
        "give up connecting (name lookup, TCP, TLS) after SECONDS (default 300)",
    ),
    Opt::value(
        "w",
        Some('w'),
        &["write-out"],
        "FORMAT",
        "print FORMAT after the transfer (%{http_code}, %{time_total}, …)",
    ),
    Opt::flag(
        "f",
        Some('f'),
        &["fail"],
        "a status >= 400 prints no body and exits 22",
    ),
    Opt::flag("4", Some('4'), &["ipv4"], "IPv4 only"),
    Opt::flag("6", Some('6'), &["ipv6"], "IPv6 only"),
    Opt::value(
        "resolve",
        None,
        &["resolve"],
        "HOST:PORT:ADDR",
        "use ADDR for HOST:PORT",
    ),
    Opt::flag("http1.1", None, &["http1.1"], "HTTP/1.1 only"),
    Opt::flag(
        "http2",
        None,
        &["http2"],
        "HTTP/2 over TLS when the server offers it (the default)",
    ),
    Opt::flag(
        "http2-prior-knowledge",
        None,
        &["http2-prior-knowledge"],
        "HTTP/2 without TLS or upgrade",
    ),
    Opt::value("url", None, &["url"], "URL", "the URL"),
    Opt::flag(
        "N",
        Some('N'),
        &["no-buffer"],
        "write the body as it arrives (always so)",
    ),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
    Opt::unsupported(
        "x",
        Some('x'),
        &["proxy"],
        Takes::Value,
        "proxies are not offered; run netshoot in the proxy's network (-t)",
    ),
    Opt::unsupported(
        "noproxy",
        None,
        &["noproxy"],
        Takes::Value,
        "proxies are never used; leave it out",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["form"],
        Takes::Value,
        "multipart forms are not offered; send -d with a -H Content-Type",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &["upload-file"],
        Takes::Value,
        "use -X PUT -d @FILE",
    ),
    Opt::unsupported(
        "compressed",
        None,
        &["compressed"],
        Takes::No,
        "compressed bodies are not decoded; leave it out",
    ),
    Opt::value(
        "D",
        Some('D'),
        &["dump-header"],
        "FILE",
        "write the response head(s) to FILE (- for stdout)",
    ),
    Opt::unsupported(
        "c",
        Some('c'),
        &["cookie-jar"],
        Takes::Value,
        "cookies are not stored; read Set-Cookie with -i",
    ),
    Opt::unsupported(
        "data-urlencode",
        None,
        &["data-urlencode"],
        Takes::Value,
        "encode the data yourself and give -d",
    ),
    Opt::unsupported(
        "fail-with-body",
        None,
        &["fail-with-body"],
        Takes::No,
        "use -f (no body) or leave it out (body, status in -w %{http_code})",
    ),
    Opt::unsupported(
        "retry",
        None,
        &["retry"],
        Takes::Value,
        "retry in a shell loop",
    ),
    Opt::unsupported(
        "C",
        Some('C'),
        &["continue-at"],
        Takes::Value,
        "use -r RANGE",
    ),
    Opt::unsupported(
        "E",
        Some('E'),
        &["cert"],
        Takes::Value,
        "client certificates are not offered",
    ),
    Opt::unsupported(
        "key",
        None,
        &["key"],
        Takes::Value,
        "client certificates are not offered",
    ),
    Opt::unsupported(
        "interface",
        None,
        &["interface"],
        Takes::Value,
        "the route decides the interface; run in the right target (-t)",
    ),
    Opt::unsupported(
        "limit-rate",
        None,
        &["limit-rate"],
        Takes::Value,
        "the transfer is not throttled",
    ),
    Opt::unsupported(
        "K",
        Some('K'),
        &["config"],
        Takes::Value,
        "give the options on the command line",
    ),
    Opt::unsupported(
        "n",
        Some('n'),
        &["netrc"],
        Takes::No,
        "use -u USER:PASSWORD",
    ),
    Opt::unsupported(
        "trace",
        None,
        &["trace", "trace-ascii"],
        Takes::Value,
        "use -v",
    ),
    Opt::unsupported(
        "progress-bar",
        Some('#'),
        &["progress-bar"],
        Takes::No,
        "a progress bar shows on a terminal by itself",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["parallel"],
        Takes::No,
        "give one URL per run",
    ),
    Opt::unsupported(
        "tlsv1.2",
        None,
        &["tlsv1.2", "tlsv1.3", "tls-max", "ciphers"],
        Takes::No,
        "TLS versions and ciphers are negotiated",
    ),
    Opt::unsupported(
        "http3",
        None,
        &["http3"],
        Takes::No,
        "HTTP/3 is not offered; use --http2",
    ),
    Opt::unsupported(
        "http1.0",
        Some('0'),
        &["http1.0"],
        Takes::No,
        "use --http1.1",
    ),
];

/// curl's grammar (options may follow the URL).
pub const SPEC: Spec = Spec {
    tool: "curl",
    opts: OPTS,
    permute: true,
    usage: "[-fGiIkLNOsSv46] [-A NAME] [-d DATA] [-H HEADER] [-m SECONDS] [-o FILE] [-u USER:PASS] [-w FORMAT] [-X METHOD] [--connect-timeout S] [--resolve H:P:A] URL",
    notes: "\
Errors and exit codes are curl's (6 resolve, 7 connect, 22 -f, 28 timeout, 35/60 TLS, 47
redirects, 52 empty reply). No progress meter is drawn when stderr is not a terminal. One URL per
run. The same engine as `netshoot http` (see docs/CLASSIC.md).",
    single_dash_long: false,
};

/// Standard base64 (for -u).
fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "curl (netshoot {}): netshoot's HTTP engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    let mut urls: Vec<String> = p.args().iter().map(|s| s.to_string()).collect();
    urls.extend(p.values("url").into_iter().map(String::from));
    let mut url = match urls.as_slice() {
        [u] => u.clone(),
        [] => return Err(usage("curl", "no URL specified")),
        _ => return Err(usage("curl", "give one URL per run")),
    };
    // curl assumes http:// when the URL has no scheme.
    if !url.contains("://") {
        url = format!("http://{url}");
    }
    let mut headers: Vec<String> = p.values("H").into_iter().map(String::from).collect();
    if let Some(u) = p.value("u") {
        let creds = if u.contains(':') {
            u.to_string()
        } else {
            return Err(usage(
                "curl",
                "-u USER without :PASSWORD: give -u USER:PASSWORD",
            ));
        };
        headers.push(format!("Authorization: Basic {}", base64(creds.as_bytes())));
    }
    for (id, name) in [("e", "Referer"), ("b", "Cookie")] {
        if let Some(v) = p.value(id) {
            if id == "b" && !v.contains('=') {
                return Err(usage(
                    "curl",
                    format!("-b {v}: cookie files are not read; give -b NAME=VALUE"),
                ));
            }
            headers.push(format!("{name}: {v}"));
        }
    }
    if let Some(r) = p.value("r") {
        headers.push(format!("Range: bytes={r}"));
    }
    let mut data: Vec<String> = p.values("d").into_iter().map(String::from).collect();
    let mut data_raw: Vec<String> = p.values("data-raw").into_iter().map(String::from).collect();
    if let Some(j) = p.value("json") {
        data_raw.push(j.to_string());
        headers.push("Content-Type: application/json".into());
        headers.push("Accept: application/json".into());
    }
    let mut method = p.value("X").map(String::from);
    if p.has("I") && !p.has("G") && (!data.is_empty() || !data_raw.is_empty()) {
        // curl: a HEAD request cannot carry a body.
        return Err(usage(
            "curl",
            "you can only select one HTTP request method: POST (-d, --data) or HEAD (-I, --head)",
        ));
    }
    if p.has("G") && (!data.is_empty() || !data_raw.is_empty()) {
        let mut q: Vec<String> = Vec::new();
        for d in data.drain(..) {
            if let Some(path) = d.strip_prefix('@') {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| usage("curl", format!("-d @{path}: cannot read: {e}")))?;
                q.push(text.trim_end_matches('\n').to_string());
            } else {
                q.push(d);
            }
        }
        q.append(&mut data_raw);
        let sep = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{sep}{}", q.join("&"));
        method.get_or_insert_with(|| "GET".into());
    }
    let output = match (p.value("o"), p.has("O")) {
        (Some(o), _) => Some(o.to_string()),
        (None, true) => {
            let path = url.split("://").nth(1).unwrap_or("");
            let path = path.split(['?', '#']).next().unwrap_or("");
            let name = path.split_once('/').map(|x| x.1).unwrap_or("");
            let name = name.rsplit('/').next().unwrap_or("");
            if name.is_empty() {
                if !p.has("s") || p.has("S") {
                    eprintln!("curl: Remote file name has no length!");
                    eprintln!("curl: (23) Failed writing received data to disk/application");
                }
                return Ok(23);
            }
            Some(name.to_string())
        }
        (None, false) => None,
    };
    let num = |id: &str| -> anyhow::Result<Option<f64>> {
        p.value(id)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        usage(
                            "curl",
                            format!("option -{id}: expected a proper numerical parameter"),
                        )
                    })
            })
            .transpose()
    };
    let a = HttpArgs {
        url,
        method,
        headers,
        data,
        output,
        head: p.has("I"),
        include: p.has("i"),
        follow: p.has("L"),
        max_redirs: p
            .value("max-redirs")
            .map(|v| {
                v.parse()
                    .map_err(|_| usage("curl", format!("--max-redirs {v}: give a number")))
            })
            .transpose()?
            .unwrap_or(50),
        resolve: p.values("resolve").into_iter().map(String::from).collect(),
        insecure: p.has("k"),
        cacert: p.value("cacert").map(String::from),
        http11: p.has("http1.1"),
        http2: p.has("http2"),
        http2_prior_knowledge: p.has("http2-prior-knowledge"),
        // curl has no default limit; every wait of ours has one.
        max_time: num("m")?.unwrap_or(netshoot_http::DEFAULT_MAX_TIME.as_secs_f64()),
        connect_timeout: num("connect-timeout")?.unwrap_or(300.0),
        write_out: p.value("w").map(String::from),
        timing: false,
        showcerts: false,
        fail: p.has("f"),
        silent: p.has("s"),
        user_agent: Some(
            p.value("A")
                .map(String::from)
                .unwrap_or_else(|| "curl/7.88.1".into()),
        ),
        v4: p.has("4"),
        v6: p.has("6"),
        data_raw,
        dump_header: p.value("D").map(String::from),
        curl: true,
        show_error: p.has("S"),
    };
    if a.http11 && a.http2_prior_knowledge {
        return Err(usage(
            "curl",
            "give one of --http1.1 and --http2-prior-knowledge",
        ));
    }
    let target = ctx.enter()?;
    let mut out = ctx.output();
    out.verbose += p.count("v") as u8;
    crate::cmd::http::run(&a, &target, &out)
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_like_rfc4648() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a:b"), "YTpi");
        assert_eq!(base64(b"ab:"), "YWI6");
        assert_eq!(base64(b"a:"), "YTo=");
        assert_eq!(base64(b"x"), "eA==");
    }
}
