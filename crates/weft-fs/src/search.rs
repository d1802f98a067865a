//! Project-wide search and replace, built from ripgrep's own crates (ignore, grep-regex,
//! grep-searcher) so results match what `rg` would find, streamed per file as found.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, SearcherBuilder, Sink, SinkMatch};
use ignore::overrides::OverrideBuilder;
use serde::{Deserialize, Serialize};

use crate::{FsError, Result, Workspace};

const MAX_LINE_CHARS: usize = 400;

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchOptions {
    pub query: String,
    pub regex: bool,
    pub case_sensitive: bool,
    pub whole_word: bool,
    /// Globs; a bare name like `src` means that folder anywhere.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Stop after this many matching lines (0: a default of 20,000).
    pub max_results: usize,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchLine {
    /// 1-based.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line: u64,
    pub text: String,
    /// Match ranges in UTF-16 code units of `text`, which is what the editor counts in.
    pub ranges: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub path: String,
    pub lines: Vec<SearchLine>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchSummary {
    pub files: usize,
    pub matches: usize,
    pub truncated: bool,
    pub cancelled: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplaceOutcome {
    pub path: String,
    pub replacements: usize,
    /// (line, before, after) for the first changed lines, for the preview.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, string, string]>"))]
    pub preview: Vec<(u64, String, String)>,
    pub error: Option<String>,
}

/// Cancels a running search from another thread.
#[derive(Debug, Clone, Default)]
pub struct SearchCancel(Arc<AtomicBool>);

impl SearchCancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl SearchOptions {
    fn pattern(&self) -> String {
        if self.regex { self.query.clone() } else { regex::escape(&self.query) }
    }

    fn matcher(&self) -> Result<RegexMatcher> {
        RegexMatcherBuilder::new()
            .case_insensitive(!self.case_sensitive)
            .word(self.whole_word)
            .line_terminator(Some(b'\n'))
            .build(&self.pattern())
            .map_err(|e| FsError::BadPattern(e.to_string()))
    }

    fn replace_regex(&self) -> Result<regex::Regex> {
        let mut p = self.pattern();
        if self.whole_word {
            p = format!(r"\b(?:{p})\b");
        }
        regex::RegexBuilder::new(&p)
            .case_insensitive(!self.case_sensitive)
            .multi_line(true)
            .build()
            .map_err(|e| FsError::BadPattern(e.to_string()))
    }
}

impl Workspace {
    /// Searches every non-ignored text file; `on_hit` is called (from several threads)
    /// once per matching file, as soon as that file is done.
    pub fn search(&self, opts: &SearchOptions, cancel: &SearchCancel, on_hit: &(dyn Fn(SearchHit) + Sync)) -> Result<SearchSummary> {
        if opts.query.is_empty() {
            return Ok(SearchSummary::default());
        }
        let matcher = opts.matcher()?;
        let mut ob = OverrideBuilder::new(self.root());
        for g in opts.include.iter().filter(|g| !g.trim().is_empty()) {
            for pat in expand_glob(g.trim()) {
                ob.add(&pat).map_err(|e| FsError::BadPattern(e.to_string()))?;
            }
        }
        for g in opts.exclude.iter().filter(|g| !g.trim().is_empty()) {
            for pat in expand_glob(g.trim()) {
                ob.add(&format!("!{pat}")).map_err(|e| FsError::BadPattern(e.to_string()))?;
            }
        }
        let overrides = ob.build().map_err(|e| FsError::BadPattern(e.to_string()))?;
        let limit = if opts.max_results == 0 { 20_000 } else { opts.max_results };
        let files = AtomicUsize::new(0);
        let matches = AtomicUsize::new(0);
        let truncated = AtomicBool::new(false);

        crate::tree::walker(self.root()).overrides(overrides).build_parallel().run(|| {
            let matcher = matcher.clone();
            let mut searcher = SearcherBuilder::new()
                .binary_detection(BinaryDetection::quit(0))
                .line_number(true)
                .build();
            let (files, matches, truncated) = (&files, &matches, &truncated);
            Box::new(move |entry| {
                if cancel.is_cancelled() || truncated.load(Ordering::Relaxed) {
                    return ignore::WalkState::Quit;
                }
                let Ok(entry) = entry else { return ignore::WalkState::Continue };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let mut sink = LineSink { matcher: &matcher, lines: Vec::new() };
                if searcher.search_path(&matcher, entry.path(), &mut sink).is_err() || sink.lines.is_empty() {
                    return ignore::WalkState::Continue;
                }
                let Some(path) = self.relative(entry.path()) else { return ignore::WalkState::Continue };
                let n = sink.lines.len();
                let before = matches.fetch_add(n, Ordering::Relaxed);
                let mut lines = sink.lines;
                if before + n >= limit {
                    truncated.store(true, Ordering::Relaxed);
                    lines.truncate(limit.saturating_sub(before));
                    if lines.is_empty() {
                        return ignore::WalkState::Quit;
                    }
                }
                files.fetch_add(1, Ordering::Relaxed);
                on_hit(SearchHit { path, lines });
                ignore::WalkState::Continue
            })
        });
        Ok(SearchSummary {
            files: files.into_inner(),
            matches: matches.into_inner().min(limit),
            truncated: truncated.into_inner(),
            cancelled: cancel.is_cancelled(),
        })
    }

    /// Replaces every match in the given files (or, with `None`, in every file the search
    /// finds). With `apply == false` nothing is written: the outcomes are the preview.
    pub fn replace_in_files(&self, opts: &SearchOptions, replacement: &str, paths: Option<Vec<String>>, apply: bool) -> Result<Vec<ReplaceOutcome>> {
        let re = opts.replace_regex()?;
        let paths = match paths {
            Some(p) => p,
            None => {
                let found = std::sync::Mutex::new(Vec::new());
                self.search(opts, &SearchCancel::default(), &|hit| {
                    if let Ok(mut f) = found.lock() {
                        f.push(hit.path);
                    }
                })?;
                let mut v = found.into_inner().unwrap_or_default();
                v.sort();
                v
            }
        };
        let mut out = Vec::new();
        for path in paths {
            let mut outcome = ReplaceOutcome { path: path.clone(), replacements: 0, preview: Vec::new(), error: None };
            match self.read_text(&path) {
                Err(e) => outcome.error = Some(e.to_string()),
                Ok(file) => {
                    let text = &file.content.text;
                    outcome.replacements = re.find_iter(text).count();
                    if outcome.replacements > 0 {
                        let replaced = if opts.regex { re.replace_all(text, replacement) } else { re.replace_all(text, regex::NoExpand(replacement)) };
                        for (i, (a, b)) in text.lines().zip(replaced.lines()).enumerate() {
                            if a != b && outcome.preview.len() < 50 {
                                outcome.preview.push((i as u64 + 1, clip(a), clip(b)));
                            }
                        }
                        if apply {
                            if let Err(e) = self.write_text(&path, &replaced, file.content.encoding) {
                                outcome.error = Some(e.to_string());
                            }
                        }
                    }
                }
            }
            out.push(outcome);
        }
        Ok(out)
    }
}

fn expand_glob(g: &str) -> Vec<String> {
    let g = g.trim_end_matches('/');
    if g.contains(['*', '?', '[', '{']) {
        vec![g.to_owned()]
    } else {
        vec![g.to_owned(), format!("{g}/**")]
    }
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_LINE_CHARS).collect()
}

struct LineSink<'a> {
    matcher: &'a RegexMatcher,
    lines: Vec<SearchLine>,
}

impl Sink for LineSink<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &grep_searcher::Searcher, m: &SinkMatch<'_>) -> std::result::Result<bool, Self::Error> {
        let bytes = m.bytes();
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let mut byte_ranges = Vec::new();
        let _ = self.matcher.find_iter(bytes, |r| {
            byte_ranges.push((r.start(), r.end()));
            byte_ranges.len() < 100
        });
        let text = String::from_utf8_lossy(bytes);
        // Clip very long lines (minified code) around the first match.
        let (text, offset) = if text.chars().count() > MAX_LINE_CHARS {
            let first = byte_ranges.first().map(|r| r.0).unwrap_or(0);
            let start = text.char_indices().map(|(i, _)| i).take_while(|&i| i + 40 <= first).last().unwrap_or(0);
            let clipped: String = text[start..].chars().take(MAX_LINE_CHARS).collect();
            (clipped, start)
        } else {
            (text.into_owned(), 0)
        };
        let utf16 = |byte: usize| -> Option<u32> {
            let b = byte.checked_sub(offset)?;
            if b > text.len() || !text.is_char_boundary(b) {
                return None;
            }
            Some(text[..b].encode_utf16().count() as u32)
        };
        let ranges = byte_ranges.iter().filter_map(|&(s, e)| Some((utf16(s)?, utf16(e.min(offset + text.len()))?))).collect();
        self.lines.push(SearchLine { line: m.line_number().unwrap_or(0), text, ranges });
        Ok(true)
    }
}
