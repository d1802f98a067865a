//! diff3: a line-wise three-way merge, with a character-wise second try inside regions
//! both sides changed (two people editing the same line in different places is common in
//! live editing, and is not a conflict).

use similar::{capture_diff_slices, Algorithm};
use std::hash::Hash;

/// Regions both sides changed differently, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub base: String,
    /// What the merged text holds in this region.
    pub ours: String,
    /// What the disk had there; not in the merged text.
    pub theirs: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub conflicts: Vec<Conflict>,
}

/// One side's change: `base[start..end]` became `side[new_start..new_end]`.
#[derive(Debug, Clone, Copy)]
struct Hunk {
    start: usize,
    end: usize,
    new_start: usize,
    new_end: usize,
}

fn hunks<T: Hash + Eq + Ord>(base: &[T], side: &[T]) -> Vec<Hunk> {
    let mut out: Vec<Hunk> = vec![];
    for op in capture_diff_slices(Algorithm::Myers, base, side) {
        let Some((old_index, old_len, new_index, new_len)) = crate::text::changed(&op) else { continue };
        let (start, end, new_start, new_end) = (old_index, old_index + old_len, new_index, new_index + new_len);
        // A delete followed by an insert at the same place is one replacement.
        match out.last_mut() {
            Some(last) if last.end == start && last.new_end == new_start => {
                last.end = end;
                last.new_end = new_end;
            }
            _ => out.push(Hunk { start, end, new_start, new_end }),
        }
    }
    out
}

enum Piece<'a, T> {
    Clean(Vec<&'a T>),
    Conflict { base: &'a [T], ours: Vec<&'a T>, theirs: Vec<&'a T> },
}

/// `base[cs..ce]` with one side's hunks (all inside it) applied.
fn version<'a, T>(base: &'a [T], side: &'a [T], cs: usize, ce: usize, hs: &[Hunk]) -> Vec<&'a T> {
    let mut v = vec![];
    let mut p = cs;
    for h in hs {
        v.extend(&base[p..h.start]);
        v.extend(&side[h.new_start..h.new_end]);
        p = h.end;
    }
    v.extend(&base[p..ce]);
    v
}

fn merge_slices<'a, T: Hash + Eq + Ord>(base: &'a [T], ours: &'a [T], theirs: &'a [T]) -> Vec<Piece<'a, T>> {
    let (a, b) = (hunks(base, ours), hunks(base, theirs));
    let (mut i, mut j, mut pos) = (0, 0, 0);
    let mut out = vec![];
    loop {
        // The next change of either side; at the same place an insertion goes first, so
        // an insertion just before the other side's change stays apart from it.
        let key = |h: &Hunk| (h.start, h.end > h.start);
        let take_a = match (a.get(i), b.get(j)) {
            (None, None) => break,
            (Some(x), Some(y)) => key(x) <= key(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        let h = if take_a { a[i] } else { b[j] };
        let first = h.start;
        out.push(Piece::Clean(base[pos..first].iter().collect()));
        // The region [cs, ce) grows while a hunk of either side overlaps it. Changes that
        // only touch (end of one = start of the other) stay apart, except two insertions at
        // the same point, whose order nobody can know.
        let (ga, gb) = (i, j);
        let (cs, mut ce) = (first, h.end);
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
        // Changes that touch also join when they bring in a same line: the same text added
        // on both sides, aligned a line apart, must not be kept twice.
        let shares = |h: &Hunk, side: &[T], others: &[Hunk], other: &[T]| {
            let added = &side[h.new_start..h.new_end];
            others.iter().any(|o| other[o.new_start..o.new_end].iter().any(|x| added.contains(x)))
        };
        loop {
            let joins = |h: &Hunk| h.start < ce || (cs == ce && h.start == cs && h.start == h.end);
            if let Some(h) = a.get(i).filter(|h| joins(h) || (h.start == ce && shares(h, ours, &b[gb..j], theirs))) {
                ce = ce.max(h.end);
                i += 1;
            } else if let Some(h) = b.get(j).filter(|h| joins(h) || (h.start == ce && shares(h, theirs, &a[ga..i], ours))) {
                ce = ce.max(h.end);
                j += 1;
            } else {
                break;
            }
        }
        let (ha, hb) = (&a[ga..i], &b[gb..j]);
        let piece = if hb.is_empty() {
            Piece::Clean(version(base, ours, cs, ce, ha))
        } else if ha.is_empty() {
            Piece::Clean(version(base, theirs, cs, ce, hb))
        } else {
            let (o, t) = (version(base, ours, cs, ce, ha), version(base, theirs, cs, ce, hb));
            if o == t {
                // The same change on both sides: applied once.
                Piece::Clean(o)
            } else {
                Piece::Conflict { base: &base[cs..ce], ours: o, theirs: t }
            }
        };
        out.push(piece);
        pos = ce;
    }
    out.push(Piece::Clean(base[pos..].iter().collect()));
    out
}

/// Regions larger than this stay line conflicts (a character diff of them costs more than
/// it is likely to save).
const CHAR_MERGE_MAX: usize = 64 * 1024;

fn merge_chars(base: &str, ours: &str, theirs: &str) -> Option<String> {
    if base.len().max(ours.len()).max(theirs.len()) > CHAR_MERGE_MAX {
        return None;
    }
    // Only edits within one line: across lines a character diff aligns unrelated text
    // (a line typed here with a line typed there) and can interleave them.
    if [base, ours, theirs].iter().any(|s| s.trim_end_matches('\n').contains('\n')) {
        return None;
    }
    // And only where each side edited the line in place: two different lines are not
    // spliced together.
    if !crate::text::edited_in_place(base, ours) || !crate::text::edited_in_place(base, theirs) {
        return None;
    }
    let (b, o, t): (Vec<char>, Vec<char>, Vec<char>) = (base.chars().collect(), ours.chars().collect(), theirs.chars().collect());
    let mut out = String::new();
    for p in merge_slices(&b, &o, &t) {
        match p {
            Piece::Clean(cs) => out.extend(cs),
            Piece::Conflict { .. } => return None,
        }
    }
    Some(out)
}

/// Whether `other` holds `side`'s change to `base` (counting lines): every line `side`
/// added is in `other` as often, and every line it removed is gone from `other` as far.
fn includes_change(base: &[String], side: &[&String], other: &[&String]) -> bool {
    use std::collections::HashMap;
    fn count<'a>(ls: impl Iterator<Item = &'a str>) -> HashMap<&'a str, i64> {
        let mut m: HashMap<&str, i64> = HashMap::new();
        for l in ls {
            *m.entry(l).or_default() += 1;
        }
        m
    }
    let b = count(base.iter().map(String::as_str));
    let s = count(side.iter().map(|l| l.as_str()));
    let o = count(other.iter().map(|l| l.as_str()));
    let get = |m: &HashMap<&str, i64>, k: &str| m.get(k).copied().unwrap_or(0);
    let added_ok = s.iter().all(|(l, &n)| n <= get(&b, l) || get(&o, l) >= n);
    let removed_ok = b.iter().all(|(l, &n)| get(&s, l) >= n || get(&o, l) <= get(&s, l));
    added_ok && removed_ok
}

/// A region where both sides changed the same lines in place (as many lines on each side
/// as in the base): merged line by line, each line by character. None if any line
/// conflicts.
fn merge_line_by_line(base: &[String], ours: &[&String], theirs: &[&String]) -> Option<String> {
    if base.len() < 2 || ours.len() != base.len() || theirs.len() != base.len() {
        return None;
    }
    // The same new line on both sides at different places is a moved line, not two edits:
    // merging by position would keep it twice.
    for (k, (b, o)) in base.iter().zip(ours).enumerate() {
        if o.as_str() != b.as_str() && theirs.iter().enumerate().any(|(m, t)| m != k && t.as_str() == o.as_str() && base[m] != **t) {
            return None;
        }
    }
    let mut out = String::new();
    for ((b, o), t) in base.iter().zip(ours).zip(theirs) {
        let line = if o == t || t.as_str() == b.as_str() {
            o.as_str().to_owned()
        } else if o.as_str() == b.as_str() {
            t.as_str().to_owned()
        } else {
            merge_chars(b, o, t)?
        };
        out.push_str(&line);
    }
    Some(out)
}

/// Merges `theirs` (the disk) into `ours` (the document), both changed from `base` (what
/// was last loaded or saved). A region both changed the same way is taken once; one both
/// changed differently keeps `ours` and is listed in `conflicts` with `theirs`.
pub fn merge3(base: &str, ours: &str, theirs: &str) -> Merged {
    if ours == base || ours == theirs {
        return Merged { text: theirs.to_owned(), conflicts: vec![] };
    }
    if theirs == base {
        return Merged { text: ours.to_owned(), conflicts: vec![] };
    }
    let lines = |s: &'_ str| -> Vec<String> { s.split_inclusive('\n').map(str::to_owned).collect() };
    let (b, o, t) = (lines(base), lines(ours), lines(theirs));
    let mut text = String::with_capacity(ours.len().max(theirs.len()));
    let mut conflicts = vec![];
    for p in merge_slices(&b, &o, &t) {
        match p {
            Piece::Clean(ls) => ls.into_iter().for_each(|l| text.push_str(l)),
            Piece::Conflict { base, ours, theirs } => {
                let join = |ls: &[&String]| ls.iter().map(|s| s.as_str()).collect::<String>();
                let (b, o, t) = (base.iter().map(String::as_str).collect::<String>(), join(&ours), join(&theirs));
                match merge_chars(&b, &o, &t).or_else(|| merge_line_by_line(base, &ours, &theirs)) {
                    Some(m) => text.push_str(&m),
                    // One side already holds the other's text (a formatter ran over the
                    // document with our edit in it, or we typed on past what the disk has):
                    // the fuller one has everything, once.
                    // Both inserted different lines at the same place (a guest and another
                    // program each adding a line at the end): both are kept, ours first,
                    // unless they share a line (then keeping both would repeat it).
                    None if base.is_empty() && ours.iter().all(|l| !theirs.contains(l)) => {
                        text.push_str(&o);
                        text.push_str(&t);
                    }
                    None if !o.is_empty() && t.contains(o.as_str()) => text.push_str(&t),
                    None if !t.is_empty() && o.contains(t.as_str()) => text.push_str(&o),
                    // One side's version already holds the other's change (the lines it
                    // added are there, the lines it removed are gone): that version, once.
                    None if includes_change(base, &ours, &theirs) => text.push_str(&t),
                    None if includes_change(base, &theirs, &ours) => text.push_str(&o),
                    None => {
                        text.push_str(&o);
                        conflicts.push(Conflict { base: b, ours: o, theirs: t });
                    }
                }
            }
        }
    }
    Merged { text, conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(base: &str, ours: &str, theirs: &str) -> String {
        let m = merge3(base, ours, theirs);
        assert!(m.conflicts.is_empty(), "unexpected conflict: {:?}", m.conflicts);
        m.text
    }

    #[test]
    fn one_sided_changes_are_taken() {
        assert_eq!(clean("a\nb\n", "a\nb\n", "a\nB\n"), "a\nB\n");
        assert_eq!(clean("a\nb\n", "A\nb\n", "a\nb\n"), "A\nb\n");
        assert_eq!(clean("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n"), "A\nb\nC\n");
    }

    #[test]
    fn the_same_change_on_both_sides_is_applied_once() {
        // A guest typed "x"; a formatter rewrote the file with the guest's edit in it.
        assert_eq!(clean("a\nb\nc\n", "a\nbx\nc\n", "a\nbx\nc\n"), "a\nbx\nc\n");
        assert_eq!(clean("a\nb\nc\n", "a\nbx\nc\n", "a2\nbx\nc\n"), "a2\nbx\nc\n");
        assert_eq!(clean("a\n", "a\nnew\n", "a\nnew\nmore\n"), "a\nnew\nmore\n");
        assert_eq!(clean("", "hello", "hello"), "hello");
    }

    #[test]
    fn edits_to_one_line_in_different_places_merge_by_character() {
        assert_eq!(clean("foo(a, b)\n", "foo(a, b, c)\n", "foo(x, b)\n"), "foo(x, b, c)\n");
    }

    #[test]
    fn adjacent_line_changes_both_apply() {
        assert_eq!(clean("1\n2\n3\n4\n", "1\nTWO\n3\n4\n", "1\n2\nTHREE\n4\n"), "1\nTWO\nTHREE\n4\n");
        // An insertion right after a changed line, and one right before.
        assert_eq!(clean("1\n2\n3\n", "1\n2x\n3\n", "1\n2\nnew\n3\n"), "1\n2x\nnew\n3\n");
        assert_eq!(clean("1\n2\n3\n", "1\nnew\n2\n3\n", "1\n2x\n3\n"), "1\nnew\n2x\n3\n");
    }

    #[test]
    fn a_real_conflict_keeps_ours_and_reports_theirs() {
        let m = merge3("x = 1\n", "x = 2\n", "x = 3\n");
        assert_eq!(m.text, "x = 2\n");
        assert_eq!(m.conflicts, vec![Conflict { base: "x = 1\n".into(), ours: "x = 2\n".into(), theirs: "x = 3\n".into() }]);
        // Two insertions at the same point sharing a line: not both (the line would be
        // there twice).
        let m = merge3("a\n", "a\nmine\nsame\n", "a\nsame\ntheirs\n");
        assert_eq!(m.text, "a\nmine\nsame\n");
        assert_eq!(m.conflicts.len(), 1);
    }

    #[test]
    fn different_lines_inserted_at_the_same_place_are_both_kept() {
        assert_eq!(clean("a\n", "a\nmine\n", "a\ntheirs\n"), "a\nmine\ntheirs\n");
    }

    #[test]
    fn a_line_both_sides_wrote_in_neighbouring_places_is_not_kept_twice() {
        let m = merge3("a\nb\nc\nd\n", "a\nb\nW\nd\n", "a\nW\nc\nd\n");
        assert_eq!(m.text.matches('W').count(), 1, "{:?}", m.text);
    }

    #[test]
    fn a_rewrite_that_already_holds_our_edit_is_taken_whole() {
        // A guest's unsaved line; a formatter rewrote the file from the buffer, changing the
        // line above too.
        assert_eq!(clean("line one\nline two\n", "line one\nguest line\nline two\n", "LINE ONE\nguest line\nline two\n"), "LINE ONE\nguest line\nline two\n");
    }

    #[test]
    fn deletes_and_edits() {
        assert_eq!(clean("a\nb\nc\n", "a\nc\n", "a\nb\nc\nd\n"), "a\nc\nd\n");
        // Both deleted the same line.
        assert_eq!(clean("a\nb\nc\n", "a\nc\n", "a\nc\n"), "a\nc\n");
        // No trailing newline; CRLF lines are lines too.
        assert_eq!(clean("a\r\nb", "a\r\nb!", "A\r\nb"), "A\r\nb!");
    }
}
