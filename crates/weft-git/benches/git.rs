//! Git status and blame against `git` itself, in the same run, interleaved. Prints medians,
//! p90s and ratios; asserts nothing about time.
//!
//!   cargo bench -p weft-git --bench git -- [FILES] [RUNS] [COMMITS]
//!
//! Status: two identical generated repositories of FILES files (default 100,000), one for
//! each side, so neither's index writes help or hurt the other. "Cold" is the first status
//! of a folder just opened (a new `Repo`: nothing remembered) against `git status
//! --porcelain`; "refresh" is the status after one file changed, Weft told of it by the
//! watcher as in the app, against `git status --porcelain` again (git keeps nothing between
//! runs but its index). Weft asks for more than the peer (every untracked file listed,
//! porcelain v2 with the branch header) and parses it.
//! Blame: a 3,000-line file with COMMITS commits (default 400) of changes to it, against
//! `git blame --porcelain` of the same file (Weft runs that and parses it).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use weft_git::{Repo, Touched};

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").args(args).current_dir(dir).stdout(Stdio::null()).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

fn make_repo(dir: &Path, files: usize) {
    git(dir, &["init", "-q", "-b", "main"]);
    let per = 100;
    for i in 0..files {
        let d = dir.join(format!("src/d{:04}", i / per));
        if i % per == 0 {
            std::fs::create_dir_all(&d).expect("mkdir");
        }
        std::fs::write(d.join(format!("f{:03}.txt", i % per)), format!("file {i}\n").repeat(5)).expect("write");
    }
    git(dir, &["add", "-A"]);
    git(dir, &["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "init"]);
}

fn ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

fn peer_status(dir: &Path) {
    let out = Command::new("git").args(["status", "--porcelain"]).current_dir(dir).output().expect("git status");
    assert!(out.status.success());
}

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
}

fn report(what: &str, weft: &mut [f64], peer: &mut [f64]) {
    let (wm, w90) = stats(weft);
    let (pm, p90) = stats(peer);
    println!("{what:<34} weft {wm:>8.1} ms (p90 {w90:>7.1})   git {pm:>8.1} ms (p90 {p90:>7.1})   ratio {:.2}×", wm / pm);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let files: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(15);
    let commits: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(400);
    let git_version = String::from_utf8_lossy(&Command::new("git").arg("--version").output().expect("git").stdout).trim().to_owned();
    println!("git status / blame, Weft (weft-git) against {git_version}; {runs} interleaved runs\n");

    let tmp = tempfile::tempdir().expect("tmp");
    let (ours, theirs) = (tmp.path().join("weft"), tmp.path().join("git"));
    let t = Instant::now();
    for d in [&ours, &theirs] {
        std::fs::create_dir_all(d).expect("mkdir");
        make_repo(d, files);
    }
    println!("two repositories of {files} files made in {:.1} s", t.elapsed().as_secs_f64());
    // Each side's first status (the index's stat data refreshed), not measured.
    peer_status(&theirs);
    Repo::discover(&ours).expect("discover").expect("repo").status().expect("status");

    let (mut wc, mut pc, mut wr, mut pr) = (vec![], vec![], vec![], vec![]);
    let touched = Arc::new(Touched::default());
    let repo = Repo::discover(&ours).expect("discover").expect("repo").with_touched(touched.clone());
    repo.status().expect("first");
    for i in 0..runs {
        wc.push(ms(|| {
            let r = Repo::discover(&ours).expect("discover").expect("repo");
            r.status().expect("status");
        }));
        pc.push(ms(|| peer_status(&theirs)));
        // One file changed, on both sides.
        let rel = format!("src/d{:04}/f{:03}.txt", (i * 37) % (files / 100).max(1), i % 100);
        for d in [&ours, &theirs] {
            std::fs::write(d.join(&rel), format!("changed {i}\n")).expect("write");
        }
        wr.push(ms(|| {
            touched.touch([rel.as_str()]);
            let st = repo.status().expect("refresh");
            assert!(st.files.iter().any(|f| f.path == rel), "the change seen");
        }));
        pr.push(ms(|| peer_status(&theirs)));
    }
    report("status, cold (folder just opened)", &mut wc, &mut pc);
    report("status, refresh after one change", &mut wr, &mut pr);

    // Blame: one long file, many commits each changing a few of its lines.
    let b = tmp.path().join("blame");
    std::fs::create_dir_all(&b).expect("mkdir");
    git(&b, &["init", "-q", "-b", "main"]);
    let mut lines: Vec<String> = (0..3000).map(|i| format!("line {i} of the long file")).collect();
    let t = Instant::now();
    let mut seed = 7u64;
    for c in 0..commits {
        for _ in 0..5 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (seed >> 33) as usize % lines.len();
            lines[at] = format!("line {at} changed in commit {c}");
        }
        std::fs::write(b.join("long.txt"), lines.join("\n") + "\n").expect("write");
        git(&b, &["add", "long.txt"]);
        git(&b, &["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", &format!("commit {c}")]);
    }
    println!("\na 3000-line file with {commits} commits made in {:.1} s", t.elapsed().as_secs_f64());
    let repo = Repo::discover(&b).expect("discover").expect("repo");
    let (mut wb, mut pb) = (vec![], vec![]);
    for _ in 0..runs {
        wb.push(ms(|| {
            let blame = repo.blame("long.txt", None).expect("blame");
            assert_eq!(blame.lines.len(), 3000);
        }));
        pb.push(ms(|| {
            let out = Command::new("git").args(["blame", "--porcelain", "--", "long.txt"]).current_dir(&b).output().expect("git blame");
            assert!(out.status.success());
        }));
    }
    report("blame of the long file", &mut wb, &mut pb);
}
