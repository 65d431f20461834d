//! The HTTP/1.0 server of `mesh serve`: `GET /healthz`, `/metrics`, `/api/v1/mesh[?all=1]` and
//! `/`. Peers may be hostile: at most [`MAX_CONNECTIONS`] at once (more are closed at once), a
//! head of at most [`MAX_HEAD`] bytes read within [`IO_TIMEOUT`], one answer per connection.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// The most of a request head read.
pub const MAX_HEAD: usize = 8192;
/// Reading the head and writing the answer, each.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// An answer: status, content type, body.
pub type Answer = (u16, &'static str, Vec<u8>);

/// Serves `listener` forever, each connection on its own thread, answering with `handle(path)`
/// (the request target, query included).
pub fn serve<H>(listener: TcpListener, handle: H) -> std::io::Result<()>
where
    H: Fn(&str) -> Answer + Send + Sync + 'static,
{
    let handle = Arc::new(handle);
    let live = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        if live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            live.fetch_sub(1, Ordering::SeqCst);
            drop(conn);
            continue;
        }
        let (handle, mine) = (handle.clone(), live.clone());
        let spawned = std::thread::Builder::new()
            .name("mesh-http".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                answer(conn, &*handle);
                mine.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // No thread to be had: the connection was dropped with the closure.
            live.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

fn answer(mut c: TcpStream, handle: &dyn Fn(&str) -> Answer) {
    let _ = c.set_read_timeout(Some(IO_TIMEOUT));
    let _ = c.set_write_timeout(Some(IO_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > MAX_HEAD {
            let _ = write_answer(
                &mut c,
                (431, "text/plain", b"request head too large\n".to_vec()),
            );
            return;
        }
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let a = if method != "GET" && method != "HEAD" {
        (405, "text/plain", b"only GET\n".to_vec())
    } else {
        handle(target)
    };
    let a = if method == "HEAD" {
        (a.0, a.1, Vec::new())
    } else {
        a
    };
    let _ = write_answer(&mut c, a);
}

fn write_answer(c: &mut TcpStream, (code, ctype, body): Answer) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.0 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes())?;
    c.write_all(&body)?;
    c.flush()
}
