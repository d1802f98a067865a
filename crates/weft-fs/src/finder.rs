//! The fuzzy file finder (Ctrl/Cmd+P): Helix's nucleo matcher over the cached file list.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FinderMatch {
    pub path: String,
    pub score: u32,
    /// Char indices of the matched characters, for highlighting.
    pub indices: Vec<u32>,
}

pub struct FileFinder {
    files: Vec<String>,
    matcher: Matcher,
}

impl FileFinder {
    pub fn new(files: Vec<String>) -> Self {
        Self { files, matcher: Matcher::new(Config::DEFAULT.match_paths()) }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn query(&mut self, query: &str, limit: usize) -> Vec<FinderMatch> {
        if query.trim().is_empty() {
            return self.files.iter().take(limit).map(|p| FinderMatch { path: p.clone(), score: 0, indices: vec![] }).collect();
        }
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut buf = Vec::new();
        let mut indices = Vec::new();
        let mut hits: Vec<FinderMatch> = Vec::new();
        for path in &self.files {
            indices.clear();
            if let Some(score) = pattern.indices(Utf32Str::new(path, &mut buf), &mut self.matcher, &mut indices) {
                hits.push(FinderMatch { path: path.clone(), score, indices: indices.clone() });
            }
        }
        hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.path.len().cmp(&b.path.len())).then(a.path.cmp(&b.path)));
        hits.truncate(limit);
        for h in &mut hits {
            h.indices.sort_unstable();
            h.indices.dedup();
        }
        hits
    }
}
