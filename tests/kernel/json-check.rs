//! tests/kernel/json-check: a strict JSON validator for the test guest
//! (which has no python or jq). Compiled with rustc by the scripts that
//! need it (tests/kernel/load, tests/kernel/faults).
//!
//! usage: json-check FILE...
//!        json-check --flat FILE
//!
//! Each FILE must hold exactly one JSON value (RFC 8259: objects, arrays,
//! strings with valid escapes and no control characters, numbers in the
//! JSON grammar, true/false/null), optionally surrounded by whitespace.
//! Duplicate keys in one object are refused too. Prints `FILE: ok` or
//! `FILE: byte N: what is wrong`; exits 0 only if every file is valid.
//! With `--flat`, a valid FILE is printed as one `path=value` line per
//! scalar (`services.0.destinations.3.port=80`; strings without their
//! quotes, escapes left as they are), for checks in awk.

use std::collections::HashSet;

struct P<'a> {
    s: &'a [u8],
    i: usize,
    /// With `--flat`: the path of the current value, and the output.
    flat: Option<(Vec<String>, String)>,
}

type R = Result<(), String>;

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("byte {}: {what}", self.i))
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn lit(&mut self, w: &[u8]) -> R {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(())
        } else {
            self.err("unknown literal")
        }
    }
    /// Prints `path=value` for the scalar that ends at the current position.
    fn emit(&mut self, start: usize) {
        if let Some((path, out)) = &mut self.flat {
            let mut v = &self.s[start..self.i];
            if v.first() == Some(&b'"') {
                v = &v[1..v.len() - 1];
            }
            out.push_str(&path.join("."));
            out.push('=');
            out.push_str(&String::from_utf8_lossy(v));
            out.push('\n');
        }
    }
    fn push(&mut self, part: String) {
        if let Some((path, _)) = &mut self.flat {
            path.push(part);
        }
    }
    fn pop(&mut self) {
        if let Some((path, _)) = &mut self.flat {
            path.pop();
        }
    }
    fn value(&mut self, depth: usize) -> R {
        if depth > 512 {
            return self.err("nested too deeply");
        }
        self.ws();
        let start = self.i;
        let r = self.value_at(depth);
        if r.is_ok() && !matches!(self.s[start], b'{' | b'[') {
            self.emit(start);
        }
        r
    }
    fn value_at(&mut self, depth: usize) -> R {
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut keys = HashSet::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    let start = self.i;
                    self.string()?;
                    if !keys.insert(self.s[start..self.i].to_vec()) {
                        return self.err("duplicate key");
                    }
                    self.ws();
                    if self.peek() != Some(b':') {
                        return self.err("':' expected");
                    }
                    self.i += 1;
                    let key = String::from_utf8_lossy(&self.s[start + 1..keys_end(self.s, start)]).into_owned();
                    self.push(key);
                    self.value(depth + 1)?;
                    self.pop();
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("',' or '}' expected"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                let mut n = 0;
                loop {
                    self.push(n.to_string());
                    self.value(depth + 1)?;
                    self.pop();
                    n += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("',' or ']' expected"),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.lit(b"true"),
            Some(b'f') => self.lit(b"false"),
            Some(b'n') => self.lit(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.err("a value expected"),
            None => self.err("unexpected end"),
        }
    }
    fn string(&mut self) -> R {
        if self.peek() != Some(b'"') {
            return self.err("string expected");
        }
        let start = self.i + 1;
        self.i += 1;
        loop {
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return self.err("bad \\u escape");
                            }
                            self.i += 5;
                        }
                        _ => return self.err("bad escape"),
                    }
                }
                Some(c) if c < 0x20 => return self.err("control character in a string"),
                Some(_) => self.i += 1,
            }
        }
        if std::str::from_utf8(&self.s[start..self.i - 1]).is_err() {
            return self.err("string is not UTF-8");
        }
        Ok(())
    }
    fn digits(&mut self) -> usize {
        let st = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - st
    }
    fn number(&mut self) -> R {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("digit expected"),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return self.err("digit expected after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return self.err("digit expected in the exponent");
            }
        }
        Ok(())
    }
}

/// The end (closing quote) of the string that starts at `start`.
fn keys_end(s: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while s[i] != b'"' {
        i += if s[i] == b'\\' { 2 } else { 1 };
    }
    i
}

fn check(s: &[u8], flat: bool) -> Result<String, String> {
    let mut p = P {
        s,
        i: 0,
        flat: flat.then(|| (Vec::new(), String::new())),
    };
    p.value(0)?;
    p.ws();
    if p.i != s.len() {
        return p.err("text after the value");
    }
    Ok(p.flat.map(|(_, out)| out).unwrap_or_default())
}

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    let flat = files.first().is_some_and(|a| a == "--flat");
    if flat {
        files.remove(0);
    }
    if files.is_empty() || (flat && files.len() != 1) {
        eprintln!("usage: json-check FILE...\n       json-check --flat FILE");
        std::process::exit(2);
    }
    let mut bad = false;
    for f in &files {
        match std::fs::read(f) {
            Ok(s) => match check(&s, flat) {
                Ok(out) if flat => print!("{out}"),
                Ok(_) => println!("{f}: ok"),
                Err(e) => {
                    println!("{f}: {e}");
                    bad = true;
                }
            },
            Err(e) => {
                println!("{f}: {e}");
                bad = true;
            }
        }
    }
    std::process::exit(i32::from(bad));
}
