//! The few system calls lvsadm makes that neither the standard library,
//! nix nor neli offers safely. Every `unsafe` block of the crate outside
//! the name look-ups ([`crate::resolve`]) is here, each with the reason it
//! is sound.
#![allow(unsafe_code)]

pub(crate) mod netlink;
#[cfg(feature = "cli")]
pub mod signals;

/// Restore the default action of `SIGPIPE`, so that a write to a closed
/// pipe (`lvsadm -Ln | head`) ends the process quietly as it ends a C
/// program, instead of the write failing with `EPIPE`.
#[cfg(feature = "cli")]
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
