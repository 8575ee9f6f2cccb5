//! A command-line walker with popt's semantics, driven by the clap
//! definition in [`super::options`].
//!
//! What it reproduces (ipvsadm is built with popt, and scripts see the
//! difference):
//! * options are returned one at a time, in order, so the caller can act on
//!   each before the next is even looked at (the first bad word wins);
//! * short clusters (`-Ln`, `-Lnt192.0.2.1:80`): a value-taking letter eats
//!   the rest of the cluster (a leading `=` is dropped), or the next word —
//!   whatever it looks like — when the cluster ends;
//! * long options `--name` or `--name=value`, exact names only;
//! * an optional value (`-p`) comes from the next word only if that word
//!   does not start with `-`;
//! * words that are not options (and everything after `--`) are kept as
//!   leftovers, in order;
//! * the "bad option" text of an error is the last word consumed.

#[cfg(test)]
use super::options::takes;
use super::options::Takes;

/// One option found on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The clap argument id (ipvsadm's long name).
    pub id: String,
    /// Its value, if it takes one and got one.
    pub value: Option<String>,
}

/// popt's errors, with the word that caused them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoptError {
    /// `POPT_ERROR_BADOPT`.
    Unknown(String),
    /// `POPT_ERROR_NOARG`.
    MissingArgument(String),
    /// `POPT_ERROR_UNWANTEDARG`.
    UnwantedArgument(String),
}

impl std::fmt::Display for PoptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoptError::Unknown(w) => write!(f, "{w}: unknown option"),
            PoptError::MissingArgument(w) => write!(f, "{w}: missing argument"),
            PoptError::UnwantedArgument(w) => write!(f, "{w}: option does not take an argument"),
        }
    }
}

/// One option of the table: its id (ipvsadm's long name), letters and
/// what it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The clap id.
    pub id: &'static str,
    /// The short letter.
    pub short: Option<char>,
    /// The long name.
    pub long: Option<&'static str>,
    /// What value it takes.
    pub takes: Takes,
}

/// The option table, compiled from the clap definition by `build.rs`.
pub static SPECS: &[Spec] = include!(concat!(env!("OUT_DIR"), "/option_table.rs"));

fn specs() -> &'static [Spec] {
    SPECS
}

/// Walks `args` (without the program name).
pub struct Walker<'a> {
    specs: &'static [Spec],
    args: &'a [String],
    next: usize,
    /// The rest of a short-option cluster being processed.
    cluster: Option<String>,
    rest_leftover: bool,
    leftovers: Vec<String>,
    leftover_pos: usize,
}

impl<'a> Walker<'a> {
    /// A walker over `args` for the options of [`super::options::command`].
    pub fn new(args: &'a [String]) -> Walker<'a> {
        Walker {
            specs: specs(),
            args,
            next: 0,
            cluster: None,
            rest_leftover: false,
            leftovers: Vec::new(),
            leftover_pos: 0,
        }
    }

    fn by_short(&self, c: char) -> Option<&Spec> {
        self.specs.iter().find(|s| s.short == Some(c))
    }

    fn by_long(&self, name: &str) -> Option<&Spec> {
        self.specs.iter().find(|s| s.long == Some(name))
    }

    /// How many words have been consumed so far.
    pub fn consumed(&self) -> usize {
        self.next
    }

    /// The text popt reports for a bad option: the last word consumed.
    pub fn bad_option(&self) -> &str {
        if self.next == 0 {
            ""
        } else {
            &self.args[self.next - 1]
        }
    }

    /// Take the value of an option from the next word.
    fn value_from_next(&mut self, t: Takes) -> Result<Option<String>, PoptError> {
        if t == Takes::Attached {
            return Ok(None);
        }
        match self.args.get(self.next) {
            None => match t {
                Takes::Optional => Ok(None),
                _ => Err(PoptError::MissingArgument(self.bad_option().to_string())),
            },
            Some(w) => {
                if t == Takes::Optional && w.starts_with('-') {
                    Ok(None)
                } else {
                    self.next += 1;
                    Ok(Some(w.clone()))
                }
            }
        }
    }

    /// The next option, `None` at the end, or popt's error.
    pub fn next_opt(&mut self) -> Option<Result<Event, PoptError>> {
        loop {
            if let Some(rest) = self.cluster.take() {
                let mut chars = rest.chars();
                let c = chars.next().expect("clusters are never empty");
                let remaining: String = chars.collect();
                let Some(spec) = self.by_short(c) else {
                    return Some(Err(PoptError::Unknown(self.bad_option().to_string())));
                };
                let (id, t) = (spec.id.to_string(), spec.takes);
                let value = if t == Takes::Nothing {
                    // popt: `=` right after a letter that takes no value
                    // (`-n=3`, `-Ln=`) is an unwanted argument.
                    if remaining.starts_with('=') {
                        return Some(Err(PoptError::UnwantedArgument(
                            self.bad_option().to_string(),
                        )));
                    }
                    if !remaining.is_empty() {
                        self.cluster = Some(remaining);
                    }
                    None
                } else if !remaining.is_empty() {
                    Some(
                        remaining
                            .strip_prefix('=')
                            .unwrap_or(&remaining)
                            .to_string(),
                    )
                } else {
                    match self.value_from_next(t) {
                        Ok(v) => v,
                        Err(e) => return Some(Err(e)),
                    }
                };
                return Some(Ok(Event { id, value }));
            }

            let word = self.args.get(self.next)?.clone();
            self.next += 1;
            if self.rest_leftover {
                self.leftovers.push(word);
                continue;
            }
            if word == "--" {
                self.rest_leftover = true;
                continue;
            }
            if !word.starts_with('-') || word == "-" {
                self.leftovers.push(word);
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let Some(spec) = self.by_long(name) else {
                    return Some(Err(PoptError::Unknown(word)));
                };
                let (id, t) = (spec.id.to_string(), spec.takes);
                let value = match (t, inline) {
                    (Takes::Nothing, Some(_)) => {
                        return Some(Err(PoptError::UnwantedArgument(word)));
                    }
                    (Takes::Nothing, None) => None,
                    (_, Some(v)) => Some(v),
                    (_, None) => match self.value_from_next(t) {
                        Ok(v) => v,
                        Err(e) => return Some(Err(e)),
                    },
                };
                return Some(Ok(Event { id, value }));
            }
            self.cluster = Some(word[1..].to_string());
        }
    }

    /// The next leftover (non-option) word, in order (`poptGetArg`).
    pub fn next_arg(&mut self) -> Option<String> {
        let a = self.leftovers.get(self.leftover_pos).cloned();
        if a.is_some() {
            self.leftover_pos += 1;
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(args: &[&str]) -> (Vec<Result<Event, PoptError>>, Vec<String>) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut w = Walker::new(&args);
        let mut evs = Vec::new();
        while let Some(e) = w.next_opt() {
            let stop = e.is_err();
            evs.push(e);
            if stop {
                break;
            }
        }
        let mut left = Vec::new();
        while let Some(a) = w.next_arg() {
            left.push(a);
        }
        (evs, left)
    }

    fn ev(id: &str, v: Option<&str>) -> Result<Event, PoptError> {
        Ok(Event {
            id: id.into(),
            value: v.map(str::to_string),
        })
    }

    #[test]
    fn clusters_and_values() {
        let (e, _) = walk(&["-Lnt192.0.2.1:80"]);
        assert_eq!(
            e,
            vec![
                ev("list", None),
                ev("numeric", None),
                ev("tcp-service", Some("192.0.2.1:80"))
            ]
        );
        let (e, _) = walk(&["-At", "192.0.2.1:80", "-srr"]);
        assert_eq!(
            e,
            vec![
                ev("add-service", None),
                ev("tcp-service", Some("192.0.2.1:80")),
                ev("scheduler", Some("rr"))
            ]
        );
    }

    #[test]
    fn optional_persistent() {
        assert_eq!(walk(&["-p", "100"]).0, vec![ev("persistent", Some("100"))]);
        assert_eq!(walk(&["-p=100"]).0, vec![ev("persistent", Some("100"))]);
        assert_eq!(walk(&["-pM"]).0, vec![ev("persistent", Some("M"))]);
        assert_eq!(walk(&["--persistent="]).0, vec![ev("persistent", Some(""))]);
        assert_eq!(
            walk(&["-p", "-s", "rr"]).0,
            vec![ev("persistent", None), ev("scheduler", Some("rr"))]
        );
        let (e, l) = walk(&["-p", "10", "20"]);
        assert_eq!(e, vec![ev("persistent", Some("10"))]);
        assert_eq!(l, vec!["20"]);
    }

    #[test]
    fn errors_name_the_last_word() {
        assert_eq!(
            walk(&["-L", "--numer"]).0[1],
            Err(PoptError::Unknown("--numer".into()))
        );
        assert_eq!(
            walk(&["-L", "-Lq"]).0[2],
            Err(PoptError::Unknown("-Lq".into()))
        );
        assert_eq!(
            walk(&["-A", "-t"]).0[1],
            Err(PoptError::MissingArgument("-t".into()))
        );
        assert_eq!(
            walk(&["-L", "--numeric=5"]).0[1],
            Err(PoptError::UnwantedArgument("--numeric=5".into()))
        );
        assert_eq!(
            walk(&["-A", "-n=3"]).0[1],
            Err(PoptError::UnwantedArgument("-n=3".into()))
        );
        assert_eq!(
            walk(&["-Ln="]).0[1],
            Err(PoptError::UnwantedArgument("-Ln=".into()))
        );
        assert_eq!(
            walk(&["--set", "-1", "2", "3"]).0[1],
            Err(PoptError::Unknown("-1".into()))
        );
    }

    #[test]
    fn required_value_takes_dash_words() {
        assert_eq!(walk(&["-w", "-1"]).0, vec![ev("weight", Some("-1"))]);
    }

    #[test]
    fn leftovers_and_double_dash() {
        let (e, l) = walk(&["192.0.2.1", "-L", "--", "-x", "-"]);
        assert_eq!(e, vec![ev("list", None)]);
        assert_eq!(l, vec!["192.0.2.1", "-x", "-"]);
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    /// The compiled table is exactly the clap definition.
    #[test]
    fn table_is_the_clap_definition() {
        let from_clap: Vec<Spec> = super::super::options::command()
            .get_arguments()
            .map(|a| Spec {
                id: Box::leak(a.get_id().to_string().into_boxed_str()),
                short: a.get_short(),
                long: a
                    .get_long()
                    .map(|l| &*Box::leak(l.to_string().into_boxed_str())),
                takes: takes(a),
            })
            .collect();
        assert_eq!(SPECS, from_clap.as_slice());
        assert!(SPECS.len() > 40);
    }
}
