//! Positions. The editor counts in UTF-16 code units (JavaScript strings); tree-sitter counts
//! bytes and (row, byte column) points. A [`LineIndex`] maps between them.

use tree_sitter::{Node, Point, Tree};

/// Start of every line, in bytes and in UTF-16 units.
pub struct LineIndex {
    bytes: Vec<usize>,
    utf16: Vec<u32>,
    /// Whole text is ASCII: both measures agree and no scan is needed.
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let ascii = text.is_ascii();
        let mut bytes = vec![0];
        let mut utf16 = vec![0u32];
        if ascii {
            for (i, b) in text.bytes().enumerate() {
                if b == b'\n' {
                    bytes.push(i + 1);
                    utf16.push((i + 1) as u32);
                }
            }
        } else {
            // Byte by byte, as this runs after every edit: every byte that starts a char
            // is one UTF-16 unit, and a 4-byte lead adds the second half of a surrogate pair.
            let mut u = 0u32;
            for (i, &b) in text.as_bytes().iter().enumerate() {
                u += u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0);
                if b == b'\n' {
                    bytes.push(i + 1);
                    utf16.push(u);
                }
            }
        }
        Self { bytes, utf16, ascii }
    }

    /// Follows one replacement of `start..old_end` (UTF-16 `from..to`) by `insert`,
    /// touching only the lines after it: a full rebuild per keystroke would cost more than
    /// the incremental reparse it serves.
    pub fn splice(&mut self, start: usize, old_end: usize, from: u32, to: u32, insert: &str) {
        // Lines that began inside the replaced text are gone.
        let first_gone = self.bytes.partition_point(|&b| b <= start);
        let end_gone = self.bytes.partition_point(|&b| b <= old_end);
        let mut new_bytes = Vec::new();
        let mut new_utf16 = Vec::new();
        let mut u = from;
        for (i, c) in insert.char_indices() {
            u += c.len_utf16() as u32;
            if c == '\n' {
                new_bytes.push(start + i + 1);
                new_utf16.push(u);
            }
        }
        let grown = insert.len() as isize - (old_end - start) as isize;
        let grown16 = i64::from(u) - i64::from(to);
        self.bytes.splice(first_gone..end_gone, new_bytes.iter().copied());
        self.utf16.splice(first_gone..end_gone, new_utf16.iter().copied());
        let after = first_gone + new_bytes.len();
        for b in &mut self.bytes[after..] {
            *b = (*b as isize + grown) as usize;
        }
        for v in &mut self.utf16[after..] {
            *v = (i64::from(*v) + grown16) as u32;
        }
        self.ascii &= insert.is_ascii();
    }

    /// The UTF-16 offset of a tree-sitter point in `text`.
    pub fn utf16_of_point(&self, text: &str, p: Point) -> u32 {
        let row = p.row.min(self.bytes.len() - 1);
        let start = self.bytes[row];
        if self.ascii {
            return (start + p.column) as u32;
        }
        let end = (start + p.column).min(text.len());
        self.utf16[row] + utf16_len(text.get(start..end).unwrap_or(""))
    }

    /// The byte offset of a UTF-16 offset, clamped to the text and to a char boundary.
    pub fn byte_of_utf16(&self, text: &str, offset: u32) -> usize {
        if self.ascii {
            return (offset as usize).min(text.len());
        }
        let row = self.utf16.partition_point(|&u| u <= offset).saturating_sub(1);
        let mut u = self.utf16[row];
        let mut b = self.bytes[row];
        for c in text[b..].chars() {
            if u >= offset {
                break;
            }
            u += c.len_utf16() as u32;
            b += c.len_utf8();
        }
        b
    }

    /// 0-based line of a byte offset.
    pub fn line_of_byte(&self, byte: usize) -> usize {
        self.bytes.partition_point(|&b| b <= byte).saturating_sub(1)
    }

    pub fn line_start_byte(&self, line: usize) -> usize {
        self.bytes[line.min(self.bytes.len() - 1)]
    }
}

pub fn utf16_len(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.chars().map(|c| c.len_utf16() as u32).sum()
    }
}

/// The point just after `text`, when `text` starts at `start`.
pub fn advance(start: Point, text: &str) -> Point {
    match text.rfind('\n') {
        None => Point { row: start.row, column: start.column + text.len() },
        Some(i) => Point { row: start.row + text.matches('\n').count(), column: text.len() - i - 1 },
    }
}

/// Visits the tree in document order, parents before children; `visit` says whether to
/// go into a node's children.
pub fn walk(tree: &Tree, mut visit: impl FnMut(Node) -> bool) {
    let mut cursor = tree.walk();
    loop {
        if visit(cursor.node()) && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}
