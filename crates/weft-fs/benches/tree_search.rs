//! Tree listing and project search over a large real tree, against ripgrep on the same tree
//! in the same run. Prints medians and ratios; asserts nothing about time.
//!
//!   cargo bench -p weft-fs --bench tree_search -- [TREE] [PATTERN] [RUNS]
//!
//! Default tree: the cargo registry sources (hundreds of real crates), else /usr/include.
//! ripgrep is told to use the same rules as Weft (hidden files shown, .git skipped,
//! .gitignore honoured outside git repositories), and its output is read through a pipe
//! (rg stops at the first match when it sees /dev/null).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use weft_fs::{SearchCancel, SearchOptions, Workspace};

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

    // Warm the page cache for both.
    let _ = ws.list_files();
    let _ = rg(&["--files"], &tree_s);

    let (mut weft_list, mut rg_list) = (Vec::new(), Vec::new());
    let (mut n_weft, mut n_rg) = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        n_weft = ws.list_files().len();
        weft_list.push(t.elapsed());
        let (d, n) = rg(&["--files"], &tree_s);
        rg_list.push(d);
        n_rg = n;
    }
    let (mut weft_search, mut rg_search) = (Vec::new(), Vec::new());
    let (mut m_weft, mut m_rg) = (0, 0);
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
        let (d, n) = rg(&["-n", "-F", "--no-heading", "-j", "0", &pattern], &tree_s);
        rg_search.push(d);
        m_rg = n;
    }
    let t = Instant::now();
    let top = ws.list_dir("").expect("list").len();
    let open = t.elapsed();

    let row = |what: &str, w: Duration, r: Duration, nw: usize, nr: usize| {
        println!("{what:<22} weft {:>9.1} ms   rg {:>9.1} ms   ratio {:>5.2}x   (weft {nw} / rg {nr})", w.as_secs_f64() * 1e3, r.as_secs_f64() * 1e3, w.as_secs_f64() / r.as_secs_f64());
    };
    row("list all files", median(weft_list), median(rg_list), n_weft, n_rg);
    row("search", median(weft_search), median(rg_search), m_weft, m_rg);
    println!("{:<22} weft {:>9.2} ms   ({top} entries: what opening the folder costs)", "list the root (lazy)", open.as_secs_f64() * 1e3);
    println!("\nratio = weft / rg; the goal is <= 1.2x. rg's times include its process start.");
    println!("weft lists symlinked files (the finder should offer them); rg --files skips symlinks.");
}

fn dirs_registry() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry/src");
    std::fs::read_dir(&src).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.is_dir())
}
