//! The command-line parser on arbitrary word lists: words are the input
//! split at NUL bytes (invalid UTF-8 replaced, as the program's entry does
//! with its arguments). Any result but a panic is fine.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let words: Vec<String> = data
        .split(|b| *b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    let _ = lvsadm::internals::cli::parse(&words);
    // The bare `-R`/`-C` shortcut agrees with the parser whenever it answers.
    if let Some(p) = lvsadm::internals::cli::fast::parse_bare(&words) {
        match lvsadm::internals::cli::parse(&words) {
            Ok(lvsadm::internals::cli::Outcome::Run(g)) => assert_eq!(*g, p, "{words:?}"),
            other => panic!("parse_bare accepted {words:?}, parse gave {other:?}"),
        }
    }
});
