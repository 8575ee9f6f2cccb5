//! `SIGINT`, `SIGTERM` and `SIGHUP` during `--apply`: instead of ending the
//! process between two kernel requests (leaving a table that is neither the
//! old one nor the new one), the signal is noted in an atomic and the
//! runner decides: undo what was done, or finish when the last change is
//! already in.

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicI32, Ordering};

/// The last termination signal received since [`catch`], 0 for none.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

const SIGNALS: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

/// The handler: one atomic store, which is async-signal-safe.
extern "C" fn note(signo: libc::c_int) {
    CAUGHT.store(signo, Ordering::SeqCst);
}

/// From now on, SIGINT/SIGTERM/SIGHUP only set the flag read by
/// [`caught`]. `SA_RESTART`: a netlink send or receive interrupted by the
/// signal is resumed, not failed with `EINTR`.
pub fn catch() {
    CAUGHT.store(0, Ordering::SeqCst);
    let act = SigAction::new(
        SigHandler::Handler(note),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for s in SIGNALS {
        // SAFETY: the handler only stores into an atomic (async-signal-safe,
        // touches no lock, no allocation, no errno); it stays valid for the
        // life of the process (a plain `extern "C" fn`).
        let _ = unsafe { sigaction(s, &act) };
    }
}

/// Back to the default actions (a signal ends the process).
pub fn release() {
    let act = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for s in SIGNALS {
        // SAFETY: installs the default disposition; no handler code of
        // this process is involved.
        let _ = unsafe { sigaction(s, &act) };
    }
}

/// The termination signal received since [`catch`], if any.
pub fn caught() -> Option<i32> {
    match CAUGHT.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The signal's name (`SIGTERM`).
pub fn name(signo: i32) -> String {
    Signal::try_from(signo)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signo}"))
}
