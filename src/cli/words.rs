//! Splitting restore and rule-file lines into words, as ipvsadm's config
//! reader does.

/// The longest word ipvsadm's config reader keeps: longer runs of
/// non-blanks are cut into words of this many bytes (observed: a
/// 5000-character word becomes one of 4096 and one of 904).
const RESTORE_MAX_WORD: usize = 4096;

/// Split one restore line into words as ipvsadm's config reader does:
/// blanks, tabs and carriage returns separate words, there is no quoting,
/// words longer than 4096 bytes are cut, and a word that is exactly
/// `ipvsadm` is dropped.
pub fn restore_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for w in line.split([' ', '\t', '\r', '\n']) {
        let mut piece = String::new();
        for c in w.chars() {
            if piece.len() + c.len_utf8() > RESTORE_MAX_WORD {
                words.push(std::mem::take(&mut piece));
            }
            piece.push(c);
        }
        if !piece.is_empty() {
            words.push(piece);
        }
    }
    words.retain(|w| w != "ipvsadm");
    words
}

/// The words of a restore line for the fast path: split at blanks, tabs
/// and carriage returns, empty words and `ipvsadm` left out (what
/// `restore_words` keeps for lines the fast path takes). A byte loop: with
/// 100 000 lines this is a good part of `-R`'s own time.
pub fn fast_words<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b' ' | b'\t' | b'\r') {
            if i > start && &text[start..i] != "ipvsadm" {
                out.push(&text[start..i]);
            }
            start = i + 1;
        }
    }
    if bytes.len() > start && &text[start..] != "ipvsadm" {
        out.push(&text[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::{fast_words, restore_words};

    #[test]
    fn fast_words_split_like_str_split() {
        for line in [
            "",
            " ",
            "-A -t 192.0.2.1:80 -s rr",
            "ipvsadm\t-a  -t\r192.0.2.1:80 ipvsadm -r 198.51.100.1 -m\r",
            "ipvsadm",
            "xipvsadm ipvsadmx \t\t-w 1 ",
            "é -A\u{a0}x",
        ] {
            let want: Vec<&str> = line
                .split([' ', '\t', '\r'])
                .filter(|w| !w.is_empty() && *w != "ipvsadm")
                .collect();
            let mut got = Vec::new();
            fast_words(line, &mut got);
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn restore_words_split_on_blanks_and_drop_ipvsadm() {
        assert_eq!(
            restore_words("ipvsadm\t-A  -t\r192.0.2.1:80 ipvsadm -s rr\r"),
            vec!["-A", "-t", "192.0.2.1:80", "-s", "rr"]
        );
        assert!(restore_words(" \t ipvsadm ").is_empty());
    }

    #[test]
    fn restore_words_cut_long_words_at_4096_bytes() {
        let long = "x".repeat(5000);
        let w = restore_words(&format!("-s {long} ipvsadm"));
        assert_eq!(w.len(), 3);
        assert_eq!((w[1].len(), w[2].len()), (4096, 904));
        let w = restore_words(&"y".repeat(8192));
        assert_eq!(
            w.iter().map(String::len).collect::<Vec<_>>(),
            vec![4096, 4096]
        );
    }
}
