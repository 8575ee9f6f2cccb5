//! Standard output buffered the way a C program's `stdout` is (glibc), so
//! that when stdout and stderr share a file or pipe (`2>&1`), the bytes
//! interleave exactly as ipvsadm's do.
//!
//! glibc makes `stdout` line buffered on a terminal and fully buffered
//! otherwise, with a buffer of the file's `st_blksize` (4096 for pipes and
//! most files; `BUFSIZ` = 8192 when that is 0). A fully buffered stream only
//! writes when a new byte does not fit any more: the data goes out in whole
//! buffers, and whatever remains is written at exit. Error messages go to
//! the unbuffered `stderr` at once, so with `2>&1` they come before the
//! listing text written before them, unless a buffer's worth was reached.

use std::io::{self, Write};

/// glibc's `BUFSIZ`, the buffer size when `st_blksize` is 0.
const BUFSIZ: usize = 8192;

/// How a stream is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffering {
    /// Written out at every newline (and when the buffer is full).
    Line(usize),
    /// Written out only in whole buffers of this size, and at the end.
    Full(usize),
}

/// A writer with C stdio buffering over `inner`.
pub struct CStdio<W: Write> {
    inner: W,
    buf: Vec<u8>,
    mode: Buffering,
    /// The first write to `inner` that failed (reported by the final
    /// `flush`, as a C program only notices at `exit`/`fclose`).
    error: Option<io::Error>,
    /// Something was handed to `inner`.
    wrote: bool,
}

impl<W: Write> CStdio<W> {
    /// A stream over `inner` with the given buffering.
    pub fn new(inner: W, mode: Buffering) -> Self {
        CStdio {
            inner,
            buf: Vec::new(),
            mode,
            error: None,
            wrote: false,
        }
    }

    fn emit(&mut self, n: usize) {
        let chunk: Vec<u8> = self.buf.drain(..n).collect();
        self.wrote = true;
        if let Err(e) = self
            .inner
            .write_all(&chunk)
            .and_then(|()| self.inner.flush())
        {
            self.error.get_or_insert(e);
        }
    }
}

impl<W: Write> Write for CStdio<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        match self.mode {
            Buffering::Full(size) => {
                while self.buf.len() > size {
                    self.emit(size);
                }
            }
            Buffering::Line(size) => {
                if data.contains(&b'\n') || self.buf.len() > size {
                    self.emit(self.buf.len());
                }
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.emit(self.buf.len());
        }
        match &self.error {
            Some(e) => Err(io::Error::new(e.kind(), e.to_string())),
            None => Ok(()),
        }
    }
}

/// The end of a run: writes out what is still buffered. If any write to
/// standard output failed (a full device, a closed descriptor), says so on
/// stderr — `PROGRAM: write error on standard output: REASON` — and returns
/// the exit status 1: output that did not arrive is not a success. (ipvsadm
/// does not check and exits 0.)
pub fn finish<W: Write>(out: &mut CStdio<W>, program: &str) -> Result<(), i32> {
    let flushed = out.flush();
    let flushed = if out.wrote && lvs::process::stdout_closed_at_start() {
        // The runtime put /dev/null in its place: what was written is lost.
        Err(io::Error::from_raw_os_error(libc::EBADF))
    } else {
        flushed
    };
    match flushed {
        Ok(()) => Ok(()),
        Err(e) => {
            eprintln!("{program}: write error on standard output: {}", reason(&e));
            Err(1)
        }
    }
}

/// An I/O error's reason without Rust's " (os error N)" suffix, as strerror.
fn reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// The buffering glibc gives `stdout` (file descriptor 1).
pub fn stdout_buffering() -> Buffering {
    let tty = nix::unistd::isatty(libc::STDOUT_FILENO).unwrap_or(false);
    let blksize =
        nix::sys::stat::fstat(libc::STDOUT_FILENO).map_or(0, |st| st.st_blksize.max(0) as usize);
    let size = if blksize > 0 { blksize } else { BUFSIZ };
    if tty {
        Buffering::Line(size)
    } else {
        Buffering::Full(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write that reaches the inner writer.
    #[derive(Default)]
    struct Chunks(Vec<Vec<u8>>);
    impl Write for &mut Chunks {
        fn write(&mut self, d: &[u8]) -> io::Result<usize> {
            self.0.push(d.to_vec());
            Ok(d.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn full_buffering_writes_whole_buffers_only_when_exceeded() {
        let mut rec = Chunks::default();
        {
            let mut w = CStdio::new(&mut rec, Buffering::Full(8));
            w.write_all(b"abcd\n").unwrap();
            w.write_all(b"efg").unwrap(); // exactly full: nothing written yet
            w.write_all(b"h").unwrap(); // one more byte: the full buffer goes out
            w.write_all(b"ijklmnopqrst").unwrap();
            w.flush().unwrap();
        }
        let sizes: Vec<usize> = rec.0.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![8, 8, 5]);
        assert_eq!(rec.0.concat(), b"abcd\nefghijklmnopqrst".to_vec());
    }

    #[test]
    fn line_buffering_writes_at_newlines() {
        let mut rec = Chunks::default();
        {
            let mut w = CStdio::new(&mut rec, Buffering::Line(4096));
            w.write_all(b"ab").unwrap();
            w.write_all(b"c\nd").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(rec.0, vec![b"abc\nd".to_vec()]);
    }

    /// Fails every write with ENOSPC, as `/dev/full` does.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_reported_at_the_end() {
        let mut w = CStdio::new(Full, Buffering::Full(8));
        w.write_all(b"more than eight bytes\n").unwrap();
        let e = w.flush().unwrap_err();
        assert_eq!(reason(&e), "No space left on device");
        assert_eq!(finish(&mut w, "lvsadm"), Err(1));
    }

    #[test]
    fn nothing_written_nothing_reported() {
        let mut w = CStdio::new(Full, Buffering::Full(8));
        assert_eq!(finish(&mut w, "lvsadm"), Ok(()));
        let mut rec = Chunks::default();
        let mut w = CStdio::new(&mut rec, Buffering::Full(8));
        w.write_all(b"abc\n").unwrap();
        assert_eq!(finish(&mut w, "lvsadm"), Ok(()));
    }
}
