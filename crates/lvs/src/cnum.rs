//! The C library's number parsing, as ipvsadm and the kernel's text tables
//! rely on it: `strtol`/`strtoul` (blanks, sign, `0x`, saturation),
//! `atoi`, and the canonical decimals of the restore fast path. The one
//! home of number parsing for the command line, the connection table and
//! `inet_aton`.

/// C `isspace` in the C locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A cursor over bytes that reads numbers the way `strtol`, `strtoul` and
/// `sscanf` do.
#[derive(Debug, Clone)]
pub struct Scan<'a> {
    /// The bytes.
    pub b: &'a [u8],
    /// The current position.
    pub pos: usize,
}

impl<'a> Scan<'a> {
    /// A cursor at the start of `b`.
    pub fn new(b: &'a [u8]) -> Scan<'a> {
        Scan { b, pos: 0 }
    }

    /// Skip C blanks.
    pub fn skip_space(&mut self) {
        while self.pos < self.b.len() && is_c_space(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    /// `sscanf`'s `%s`: the next run of non-blanks; `None` at the end.
    pub fn word(&mut self) -> Option<&'a [u8]> {
        self.skip_space();
        let start = self.pos;
        while self.pos < self.b.len() && !is_c_space(self.b[self.pos]) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.b[start..self.pos])
    }

    /// An optional sign; true for `-`.
    pub fn sign(&mut self) -> bool {
        match self.b.get(self.pos) {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'+') => {
                self.pos += 1;
                false
            }
            _ => false,
        }
    }

    /// Skip a `0x`/`0X` prefix when hex digits follow it (`strtoul` with
    /// base 16 or 0 takes just the `0` otherwise).
    pub fn hex_prefix(&mut self) -> bool {
        if self.b.get(self.pos) == Some(&b'0')
            && matches!(self.b.get(self.pos + 1), Some(b'x') | Some(b'X'))
            && self.b.get(self.pos + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            self.pos += 2;
            return true;
        }
        false
    }

    /// Digits of `radix` as an unsigned value saturating at `u64::MAX`;
    /// `None` when there is no digit.
    pub fn digits(&mut self, radix: u32) -> Option<u64> {
        let start = self.pos;
        let mut val: u64 = 0;
        while let Some(d) = self
            .b
            .get(self.pos)
            .and_then(|c| (*c as char).to_digit(radix))
        {
            val = val
                .saturating_mul(u64::from(radix))
                .saturating_add(u64::from(d));
            self.pos += 1;
        }
        (self.pos > start).then_some(val)
    }

    /// `strtol(.., 10)` from here: blanks, sign, digits, saturating at the
    /// `long` range; `None` when there is no digit.
    pub fn strtol10(&mut self) -> Option<i64> {
        self.skip_space();
        let neg = self.sign();
        let v = self.digits(10)?;
        Some(if neg {
            if v > i64::MAX as u64 {
                i64::MIN
            } else {
                -(v as i64)
            }
        } else {
            v.min(i64::MAX as u64) as i64
        })
    }

    /// `strtoul(.., 16)` from here: blanks, sign, `0x`, hex digits; a
    /// negative value wraps as in C. `None` when there is no digit.
    pub fn strtoul16(&mut self) -> Option<u64> {
        self.skip_space();
        let neg = self.sign();
        self.hex_prefix();
        let v = self.digits(16)?;
        Some(if neg { v.wrapping_neg() } else { v })
    }
}

/// C `strtol(s, &end, 10)` requiring the whole string to be a number.
/// Values beyond `i64` saturate, as strtol's do.
pub fn strtol_full(s: &str) -> Option<i64> {
    let mut sc = Scan::new(s.as_bytes());
    let v = sc.strtol10()?;
    (sc.pos == s.len()).then_some(v)
}

/// C `atoi`: leading blanks, sign, digits; anything else stops; no digits → 0.
pub fn atoi(s: &str) -> i64 {
    Scan::new(s.as_bytes()).strtol10().unwrap_or(0)
}

/// `strtoul(s + pos, &end, 0)` for bytes known to start with a digit at
/// `pos` (`0x` hex, leading `0` octal, else decimal): the value and the end
/// position, or `None` when the value does not fit in 32 bits.
pub fn strtoul_auto_u32(b: &[u8], pos: usize) -> Option<(u32, usize)> {
    let mut sc = Scan { b, pos };
    let radix = if sc.hex_prefix() {
        16
    } else if b.get(pos) == Some(&b'0') {
        8
    } else {
        10
    };
    let start = sc.pos;
    let mut val: u64 = 0;
    while let Some(d) = b.get(sc.pos).and_then(|c| (*c as char).to_digit(radix)) {
        val = val * u64::from(radix) + u64::from(d);
        if val > 0xffff_ffff {
            return None;
        }
        sc.pos += 1;
    }
    (sc.pos > start).then_some((val as u32, sc.pos))
}

/// A decimal number without sign, blanks or leading zeros (`0` itself is
/// fine), at most `max`: the only form the restore fast path takes, since
/// anything else may mean something else to the C parsers.
pub fn canonical_decimal(s: &str, max: u64) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    (v <= max).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol_full(" -12"), Some(-12));
        assert_eq!(strtol_full("+7"), Some(7));
        assert_eq!(strtol_full("7 "), None);
        assert_eq!(strtol_full(""), None);
        assert_eq!(strtol_full("-"), None);
        assert_eq!(strtol_full("99999999999999999999"), Some(i64::MAX));
        assert_eq!(strtol_full("-99999999999999999999"), Some(i64::MIN));
        assert_eq!(atoi("64x"), 64);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi(" -3"), -3);
    }

    #[test]
    fn strtoul_forms() {
        assert_eq!(strtoul_auto_u32(b"0x1F.", 0), Some((31, 4)));
        assert_eq!(strtoul_auto_u32(b"017", 0), Some((15, 3)));
        assert_eq!(strtoul_auto_u32(b"0x", 0), Some((0, 1)));
        assert_eq!(strtoul_auto_u32(b"4294967296", 0), None);
        assert_eq!(Scan::new(b" -1").strtoul16(), Some(u64::MAX));
        assert_eq!(canonical_decimal("010", 99), None);
        assert_eq!(canonical_decimal("0", 99), Some(0));
        assert_eq!(canonical_decimal("100", 99), None);
    }
}
