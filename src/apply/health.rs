//! The health options of a rule file (for `--supervise`): their words, their values, and what
//! a real server's checks resolve to (defaults of the `-A` line, overridden
//! by its `-a` line).
//!
//! These options exist only in rule files (`--check`, `--apply`,
//! `--supervise`): they are taken off a line before the line goes through
//! the ipvsadm parser, so on a command line they stay unknown options,
//! as they are to ipvsadm.

use crate::apply::{Problem, Wanted};
use lvs::model::{DestKey, ServiceKey};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The health options of a rule file, by line: those of `-A` lines that
/// gave any, and those of every `-a` line (with the line number).
#[derive(Debug, Clone, Default)]
pub struct HealthLines {
    /// Per service: the `-A` line and its options.
    pub services: HashMap<ServiceKey, (usize, Opts)>,
    /// Per real server: the `-a` line and its options.
    pub dests: HashMap<(ServiceKey, DestKey), (usize, Opts)>,
}

impl HealthLines {
    /// The resolved checks of a real server of a service.
    pub fn health(&self, svc: &ServiceKey, dest: &DestKey) -> Health {
        let none = Opts::default();
        let s = self.services.get(svc).map_or(&none, |(_, o)| o);
        let d = self.dests.get(&(*svc, *dest)).map_or(&none, |(_, o)| o);
        Health::resolve(s, d)
    }

    /// The `--sorry` server of a service.
    pub fn sorry(&self, svc: &ServiceKey) -> Option<SocketAddr> {
        self.services.get(svc).and_then(|(_, o)| o.sorry)
    }

    /// How many real servers are checked (a check or an agent).
    pub fn checked(&self, wanted: &[Wanted]) -> usize {
        wanted
            .iter()
            .flat_map(|w| {
                let k = w.svc.key();
                w.dests
                    .iter()
                    .map(move |d| self.health(&k, &d.dest.key()).is_checked())
            })
            .filter(|c| *c)
            .count()
    }

    /// The `--announce` of a service: how many real servers must take
    /// connections, and `--announce-when`.
    pub fn announce(&self, svc: &ServiceKey) -> Option<(u32, AnnounceWhen)> {
        self.services
            .get(svc)
            .and_then(|(_, o)| o.announce.map(|n| (n, o.announce_when.unwrap_or_default())))
    }

    /// Whether the file has any health option.
    pub fn any(&self) -> bool {
        !self.services.is_empty() || self.dests.values().any(|(_, o)| !o.is_empty())
    }
}

/// The problems that need the whole file: a check that needs a port on a
/// real server without one (fwmark services), a sorry server that is also
/// a real server of its service, a sorry server of another family.
///
/// `dest_line` gives the `-a` line of each real server (for the messages).
pub fn problems(
    wanted: &[Wanted],
    lines: &HealthLines,
    dest_line: &HashMap<(ServiceKey, DestKey), usize>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for w in wanted {
        let k = w.svc.key();
        for d in &w.dests {
            let dk = d.dest.key();
            let h = lines.health(&k, &dk);
            let needs_port = matches!(
                h.check,
                CheckKind::Tcp | CheckKind::Http(_) | CheckKind::Https(_) | CheckKind::Dns(_)
            );
            if needs_port && d.dest.port == 0 && h.port.is_none() {
                let line = dest_line.get(&(k, dk)).copied().unwrap_or(w.line);
                out.push(Problem {
                    line,
                    msg: format!(
                        "real server {} has no port to check: give --health-port",
                        d.dest.addr
                    ),
                });
            }
        }
        if let Some((line, o)) = lines.services.get(&k) {
            if o.announce.is_some() && w.svc.fwmark != 0 {
                out.push(Problem {
                    line: *line,
                    msg: "--announce needs a virtual address: a fwmark service has none (announce the address with a TCP or UDP service)".into(),
                });
            }
            if o.announce.is_none() && o.announce_when.is_some() {
                out.push(Problem {
                    line: *line,
                    msg: "--announce-when goes with --announce N".into(),
                });
            }
        }
        if let Some(sorry) = lines.sorry(&k) {
            if w.dests.iter().any(|d| d.dest.socket_addr() == sorry) {
                out.push(Problem {
                    line: w.line,
                    msg: format!("--sorry {sorry} is also a real server of this service"),
                });
            }
            if sorry.is_ipv6() != w.svc.addr.is_ipv6() && w.svc.fwmark == 0 {
                out.push(Problem {
                    line: w.line,
                    msg: format!("--sorry {sorry} is not of the service's address family"),
                });
            }
        }
    }
    // the services of one address must agree on --announce-when
    let mut when: HashMap<std::net::IpAddr, AnnounceWhen> = HashMap::new();
    for w in wanted {
        let k = w.svc.key();
        if let (Some((line, o)), Some((_, aw))) = (lines.services.get(&k), lines.announce(&k)) {
            if w.svc.fwmark != 0 {
                continue;
            }
            match when.get(&w.svc.addr) {
                Some(first) if *first != aw && o.announce_when.is_some() => out.push(Problem {
                    line: *line,
                    msg: format!(
                        "--announce-when {} differs from another service of {} (--announce-when {})",
                        aw.word(),
                        lvs::model::ntop(&w.svc.addr),
                        first.word()
                    ),
                }),
                Some(first) if *first != aw => out.push(Problem {
                    line: *line,
                    msg: format!(
                        "another service of {} has --announce-when {}: give it here too",
                        lvs::model::ntop(&w.svc.addr),
                        first.word()
                    ),
                }),
                Some(_) => {}
                None => {
                    when.insert(w.svc.addr, aw);
                }
            }
        }
    }
    out
}

/// The type of a health check (`--health TYPE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// `tcp`: a TCP connection is accepted.
    Tcp,
    /// `http:PATH`: a GET of PATH answers with a status in the expected range.
    Http(String),
    /// `https:PATH`: the same over TLS.
    Https(String),
    /// `dns:NAME`: a UDP query for NAME (type A) is answered with NOERROR.
    Dns(String),
    /// `exec:PATH`: PATH run with VIP VPORT RIP RPORT exits with 0.
    Exec(String),
    /// `none`: no check; the real server is always up.
    None,
}

impl CheckKind {
    /// The word of the type (`http`), as logs and metrics name it.
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "tcp",
            CheckKind::Http(_) => "http",
            CheckKind::Https(_) => "https",
            CheckKind::Dns(_) => "dns",
            CheckKind::Exec(_) => "exec",
            CheckKind::None => "none",
        }
    }
}

/// What a failed real server becomes (`--on-failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Weight 0: no new connections, established ones go on (the default).
    Quiesce,
    /// Deleted from the service; added again when it recovers.
    Remove,
}

/// The health options given on one line, each as given (absent: inherited
/// or default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `--health TYPE`.
    pub check: Option<CheckKind>,
    /// `--health-port PORT`.
    pub port: Option<u16>,
    /// `--interval SECS`.
    pub interval: Option<Duration>,
    /// `--health-timeout SECS`.
    pub timeout: Option<Duration>,
    /// `--rise N`.
    pub rise: Option<u32>,
    /// `--fall N`.
    pub fall: Option<u32>,
    /// `--on-failure quiesce|remove`.
    pub on_failure: Option<OnFailure>,
    /// `--expect LOW-HIGH`.
    pub expect: Option<(u16, u16)>,
    /// `--health-host NAME`.
    pub host: Option<String>,
    /// `--slow-start SECS` (`-a` lines only).
    pub slow_start: Option<Duration>,
    /// `--agent PORT` (`-a` lines only).
    pub agent: Option<u16>,
    /// `--sorry ADDR:PORT` (`-A` lines only).
    pub sorry: Option<SocketAddr>,
    /// `--announce N` (`-A` lines only): the service's virtual address is
    /// announced while at least N of its real servers take connections.
    pub announce: Option<u32>,
    /// `--announce-when any|all` (`-A` lines only).
    pub announce_when: Option<AnnounceWhen>,
}

/// For a virtual address served by several announced services
/// (`--announce-when`): announced while any of them is healthy enough,
/// or only while all are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnnounceWhen {
    /// Any service (the default).
    #[default]
    Any,
    /// Every service.
    All,
}

impl AnnounceWhen {
    /// The word of the option's value.
    pub fn word(self) -> &'static str {
        match self {
            AnnounceWhen::Any => "any",
            AnnounceWhen::All => "all",
        }
    }
}

impl Opts {
    /// Whether no option was given.
    pub fn is_empty(&self) -> bool {
        *self == Opts::default()
    }
}

/// The defaults of a real server's checks.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Default `--health-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default `--rise`.
pub const DEFAULT_RISE: u32 = 2;
/// Default `--fall`.
pub const DEFAULT_FALL: u32 = 3;
/// Default `--expect`.
pub const DEFAULT_EXPECT: (u16, u16) = (200, 399);

/// The checks of one real server, every option resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The check.
    pub check: CheckKind,
    /// The port checked (the real server's unless `--health-port`).
    pub port: Option<u16>,
    /// Time between two checks.
    pub interval: Duration,
    /// Time one check may take.
    pub timeout: Duration,
    /// Good results in a row that make a down real server up.
    pub rise: u32,
    /// Bad results in a row that make an up real server down.
    pub fall: u32,
    /// What a down real server becomes.
    pub on_failure: OnFailure,
    /// The HTTP statuses that count as up.
    pub expect: (u16, u16),
    /// Host header and TLS server name.
    pub host: Option<String>,
    /// Weight ramp after recovery.
    pub slow_start: Option<Duration>,
    /// Agent port.
    pub agent: Option<u16>,
}

impl Health {
    /// A real server's checks: its `-a` line's options over its `-A`
    /// line's, over the defaults.
    pub fn resolve(svc: &Opts, dest: &Opts) -> Health {
        Health {
            check: dest
                .check
                .clone()
                .or_else(|| svc.check.clone())
                .unwrap_or(CheckKind::None),
            port: dest.port.or(svc.port),
            interval: dest.interval.or(svc.interval).unwrap_or(DEFAULT_INTERVAL),
            timeout: dest.timeout.or(svc.timeout).unwrap_or(DEFAULT_TIMEOUT),
            rise: dest.rise.or(svc.rise).unwrap_or(DEFAULT_RISE),
            fall: dest.fall.or(svc.fall).unwrap_or(DEFAULT_FALL),
            on_failure: dest
                .on_failure
                .or(svc.on_failure)
                .unwrap_or(OnFailure::Quiesce),
            expect: dest.expect.or(svc.expect).unwrap_or(DEFAULT_EXPECT),
            host: dest.host.clone().or_else(|| svc.host.clone()),
            slow_start: dest.slow_start,
            agent: dest.agent,
        }
    }

    /// Whether anything is checked (a check or an agent).
    pub fn is_checked(&self) -> bool {
        self.check != CheckKind::None || self.agent.is_some()
    }
}

/// Which kind of line the options are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `-A`.
    Service,
    /// `-a`.
    Server,
}

/// Every health option's long name.
pub const NAMES: [&str; 14] = [
    "health",
    "health-port",
    "interval",
    "health-timeout",
    "rise",
    "fall",
    "on-failure",
    "expect",
    "health-host",
    "slow-start",
    "agent",
    "sorry",
    "announce",
    "announce-when",
];

/// The longest interval, timeout or slow start (one day).
const MAX_SECS: u64 = 86400;

/// Take the health options off a rule-file line: the other words (for the
/// ipvsadm parser) and the options, or the first problem.
pub fn split(words: &[String], kind: LineKind) -> Result<(Vec<String>, Opts), String> {
    let mut rest = Vec::with_capacity(words.len());
    let mut opts = Opts::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let Some(long) = w.strip_prefix("--") else {
            rest.push(w.clone());
            i += 1;
            continue;
        };
        let (name, inline) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (long, None),
        };
        if !NAMES.contains(&name) {
            rest.push(w.clone());
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                match words.get(i) {
                    Some(v) => v.clone(),
                    None => return Err(format!("--{name} needs a value")),
                }
            }
        };
        i += 1;
        set(&mut opts, name, &value, kind)?;
    }
    Ok((rest, opts))
}

/// Parse one option's value into `opts`.
fn set(opts: &mut Opts, name: &str, v: &str, kind: LineKind) -> Result<(), String> {
    let twice = |given: bool| {
        if given {
            Err(format!("--{name} given twice"))
        } else {
            Ok(())
        }
    };
    match name {
        "health" => {
            twice(opts.check.is_some())?;
            opts.check = Some(parse_check(v)?);
        }
        "health-port" => {
            twice(opts.port.is_some())?;
            opts.port = Some(parse_port(name, v)?);
        }
        "interval" => {
            twice(opts.interval.is_some())?;
            opts.interval = Some(parse_secs(name, v, false)?);
        }
        "health-timeout" => {
            twice(opts.timeout.is_some())?;
            opts.timeout = Some(parse_secs(name, v, false)?);
        }
        "rise" => {
            twice(opts.rise.is_some())?;
            opts.rise = Some(parse_count(name, v)?);
        }
        "fall" => {
            twice(opts.fall.is_some())?;
            opts.fall = Some(parse_count(name, v)?);
        }
        "on-failure" => {
            twice(opts.on_failure.is_some())?;
            opts.on_failure = Some(match v {
                "quiesce" => OnFailure::Quiesce,
                "remove" => OnFailure::Remove,
                _ => {
                    return Err(format!(
                        "invalid --on-failure `{v}' (expected quiesce or remove)"
                    ))
                }
            });
        }
        "expect" => {
            twice(opts.expect.is_some())?;
            opts.expect = Some(parse_expect(v)?);
        }
        "health-host" => {
            twice(opts.host.is_some())?;
            if v.is_empty() || v.len() > 253 || !v.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "invalid --health-host `{v}' (a host name of 1 to 253 printable characters)"
                ));
            }
            opts.host = Some(v.to_string());
        }
        "slow-start" => {
            if kind == LineKind::Service {
                return Err("--slow-start goes on -a (real server) lines".into());
            }
            twice(opts.slow_start.is_some())?;
            opts.slow_start = Some(parse_secs(name, v, false)?);
        }
        "agent" => {
            if kind == LineKind::Service {
                return Err("--agent goes on -a (real server) lines".into());
            }
            twice(opts.agent.is_some())?;
            opts.agent = Some(parse_port(name, v)?);
        }
        "sorry" => {
            if kind == LineKind::Server {
                return Err("--sorry goes on -A (service) lines".into());
            }
            twice(opts.sorry.is_some())?;
            opts.sorry = Some(v.parse::<SocketAddr>().map_err(|_| {
                format!("invalid --sorry `{v}' (expected ADDR:PORT or [ADDR6]:PORT, numeric)")
            })?);
        }
        "announce" => {
            if kind == LineKind::Server {
                return Err("--announce goes on -A (service) lines".into());
            }
            twice(opts.announce.is_some())?;
            opts.announce = Some(parse_count(name, v)?);
        }
        "announce-when" => {
            if kind == LineKind::Server {
                return Err("--announce-when goes on -A (service) lines".into());
            }
            twice(opts.announce_when.is_some())?;
            opts.announce_when = Some(match v {
                "any" => AnnounceWhen::Any,
                "all" => AnnounceWhen::All,
                _ => {
                    return Err(format!(
                        "invalid --announce-when `{v}' (expected any or all)"
                    ))
                }
            });
        }
        _ => unreachable!("only NAMES reach here"),
    }
    Ok(())
}

/// Parse `--health TYPE`.
pub fn parse_check(v: &str) -> Result<CheckKind, String> {
    let bad = |why: &str| format!("invalid --health `{v}': {why}");
    let (word, arg) = match v.split_once(':') {
        Some((w, a)) => (w, Some(a)),
        None => (v, None),
    };
    match (word, arg) {
        ("tcp", None) => Ok(CheckKind::Tcp),
        ("none", None) => Ok(CheckKind::None),
        ("http" | "https", Some(p)) => {
            if !p.starts_with('/') || !p.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad("the path must start with / and hold no blanks"));
            }
            Ok(if word == "http" {
                CheckKind::Http(p.to_string())
            } else {
                CheckKind::Https(p.to_string())
            })
        }
        ("http" | "https", None) => Err(bad("give the path, as in http:/health")),
        ("dns", Some(n)) => {
            let name = n.strip_suffix('.').unwrap_or(n);
            let ok = !name.is_empty()
                && name.len() <= 253
                && name.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                });
            if !ok {
                return Err(bad("not a domain name"));
            }
            Ok(CheckKind::Dns(name.to_string()))
        }
        ("dns", None) => Err(bad("give the name to query, as in dns:www.example.org")),
        ("exec", Some(p)) => {
            if !p.starts_with('/') {
                return Err(bad("the program must be an absolute path"));
            }
            Ok(CheckKind::Exec(p.to_string()))
        }
        ("exec", None) => Err(bad("give the program, as in exec:/usr/local/bin/check")),
        ("tcp" | "none", Some(_)) => Err(bad(&format!("{word} takes no argument"))),
        _ => Err(bad(
            "expected tcp, http:PATH, https:PATH, dns:NAME, exec:PATH or none",
        )),
    }
}

fn parse_port(name: &str, v: &str) -> Result<u16, String> {
    match v.parse::<u16>() {
        Ok(p) if p > 0 && !v.starts_with('+') => Ok(p),
        _ => Err(format!("invalid --{name} `{v}' (a port from 1 to 65535)")),
    }
}

fn parse_count(name: &str, v: &str) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) && !v.starts_with('+') => Ok(n),
        _ => Err(format!("invalid --{name} `{v}' (a count from 1 to 100)")),
    }
}

/// Seconds with up to three decimals (`5`, `0.5`), from 0.001 to a day
/// (`zero_ok`: 0 too).
pub fn parse_secs(name: &str, v: &str, zero_ok: bool) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid --{name} `{v}' (seconds from {} to {MAX_SECS}, at most 3 decimals)",
            if zero_ok { "0" } else { "0.001" }
        )
    };
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 3
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (v.contains('.') && frac.is_empty())
        || int.len() > 6
    {
        return Err(bad());
    }
    let secs: u64 = int.parse().map_err(|_| bad())?;
    let mut ms: u64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        ms += u64::from(b - b'0') * [100, 10, 1][i];
    }
    let d = Duration::from_millis(secs * 1000 + ms);
    if d > Duration::from_secs(MAX_SECS) || (!zero_ok && d.is_zero()) {
        return Err(bad());
    }
    Ok(d)
}

fn parse_expect(v: &str) -> Result<(u16, u16), String> {
    let bad = || format!("invalid --expect `{v}' (an HTTP status or range, as in 200-399)");
    let status = |s: &str| match s.parse::<u16>() {
        Ok(n) if (100..=599).contains(&n) && s.len() == 3 => Ok(n),
        _ => Err(bad()),
    };
    let (lo, hi) = match v.split_once('-') {
        Some((a, b)) => (status(a)?, status(b)?),
        None => (status(v)?, status(v)?),
    };
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options_come_off_the_line() {
        let (rest, o) = split(
            &w(
                "-A -t 192.0.2.1:80 --health http:/ping --interval=0.5 -s rr --rise 1 \
                --expect 200 --sorry 127.0.0.1:8080 --on-failure remove",
            ),
            LineKind::Service,
        )
        .unwrap();
        assert_eq!(rest, w("-A -t 192.0.2.1:80 -s rr"));
        assert_eq!(o.check, Some(CheckKind::Http("/ping".into())));
        assert_eq!(o.interval, Some(Duration::from_millis(500)));
        assert_eq!(o.rise, Some(1));
        assert_eq!(o.expect, Some((200, 200)));
        assert_eq!(o.sorry, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(o.on_failure, Some(OnFailure::Remove));
        // a plain line is untouched
        let plain = w("-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1");
        let (rest, o) = split(&plain, LineKind::Server).unwrap();
        assert_eq!(rest, plain);
        assert!(o.is_empty());
    }

    #[test]
    fn bad_values_have_exact_messages() {
        let e = |s: &str, k| split(&w(s), k).unwrap_err();
        let svc = LineKind::Service;
        let srv = LineKind::Server;
        assert_eq!(
            e("-A --health ftp", svc),
            "invalid --health `ftp': expected tcp, http:PATH, https:PATH, dns:NAME, exec:PATH or none"
        );
        assert_eq!(
            e("-A --health http", svc),
            "invalid --health `http': give the path, as in http:/health"
        );
        assert_eq!(
            e("-A --health http:ping", svc),
            "invalid --health `http:ping': the path must start with / and hold no blanks"
        );
        assert_eq!(
            e("-A --health exec:check.sh", svc),
            "invalid --health `exec:check.sh': the program must be an absolute path"
        );
        assert_eq!(
            e("-A --health dns:a..b", svc),
            "invalid --health `dns:a..b': not a domain name"
        );
        assert_eq!(
            e("-A --health tcp:80", svc),
            "invalid --health `tcp:80': tcp takes no argument"
        );
        assert_eq!(
            e("-A --rise 0", svc),
            "invalid --rise `0' (a count from 1 to 100)"
        );
        assert_eq!(
            e("-A --fall x", svc),
            "invalid --fall `x' (a count from 1 to 100)"
        );
        assert_eq!(
            e("-A --interval 0", svc),
            "invalid --interval `0' (seconds from 0.001 to 86400, at most 3 decimals)"
        );
        assert_eq!(
            e("-A --health-timeout 1.2345", svc),
            "invalid --health-timeout `1.2345' (seconds from 0.001 to 86400, at most 3 decimals)"
        );
        assert_eq!(
            e("-A --health-port 0", svc),
            "invalid --health-port `0' (a port from 1 to 65535)"
        );
        assert_eq!(
            e("-A --on-failure delete", svc),
            "invalid --on-failure `delete' (expected quiesce or remove)"
        );
        assert_eq!(
            e("-A --expect 400-200", svc),
            "invalid --expect `400-200' (an HTTP status or range, as in 200-399)"
        );
        assert_eq!(
            e("-A --slow-start 10", svc),
            "--slow-start goes on -a (real server) lines"
        );
        assert_eq!(
            e("-A --agent 8000", svc),
            "--agent goes on -a (real server) lines"
        );
        assert_eq!(
            e("-a --sorry 127.0.0.1:80", srv),
            "--sorry goes on -A (service) lines"
        );
        assert_eq!(
            e("-A --sorry localhost:80", svc),
            "invalid --sorry `localhost:80' (expected ADDR:PORT or [ADDR6]:PORT, numeric)"
        );
        assert_eq!(e("-A --rise 2 --rise 3", svc), "--rise given twice");
        assert_eq!(
            e("-A -t 192.0.2.1:80 --health", svc),
            "--health needs a value"
        );
    }

    #[test]
    fn resolution_dest_over_service_over_defaults() {
        let svc = Opts {
            check: Some(CheckKind::Tcp),
            fall: Some(5),
            ..Opts::default()
        };
        let dest = Opts {
            check: Some(CheckKind::Http("/".into())),
            slow_start: Some(Duration::from_secs(30)),
            ..Opts::default()
        };
        let h = Health::resolve(&svc, &dest);
        assert_eq!(h.check, CheckKind::Http("/".into()));
        assert_eq!(h.fall, 5);
        assert_eq!(h.rise, DEFAULT_RISE);
        assert_eq!(h.interval, DEFAULT_INTERVAL);
        assert_eq!(h.slow_start, Some(Duration::from_secs(30)));
        assert!(h.is_checked());
        assert!(!Health::resolve(&Opts::default(), &Opts::default()).is_checked());
    }
}
