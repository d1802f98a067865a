//! `weft new TEMPLATE DIR` and `weft clone URL [DIR]`: new projects from the command line,
//! the same templates and clone the app uses. Progress goes to stderr; the run
//! configurations found in the new folder are printed at the end.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

fn user_templates(paths: &weft_api::AppPaths) -> PathBuf {
    paths.config_dir.join("templates")
}

/// A step's title, then its output indented, on stderr.
fn progress(p: weft_template::Progress) {
    match p {
        weft_template::Progress::Step { title } => eprintln!("==> {title}"),
        weft_template::Progress::Output { line } => eprintln!("    {line}"),
    }
}

fn show_runs(dir: &Path) {
    let found = weft_run::detect(dir);
    if found.configs.is_empty() {
        return;
    }
    eprintln!("Run configurations:");
    for c in found.configs {
        eprintln!("  {:<24} {}", c.name, c.command);
    }
}

pub fn list(paths: &weft_api::AppPaths) {
    for t in weft_template::list(Some(&user_templates(paths))) {
        let missing = if t.missing.is_empty() { String::new() } else { format!("  (needs {})", t.missing.join(", ")) };
        println!("{:<16} {}{missing}\n{:<16} {}", t.id, t.name, "", t.description);
    }
}

pub fn new(paths: &weft_api::AppPaths, template: &str, dir: &Path) -> anyhow::Result<()> {
    let dest = if dir.is_absolute() { dir.to_path_buf() } else { std::env::current_dir()?.join(dir) };
    let made = weft_template::create(template, &dest, Some(&user_templates(paths)), &progress).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", made.path);
    eprintln!("Made {} (run it with `{}`; check it with `{}`).", made.path, made.run, made.check);
    show_runs(&dest);
    Ok(())
}

pub fn import(archive: &Path, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let stem = archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = [".tar.gz", ".tgz", ".tar", ".zip"].iter().find_map(|e| stem.strip_suffix(e)).unwrap_or(&stem).to_owned();
    let dest = dir.unwrap_or_else(|| PathBuf::from(stem));
    let dest = if dest.is_absolute() { dest } else { std::env::current_dir()?.join(dest) };
    weft_template::import_archive(archive, &dest, &progress).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", dest.display());
    show_runs(&dest);
    Ok(())
}

pub fn clone(url: &str, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let name = url.trim_end_matches('/').trim_end_matches(".git").rsplit(['/', ':']).next().unwrap_or("").to_owned();
    let dest = match dir {
        Some(d) => d,
        None if !name.is_empty() => PathBuf::from(name),
        None => bail!("name the folder to clone into: weft clone URL DIR"),
    };
    let dest = if dest.is_absolute() { dest } else { std::env::current_dir()?.join(dest) };
    weft_git::clone(url, &dest, |line| eprintln!("    {line}")).with_context(|| format!("cloning {url}"))?;
    println!("{}", dest.display());
    show_runs(&dest);
    Ok(())
}
