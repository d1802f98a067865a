//! The repo map: for a token budget, the workspace's most referenced definitions and their
//! signatures, grouped by file. In the spirit of Aider's: files are ranked by PageRank over
//! "file A uses a name that file B defines", and each file's rank flows to the definitions
//! it uses.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::index::{name_hash, FlatSymbol, IndexedFile};
use crate::outline::is_definition;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RepoMap {
    pub text: String,
    /// Estimated at four characters a token.
    pub tokens: u32,
    pub budget: u32,
    /// Files shown with definitions, and files in the index.
    pub files_shown: u32,
    pub files_total: u32,
    pub definitions_shown: u32,
    pub definitions_total: u32,
}

pub fn estimate_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(4)
}

/// `focus`: files the user is working on (open tabs); names they use rank higher.
pub fn repo_map(files: &[(String, Arc<IndexedFile>)], focus: &[String], budget: u32) -> RepoMap {
    let focus: HashSet<&str> = focus.iter().map(String::as_str).collect();
    let n = files.len();
    // name hash → files defining it (indices), and the name itself for the weighting.
    let mut defines: HashMap<u64, (Vec<usize>, &str)> = HashMap::new();
    for (i, (_, f)) in files.iter().enumerate() {
        for s in f.symbols.iter().filter(|s| is_definition(&s.kind)) {
            let e = defines.entry(name_hash(&s.name)).or_insert((Vec::new(), s.name.as_str()));
            if e.0.last() != Some(&i) {
                e.0.push(i);
            }
        }
    }
    // Edges: referencing file → defining file, through one name, with a weight.
    let mut edges: Vec<(usize, usize, u64, f64)> = Vec::new();
    for (r, (path, f)) in files.iter().enumerate() {
        for &(h, count) in &f.refs {
            let Some((definers, name)) = defines.get(&h) else { continue };
            let mut w = name_weight(name, definers.len()) * f64::from(count).sqrt();
            if focus.contains(path.as_str()) {
                w *= 50.0;
            }
            for &d in definers.iter().filter(|&&d| d != r) {
                edges.push((r, d, h, w));
            }
        }
    }
    let rank = pagerank(n, &edges, files, &focus);
    // Each file's rank flows along its out-edges to the (file, name) definitions.
    let mut out_weight = vec![0.0; n];
    for &(r, _, _, w) in &edges {
        out_weight[r] += w;
    }
    let mut def_rank: HashMap<(usize, u64), f64> = HashMap::new();
    for &(r, d, h, w) in &edges {
        *def_rank.entry((d, h)).or_insert(0.0) += rank[r] * w / out_weight[r];
    }
    // Every definition gets a place: ranked ones first, then the rest by file rank and line.
    let mut order: Vec<(usize, u64, f64, u32)> = Vec::new();
    let mut seen = HashSet::new();
    for (i, (_, f)) in files.iter().enumerate() {
        for s in f.symbols.iter().filter(|s| is_definition(&s.kind)) {
            let h = name_hash(&s.name);
            if seen.insert((i, h)) {
                order.push((i, h, def_rank.get(&(i, h)).copied().unwrap_or(0.0), s.line));
            }
        }
    }
    order.sort_by(|a, b| b.2.total_cmp(&a.2).then(rank[b.0].total_cmp(&rank[a.0])).then(a.0.cmp(&b.0)).then(a.3.cmp(&b.3)));
    let definitions_total = order.len() as u32;

    // The most definitions that fit: the rendered size grows with the count, so bisect.
    let (mut lo, mut hi) = (0usize, order.len());
    let mut best = render(files, &order[..0]);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let text = render(files, &order[..mid]);
        if estimate_tokens(&text) <= budget {
            best = text;
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let shown: HashSet<usize> = order[..lo].iter().map(|o| o.0).collect();
    RepoMap {
        tokens: estimate_tokens(&best),
        text: best,
        budget,
        files_shown: shown.len() as u32,
        files_total: n as u32,
        definitions_shown: lo as u32,
        definitions_total,
    }
}

/// Aider's heuristics: long, compound names say more; private names and names defined
/// everywhere (`new`, `run`) say less.
fn name_weight(name: &str, definers: usize) -> f64 {
    let mut w = 1.0;
    let compound = name.contains('_') || (name.chars().any(|c| c.is_uppercase()) && name.chars().any(|c| c.is_lowercase()));
    if name.len() >= 8 && compound {
        w *= 10.0;
    }
    if name.starts_with('_') {
        w *= 0.1;
    }
    if definers > 5 {
        w *= 0.1;
    }
    w
}

fn pagerank(n: usize, edges: &[(usize, usize, u64, f64)], files: &[(String, Arc<IndexedFile>)], focus: &HashSet<&str>) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let mut personal: Vec<f64> = files.iter().map(|(p, _)| if focus.contains(p.as_str()) { 1.0 } else { 0.0 }).collect();
    let total: f64 = personal.iter().sum();
    if total == 0.0 {
        personal = vec![1.0 / n as f64; n];
    } else {
        personal.iter_mut().for_each(|p| *p /= total);
    }
    let mut out_weight = vec![0.0; n];
    for &(r, _, _, w) in edges {
        out_weight[r] += w;
    }
    let damping = 0.85;
    let mut rank = personal.clone();
    for _ in 0..30 {
        let mut next: Vec<f64> = personal.iter().map(|p| (1.0 - damping) * p).collect();
        // Files that use no known names hand their rank back through the personalization.
        let dangling: f64 = (0..n).filter(|&i| out_weight[i] == 0.0).map(|i| rank[i]).sum();
        for (i, v) in next.iter_mut().enumerate() {
            *v += damping * dangling * personal[i];
        }
        for &(r, d, _, w) in edges {
            next[d] += damping * rank[r] * w / out_weight[r];
        }
        rank = next;
    }
    rank
}

/// The chosen definitions grouped by file, each with the lines of its enclosing items, in
/// line order, `⋮` where lines are left out.
fn render(files: &[(String, Arc<IndexedFile>)], chosen: &[(usize, u64, f64, u32)]) -> String {
    let mut by_file: Vec<(usize, HashSet<u64>)> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    for &(f, h, _, _) in chosen {
        let i = *slot.entry(f).or_insert_with(|| {
            by_file.push((f, HashSet::new()));
            by_file.len() - 1
        });
        by_file[i].1.insert(h);
    }
    let mut out = String::new();
    for (f, names) in by_file {
        let (path, file) = &files[f];
        let mut lines: Vec<(u32, u32, &str)> = Vec::new();
        for s in file.symbols.iter().filter(|s| is_definition(&s.kind) && names.contains(&name_hash(&s.name))) {
            push_symbol(&mut lines, s);
        }
        lines.sort_unstable();
        lines.dedup();
        out.push_str(path);
        out.push_str(":\n");
        let mut prev = 0;
        for (line, column, detail) in lines {
            if line > prev + 1 {
                out.push_str("⋮\n");
            }
            out.push('│');
            out.extend(std::iter::repeat_n(' ', column.min(40) as usize));
            out.push_str(detail);
            out.push('\n');
            prev = line;
        }
        out.push_str("⋮\n");
    }
    out
}

fn push_symbol<'a>(lines: &mut Vec<(u32, u32, &'a str)>, s: &'a FlatSymbol) {
    for (line, column, detail) in &s.parents {
        lines.push((*line, *column, detail.as_str()));
    }
    lines.push((s.line, s.column, s.detail.as_str()));
}
