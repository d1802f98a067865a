//! An open document: its text, its tree, and edits applied incrementally.

use serde::{Deserialize, Serialize};
use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

use crate::outline::{self, Symbol};
use crate::text::{advance, utf16_len, walk, LineIndex};
use crate::{Lang, SyntaxError};

/// One replacement, in UTF-16 offsets of the document as it was before the change set
/// (CodeMirror's `iterChanges` fromA/toA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Change {
    pub from: u32,
    pub to: u32,
    pub insert: String,
}

/// A range in UTF-16 offsets of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Span {
    pub from: u32,
    pub to: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnostic {
    pub from: u32,
    pub to: u32,
    /// 1-based line, for the problems list.
    pub line: u32,
    pub message: String,
}

pub struct Document {
    lang: Lang,
    text: String,
    parser: Parser,
    tree: Tree,
    lines: LineIndex,
    len16: u32,
}

impl Document {
    pub fn new(lang: Lang, text: String) -> Result<Self, SyntaxError> {
        let mut parser = Parser::new();
        parser.set_language(&lang.language()).map_err(|e| SyntaxError::Grammar(e.to_string()))?;
        let tree = parser.parse(&text, None).ok_or(SyntaxError::ParseFailed)?;
        let lines = LineIndex::new(&text);
        let len16 = utf16_len(&text);
        Ok(Self { lang, text, parser, tree, lines, len16 })
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Length in UTF-16 units, what the editor calls the document's length.
    pub fn len_utf16(&self) -> u32 {
        self.len16
    }

    /// Applies one change set and reparses incrementally. The changes are sorted and do
    /// not overlap, in the coordinates of the text before the set; anything else is
    /// refused and the document is left as it was.
    pub fn edit(&mut self, changes: &[Change]) -> Result<(), SyntaxError> {
        let mut last = 0;
        for c in changes {
            if c.from > c.to || c.from < last || c.to > self.len16 {
                return Err(SyntaxError::BadEdit(format!(
                    "change {}..{} does not fit a document of {} after {last}",
                    c.from, c.to, self.len16
                )));
            }
            last = c.to;
        }
        // Resolve every position against the old text first, then apply from the last
        // change back, so each one's offsets and points stay true when it is applied.
        let resolved: Vec<(usize, usize, Point, Point)> = changes
            .iter()
            .map(|c| {
                let (a, b) = (self.lines.byte_of_utf16(&self.text, c.from), self.lines.byte_of_utf16(&self.text, c.to));
                (a, b, self.point(a), self.point(b))
            })
            .collect();
        for (c, &(start, old_end, start_pos, old_end_pos)) in changes.iter().zip(&resolved).rev() {
            self.text.replace_range(start..old_end, &c.insert);
            self.lines.splice(start, old_end, c.from, c.to, &c.insert);
            self.tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: old_end,
                new_end_byte: start + c.insert.len(),
                start_position: start_pos,
                old_end_position: old_end_pos,
                new_end_position: advance(start_pos, &c.insert),
            });
            self.len16 = self.len16 - (c.to - c.from) + utf16_len(&c.insert);
        }
        self.reparse()
    }

    /// Re-reads the tree after edits: the old tree is reused where the text did not change.
    /// The line index was kept up to date edit by edit.
    fn reparse(&mut self) -> Result<(), SyntaxError> {
        self.tree = self.parser.parse(&self.text, Some(&self.tree)).ok_or(SyntaxError::ParseFailed)?;
        Ok(())
    }

    fn point(&self, byte: usize) -> Point {
        let row = self.lines.line_of_byte(byte);
        Point { row, column: byte - self.lines.line_start_byte(row) }
    }

    fn utf16(&self, p: Point) -> u32 {
        self.lines.utf16_of_point(&self.text, p)
    }

    fn span(&self, node: Node) -> Span {
        Span { from: self.utf16(node.start_position()), to: self.utf16(node.end_position()) }
    }

    pub fn outline(&self) -> Vec<Symbol> {
        outline::extract(self.lang, &self.tree, &self.text, &|p| self.utf16(p))
    }

    /// Syntax errors: one per ERROR node (its nested errors are the same mistake) and one
    /// per MISSING node, in document order.
    pub fn errors(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if !self.tree.root_node().has_error() {
            return out;
        }
        walk(&self.tree, |node| {
            if !(node.is_error() || node.is_missing()) {
                return node.has_error();
            }
            let mut span = self.span(node);
            let message = if node.is_missing() {
                format!("missing `{}`", missing_name(node))
            } else {
                unexpected(node, &self.text)
            };
            if node.is_error() && node.end_position().row > node.start_position().row {
                // Error recovery can swallow many lines; underlining all of them hides
                // where the mistake is. Mark the line where the trouble starts.
                let line_end = self.line_end_byte(node.start_position().row).max(node.start_byte());
                span.to = self.utf16(self.point(line_end));
            }
            if span.from == span.to {
                // A zero-width mark is invisible; underline the character after it.
                span.to = (span.from + 1).min(self.len16);
            }
            out.push(Diagnostic { from: span.from, to: span.to, line: node.start_position().row as u32 + 1, message });
            // Errors nested in this one are the same mistake.
            false
        });
        out
    }

    /// Foldable ranges, at most one per starting line (the outermost): the inside of
    /// bracketed blocks, and for the language's line-folded kinds everything after the
    /// first line.
    pub fn folds(&self) -> Vec<Span> {
        let line_kinds = self.lang.line_fold_kinds();
        let mut by_line: Vec<(usize, Span)> = Vec::new();
        walk(&self.tree, |node| {
            // A one-line node can fold too: a Python block folds from its header's line.
            if let Some((row, span)) = self.fold_of(node, line_kinds) {
                by_line.push((row, span));
            }
            // Children of a one-line node cannot fold.
            node.end_position().row > node.start_position().row
        });
        // Walk order puts outer nodes first; keep the first fold per line.
        by_line.sort_by_key(|(row, s)| (*row, u32::MAX - (s.to - s.from)));
        by_line.dedup_by_key(|(row, _)| *row);
        by_line.into_iter().map(|(_, s)| s).collect()
    }

    /// The fold a node offers, with the line it starts on.
    fn fold_of(&self, node: Node, line_kinds: &[&str]) -> Option<(usize, Span)> {
        let n = node.child_count();
        if n >= 2 {
            let (first, last) = (node.child(0)?, node.child(n - 1)?);
            let closes = matches!((first.kind(), last.kind()), ("{", "}") | ("[", "]") | ("(", ")"));
            if closes && !first.is_named() && last.start_position().row > first.end_position().row {
                let span = Span { from: self.utf16(first.end_position()), to: self.utf16(last.start_position()) };
                return Some((first.end_position().row, span));
            }
        }
        if !line_kinds.contains(&node.kind()) {
            return None;
        }
        let start = node.start_position();
        // A Python block starts on the line after its colon: fold from the colon.
        let from_row = if node.kind() == "block" { node.prev_sibling().map_or(start.row, |s| s.end_position().row) } else { start.row };
        let from_byte = self.line_end_byte(from_row);
        let to_byte = trim_end(&self.text, node.end_byte());
        if to_byte <= from_byte || self.lines.line_of_byte(to_byte) == from_row {
            return None;
        }
        Some((from_row, Span { from: self.utf16(self.point(from_byte)), to: self.utf16(self.point(to_byte)) }))
    }

    fn line_end_byte(&self, row: usize) -> usize {
        let start = self.lines.line_start_byte(row);
        let end = self.text[start..].find('\n').map_or(self.text.len(), |i| start + i);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// The smallest named node that strictly contains the range, for "expand selection".
    pub fn expand(&self, range: Span) -> Option<Span> {
        let (from, to) = (self.lines.byte_of_utf16(&self.text, range.from), self.lines.byte_of_utf16(&self.text, range.to));
        let mut node = self.tree.root_node().named_descendant_for_byte_range(from, to)?;
        loop {
            let (a, b) = (node.start_byte(), node.end_byte());
            if a <= from && b >= to && (a < from || b > to) {
                return Some(self.span(node));
            }
            node = node.parent()?;
        }
    }
}

fn trim_end(text: &str, end: usize) -> usize {
    text[..end].trim_end().len()
}

fn missing_name(node: Node) -> String {
    let kind = node.kind();
    if node.is_named() {
        kind.replace('_', " ")
    } else {
        kind.to_string()
    }
}

fn unexpected(node: Node, text: &str) -> String {
    let snippet = node.utf8_text(text.as_bytes()).unwrap_or("").trim();
    let first = snippet.lines().next().unwrap_or("");
    if first.is_empty() {
        "syntax error".into()
    } else if first.chars().count() > 24 {
        let cut: String = first.chars().take(24).collect();
        format!("syntax error near `{cut}…`")
    } else {
        format!("syntax error near `{first}`")
    }
}
