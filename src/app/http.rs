//! `--metrics --listen ADDR:PORT`: `/metrics` over HTTP/1.x.
//!
//! Requests are parsed by `httparse` from a fixed buffer of
//! [`MAX_REQUEST`] bytes: a request whose head does not fit is answered 431
//! and the connection closed, so no client can make the server allocate
//! without bound. One request per connection (`Connection: close`); at most
//! [`MAX_CLIENTS`] connections are served at once, each on its own thread
//! with its own kernel handle, so concurrent scrapes share no state. Every
//! scrape of `/metrics` reads the kernel afresh. Other paths get 404, other
//! methods than GET and HEAD 405.
//!
//! SIGTERM or SIGINT stops accepting, lets the scrapes in progress finish,
//! and ends the process with status 0.

use crate::format::prometheus::RenderOptions;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest request head accepted (request line and headers).
pub const MAX_REQUEST: usize = 8192;
/// Connections served at once; more are closed unanswered.
pub const MAX_CLIENTS: usize = 16;
/// How long a client may take to send its request or read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The head of a request read so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// More bytes are needed (and may still fit).
    Incomplete,
    /// A whole request head.
    Request { method: String, path: String },
    /// Not HTTP, or too large.
    Bad(u16),
}

/// Parse what was read of a request. `buf` holds at most [`MAX_REQUEST`]
/// bytes; a head that is not complete by then is too large (431).
pub fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => Head::Request {
            method: req.method.unwrap_or("").to_string(),
            path: req.path.unwrap_or("").to_string(),
        },
        Ok(httparse::Status::Partial) if buf.len() >= MAX_REQUEST => Head::Bad(431),
        Ok(httparse::Status::Partial) => Head::Incomplete,
        Err(httparse::Error::TooManyHeaders) => Head::Bad(431),
        Err(_) => Head::Bad(400),
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/metrics` (a query string is ignored); `head`: no body.
    Metrics {
        head: bool,
    },
    NotFound,
    MethodNotAllowed,
}

/// Route a parsed request.
pub fn route(method: &str, path: &str) -> Route {
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::MethodNotAllowed,
    };
    let p = path.split('?').next().unwrap_or("");
    if p == "/metrics" {
        Route::Metrics { head }
    } else {
        Route::NotFound
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

/// A whole response. The body length is announced even for HEAD.
pub fn response(status: u16, content_type: &str, body: &[u8], head: bool) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    if status == 405 {
        r.push_str("Allow: GET, HEAD\r\n");
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    if !head {
        r.extend_from_slice(body);
    }
    r
}

const TEXT: &str = "text/plain; charset=utf-8";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Answer one connection.
fn handle(mut conn: TcpStream, opts: RenderOptions, program: &str) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    let head = loop {
        match conn.read(&mut buf[len..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => len += n,
        }
        match parse_head(&buf[..len]) {
            Head::Incomplete => continue,
            h => break h,
        }
    };
    let reply = match head {
        Head::Bad(code) => response(code, TEXT, reason(code).as_bytes(), false),
        Head::Incomplete => return,
        Head::Request { method, path } => match route(&method, &path) {
            Route::MethodNotAllowed => response(405, TEXT, b"only GET and HEAD\n", false),
            Route::NotFound => response(404, TEXT, b"not found; metrics are at /metrics\n", false),
            Route::Metrics { head } => match super::metrics::scrape(&opts) {
                Ok(text) => response(200, EXPOSITION, text.as_bytes(), head),
                Err(e) => {
                    eprintln!("{program}: scrape failed: {e}");
                    response(500, TEXT, format!("{e}\n").as_bytes(), head)
                }
            },
        },
    };
    let _ = conn.write_all(&reply);
    let _ = conn.flush();
    if !reply.starts_with(b"HTTP/1.1 200") {
        // Read (and drop) what the client still sends before closing, so
        // that the close is no reset that could destroy the answer.
        let _ = conn.shutdown(std::net::Shutdown::Write);
        let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
        let mut left = 1 << 20;
        while left > 0 {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => left -= n.min(left),
            }
        }
    }
}

/// `ADDR:PORT`, `[V6]:PORT`, or `:PORT` (every IPv4 address).
pub fn listen_addr(s: &str) -> String {
    match s.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => s.to_string(),
    }
}

/// Serve until SIGTERM/SIGINT; returns the exit status.
pub fn serve(program: &str, addr: &str, opts: RenderOptions) -> i32 {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};
    let addr = listen_addr(addr);
    let addrs: Vec<_> = match addr.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            eprintln!("{program}: --listen {addr}: {e}");
            return 2;
        }
    };
    // Signals are taken by a thread of their own (sigwait), so they are
    // blocked in this thread before any other thread exists.
    let mut set = SigSet::empty();
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGINT);
    if let Err(e) = nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None) {
        eprintln!("{program}: cannot block signals: {e}");
        return 1;
    }
    let listener = match TcpListener::bind(&addrs[..]) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{program}: cannot listen on {addr}: {e}");
            return 1;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    eprintln!("{program}: serving metrics on http://{local}/metrics");
    let fd = listener.as_raw_fd();
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let stopped = stopped.clone();
        std::thread::spawn(move || {
            if set.wait().is_ok() {
                stopped.store(true, Ordering::SeqCst);
                // Wakes the accept below (it fails with EINVAL from now on).
                let _ = nix::sys::socket::shutdown(fd, nix::sys::socket::Shutdown::Both);
            }
        });
    }
    let active = Arc::new(AtomicUsize::new(0));
    let mut workers: Vec<std::thread::JoinHandle<()>> = Vec::new();
    loop {
        let conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(_) if stopped.load(Ordering::SeqCst) => break,
            Err(e) => {
                eprintln!("{program}: accept: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        workers.retain(|w| !w.is_finished());
        if active.load(Ordering::SeqCst) >= MAX_CLIENTS {
            drop(conn);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let active = active.clone();
        let program = program.to_string();
        workers.push(std::thread::spawn(move || {
            handle(conn, opts, &program);
            active.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    for w in workers {
        let _ = w.join();
    }
    eprintln!("{program}: metrics server stopped");
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        assert_eq!(
            parse_head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"),
            Head::Incomplete
        );
        assert_eq!(
            parse_head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Head::Request {
                method: "GET".into(),
                path: "/metrics".into()
            }
        );
        assert_eq!(parse_head(b"\x16\x03\x01 junk\r\n\r\n"), Head::Bad(400));
        let mut big = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        big.resize(MAX_REQUEST, b'a');
        assert_eq!(parse_head(&big), Head::Bad(431));
        let mut many = b"GET /metrics HTTP/1.1\r\n".to_vec();
        for i in 0..100 {
            many.extend_from_slice(format!("X{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&many), Head::Bad(431));
    }

    #[test]
    fn routes() {
        assert_eq!(route("GET", "/metrics"), Route::Metrics { head: false });
        assert_eq!(route("GET", "/metrics?x=1"), Route::Metrics { head: false });
        assert_eq!(route("HEAD", "/metrics"), Route::Metrics { head: true });
        assert_eq!(route("GET", "/"), Route::NotFound);
        assert_eq!(route("GET", "/metrics/x"), Route::NotFound);
        assert_eq!(route("POST", "/metrics"), Route::MethodNotAllowed);
    }

    #[test]
    fn responses() {
        let r = response(200, EXPOSITION, b"a 1\n", false);
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\na 1\n"
        );
        let r = String::from_utf8(response(405, TEXT, b"x", true)).unwrap();
        assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(r.contains("Allow: GET, HEAD\r\n"));
        assert!(r.ends_with("\r\n\r\n"));
        assert_eq!(listen_addr(":9100"), "0.0.0.0:9100");
        assert_eq!(listen_addr("[::1]:9100"), "[::1]:9100");
    }
}
