//! Lines of bytes from a reader, for `pub -l`. Payloads are bytes: a line is published as it is,
//! whatever its encoding, split on `\n` with one `\r` before it removed (so CRLF text sends the same
//! messages as LF text). A last line without a newline is still a line.

use bytes::Bytes;
use std::io;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Reads lines as bytes. `next_line` is cancel-safe (usable in `tokio::select!`): bytes taken from
/// the reader wait in `partial` for the next call.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    partial: Vec<u8>,
    /// Lines returned so far: the number of the last one, for error messages.
    pub number: u64,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self { inner, partial: Vec::new(), number: 0 }
    }

    /// The next line without its line ending, or `None` at the end of the input.
    pub async fn next_line(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                if self.partial.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.take_line()));
            }
            // No await between taking bytes and consuming them: a cancelled call loses nothing.
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.partial.extend_from_slice(&buf[..i]);
                    self.inner.consume(i + 1);
                    if self.partial.last() == Some(&b'\r') {
                        self.partial.pop();
                    }
                    return Ok(Some(self.take_line()));
                }
                None => {
                    let n = buf.len();
                    self.partial.extend_from_slice(buf);
                    self.inner.consume(n);
                }
            }
        }
    }

    fn take_line(&mut self) -> Bytes {
        self.number += 1;
        Bytes::from(std::mem::take(&mut self.partial))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &'static [u8], chunk: usize) -> Vec<Vec<u8>> {
        // A reader that hands out `chunk` bytes at a time, so lines cross reads.
        let reader = tokio::io::BufReader::with_capacity(chunk, input);
        let mut r = LineReader::new(reader);
        let mut out = Vec::new();
        while let Some(line) = r.next_line().await.unwrap_or_else(|e| panic!("{e}")) {
            out.push(line.to_vec());
        }
        assert_eq!(r.number, out.len() as u64);
        out
    }

    #[tokio::test]
    async fn lines_are_bytes_split_on_newline_with_one_carriage_return_removed() {
        let input: &[u8] = b"one\n\xff\xfe\x00bin\ntwo\r\n\r\r\n\nlast";
        let want: Vec<Vec<u8>> = vec![
            b"one".to_vec(),
            b"\xff\xfe\x00bin".to_vec(),
            b"two".to_vec(),
            b"\r".to_vec(),
            Vec::new(),
            b"last".to_vec(),
        ];
        for chunk in [1, 2, 3, 64] {
            assert_eq!(lines(input, chunk).await, want, "chunk {chunk}");
        }
    }

    #[tokio::test]
    async fn empty_input_has_no_lines_and_a_final_newline_adds_none() {
        assert!(lines(b"", 8).await.is_empty());
        assert_eq!(lines(b"a\n", 8).await, vec![b"a".to_vec()]);
    }
}
