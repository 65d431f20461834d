//! HTTP/1.x on the wire: the request head we send and a bounds-checked reader of the response
//! (status line, headers, then a body framed by Content-Length, chunked encoding or close).

use std::future::Future;
use std::io::Write;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::Error;

/// Largest response head we accept (status line plus headers).
const MAX_HEAD: usize = 256 * 1024;

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

/// Parses a response head (everything up to and without the blank line). Never panics.
pub fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        let shown: String = status_line.chars().take(60).collect();
        return Err(format!(
            "the server did not answer with HTTP/1.x (first line: {shown:?})"
        ));
    }
    let code = parts.next().unwrap_or_default();
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|s| (100..1000).contains(s) && code.len() == 3)
        .ok_or_else(|| format!("invalid HTTP status code {code:?}"))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // obsolete line folding: continues the previous value
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line {:?}", truncate(line)));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Head {
        version: version.to_string(),
        status,
        reason,
        headers,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// The first value of header `name` (case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A buffered reader over the connection.
pub(crate) struct Reader<R> {
    io: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub(crate) fn new(io: R) -> Self {
        Self {
            io,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = self.io.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response head; returns its bytes (without the blank line) and when its first
    /// byte arrived.
    pub(crate) async fn read_head(&mut self) -> Result<(Vec<u8>, Instant), Error> {
        let mut first = None;
        loop {
            if !self.pending().is_empty() && first.is_none() {
                first = Some(Instant::now());
            }
            if let Some((head_len, total)) = find_blank_line(self.pending()) {
                let head = self.pending()[..head_len].to_vec();
                self.pos += total;
                return Ok((head, first.unwrap_or_else(Instant::now)));
            }
            if self.pending().len() > MAX_HEAD {
                return Err(Error::Protocol(format!(
                    "response head larger than {MAX_HEAD} bytes"
                )));
            }
            let n = self
                .fill()
                .await
                .map_err(|e| Error::Protocol(format!("reading the response: {e}")))?;
            if n == 0 {
                return Err(Error::Protocol(if self.pending().is_empty() {
                    "the server closed the connection without a response".into()
                } else {
                    "the connection closed in the middle of the response head".into()
                }));
            }
        }
    }

    async fn read_line(&mut self) -> Result<String, Error> {
        loop {
            if let Some(i) = self.pending().iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&self.pending()[..i])
                    .trim_end()
                    .to_string();
                self.pos += i + 1;
                return Ok(line);
            }
            if self.pending().len() > 64 * 1024 {
                return Err(Error::Protocol("chunk header line too long".into()));
            }
            if self
                .fill()
                .await
                .map_err(|e| Error::Protocol(format!("reading the body: {e}")))?
                == 0
            {
                return Err(Error::Protocol(
                    "the connection closed inside a chunked body".into(),
                ));
            }
        }
    }

    /// Copies exactly `n` bytes (or to EOF when `n` is None) to `sink`; returns the count.
    async fn copy(
        &mut self,
        n: Option<u64>,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let mut done = 0u64;
        loop {
            let want = n.map(|n| n - done);
            if want == Some(0) {
                return Ok(done);
            }
            if self.pending().is_empty() {
                let got = self
                    .fill()
                    .await
                    .map_err(|e| Error::Protocol(format!("reading the body: {e}")))?;
                if got == 0 {
                    return match n {
                        None => Ok(done),
                        Some(n) => Err(Error::Protocol(format!(
                            "the connection closed after {done} of {n} body bytes"
                        ))),
                    };
                }
            }
            let avail = self.pending().len() as u64;
            let take = want.map_or(avail, |w| w.min(avail)) as usize;
            let (s, e) = (self.pos, self.pos + take);
            sink(&self.buf[s..e])?;
            self.pos = e;
            done += take as u64;
        }
    }

    /// Reads a body framed as `head` says, for a request with `method`.
    pub(crate) async fn read_body(
        &mut self,
        head: &Head,
        method: &str,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        if method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304 {
            return Ok(0);
        }
        let chunked = header(&head.headers, "transfer-encoding")
            .map(|v| v.to_ascii_lowercase().contains("chunked"))
            .unwrap_or(false);
        if chunked {
            let mut total = 0u64;
            loop {
                let line = self.read_line().await?;
                let size_txt = line.split(';').next().unwrap_or_default().trim();
                let size = u64::from_str_radix(size_txt, 16).map_err(|_| {
                    Error::Protocol(format!("invalid chunk size {:?}", truncate(size_txt)))
                })?;
                if size == 0 {
                    // trailers up to the blank line
                    loop {
                        if self.read_line().await?.is_empty() {
                            return Ok(total);
                        }
                    }
                }
                total += self.copy(Some(size), sink).await?;
                let end = self.read_line().await?;
                if !end.is_empty() {
                    return Err(Error::Protocol("chunk not followed by CRLF".into()));
                }
            }
        }
        match header(&head.headers, "content-length") {
            Some(v) => {
                let n = v.trim().parse::<u64>().map_err(|_| {
                    Error::Protocol(format!("invalid Content-Length {:?}", truncate(v)))
                })?;
                self.copy(Some(n), sink).await
            }
            None => self.copy(None, sink).await,
        }
    }
}

/// What one HTTP/1 response on the wire decodes to: the final head (after interim 1xx heads),
/// its body, and the redirect target its `Location` gives against `base`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Decoded {
    /// The final response head.
    pub head: Head,
    /// The body bytes as the reader delivered them.
    pub body: Vec<u8>,
    /// `Location` joined to `base`, as `fetch` follows it.
    pub location: Option<String>,
}

/// Runs the reader `fetch` uses over `wire` as a whole server response to `method`: heads read
/// and parsed (1xx skipped), the body framed by Content-Length, chunked encoding or close, and
/// `Location` joined to `base`. The fuzz target's entry point; no network, no runtime.
#[doc(hidden)]
pub fn decode_response(wire: &[u8], method: &str, base: &str) -> Result<Decoded, String> {
    let base = url::Url::parse(base).map_err(|e| format!("invalid base URL: {e}"))?;
    let fut = async {
        let mut reader = Reader::new(wire);
        let head = loop {
            let (raw, _) = reader.read_head().await?;
            let head = parse_head(&raw).map_err(Error::Protocol)?;
            if !((100..200).contains(&head.status) && head.status != 101) {
                break head;
            }
        };
        let mut body = Vec::new();
        reader
            .read_body(&head, method, &mut |b| {
                body.extend_from_slice(b);
                Ok(())
            })
            .await?;
        let location = header(&head.headers, "location")
            .and_then(|l| base.join(l).ok())
            .map(|u| u.to_string());
        Ok::<_, Error>(Decoded {
            head,
            body,
            location,
        })
    };
    // A byte slice never makes a read wait: the future finishes on its first poll.
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r.map_err(|e| e.to_string()),
        std::task::Poll::Pending => Err("the reader waited on a byte slice".into()),
    }
}

/// Where the head ends: (length of the head, length including the blank line).
fn find_blank_line(b: &[u8]) -> Option<(usize, usize)> {
    for i in 0..b.len() {
        if b[i..].starts_with(b"\r\n\r\n") {
            return Some((i, i + 4));
        }
        if b[i..].starts_with(b"\n\n") {
            return Some((i, i + 2));
        }
    }
    None
}

/// Writes the request head.
pub(crate) fn request_head(method: &str, target: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(out, "{method} {target} HTTP/1.1\r\n");
    for (n, v) in headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head() {
        let h =
            parse_head(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /x/\r\nX: a\r\n b").unwrap();
        assert_eq!(h.status, 301);
        assert_eq!(h.reason, "Moved Permanently");
        assert_eq!(header(&h.headers, "location"), Some("/x/"));
        assert_eq!(header(&h.headers, "x"), Some("a b"));
        assert!(parse_head(b"SSH-2.0-OpenSSH_9.2").is_err());
        assert!(parse_head(b"HTTP/1.1 2000 OK").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nno colon").is_err());
    }

    #[test]
    fn junk_heads_never_panic() {
        let mut seed = 1u32;
        for len in 0..2000 {
            let mut bytes: Vec<u8> = b"HTTP/1.1 200 ".to_vec();
            bytes.extend((0..len % 300).map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                b"\r\n: a\x00\xffHTTP/1.0 1"[(seed >> 16) as usize % 16]
            }));
            let _ = parse_head(&bytes);
            let _ = parse_head(&bytes[13..]);
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn reads_chunked_and_length_bodies() {
        rt().block_on(async {
            let wire: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: 1\r\n\r\n";
            let mut r = Reader::new(wire);
            let (head, _) = r.read_head().await.unwrap();
            let head = parse_head(&head).unwrap();
            let mut got = Vec::new();
            let n = r
                .read_body(&head, "GET", &mut |b| {
                    got.extend_from_slice(b);
                    Ok(())
                })
                .await
                .unwrap();
            assert_eq!((n, &got[..]), (11, &b"hello world"[..]));

            let wire: &[u8] = b"HTTP/1.0 200 OK\nContent-Length: 3\n\nabcdef";
            let mut r = Reader::new(wire);
            let head = parse_head(&r.read_head().await.unwrap().0).unwrap();
            let mut got = Vec::new();
            r.read_body(&head, "GET", &mut |b| {
                got.extend_from_slice(b);
                Ok(())
            })
            .await
            .unwrap();
            assert_eq!(got, b"abc");

            let wire: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
            let mut r = Reader::new(wire);
            let head = parse_head(&r.read_head().await.unwrap().0).unwrap();
            let e = r.read_body(&head, "GET", &mut |_| Ok(())).await.unwrap_err();
            assert!(e.to_string().contains("after 3 of 10"), "{e}");
        });
    }

    #[test]
    fn junk_bodies_never_panic() {
        let mut seed = 3u32;
        rt().block_on(async {
            for len in 0..1500 {
                let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                wire.extend((0..len % 200).map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b"0123456789abcdef\r\n;zZ"[(seed >> 16) as usize % 21]
                }));
                let mut r = Reader::new(&wire[..]);
                let head = parse_head(&r.read_head().await.unwrap().0).unwrap();
                let _ = r.read_body(&head, "GET", &mut |_| Ok(())).await;
            }
        });
    }
}
