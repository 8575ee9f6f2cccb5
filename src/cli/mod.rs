//! ipvsadm's command line turned into a typed [`Parsed`] command.
//!
//! The order of every check follows ipvsadm 1.31 so that, given several
//! mistakes, the same message is printed first: options are acted on as they
//! are read (popt loop), then the `--set` values and leftover words, then the
//! scheduler flags, then the command × option matrix, then the per-command
//! rules. See `docs/compatibility.md` §2–§4.

pub mod addr;
pub mod fast;
mod general;
pub mod generate;
mod matrix;
pub mod options;
pub mod popt;
pub mod rules;
pub mod settings;
pub mod usage;
pub mod words;

use lvs::model::*;
use popt::Walker;

/// The commands, in the order of ipvsadm's command × option matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// `-A`: add a virtual service.
    AddService,
    /// `-E`: edit a virtual service.
    EditService,
    /// `-D`: delete a virtual service.
    DelService,
    /// `-C`: clear the table.
    Flush,
    /// `-L`/`-l`: list.
    List,
    /// `-a`: add a real server.
    AddDest,
    /// `-d`: delete a real server.
    DelDest,
    /// `-e`: edit a real server.
    EditDest,
    /// `--set`: set the timeouts.
    SetTimeout,
    /// `--start-daemon`.
    StartDaemon,
    /// `--stop-daemon`.
    StopDaemon,
    /// `-R`: restore from standard input.
    Restore,
    /// `-S`: save the rules.
    Save,
    /// `-Z`: zero the counters.
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
    /// The `numeric` option (a column of the matrix).
    Numeric,
    /// The `connection` option (a column of the matrix).
    Connection,
    /// The `service-address` option (a column of the matrix).
    Service,
    /// The `scheduler` option (a column of the matrix).
    Scheduler,
    /// The `persistent` option (a column of the matrix).
    Persistent,
    /// The `netmask` option (a column of the matrix).
    Netmask,
    /// The `real-server` option (a column of the matrix).
    Server,
    /// The `forwarding-method` option (a column of the matrix).
    Forward,
    /// The `weight` option (a column of the matrix).
    Weight,
    /// The `u-threshold` option (a column of the matrix).
    UThreshold,
    /// The `l-threshold` option (a column of the matrix).
    LThreshold,
    /// The `mcast-interface` option (a column of the matrix).
    McastInterface,
    /// The `timeout` option (a column of the matrix).
    Timeout,
    /// The `daemon` option (a column of the matrix).
    Daemon,
    /// The `stats` option (a column of the matrix).
    Stats,
    /// The `rate` option (a column of the matrix).
    Rate,
    /// The `thresholds` option (a column of the matrix).
    Thresholds,
    /// The `persistent-conn` option (a column of the matrix).
    PersistentConn,
    /// The `nosort` option (a column of the matrix).
    NoSort,
    /// The `syncid` option (a column of the matrix).
    SyncId,
    /// The `exact` option (a column of the matrix).
    Exact,
    /// The `ops` option (a column of the matrix).
    Ops,
    /// The `pe` option (a column of the matrix).
    Pe,
    /// The `sched-flags` option (a column of the matrix).
    SchedFlags,
    /// The `mcast-group` option (a column of the matrix).
    McastGroup,
    /// The `mcast-port` option (a column of the matrix).
    McastPort,
    /// The `mcast-ttl` option (a column of the matrix).
    McastTtl,
    /// The `sync-maxlen` option (a column of the matrix).
    SyncMaxlen,
    /// The `tun-info` option (a column of the matrix).
    TunInfo,
    /// The `tun-type` option (a column of the matrix).
    TunType,
    /// The `tun-port` option (a column of the matrix).
    TunPort,
    /// The `tun-nocsum` option (a column of the matrix).
    TunNocsum,
    /// The `tun-csum` option (a column of the matrix).
    TunCsum,
    /// The `tun-remcsum` option (a column of the matrix).
    TunRemcsum,
    /// lvsadm's `-j`/`--json` (not in ipvsadm's matrix; only with `-L`).
    Json,
}

/// Which listing the user asked for, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    /// `-n`: numeric addresses and ports.
    pub numeric: bool,
    /// `--stats`.
    pub stats: bool,
    /// `--rate`.
    pub rate: bool,
    /// `--thresholds`.
    pub thresholds: bool,
    /// `--persistent-conn`.
    pub persistent_conn: bool,
    /// `--tun-info`.
    pub tun_info: bool,
    /// `--nosort`.
    pub nosort: bool,
    /// `--exact`.
    pub exact: bool,
    /// lvsadm's `-j`: JSON instead of ipvsadm's text.
    pub json: bool,
}

/// A fully parsed and checked command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The `cmd` value.
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
    /// The `format` value.
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
    /// The `Run` case.
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

/// The arguments of `--apply` (the safety options are checked by
/// [`crate::apply`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyArgs {
    /// The rule file, `-` for standard input.
    pub file: String,
    /// `--dry-run`: print the plan, change nothing.
    pub dry_run: bool,
    /// `--verbose`: print each change.
    pub verbose: bool,
    /// `--allow-empty`: a rule file without services may empty the table.
    pub allow_empty: bool,
    /// `--force`: no limit on deletions.
    pub force: bool,
    /// `--max-delete PCT`, as given.
    pub max_delete: Option<String>,
    /// Every `--scope SPEC`, as given.
    pub scope: Vec<String>,
}

/// Split the `--netns NAME` / `--netns=NAME` options off a command line.
///
/// Only words the popt walker sees as options count (a value such as
/// `-s --netns` stays the scheduler's), and the walk stops at the first
/// error, so a command line ipvsadm accepts is returned unchanged.
/// Returns the namespace names found and the remaining words.
pub fn split_netns(args: &[String]) -> (Vec<String>, Vec<String>) {
    split_long(args, "netns")
}

/// Split every `--NAME VALUE` / `--NAME=VALUE` of the long option `id` off a
/// command line, as [`split_netns`] does for `--netns`.
pub fn split_long(args: &[String], id: &str) -> (Vec<String>, Vec<String>) {
    let mut w = Walker::new(args);
    let mut names = Vec::new();
    let mut drop = vec![false; args.len()];
    while let Some(Ok(ev)) = w.next_opt() {
        if ev.id != id {
            continue;
        }
        let end = w.consumed();
        if args[end - 1].starts_with(&format!("--{id}=")) {
            drop[end - 1] = true;
        } else {
            drop[end - 2] = true;
            drop[end - 1] = true;
        }
        names.push(ev.value.unwrap_or_default());
    }
    (names, without(args, &drop))
}

/// The words of `args` whose `drop` flag is not set.
pub fn without(args: &[String], drop: &[bool]) -> Vec<String> {
    args.iter()
        .zip(drop)
        .filter(|(_, d)| !**d)
        .map(|(a, _)| a.clone())
        .collect()
}

/// How a command line can fail, with ipvsadm's consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// ipvsadm's `fail()`: message on stderr, exit immediately with `code`
    /// (also inside `-R`, aborting the restore).
    Fatal {
        /// The exit status.
        code: i32,
        /// The message.
        msg: String,
    },
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

pub(crate) use general::parse_general;
pub use general::string_to_number;
pub use lvs::cnum::strtol_full;
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
