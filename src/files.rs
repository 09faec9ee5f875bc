//! The user's files, read and written safely. Reading: only regular files (a FIFO would block for
//! ever, `/dev/zero` would grow without bound) and never more than a limit. Writing: atomically (a
//! temporary file in the target's folder, then a rename), through symlinks, keeping the file's mode;
//! new files and folders are private (0600 and 0700), as they may hold credentials or messages.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, FileTypeExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The most a config file may hold; a real one is a few KiB.
pub const CONFIG_LIMIT: u64 = 1024 * 1024;
/// The most a PEM file (CA bundle, client certificate or key) may hold; the platform bundle is ~220 KiB.
pub const PEM_LIMIT: u64 = 4 * 1024 * 1024;
/// The most a header file may hold.
pub const HEADER_FILE_LIMIT: u64 = 64 * 1024;
/// The most a recording read for replay may hold: it is read whole into memory.
pub const RECORDING_LIMIT: u64 = 1024 * 1024 * 1024;
/// The largest payload MQTT can carry (the remaining length's maximum).
pub const PAYLOAD_LIMIT: u64 = 268_435_455;

/// Mode of files we create.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of folders we create.
pub const PRIVATE_DIR: u32 = 0o700;

/// A file that could not be read as asked.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read '{}': {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("'{}' is {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("'{}' is larger than {}", path.display(), size(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("'{}' is not UTF-8 text (at byte {at})", path.display())]
    NotText { path: PathBuf, at: usize },
}

impl FileError {
    /// What is wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            FileError::Io { source, .. } => source.to_string(),
            FileError::NotRegular { kind, .. } => format!("it is {kind}, not a regular file"),
            FileError::TooLarge { limit, .. } => format!("it is larger than {}", size(*limit)),
            FileError::NotText { at, .. } => format!("it is not UTF-8 text (at byte {at})"),
        }
    }

    /// The IO error kind when the file could not be opened or read (`NotFound` and the like).
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            FileError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// "1 MiB", "64 KiB", "268435455 bytes".
fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The bytes of a regular file of at most `limit` bytes. Checked before opening (opening a FIFO
/// blocks until a writer comes) and again on the open file.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io_err = |source| FileError::Io { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.to_owned(), kind: kind_of(meta.file_type()) });
    }
    let file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.to_owned(), kind: kind_of(meta.file_type()) });
    }
    // Refused without reading it; the bounded read still holds if the file grows meanwhile.
    if meta.len() > limit {
        return Err(FileError::TooLarge { path: path.to_owned(), limit });
    }
    read_bounded(file, path, limit)
}

/// As [`read_regular`], as UTF-8 text.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, FileError> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|e| FileError::NotText { path: path.to_owned(), at: e.utf8_error().valid_up_to() })
}

/// Whether `path` can be read as a stream to its end: a regular file (`Ok(true)`) or a pipe such as
/// `<(zcat rec.jsonl.gz)` or a FIFO (`Ok(false)`). Devices (`/dev/zero` never ends), folders and
/// sockets are refused.
pub fn check_streamable(path: &Path) -> Result<bool, FileError> {
    let meta = std::fs::metadata(path).map_err(|source| FileError::Io { path: path.to_owned(), source })?;
    let t = meta.file_type();
    if t.is_file() || t.is_fifo() {
        return Ok(t.is_file());
    }
    Err(FileError::NotRegular { path: path.to_owned(), kind: kind_of(t) })
}

/// The bytes of any file (a regular one, or a pipe such as `<(command)`), read to its end but never
/// past `limit`.
pub fn read_stream(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(|source| FileError::Io { path: path.to_owned(), source })?;
    read_bounded(file, path, limit)
}

fn read_bounded(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let mut out = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| FileError::Io { path: path.to_owned(), source })?;
    if out.len() as u64 > limit {
        return Err(FileError::TooLarge { path: path.to_owned(), limit });
    }
    Ok(out)
}

/// Where `path` leads: symlinks followed (also a dangling one, whose target is then created), at most
/// 40 of them, as the kernel does.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other(format!("too many levels of symbolic links at '{}'", path.display())))
}

/// Replaces the contents of `path` atomically: written to a temporary file in the target's folder,
/// synced, then renamed over it. A symlink stays a symlink (its target is replaced); the file keeps its
/// mode; a new file gets 0600 and new folders 0700.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let target = resolve(path)?;
    let mode = match std::fs::metadata(&target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => PRIVATE_FILE,
        Err(e) => return Err(e),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(&dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    // The rename is durable once the folder is synced; a folder that cannot be opened is no error.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `dir` and its missing parents with mode 0700; existing folders are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(PRIVATE_DIR).create(dir)
}

/// Opens `path` for appending, creating it 0600 (and its missing folders 0700).
pub fn append_private(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    OpenOptions::new().create(true).append(true).mode(PRIVATE_FILE).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn non_regular_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = read_regular(&fifo, CONFIG_LIMIT).unwrap_err();
        assert_eq!(e.to_string(), format!("'{}' is a FIFO, not a regular file", fifo.display()));
        let e = read_regular(Path::new("/dev/zero"), CONFIG_LIMIT).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
        assert!(read_regular(dir.path(), CONFIG_LIMIT).unwrap_err().to_string().contains("a folder"));
    }

    #[test]
    fn files_over_the_limit_are_refused_and_streams_stop_at_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 1025]).unwrap();
        assert_eq!(read_regular(&big, 1025).unwrap().len(), 1025);
        let e = read_regular(&big, 1024).unwrap_err();
        assert_eq!(e.to_string(), format!("'{}' is larger than 1 KiB", big.display()));
        let e = read_stream(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.to_string().ends_with("is larger than 1 MiB"), "{e}");
    }

    #[test]
    fn atomic_writes_keep_the_mode_and_the_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.toml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("config.toml");
        symlink("real.toml", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a symlink");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(mode(&real), 0o640);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
    }

    #[test]
    fn new_files_and_folders_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/config.toml");
        write_atomic(&file, b"x").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        let log = dir.path().join("logs/mqscope.log");
        drop(append_private(&log).unwrap());
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(&dir.path().join("logs")), 0o700);
        // A dangling symlink: its target is created.
        let link = dir.path().join("dangling.toml");
        symlink("target.toml", &link).unwrap();
        write_atomic(&link, b"y").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("target.toml")).unwrap(), "y");
    }
}
