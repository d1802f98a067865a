//! `weft checkpoint …`: the checkpoint store from the command line, for scripts. It opens
//! the same per-workspace database as the app, with the same settings.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use weft_store::{ChangeStatus, Checkpoint, FileChange, Origin, Side, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Take a checkpoint now.
    Create {
        /// A label for the timeline.
        #[arg(short, long, default_value = "")]
        message: String,
    },
    /// List checkpoints, newest first.
    List,
    /// A checkpoint's details and the files it changed.
    Show { id: i64 },
    /// Unified diff from checkpoint FROM to TO (default: the files on disk now).
    Diff {
        from: i64,
        to: Option<i64>,
        /// Only the changed files and their line counts.
        #[arg(long)]
        stat: bool,
    },
    /// Restore a checkpoint (the whole workspace, or only PATHS). A checkpoint of the
    /// current state is taken first; restoring it undoes this.
    Restore {
        id: i64,
        /// Files or folders to restore (default: everything).
        paths: Vec<String>,
        /// Only print what would change.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete checkpoints and free the space only they used.
    Delete { ids: Vec<i64> },
}

pub struct Args {
    pub workspace: PathBuf,
    pub json: bool,
    pub cmd: Cmd,
}

/// The `-C` folder of a subcommand, as the app names it (canonical, and a folder).
pub fn folder(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    let root = dunce::canonicalize(path).with_context(|| format!("{} is not a folder", path.display()))?;
    if !root.is_dir() {
        bail!("{} is not a folder", root.display());
    }
    Ok(root)
}

pub fn run(paths: &weft_api::AppPaths, args: Args) -> anyhow::Result<()> {
    let root = folder(&args.workspace)?;
    let store = weft_api::open_store(paths, &root).context("opening the checkpoint store")?;
    let json = args.json;
    match args.cmd {
        Cmd::Create { message } => {
            let created = store.create(message.trim(), Origin::Manual, None)?;
            if json {
                return print_json(&created);
            }
            let c = &created.checkpoint;
            if created.new {
                println!("checkpoint #{} created: {}", c.id, summary(c));
            } else {
                println!("no changes since checkpoint #{}", c.id);
            }
            for s in &c.skipped {
                println!("  skipped {}: {}", s.path, s.reason);
            }
        }
        Cmd::List => {
            let list = store.list()?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no checkpoints yet (weft checkpoint create)");
            }
            for c in &list {
                println!("#{:<5} {}  {:<8} {:<40} {}", c.id, time(c.created_ms), c.origin.as_str(), truncate(&c.label, 40), summary(c));
            }
        }
        Cmd::Show { id } => {
            let c = store.get(id)?;
            let changes = store.changes(id)?;
            if json {
                return print_json(&serde_json::json!({ "checkpoint": c, "changes": changes }));
            }
            println!("checkpoint #{}  {}  {}", c.id, time(c.created_ms), c.origin.as_str());
            if !c.label.is_empty() {
                println!("label: {}", c.label);
            }
            println!("{} files, {} bytes; {}", c.files, c.bytes, summary(&c));
            if let Some(meta) = &c.meta {
                println!("meta: {meta}");
            }
            print_changes(&changes);
            for s in &c.skipped {
                println!("skipped {}: {}", s.path, s.reason);
            }
        }
        Cmd::Diff { from, to, stat } => {
            let to_side = to.map_or(Side::Working, Side::Checkpoint);
            let changes = store.diff(Side::Checkpoint(from), to_side)?;
            if json {
                return print_json(&changes);
            }
            if stat {
                print_changes(&changes);
                return Ok(());
            }
            for c in &changes {
                let old = bytes(&store, Side::Checkpoint(from), &c.path)?;
                let new = bytes(&store, to_side, &c.path)?;
                print!("{}", weft_store::unified(&c.path, old.as_deref(), new.as_deref()));
            }
        }
        Cmd::Restore { id, paths, dry_run } => {
            let scope = (!paths.is_empty()).then_some(paths.as_slice());
            if dry_run {
                let plan = store.preview(id, scope)?;
                if json {
                    return print_json(&plan);
                }
                print_plan(&plan);
                return Ok(());
            }
            let report = store.restore(id, scope)?;
            if json {
                print_json(&report)?;
            } else {
                print_plan(&report.plan);
                // The undo restores only what this restore changed (see RestorePlan::changed).
                let changed = report.plan.changed();
                println!("restored checkpoint #{id}; undo with: weft checkpoint restore {}{}", report.undo, changed.iter().map(|p| format!(" {}", shell_word(p))).collect::<String>());
                for f in &report.failed {
                    eprintln!("failed {}: {}", f.path, f.message);
                }
            }
            if !report.failed.is_empty() {
                bail!("{} file(s) could not be restored", report.failed.len());
            }
        }
        Cmd::Delete { ids } => {
            if ids.is_empty() {
                bail!("name the checkpoints to delete");
            }
            let report = store.remove(&ids)?;
            if json {
                return print_json(&report);
            }
            println!("deleted {} checkpoint(s); freed {} blobs ({} bytes)", report.checkpoints_removed, report.blobs_freed, report.bytes_freed);
        }
    }
    Ok(())
}

fn bytes(store: &Store, side: Side, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(match store.content(side, path)? {
        Some(weft_store::Content::File { bytes, .. }) => Some(bytes),
        Some(weft_store::Content::Symlink { target }) => Some(format!("symlink -> {target}\n").into_bytes()),
        None => None,
    })
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_plan(plan: &weft_store::RestorePlan) {
    if plan.is_empty() {
        println!("nothing to change: the files already match");
    }
    for p in &plan.modify {
        println!("modify  {p}");
    }
    for p in &plan.create {
        println!("create  {p}");
    }
    for p in &plan.delete {
        println!("delete  {p}");
    }
}

fn print_changes(changes: &[FileChange]) {
    for c in changes {
        let mark = match c.status {
            ChangeStatus::Added => 'A',
            ChangeStatus::Modified => 'M',
            ChangeStatus::Deleted => 'D',
        };
        let lines = match (c.lines_added, c.lines_removed) {
            (Some(a), Some(r)) => format!("+{a} -{r}"),
            _ => "binary".into(),
        };
        println!("{mark} {:<60} {lines}", c.path);
    }
}

fn summary(c: &Checkpoint) -> String {
    let s = &c.summary;
    format!("{} added, {} modified, {} deleted (+{} -{})", s.added, s.modified, s.deleted, s.lines_added, s.lines_removed)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// UTC, so scripts comparing outputs across machines agree.
fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A path as one shell word (quoted when it needs to be), for the printed undo command.
fn shell_word(p: &str) -> String {
    if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+,@".contains(c)) {
        p.to_owned()
    } else {
        format!("'{}'", p.replace('\'', "'\\''"))
    }
}
