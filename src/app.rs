//! Runs ipvsadm command lines against the kernel: the glue between the
//! parser ([`crate::cli`]), the kernel ([`crate::netlink`]) and the
//! formatters ([`crate::format`]), with ipvsadm's exit statuses.

use crate::cli::{self, CliError, Cmd, Format, Outcome, Parsed};
use crate::format::{self, sort, ListMode, ListOptions};
use crate::model::*;
use crate::netlink::{ipvs_strerror, Ipvs, Op, Request};
use crate::stdio::{stdout_buffering, CStdio};
use std::io::{self, Read, Write};
use std::path::Path;

/// How a command ends when it does not simply return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

/// Everything a run needs: the kernel handle and the program name.
pub struct Ctx {
    pub ipvs: Ipvs,
    /// `argv[0]` as invoked, used in messages.
    pub program: String,
}

/// Process entry point; returns the exit status.
///
/// Invoked as `ipvsadm-save` or `ipvsadm-restore` (a symlink or a copy),
/// behaves like Debian's wrapper scripts of those names.
pub fn main_entry() -> i32 {
    restore_sigpipe();
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = argv.first().cloned().unwrap_or_else(|| "lvsadm".into());
    let base = program.rsplit('/').next().unwrap_or("").to_string();

    let wrapper = if let Some(tool) = base.strip_suffix("-save") {
        Some((Wrapper::Save, tool.to_string()))
    } else {
        base.strip_suffix("-restore")
            .map(|tool| (Wrapper::Restore, tool.to_string()))
    };
    if let Some((Wrapper::Save, _)) = &wrapper {
        // The script checks its arguments before running anything.
        for a in &argv[1..] {
            if a != "-n" && a.starts_with('-') {
                eprintln!("{base}: Script to save the IPVS table to stdout.");
                eprintln!("   With the -n option, prints out the table in numeric format.");
                return 1;
            }
        }
    }
    // lvsadm extensions that act before the kernel is opened: `--netns`
    // (the socket must belong to the namespace) and `--check` (needs no
    // kernel). Command lines ipvsadm accepts contain neither.
    let mut argv = argv;
    if wrapper.is_none() {
        match early_options(&program, &argv[1..]) {
            Ok(rest) => argv.splice(1.., rest).for_each(drop),
            Err(code) => return code,
        }
    }
    let restore_input = if let Some((Wrapper::Restore, _)) = &wrapper {
        let mut input = Vec::new();
        let _ = io::stdin().lock().read_to_end(&mut input);
        Some(input)
    } else {
        None
    };

    let ipvs = match init() {
        Ok(i) => i,
        Err(errno) => {
            eprintln!(
                "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?",
                ipvs_strerror(Op::Other, errno)
            );
            return 2;
        }
    };
    let program = match &wrapper {
        // The wrapper scripts call the tool by its plain name.
        Some((_, tool)) => tool.clone(),
        None => program,
    };
    let mut ctx = Ctx { ipvs, program };
    // Buffered like C stdio, so that stdout and stderr interleave as
    // ipvsadm's do when they share a file or pipe.
    let mut out = CStdio::new(io::stdout().lock(), stdout_buffering());

    let status = |r: Result<i32, Exit>| match r {
        Ok(r) => r & 0xff,
        Err(Exit(c)) => c & 0xff,
    };
    let code = match wrapper {
        Some((Wrapper::Save, _)) => {
            let numeric = argv[1..].iter().any(|a| a == "-n");
            let mut args = vec!["-S".to_string()];
            if numeric {
                args.push("-n".into());
            }
            status(process(&mut ctx, &args, false, &mut out))
        }
        Some((Wrapper::Restore, _)) => {
            let input = restore_input.unwrap_or_default();
            let kept: Vec<u8> = input
                .split(|b| *b == b'\n')
                .filter(|l| !l.starts_with(b"#"))
                .flat_map(|l| l.iter().copied().chain(std::iter::once(b'\n')))
                .collect();
            let _ = status(process(&mut ctx, &["-C".to_string()], false, &mut out));
            status(restore_from(&mut ctx, &kept, &mut out))
        }
        None if argv.len() == 1 => {
            // No arguments at all: like -L, with names resolved.
            status(list_all(&mut ctx, &Format::default(), false, &mut out).map(|_| 0))
        }
        None => status(process(&mut ctx, &argv[1..], false, &mut out)),
    };
    crate::stdio::finish(&mut out, &base).map_or_else(|c| c, |()| code)
}

/// `--netns` (entered now, removed from the command line) and `--check`
/// (run now); `Err` is the exit status of a finished run.
fn early_options(program: &str, args: &[String]) -> Result<Vec<String>, i32> {
    let (names, rest) = cli::split_netns(args);
    match names.as_slice() {
        [] => {}
        [name] => crate::netns::enter(name).map_err(|e| {
            eprintln!("{program}: {e}");
            2
        })?,
        _ => {
            eprintln!("{program}: --netns given more than once");
            return Err(2);
        }
    }
    if rest
        .iter()
        .any(|a| a == "--check" || a.starts_with("--check="))
    {
        if let Ok(Outcome::Check(file)) = cli::parse(&rest) {
            let mut out = io::stdout().lock();
            let code = crate::apply::run_check(program, &file, &mut out);
            let _ = out.flush();
            return Err(code);
        }
    }
    Ok(rest)
}

enum Wrapper {
    Save,
    Restore,
}

/// Restore the default SIGPIPE action so that `lvsadm -Ln | head` ends
/// quietly like a C program, instead of reporting a write error.
fn restore_sigpipe() {
    // SAFETY: setting a signal disposition to SIG_DFL at start-up, before any
    // other thread exists; no handler code is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Open the kernel interface; on failure load the module the way ipvsadm
/// does (`/sbin/modprobe -- ip_vs`) and try once more.
fn init() -> Result<Ipvs, i32> {
    match Ipvs::open() {
        Ok(i) => Ok(i),
        Err(first) => {
            let loaded = std::process::Command::new("/sbin/modprobe")
                .args(["--", "ip_vs"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !loaded {
                return Err(first.errno);
            }
            Ipvs::open().map_err(|e| e.errno)
        }
    }
}

fn print_kernel_error(op: Op, errno: i32) {
    eprintln!("{}", ipvs_strerror(op, errno));
}

/// ipvsadm's `process_options`: parse, check and run one command line.
///
/// `Ok(0)` on success, `Ok(-1)` when the kernel refused the request or popt
/// failed on a later option (ipvsadm goes on with the next line of a
/// restore); `Err(Exit(code))` where ipvsadm calls `exit()` (parse errors,
/// listing failures, `-h`...), which also ends a restore.
pub fn process<W: Write>(
    ctx: &mut Ctx,
    args: &[String],
    reading_stdin: bool,
    out: &mut W,
) -> Result<i32, Exit> {
    let parsed = match cli::parse(args) {
        Ok(Outcome::Run(p)) => *p,
        Ok(Outcome::Help) => {
            let _ = out.write_all(cli::usage::usage(&ctx.program).as_bytes());
            return Err(Exit(0));
        }
        Ok(Outcome::Version) => {
            let _ = out.write_all(cli::usage::VERSION.as_bytes());
            return Err(Exit(0));
        }
        Ok(Outcome::Apply(a)) => return Ok(crate::apply::run_apply(ctx, &a, out)),
        Ok(Outcome::Check(file)) => return Ok(crate::apply::run_check(&ctx.program, &file, out)),
        Err(CliError::TryHelp) => {
            try_help(&ctx.program);
            return Err(Exit(255));
        }
        Err(CliError::Fatal { code, msg }) => {
            eprintln!("{msg}");
            return Err(Exit(code));
        }
        Err(CliError::Popt(msg)) => {
            eprintln!("{msg}");
            return Ok(-1);
        }
    };
    run(ctx, &parsed, reading_stdin, out)
}

fn try_help(program: &str) {
    eprintln!("Try `{program} -h' or '{program} --help' for more information.");
}

/// The kernel request of a set command, with the operation that decides the
/// wording of its error message.
pub fn request_of(p: &Parsed) -> Option<(Request, Op)> {
    request_from(p.clone())
}

/// [`request_of`], consuming the parsed line (no copies).
pub fn request_from(p: Parsed) -> Option<(Request, Op)> {
    let svc = p.svc;
    Some(match p.cmd {
        Cmd::Flush => (Request::Flush, Op::Other),
        Cmd::AddService => (Request::NewService(svc), Op::AddService),
        Cmd::EditService => (Request::SetService(svc), Op::EditService),
        Cmd::DelService => (Request::DelService(svc), Op::DelService),
        Cmd::Zero => {
            let keyless = svc.fwmark == 0 && svc.addr == [0; 16] && svc.port == 0;
            (
                Request::Zero(if keyless { None } else { Some(svc) }),
                Op::ZeroService,
            )
        }
        Cmd::AddDest => (Request::NewDest(svc, p.dest), Op::AddDest),
        Cmd::EditDest => (Request::SetDest(svc, p.dest), Op::EditDest),
        Cmd::DelDest => (Request::DelDest(svc, p.dest), Op::DelDest),
        Cmd::SetTimeout => (Request::SetConfig(p.timeouts), Op::Other),
        Cmd::StartDaemon => (Request::NewDaemon(p.daemon), Op::StartDaemon),
        Cmd::StopDaemon => (Request::DelDaemon(p.daemon), Op::StopDaemon),
        Cmd::List | Cmd::Save | Cmd::Restore => return None,
    })
}

fn run<W: Write>(ctx: &mut Ctx, p: &Parsed, reading_stdin: bool, out: &mut W) -> Result<i32, Exit> {
    match p.cmd {
        Cmd::List if p.format.json => {
            crate::json::list(&mut ctx.ipvs, p, out).map_err(Exit)?;
            Ok(0)
        }
        Cmd::List => {
            if p.has(cli::Opt::Connection) {
                list_connections(&p.format, p.has(cli::Opt::PersistentConn), out)?;
            } else if p.has(cli::Opt::Service) {
                list_service(ctx, &p.svc, &p.format, out)?;
            } else if p.has(cli::Opt::Timeout) {
                let t = ctx.ipvs.timeouts().map_err(|_| Exit(1))?;
                let _ = format::write_timeouts(out, &t);
            } else if p.has(cli::Opt::Daemon) {
                let d = ctx.ipvs.daemons().map_err(|_| Exit(1))?;
                let _ = format::write_daemons(out, &d);
            } else {
                list_all(ctx, &p.format, false, out)?;
            }
            Ok(0)
        }
        Cmd::Save => {
            list_all(ctx, &p.format, true, out)?;
            Ok(0)
        }
        Cmd::Restore => {
            if reading_stdin {
                try_help(&ctx.program);
                return Err(Exit(255));
            }
            restore(ctx, out)
        }
        _ => {
            let (req, op) = request_of(p).expect("set command");
            match ctx.ipvs.execute(&req) {
                Ok(()) => Ok(0),
                Err(e) => {
                    print_kernel_error(op, e.errno);
                    Ok(-1)
                }
            }
        }
    }
}

fn list_options(f: &Format) -> ListOptions {
    let mode = if f.stats {
        ListMode::Stats
    } else if f.rate {
        ListMode::Rate
    } else if f.thresholds {
        ListMode::Thresholds
    } else if f.persistent_conn {
        ListMode::PersistentConn
    } else if f.tun_info {
        ListMode::TunInfo
    } else {
        ListMode::Default
    };
    ListOptions {
        mode,
        numeric: f.numeric,
        exact: f.exact,
        nosort: f.nosort,
    }
}

/// `-L`, `-S` and no arguments: banner, every service with its destinations.
///
/// Streams like ipvsadm: the services are fetched and sorted, then each
/// service's destinations are fetched, sorted and printed before the next
/// service's are asked for (one reused buffer, sorting moves only indices).
/// A failing destination dump ends the listing there with status 1, after
/// what was printed so far, as in ipvsadm.
pub fn list_all<W: Write>(ctx: &mut Ctx, f: &Format, rule: bool, out: &mut W) -> Result<(), Exit> {
    let opts = list_options(f);
    if !rule {
        let _ = format::write_banner(out, &ctx.ipvs.info());
    }
    let services = match ctx.ipvs.services() {
        Ok(s) => s,
        Err(e) => {
            print_kernel_error(Op::GetServices, e.errno);
            return Err(Exit(1));
        }
    };
    let mut order: Vec<&Service> = services.iter().collect();
    if !f.nosort {
        sort::sort_service_refs(&mut order);
    }
    if !rule {
        let _ = format::write_title(out, &opts);
    }
    // The default listing and the save format need only what the kernel's
    // proc table shows (see `procfs`): take the destinations from one read
    // of it, and ask netlink per service only for what it lacks.
    let mut source = if opts.mode != ListMode::Default {
        Source::Netlink
    } else if rule {
        Source::Probe {
            left: SAVE_PROBE.min(order.len()),
            no_tunnel: 0,
        }
    } else {
        Source::proc_table()
    };
    let mut dests: Vec<Dest> = Vec::new();
    let mut idx: Vec<usize> = Vec::new();
    for svc in order {
        let from_proc = match &source {
            Source::Proc(t) => t
                .dests(svc)
                .filter(|d| !rule || !d.iter().any(Dest::is_tunnel)),
            _ => None,
        };
        let list: &[Dest] = match from_proc {
            Some(d) => d,
            None => {
                if let Err(e) = ctx.ipvs.dests_into(svc, &mut dests) {
                    print_kernel_error(Op::GetDests, e.errno);
                    return Err(Exit(1));
                }
                &dests
            }
        };
        print_service(svc, list, &mut idx, &opts, rule, out);
        let tunnel_free = !list.iter().any(Dest::is_tunnel);
        if let Source::Probe { left, no_tunnel } = &mut source {
            if tunnel_free {
                *no_tunnel += 1;
            }
            *left -= 1;
            if *left == 0 {
                // Worth a read of the whole table only if it can serve
                // many of the remaining services.
                source = if *no_tunnel * 2 >= SAVE_PROBE {
                    Source::proc_table()
                } else {
                    Source::Netlink
                };
            }
        }
    }
    Ok(())
}

/// Services whose destinations `-S` takes from netlink before it decides
/// whether to read `/proc/net/ip_vs` for the rest.
///
/// A save line of a tunnel destination needs its tunnel type, which only
/// netlink gives (one `GET_DEST` dump per service); the proc table serves
/// only services without tunnel destinations. Reading the whole table costs
/// about what the dumps of a third to a half of the services cost (TCG
/// guest: 10000 services x 4 destinations, table 250 ms, dumps 780 ms;
/// 2000 x 50: 330 ms and 740 ms). So the first services are dumped, and
/// the table is read only if at least half of them had no tunnel
/// destination; otherwise the rest is dumped too.
const SAVE_PROBE: usize = 64;

/// Where a listing takes its destinations from.
enum Source {
    /// One `GET_DEST` dump per service.
    Netlink,
    /// Dumps, counting services without tunnel destinations; after `left`
    /// more services, switch to the proc table or stay with netlink.
    Probe { left: usize, no_tunnel: usize },
    /// `/proc/net/ip_vs`, netlink for what it lacks.
    Proc(crate::procfs::ProcTable),
}

impl Source {
    fn proc_table() -> Source {
        match crate::procfs::read() {
            Some(t) => Source::Proc(t),
            None => Source::Netlink,
        }
    }
}

/// Print one service and its destinations (sorted unless `--nosort`), as
/// listing rows or, with `rule`, as save lines. `idx` is scratch space for
/// the sort, reused from one service to the next (only indices move).
fn print_service<W: Write>(
    svc: &Service,
    dests: &[Dest],
    idx: &mut Vec<usize>,
    opts: &ListOptions,
    rule: bool,
    out: &mut W,
) {
    idx.clear();
    idx.extend(0..dests.len());
    if !opts.nosort {
        sort::glibc_msort(idx, |&a, &b| sort::cmp_dests(&dests[a], &dests[b]));
    }
    if rule {
        let _ = format::write_save_service(out, svc, opts.numeric);
        for &i in idx.iter() {
            let _ = format::write_save_dest(out, svc, &dests[i], opts.numeric);
        }
    } else {
        let _ = format::write_service(out, svc, opts);
        for &i in idx.iter() {
            let _ = format::write_dest(out, svc, &dests[i], opts);
        }
    }
}

/// `-L <service>`: no banner; a missing service is an error with status 1.
fn list_service<W: Write>(
    ctx: &mut Ctx,
    key: &Service,
    f: &Format,
    out: &mut W,
) -> Result<(), Exit> {
    let opts = list_options(f);
    let svc = match ctx.ipvs.service(key) {
        Ok(s) => s,
        Err(e) => {
            print_kernel_error(Op::GetService, e.errno);
            return Err(Exit(1));
        }
    };
    let dests = match ctx.ipvs.dests(&svc) {
        Ok(d) => d,
        Err(e) => {
            print_kernel_error(Op::GetDests, e.errno);
            return Err(Exit(1));
        }
    };
    let _ = format::write_title(out, &opts);
    print_service(&svc, &dests, &mut Vec::new(), &opts, false, out);
    Ok(())
}

fn list_connections<W: Write>(f: &Format, persistent_conn: bool, out: &mut W) -> Result<(), Exit> {
    match format::write_connections(
        out,
        Path::new("/proc/net/ip_vs_conn"),
        f.numeric,
        persistent_conn,
    ) {
        Ok(()) => Ok(()),
        Err(format::ConnError::SilentExit) => Err(Exit(1)),
        Err(e) => {
            eprintln!("{e}");
            Err(Exit(1))
        }
    }
}

/// The longest word ipvsadm's config reader keeps: longer runs of
/// non-blanks are cut into words of this many bytes (observed: a
/// 5000-character word becomes one of 4096 and one of 904).
const RESTORE_MAX_WORD: usize = 4096;

/// Split one restore line into words as ipvsadm's config reader does:
/// blanks, tabs and carriage returns separate words, there is no quoting,
/// words longer than 4096 bytes are cut, and a word that is exactly
/// `ipvsadm` is dropped.
pub fn restore_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for w in line.split([' ', '\t', '\r', '\n']) {
        let mut piece = String::new();
        for c in w.chars() {
            if piece.len() + c.len_utf8() > RESTORE_MAX_WORD {
                words.push(std::mem::take(&mut piece));
            }
            piece.push(c);
        }
        if !piece.is_empty() {
            words.push(piece);
        }
    }
    words.retain(|w| w != "ipvsadm");
    words
}

/// `-R`: run every line of standard input; the status is the last line's.
///
/// The input is read in blocks of whole lines and each block is run before
/// the next is read, as ipvsadm reads line by line: memory stays bounded by
/// the block size and the longest line, whatever the input's size, and a
/// restore that ends at a line (an error that aborts it) reads no further —
/// an endless input ends there too.
fn restore<W: Write>(ctx: &mut Ctx, out: &mut W) -> Result<i32, Exit> {
    let mut stdin = io::stdin().lock();
    let mut run = Restore::default();
    let mut buf: Vec<u8> = Vec::new();
    // where the search for a newline resumes in `buf`
    let mut scanned = 0;
    loop {
        let len = buf.len();
        buf.resize(len + RESTORE_READ, 0);
        let n = match stdin.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(len);
                continue;
            }
            // a read error ends the input, as EOF does for ipvsadm's getc
            Err(_) => 0,
        };
        buf.truncate(len + n);
        if n == 0 {
            break;
        }
        // run the whole lines once a block's worth is there
        if buf.len() < RESTORE_BLOCK {
            continue;
        }
        match buf[scanned..].iter().rposition(|b| *b == b'\n') {
            Some(at) => {
                let end = scanned + at + 1;
                run.lines(ctx, &buf[..end], out)?;
                buf.drain(..end);
                scanned = 0;
            }
            // a line longer than a block: read on until its end
            None => scanned = buf.len(),
        }
    }
    run.lines(ctx, &buf, out)?;
    Ok(run.finish(ctx))
}

/// How much `-R` reads at a time, and how much it runs at a time.
const RESTORE_READ: usize = 64 * 1024;
const RESTORE_BLOCK: usize = 1024 * 1024;

/// How many restore lines are parsed before their requests are sent.
const RESTORE_CHUNK: usize = 4096;

/// A restore line waiting for the kernel's answer, in input order.
enum Queued {
    /// A set command: index into the request list, and its error wording.
    Request(usize, Op),
    /// A popt error on a later option: printed in turn, the line's result is -1.
    Message(String),
}

/// Run every line of `input` as a command line (ipvsadm's `restore_table`),
/// with the same messages, exit status and abort points, but with the
/// kernel requests of consecutive set commands pipelined on one socket.
pub fn restore_from<W: Write>(ctx: &mut Ctx, input: &[u8], out: &mut W) -> Result<i32, Exit> {
    let mut run = Restore::default();
    run.lines(ctx, input, out)?;
    Ok(run.finish(ctx))
}

/// A restore in progress: the lines given so far, some of them with their
/// requests still queued.
///
/// Lines that are not set commands (listings, `-h`, errors that end the run,
/// a nested `-R`) are barriers: everything before them is sent and answered
/// first, then they run exactly as on the command line.
#[derive(Default)]
struct Restore {
    /// The last line's result.
    result: i32,
    queue: Vec<Queued>,
    requests: Vec<Request>,
}

impl Restore {
    /// Run the lines of `input` (whole lines; a last one without a newline
    /// is a line too).
    fn lines<W: Write>(&mut self, ctx: &mut Ctx, input: &[u8], out: &mut W) -> Result<(), Exit> {
        let mut toks: Vec<&str> = Vec::with_capacity(32);
        for line in input.split(|b| *b == b'\n') {
            // Plain -A/-a lines (what -S writes) take the allocation-free path.
            let simple = std::str::from_utf8(line).ok().and_then(|text| {
                fast_words(text, &mut toks);
                cli::fast::parse_simple(&toks)
            });
            if let Some(p) = simple {
                if let Some(r) = enqueue(ctx, p, &mut self.queue, &mut self.requests) {
                    self.result = r;
                }
                continue;
            }
            let words = restore_words(&String::from_utf8_lossy(line));
            if words.is_empty() {
                continue;
            }
            match cli::parse(&words) {
                Ok(Outcome::Run(p)) if !matches!(p.cmd, Cmd::List | Cmd::Save | Cmd::Restore) => {
                    if let Some(r) = enqueue(ctx, *p, &mut self.queue, &mut self.requests) {
                        self.result = r;
                    }
                }
                Err(CliError::Popt(msg)) => self.queue.push(Queued::Message(msg)),
                _ => {
                    if !self.queue.is_empty() {
                        send_queued(ctx, &mut self.queue, &mut self.requests);
                    }
                    self.result = process(ctx, &words, true, out)?;
                }
            }
        }
        Ok(())
    }

    /// Send what is still queued; the status of the whole restore.
    fn finish(mut self, ctx: &mut Ctx) -> i32 {
        if !self.queue.is_empty() {
            self.result = send_queued(ctx, &mut self.queue, &mut self.requests);
        }
        self.result
    }
}

/// The words of a restore line for the fast path: split at blanks, tabs
/// and carriage returns, empty words and `ipvsadm` left out (what
/// `restore_words` keeps for lines the fast path takes). A byte loop: with
/// 100 000 lines this is a good part of `-R`'s own time.
fn fast_words<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b' ' | b'\t' | b'\r') {
            if i > start && &text[start..i] != "ipvsadm" {
                out.push(&text[start..i]);
            }
            start = i + 1;
        }
    }
    if bytes.len() > start && &text[start..] != "ipvsadm" {
        out.push(&text[start..]);
    }
}

/// Queue the request of a parsed set command; when the chunk is full, send
/// it and return the last line's result.
fn enqueue(
    ctx: &mut Ctx,
    p: Parsed,
    queue: &mut Vec<Queued>,
    requests: &mut Vec<Request>,
) -> Option<i32> {
    let (req, op) = request_from(p).expect("set command");
    queue.push(Queued::Request(requests.len(), op));
    requests.push(req);
    (queue.len() >= RESTORE_CHUNK).then(|| send_queued(ctx, queue, requests))
}

/// Send the queued requests in one pipelined batch and report each line's
/// outcome in order; returns the last line's result.
fn send_queued(ctx: &mut Ctx, queue: &mut Vec<Queued>, requests: &mut Vec<Request>) -> i32 {
    let results = ctx.ipvs.execute_batch(requests);
    let mut last = 0;
    for q in queue.drain(..) {
        last = match q {
            Queued::Message(m) => {
                eprintln!("{m}");
                -1
            }
            Queued::Request(i, op) => match &results[i] {
                Ok(()) => 0,
                Err(e) => {
                    print_kernel_error(op, e.errno);
                    -1
                }
            },
        };
    }
    requests.clear();
    last
}

#[cfg(test)]
mod tests {
    use super::{fast_words, restore_words};

    #[test]
    fn fast_words_split_like_str_split() {
        for line in [
            "",
            " ",
            "-A -t 192.0.2.1:80 -s rr",
            "ipvsadm\t-a  -t\r192.0.2.1:80 ipvsadm -r 198.51.100.1 -m\r",
            "ipvsadm",
            "xipvsadm ipvsadmx \t\t-w 1 ",
            "é -A\u{a0}x",
        ] {
            let want: Vec<&str> = line
                .split([' ', '\t', '\r'])
                .filter(|w| !w.is_empty() && *w != "ipvsadm")
                .collect();
            let mut got = Vec::new();
            fast_words(line, &mut got);
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn restore_words_split_on_blanks_and_drop_ipvsadm() {
        assert_eq!(
            restore_words("ipvsadm\t-A  -t\r192.0.2.1:80 ipvsadm -s rr\r"),
            vec!["-A", "-t", "192.0.2.1:80", "-s", "rr"]
        );
        assert!(restore_words(" \t ipvsadm ").is_empty());
    }

    #[test]
    fn restore_words_cut_long_words_at_4096_bytes() {
        let long = "x".repeat(5000);
        let w = restore_words(&format!("-s {long} ipvsadm"));
        assert_eq!(w.len(), 3);
        assert_eq!((w[1].len(), w[2].len()), (4096, 904));
        let w = restore_words(&"y".repeat(8192));
        assert_eq!(
            w.iter().map(String::len).collect::<Vec<_>>(),
            vec![4096, 4096]
        );
    }
}
