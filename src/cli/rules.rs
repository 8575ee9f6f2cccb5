//! Rule files (`--check`, `--apply`): each line parsed as the command line
//! it is, into the desired state of `crate::apply`.

use super::words::restore_words;
use super::{CliError, Cmd, Opt, Outcome};
use crate::apply::health::{split as split_health, HealthLines, LineKind};
use crate::apply::render::{addrport, service_rule};
use crate::apply::{Problem, Scope, Wanted, WantedDest};
use lvs::model::*;
use std::collections::{HashMap, HashSet};

/// ipvsadm's wording when the kernel knows no such scheduler or engine.
const NOT_FOUND: &str = "Scheduler or persistence engine not found";

/// The words of one rule-file line: a trailing comment cut, blanks split
/// as `-R` splits them (every `ipvsadm` word dropped), a leading `lvsadm`
/// word dropped.
pub fn rule_words(raw: &str) -> Vec<String> {
    let mut end = raw.len();
    let mut prev_blank = true;
    for (i, c) in raw.char_indices() {
        if c == '#' && prev_blank {
            end = i;
            break;
        }
        prev_blank = matches!(c, ' ' | '\t' | '\r');
    }
    let mut words = restore_words(&raw[..end]);
    if words.first().is_some_and(|w| w == "lvsadm") {
        words.remove(0);
    }
    words
}

/// The service key named on an `-A` line that failed to parse, when its
/// service option alone parses: so that the `-a` lines of a broken `-A`
/// line are not also reported as undefined.
fn failed_add_key(words: &[String]) -> Option<ServiceKey> {
    if !matches!(
        words.first().map(String::as_str),
        Some("-A" | "--add-service")
    ) {
        return None;
    }
    let mut key_words = vec!["-A".to_string()];
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "-t" | "--tcp-service" | "-u" | "--udp-service" | "--sctp-service" | "-f"
            | "--fwmark-service" => {
                let v = words.get(i + 1)?;
                key_words.extend([w.to_string(), v.clone()]);
                i += 1;
            }
            "-6" | "--ipv6" => key_words.push(w.to_string()),
            _ if w.starts_with("--") && w.contains('=') => {
                let (name, _) = w.split_once('=')?;
                if name.ends_with("-service") {
                    key_words.push(w.to_string());
                }
            }
            _ => {}
        }
        i += 1;
    }
    match super::parse(&key_words) {
        Ok(Outcome::Run(p)) if p.cmd == Cmd::AddService => Some(p.svc.key()),
        _ => None,
    }
}

/// The problem with a service's scheduler or persistence engine, if the
/// kernel knows no such name.
pub fn name_problem(s: &Service) -> Option<String> {
    if !SCHEDULERS.contains(&s.sched_name.as_str()) {
        return Some(format!(
            "{NOT_FOUND}: no scheduler {} (the kernel's are {})",
            s.sched_name,
            SCHEDULERS.join(" ")
        ));
    }
    if !s.pe_name.is_empty() && !PERSISTENCE_ENGINES.contains(&s.pe_name.as_str()) {
        return Some(format!(
            "{NOT_FOUND}: no persistence engine {} (the kernel's are {})",
            s.pe_name,
            PERSISTENCE_ENGINES.join(" ")
        ));
    }
    None
}

/// Parse and check a whole rule file. Every problem is reported, in line
/// order; the services are returned in file order.
pub fn parse_rules(text: &str) -> (Vec<Wanted>, Vec<Problem>) {
    let (wanted, problems, _) = parse_rules_health(text);
    (wanted, problems)
}

/// [`parse_rules`], with the health options of each line (taken off the
/// line before the ipvsadm parser sees it, see `apply::health`).
pub fn parse_rules_health(text: &str) -> (Vec<Wanted>, Vec<Problem>, HealthLines) {
    let mut health = HealthLines::default();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut by_key: HashMap<ServiceKey, usize> = HashMap::new();
    let mut dest_lines: HashMap<(ServiceKey, DestKey), usize> = HashMap::new();
    // services whose -A line has a problem (already reported)
    let mut broken: HashSet<ServiceKey> = HashSet::new();
    let mut problems = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let trimmed = raw.trim_start_matches([' ', '\t', '\r']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = rule_words(raw);
        // the settings lines are `super::settings`'s
        if words.is_empty() || super::settings::is_settings_line(&words) {
            continue;
        }
        let mut problem = |msg: String| problems.push(Problem { line, msg });
        let kind = match words[0].as_str() {
            "-A" | "--add-service" => LineKind::Service,
            _ => LineKind::Server,
        };
        let (words, opts) = match split_health(&words, kind) {
            Ok(r) => r,
            Err(msg) => {
                problem(msg);
                if let Some(key) = failed_add_key(&words) {
                    broken.insert(key);
                }
                continue;
            }
        };
        let p = match super::parse(&words) {
            Ok(Outcome::Run(p)) => *p,
            Ok(_) => {
                problem("only -A (add-service) and -a (add-server) lines are allowed".into());
                continue;
            }
            Err(e) => {
                problem(match e {
                    CliError::Fatal { msg, .. } | CliError::Popt(msg) => msg.trim_end().to_string(),
                    CliError::TryHelp => "a line must start with -A or -a".into(),
                });
                if let Some(key) = failed_add_key(&words) {
                    broken.insert(key);
                }
                continue;
            }
        };
        match p.cmd {
            Cmd::AddService => {
                let key = p.svc.key();
                if let Some(&j) = by_key.get(&key) {
                    problem(format!(
                        "duplicate service {} (first defined on line {})",
                        service_rule(&p.svc),
                        wanted[j].line
                    ));
                    continue;
                }
                if let Some(msg) = name_problem(&p.svc) {
                    problem(msg);
                    broken.insert(key);
                    continue;
                }
                by_key.insert(key, wanted.len());
                if !opts.is_empty() {
                    health.services.insert(key, (line, opts));
                }
                wanted.push(Wanted {
                    svc: p.svc,
                    dests: Vec::new(),
                    line,
                });
            }
            Cmd::AddDest => {
                let key = p.svc.key();
                let Some(&j) = by_key.get(&key) else {
                    if !broken.contains(&key) {
                        problem(format!(
                            "service {} is not defined (no -A line for it before this one)",
                            service_rule(&p.svc)
                        ));
                    }
                    continue;
                };
                let dk = (key, p.dest.key());
                if let Some(first) = dest_lines.get(&dk) {
                    problem(format!(
                        "duplicate real server {} in service {} (first defined on line {first})",
                        addrport(p.dest.addr, p.dest.port),
                        service_rule(&p.svc)
                    ));
                    continue;
                }
                dest_lines.insert(dk, line);
                // only real servers with options of their own: a file of
                // 200 000 plain lines must not hold a map entry per line
                if !opts.is_empty() {
                    health.dests.insert(dk, (line, opts));
                }
                wanted[j].dests.push(WantedDest {
                    u_given: p.has(Opt::UThreshold),
                    l_given: p.has(Opt::LThreshold),
                    dest: p.dest,
                });
            }
            other => problem(format!(
                "only -A (add-service) and -a (add-server) lines are allowed, not {}",
                other.name()
            )),
        }
    }
    problems.extend(crate::apply::health::problems(
        &wanted,
        &health,
        &dest_lines,
    ));
    problems.sort_by_key(|p| p.line);
    (wanted, problems, health)
}

/// Parse one `--scope` value.
pub fn parse_scope(spec: &str) -> Result<Scope, String> {
    let bad = |why: &str| format!("invalid --scope {spec}: {why}");
    if let Some(n) = spec.strip_prefix("fwmark:") {
        return match n.parse::<u32>() {
            Ok(m) if m > 0 => Ok(Scope::Fwmark(m)),
            _ => Err(bad("the mark must be a number from 1 to 4294967295")),
        };
    }
    for (prefix, opt) in [("tcp:", "-t"), ("udp:", "-u"), ("sctp:", "--sctp-service")] {
        if let Some(rest) = spec.strip_prefix(prefix) {
            let words = ["-A", opt, rest].map(String::from);
            return match super::parse(&words) {
                Ok(Outcome::Run(p)) if p.svc.port != 0 => Ok(Scope::Service(p.svc.key())),
                Ok(_) => Err(bad("a service needs a port")),
                Err(CliError::Fatal { msg, .. }) | Err(CliError::Popt(msg)) => {
                    Err(bad(msg.trim_end()))
                }
                Err(CliError::TryHelp) => Err(bad("not a service")),
            };
        }
    }
    let bare = spec
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(spec);
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(Scope::Addr(ip)),
        Err(_) => Err(bad(
            "expected ADDR, tcp:ADDR:PORT, udp:ADDR:PORT, sctp:ADDR:PORT or fwmark:N",
        )),
    }
}
