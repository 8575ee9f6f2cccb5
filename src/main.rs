//! The `lvsadm` program.
//!
//! The process starts at the C `main` rather than Rust's: the standard
//! library's start-up (`lang_start`) asks glibc for the main thread's stack
//! bounds to place a guard, and glibc finds them by reading and parsing
//! `/proc/self/maps` — a quarter of the instructions a single command like
//! `lvsadm -C` runs, and a file the kernel formats anew each time. A command
//! that sends one request gains nothing from it; ipvsadm does not pay it.
//! Arguments are still read through `std::env::args` (the standard library
//! takes them from the C runtime's initialisation, not from `lang_start`),
//! and standard output is flushed before the process ends.
//! (Under `cargo test` the test harness brings its own `main`, so this one
//! is left out there.)
//!
//! `#[no_mangle]` is an unsafe attribute (two symbols of one name would be
//! undefined behaviour), so the `unsafe_code` lint flags it: this one item
//! is the program's exception, allowed here. The library target of the
//! program forbids `unsafe`; the system calls are in the `lvs` crate.
#![cfg_attr(not(test), no_main)]
#![deny(unsafe_code)]

#[cfg(not(test))]
use std::io::Write;

/// The C entry point: runs lvsadm and returns its exit status.
#[cfg(not(test))]
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = lvsadm::main_entry();
    let _ = std::io::stdout().flush();
    code
}
