//! Compiles the option grammar, defined once with clap in
//! `src/cli/options.rs`, into a static table (`$OUT_DIR/option_table.rs`)
//! that the popt-style walker reads at run time: no clap `Command` is built
//! when lvsadm runs, which is most of a single command's start-up work.
//! A unit test checks the table against the clap definition.

#[allow(dead_code)]
#[path = "src/cli/options.rs"]
mod options;

fn main() {
    println!("cargo:rerun-if-changed=src/cli/options.rs");
    println!("cargo:rerun-if-changed=build.rs");
    {
        use std::fmt::Write as _;
        let mut t = String::from("&[\n");
        for a in options::command().get_arguments() {
            let takes = match options::takes(a) {
                options::Takes::Nothing => "Nothing",
                options::Takes::Value => "Value",
                options::Takes::Optional => "Optional",
                options::Takes::Attached => "Attached",
            };
            let _ = writeln!(
                t,
                "    Spec {{ id: {:?}, short: {:?}, long: {:?}, takes: Takes::{takes} }},",
                a.get_id().as_str(),
                a.get_short(),
                a.get_long(),
            );
        }
        t.push_str("]\n");
        let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
        std::fs::write(out.join("option_table.rs"), t).expect("write option_table.rs");
    }
    static_unwinder();
}

/// Link the unwinder (libgcc_eh, what libgcc_s.so holds) into the program
/// rather than load libgcc_s.so at each start: one shared library fewer to
/// map and relocate, and no run of its constructor (a CPU-feature probe),
/// for a single command a measurable share of its start-up (the bench's
/// start-up row). Whole archive, so that the symbols are defined before
/// the link line reaches `-lgcc_s`, which `--as-needed` then drops. Where
/// the C compiler knows no libgcc_eh.a, the program links libgcc_s as
/// before.
fn static_unwinder() {
    let Ok(out) = std::process::Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let path = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let Some(dir) = path
        .parent()
        .filter(|_| path.is_absolute() && path.exists())
    else {
        return;
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=gcc_eh");
}
