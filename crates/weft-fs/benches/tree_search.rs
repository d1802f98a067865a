//! Tree listing and project search over a large real tree, against two peers in the same
//! run, interleaved: ripgrep's own engine in this process (the `ignore` crate's parallel
//! walker and `grep-searcher`, the same rules, every match collected in memory: the same
//! work Weft does, so the fair figure), and the `rg` program as users run it (its process
//! start, formatting and a pipe included: the user-facing figure). Prints medians and
//! ratios; asserts nothing about time.
//!
//!   cargo bench -p weft-fs --bench tree_search -- [TREE] [PATTERN] [RUNS]
//!
//! Default tree: the cargo registry sources (hundreds of real crates), else /usr/include.
//! All three use Weft's rules (hidden files shown, .git skipped, .gitignore honoured
//! outside git repositories). The file sets are compared, not assumed: Weft lists symlinked
//! files (the finder offers them), `rg --files` skips them; the in-process peer lists what
//! Weft lists.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grep_regex::RegexMatcherBuilder;
use grep_searcher::sinks::UTF8;
use grep_searcher::SearcherBuilder;
use ignore::{WalkBuilder, WalkState};
use weft_fs::{SearchCancel, SearchOptions, Workspace};

/// Weft's walking rules, on ripgrep's walker.
fn walker(tree: &std::path::Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(tree);
    b.hidden(false).require_git(false).git_ignore(true).git_exclude(true).git_global(true).parents(true).follow_links(false).filter_entry(|e| e.file_name() != ".git");
    b
}

/// Hands a thread's finds over in batches; what is left goes when the walker drops it.
struct Batch<T> {
    tx: std::sync::mpsc::Sender<Vec<T>>,
    items: Vec<T>,
}

impl<T> Batch<T> {
    fn push(&mut self, t: T) {
        self.items.push(t);
        if self.items.len() >= 256 {
            let _ = self.tx.send(std::mem::take(&mut self.items));
        }
    }
}

impl<T> Drop for Batch<T> {
    fn drop(&mut self) {
        if !self.items.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.items));
        }
    }
}

/// The in-process peer's listing: every non-directory's path, collected and sorted (as text,
/// as Weft sorts its list).
fn engine_list(tree: &std::path::Path) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    walker(tree).build_parallel().run(|| {
        let mut batch = Batch { tx: tx.clone(), items: Vec::with_capacity(256) };
        Box::new(move |e| {
            if let Ok(e) = e {
                if e.file_type().is_some_and(|t| !t.is_dir()) {
                    batch.push(e.path().to_string_lossy().into_owned());
                }
            }
            WalkState::Continue
        })
    });
    drop(tx);
    let mut v: Vec<String> = rx.into_iter().flatten().collect();
    v.sort_unstable();
    v
}

/// The in-process peer's search: fixed string, case-sensitive, line numbers, every matching
/// line (path, number, text) collected in memory.
fn engine_search(tree: &std::path::Path, pattern: &str) -> usize {
    let matcher = RegexMatcherBuilder::new().line_terminator(Some(b'\n')).build(&regex_escape(pattern)).expect("pattern");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<(PathBuf, u64, String)>>();
    walker(tree).build_parallel().run(|| {
        let matcher = matcher.clone();
        let mut batch = Batch { tx: tx.clone(), items: Vec::with_capacity(256) };
        let mut searcher = SearcherBuilder::new().line_number(true).build();
        Box::new(move |e| {
            let Ok(e) = e else { return WalkState::Continue };
            if !e.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = e.path().to_path_buf();
            let _ = searcher.search_path(&matcher, &path, UTF8(|n, line| {
                batch.push((path.clone(), n, line.to_owned()));
                Ok(true)
            }));
            WalkState::Continue
        })
    });
    drop(tx);
    rx.into_iter().map(|v| v.len()).sum()
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if "\\.+*?()|[]{}^$#&-~".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rg(args: &[&str], tree: &str) -> (Duration, usize) {
    let start = Instant::now();
    let mut child = Command::new("rg")
        .args(["--hidden", "--no-require-git", "-g", "!.git", "--no-config"])
        .args(args)
        .arg(tree)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rg is installed (apt-get install ripgrep)");
    let mut out = Vec::new();
    child.stdout.take().expect("stdout").read_to_end(&mut out).expect("read");
    let _ = child.wait();
    (start.elapsed(), out.iter().filter(|&&b| b == b'\n').count())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let default_tree = dirs_registry().unwrap_or_else(|| PathBuf::from("/usr/include"));
    let tree = args.first().map(PathBuf::from).unwrap_or(default_tree);
    let pattern = args.get(1).cloned().unwrap_or_else(|| "unsafe fn".into());
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let tree_s = tree.to_str().expect("utf-8 path").to_owned();
    let ws = Workspace::open(&tree).expect("open tree");
    println!("tree: {tree_s}\npattern: {pattern:?}, {runs} runs each, interleaved, medians\n");

    // Warm the page cache for all three.
    let _ = ws.list_files();
    let _ = engine_list(&tree);
    let _ = rg(&["--files"], &tree_s);

    let (mut weft_list, mut eng_list, mut rg_list) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_weft, mut n_eng, mut n_rg) = (0, 0, 0);
    let mut weft_files = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        weft_files = ws.list_files();
        n_weft = weft_files.len();
        weft_list.push(t.elapsed());
        let t = Instant::now();
        n_eng = engine_list(&tree).len();
        eng_list.push(t.elapsed());
        let (d, n) = rg(&["--files"], &tree_s);
        rg_list.push(d);
        n_rg = n;
    }
    // The sets, compared: what Weft lists beyond rg should be exactly the symlinks.
    let links = weft_files.iter().filter(|f| tree.join(f).symlink_metadata().is_ok_and(|m| m.file_type().is_symlink())).count();
    let (mut weft_search, mut eng_search, mut rg_search) = (Vec::new(), Vec::new(), Vec::new());
    let (mut m_weft, mut m_eng, mut m_rg) = (0, 0, 0);
    let opts = SearchOptions { query: pattern.clone(), case_sensitive: true, max_results: usize::MAX, ..Default::default() };
    for _ in 0..runs {
        let t = Instant::now();
        let lines = AtomicUsize::new(0);
        let hits = std::sync::Mutex::new(Vec::new());
        ws.search(&opts, &SearchCancel::default(), &|h| {
            lines.fetch_add(h.lines.len(), Ordering::Relaxed);
            if let Ok(mut v) = hits.lock() {
                v.push(h);
            }
        })
        .expect("search");
        weft_search.push(t.elapsed());
        m_weft = lines.into_inner();
        let t = Instant::now();
        m_eng = engine_search(&tree, &pattern);
        eng_search.push(t.elapsed());
        let (d, n) = rg(&["-n", "-F", "--no-heading", "-j", "0", &pattern], &tree_s);
        rg_search.push(d);
        m_rg = n;
    }
    let t = Instant::now();
    let top = ws.list_dir("").expect("list").len();
    let open = t.elapsed();

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let row = |what: &str, w: Duration, e: Duration, r: Duration, counts: String| {
        println!("{what:<16} weft {:>8.1} ms | engine {:>8.1} ms  ratio {:>5.2}x | rg {:>8.1} ms  ratio {:>5.2}x   ({counts})", ms(w), ms(e), ms(w) / ms(e), ms(r), ms(w) / ms(r));
    };
    row("list all files", median(weft_list), median(eng_list), median(rg_list), format!("files: weft {n_weft}, engine {n_eng}, rg {n_rg}; {links} symlinks"));
    row("search", median(weft_search), median(eng_search), median(rg_search), format!("matching lines: weft {m_weft}, engine {m_eng}, rg {m_rg}"));
    println!("{:<16} weft {:>8.2} ms   ({top} entries: what opening the folder costs)", "list the root", ms(open));
    println!("\nratios = weft / peer; the goal is <= 1.2x. engine: ripgrep's walker and searcher in this process, same");
    println!("rules, results in memory (the same work as Weft). rg: the program, its process start, output and a pipe included.");
    if n_weft != n_eng || n_weft != n_rg + links {
        println!("FILE SETS DIFFER: weft {n_weft}, engine {n_eng}, rg {n_rg} + {links} symlinks");
    }
}

fn dirs_registry() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry/src");
    std::fs::read_dir(&src).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.is_dir())
}
