//! `-R`: every line of the input run as a command line, the kernel
//! requests of consecutive set commands pipelined.

use super::ctx::{print_kernel_error, Ctx, Exit};
use super::run::{process, request_from};
use crate::cli::{self, words::fast_words, words::restore_words, CliError, Cmd, Outcome, Parsed};
use lvs::netlink::{Op, Request};
use std::io::{self, Read, Write};

/// `-R`: run every line of standard input; the status is the last line's.
///
/// The input is read in blocks of whole lines and each block is run before
/// the next is read, as ipvsadm reads line by line: memory stays bounded by
/// the block size and the longest line, whatever the input's size, and a
/// restore that ends at a line (an error that aborts it) reads no further —
/// an endless input ends there too.
pub fn restore<W: Write>(ctx: &mut Ctx<'_>, out: &mut W) -> Result<i32, Exit> {
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
pub fn restore_from<W: Write>(ctx: &mut Ctx<'_>, input: &[u8], out: &mut W) -> Result<i32, Exit> {
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
    fn lines<W: Write>(
        &mut self,
        ctx: &mut Ctx<'_>,
        input: &[u8],
        out: &mut W,
    ) -> Result<(), Exit> {
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
    fn finish(mut self, ctx: &mut Ctx<'_>) -> i32 {
        if !self.queue.is_empty() {
            self.result = send_queued(ctx, &mut self.queue, &mut self.requests);
        }
        self.result
    }
}

/// Queue the request of a parsed set command; when the chunk is full, send
/// it and return the last line's result.
fn enqueue(
    ctx: &mut Ctx<'_>,
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
fn send_queued(ctx: &mut Ctx<'_>, queue: &mut Vec<Queued>, requests: &mut Vec<Request>) -> i32 {
    let results = ctx.kernel.execute_batch(requests);
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
                    print_kernel_error(op, e.errno());
                    -1
                }
            },
        };
    }
    requests.clear();
    last
}
