//! Problem matchers: compiler, linter and test-runner output turned into located problems
//! (VS Code's problem matchers, built in for the tools people run): rustc/cargo/clippy,
//! tsc, eslint (stylish and unix formats), pytest, go (build, vet, test) and gcc/clang.
//!
//! Output arrives as terminal bytes in arbitrary chunks: the scanner joins lines across
//! chunks, drops colour and cursor escapes, keeps what a `\r` redraw left visible, and
//! carries the state multi-line formats need (rustc's header before its `-->` line,
//! eslint's file line before its entries, pytest's `E` lines before the location).

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RunProblem"))]
pub struct Problem {
    /// As the tool printed it (relative to the run's folder, or absolute).
    pub path: String,
    /// 1-based.
    pub line: u32,
    /// 1-based; 0 when the tool gives none.
    pub column: u32,
    /// "error", "warning" or "info".
    pub severity: String,
    pub message: String,
    /// The tool's code for it (E0308, TS2322, no-unused-vars), if any.
    pub code: Option<String>,
    /// Which matcher found it: rustc, tsc, eslint, pytest, go, gcc.
    pub source: String,
}

macro_rules! re {
    ($name:ident, $re:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("a fixed pattern compiles"));
    };
}

re!(ANSI, r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]");
re!(RUST_HEAD, r"^(error|warning)(?:\[([A-Za-z0-9_:]+)\])?: (.+)$");
re!(RUST_AT, r"^\s*--> (.+?):(\d+):(\d+)$");
re!(RUST_PANIC, r"^thread '(.*)'(?: \(\d+\))? panicked at (.+?):(\d+):(\d+):?$");
re!(TSC_PAREN, r"^(.+?)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.+)$");
re!(TSC_PRETTY, r"^(.+?):(\d+):(\d+) - (error|warning|message) (TS\d+): (.+)$");
re!(ESLINT_ENTRY, r"^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(\S+))?$");
re!(ESLINT_UNIX, r"^(.+?):(\d+):(\d+): (.+?) \[(Error|Warning)(?:/(.+))?\]$");
re!(PYTEST_AT, r"^(.+?\.py):(\d+): (\w+)$");
re!(PYTEST_E, r"^E\s+(.*)$");
re!(GO_AT, r"^(?:\./)?(\S+?\.go):(\d+):(\d+): (.+)$");
re!(GO_TEST, r"^\s+(\S+?_test\.go):(\d+): (.+)$");
re!(GCC, r"^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.+?)(?: \[(-W[^\]]+)\])?$");

/// Feeds on a run's output; hands back the problems each chunk completed.
#[derive(Default)]
pub struct Scanner {
    partial: Vec<u8>,
    rust_head: Option<(String, Option<String>, String)>,
    panic_at: Option<(String, u32, u32)>,
    eslint_file: Option<String>,
    pytest_e: Vec<String>,
}

impl Scanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// A chunk of output; problems from the lines it completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Problem> {
        self.feed_seeing(bytes, |_| {})
    }

    /// [`Scanner::feed`], with each completed line also handed to `see` as a reader sees
    /// it (escapes gone): what else reads a run's output (its announced ports) reads these
    /// rather than decoding the bytes again.
    pub fn feed_seeing(&mut self, bytes: &[u8], mut see: impl FnMut(&str)) -> Vec<Problem> {
        self.partial.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = clean(&raw[..raw.len() - 1]);
            see(&line);
            self.line(&line, &mut out);
        }
        // A line without its newline yet waits; one that never gets one is bounded.
        if self.partial.len() > 64 * 1024 {
            self.partial.clear();
        }
        out
    }

    /// The output ended: a pending last line is read too.
    pub fn finish(&mut self) -> Vec<Problem> {
        let mut out = Vec::new();
        if !self.partial.is_empty() {
            let line = clean(&std::mem::take(&mut self.partial));
            self.line(&line, &mut out);
        }
        out
    }

    fn line(&mut self, line: &str, out: &mut Vec<Problem>) {
        let p = |path: &str, line: &str, col: &str, sev: &str, msg: &str, code: Option<&str>, source: &str| Problem {
            path: path.trim().to_owned(),
            line: line.parse().unwrap_or(0),
            column: col.parse().unwrap_or(0),
            severity: severity(sev),
            message: msg.trim().to_owned(),
            code: code.map(str::to_owned),
            source: source.to_owned(),
        };
        // rustc: "error[E0308]: mismatched types" then, a line later, " --> src/main.rs:4:18".
        if let Some((sev, code, msg)) = self.rust_head.take() {
            if let Some(c) = RUST_AT.captures(line) {
                out.push(p(&c[1], &c[2], &c[3], &sev, &msg, code.as_deref(), "rustc"));
                return;
            }
            // Only the line right after the header may locate it (a summary like
            // "error: could not compile" has none).
        }
        if let Some((path, l, col)) = self.panic_at.take() {
            let msg = if line.trim().is_empty() || line.starts_with("note:") { "panicked".to_owned() } else { line.trim().to_owned() };
            out.push(Problem { path, line: l, column: col, severity: "error".into(), message: msg, code: None, source: "rustc".into() });
        }
        if let Some(c) = RUST_HEAD.captures(line) {
            self.rust_head = Some((c[1].to_owned(), c.get(2).map(|m| m.as_str().to_owned()), c[3].to_owned()));
            return;
        }
        if let Some(c) = RUST_PANIC.captures(line) {
            self.panic_at = Some((c[2].to_owned(), c[3].parse().unwrap_or(0), c[4].parse().unwrap_or(0)));
            return;
        }
        if let Some(c) = TSC_PAREN.captures(line).or_else(|| TSC_PRETTY.captures(line)) {
            out.push(p(&c[1], &c[2], &c[3], &c[4], &c[6], Some(&c[5]), "tsc"));
            return;
        }
        if let Some(c) = ESLINT_UNIX.captures(line) {
            out.push(p(&c[1], &c[2], &c[3], &c[5], &c[4], c.get(6).map(|m| m.as_str()), "eslint"));
            return;
        }
        if let Some(file) = &self.eslint_file {
            if let Some(c) = ESLINT_ENTRY.captures(line) {
                let file = file.clone();
                out.push(p(&file, &c[1], &c[2], &c[3], &c[4], c.get(5).map(|m| m.as_str()), "eslint"));
                return;
            }
        }
        if let Some(c) = PYTEST_E.captures(line) {
            self.pytest_e.push(c[1].trim().to_owned());
            return;
        }
        if let Some(c) = PYTEST_AT.captures(line) {
            let e = std::mem::take(&mut self.pytest_e);
            let msg = e.iter().find(|l| !l.is_empty()).cloned().unwrap_or_else(|| c[3].to_owned());
            out.push(p(&c[1], &c[2], "0", "error", &msg, Some(&c[3]), "pytest"));
            return;
        }
        if let Some(c) = GO_AT.captures(line) {
            out.push(p(&c[1], &c[2], &c[3], "error", &c[4], None, "go"));
            return;
        }
        if let Some(c) = GO_TEST.captures(line) {
            out.push(p(&c[1], &c[2], "0", "error", &c[3], None, "go"));
            return;
        }
        if let Some(c) = GCC.captures(line) {
            if &c[4] != "note" {
                out.push(p(&c[1], &c[2], &c[3], &c[4], &c[5], c.get(6).map(|m| m.as_str()), "gcc"));
            }
            return;
        }
        // eslint's stylish format names the file on a line of its own, then its entries.
        let t = line.trim_end();
        if !t.is_empty() && !t.starts_with(char::is_whitespace) && !t.contains(' ') && (t.contains('/') || t.contains('\\')) && t.rsplit('/').next().is_some_and(|n| n.contains('.')) {
            self.eslint_file = Some(t.to_owned());
        } else if t.is_empty() {
            self.eslint_file = None;
        }
        if !line.starts_with(['_', ' ']) && !t.is_empty() && !t.starts_with('>') {
            // pytest's E lines belong to the location right after them.
            self.pytest_e.clear();
        }
    }
}

fn severity(s: &str) -> String {
    match s.to_ascii_lowercase().as_str() {
        "error" | "fatal error" => "error",
        "warning" => "warning",
        _ => "info",
    }
    .to_owned()
}

/// A terminal line as a reader sees it: escapes gone, and after a carriage return only
/// what overwrote the line.
fn clean(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let s = ANSI.replace_all(&s, "");
    let s = s.strip_suffix('\r').unwrap_or(&s);
    s.rsplit('\r').next().unwrap_or(s).to_owned()
}

/// A problem's file as a path inside the project (`/`-separated), if it is in it: relative
/// paths are the run's folder's, `./` and `..` are resolved, and anything outside the
/// project (a dependency's source in ~/.cargo) is `None`.
pub fn project_path(root: &Path, cwd: &str, printed: &str) -> Option<String> {
    let p = Path::new(printed);
    let full = if p.is_absolute() { p.to_path_buf() } else { root.join(cwd).join(p) };
    let mut norm = PathBuf::new();
    for c in full.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            c => norm.push(c),
        }
    }
    let rel = norm.strip_prefix(root).ok()?;
    let s = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    (!s.is_empty()).then_some(s)
}
