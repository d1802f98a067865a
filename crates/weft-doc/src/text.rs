//! A new text applied to a Yrs text as the edits that differ, not as a replacement: what
//! others typed meanwhile, and their cursors (relative positions), stay where they were.

use similar::{Algorithm, DiffOp, TextDiff};
use std::time::Duration;
use yrs::{Text, TextRef, TransactionMut};

/// A replacement in UTF-16 code units (Yjs' and CodeMirror's offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub start: u32,
    pub removed: u32,
    pub inserted: String,
}

/// A diff operation that changes something, as (old index, old length, new index, new
/// length); None for an unchanged run.
pub(crate) fn changed(op: &DiffOp) -> Option<(usize, usize, usize, usize)> {
    match *op {
        DiffOp::Equal { .. } => None,
        DiffOp::Delete { old_index, old_len, new_index } => Some((old_index, old_len, new_index, 0)),
        DiffOp::Insert { old_index, new_index, new_len } => Some((old_index, 0, new_index, new_len)),
        DiffOp::Replace { old_index, old_len, new_index, new_len } => Some((old_index, old_len, new_index, new_len)),
    }
}

fn utf16_len(s: &str) -> u32 {
    s.encode_utf16().count() as u32
}

/// The edits that turn `old` into `new`, in document order, offsets into `old`.
///
/// Lines first: a line that changed as a whole is removed and inserted as a whole, and only
/// a line changed in place (one old line against one new line) is diffed by character. A
/// character diff across lines would reuse characters of unrelated lines ("…>\n" of one
/// line as the end of another), and a collaborator's concurrent delete of that line would
/// then cut into text it never saw. The common prefix and suffix (whole lines) are cut
/// first, so a large file with a small change costs little.
pub fn text_edits(old: &str, new: &str) -> Vec<TextEdit> {
    let prefix: usize = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    let prefix = old[..prefix].rfind('\n').map_or(0, |i| i + 1);
    let (o, n) = (&old[prefix..], &new[prefix..]);
    let common: usize = o.bytes().rev().zip(n.bytes().rev()).take_while(|(a, b)| a == b).count();
    // Cut only whole lines off the end: the cut must start a line in both middles.
    let starts_line = |s: &str, len: usize| len == s.len() || s.as_bytes()[s.len() - len - 1] == b'\n';
    let suffix = if starts_line(o, common) && starts_line(n, common) {
        common
    } else {
        let tail = &o[o.len() - common..];
        tail.find('\n').map_or(0, |i| common - (i + 1))
    };
    let (o, n) = (&o[..o.len() - suffix], &n[..n.len() - suffix]);
    if o == n {
        return vec![];
    }
    let base = utf16_len(&old[..prefix]);
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(Duration::from_millis(50)).diff_lines(o, n);
    let (ol, nl) = (diff.old_slices(), diff.new_slices());
    let starts = |slices: &[&str]| -> Vec<u32> {
        let mut at = 0;
        let mut v = Vec::with_capacity(slices.len() + 1);
        for s in slices {
            v.push(at);
            at += utf16_len(s);
        }
        v.push(at);
        v
    };
    let os = starts(ol);
    let mut edits: Vec<TextEdit> = vec![];
    let mut push = |e: TextEdit| match edits.last_mut() {
        Some(last) if last.start + last.removed == e.start => {
            last.removed += e.removed;
            last.inserted.push_str(&e.inserted);
        }
        _ => edits.push(e),
    };
    for op in diff.ops() {
        let Some((oi, olen, ni, nlen)) = changed(op) else { continue };
        let start = base + os[oi];
        if olen == 1 && nlen == 1 && edited_in_place(ol[oi], nl[ni]) {
            // One line edited in place: by character, so cursors on it stay.
            for e in char_edits(ol[oi], nl[ni]) {
                push(TextEdit { start: start + e.start, ..e });
            }
            continue;
        }
        push(TextEdit { start, removed: os[oi + olen] - os[oi], inserted: nl[ni..ni + nlen].concat() });
    }
    edits
}

/// Whether `new` is `old` edited (rather than a different line): runs of at least three
/// characters (fewer in a short line) they share cover most of `old`. Only then are characters reused or merged;
/// two different lines are never spliced, which a character diff would happily do (it
/// finds `<`, `.` and `>` in common between any two tags).
pub fn edited_in_place(old: &str, new: &str) -> bool {
    let total = old.chars().count();
    if total == 0 {
        return true;
    }
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(Duration::from_millis(20)).diff_chars(old, new);
    let kept: usize = diff
        .ops()
        .iter()
        .filter_map(|op| match *op {
            // Short lines count shorter runs.
            DiffOp::Equal { len, .. } if len >= 3.min(total / 2).max(1) => Some(len),
            _ => None,
        })
        .sum();
    kept * 10 >= total * 6
}

/// Character edits within one line.
fn char_edits(old: &str, new: &str) -> Vec<TextEdit> {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(Duration::from_millis(20)).diff_chars(old, new);
    let (ot, nt) = (diff.old_slices(), diff.new_slices());
    let mut os = Vec::with_capacity(ot.len() + 1);
    let mut at = 0;
    for s in ot {
        os.push(at);
        at += utf16_len(s);
    }
    os.push(at);
    let mut edits: Vec<TextEdit> = vec![];
    for op in diff.ops() {
        let Some((oi, olen, ni, nlen)) = changed(op) else { continue };
        let e = TextEdit { start: os[oi], removed: os[oi + olen] - os[oi], inserted: nt[ni..ni + nlen].concat() };
        match edits.last_mut() {
            Some(last) if last.start + last.removed == e.start => {
                last.removed += e.removed;
                last.inserted.push_str(&e.inserted);
            }
            _ => edits.push(e),
        }
    }
    edits
}

/// Applies the edits from `old` (the text's current content) to `new` inside `txn`.
pub fn apply_text(text: &TextRef, txn: &mut TransactionMut, old: &str, new: &str) {
    apply_edits(text, txn, &text_edits(old, new));
}

/// Applies edits made by [`text_edits`] (offsets into the text as it is now).
pub fn apply_edits(text: &TextRef, txn: &mut TransactionMut, edits: &[TextEdit]) {
    // Last first: earlier offsets stay valid.
    for e in edits.iter().rev() {
        if e.removed > 0 {
            text.remove_range(txn, e.start, e.removed);
        }
        if !e.inserted.is_empty() {
            text.insert(txn, e.start, &e.inserted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, GetString, OffsetKind, Options, Transact};

    fn check(old: &str, new: &str) {
        let doc = Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() });
        let t = doc.get_or_insert_text("content");
        t.insert(&mut doc.transact_mut(), 0, old);
        apply_text(&t, &mut doc.transact_mut(), old, new);
        assert_eq!(t.get_string(&doc.transact()), new);
    }

    #[test]
    fn edits_reproduce_the_new_text() {
        check("", "abc");
        check("abc", "");
        check("hello world", "hello brave new world");
        check("a😀b\r\nc", "a😀xb\r\nc😀");
        check("fn main() {}\n", "fn main() {\n    run();\n}\n");
        check("aaaa", "aXaaYa");
    }

    #[test]
    fn unchanged_parts_are_not_touched() {
        let e = text_edits("one two three", "one 2 three");
        assert_eq!(e, vec![TextEdit { start: 4, removed: 3, inserted: "2".into() }]);
        let e = text_edits("x😀y", "x😀zy");
        assert_eq!(e, vec![TextEdit { start: 3, removed: 0, inserted: "z".into() }]);
    }
}
