//! Process-wide system calls a command-line tool managing IPVS needs:
//! `SIGPIPE` back to its default action, termination signals noted instead
//! of ending the process in the middle of a change set ([`signals`]), and
//! whether descriptor 1 was closed when the process started.

/// Restore the default action of `SIGPIPE`, so that a write to a closed
/// pipe (`lvsadm -Ln | head`) ends the process quietly as it ends a C
/// program, instead of the write failing with `EPIPE`.
pub fn default_sigpipe() {
    // SAFETY: installs the default disposition (no handler code runs in
    // this process because of it); called at start-up. nix's `signal` is
    // an unsafe fn for the handler case only.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
}

/// Descriptor 1 was closed when the process started (`>&-`). The Rust
/// runtime then opens `/dev/null` in its place before `main`, so that a
/// write would silently succeed; this records the state before that.
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Run by the C runtime before `main` (an `.init_array` entry), thus
/// before the Rust runtime replaces a closed descriptor 1.
extern "C" fn note_stdout_at_start() {
    let open = nix::fcntl::fcntl(libc::STDOUT_FILENO, nix::fcntl::FcntlArg::F_GETFD).is_ok();
    STDOUT_CLOSED_AT_START.store(!open, std::sync::atomic::Ordering::Relaxed);
}

// SAFETY (link_section): an `.init_array` entry is a plain function pointer
// the C runtime calls once, single-threaded, before `main`; the function
// only queries the descriptor table and stores an atomic.
#[used]
#[link_section = ".init_array"]
static NOTE_STDOUT_AT_START: extern "C" fn() = note_stdout_at_start;

/// Whether descriptor 1 was closed when the process started.
pub fn stdout_closed_at_start() -> bool {
    STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed)
}

pub mod signals;
