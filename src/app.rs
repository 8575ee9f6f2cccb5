//! Runs a parsed command against the kernel (being written).

/// Process entry point; returns the exit status.
pub fn main_entry() -> i32 {
    0
}
