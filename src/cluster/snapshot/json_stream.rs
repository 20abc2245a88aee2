//! The fast path for JSON snapshots: a file is read in chunks and walked at the top level by
//! hand (`{`, keys, the `items` array), while each value is handed to `serde_json`, which decodes
//! it straight into slim structs and says where it ended. Only the current chunk is in memory, so
//! a 1 GB `kubectl get pods -A -o json` never is as a whole.
//!
//! Positions (line, column, character index, as [`crate::source::Pos`] counts them) are kept by
//! counting newlines and UTF-8 lead bytes over each chunk once, before it is dropped.

use std::borrow::Cow;
use std::io::Read;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::source::Pos;

/// How much is read at a time; an object larger than this grows the buffer.
const CHUNK: usize = 8 << 20;

/// Why the stream stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Io(std::io::Error),
    /// Invalid UTF-8 at this byte offset.
    #[error("not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: u64 },
    /// Not JSON (or not the JSON we expect) at `pos`.
    #[error("not valid JSON at line {} column {}: {message}", .pos.line, .pos.col)]
    Syntax { message: String, pos: Pos },
}

/// One value that `serde_json` could read as JSON but not as the requested type.
#[derive(Debug)]
pub struct DataError {
    pub error: serde_json::Error,
    /// Where `serde_json` stopped, in the stream.
    pub at: Pos,
    /// The value as plain JSON (to name the object).
    pub raw: Json,
}

pub struct JsonStream<'a, R> {
    src: R,
    /// Bytes read at a time ([`CHUNK`]; small in tests, to cut values anywhere).
    pub(super) chunk: usize,
    /// The text of an in-memory file (borrowed, read as a whole), or the current chunk.
    buf: Cow<'a, [u8]>,
    /// Next unread byte in `buf`.
    pos: usize,
    eof: bool,
    /// Bytes dropped before `buf[0]`.
    base: u64,
    /// `buf[..checked]` is known to be valid UTF-8.
    checked: usize,
    // Position of `buf[counted]`.
    counted: usize,
    line: u32,
    chars: usize,
    line_start_chars: usize,
}

impl<'a> JsonStream<'a, std::io::Empty> {
    /// A stream over text already in memory (files small enough to keep for snippets).
    pub fn from_text(text: &'a str) -> Result<Self, StreamError> {
        let mut s = JsonStream::new(std::io::empty());
        s.buf = Cow::Borrowed(text.as_bytes());
        s.eof = true;
        s.check_utf8()?;
        s.skip_bom();
        Ok(s)
    }
}

impl<R: Read> JsonStream<'_, R> {
    pub fn new(src: R) -> Self {
        JsonStream {
            src,
            chunk: CHUNK,
            buf: Cow::Owned(Vec::new()),
            pos: 0,
            eof: false,
            base: 0,
            checked: 0,
            counted: 0,
            line: 1,
            chars: 0,
            line_start_chars: 0,
        }
    }

    /// A stream reading `src` chunk by chunk.
    pub fn from_reader(src: R) -> Result<Self, StreamError> {
        let mut s = JsonStream::new(src);
        s.fill()?;
        s.skip_bom();
        Ok(s)
    }

    fn skip_bom(&mut self) {
        if self.buf.starts_with(b"\xEF\xBB\xBF") {
            // Counted in the character index, not in columns (as `yaml::parse` does).
            self.pos = 3;
            self.counted = 3;
            self.chars = 1;
            self.line_start_chars = 1;
        }
    }

    /// Read more input, dropping what has been consumed. `false` at end of input.
    fn fill(&mut self) -> Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.count_to(self.pos);
            self.buf.to_mut().drain(..self.pos);
            self.base += self.pos as u64;
            self.counted -= self.pos;
            self.checked = self.checked.saturating_sub(self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        let want = self.chunk.max(old);
        // Appends into spare capacity (no zeroing); fewer bytes than asked means the end.
        let read = (&mut self.src)
            .take(want as u64)
            .read_to_end(self.buf.to_mut())
            .map_err(StreamError::Io)?;
        if read < want {
            self.eof = true;
        }
        let filled = self.buf.len();
        self.check_utf8()?;
        Ok(filled > old)
    }

    fn check_utf8(&mut self) -> Result<(), StreamError> {
        match std::str::from_utf8(&self.buf[self.checked..]) {
            Ok(_) => self.checked = self.buf.len(),
            Err(e) => {
                let valid = self.checked + e.valid_up_to();
                // A sequence cut by the chunk boundary is completed by the next read.
                if e.error_len().is_some() || self.eof {
                    return Err(StreamError::NotUtf8 {
                        offset: self.base + valid as u64,
                    });
                }
                self.checked = valid;
            }
        }
        Ok(())
    }

    /// Advance the position counters to `buf[to]`.
    fn count_to(&mut self, to: usize) {
        if to <= self.counted {
            return;
        }
        let bytes = &self.buf[self.counted..to];
        let (newlines, continuations) = count_newlines_and_continuations(bytes);
        if newlines > 0 {
            self.line += newlines as u32;
            // Lines are short: the last newline is near the end.
            let last = bytes.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            let after = &bytes[last + 1..];
            let chars_after = after.len() - count_newlines_and_continuations(after).1;
            self.chars += bytes.len() - continuations;
            self.line_start_chars = self.chars - chars_after;
        } else {
            self.chars += bytes.len() - continuations;
        }
        self.counted = to;
    }

    /// Position of `buf[at]`; `at` must not be before the last position asked for.
    fn pos_at(&mut self, at: usize) -> Pos {
        self.count_to(at);
        Pos {
            line: self.line,
            col: (self.chars - self.line_start_chars + 1) as u32,
            index: self.chars,
        }
    }

    /// Position of the next unread byte.
    pub fn here(&mut self) -> Pos {
        self.pos_at(self.pos)
    }

    /// The next byte that is not JSON whitespace, not consumed; `None` at end of input.
    pub fn peek(&mut self) -> Result<Option<u8>, StreamError> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.pos += 1;
                } else {
                    return Ok(Some(b));
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consume `b` (after whitespace) or fail with `expected`.
    pub fn expect(&mut self, b: u8, expected: &str) -> Result<(), StreamError> {
        match self.peek()? {
            Some(c) if c == b => {
                self.pos += 1;
                Ok(())
            }
            found => Err(self.unexpected(found, expected)),
        }
    }

    /// Consume the next byte when it is `b`.
    pub fn eat(&mut self, b: u8) -> Result<bool, StreamError> {
        if self.peek()? == Some(b) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    pub fn unexpected(&mut self, found: Option<u8>, expected: &str) -> StreamError {
        let found = match found {
            None => "the end of the file".to_string(),
            Some(b) if b.is_ascii_graphic() => format!("`{}`", b as char),
            Some(b) => format!("byte 0x{b:02x}"),
        };
        StreamError::Syntax {
            message: format!("expected {expected}, found {found}"),
            pos: self.here(),
        }
    }

    /// Read one JSON value (after whitespace) as `T`. A value that is JSON but not a `T` is
    /// read as plain JSON instead and reported as `Ok(Err(..))`; broken JSON is a
    /// [`StreamError`].
    pub fn value<T: DeserializeOwned>(&mut self) -> Result<Result<T, DataError>, StreamError> {
        self.peek()?;
        loop {
            match self.try_value::<T>() {
                Attempt::Done(v, len) => {
                    self.pos += len;
                    return Ok(Ok(v));
                }
                Attempt::More => {
                    self.fill()?;
                }
                Attempt::Failed(error) if error.is_data() => {
                    let at = self.pos + self.offset_of(&error);
                    let at = self.pos_at(self.token_start(at));
                    let raw = match self.value::<Json>()? {
                        Ok(raw) => raw,
                        Err(e) => return Err(self.syntax(e.error)),
                    };
                    return Ok(Err(DataError { error, at, raw }));
                }
                Attempt::Failed(e) if e.is_eof() => return Err(self.truncated()),
                Attempt::Failed(e) => return Err(self.syntax(e)),
            }
        }
    }

    fn try_value<T: DeserializeOwned>(&self) -> Attempt<T> {
        let rest = &self.buf[self.pos..];
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<T>();
        match values.next() {
            Some(Ok(v)) => {
                let len = values.byte_offset();
                // A number or literal ending exactly at the chunk's end may go on in the next.
                if len == rest.len() && !self.eof {
                    Attempt::More
                } else {
                    Attempt::Done(v, len)
                }
            }
            Some(Err(e)) if e.is_eof() && !self.eof => Attempt::More,
            Some(Err(e)) => Attempt::Failed(e),
            None if self.eof => Attempt::Failed(serde_json::Error::io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "end of file",
            ))),
            None => Attempt::More,
        }
    }

    /// Byte offset (from `self.pos`) of a `serde_json` error position.
    fn offset_of(&self, e: &serde_json::Error) -> usize {
        let rest = &self.buf[self.pos..];
        if e.line() == 0 {
            return 0;
        }
        let mut line_start = 0;
        if e.line() > 1 {
            let mut newlines = 0;
            for (i, &b) in rest.iter().enumerate() {
                if b == b'\n' {
                    newlines += 1;
                    if newlines == e.line() - 1 {
                        line_start = i + 1;
                        break;
                    }
                }
            }
        }
        // serde_json counts columns in bytes, and points after the offending token.
        (line_start + e.column().saturating_sub(1)).min(rest.len())
    }

    /// serde_json reports a bad string value at its closing quote: the opening one is where
    /// the value starts.
    fn token_start(&self, at: usize) -> usize {
        if self.buf.get(at) != Some(&b'"') {
            return at;
        }
        let mut i = at;
        while i > self.pos {
            i -= 1;
            if self.buf[i] == b'"' {
                let backslashes = self.buf[self.pos..i]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b'\\')
                    .count();
                if backslashes % 2 == 0 {
                    return i;
                }
            }
            if self.buf[i] == b'\n' {
                break;
            }
        }
        at
    }

    fn syntax(&mut self, e: serde_json::Error) -> StreamError {
        let at = self.pos + self.offset_of(&e);
        let pos = self.pos_at(at);
        let message = strip_position(&e);
        StreamError::Syntax { message, pos }
    }

    fn truncated(&mut self) -> StreamError {
        let end = self.buf.len();
        let pos = self.pos_at(end);
        StreamError::Syntax {
            message: "the file ends in the middle of a JSON value (truncated?)".to_string(),
            pos,
        }
    }
}

enum Attempt<T> {
    /// The value and its length in bytes.
    Done(T, usize),
    /// Needs more input.
    More,
    Failed(serde_json::Error),
}

/// A `serde_json` message without its ` at line L column C` (positions are given apart).
pub fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if e.line() == 0 {
        return text;
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// Newlines and UTF-8 continuation bytes in `bytes`, counted in byte-wide lanes so the compiler
/// vectorizes it (positions are counted over every byte of a snapshot once).
fn count_newlines_and_continuations(bytes: &[u8]) -> (usize, usize) {
    const LANES: usize = 32;
    let (mut newlines, mut continuations) = (0usize, 0usize);
    // 255 rounds at most per block, so a byte-wide lane cannot overflow.
    for block in bytes.chunks(LANES * 255) {
        let mut nl = [0u8; LANES];
        let mut ct = [0u8; LANES];
        let mut chunks = block.chunks_exact(LANES);
        for chunk in &mut chunks {
            for i in 0..LANES {
                nl[i] += (chunk[i] == b'\n') as u8;
                ct[i] += (chunk[i] & 0xC0 == 0x80) as u8;
            }
        }
        for &b in chunks.remainder() {
            newlines += (b == b'\n') as usize;
            continuations += (b & 0xC0 == 0x80) as usize;
        }
        newlines += nl.iter().map(|&n| n as usize).sum::<usize>();
        continuations += ct.iter().map(|&n| n as usize).sum::<usize>();
    }
    (newlines, continuations)
}
