//! `-R`: every line of the input run as a command line, the kernel
//! requests of consecutive set commands pipelined.

use super::run::{print_kernel_error, process, request_from, Ctx, Exit};
use crate::cli::{self, words::fast_words, words::restore_words, CliError, Cmd, Outcome, Parsed};
use crate::netlink::{Op, Request};
use std::io::{self, Read, Write};

/// `-R`: run every line of standard input; the status is the last line's.
pub fn restore<W: Write>(ctx: &mut Ctx<'_>, out: &mut W) -> Result<i32, Exit> {
    // One allocation when stdin is a file (`-R < rules`), instead of a
    // doubling series of copies.
    let size = nix::sys::stat::fstat(0).map_or(0, |st| st.st_size.max(0) as usize);
    let mut input = Vec::with_capacity(size.saturating_add(1));
    if io::stdin().lock().read_to_end(&mut input).is_err() {
        return Ok(0);
    }
    restore_from(ctx, &input, out)
}

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
///
/// Lines that are not set commands (listings, `-h`, errors that end the run,
/// a nested `-R`) are barriers: everything before them is sent and answered
/// first, then they run exactly as on the command line.
pub fn restore_from<W: Write>(ctx: &mut Ctx<'_>, input: &[u8], out: &mut W) -> Result<i32, Exit> {
    let mut result = 0;
    let mut queue: Vec<Queued> = Vec::new();
    let mut requests: Vec<Request> = Vec::new();
    let mut toks: Vec<&str> = Vec::with_capacity(32);
    for line in input.split(|b| *b == b'\n') {
        // Plain -A/-a lines (what -S writes) take the allocation-free path.
        let simple = std::str::from_utf8(line).ok().and_then(|text| {
            fast_words(text, &mut toks);
            cli::fast::parse_simple(&toks)
        });
        if let Some(p) = simple {
            if let Some(r) = enqueue(ctx, p, &mut queue, &mut requests) {
                result = r;
            }
            continue;
        }
        let words = restore_words(&String::from_utf8_lossy(line));
        if words.is_empty() {
            continue;
        }
        match cli::parse(&words) {
            Ok(Outcome::Run(p)) if !matches!(p.cmd, Cmd::List | Cmd::Save | Cmd::Restore) => {
                if let Some(r) = enqueue(ctx, *p, &mut queue, &mut requests) {
                    result = r;
                }
            }
            Err(CliError::Popt(msg)) => queue.push(Queued::Message(msg)),
            _ => {
                if !queue.is_empty() {
                    send_queued(ctx, &mut queue, &mut requests);
                }
                result = process(ctx, &words, true, out)?;
            }
        }
    }
    if !queue.is_empty() {
        result = send_queued(ctx, &mut queue, &mut requests);
    }
    Ok(result)
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
