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
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
use std::io::Write;

/// The C entry point: runs lvsadm and returns its exit status.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = lvsadm::app::main_entry();
    let _ = std::io::stdout().flush();
    code
}
