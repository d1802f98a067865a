//! Merge conflicts in a file's text: the regions git wrote between `<<<<<<<` and
//! `>>>>>>>` (with the base after `|||||||` in diff3 style), and the text with every
//! region resolved one way. The editor resolves region by region in the UI; this is the
//! whole-file resolution the API (and the agent, and the CLI) use.

use serde::Deserialize;

/// One conflict, as byte ranges of the text. `ours` and `theirs` hold whole lines, their
/// line endings included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// From the `<<<<<<<` line's start to the end of the `>>>>>>>` line.
    pub whole: std::ops::Range<usize>,
    pub ours: std::ops::Range<usize>,
    pub base: Option<std::ops::Range<usize>>,
    pub theirs: std::ops::Range<usize>,
}

/// Which side a resolution keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GitTake"))]
pub enum Take {
    /// The checked-out side ("current").
    Ours,
    /// The side being merged in ("incoming").
    Theirs,
    /// Ours, then theirs.
    Both,
}

fn marker(line: &str, c: char) -> bool {
    let rest = line.trim_end_matches(['\r', '\n']);
    rest.len() >= 7 && rest[..7].chars().all(|x| x == c) && (rest.len() == 7 || (c != '=' && rest.as_bytes()[7] == b' '))
}

/// The conflicts in `text`, in order. An unfinished region (no `>>>>>>>`) is not one.
pub fn conflicts(text: &str) -> Vec<Conflict> {
    let mut out = vec![];
    // (start, ours start, base start, separator start, theirs start)
    let mut open: Option<(usize, usize, Option<usize>, Option<(usize, usize)>)> = None;
    let mut base_at = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let end = at + line.len();
        match &mut open {
            None if marker(line, '<') => {
                open = Some((at, end, None, None));
                base_at = None;
            }
            Some((_, _, base, None)) if marker(line, '|') && base.is_none() => {
                *base = Some(at);
                base_at = Some(end);
            }
            Some((_, _, _, sep @ None)) if marker(line, '=') => *sep = Some((at, end)),
            Some((start, ours, base, Some((sep, theirs)))) if marker(line, '>') => {
                out.push(Conflict { whole: *start..end, ours: *ours..base.unwrap_or(*sep), base: base.map(|b| base_at.unwrap_or(b)..*sep), theirs: *theirs..at });
                open = None;
            }
            // A new `<<<<<<<` before this one closed: the first was not a conflict.
            Some(_) if marker(line, '<') => open = Some((at, end, None, None)),
            _ => {}
        }
        at = end;
    }
    out
}

/// `text` with every conflict resolved by `take`; None when it has no conflicts.
pub fn resolve_all(text: &str, take: Take) -> Option<String> {
    let found = conflicts(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for c in found {
        out.push_str(&text[at..c.whole.start]);
        let (ours, theirs) = (&text[c.ours.clone()], &text[c.theirs.clone()]);
        match take {
            Take::Ours => out.push_str(ours),
            Take::Theirs => out.push_str(theirs),
            Take::Both => {
                out.push_str(ours);
                // Ours without a final newline (the file's last line) would run into theirs.
                if !ours.is_empty() && !ours.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(theirs);
            }
        }
        at = c.whole.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "top\n<<<<<<< HEAD\nours 1\nours 2\n=======\ntheirs\n>>>>>>> feature\nmiddle\n<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> feature\nend\n";

    #[test]
    fn finds_each_region_with_its_sides_and_base() {
        let c = conflicts(TWO);
        assert_eq!(c.len(), 2);
        assert_eq!(&TWO[c[0].ours.clone()], "ours 1\nours 2\n");
        assert_eq!(&TWO[c[0].theirs.clone()], "theirs\n");
        assert_eq!(c[0].base, None);
        assert_eq!(&TWO[c[1].base.clone().expect("base")], "b\n");
        assert_eq!(&TWO[c[1].ours.clone()], "a\n");
        assert_eq!(&TWO[c[1].whole.clone()], "<<<<<<< HEAD\na\n||||||| base\nb\n=======\nc\n>>>>>>> feature\n");
    }

    #[test]
    fn resolves_every_region_one_way() {
        assert_eq!(resolve_all(TWO, Take::Ours).as_deref(), Some("top\nours 1\nours 2\nmiddle\na\nend\n"));
        assert_eq!(resolve_all(TWO, Take::Theirs).as_deref(), Some("top\ntheirs\nmiddle\nc\nend\n"));
        assert_eq!(resolve_all(TWO, Take::Both).as_deref(), Some("top\nours 1\nours 2\ntheirs\nmiddle\na\nc\nend\n"));
        assert_eq!(resolve_all("no conflict\n", Take::Ours), None);
    }

    #[test]
    fn crlf_and_look_alikes() {
        let crlf = "<<<<<<< HEAD\r\nx\r\n=======\r\ny\r\n>>>>>>> b\r\n";
        assert_eq!(resolve_all(crlf, Take::Both).as_deref(), Some("x\r\ny\r\n"));
        // Not markers: an unfinished region, a setext heading's ======= line in plain text,
        // eight '<'.
        assert!(conflicts("<<<<<<< HEAD\nx\n=======\ny\n").is_empty());
        assert!(conflicts("Title\n=======\n").is_empty());
        assert!(conflicts("<<<<<<<< x\n=======\n>>>>>>> y\n").is_empty());
    }
}
