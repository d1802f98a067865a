//! The outline: the symbols a file defines, nested as the code nests them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Point, QueryCursor, StreamingIterator, Tree};

use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Symbol {
    pub name: String,
    /// module, class, struct, enum, interface, impl, type, function, method, field, member,
    /// constant, macro, heading, key, element, rule.
    pub kind: String,
    /// The declaration's header on one line: `pub fn open(path: &Path) -> Result<Self>`.
    pub detail: String,
    /// The whole item, in UTF-16 offsets.
    pub from: u32,
    pub to: u32,
    /// Where the name starts, where the editor puts the cursor.
    pub name_from: u32,
    /// 1-based line and 0-based byte column of the item's start.
    pub line: u32,
    pub column: u32,
    pub children: Vec<Symbol>,
}

/// Kinds a workspace symbol search offers: the things one jumps to by name. Keys of data
/// files, HTML elements and fields would drown them.
pub fn is_definition(kind: &str) -> bool {
    !matches!(kind, "key" | "element" | "field" | "member" | "rule")
}

/// The outline of a parsed file. `to16` turns a point into the editor's offset.
pub fn extract(lang: Lang, tree: &Tree, text: &str, to16: &dyn Fn(Point) -> u32) -> Vec<Symbol> {
    let query = lang.outline_query();
    let names = query.capture_names();
    let name_ix = query.capture_index_for_name("name");
    let mut cursor = QueryCursor::new();
    // One entry per item node; the first pattern that matched it decides its kind.
    let mut found: HashMap<usize, (usize, Node, Option<Node>, &str)> = HashMap::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(m) = matches.next() {
        let mut item = None;
        let mut name = None;
        for c in m.captures {
            if Some(c.index) == name_ix {
                name = Some(c.node);
            }
            // The enum member pattern captures one node twice: as name and as item.
            if Some(c.index) != name_ix || item.is_none() {
                if let Some(kind) = names.get(c.index as usize).filter(|k| **k != "name") {
                    item = Some((c.node, *kind));
                }
            }
        }
        let Some((node, kind)) = item else { continue };
        let entry = found.entry(node.id()).or_insert((m.pattern_index, node, name, kind));
        if m.pattern_index < entry.0 {
            *entry = (m.pattern_index, node, name, kind);
        }
    }
    let mut flat: Vec<(Node, Symbol)> = found
        .into_values()
        .map(|(_, node, name, kind)| {
            let label = match name {
                Some(n) => clean_name(&text[n.byte_range()]),
                None => header(node, text),
            };
            let name_from = to16(name.map_or(node.start_position(), |n| n.start_position()));
            let start = node.start_position();
            let symbol = Symbol {
                detail: header(node, text),
                name: label,
                kind: kind.to_string(),
                from: to16(start),
                to: to16(node.end_position()),
                name_from,
                line: start.row as u32 + 1,
                column: start.column as u32,
                children: Vec::new(),
            };
            (node, symbol)
        })
        .collect();
    flat.sort_by_key(|(n, _)| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    nest(flat.into_iter().map(|(n, s)| (n.start_byte(), n.end_byte(), s)).collect())
}

fn nest(flat: Vec<(usize, usize, Symbol)>) -> Vec<Symbol> {
    // A stack of open items; an item closes when the next one starts past its end.
    let mut roots: Vec<Symbol> = Vec::new();
    let mut stack: Vec<(usize, Symbol)> = Vec::new();
    fn close(stack: &mut Vec<(usize, Symbol)>, roots: &mut Vec<Symbol>) {
        if let Some((_, done)) = stack.pop() {
            match stack.last_mut() {
                Some((_, parent)) => parent.children.push(done),
                None => roots.push(done),
            }
        }
    }
    for (start, end, mut symbol) in flat {
        while stack.last().is_some_and(|(e, _)| start >= *e) {
            close(&mut stack, &mut roots);
        }
        if symbol.kind == "function" && stack.last().is_some_and(|(_, p)| matches!(p.kind.as_str(), "class" | "struct" | "impl" | "interface")) {
            symbol.kind = "method".into();
        }
        stack.push((end, symbol));
    }
    while !stack.is_empty() {
        close(&mut stack, &mut roots);
    }
    roots
}

fn clean_name(raw: &str) -> String {
    let raw = raw.trim();
    let unquoted = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(raw);
    collapse(unquoted, 80)
}

/// The declaration up to its body, on one line.
fn header(node: Node, text: &str) -> String {
    // `const f = (a) => …` and `key: function () {…}`: the header ends at the function's body.
    let function_value = node.child_by_field_name("value").filter(|v| v.kind().contains("function"));
    let body_start = node
        .child_by_field_name("body")
        .or_else(|| function_value.and_then(|v| v.child_by_field_name("body")))
        // CSS rules and at-rules have an unnamed block.
        .or_else(|| (0..node.named_child_count()).filter_map(|i| node.named_child(i)).find(|c| matches!(c.kind(), "block" | "keyframe_block_list")))
        .map(|b| b.start_byte())
        .filter(|&b| b > node.start_byte());
    let end = match body_start {
        Some(b) => b,
        None => text[node.start_byte()..node.end_byte()].find('\n').map_or(node.end_byte(), |i| node.start_byte() + i),
    };
    let head = collapse(&text[node.start_byte()..end], 160);
    let head = head.trim_end();
    let head = head.strip_suffix("=>").unwrap_or(head);
    head.trim_end_matches(['{', ':', '=', ' ']).to_string()
}

fn collapse(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 3));
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > max {
            let mut cut = max;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

/// The outline as indented text, for snapshots and the command line.
pub fn render(symbols: &[Symbol]) -> String {
    fn walk(out: &mut String, symbols: &[Symbol], depth: usize) {
        for s in symbols {
            out.push_str(&format!("{}{} {} @{}  {}\n", "  ".repeat(depth), s.kind, s.name, s.line, s.detail));
            walk(out, &s.children, depth + 1);
        }
    }
    let mut out = String::new();
    walk(&mut out, symbols, 0);
    out
}
