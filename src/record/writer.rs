//! Writing a recording. Every write and flush error is returned with how many messages made it to
//! the file; a line cut by the error is taken off again, so the file stays a recording.

use super::{BadLine, Record};
use crate::payload::schema::Verdict;
use crate::session::Message;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Buffered bytes that trigger a write.
const BUFFER: usize = 64 * 1024;
/// Longest a message waits in the buffer (a crash loses at most this much).
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What to do with a file that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it.
    Create,
    /// Add to it, if it is a recording.
    Append,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("'{path}' exists; give --append to add to it, or another file name")]
    Exists { path: String },
    #[error("'{path}' is not a recording ({bad}); nothing was written to it")]
    NotARecording { path: String, bad: Box<BadLine> },
    #[error("cannot record to '{path}': {source}")]
    Open { path: String, source: io::Error },
    #[error("recording to '{path}' failed: {source}; {on_disk} messages made it to the file")]
    Write { path: String, on_disk: u64, source: io::Error },
}

impl RecordError {
    /// `Exists` is a matter of the command line (another name, or `--append`); the rest are file errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            RecordError::Exists { .. } => crate::exit::USAGE,
            _ => crate::exit::FAILURE,
        }
    }
}

fn shown(path: &Path) -> String {
    crate::sanitize::line(&path.display().to_string()).into_owned()
}

/// Writes messages to a recording, a line each. Call [`Recorder::finish`] at the end: it reports the
/// last flush (dropping the recorder only tries).
pub struct Recorder {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    /// Messages in `buf`.
    pending: u64,
    /// Messages written to the file.
    on_disk: u64,
    last_flush: Instant,
    /// A regular file (not a device or a pipe): it can be synced and truncated.
    regular: bool,
    failed: bool,
}

impl Recorder {
    /// Opens `path` for recording. An existing regular file is refused, or with `Mode::Append` added
    /// to when every line in it is a recording line (an empty file is one). A device or a named pipe
    /// is written to as it is.
    pub fn open(path: &Path, mode: Mode) -> Result<Self, RecordError> {
        let open_err = |source| RecordError::Open { path: shown(path), source };
        let (file, regular) = match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                if mode == Mode::Create {
                    return Err(RecordError::Exists { path: shown(path) });
                }
                if let Some(bad) = super::first_bad_line(path).map_err(open_err)? {
                    return Err(RecordError::NotARecording { path: shown(path), bad: Box::new(bad) });
                }
                (OpenOptions::new().append(true).open(path).map_err(open_err)?, true)
            }
            Ok(_) => (OpenOptions::new().append(true).open(path).map_err(open_err)?, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match create_new(path) {
                Ok(f) => (f, true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(RecordError::Exists { path: shown(path) });
                }
                Err(e) => return Err(open_err(e)),
            },
            Err(e) => return Err(open_err(e)),
        };
        Ok(Self::with_file(file, path.to_path_buf(), regular))
    }

    /// Opens a new file `STEM.jsonl`, or `STEM-1.jsonl`, `STEM-2.jsonl`… when that exists: never
    /// an existing file. [`Recorder::path`] says which.
    pub fn open_new(stem: &Path) -> Result<Self, RecordError> {
        let name = |n: u32| {
            let mut s = stem.as_os_str().to_owned();
            if n > 0 {
                s.push(format!("-{n}"));
            }
            s.push(".jsonl");
            PathBuf::from(s)
        };
        let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
        for n in 0..1000 {
            let path = name(n);
            match create_new(&path) {
                Ok(file) => return Ok(Self::with_file(file, path, true)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
                Err(e) => return Err(RecordError::Open { path: shown(&path), source: e }),
            }
        }
        Err(RecordError::Open { path: shown(&name(0)), source: last })
    }

    fn with_file(file: File, path: PathBuf, regular: bool) -> Self {
        Self {
            file,
            path,
            buf: Vec::with_capacity(BUFFER),
            pending: 0,
            on_disk: 0,
            last_flush: Instant::now(),
            regular,
            failed: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Messages written to the file so far (not those still in the buffer).
    pub fn on_disk(&self) -> u64 {
        self.on_disk
    }

    /// Messages taken, written or still buffered.
    pub fn count(&self) -> u64 {
        self.on_disk + self.pending
    }

    /// Adds a message; writes the buffer when it is full or a second old.
    pub fn write(&mut self, m: &Message) -> Result<(), RecordError> {
        self.write_checked(m, None)
    }

    /// Adds a message with the verdict of its schema check, kept in the line.
    pub fn write_checked(&mut self, m: &Message, verdict: Option<&Verdict>) -> Result<(), RecordError> {
        if self.failed {
            return Err(self.error(io::Error::other("an earlier write failed")));
        }
        let mut record = Record::from_message(m);
        record.schema = verdict.cloned();
        serde_json::to_writer(&mut self.buf, &record).map_err(|e| self.error(e.into()))?;
        self.buf.push(b'\n');
        self.pending += 1;
        if self.buf.len() >= BUFFER || self.flush_due() {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether buffered messages have waited long enough to be written.
    pub fn flush_due(&self) -> bool {
        self.pending > 0 && self.last_flush.elapsed() >= FLUSH_EVERY
    }

    /// Writes the buffer to the file. On an error the messages written before it are counted and a
    /// line cut by it is taken off the file (when the file is regular).
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.last_flush = Instant::now();
        let mut done = 0;
        while done < self.buf.len() {
            match self.file.write(&self.buf[done..]) {
                Ok(0) => return Err(self.fail(done, io::ErrorKind::WriteZero.into())),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(done, e)),
            }
        }
        self.buf.clear();
        self.on_disk += std::mem::take(&mut self.pending);
        Ok(())
    }

    /// Writes what is buffered and (for a regular file) syncs it to the disk. Returns how many
    /// messages are in the file.
    pub fn finish(mut self) -> Result<u64, RecordError> {
        self.flush()?;
        if self.regular {
            self.file.sync_data().map_err(|e| self.error(e))?;
        }
        Ok(self.on_disk)
    }

    /// Counts the whole lines among the first `done` bytes of the buffer and removes a cut one.
    fn fail(&mut self, done: usize, e: io::Error) -> RecordError {
        self.failed = true;
        let written = &self.buf[..done];
        self.on_disk += written.iter().filter(|&&b| b == b'\n').count() as u64;
        let cut = done - written.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if cut > 0 && self.regular {
            // Best effort: if this fails too, replay still reads up to the cut line and names it.
            if let Ok(meta) = self.file.metadata() {
                let _ = self.file.set_len(meta.len().saturating_sub(cut as u64));
            }
        }
        self.buf.clear();
        self.pending = 0;
        self.error(e)
    }

    fn error(&self, source: io::Error) -> RecordError {
        RecordError::Write { path: shown(&self.path), on_disk: self.on_disk, source }
    }
}

impl Drop for Recorder {
    /// Only for unwinding: every normal path ends with `finish`, which reports errors.
    fn drop(&mut self) {
        if !self.failed && !self.buf.is_empty() {
            let _ = self.file.write_all(&self.buf);
        }
    }
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Bytes, Properties, QoS};
    use std::time::UNIX_EPOCH;

    fn message(n: u32) -> Message {
        Message {
            topic: "t".into(),
            payload: Bytes::from(n.to_string()),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: Properties::default(),
            received_at: UNIX_EPOCH,
        }
    }

    fn dev_full() -> Option<&'static Path> {
        let p = Path::new("/dev/full");
        if p.exists() {
            Some(p)
        } else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "/dev/full is needed in CI");
            crate::report!("skipped: no /dev/full");
            None
        }
    }

    #[test]
    fn a_full_disk_fails_the_flush_at_the_end_and_says_none_made_it() {
        let Some(full) = dev_full() else { return };
        let mut r = Recorder::open(full, Mode::Create).unwrap();
        for n in 0..5 {
            r.write(&message(n)).unwrap();
        }
        assert_eq!(r.count(), 5);
        let err = r.finish().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("No space left on device") && text.contains("0 messages made it"), "{text}");
        assert!(matches!(err, RecordError::Write { on_disk: 0, .. }));
    }

    #[test]
    fn a_failed_write_counts_whole_lines_and_takes_off_a_cut_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut r = Recorder::open(&path, Mode::Create).unwrap();
        r.write(&message(1)).unwrap();
        r.write(&message(2)).unwrap();
        let line_len = r.buf.len() / 2;
        // What a disk that fills up mid-line leaves behind: one line and a half written.
        let half = line_len + line_len / 2;
        r.file.write_all(&r.buf[..half]).unwrap();
        let err = r.fail(half, io::Error::from(io::ErrorKind::StorageFull));
        assert!(matches!(err, RecordError::Write { on_disk: 1, .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap().len(), line_len);
        assert_eq!(super::super::read(&path).unwrap().len(), 1);
        assert!(r.write(&message(3)).is_err(), "no writes after a failure");
    }

    #[test]
    fn open_new_never_reuses_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("mqscope-20261202");
        std::fs::write(dir.path().join("mqscope-20261202.jsonl"), "not mine").unwrap();
        let a = Recorder::open_new(&stem).unwrap();
        let b = Recorder::open_new(&stem).unwrap();
        assert_eq!(a.path(), dir.path().join("mqscope-20261202-1.jsonl"));
        assert_eq!(b.path(), dir.path().join("mqscope-20261202-2.jsonl"));
        assert_eq!(std::fs::read_to_string(dir.path().join("mqscope-20261202.jsonl")).unwrap(), "not mine");
    }

    #[test]
    fn append_needs_a_recording_and_create_needs_a_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(Recorder::open(&path, Mode::Create), Err(RecordError::Exists { .. })));
        let mut r = Recorder::open(&path, Mode::Append).unwrap();
        r.write(&message(1)).unwrap();
        assert_eq!(r.finish().unwrap(), 1);
        let mut r = Recorder::open(&path, Mode::Append).unwrap();
        r.write(&message(2)).unwrap();
        r.finish().unwrap();
        assert_eq!(super::super::read(&path).unwrap().len(), 2);
        std::fs::write(&path, "hello\n").unwrap();
        let err = Recorder::open(&path, Mode::Append).err().unwrap();
        assert!(err.to_string().contains("is not a recording (line 1"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
    }
}
