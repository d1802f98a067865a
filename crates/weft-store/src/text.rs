//! Line statistics and diffs of stored contents, for the timeline's +/− figures and the
//! command line's unified diffs.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, TextDiff};

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

/// (added, removed) lines between two texts, as a minimal line diff would count them;
/// None for binary or very large files.
///
/// Lines that occur only on one side can never be matched, so they are counted directly
/// and only the lines both sides share go through Myers: a rewritten file then costs
/// linear time instead of Myers' worst case, and the counts stay exact.
pub fn line_diff(old: &[u8], new: &[u8]) -> Option<(u64, u64)> {
    if is_binary(old) || is_binary(new) || old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        return None;
    }
    let (a, b) = (line_hashes(old), line_hashes(new));
    let (in_a, in_b): (HashSet<u64>, HashSet<u64>) = (a.iter().copied().collect(), b.iter().copied().collect());
    let fa: Vec<u64> = a.iter().copied().filter(|h| in_b.contains(h)).collect();
    let fb: Vec<u64> = b.iter().copied().filter(|h| in_a.contains(h)).collect();
    let deadline = Instant::now() + Duration::from_millis(100);
    let common: usize = similar::capture_diff_slices_deadline(Algorithm::Myers, &fa, &fb, Some(deadline))
        .iter()
        .map(|op| match op {
            DiffOp::Equal { len, .. } => *len,
            _ => 0,
        })
        .sum();
    Some(((b.len() - common) as u64, (a.len() - common) as u64))
}

fn line_hashes(text: &[u8]) -> Vec<u64> {
    text.split_inclusive(|&b| b == b'\n')
        .map(|line| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            line.hash(&mut h);
            h.finish()
        })
        .collect()
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
        assert_eq!(line_diff(b"x\ny\n", b"y\nx\n"), Some((1, 1)), "a swap moves one line");
        let old: String = (0..3000).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("new {i}\n")).collect();
        assert_eq!(line_diff(old.as_bytes(), new.as_bytes()), Some((3000, 3000)), "a rewrite");
        assert!(unified("x.txt", Some(b"a\n"), Some(b"b\n")).contains("-a\n+b\n"));
    }
}
