//! Line statistics and diffs of stored contents, for the timeline's +/− figures and the
//! command line's unified diffs.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

/// Files past this size get no line figures: diffing them would stall a checkpoint.
const MAX_DIFF_BYTES: usize = 4 * 1024 * 1024;

pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8000)].contains(&0)
}

/// Lines in a text file (a last line without a newline counts); None for binary files.
pub fn line_count(bytes: &[u8]) -> Option<u64> {
    if is_binary(bytes) {
        return None;
    }
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    Some(newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n")))
}

/// (added, removed) lines between two texts; None for binary or very large files.
pub fn line_diff(old: &[u8], new: &[u8]) -> Option<(u64, u64)> {
    if is_binary(old) || is_binary(new) || old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        return None;
    }
    let diff = TextDiff::configure().timeout(Duration::from_millis(200)).diff_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    Some((added, removed))
}

/// A unified diff with git-style headers; binary files get one line saying so.
pub fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let (a, b) = (old.unwrap_or_default(), new.unwrap_or_default());
    let from = if old.is_some() { format!("a/{path}") } else { "/dev/null".into() };
    let to = if new.is_some() { format!("b/{path}") } else { "/dev/null".into() };
    if is_binary(a) || is_binary(b) {
        return format!("Binary files {from} and {to} differ\n");
    }
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let diff = TextDiff::configure().timeout(Duration::from_secs(2)).diff_lines(a.as_ref(), b.as_ref());
    format!("{}", diff.unified_diff().context_radius(3).header(&from, &to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_changes() {
        assert_eq!(line_count(b""), Some(0));
        assert_eq!(line_count(b"a\nb"), Some(2));
        assert_eq!(line_count(b"a\nb\n"), Some(2));
        assert_eq!(line_count(b"a\0b"), None);
        assert_eq!(line_diff(b"a\nb\nc\n", b"a\nB\nc\nd\n"), Some((2, 1)));
        assert!(unified("x.txt", Some(b"a\n"), Some(b"b\n")).contains("-a\n+b\n"));
    }
}
