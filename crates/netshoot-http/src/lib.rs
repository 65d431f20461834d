//! A curl-like HTTP client for netshoot: HTTP/1.1 and HTTP/2 (ALPN or prior knowledge), TLS
//! with the verdict and the certificate chain, redirects, `--resolve`, and a timing breakdown
//! with curl's `-w` meanings (name lookup, connect, TLS, first byte, total).
//!
//! It runs on a current-thread tokio runtime created inside [`fetch`]: no thread is spawned, so
//! every socket opens in the network namespace of the calling thread (netshoot enters the
//! target first).
//!
//! Every wait is bounded: the whole transfer by [`Options::max_time`] (default
//! [`DEFAULT_MAX_TIME`]: name lookup, connect, TLS handshake, request, response head, body,
//! every redirect hop against the one deadline), and each hop's connection phase (name lookup,
//! TCP connect, TLS handshake) by [`Options::connect_timeout`] (default
//! [`DEFAULT_CONNECT_TIMEOUT`]), as curl's `-m` and `--connect-timeout`. The resolver is
//! synchronous, so it is given the time left and must not take longer.

pub mod h1;
pub mod tls;

use std::cell::Cell;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

pub use tls::{CertInfo, TlsInfo, TlsOptions};

/// Which HTTP version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// HTTP/2 when the TLS server accepts `h2` by ALPN, else HTTP/1.1 (curl's default).
    #[default]
    Auto,
    /// HTTP/1.1 only (curl `--http1.1`).
    Http11,
    /// HTTP/2 without negotiation, also over cleartext (curl `--http2-prior-knowledge`).
    Http2PriorKnowledge,
}

/// Address family restriction (`-4`, `-6`): the resolver's, from netshoot-dns.
pub use netshoot_dns::Family;

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The URL (`http://` or `https://`).
    pub url: String,
    /// Method; `None` means GET, POST when there is a body, HEAD with `head`.
    pub method: Option<String>,
    /// Only the head (curl `-I`).
    pub head: bool,
    /// Extra request headers; one with an empty value removes a default header (curl `-H 'X:'`).
    pub headers: Vec<(String, String)>,
    /// Request body (curl `-d`); sets `Content-Type: application/x-www-form-urlencoded` unless given.
    pub body: Option<Vec<u8>>,
    /// HTTP version policy.
    pub version: Version,
    /// Certificate checks.
    pub tls: TlsOptions,
    /// Limit for each hop's connection phase: name lookup, TCP connect (the time left is
    /// shared among the addresses still to try), TLS handshake (curl `--connect-timeout`).
    pub connect_timeout: Duration,
    /// Limit for the whole transfer, every phase of every redirect hop (curl `-m`).
    pub max_time: Duration,
    /// Follow redirects (curl `-L`).
    pub follow: bool,
    /// How many redirects to follow at most.
    pub max_redirs: u32,
    /// `HOST:PORT` → address overrides (curl `--resolve`).
    pub resolve: Vec<(String, u16, IpAddr)>,
    /// The User-Agent header.
    pub user_agent: String,
    /// Address family.
    pub family: Family,
}

impl Options {
    /// Defaults for `url`: GET, curl's policies, [`DEFAULT_CONNECT_TIMEOUT`] and
    /// [`DEFAULT_MAX_TIME`], 50 redirects at most.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            method: None,
            head: false,
            headers: Vec::new(),
            body: None,
            version: Version::Auto,
            tls: TlsOptions::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_time: DEFAULT_MAX_TIME,
            follow: false,
            max_redirs: 50,
            resolve: Vec::new(),
            user_agent: format!("netshoot/{}", env!("CARGO_PKG_VERSION")),
            family: Family::Any,
        }
    }
}

/// The whole transfer's default bound (curl has none; a server that accepts and never answers
/// would hold it for ever).
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(30);

/// Each hop's connection phase's default bound (name lookup, TCP connect, TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a transfer was when it failed or ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Resolving the host name.
    NameLookup,
    /// Connecting over TCP.
    Connect,
    /// In the TLS handshake.
    Tls,
    /// Sending the request.
    Request,
    /// Waiting for the response head.
    Response,
    /// Reading the body.
    Body,
}

impl Phase {
    /// The phase as curl's timing points name it: `namelookup`, `connect`, `appconnect`,
    /// `transfer`.
    pub fn point(self) -> &'static str {
        match self {
            Phase::NameLookup => "namelookup",
            Phase::Connect => "connect",
            Phase::Tls => "appconnect",
            Phase::Request | Phase::Response | Phase::Body => "transfer",
        }
    }

    /// What was going on, in words (`resolving the name`, `in the TLS handshake`, …).
    pub fn doing(self) -> &'static str {
        match self {
            Phase::NameLookup => "resolving the name",
            Phase::Connect => "connecting",
            Phase::Tls => "in the TLS handshake",
            Phase::Request => "sending the request",
            Phase::Response => "waiting for the response",
            Phase::Body => "reading the body",
        }
    }
}

/// curl's timing points for one request, in seconds from the request's start (cumulative).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    /// Name resolved.
    pub namelookup: f64,
    /// TCP connected.
    pub connect: f64,
    /// TLS handshake done (0 without TLS, as curl reports).
    pub appconnect: f64,
    /// About to send the request.
    pub pretransfer: f64,
    /// First response byte received.
    pub starttransfer: f64,
    /// Body received.
    pub total: f64,
}

/// One request and its response (a redirect chain has several).
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The method sent.
    pub method: String,
    /// The address connected to.
    pub remote: Option<SocketAddr>,
    /// Our end of the connection.
    pub local: Option<SocketAddr>,
    /// `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`.
    pub http_version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase (HTTP/2 has none).
    pub reason: String,
    /// Request headers as sent.
    pub request_headers: Vec<(String, String)>,
    /// Response headers in order.
    pub headers: Vec<(String, String)>,
    /// Timing points.
    pub timings: Timings,
    /// TLS session, for `https`.
    pub tls: Option<TlsInfo>,
    /// Body bytes received (0 for a redirect we followed: its body is not read).
    pub body_bytes: u64,
    /// Response head bytes (HTTP/1.x as received; HTTP/2 as the equivalent text).
    pub header_bytes: u64,
}

/// The whole transfer: every hop, last one final.
#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    /// Requests in order.
    pub hops: Vec<Hop>,
    /// Seconds spent in the hops before the last (curl `time_redirect`).
    pub redirect_time: f64,
    /// Seconds for everything.
    pub total_time: f64,
}

impl Transfer {
    /// The final response.
    pub fn last(&self) -> &Hop {
        self.hops.last().expect("a transfer has at least one hop")
    }
}

/// Events for a `curl -v`-like trace.
#[derive(Debug)]
pub enum Event<'a> {
    /// Informational (`* …`).
    Info(&'a str),
    /// A request header line sent (`> …`).
    Sent(&'a str),
    /// A response header line received (`< …`).
    Received(&'a str),
    /// Body progress: bytes so far and the expected total when known.
    Progress(u64, Option<u64>),
}

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (URL, option, file).
    #[error("{0}")]
    Usage(String),
    /// The name does not resolve.
    #[error("cannot resolve '{host}': {msg}")]
    Resolve {
        /// The name.
        host: String,
        /// Why.
        msg: String,
    },
    /// No address accepted the connection.
    #[error("cannot connect to {host} port {port}: {msg}")]
    Connect {
        /// Host as given.
        host: String,
        /// Port.
        port: u16,
        /// What each address said.
        msg: String,
    },
    /// The TLS handshake failed; `chain` is what the server showed, if it got that far.
    #[error("TLS handshake with {host} failed: {msg}")]
    Tls {
        /// Host as given.
        host: String,
        /// Why.
        msg: String,
        /// The certificates the server sent.
        chain: Vec<CertInfo>,
    },
    /// The server broke the protocol or closed early.
    #[error("{0}")]
    Protocol(String),
    /// `max_time` elapsed.
    #[error("the transfer timed out after {secs:.1} s {} (-m SECONDS allows longer)", phase.doing())]
    Timeout {
        /// The limit, in seconds.
        secs: f64,
        /// Where the transfer was.
        phase: Phase,
    },
    /// A hop's connection phase (name lookup, TLS handshake) outlasted `connect_timeout`.
    #[error("no connection to {host} within {secs:.1} s: still {} (--connect-timeout SECONDS allows longer)", phase.doing())]
    ConnectTimeout {
        /// Host as given.
        host: String,
        /// The limit, in seconds.
        secs: f64,
        /// Where the connection was.
        phase: Phase,
    },
    /// Too many redirects.
    #[error("maximum ({0}) redirects followed; raise --max-redirs or check for a redirect loop")]
    Redirects(u32),
    /// Writing the body failed.
    #[error("writing the body: {0}")]
    Output(std::io::Error),
}

impl Error {
    /// netshoot's exit status for this error: 2 for bad input or output and for a name that
    /// does not resolve (as for every netshoot command), 1 for a network fault.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Output(_) | Error::Resolve { .. } => 2,
            _ => 1,
        }
    }
}

/// A connection to read and write.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Resolves a host name to addresses within the time given (the caller's resolver: netshoot
/// uses the target's). It runs on the runtime's only thread, so nothing else can stop it: it
/// must return within that time.
pub type Resolver<'a> = &'a mut dyn FnMut(&str, Duration) -> Result<Vec<IpAddr>, String>;

/// Fetches `opts.url`: the final body goes to `sink`, events to `events`.
pub fn fetch(
    opts: &Options,
    resolver: Resolver<'_>,
    events: &mut dyn FnMut(Event<'_>),
    sink: &mut dyn Write,
) -> Result<Transfer, Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the I/O runtime: {e}")))?;
    let start = Instant::now();
    let deadline = start + opts.max_time;
    let phase = Cell::new(Phase::NameLookup);
    rt.block_on(async {
        let work = transfer(opts, resolver, events, sink, start, deadline, &phase);
        tokio::time::timeout_at(deadline.into(), work)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    secs: opts.max_time.as_secs_f64(),
                    phase: phase.get(),
                })
            })
    })
}

async fn transfer(
    opts: &Options,
    resolver: Resolver<'_>,
    events: &mut dyn FnMut(Event<'_>),
    sink: &mut dyn Write,
    start: Instant,
    deadline: Instant,
    phase: &Cell<Phase>,
) -> Result<Transfer, Error> {
    let mut url = parse_url(&opts.url)?;
    let mut method = match (&opts.method, opts.head, &opts.body) {
        (Some(m), _, _) => m.clone(),
        (None, true, _) => "HEAD".into(),
        (None, false, Some(_)) => "POST".into(),
        (None, false, None) => "GET".into(),
    };
    let mut body = opts.body.clone();
    let mut headers = opts.headers.clone();
    let mut hops = Vec::new();
    let mut redirect_time = 0.0;
    loop {
        let hop_start = Instant::now();
        let (hop, next) = one_hop(
            opts,
            &url,
            &method,
            body.as_deref(),
            &headers,
            resolver,
            events,
            sink,
            Clock {
                t0: hop_start,
                deadline,
                phase,
            },
        )
        .await?;
        let status = hop.status;
        hops.push(hop);
        let Some(next) = next else { break };
        if hops.len() as u32 > opts.max_redirs {
            return Err(Error::Redirects(opts.max_redirs));
        }
        redirect_time += hop_start.elapsed().as_secs_f64();
        // curl: 303 turns anything but HEAD into GET; 301/302 turn POST into GET.
        if (status == 303 && method != "HEAD") || (matches!(status, 301 | 302) && method == "POST")
        {
            method = "GET".into();
            body = None;
            headers.retain(|(n, _)| {
                !n.eq_ignore_ascii_case("content-type") && !n.eq_ignore_ascii_case("content-length")
            });
        }
        if !same_origin(&url, &next) {
            // Credentials are for the scheme, host and port they were given to (curl drops
            // them on any change: an https→http hop would send them in clear).
            headers.retain(|(n, _)| {
                !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("cookie")
            });
        }
        events(Event::Info(&format!(
            "Issue another request to this URL: '{next}'"
        )));
        url = next;
    }
    Ok(Transfer {
        hops,
        redirect_time,
        total_time: start.elapsed().as_secs_f64(),
    })
}

/// Whether `a` and `b` have the same scheme, host and port (the default port counting as
/// given): a redirect keeps `Authorization` and `Cookie` only then.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// One hop's time: its start, the whole transfer's deadline, and where it is (read when the
/// deadline fires).
#[derive(Clone, Copy)]
struct Clock<'a> {
    t0: Instant,
    deadline: Instant,
    phase: &'a Cell<Phase>,
}

fn parse_url(s: &str) -> Result<Url, Error> {
    // curl accepts a bare host; so do we (http:// assumed).
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    };
    let url =
        Url::parse(&with_scheme).map_err(|e| Error::Usage(format!("invalid URL '{s}': {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(Error::Usage(format!(
                "unsupported URL scheme '{other}' in '{s}': use http:// or https://"
            )))
        }
    }
    if url.host_str().is_none_or(|h| h.is_empty()) {
        return Err(Error::Usage(format!("invalid URL '{s}': no host")));
    }
    Ok(url)
}

fn secs(from: Instant) -> f64 {
    from.elapsed().as_secs_f64()
}

#[allow(clippy::too_many_arguments)]
async fn one_hop(
    opts: &Options,
    url: &Url,
    method: &str,
    body: Option<&[u8]>,
    user_headers: &[(String, String)],
    resolver: Resolver<'_>,
    events: &mut dyn FnMut(Event<'_>),
    sink: &mut dyn Write,
    clock: Clock<'_>,
) -> Result<(Hop, Option<Url>), Error> {
    let Clock {
        t0,
        deadline,
        phase,
    } = clock;
    // The connection phase's own bound, when it ends before the transfer's.
    let connect_by = t0 + opts.connect_timeout;
    let connect_deadline = connect_by.min(deadline);
    // The connection phase ran out of time: -m's error when -m ended it.
    let conn_timeout = |host: &str, p: Phase| {
        if deadline <= connect_by {
            Error::Timeout {
                secs: opts.max_time.as_secs_f64(),
                phase: p,
            }
        } else {
            Error::ConnectTimeout {
                host: host.to_string(),
                secs: opts.connect_timeout.as_secs_f64(),
                phase: p,
            }
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        None => return Err(Error::Usage(format!("invalid URL '{url}': no host"))),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let https = url.scheme() == "https";
    let mut timings = Timings::default();
    // The TLS configuration first: a bad --cacert fails before any packet is sent.
    let tls_cfg = if https {
        let alpn: &[&[u8]] = match opts.version {
            Version::Auto => &[b"h2", b"http/1.1"],
            Version::Http11 => &[b"http/1.1"],
            Version::Http2PriorKnowledge => &[b"h2"],
        };
        Some(tls::client_config(&opts.tls, alpn)?)
    } else {
        None
    };

    // Name lookup: --resolve, an address literal, or the resolver.
    let mut addrs: Vec<IpAddr> = opts
        .resolve
        .iter()
        .filter(|(h, p, _)| h.eq_ignore_ascii_case(&host) && *p == port)
        .map(|(_, _, a)| *a)
        .collect();
    if !addrs.is_empty() {
        events(Event::Info(&format!(
            "Added {host}:{port}:{} to the address list (--resolve)",
            addrs[0]
        )));
    } else if let Ok(a) = host.parse::<IpAddr>() {
        addrs.push(a);
    } else {
        phase.set(Phase::NameLookup);
        let budget = connect_deadline.saturating_duration_since(Instant::now());
        if budget.is_zero() {
            return Err(conn_timeout(&host, Phase::NameLookup));
        }
        let found = resolver(&host, budget);
        // The resolver ran on the runtime's thread, where no timer could fire.
        if Instant::now() >= deadline {
            return Err(conn_timeout(&host, Phase::NameLookup));
        }
        addrs = match found {
            Ok(a) => a,
            Err(_) if Instant::now() >= connect_deadline => {
                return Err(conn_timeout(&host, Phase::NameLookup))
            }
            Err(msg) => {
                return Err(Error::Resolve {
                    host: host.clone(),
                    msg,
                })
            }
        };
    }
    addrs.retain(|a| opts.family.admits(a));
    if addrs.is_empty() {
        return Err(Error::Resolve {
            host,
            msg: format!(
                "no {} address",
                if opts.family == Family::V6 {
                    "IPv6"
                } else {
                    "IPv4"
                }
            ),
        });
    }
    timings.namelookup = secs(t0);

    // Connect: each address in turn, sharing what is left of the connection phase (as curl
    // does), so a silent first address leaves time for the next.
    phase.set(Phase::Connect);
    let mut failures = Vec::new();
    let mut tcp = None;
    for (i, a) in addrs.iter().enumerate() {
        let sa = SocketAddr::new(*a, port);
        let left = connect_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            failures.push(format!("{a}: not tried (no time left)"));
            continue;
        }
        let wait = left / (addrs.len() - i) as u32;
        events(Event::Info(&format!("  Trying {sa}...")));
        match tokio::time::timeout(wait, TcpStream::connect(sa)).await {
            Ok(Ok(s)) => {
                tcp = Some(s);
                break;
            }
            Ok(Err(e)) => failures.push(format!("{a}: {}", connect_error(&e))),
            Err(_) => failures.push(format!("{a}: timed out after {:.1} s", wait.as_secs_f64())),
        }
    }
    let Some(tcp) = tcp else {
        if Instant::now() >= deadline {
            return Err(conn_timeout(&host, Phase::Connect));
        }
        return Err(Error::Connect {
            host,
            port,
            msg: failures.join("; "),
        });
    };
    let _ = tcp.set_nodelay(true);
    let remote = tcp.peer_addr().ok();
    let local = tcp.local_addr().ok();
    timings.connect = secs(t0);
    events(Event::Info(&format!(
        "Connected to {host} ({}) port {port}",
        remote.map(|r| r.ip().to_string()).unwrap_or_default()
    )));

    // TLS.
    let mut tls_info = None;
    let mut use_h2 = !https && opts.version == Version::Http2PriorKnowledge;
    let io: Box<dyn Io> = if let Some((cfg, seen)) = tls_cfg {
        let server_name = match host.parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
            Err(_) => rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| {
                Error::Usage(format!("'{host}' is not a valid TLS server name: {e}"))
            })?,
        };
        let connector = tokio_rustls::TlsConnector::from(cfg);
        phase.set(Phase::Tls);
        let handshake =
            tokio::time::timeout_at(connect_deadline.into(), connector.connect(server_name, tcp))
                .await
                .map_err(|_| conn_timeout(&host, Phase::Tls))?;
        let stream = match handshake {
            Ok(s) => s,
            Err(e) => {
                let (recorded, chain) = match seen.lock() {
                    Ok(s) => (s.verdict.clone(), s.chain.clone()),
                    Err(_) => (None, Vec::new()),
                };
                let msg = match recorded {
                    Some(v) if v != "ok" => {
                        format!("{v} (trust its CA with --cacert FILE, or skip the check with -k)")
                    }
                    _ => e.to_string(),
                };
                return Err(Error::Tls {
                    host,
                    msg,
                    chain: chain.iter().map(|c| tls::decode_cert(c)).collect(),
                });
            }
        };
        let verdict = seen.lock().ok().and_then(|s| s.verdict.clone());
        let info = tls::session_info(stream.get_ref().1, verdict);
        timings.appconnect = secs(t0);
        trace_tls(&info, events);
        use_h2 = info.alpn.as_deref() == Some("h2");
        tls_info = Some(info);
        Box::new(stream)
    } else {
        Box::new(tcp)
    };

    // The request headers, curl's defaults first.
    let host_header = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let mut req_headers: Vec<(String, String)> = vec![
        ("Host".into(), host_header),
        ("User-Agent".into(), opts.user_agent.clone()),
        ("Accept".into(), "*/*".into()),
    ];
    for (n, _) in user_headers {
        req_headers.retain(|(d, _)| !d.eq_ignore_ascii_case(n));
    }
    req_headers.extend(user_headers.iter().filter(|(_, v)| !v.is_empty()).cloned());
    if let Some(b) = body {
        // curl's order: Content-Length, then Content-Type.
        if !req_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            req_headers.push(("Content-Length".into(), b.len().to_string()));
        }
        if !req_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            req_headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
    }
    let target = request_target(url);

    phase.set(Phase::Request);
    let exchange = if use_h2 {
        h2_exchange(
            url,
            method,
            body,
            &req_headers,
            io,
            events,
            &mut timings,
            t0,
            phase,
        )
        .await?
    } else {
        h1_exchange(
            method,
            &target,
            body,
            &req_headers,
            io,
            events,
            &mut timings,
            t0,
            phase,
        )
        .await?
    };
    let Exchange {
        version,
        status,
        reason,
        headers,
        header_bytes,
        mut body_reader,
    } = exchange;

    let redirect = if opts.follow && matches!(status, 301 | 302 | 303 | 307 | 308) {
        h1::header(&headers, "location").and_then(|l| url.join(l).ok())
    } else {
        None
    };
    let mut body_bytes = 0;
    if redirect.is_none() {
        let expected = h1::header(&headers, "content-length").and_then(|v| v.parse().ok());
        let mut received = 0u64;
        let mut write = |b: &[u8]| -> Result<(), Error> {
            sink.write_all(b).map_err(Error::Output)?;
            received += b.len() as u64;
            events(Event::Progress(received, expected));
            Ok(())
        };
        phase.set(Phase::Body);
        body_bytes = body_reader.read(method, &mut write).await?;
        sink.flush().map_err(Error::Output)?;
    }
    timings.total = secs(t0);
    Ok((
        Hop {
            url: url.to_string(),
            method: method.to_string(),
            remote,
            local,
            http_version: version,
            status,
            reason,
            request_headers: req_headers,
            headers,
            timings,
            tls: tls_info,
            body_bytes,
            header_bytes,
        },
        redirect,
    ))
}

fn connect_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        _ => match e.raw_os_error() {
            Some(113) => "no route to host".into(),
            Some(101) => "network is unreachable".into(),
            _ => e.to_string(),
        },
    }
}

fn trace_tls(info: &TlsInfo, events: &mut dyn FnMut(Event<'_>)) {
    events(Event::Info(&format!(
        "SSL connection using {} / {}",
        info.version, info.cipher
    )));
    match &info.alpn {
        Some(p) => events(Event::Info(&format!("ALPN: server accepted {p}"))),
        None => events(Event::Info("ALPN: server did not agree on a protocol")),
    }
    if let Some(leaf) = info.chain.first() {
        events(Event::Info("Server certificate:"));
        events(Event::Info(&format!(" subject: {}", leaf.subject)));
        events(Event::Info(&format!(" start date: {}", leaf.not_before)));
        events(Event::Info(&format!(" expire date: {}", leaf.not_after)));
        if !leaf.sans.is_empty() {
            events(Event::Info(&format!(
                " subjectAltName: {}",
                leaf.sans.join(", ")
            )));
        }
        events(Event::Info(&format!(" issuer: {}", leaf.issuer)));
    }
    if info.verify == "ok" {
        events(Event::Info(" SSL certificate verify ok."));
    } else {
        events(Event::Info(&format!(
            " SSL certificate verify result: {}, continuing anyway (-k).",
            info.verify
        )));
    }
}

struct Exchange {
    version: String,
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    header_bytes: u64,
    body_reader: BodyReader,
}

enum BodyReader {
    H1(Box<h1::Reader<Box<dyn Io>>>, h1::Head),
    H2(h2::RecvStream),
}

impl BodyReader {
    async fn read(
        &mut self,
        method: &str,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        match self {
            BodyReader::H1(r, head) => r.read_body(head, method, sink).await,
            BodyReader::H2(stream) => {
                let mut n = 0u64;
                while let Some(chunk) = stream.data().await {
                    let chunk = chunk.map_err(|e| Error::Protocol(format!("HTTP/2 body: {e}")))?;
                    let _ = stream.flow_control().release_capacity(chunk.len());
                    n += chunk.len() as u64;
                    sink(&chunk)?;
                }
                Ok(n)
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn h1_exchange(
    method: &str,
    target: &str,
    body: Option<&[u8]>,
    req_headers: &[(String, String)],
    mut io: Box<dyn Io>,
    events: &mut dyn FnMut(Event<'_>),
    timings: &mut Timings,
    t0: Instant,
    phase: &Cell<Phase>,
) -> Result<Exchange, Error> {
    let head = h1::request_head(method, target, req_headers);
    for line in String::from_utf8_lossy(&head)
        .split("\r\n")
        .take_while(|l| !l.is_empty())
    {
        events(Event::Sent(line));
    }
    events(Event::Sent(""));
    timings.pretransfer = secs(t0);
    let send = async {
        io.write_all(&head).await?;
        if let Some(b) = body {
            io.write_all(b).await?;
        }
        io.flush().await
    };
    send.await
        .map_err(|e| Error::Protocol(format!("sending the request: {e}")))?;
    phase.set(Phase::Response);
    let mut reader = h1::Reader::new(io);
    // Skip interim 1xx responses (100 Continue, 103 Early Hints).
    loop {
        let (raw, first) = reader.read_head().await?;
        if timings.starttransfer == 0.0 {
            timings.starttransfer = first.duration_since(t0).as_secs_f64();
        }
        let head = h1::parse_head(&raw).map_err(Error::Protocol)?;
        for line in String::from_utf8_lossy(&raw).lines() {
            events(Event::Received(line.trim_end_matches('\r')));
        }
        events(Event::Received(""));
        if (100..200).contains(&head.status) && head.status != 101 {
            continue;
        }
        return Ok(Exchange {
            version: head.version.clone(),
            status: head.status,
            reason: head.reason.clone(),
            headers: head.headers.clone(),
            header_bytes: raw.len() as u64 + 4,
            body_reader: BodyReader::H1(Box::new(reader), head),
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn h2_exchange(
    url: &Url,
    method: &str,
    body: Option<&[u8]>,
    req_headers: &[(String, String)],
    io: Box<dyn Io>,
    events: &mut dyn FnMut(Event<'_>),
    timings: &mut Timings,
    t0: Instant,
    phase: &Cell<Phase>,
) -> Result<Exchange, Error> {
    let h2err = |e: h2::Error| Error::Protocol(format!("HTTP/2: {e}"));
    let (client, conn) = h2::client::handshake(io).await.map_err(h2err)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.map_err(h2err)?;
    let mut req = http::Request::builder()
        .method(method)
        .uri(url.as_str())
        .version(http::Version::HTTP_2);
    let path = request_target(url);
    events(Event::Sent(&format!("{method} {path} HTTP/2")));
    events(Event::Sent(&format!("Host: {}", url.authority())));
    for (n, v) in req_headers {
        let lower = n.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "host"
                | "connection"
                | "keep-alive"
                | "proxy-connection"
                | "transfer-encoding"
                | "upgrade"
        ) {
            continue;
        }
        events(Event::Sent(&format!("{n}: {v}")));
        req = req.header(lower.as_str(), v.as_str());
    }
    events(Event::Sent(""));
    let req = req
        .body(())
        .map_err(|e| Error::Usage(format!("invalid request: {e}")))?;
    timings.pretransfer = secs(t0);
    let (resp, mut stream) = client.send_request(req, body.is_none()).map_err(h2err)?;
    if let Some(b) = body {
        stream
            .send_data(Bytes::copy_from_slice(b), true)
            .map_err(h2err)?;
    }
    phase.set(Phase::Response);
    let resp = resp.await.map_err(h2err)?;
    timings.starttransfer = secs(t0);
    let (parts, recv) = resp.into_parts();
    let status = parts.status.as_u16();
    let mut headers = Vec::new();
    // curl prints the HTTP/2 status line with a trailing space (no reason phrase).
    let mut header_bytes = format!("HTTP/2 {status} \r\n").len() as u64 + 2;
    events(Event::Received(&format!("HTTP/2 {status} ")));
    for (n, v) in &parts.headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        events(Event::Received(&format!("{n}: {v}")));
        header_bytes += (n.as_str().len() + v.len() + 4) as u64;
        headers.push((n.as_str().to_string(), v));
    }
    events(Event::Received(""));
    Ok(Exchange {
        version: "HTTP/2".into(),
        status,
        reason: String::new(),
        headers,
        header_bytes,
        body_reader: BodyReader::H2(recv),
    })
}

/// The request target: the path and the query.
fn request_target(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// `rel` resolved against `base` as a browser (and curl -L) would.
pub fn join_url(base: &str, rel: &str) -> Option<String> {
    Url::parse(base).ok()?.join(rel).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn credentials_stay_with_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://a.test/x"),
            &u("https://A.test:443/y")
        ));
        assert!(same_origin(&u("http://a.test/x"), &u("http://a.test:80/")));
        // https→http on the same host: the credentials would go in clear.
        assert!(!same_origin(&u("https://a.test/"), &u("http://a.test/")));
        assert!(!same_origin(
            &u("http://a.test/"),
            &u("http://a.test:8080/")
        ));
        assert!(!same_origin(&u("http://a.test/"), &u("http://b.test/")));
    }

    /// A loopback listener that accepts, reads what comes and never answers; its address.
    fn silent() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        a
    }

    fn run(url: &str, tweak: impl FnOnce(&mut Options)) -> (Result<Transfer, Error>, Duration) {
        let mut o = Options::new(url);
        tweak(&mut o);
        let start = Instant::now();
        let mut resolver = |_: &str, _: Duration| Err("no resolver here".to_string());
        let r = fetch(&o, &mut resolver, &mut |_| {}, &mut Vec::new());
        (r, start.elapsed())
    }

    #[test]
    fn a_silent_server_ends_at_max_time_named_by_its_phase() {
        let a = silent();
        let (r, took) = run(&format!("http://{a}/"), |o| {
            o.max_time = Duration::from_millis(400)
        });
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Timeout {
                    phase: Phase::Response,
                    ..
                }
            ),
            "{e}"
        );
        assert!(took < Duration::from_millis(900), "{took:?}");
        assert_eq!(
            e.to_string(),
            "the transfer timed out after 0.4 s waiting for the response (-m SECONDS allows longer)"
        );
    }

    #[test]
    fn a_silent_tls_handshake_ends_at_the_connect_timeout() {
        let a = silent();
        let (r, took) = run(&format!("https://{a}/"), |o| {
            o.connect_timeout = Duration::from_millis(300);
            o.max_time = Duration::from_secs(5);
        });
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::ConnectTimeout {
                    phase: Phase::Tls,
                    ..
                }
            ),
            "{e}"
        );
        assert!(took < Duration::from_millis(800), "{took:?}");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn the_resolver_gets_what_is_left_of_the_connection_phase() {
        let mut o = Options::new("http://name.test/");
        o.connect_timeout = Duration::from_millis(700);
        o.max_time = Duration::from_millis(500);
        let mut given = None;
        let mut resolver = |_: &str, within: Duration| {
            given = Some(within);
            // A resolver that takes all it was given.
            std::thread::sleep(within);
            Err("no answer".to_string())
        };
        let e = fetch(&o, &mut resolver, &mut |_| {}, &mut Vec::new()).unwrap_err();
        assert!(given.unwrap() <= Duration::from_millis(500), "{given:?}");
        assert!(
            matches!(
                e,
                Error::Timeout {
                    phase: Phase::NameLookup,
                    ..
                }
            ),
            "{e}"
        );
    }
}
