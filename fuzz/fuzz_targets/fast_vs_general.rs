//! The restore fast path against the general parser, line by line: whenever
//! `parse_simple` accepts a line, the general parser gives the very same
//! command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lvsadm::internals::cli::{self, fast::parse_simple, words::fast_words, Outcome};

fuzz_target!(|data: &[u8]| {
    let mut toks = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        fast_words(text, &mut toks);
        let Some(fast) = parse_simple(&toks) else {
            continue;
        };
        let words: Vec<String> = toks.iter().map(|w| w.to_string()).collect();
        match cli::parse(&words) {
            Ok(Outcome::Run(general)) => assert_eq!(*general, fast, "line {text:?}"),
            other => panic!("fast path accepted {text:?}, general parser gave {other:?}"),
        }
    }
});
