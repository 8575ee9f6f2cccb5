//! The checks themselves, each one future on the supervisor's runtime:
//! tcp (connect), http and https (GET, status in a range, Host and SNI),
//! dns (a UDP query answered with NOERROR), exec (a program's exit
//! status, killed with its process group at the timeout), and the agent
//! (HAProxy's agent-check text protocol, see [`super::agent`]).
//!
//! https does not verify the server's certificate (as keepalived's
//! SSL_GET and ldirectord's https checks): a real server is checked by
//! its address, often with a self-signed or internal certificate, and the
//! question is whether it answers, not who it is. The handshake's
//! signature is verified against the certificate it presents.

use super::agent::{self, AgentReply};
use crate::apply::health::{CheckKind, Health};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// What is checked: the virtual service and the real server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The virtual address and port (`None` for a fwmark service).
    pub vip: Option<SocketAddr>,
    /// The fwmark of a fwmark service, 0 otherwise.
    pub fwmark: u32,
    /// The real server.
    pub rip: SocketAddr,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the real server passed.
    pub up: bool,
    /// What was seen (`http status 503`, `tcp connect: Connection refused`);
    /// the usual passing results are static strings, not one allocation
    /// per check.
    pub why: Cow<'static, str>,
    /// How long the check took.
    pub latency: Duration,
}

/// The TLS algorithms: rustls's *ring* provider. rustls marks it
/// deprecated because it has no post-quantum key exchange; a health
/// check carries no secret that needs one, and *ring* builds without the
/// C toolchain (cmake) that the other provider, aws-lc-rs, needs.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS client settings of https checks (one for the whole process).
pub fn tls_config() -> Arc<rustls::ClientConfig> {
    let provider = provider();
    let verifier = Arc::new(AnyCertificate(provider.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        });
    match config {
        Ok(c) => Arc::new(c),
        // ring supports the default versions: cannot happen
        Err(e) => panic!("TLS settings: {e}"),
    }
}

/// Accepts any certificate, verifies the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The address a check connects to: the real server's, with
/// `--health-port` when given.
pub fn checked_addr(h: &Health, t: &Target) -> SocketAddr {
    SocketAddr::new(t.rip.ip(), h.port.unwrap_or(t.rip.port()))
}

/// Run the check of `h` on `t`. The timeout applies to each step, as
/// keepalived's `connect_timeout` does: the connection, then (https) the
/// handshake, then the request and its answer each get the whole
/// timeout. A check that covered all of them with one budget failed on a
/// busy director whose connections are slow to complete though the real
/// server answered at once.
pub async fn run(h: &Health, t: &Target, tls: &Arc<rustls::ClientConfig>) -> Outcome {
    let start = Instant::now();
    let r = check(h, t, tls).await;
    Outcome::of(r, start.elapsed())
}

impl Outcome {
    /// A check's result: passed with what was seen, or failed with why;
    /// it took `latency`.
    pub fn of(r: Result<Cow<'static, str>, String>, latency: Duration) -> Outcome {
        let (up, why) = match r {
            Ok(why) => (true, why),
            Err(why) => (false, Cow::Owned(why)),
        };
        Outcome { up, why, latency }
    }
}

/// The reason of a connection that failed: `WHAT connect: ERROR`.
pub(super) fn connect_failed(what: &str, e: &std::io::Error) -> String {
    format!("{what} connect: {}", io_text(e))
}

/// One step of a check within `limit`: `Err("WHAT timed out after
/// LIMIT")` when it does not end in time.
async fn step<T, F>(limit: Duration, what: &str, f: F) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => Err(format!("{what} timed out after {}", secs(limit))),
    }
}

/// A duration as an operator writes it (`3s`, `0.5s`).
pub fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Every check but tcp runs boxed: a future is as large as its largest
/// branch, and the https branch (a TLS handshake in flight) made every
/// check's task some 6 KB where a tcp check needs a few hundred bytes;
/// 10 000 checks a second, thousands in flight on a busy director, made
/// that tens of megabytes.
async fn check(
    h: &Health,
    t: &Target,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Cow<'static, str>, String> {
    let addr = checked_addr(h, t);
    let limit = h.timeout;
    match &h.check {
        CheckKind::None => Ok("not checked".into()),
        CheckKind::Tcp => {
            connect("tcp", addr, limit).await?;
            Ok("tcp connect ok".into())
        }
        CheckKind::Http(path) => Box::pin(http(h, addr, path)).await,
        CheckKind::Https(path) => Box::pin(https(h, addr, path, tls)).await,
        CheckKind::Dns(name) => Box::pin(step(limit, "dns", dns(addr, name))).await,
        CheckKind::Exec(path) => Box::pin(step(limit, "exec", exec(path, h, t))).await,
    }
}

async fn http(h: &Health, addr: SocketAddr, path: &str) -> Result<Cow<'static, str>, String> {
    let s = connect("http", addr, h.timeout).await?;
    step(h.timeout, "http", http_get("http", s, path, h, addr)).await
}

async fn https(
    h: &Health,
    addr: SocketAddr,
    path: &str,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Cow<'static, str>, String> {
    let limit = h.timeout;
    let s = connect("https", addr, limit).await?;
    let name = match &h.host {
        Some(host) => rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| format!("https: invalid server name {host}"))?,
        None => rustls::pki_types::ServerName::IpAddress(addr.ip().into()),
    };
    let handshake = async {
        tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, s)
            .await
            .map_err(|e| format!("https handshake: {e}"))
    };
    let s = step(limit, "https handshake", handshake).await?;
    step(limit, "https", http_get("https", s, path, h, addr)).await
}

/// Connect for a check, within `limit`. The connection is closed with a
/// reset (zero linger), as HAProxy closes its checks' connections: one
/// segment instead of the FIN exchange, and no TIME_WAIT entry on the
/// director per check (10 000 checks a second otherwise keep some 600 000
/// of them, more than there are local ports). A real server sees its
/// check connection reset instead of closed.
///
/// Whether the connection was made is the kernel's word, asked of the
/// socket when the time is up, not whether this loop saw it complete:
/// a director so busy that its loop reaches a socket's readiness after
/// the timer would otherwise count connections that completed in time as
/// timeouts, and quiesce healthy real servers because it is busy.
async fn connect(what: &str, addr: SocketAddr, limit: Duration) -> Result<TcpStream, String> {
    let failed = |e: &std::io::Error| connect_failed(what, e);
    let s = begin_connect(addr).map_err(|e| failed(&e))?;
    let waited = tokio::time::timeout(limit, s.writable()).await;
    if let Some(e) = s.take_error().map_err(|e| failed(&e))? {
        return Err(failed(&e));
    }
    // writable in time without an error: made (the usual case, one system
    // call fewer); otherwise the socket says whether it was made after all
    if !matches!(waited, Ok(Ok(()))) && s.peer_addr().is_err() {
        return Err(match waited {
            Err(_) => format!("{what} connect timed out after {}", secs(limit)),
            Ok(Err(e)) => failed(&e),
            Ok(Ok(())) => format!("{what} connect: not connected"),
        });
    }
    // without it the check still works, with a normal close
    let _ = s.set_zero_linger();
    Ok(s)
}

/// A non-blocking socket whose connection to `addr` has begun, in the
/// runtime's reactor.
fn begin_connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let fd = connecting(addr)?;
    TcpStream::from_std(std::net::TcpStream::from(fd))
}

/// A non-blocking socket whose connection to `addr` has begun (the
/// supervisor's engine takes it as it is).
pub(super) fn connecting(addr: SocketAddr) -> Result<std::os::fd::OwnedFd, nix::errno::Errno> {
    use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    match socket::connect(fd.as_raw_fd(), &SockaddrStorage::from(addr)) {
        Ok(()) | Err(nix::errno::Errno::EINPROGRESS) => Ok(fd),
        Err(e) => Err(e),
    }
}

/// An I/O error without Rust's `(os error N)` suffix.
pub(super) fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The request of an http or https check: GET `path` with Host
/// `--health-host`, or the address checked.
pub(super) fn http_request(path: &str, h: &Health, addr: SocketAddr) -> String {
    let host = match &h.host {
        Some(n) => n.clone(),
        None => match addr {
            SocketAddr::V4(a) => a.to_string(),
            SocketAddr::V6(a) => a.to_string(),
        },
    };
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lvsadm-supervise\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    )
}

/// Judge an answer's status `line` (without its CRLF) against
/// `--expect`; `what` is `http` or `https`.
pub(super) fn judge_status(
    what: &str,
    line: &[u8],
    h: &Health,
) -> Result<Cow<'static, str>, String> {
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let status = match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") && code.len() == 3 => {
            code.parse::<u16>().ok()
        }
        _ => None,
    };
    match status {
        Some(code) if (h.expect.0..=h.expect.1).contains(&code) => Ok(match (what, code) {
            ("http", 200) => "http status 200".into(),
            ("https", 200) => "https status 200".into(),
            _ => format!("{what} status {code}").into(),
        }),
        Some(code) => Err(format!("{what} status {code}")),
        None => Err(format!("{what}: not an HTTP status line")),
    }
}

/// GET `path` and judge the status line.
async fn http_get<S: AsyncRead + AsyncWrite + Unpin>(
    what: &str,
    mut s: S,
    path: &str,
    h: &Health,
    addr: SocketAddr,
) -> Result<Cow<'static, str>, String> {
    let req = http_request(path, h, addr);
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("{what} send: {}", io_text(&e)))?;
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    let line_end = loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(format!(
                "{what}: no status line in the first {MAX_HEAD} bytes"
            ));
        }
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| format!("{what} receive: {}", io_text(&e)))?;
        if n == 0 {
            return Err(format!("{what}: connection closed before a status line"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    // dropped: reset (see connect), the answer's rest unread
    drop(s);
    judge_status(what, &buf[..line_end], h)
}

/// The longest answer read for its status line.
pub(super) const MAX_HEAD: usize = 4096;

/// A query id that differs from one query to the next.
fn query_id() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ SEQ.fetch_add(0x9e37, Ordering::Relaxed)) as u16
}

/// The DNS query for `name`, type A, class IN, recursion desired.
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// The name of a DNS response code.
fn rcode_name(rcode: u8) -> String {
    match rcode {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("rcode {n}"),
    }
}

async fn dns(addr: SocketAddr, name: &str) -> Result<Cow<'static, str>, String> {
    let local: SocketAddr = match addr.ip() {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let sock = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("dns socket: {}", io_text(&e)))?;
    sock.connect(addr)
        .await
        .map_err(|e| format!("dns connect: {}", io_text(&e)))?;
    let id = query_id();
    sock.send(&dns_query(id, name))
        .await
        .map_err(|e| format!("dns send: {}", io_text(&e)))?;
    let mut buf = [0u8; 1500];
    loop {
        let n = sock
            .recv(&mut buf)
            .await
            .map_err(|e| format!("dns receive: {}", io_text(&e)))?;
        // not an answer to this query: wait for one (or the timeout)
        if n < 12 || buf[..2] != id.to_be_bytes() || buf[2] & 0x80 == 0 {
            continue;
        }
        let rcode = buf[3] & 0x0f;
        return if rcode == 0 {
            Ok("dns NOERROR".into())
        } else {
            Err(format!("dns {}", rcode_name(rcode)))
        };
    }
}

/// The arguments of an exec check: VIP VPORT RIP RPORT (a fwmark
/// service's VIP is `fwmark:N`, its VPORT 0).
pub fn exec_args(h: &Health, t: &Target) -> [String; 4] {
    let (vip, vport) = match t.vip {
        Some(v) => (v.ip().to_string(), v.port().to_string()),
        None => (format!("fwmark:{}", t.fwmark), "0".into()),
    };
    let c = checked_addr(h, t);
    [vip, vport, c.ip().to_string(), c.port().to_string()]
}

async fn exec(path: &str, h: &Health, t: &Target) -> Result<Cow<'static, str>, String> {
    let mut child = tokio::process::Command::new(path)
        .args(exec_args(h, t))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("exec {path}: {}", io_text(&e)))?;
    let pid = child.id();
    // Killed with its process group when the check's timeout drops this
    // future before the program ends.
    let mut group = KillGroup(pid);
    let status = child
        .wait()
        .await
        .map_err(|e| format!("exec {path}: {}", io_text(&e)))?;
    group.0 = None;
    match status.code() {
        Some(0) => Ok("exec exit status 0".into()),
        Some(c) => Err(format!("exec exit status {c}")),
        None => Err("exec killed by a signal".into()),
    }
}

/// Sends SIGKILL to a process group when dropped.
struct KillGroup(Option<u32>);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Ask the agent on `port` of the real server; `Err` when it cannot be
/// reached or says nothing within `timeout`.
pub async fn ask_agent(ip: IpAddr, port: u16, timeout: Duration) -> Result<AgentReply, String> {
    let r = tokio::time::timeout(timeout, async {
        let mut s = connect("agent", SocketAddr::new(ip, port), timeout).await?;
        let mut buf = Vec::with_capacity(64);
        let mut chunk = [0u8; 256];
        loop {
            let n = s
                .read(&mut chunk)
                .await
                .map_err(|e| format!("agent receive: {}", io_text(&e)))?;
            buf.extend_from_slice(&chunk[..n]);
            if n == 0 || buf.contains(&b'\n') || buf.len() >= 1024 {
                break;
            }
        }
        let text = String::from_utf8_lossy(&buf);
        let line = text.split('\n').next().unwrap_or("");
        Ok(agent::parse(line))
    })
    .await;
    match r {
        Ok(r) => r,
        Err(_) => Err(format!("agent timed out after {}", secs(timeout))),
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
pub(super) mod tests;
