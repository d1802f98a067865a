//! Code intelligence against its peers, side by side in one run. Prints figures and ratios;
//! asserts nothing about time.
//!
//! 1. Full parse of large real files, against `tree-sitter parse --time` (tree-sitter-cli)
//!    on the same files with the same grammar sources (from the cargo registry).
//! 2. Incremental reparse after one-character edits: p50/p99 as a fraction of a full parse.
//! 3. Workspace symbol indexing against Universal Ctags (`ctags -L list`) on the same files.
//!
//! `cargo bench -p weft-syntax --bench syntax`. Peers are looked up on PATH; a missing one
//! is reported and its column skipped (`cargo install tree-sitter-cli`, `apt install
//! universal-ctags`). WEFT_BENCH_TREE picks the tree for (3) (default: the cargo registry
//! sources), WEFT_BENCH_ROUNDS the repetitions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use weft_syntax::{Change, Document, Lang, SymbolIndex};

fn rounds() -> usize {
    std::env::var("WEFT_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(7)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src")).ok()?.flatten().map(|e| e.path()).find(|p| p.is_dir())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The benchmark files: real code, a minified bundle, a large generated declaration file.
fn files(tmp: &Path) -> Vec<(String, PathBuf, Lang)> {
    let mut out = Vec::new();
    let mut rust = String::new();
    let store = repo().join("crates/weft-store/src");
    let parts: Vec<String> = ["lib.rs", "scan.rs", "manifest.rs", "restore.rs"].iter().filter_map(|f| std::fs::read_to_string(store.join(f)).ok()).collect();
    while rust.len() < 150 * 1024 && !parts.is_empty() {
        for p in &parts {
            rust.push_str(p);
        }
    }
    let rs = tmp.join("weft_store_150k.rs");
    if std::fs::write(&rs, &rust).is_ok() {
        out.push((format!("Rust, {} KB (weft-store sources)", rust.len() / 1024), rs, Lang::Rust));
    }
    let min_js = repo().join("ui/node_modules/@xterm/xterm/lib/xterm.js");
    if min_js.exists() {
        out.push(("minified JS (xterm.js)".into(), min_js, Lang::JavaScript));
    }
    let dts = repo().join("ui/node_modules/typescript/lib/lib.dom.d.ts");
    if dts.exists() {
        out.push(("generated TS (lib.dom.d.ts)".into(), dts, Lang::TypeScript));
    }
    for (_, p, _) in &out {
        if let Ok(m) = std::fs::metadata(p) {
            eprintln!("  {} ({:.0} KB)", p.display(), m.len() as f64 / 1024.0);
        }
    }
    out
}

/// A config for tree-sitter-cli whose only parser directory holds links to the same
/// grammar sources our crates compile.
fn cli_config(tmp: &Path) -> Option<PathBuf> {
    Command::new("tree-sitter").arg("--version").output().ok().filter(|o| o.status.success())?;
    let src = registry_src()?;
    let grammars = tmp.join("grammars");
    std::fs::create_dir_all(&grammars).ok()?;
    let find = |prefix: &str| std::fs::read_dir(&src).ok()?.flatten().map(|e| e.path()).find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)));
    #[cfg(unix)]
    for (name, prefix) in [("tree-sitter-rust", "tree-sitter-rust-0.24"), ("tree-sitter-javascript", "tree-sitter-javascript-0.25")] {
        std::os::unix::fs::symlink(find(prefix)?, grammars.join(name)).ok()?;
    }
    // The typescript crate ships its two grammars without the tree-sitter.json the CLI
    // looks for: a folder with one, and links to the same sources.
    let ts = find("tree-sitter-typescript-0.23")?;
    let dir = grammars.join("tree-sitter-typescript");
    std::fs::create_dir_all(&dir).ok()?;
    #[cfg(unix)]
    for part in ["typescript", "common"] {
        std::os::unix::fs::symlink(ts.join(part), dir.join(part)).ok()?;
    }
    std::fs::write(
        dir.join("tree-sitter.json"),
        r#"{"grammars": [{"name": "typescript", "camelcase": "TypeScript", "scope": "source.ts", "path": "typescript", "file-types": ["ts"]}],
            "metadata": {"version": "0.23.2", "license": "MIT", "description": "TypeScript", "links": {"repository": "https://github.com/tree-sitter/tree-sitter-typescript"}}}"#,
    )
    .ok()?;
    let config = tmp.join("config.json");
    std::fs::write(&config, format!("{{\"parser-directories\": [\"{}\"]}}", grammars.display())).ok()?;
    Some(config)
}

/// The parse time tree-sitter-cli reports for a file (its own timer, so process start-up
/// and grammar loading are not counted against it).
fn cli_parse(config: &Path, file: &Path, lang: Lang) -> Option<Duration> {
    let mut cmd = Command::new("tree-sitter");
    cmd.args(["parse", "--time", "--quiet", "--config-path"]).arg(config);
    // By scope: the CLI does not pick a grammar for `lib.dom.d.ts` by its extension.
    if lang == Lang::TypeScript {
        cmd.args(["--scope", "source.ts"]);
    }
    let out = cmd.arg(file).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // "path\tParse:    12.34 ms\t  1234 bytes/ms"
    let line = text.lines().find(|l| l.contains("Parse:"))?;
    let num = line.split('\t').map(str::trim).find(|f| f.starts_with("Parse:"))?;
    let v: f64 = num.trim_start_matches("Parse:").trim().trim_end_matches("ms").trim().parse().ok()?;
    Some(Duration::from_secs_f64(v / 1e3))
}

fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    let n = rounds();
    println!("weft-syntax benchmarks, {n} rounds, medians\n");
    let files = files(tmp.path());
    let config = cli_config(tmp.path());
    if config.is_none() {
        println!("(tree-sitter-cli not found or grammar sources missing: peer column skipped)");
    }

    println!("1. Full parse            weft (ms)   tree-sitter CLI (ms)   ratio");
    for (label, path, lang) in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let ours = median((0..n).map(|_| {
            let t = Instant::now();
            let d = Document::new(*lang, text.clone()).expect("parse");
            let took = t.elapsed();
            std::hint::black_box(d.tree().root_node().child_count());
            took
        }).collect());
        let theirs = config.as_ref().and_then(|c| {
            cli_parse(c, path, *lang)?; // warm: compiles the grammar the first time
            let v: Option<Vec<Duration>> = (0..n).map(|_| cli_parse(c, path, *lang)).collect();
            v.map(median)
        });
        match theirs {
            Some(t) => println!("   {label:<38} {:>8.2}   {:>10.2}   {:>9.2}×", ms(ours), ms(t), ours.as_secs_f64() / t.as_secs_f64()),
            None => println!("   {label:<38} {:>8.2}   {:>10}", ms(ours), "—"),
        }
    }

    println!("\n2. Incremental reparse after a one-character edit (type, then delete), 200 edits");
    println!("                                           p50 (ms)   p99 (ms)   p50 / full   p99 / full");
    for (label, path, lang) in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let full = median((0..n).map(|_| {
            let t = Instant::now();
            std::hint::black_box(Document::new(*lang, text.clone()).expect("parse"));
            t.elapsed()
        }).collect());
        let mut doc = Document::new(*lang, text.clone()).expect("parse");
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut times = Vec::new();
        for _ in 0..200 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // A random place at a char boundary, in the editor's UTF-16 units.
            let mut b = (seed % text.len().max(1) as u64) as usize;
            while !text.is_char_boundary(b) {
                b -= 1;
            }
            let pos = text[..b].encode_utf16().count() as u32;
            let t = Instant::now();
            doc.edit(&[Change { from: pos, to: pos, insert: "x".into() }]).expect("edit");
            doc.edit(&[Change { from: pos, to: pos + 1, insert: String::new() }]).expect("edit");
            times.push(t.elapsed() / 2);
        }
        let (p50, p99) = (pct(times.clone(), 0.5), pct(times, 0.99));
        println!("   {label:<38} {:>8.3}   {:>8.3}   {:>9.3}   {:>9.3}", ms(p50), ms(p99), p50.as_secs_f64() / full.as_secs_f64(), p99.as_secs_f64() / full.as_secs_f64());
    }

    println!("\n3. Workspace symbol index vs Universal Ctags, same file list");
    let tree = std::env::var_os("WEFT_BENCH_TREE").map(PathBuf::from).or_else(registry_src);
    let Some(tree) = tree else {
        println!("   (no tree: set WEFT_BENCH_TREE)");
        return;
    };
    let mut list = Vec::new();
    collect(&tree, &tree, &mut list);
    list.sort();
    let bytes: u64 = list.iter().filter_map(|p| std::fs::metadata(tree.join(p)).ok()).map(|m| m.len()).sum();
    println!("   {}: {} files in indexed languages, {:.1} MB", tree.display(), list.len(), bytes as f64 / 1e6);
    let list_file = tmp.path().join("files.txt");
    std::fs::write(&list_file, list.iter().map(|p| tree.join(p).display().to_string()).collect::<Vec<_>>().join("\n")).expect("list");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let index = SymbolIndex::new(&tree, 1 << 20);
    let mut symbols = 0;
    let ours = median((0..n.min(3)).map(|_| {
        let t = Instant::now();
        symbols = index.build(&list).symbols;
        t.elapsed()
    }).collect());
    let one = median((0..n.min(3)).map(|_| {
        let t = Instant::now();
        index.build_with_threads(&list, 1);
        t.elapsed()
    }).collect());
    let tags = tmp.path().join("tags");
    let ctags = (0..n.min(3))
        .map(|_| {
            let t = Instant::now();
            let ok = Command::new("ctags").arg("-f").arg(&tags).arg("-L").arg(&list_file).stderr(std::process::Stdio::null()).status().ok()?.success();
            ok.then(|| t.elapsed())
        })
        .collect::<Option<Vec<_>>>()
        .map(median);
    let tag_count = std::fs::read_to_string(&tags).map(|t| t.lines().filter(|l| !l.starts_with("!_")).count()).unwrap_or(0);
    println!("   weft, {threads} threads: {:>8.0} ms  ({symbols} symbols)", ms(ours));
    println!("   weft, 1 thread:  {:>8.0} ms", ms(one));
    match ctags {
        Some(c) => {
            println!("   ctags:           {:>8.0} ms  ({tag_count} tags)", ms(c));
            println!("   ratio weft/ctags: {:.2}× ({threads} threads), {:.2}× (1 thread)", ours.as_secs_f64() / c.as_secs_f64(), one.as_secs_f64() / c.as_secs_f64());
        }
        None => println!("   ctags: not found (apt install universal-ctags)"),
    }

    // The index kept between sessions: a cold build that also fills the cache, reopening
    // with nothing changed, and reopening after one file changed (a copy of the tree, so
    // the change is ours to make), each a new index and cache handle as a new session has.
    let copy = tmp.path().join("copy");
    for p in &list {
        let to = copy.join(p);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(tree.join(p), &to).expect("copy");
    }
    // Times older than the racy window, as a tree at rest has.
    let old = std::time::SystemTime::now() - Duration::from_secs(600);
    for p in &list {
        let _ = std::fs::File::options().write(true).open(copy.join(p)).and_then(|f| f.set_modified(old));
    }
    let db = tmp.path().join("index.sqlite");
    let session = |fresh: bool| {
        if fresh {
            let _ = std::fs::remove_file(&db);
            let _ = std::fs::remove_file(db.with_extension("sqlite-wal"));
            let _ = std::fs::remove_file(db.with_extension("sqlite-shm"));
        }
        let t = Instant::now();
        let cache = weft_syntax::IndexCache::open(&db).expect("cache");
        let index = SymbolIndex::new(&copy, 1 << 20);
        let stats = index.build_cached(&list, &cache, threads, None, None);
        (t.elapsed(), stats)
    };
    let cold: Vec<(Duration, weft_syntax::IndexStats)> = (0..n.min(3)).map(|_| session(true)).collect();
    let warm: Vec<(Duration, weft_syntax::IndexStats)> = (0..n.min(5)).map(|_| session(false)).collect();
    let target = list.iter().find(|p| p.ends_with(".rs")).unwrap_or(&list[0]).clone();
    let one: Vec<(Duration, weft_syntax::IndexStats)> = (0..n.min(5))
        .map(|i| {
            let path = copy.join(&target);
            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
            text.push_str(&format!("\n// changed {i}\n"));
            std::fs::write(&path, text).expect("write");
            let _ = std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(old + Duration::from_secs(i as u64 + 1)));
            session(false)
        })
        .collect();
    let med = |v: &[(Duration, weft_syntax::IndexStats)]| median(v.iter().map(|x| x.0).collect());
    println!("   kept between sessions (SQLite cache, {threads} threads; a new index and cache handle each time):");
    println!("     cold, filling the cache:        {:>8.0} ms  (parsed {})", ms(med(&cold)), cold[0].1.parsed);
    println!("     reopen, nothing changed:        {:>8.0} ms  (parsed {})", ms(med(&warm)), warm[0].1.parsed);
    println!("     reopen, one file changed:       {:>8.0} ms  (parsed {})", ms(med(&one)), one[0].1.parsed);
    if let Some(c) = ctags {
        println!("     ratios to ctags's whole run: cold {:.2}×, reopen {:.3}×, one changed {:.3}×", med(&cold).as_secs_f64() / c.as_secs_f64(), med(&warm).as_secs_f64() / c.as_secs_f64(), med(&one).as_secs_f64() / c.as_secs_f64());
    }

    // The floor under any tree-sitter index: tree-sitter's own CLI parsing the files it
    // has grammars for here (Rust, JavaScript), against ctags on that same subset.
    let Some(config) = config else { return };
    // By scope, one run per grammar: picking by name fails on some files (`*.expanded.rs`),
    // and the CLI stops at the first file it cannot place. It exits 1 when a tree has
    // errors, so its output is read whatever the status.
    let mut subset = Vec::new();
    let mut parsed = 0.0;
    for (scope, exts) in [("source.rust", &[".rs"][..]), ("source.js", &[".js", ".mjs", ".cjs"][..])] {
        let files: Vec<PathBuf> = list.iter().filter(|p| exts.iter().any(|x| p.ends_with(x))).map(|p| tree.join(p)).collect();
        let file = tmp.path().join("subset.txt");
        std::fs::write(&file, files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n")).expect("subset");
        let out = Command::new("tree-sitter").args(["parse", "--time", "--quiet", "--scope", scope, "--config-path"]).arg(&config).arg("--paths").arg(&file).output();
        parsed += out.map(|o| String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.split('\t').map(str::trim).find(|f| f.starts_with("Parse:")).and_then(|f| f.trim_start_matches("Parse:").trim().trim_end_matches("ms").trim().parse::<f64>().ok())).sum::<f64>()).unwrap_or(0.0);
        subset.extend(files);
    }
    let subset_file = tmp.path().join("subset.txt");
    std::fs::write(&subset_file, subset.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n")).expect("subset");
    let t = Instant::now();
    let ok = Command::new("ctags").arg("-f").arg(tmp.path().join("tags2")).arg("-L").arg(&subset_file).stderr(std::process::Stdio::null()).status().is_ok_and(|s| s.success());
    let ctags_subset = t.elapsed();
    if ok && parsed > 0.0 {
        println!("   parsing alone, {} Rust/JS files: tree-sitter CLI {parsed:.0} ms (its own timer, one thread) vs ctags's whole run {:.0} ms: {:.1}×", subset.len(), ms(ctags_subset), parsed / ms(ctags_subset));
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                collect(root, &p, out);
            }
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
            let small = e.metadata().is_ok_and(|m| m.len() <= 1 << 20);
            if small && Lang::detect(&rel, "").is_some() {
                out.push(rel);
            }
        }
    }
}
