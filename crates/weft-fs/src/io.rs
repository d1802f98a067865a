//! Reading and writing text without ever losing bytes.
//!
//! A file is read as UTF-8 when it is valid UTF-8 (a BOM is remembered), otherwise as
//! Latin-1, which maps every byte to one char and back, so saving a file that is not
//! UTF-8 reproduces its bytes exactly. NUL bytes in the first 8 KiB mark a binary file,
//! which is refused as text. Writes go to a temporary file in the same directory, are
//! synced, get the old file's permissions, and are renamed over the original, so a failed
//! save leaves the old file whole.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::{FsError, Result, Workspace};

/// Files above this open read-only, without highlighting or analysis.
pub const LARGE_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Files above this are not opened at all: the webview would not survive them.
pub const MAX_OPEN_BYTES: u64 = 256 * 1024 * 1024;
const BINARY_SNIFF_BYTES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    /// ISO-8859-1: the lossless fallback for bytes that are not UTF-8.
    Latin1,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Latin1 => "ISO-8859-1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LineEnding {
    Lf,
    Crlf,
}

/// Decoded text plus what is needed to write the same bytes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    pub text: String,
    pub encoding: Encoding,
    pub line_ending: LineEnding,
}

#[derive(Debug, Clone)]
pub struct TextFile {
    pub content: FileText,
    pub size: u64,
    pub mtime_ms: u64,
    /// Over [`LARGE_FILE_BYTES`]: the UI opens it read-only and without highlighting.
    pub large: bool,
    pub readonly: bool,
}

pub fn decode(bytes: &[u8]) -> Option<FileText> {
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if sniff.contains(&0) {
        return None;
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(s) => (s.to_owned(), Encoding::Utf8Bom),
            Err(_) => (latin1(bytes), Encoding::Latin1),
        }
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), Encoding::Utf8),
            Err(_) => (latin1(bytes), Encoding::Latin1),
        }
    };
    let line_ending = detect_line_ending(&text);
    Some(FileText { text, encoding, line_ending })
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// The majority line ending decides, so one stray CRLF does not flip a LF file.
fn detect_line_ending(text: &str) -> LineEnding {
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count() - crlf;
    if crlf > lf { LineEnding::Crlf } else { LineEnding::Lf }
}

pub fn encode(rel: &str, text: &str, encoding: Encoding) -> Result<Vec<u8>> {
    match encoding {
        Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
        Encoding::Utf8Bom => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(text.as_bytes());
            Ok(out)
        }
        Encoding::Latin1 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| FsError::Unencodable {
                path: rel.to_owned(),
                encoding: "ISO-8859-1",
                reason: "it contains characters above U+00FF; convert the file to UTF-8 first".into(),
            }),
    }
}

pub(crate) fn mtime_ms(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Workspace {
    pub fn read_bytes(&self, rel: &str) -> Result<Vec<u8>> {
        let path = self.resolve_follow(rel)?;
        fs::read(&path).map_err(|e| FsError::io("read", rel, e))
    }

    pub fn read_text(&self, rel: &str) -> Result<TextFile> {
        let path = self.resolve_follow(rel)?;
        let meta = fs::metadata(&path).map_err(|e| FsError::io("read", rel, e))?;
        if meta.is_dir() {
            return Err(FsError::InvalidPath { path: rel.to_owned(), reason: "is a directory" });
        }
        if meta.len() > MAX_OPEN_BYTES {
            return Err(FsError::TooLarge { path: rel.to_owned(), size: meta.len() });
        }
        let bytes = fs::read(&path).map_err(|e| FsError::io("read", rel, e))?;
        let content = decode(&bytes).ok_or_else(|| FsError::Binary(rel.to_owned()))?;
        Ok(TextFile {
            content,
            size: meta.len(),
            mtime_ms: mtime_ms(&meta),
            large: meta.len() > LARGE_FILE_BYTES,
            readonly: meta.permissions().readonly(),
        })
    }

    /// Encodes `text` and writes it atomically. Returns the new modification time.
    pub fn write_text(&self, rel: &str, text: &str, encoding: Encoding) -> Result<u64> {
        let bytes = encode(rel, text, encoding)?;
        self.write_bytes(rel, &bytes)
    }

    /// Atomic write: temp file beside the target, fsync, copy permissions, rename.
    /// Writing through a symlink writes its (jailed) target and keeps the link.
    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> Result<u64> {
        let path = self.resolve_follow(rel)?;
        atomic_write(&path, bytes).map_err(|e| FsError::io("save", rel, e))?;
        self.fs().touched(&[&path]);
        let meta = fs::metadata(&path).map_err(|e| FsError::io("save", rel, e))?;
        Ok(mtime_ms(&meta))
    }
}

/// Atomic replace of a file by host path, for callers outside a workspace (the app's own
/// settings and state files): temp file beside it, fsync, old permissions, rename.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_write_mode(path, bytes, None)
}

/// [`atomic_write`] with the permission bits to give the file (Unix mode; ignored
/// elsewhere). `None` keeps the replaced file's permissions. The rename replaces a symlink
/// at `path` itself; it never writes through it.
pub fn atomic_write_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent directory"))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let perms = match mode {
        Some(m) => perms_from_mode(dir, m),
        None => fs::metadata(path).ok().map(|m| m.permissions()),
    };
    let (tmp_path, mut file) = create_temp(dir, &name)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Some(perms) = perms {
            fs::set_permissions(&tmp_path, perms)?;
        }
        drop(file);
        replace(&tmp_path, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

/// Renames `tmp` over `path`. On Windows a virus scanner, an indexer or an editor that
/// has the file open without sharing makes the rename fail for a moment (a sharing
/// violation, or access denied while a delete is pending): tried again for about two
/// seconds before the save is reported failed (the old file untouched either way).
fn replace(tmp: &Path, path: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
        const BUSY: [i32; 3] = [5, 32, 33];
        let mut wait = std::time::Duration::from_millis(10);
        let mut waited = std::time::Duration::ZERO;
        loop {
            match fs::rename(tmp, path) {
                Err(e) if e.raw_os_error().is_some_and(|c| BUSY.contains(&c)) && waited < std::time::Duration::from_secs(2) => {
                    std::thread::sleep(wait);
                    waited += wait;
                    wait = (wait * 2).min(std::time::Duration::from_millis(250));
                }
                other => return other,
            }
        }
    }
    #[cfg(not(windows))]
    fs::rename(tmp, path)
}

#[cfg(unix)]
fn perms_from_mode(_dir: &Path, mode: u32) -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(mode & 0o7777))
}

#[cfg(not(unix))]
fn perms_from_mode(dir: &Path, mode: u32) -> Option<fs::Permissions> {
    // Windows has only the read-only bit (owner-write clear means read-only), and
    // Permissions can only be had from existing metadata.
    let mut p = fs::metadata(dir).ok()?.permissions();
    p.set_readonly(mode & 0o200 == 0);
    Some(p)
}

fn create_temp(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, fs::File)> {
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.weft-{pid}-{nanos}-{attempt}.tmp"));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a temporary file"))
}

/// Temp files of an interrupted save must not show up as user files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp") && name.contains(".weft-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_round_trips_every_byte() {
        let bytes: Vec<u8> = (1u8..=255).collect();
        let ft = decode(&bytes).expect("text");
        assert_eq!(ft.encoding, Encoding::Latin1);
        assert_eq!(encode("x", &ft.text, ft.encoding).expect("encode"), bytes);
    }

    #[test]
    fn bom_and_crlf_are_detected() {
        let ft = decode(b"\xEF\xBB\xBFa\r\nb\r\n").expect("text");
        assert_eq!(ft.encoding, Encoding::Utf8Bom);
        assert_eq!(ft.line_ending, LineEnding::Crlf);
        assert_eq!(ft.text, "a\r\nb\r\n");
        assert_eq!(encode("x", &ft.text, ft.encoding).expect("encode"), b"\xEF\xBB\xBFa\r\nb\r\n");
    }

    #[test]
    fn nul_means_binary() {
        assert!(decode(b"PK\x03\x04\x00\x00").is_none());
    }

    #[test]
    fn latin1_refuses_wide_chars() {
        assert!(matches!(encode("x", "€", Encoding::Latin1), Err(FsError::Unencodable { .. })));
    }
}
