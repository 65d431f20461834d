//! `http`: a curl-like request from inside the target, with TLS details like
//! `openssl s_client -showcerts` and a timing breakdown like `curl -w`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use netshoot_http::{CertInfo, Event, Family, Hop, Options, TlsOptions, Transfer, Version};
use netshoot_ns::Target;
use serde::Serialize;

use netshoot_wire::text::{escape, LinesEscaper};

use crate::progress::Progress;
use crate::render::Output;

/// `http` options (curl's letters).
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// `http://` or `https://` URL (a bare host means http://).
    pub url: String,
    /// Request method (GET, or POST with -d, HEAD with -I).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Extra header `Name: value`; `Name:` removes a default one. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request body (POST unless -X); `@FILE` reads it from a file. Repeats join with `&`.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Vec<String>,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Only the response head (HEAD request), printed to stdout.
    #[arg(short = 'I', long = "head")]
    pub head: bool,
    /// Print the response head before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Follow redirects.
    #[arg(short = 'L', long = "location")]
    pub follow: bool,
    /// Most redirects to follow with -L.
    #[arg(long = "max-redirs", default_value_t = 50, value_name = "N")]
    pub max_redirs: u32,
    /// Use ADDR for HOST:PORT instead of resolving (curl's HOST:PORT:ADDR). Repeatable.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Go on when the certificate does not verify (the verdict is still shown).
    #[arg(short = 'k', long = "insecure")]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file instead of the built-in roots.
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Option<String>,
    /// HTTP/1.1 only.
    #[arg(long = "http1.1", conflicts_with = "http2_prior_knowledge")]
    pub http11: bool,
    /// HTTP/2 over TLS via ALPN, falling back to HTTP/1.1 (the default for https).
    #[arg(long = "http2")]
    pub http2: bool,
    /// HTTP/2 without negotiation (also for http://).
    #[arg(long = "http2-prior-knowledge")]
    pub http2_prior_knowledge: bool,
    /// Seconds allowed for the whole transfer: name lookup, connect, TLS, request, response and
    /// body, every redirect included (curl has no default limit; we do).
    #[arg(
        short = 'm',
        long = "max-time",
        value_name = "SECONDS",
        default_value_t = netshoot_http::DEFAULT_MAX_TIME.as_secs_f64()
    )]
    pub max_time: f64,
    /// Seconds allowed for each connection: name lookup, TCP connect (shared by the addresses
    /// tried) and TLS handshake, as curl's.
    #[arg(
        long = "connect-timeout",
        value_name = "SECONDS",
        default_value_t = netshoot_http::DEFAULT_CONNECT_TIMEOUT.as_secs_f64()
    )]
    pub connect_timeout: f64,
    /// After the transfer print FORMAT with curl's %{variables} (time_namelookup, time_connect,
    /// time_appconnect, time_pretransfer, time_starttransfer, time_total, time_redirect,
    /// http_code, http_version, size_download, size_header, remote_ip, remote_port, local_ip,
    /// local_port, num_redirects, url_effective, redirect_url, content_type, scheme, method,
    /// ssl_verify_result).
    #[arg(short = 'w', long = "write-out", value_name = "FORMAT")]
    pub write_out: Option<String>,
    /// Print the timing breakdown (DNS, connect, TLS, first byte, total) to stderr.
    #[arg(long = "timing")]
    pub timing: bool,
    /// Print the TLS session and the whole certificate chain (PEM too) to stderr.
    #[arg(long = "showcerts")]
    pub showcerts: bool,
    /// Exit 1 when the final status is 400 or more.
    #[arg(short = 'f', long = "fail")]
    pub fail: bool,
    /// No progress bar.
    #[arg(short = 's', long = "silent")]
    pub silent: bool,
    /// User-Agent header.
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    pub user_agent: Option<String>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
    /// Write the response head(s) to FILE (`-` for stdout), like curl -D.
    #[arg(short = 'D', long = "dump-header", value_name = "FILE")]
    pub dump_header: Option<String>,
    /// Request body, sent as given (`@` is not a file name here), like curl --data-raw.
    #[arg(long = "data-raw", value_name = "DATA")]
    pub data_raw: Vec<String>,
    /// curl's behaviour (set by the classic `curl` name): errors as `curl: (N) …` with curl's
    /// exit codes, -f prints no body for a status >= 400 and exits 22.
    #[arg(skip)]
    pub curl: bool,
    /// With `curl`: print errors even with -s (curl -S).
    #[arg(skip)]
    pub show_error: bool,
}

/// `http --json` of a transfer that got a response: the final status and URL, curl's total and
/// redirect times, and every request (`hops`: status, reason, request and response headers,
/// curl's timing points, the TLS session and certificate chain, addresses, sizes).
#[derive(Debug, Serialize)]
pub struct HttpReport<'a> {
    /// The URL as given.
    pub url: &'a str,
    /// The last URL requested.
    pub url_effective: &'a str,
    /// The final status.
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`.
    pub http_version: &'a str,
    /// Redirects followed.
    pub num_redirects: usize,
    /// Seconds in the redirects (curl `time_redirect`).
    pub time_redirect: f64,
    /// Seconds for everything.
    pub time_total: f64,
    /// Every request, the last one final.
    pub hops: &'a [Hop],
    /// The body as text, when it was not written with -o (at most 1 MiB kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body was longer than what `body` keeps.
    pub body_truncated: bool,
}

/// `http --json` of a transfer that failed: what went wrong and in which phase.
#[derive(Debug, Serialize)]
pub struct HttpFailure<'a> {
    /// The URL as given.
    pub url: &'a str,
    /// The error, in one line.
    pub error: String,
    /// `usage`, `resolve`, `connect`, `tls`, `protocol`, `timeout` (`-m` or
    /// `--connect-timeout`), `redirects` or `output`.
    pub kind: &'static str,
    /// The phase it failed in, named as curl's timing points: `setup`, `namelookup`, `connect`,
    /// `appconnect` (TLS), `transfer` (request and response), `redirect`.
    pub phase: &'static str,
    /// The host and port that refused or failed, when the error names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    /// The port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// TLS: the certificates the server showed before the handshake failed.
    #[serde(skip_serializing_if = "<[CertInfo]>::is_empty")]
    pub chain: &'a [CertInfo],
    /// Seconds until the failure.
    pub time_total: f64,
    /// The exit status (curl's code for the classic `curl`).
    pub exit_code: i32,
}

impl<'a> HttpFailure<'a> {
    /// The failure report of `e` for `url`.
    pub fn new(url: &'a str, e: &'a netshoot_http::Error, time_total: f64, exit_code: i32) -> Self {
        use netshoot_http::Error as E;
        let (kind, phase) = match e {
            E::Usage(_) => ("usage", "setup"),
            E::Resolve { .. } => ("resolve", "namelookup"),
            E::Connect { .. } => ("connect", "connect"),
            E::Tls { .. } => ("tls", "appconnect"),
            E::Protocol(_) => ("protocol", "transfer"),
            E::Timeout { phase, .. } | E::ConnectTimeout { phase, .. } => {
                ("timeout", phase.point())
            }
            E::Redirects(_) => ("redirects", "redirect"),
            E::Output(_) => ("output", "transfer"),
        };
        let (host, port) = match e {
            E::Resolve { host, .. } => (Some(host.as_str()), None),
            E::Connect { host, port, .. } => (Some(host.as_str()), Some(*port)),
            E::Tls { host, .. } | E::ConnectTimeout { host, .. } => (Some(host.as_str()), None),
            _ => (None, None),
        };
        HttpFailure {
            url,
            error: e.to_string(),
            kind,
            phase,
            host,
            port,
            chain: match e {
                E::Tls { chain, .. } => chain,
                _ => &[],
            },
            time_total,
            exit_code,
        }
    }
}

fn parse_resolve(s: &str) -> anyhow::Result<(String, u16, IpAddr)> {
    let bad =
        || anyhow!("--resolve '{s}': expected HOST:PORT:ADDR, e.g. example.com:443:127.0.0.1");
    let (host, rest) = s.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port, addr))
}

fn seconds(s: f64, what: &str) -> anyhow::Result<Duration> {
    crate::args::seconds(s, what, true)
}

fn options(a: &HttpArgs) -> anyhow::Result<Options> {
    let mut o = Options::new(&a.url);
    o.method = a.method.clone();
    o.head = a.head;
    for h in &a.headers {
        let (n, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("-H '{h}': expected 'Name: value' (or 'Name:' to remove)"))?;
        if n.trim().is_empty() || n.contains(char::is_whitespace) {
            bail!("-H '{h}': the header name is empty or has spaces");
        }
        o.headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    if !a.data.is_empty() || !a.data_raw.is_empty() {
        let mut parts = Vec::new();
        for d in &a.data {
            match d.strip_prefix('@') {
                Some(path) => parts
                    .push(std::fs::read(path).with_context(|| format!("-d @{path}: cannot read"))?),
                None => parts.push(d.as_bytes().to_vec()),
            }
        }
        parts.extend(a.data_raw.iter().map(|d| d.as_bytes().to_vec()));
        o.body = Some(parts.join(&b'&'));
    }
    o.follow = a.follow;
    o.max_redirs = a.max_redirs;
    o.resolve = a
        .resolve
        .iter()
        .map(|r| parse_resolve(r))
        .collect::<anyhow::Result<_>>()?;
    o.tls = TlsOptions {
        insecure: a.insecure,
        ca_pem: match &a.cacert {
            Some(p) => {
                Some(std::fs::read(p).with_context(|| format!("--cacert {p}: cannot read"))?)
            }
            // Like curl (CURL_CA_BUNDLE) and OpenSSL (SSL_CERT_FILE): the trusted CAs from the
            // environment (the image points SSL_CERT_FILE at Debian's bundle); without either,
            // the Mozilla roots built in.
            None => match ["CURL_CA_BUNDLE", "SSL_CERT_FILE"].iter().find_map(|v| {
                std::env::var_os(v)
                    .filter(|p| !p.is_empty())
                    .map(|p| (v, p))
            }) {
                Some((var, p)) => Some(std::fs::read(&p).with_context(|| {
                    format!(
                        "{var}={}: cannot read (unset it, or give --cacert FILE)",
                        p.to_string_lossy()
                    )
                })?),
                None => None,
            },
        },
        client_pem: None,
    };
    o.version = if a.http11 {
        Version::Http11
    } else if a.http2_prior_knowledge {
        Version::Http2PriorKnowledge
    } else {
        Version::Auto
    };
    o.connect_timeout = seconds(a.connect_timeout, "--connect-timeout")?;
    o.max_time = seconds(a.max_time, "-m")?;
    if let Some(ua) = &a.user_agent {
        o.user_agent = ua.clone();
    }
    o.family = if a.v4 {
        Family::V4
    } else if a.v6 {
        Family::V6
    } else {
        Family::Any
    };
    Ok(o)
}

/// Where the body goes: a file, stdout, or (for --json) a bounded buffer.
enum Sink {
    File(std::io::BufWriter<std::fs::File>),
    Stdout(std::io::Stdout),
    /// Stdout that is a terminal: control characters other than newline and tab escaped, as
    /// `netshoot_wire::text::escape_lines` shows them (`-o FILE` or a pipe gets the bytes).
    Terminal(std::io::Stdout, LinesEscaper),
    Buffer(Vec<u8>, bool),
    /// curl -f: the whole body, held until the status is known.
    Hold(Vec<u8>),
    Discard,
}

const JSON_BODY_MAX: usize = 1 << 20;

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File(f) => f.write(b),
            Sink::Stdout(s) => s.write(b),
            Sink::Terminal(s, e) => {
                s.write_all(e.push(b).as_bytes())?;
                Ok(b.len())
            }
            Sink::Buffer(v, truncated) => {
                let room = JSON_BODY_MAX.saturating_sub(v.len());
                v.extend_from_slice(&b[..room.min(b.len())]);
                *truncated |= b.len() > room;
                Ok(b.len())
            }
            Sink::Hold(v) => {
                v.extend_from_slice(b);
                Ok(b.len())
            }
            Sink::Discard => Ok(b.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(s) | Sink::Terminal(s, _) => s.flush(),
            _ => Ok(()),
        }
    }
}

/// Runs `http` in the (already entered) target.
pub fn run(a: &HttpArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let opts = options(a)?;
    let mut sink = match &a.output {
        None if a.curl && a.fail && !out.json && !a.head => Sink::Hold(Vec::new()),
        Some(p) => Sink::File(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("-o {p}: cannot create the file"))?,
        )),
        None if out.json => Sink::Buffer(Vec::new(), false),
        None if a.head => Sink::Discard,
        None if std::io::stdout().is_terminal() => {
            Sink::Terminal(std::io::stdout(), LinesEscaper::default())
        }
        None => Sink::Stdout(std::io::stdout()),
    };
    let mut resolver = target_resolver(target);
    let verbose = out.verbose > 0;
    let include = (a.include || a.head) && !out.json;
    let mut progress =
        (!a.silent && !verbose && std::io::stderr().is_terminal()).then(|| Progress::new("http"));
    let mut dump: Option<(Box<dyn Write>, bool)> = match a.dump_header.as_deref() {
        None => None,
        Some("-") => Some((Box::new(std::io::stdout()), true)),
        Some(f) => Some((
            Box::new(std::io::BufWriter::new(
                std::fs::File::create(f)
                    .with_context(|| format!("-D {f}: cannot create the file"))?,
            )),
            false,
        )),
    };
    let mut events = |e: Event<'_>| match e {
        // Certificate fields, redirect targets and the head come from the server: escaped on
        // the terminal, kept exact in a -D file.
        Event::Info(m) if verbose => eprintln!("* {}", escape(m)),
        Event::Sent(l) if verbose => eprintln!("> {}", escape(l)),
        Event::Received(l) => {
            if verbose {
                eprintln!("< {}", escape(l));
            }
            if include {
                // the final head goes to stdout before the body, like curl -i / -I
                let mut so = std::io::stdout().lock();
                let _ = write!(so, "{}\r\n", escape(l));
            }
            if let Some((d, to_stdout)) = dump.as_mut() {
                let l = if *to_stdout { escape(l) } else { l.into() };
                let _ = write!(d, "{l}\r\n");
                let _ = d.flush();
            }
        }
        Event::Progress(n, total) => {
            if let Some(p) = progress.as_mut() {
                p.bytes(n, total);
            }
        }
        _ => {}
    };
    let result = netshoot_http::fetch(&opts, &mut resolver, &mut events, &mut sink);
    if let Some(p) = progress.as_mut() {
        p.finish();
    }
    let transfer = match result {
        Ok(t) => t,
        Err(e) if out.json => {
            let code = if a.curl {
                curl_error(&e, started.elapsed().as_millis()).0
            } else {
                e.exit_code()
            };
            let failure = HttpFailure::new(&a.url, &e, started.elapsed().as_secs_f64(), code);
            out.emit(&failure, |_| String::new())?;
            return Ok(code);
        }
        Err(e) => {
            if let netshoot_http::Error::Tls { chain, .. } = &e {
                if a.showcerts && !chain.is_empty() {
                    eprint!("{}", chain_text(chain, true));
                }
            }
            if a.curl {
                let (code, msg) = curl_error(&e, started.elapsed().as_millis());
                if !a.silent || a.show_error {
                    eprintln!("curl: ({code}) {}", escape(&msg));
                }
                return Ok(code);
            }
            eprintln!("netshoot: http: {}", escape(&e.to_string()));
            return Ok(e.exit_code());
        }
    };
    let last = transfer.last();
    if a.showcerts {
        if let Some(tls) = &last.tls {
            eprintln!(
                "TLS: {} {}, ALPN {}, verify {}",
                tls.version,
                tls.cipher,
                escape(tls.alpn.as_deref().unwrap_or("none")),
                escape(&tls.verify)
            );
            eprint!("{}", chain_text(&tls.chain, true));
        } else {
            eprintln!(
                "netshoot: note: {} is not https: no certificates",
                escape(&last.url)
            );
        }
    }
    if a.timing {
        eprint!("{}", timing_text(&transfer));
    }
    let failed = a.fail && last.status >= 400;
    if let Sink::Hold(body) = &sink {
        if !failed {
            let mut so = std::io::stdout().lock();
            if so.is_terminal() {
                let mut e = LinesEscaper::default();
                so.write_all(e.push(body).as_bytes())?;
                so.write_all(e.finish().as_bytes())?;
            } else {
                so.write_all(body)?;
            }
            so.flush()?;
        }
    }
    if let Sink::Terminal(so, e) = &mut sink {
        let mut so = so.lock();
        so.write_all(std::mem::take(e).finish().as_bytes())?;
        so.flush()?;
    }
    {
        let (body, truncated) = match sink {
            Sink::Buffer(v, t) => (Some(String::from_utf8_lossy(&v).into_owned()), t),
            _ => (None, false),
        };
        let report = HttpReport {
            url: &a.url,
            url_effective: &last.url,
            status: last.status,
            http_version: &last.http_version,
            num_redirects: transfer.hops.len() - 1,
            time_redirect: transfer.redirect_time,
            time_total: transfer.total_time,
            hops: &transfer.hops,
            body,
            body_truncated: truncated,
        };
        // The body and the head went out as they came: the report's text is empty.
        out.emit(&report, |_| String::new())?;
    }
    if failed && a.curl && (!a.silent || a.show_error) {
        eprintln!(
            "curl: (22) The requested URL returned error: {}",
            last.status
        );
    }
    if let Some(f) = &a.write_out {
        let text = write_out(f, &transfer);
        let mut so = std::io::stdout().lock();
        so.write_all(text.as_bytes())?;
        so.flush()?;
    }
    Ok(match (failed, a.curl) {
        (true, true) => 22,
        (true, false) => 1,
        _ => 0,
    })
}

/// curl's exit code and words for a failed transfer (`elapsed_ms`: since the start).
pub fn curl_error(e: &netshoot_http::Error, elapsed_ms: u128) -> (i32, String) {
    use netshoot_http::Error as E;
    match e {
        E::Resolve { host, .. } => (6, format!("Could not resolve host: {host}")),
        E::Connect { host, port, msg } if msg.contains("timed out") => (
            28,
            format!("Failed to connect to {host} port {port} after {elapsed_ms} ms: Timeout was reached"),
        ),
        E::Connect { host, port, .. } => (
            7,
            format!("Failed to connect to {host} port {port} after {elapsed_ms} ms: Couldn't connect to server"),
        ),
        E::Tls { msg, .. } if msg.contains("certificate") || msg.contains("issuer") => {
            (60, format!("SSL certificate problem: {msg}"))
        }
        E::Tls { msg, .. } => (35, msg.clone()),
        E::Protocol(m) if m.contains("without a response") => {
            (52, "Empty reply from server".into())
        }
        E::Protocol(m) => (56, format!("Failure when receiving data from the peer: {m}")),
        E::Timeout { .. } => (
            28,
            format!("Operation timed out after {elapsed_ms} milliseconds"),
        ),
        E::ConnectTimeout {
            phase: netshoot_http::Phase::NameLookup,
            ..
        } => (
            28,
            format!("Resolving timed out after {elapsed_ms} milliseconds"),
        ),
        E::ConnectTimeout { .. } => (
            28,
            format!("Connection timed out after {elapsed_ms} milliseconds"),
        ),
        E::Redirects(n) => (47, format!("Maximum ({n}) redirects followed")),
        E::Output(err) => (23, format!("Failure writing output to destination: {err}")),
        E::Usage(m) if m.contains("URL") || m.contains("url") => {
            (3, format!("URL using bad/illegal format or missing URL: {m}"))
        }
        E::Usage(m) => (2, m.clone()),
    }
}

/// The chain like `openssl s_client -showcerts` (with the SANs, which s_client leaves out).
pub fn chain_text(chain: &[CertInfo], pem: bool) -> String {
    let mut s = String::from("Certificate chain\n");
    for (i, c) in chain.iter().enumerate() {
        let _ = writeln!(s, "{i:>2} s:{}", escape(&c.subject));
        let _ = writeln!(s, "   i:{}", escape(&c.issuer));
        let _ = writeln!(s, "   a:PKEY: {}; sigalg: {}", c.key, c.sig_alg);
        let _ = writeln!(
            s,
            "   v:NotBefore: {}; NotAfter: {}",
            c.not_before, c.not_after
        );
        if !c.sans.is_empty() {
            let _ = writeln!(s, "   SAN: {}", escape(&c.sans.join(", ")));
        }
        if pem {
            s.push_str(&c.pem);
        }
    }
    s
}

fn ms(s: f64) -> String {
    format!("{:.3} ms", s * 1000.0)
}

/// Each phase's own duration and the cumulative time, like curl -w's points.
fn timing_text(t: &Transfer) -> String {
    let h = t.last();
    let tm = &h.timings;
    let tls_end = if h.tls.is_some() {
        tm.appconnect
    } else {
        tm.connect
    };
    let rows = [
        ("dns lookup", tm.namelookup, tm.namelookup),
        ("tcp connect", tm.connect - tm.namelookup, tm.connect),
        ("tls handshake", tls_end - tm.connect, tls_end),
        ("request sent", tm.pretransfer - tls_end, tm.pretransfer),
        (
            "first byte",
            tm.starttransfer - tm.pretransfer,
            tm.starttransfer,
        ),
        ("body", tm.total - tm.starttransfer, tm.total),
    ];
    let mut s = String::new();
    if t.hops.len() > 1 {
        let _ = writeln!(
            s,
            "{:<15} {:>12}   ({} redirects)",
            "redirects",
            ms(t.redirect_time),
            t.hops.len() - 1
        );
    }
    for (name, d, c) in rows {
        if name == "tls handshake" && h.tls.is_none() {
            continue;
        }
        let _ = writeln!(s, "{name:<15} {:>12}   at {:>12}", ms(d.max(0.0)), ms(c));
    }
    let _ = writeln!(s, "{:<15} {:>12}", "total", ms(t.total_time));
    s
}

/// curl's `-w` formatting: `%{var}`, `%%`, `\n`, `\t`, `\r`.
pub fn write_out(fmt: &str, t: &Transfer) -> String {
    let h = t.last();
    let tm = &h.timings;
    let r = t.redirect_time;
    let mut out = String::new();
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some(end) = after.find('}') {
                let var = &after[..end];
                match var_value(var, t, h, tm, r) {
                    // Header values and URLs come from the server.
                    Some(v) => out.push_str(&escape(&v)),
                    None => {
                        let _ = write!(out, "%{{{var}}}");
                    }
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('\\') {
            match after.chars().next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
            rest = after.get(1..).unwrap_or("");
            if after.is_empty() {
                rest = "";
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn var_value(
    var: &str,
    t: &Transfer,
    h: &Hop,
    tm: &netshoot_http::Timings,
    redirect: f64,
) -> Option<String> {
    let secs = |v: f64| format!("{:.6}", v + redirect);
    Some(match var {
        "http_code" | "response_code" => format!("{:03}", h.status),
        "http_version" => match h.http_version.as_str() {
            "HTTP/2" => "2".into(),
            "HTTP/1.0" => "1.0".into(),
            _ => "1.1".into(),
        },
        "time_namelookup" => secs(tm.namelookup),
        "time_connect" => secs(tm.connect),
        "time_appconnect" => {
            if h.tls.is_some() {
                secs(tm.appconnect)
            } else {
                format!("{:.6}", 0.0)
            }
        }
        "time_pretransfer" => secs(tm.pretransfer),
        "time_starttransfer" => secs(tm.starttransfer),
        "time_total" => format!("{:.6}", t.total_time),
        "time_redirect" => format!("{:.6}", redirect),
        "size_download" => h.body_bytes.to_string(),
        "size_header" => h.header_bytes.to_string(),
        "remote_ip" => h.remote.map(|a| a.ip().to_string()).unwrap_or_default(),
        "remote_port" => h.remote.map(|a| a.port().to_string()).unwrap_or_default(),
        "local_ip" => h.local.map(|a| a.ip().to_string()).unwrap_or_default(),
        "local_port" => h.local.map(|a| a.port().to_string()).unwrap_or_default(),
        "num_redirects" => (t.hops.len() - 1).to_string(),
        "url_effective" | "url" => h.url.clone(),
        "redirect_url" => {
            if matches!(h.status, 301 | 302 | 303 | 307 | 308) {
                netshoot_http::h1::header(&h.headers, "location")
                    .and_then(|l| url_join(&h.url, l))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        }
        "content_type" => netshoot_http::h1::header(&h.headers, "content-type")
            .unwrap_or_default()
            .to_string(),
        "scheme" => h
            .url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase(),
        "method" => h.method.clone(),
        "ssl_verify_result" => match &h.tls {
            Some(t) if t.verify == "ok" => "0".into(),
            Some(_) => "1".into(),
            None => "0".into(),
        },
        _ => return None,
    })
}

fn url_join(base: &str, rel: &str) -> Option<String> {
    netshoot_http::join_url(base, rel)
}

/// The HTTP client's resolver for `target`: its resolv.conf and hosts, each query 5 s at most
/// (or the resolv.conf's timeout), the whole lookup within what the caller has left (`within`).
/// `http` and `calicoctl` resolve through it.
pub(crate) fn target_resolver(
    target: &netshoot_ns::Target,
) -> impl FnMut(&str, Duration) -> Result<Vec<IpAddr>, String> + '_ {
    move |host: &str, within: Duration| {
        netshoot_dns::lookup_host(
            host,
            target.resolv_conf.as_deref(),
            target.hosts.as_deref(),
            Duration::from_secs(5),
            within,
        )
        .map_err(|e| format!("{e} (in {})", target.label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_spec() {
        assert_eq!(
            parse_resolve("a.test:443:127.0.0.1").unwrap(),
            ("a.test".into(), 443, "127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            parse_resolve("a:80:[::1]").unwrap().2,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert!(parse_resolve("a.test:443").is_err());
        assert!(parse_resolve("a.test:x:1.2.3.4").is_err());
    }
}
