//! ipvsadm's command line turned into a typed [`Parsed`] command.
//!
//! The order of every check follows ipvsadm 1.31 so that, given several
//! mistakes, the same message is printed first: options are acted on as they
//! are read (popt loop), then the `--set` values and leftover words, then the
//! scheduler flags, then the command × option matrix, then the per-command
//! rules. See `ipvsadm-reference.md` §2–§4.

pub mod addr;
pub mod fast;
mod general;
mod matrix;
pub mod options;
pub mod popt;
pub mod usage;
pub mod words;

use crate::model::*;
use popt::Walker;

/// The commands, in the order of ipvsadm's command × option matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    AddService,
    EditService,
    DelService,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    SetTimeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

impl Cmd {
    /// The name ipvsadm prints in matrix errors.
    pub fn name(self) -> &'static str {
        CMD_NAMES[self as usize]
    }
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// Option bits, numbered like the columns of ipvsadm's matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Numeric,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    Ops,
    Pe,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
    /// lvsadm's `-j`/`--json` (not in ipvsadm's matrix; only with `-L`).
    Json,
}

/// Which listing the user asked for, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    pub numeric: bool,
    pub stats: bool,
    pub rate: bool,
    pub thresholds: bool,
    pub persistent_conn: bool,
    pub tun_info: bool,
    pub nosort: bool,
    pub exact: bool,
    /// lvsadm's `-j`: JSON instead of ipvsadm's text.
    pub json: bool,
}

/// A fully parsed and checked command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub cmd: Cmd,
    /// Option bits (`1 << Opt as u32`).
    pub options: u64,
    /// The virtual service, completed with ipvsadm's defaults.
    pub svc: Service,
    /// The real server (for `-a`/`-e`/`-d`).
    pub dest: Dest,
    /// `--set` values.
    pub timeouts: Timeouts,
    /// `--start-daemon`/`--stop-daemon` parameters.
    pub daemon: Daemon,
    pub format: Format,
}

impl Parsed {
    /// Whether an option was given.
    pub fn has(&self, o: Opt) -> bool {
        self.options & bit(o) != 0
    }
}

/// What a command line asks for.
#[derive(Debug, Clone)]
pub enum Outcome {
    Run(Box<Parsed>),
    /// `-h`: print the usage to stdout, exit 0.
    Help,
    /// `-v`: print the version, exit 0.
    Version,
    /// lvsadm's `--apply FILE [--dry-run] [--verbose]`.
    Apply(ApplyArgs),
    /// lvsadm's `--check FILE`.
    Check(String),
}

/// The arguments of `--apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyArgs {
    /// The rule file, `-` for standard input.
    pub file: String,
    pub dry_run: bool,
    pub verbose: bool,
}

/// Split the `--netns NAME` / `--netns=NAME` options off a command line.
///
/// Only words the popt walker sees as options count (a value such as
/// `-s --netns` stays the scheduler's), and the walk stops at the first
/// error, so a command line ipvsadm accepts is returned unchanged.
/// Returns the namespace names found and the remaining words.
pub fn split_netns(args: &[String]) -> (Vec<String>, Vec<String>) {
    let mut w = Walker::new(args);
    let mut names = Vec::new();
    let mut drop = vec![false; args.len()];
    while let Some(Ok(ev)) = w.next_opt() {
        if ev.id != "netns" {
            continue;
        }
        let end = w.consumed();
        if args[end - 1].starts_with("--netns=") {
            drop[end - 1] = true;
        } else {
            drop[end - 2] = true;
            drop[end - 1] = true;
        }
        names.push(ev.value.unwrap_or_default());
    }
    let rest = args
        .iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(a, _)| a.clone())
        .collect();
    (names, rest)
}

/// How a command line can fail, with ipvsadm's consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// ipvsadm's `fail()`: message on stderr, exit immediately with `code`
    /// (also inside `-R`, aborting the restore).
    Fatal { code: i32, msg: String },
    /// The first option is not a command (or popt failed on it): the
    /// "Try ... -h" line, exit 255 (also aborts a restore).
    TryHelp,
    /// popt failed on a later option: `"<word>: <error>"` on stderr; the
    /// command returns -1 (exit 255), and a restore goes on with the next line.
    Popt(String),
}

fn fail(msg: impl Into<String>) -> CliError {
    CliError::Fatal {
        code: 2,
        msg: msg.into(),
    }
}

pub use crate::cnum::strtol_full;
pub(crate) use general::parse_general;
pub use general::string_to_number;
use matrix::bit;

/// Parse one ipvsadm command line. `args` excludes the program name.
pub fn parse(args: &[String]) -> Result<Outcome, CliError> {
    if let Some(p) = fast::parse_bare(args) {
        return Ok(Outcome::Run(Box::new(p)));
    }
    parse_general(args)
}

#[cfg(test)]
mod tests;
