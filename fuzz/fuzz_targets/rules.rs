//! The rule-file checker (`--check`/`--apply`) on arbitrary text: no panic,
//! and every problem names a line of the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (wanted, problems) = lvsadm::internals::cli::rules::parse_rules(&text);
    let lines = text.lines().count().max(1);
    for p in &problems {
        assert!(p.line <= lines + 1, "problem on line {} of {lines}", p.line);
    }
    for w in &wanted {
        assert!(
            w.line >= 1 && w.line <= lines,
            "rule on line {} of {lines}",
            w.line
        );
    }
});
