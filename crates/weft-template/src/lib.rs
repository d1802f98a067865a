//! weft-template owns project templates: the built-in gallery (folders under templates/,
//! embedded in the binary), the user's own (folders with the same small manifest in the
//! config directory, or cloned there from a git URL), and making a project from one: the
//! files copied with the project's name filled in, the install step run with its output
//! reported line by line, and a first git commit.
//!
//! A template is a plain folder with `weft-template.json`:
//! `{"name", "description", "needs": [programs], "install": [commands], "run", "check"}`
//! (and `installWindows` / `checkWindows` where Windows differs). In its files, `{{name}}`
//! becomes the project's name and `{{crate_name}}` a form of it valid as a package name;
//! a file named `gitignore` becomes `.gitignore` (so the template's own repository does
//! not apply it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The manifest's file name.
pub const MANIFEST: &str = "weft-template.json";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    install: Vec<String>,
    #[serde(default)]
    install_windows: Option<Vec<String>>,
    #[serde(default)]
    run: String,
    #[serde(default)]
    check: String,
    #[serde(default)]
    check_windows: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Template {
    /// Its folder's name ("vite-react-ts").
    pub id: String,
    pub name: String,
    pub description: String,
    /// Programs it needs on PATH, and which of them are missing here.
    pub needs: Vec<String>,
    pub missing: Vec<String>,
    /// Shipped with Weft (else the user's own).
    pub built_in: bool,
    /// The command that runs the new project, and the one that checks it builds.
    pub run: String,
    pub check: String,
    pub install: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template named {0:?}")]
    Unknown(String),
    #[error("{0} already exists and is not empty: choose a new folder")]
    Exists(PathBuf),
    #[error("{0:?} is not a usable project name (letters, digits, - and _)")]
    BadName(String),
    #[error("the template needs {0}, which is not installed here")]
    Missing(String),
    #[error("the template's manifest is not valid: {0}")]
    Manifest(String),
    #[error("`{command}` failed ({status}); the project is left in {dir} as it was made so far")]
    Step { command: String, status: String, dir: PathBuf },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = TemplateError> = std::result::Result<T, E>;

/// Where a template's files come from.
enum Source<'a> {
    BuiltIn(&'a Dir<'a>),
    Folder(PathBuf),
}

fn read_manifest(text: &str) -> Result<Manifest> {
    serde_json::from_str(text).map_err(|e| TemplateError::Manifest(e.to_string()))
}

/// Is `program` on PATH?
pub fn on_path(program: &str) -> bool {
    weft_pty::process::find_program(program, &[]).is_some()
}

fn describe(id: &str, m: Manifest, built_in: bool) -> Template {
    let missing = m.needs.iter().filter(|n| !on_path(n)).cloned().collect();
    let install = if cfg!(windows) { m.install_windows.clone().unwrap_or(m.install.clone()) } else { m.install.clone() };
    let check = if cfg!(windows) { m.check_windows.clone().unwrap_or(m.check.clone()) } else { m.check.clone() };
    Template { id: id.to_owned(), name: m.name, description: m.description, needs: m.needs, missing, built_in, run: m.run, check, install }
}

/// The gallery: the built-in templates, then the user's (in `user_dir`, one folder each).
/// A user template with a built-in one's id replaces it.
pub fn list(user_dir: Option<&Path>) -> Vec<Template> {
    let mut out: Vec<Template> = Vec::new();
    for dir in BUILT_IN.dirs() {
        let id = dir.path().to_string_lossy().into_owned();
        let Some(text) = dir.get_file(dir.path().join(MANIFEST)).and_then(|f| f.contents_utf8()) else { continue };
        match read_manifest(text) {
            Ok(m) => out.push(describe(&id, m, true)),
            Err(e) => tracing::warn!("built-in template {id}: {e}"),
        }
    }
    for (id, dir) in user_templates(user_dir) {
        match std::fs::read_to_string(dir.join(MANIFEST)).map_err(TemplateError::from).and_then(|t| read_manifest(&t)) {
            Ok(m) => {
                out.retain(|t| t.id != id);
                out.push(describe(&id, m, false));
            }
            Err(e) => tracing::warn!("template {}: {e}", dir.display()),
        }
    }
    out
}

fn user_templates(user_dir: Option<&Path>) -> Vec<(String, PathBuf)> {
    let Some(dir) = user_dir else { return Vec::new() };
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<(String, PathBuf)> = rd.flatten().map(|e| e.path()).filter(|p| p.join(MANIFEST).is_file()).filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), p))).collect();
    v.sort();
    v
}

fn source<'a>(id: &str, user_dir: Option<&Path>) -> Result<(Source<'a>, Manifest)> {
    if let Some((_, dir)) = user_templates(user_dir).into_iter().find(|(i, _)| i == id) {
        let m = read_manifest(&std::fs::read_to_string(dir.join(MANIFEST))?)?;
        return Ok((Source::Folder(dir), m));
    }
    let dir = BUILT_IN.get_dir(id).ok_or_else(|| TemplateError::Unknown(id.to_owned()))?;
    let text = dir.get_file(dir.path().join(MANIFEST)).and_then(|f| f.contents_utf8()).ok_or_else(|| TemplateError::Unknown(id.to_owned()))?;
    Ok((Source::BuiltIn(dir), read_manifest(text)?))
}

/// A project name as a package name (Cargo, Go modules): lower case, `-` for the rest.
pub fn crate_name(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.trim_matches('-').to_owned();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        format!("app-{s}")
    } else {
        s
    }
}

fn fill(text: &str, name: &str) -> String {
    text.replace("{{name}}", name).replace("{{crate_name}}", &crate_name(name))
}

fn target_name(rel: &Path) -> PathBuf {
    match rel.file_name().and_then(|n| n.to_str()) {
        Some("gitignore") => rel.with_file_name(".gitignore"),
        _ => rel.to_path_buf(),
    }
}

fn write_file(dest: &Path, rel: &Path, bytes: &[u8], name: &str) -> Result<()> {
    let to = dest.join(target_name(rel));
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => std::fs::write(&to, fill(text, name))?,
        Err(_) => std::fs::write(&to, bytes)?,
    }
    Ok(())
}

fn copy_built_in(dir: &Dir<'_>, base: &Path, dest: &Path, name: &str) -> Result<()> {
    for f in dir.files() {
        let rel = f.path().strip_prefix(base).unwrap_or(f.path());
        if rel == Path::new(MANIFEST) {
            continue;
        }
        write_file(dest, rel, f.contents(), name)?;
    }
    for d in dir.dirs() {
        copy_built_in(d, base, dest, name)?;
    }
    Ok(())
}

fn copy_folder(src: &Path, at: &Path, dest: &Path, name: &str) -> Result<()> {
    for e in std::fs::read_dir(at)?.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(src).unwrap_or(&p).to_path_buf();
        if rel == Path::new(MANIFEST) || rel.starts_with(".git") {
            continue;
        }
        if p.is_dir() {
            copy_folder(src, &p, dest, name)?;
        } else {
            write_file(dest, &rel, &std::fs::read(&p)?, name)?;
        }
    }
    Ok(())
}

/// What making a project reports as it goes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "TemplateProgress"))]
pub enum Progress {
    /// A step started ("Copying files", "npm install", "git init").
    Step { title: String },
    /// A line a step printed.
    Output { line: String },
}

/// The project made.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "TemplateCreated"))]
pub struct Created {
    pub path: String,
    /// The command that runs it, and the one that checks it builds.
    pub run: String,
    pub check: String,
    /// Made a first git commit.
    pub git: bool,
}

/// Runs `command` in `dir` through the platform's shell, reporting its output by line.
pub fn run_step(dir: &Path, command: &str, progress: &dyn Fn(Progress)) -> Result<()> {
    progress(Progress::Step { title: command.to_owned() });
    let mut cmd = if cfg!(windows) {
        let mut c = weft_pty::process::background_command("cmd.exe");
        c.args(["/C", command]);
        c
    } else {
        let mut c = weft_pty::process::background_command("/bin/sh");
        c.args(["-c", command]);
        c
    };
    let mut child = cmd.current_dir(dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    // Both streams, as lines, as they come: npm writes its progress to stderr.
    let err = child.stderr.take();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx2 = tx.clone();
    let t = err.map(|e| std::thread::spawn(move || BufReader::new(e).lines().map_while(Result::ok).for_each(|l| drop(tx2.send(l)))));
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || BufReader::new(out).lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    } else {
        drop(tx);
    }
    for line in rx {
        progress(Progress::Output { line });
    }
    if let Some(t) = t {
        let _ = t.join();
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(TemplateError::Step { command: command.to_owned(), status: status.to_string(), dir: dir.to_path_buf() });
    }
    Ok(())
}

/// Makes a project from template `id` in `dest` (a new or empty folder; its name is the
/// project's): copies the files, runs the install step, makes a first git commit.
pub fn create(id: &str, dest: &Path, user_dir: Option<&Path>, progress: &dyn Fn(Progress)) -> Result<Created> {
    let (src, manifest) = source(id, user_dir)?;
    let t = describe(id, manifest.clone(), matches!(src, Source::BuiltIn(_)));
    if let Some(m) = t.missing.first() {
        return Err(TemplateError::Missing(m.clone()));
    }
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || "-_. ".contains(c)) {
        return Err(TemplateError::BadName(name));
    }
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        return Err(TemplateError::Exists(dest.to_path_buf()));
    }
    std::fs::create_dir_all(dest)?;
    progress(Progress::Step { title: format!("Copying the {} template", t.name) });
    match &src {
        Source::BuiltIn(dir) => copy_built_in(dir, dir.path(), dest, &name)?,
        Source::Folder(dir) => copy_folder(dir, dir, dest, &name)?,
    }
    for step in &t.install {
        run_step(dest, step, progress)?;
    }
    let git = on_path("git") && first_commit(dest, &t.name, progress).is_ok();
    Ok(Created { path: dest.display().to_string(), run: t.run, check: t.check, git })
}

fn first_commit(dest: &Path, template: &str, progress: &dyn Fn(Progress)) -> Result<()> {
    progress(Progress::Step { title: "git init".into() });
    let git = |args: &[&str]| -> Result<()> {
        let mut c = weft_pty::process::background_command("git");
        c.args(args).current_dir(dest).stdin(Stdio::null());
        // A machine with no git identity still gets its first commit, as Weft's.
        if std::process::Command::new("git").args(["config", "user.email"]).current_dir(dest).output().map(|o| o.stdout.is_empty()).unwrap_or(true) {
            c.env("GIT_AUTHOR_NAME", "Weft").env("GIT_AUTHOR_EMAIL", "weft@localhost").env("GIT_COMMITTER_NAME", "Weft").env("GIT_COMMITTER_EMAIL", "weft@localhost");
        }
        let out = c.output()?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            progress(Progress::Output { line: why.clone() });
            return Err(TemplateError::Step { command: format!("git {}", args.join(" ")), status: why, dir: dest.to_path_buf() });
        }
        Ok(())
    };
    git(&["init", "-q"])?;
    git(&["add", "-A"])?;
    git(&["-c", "commit.gpgsign=false", "commit", "-q", "-m", &format!("A new project from the {template} template")])
}

/// Adds a template from a git repository (its root holds the manifest) to `user_dir`.
pub fn add_from_git(url: &str, user_dir: &Path, progress: &dyn Fn(Progress)) -> Result<Template> {
    let id = url.trim_end_matches('/').trim_end_matches(".git").rsplit(['/', ':']).next().unwrap_or("").to_owned();
    if id.is_empty() || id.starts_with('.') {
        return Err(TemplateError::BadName(id));
    }
    std::fs::create_dir_all(user_dir)?;
    let dest = user_dir.join(&id);
    if dest.exists() {
        return Err(TemplateError::Exists(dest));
    }
    run_step(user_dir, &format!("git clone --depth 1 {} {}", shell_quote(url), shell_quote(&id)), progress)?;
    let text = match std::fs::read_to_string(dest.join(MANIFEST)) {
        Ok(t) => t,
        Err(_) => {
            let _ = std::fs::remove_dir_all(&dest);
            return Err(TemplateError::Manifest(format!("{url} has no {MANIFEST} at its root")));
        }
    };
    Ok(describe(&id, read_manifest(&text)?, false))
}

fn shell_quote(s: &str) -> String {
    if cfg!(windows) {
        format!("\"{}\"", s.replace('"', ""))
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Unpacks a `.zip`, `.tar`, `.tar.gz` or `.tgz` into `dest` (a new or empty folder). A lone
/// top folder holding everything (as GitHub's downloads have) is not kept. An entry that
/// would land outside the folder (`..`, an absolute path) or is a link is refused, and then
/// nothing is left behind. Returns how many files were written.
pub fn import_archive(archive: &Path, dest: &Path, progress: &dyn Fn(Progress)) -> Result<usize> {
    let name = archive.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let kind = if name.ends_with(".zip") {
        Archive::Zip
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Archive::TarGz
    } else if name.ends_with(".tar") {
        Archive::Tar
    } else {
        return Err(TemplateError::Manifest(format!("{} is not a .zip, .tar, .tar.gz or .tgz", archive.display())));
    };
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        return Err(TemplateError::Exists(dest.to_path_buf()));
    }
    progress(Progress::Step { title: format!("Unpacking {}", archive.display()) });
    let made = !dest.exists();
    std::fs::create_dir_all(dest)?;
    let result = unpack(kind, archive, dest, progress);
    if result.is_err() {
        // Nothing half-unpacked stays.
        if made {
            let _ = std::fs::remove_dir_all(dest);
        } else if let Ok(rd) = std::fs::read_dir(dest) {
            for e in rd.flatten() {
                let _ = if e.path().is_dir() { std::fs::remove_dir_all(e.path()) } else { std::fs::remove_file(e.path()) };
            }
        }
    }
    result
}

#[derive(Clone, Copy)]
enum Archive {
    Zip,
    Tar,
    TarGz,
}

/// An entry's path inside the folder, or why it may not be unpacked.
fn inside(name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::Normal(part) => out.push(part),
            std::path::Component::CurDir => {}
            _ => return Err(TemplateError::Manifest(format!("the archive's entry {name:?} would land outside the folder; nothing was unpacked"))),
        }
    }
    Ok(out)
}

/// The top folder every entry is in, if there is exactly one (to leave out).
fn lone_top(names: &[PathBuf]) -> Option<PathBuf> {
    let first = names.iter().find_map(|n| n.components().next())?;
    let top = PathBuf::from(first.as_os_str());
    let all_in = names.iter().all(|n| n.starts_with(&top));
    let has_more = names.iter().any(|n| n.components().count() > 1);
    (all_in && has_more).then_some(top)
}

fn unpack(kind: Archive, archive: &Path, dest: &Path, progress: &dyn Fn(Progress)) -> Result<usize> {
    let bad = |e: std::io::Error| TemplateError::Manifest(format!("{} cannot be read: {e}", archive.display()));
    // Two passes: the names (every one checked, the lone top folder found), then the files.
    let open_tar = || -> Result<tar::Archive<Box<dyn std::io::Read>>> {
        let f = std::fs::File::open(archive)?;
        let r: Box<dyn std::io::Read> = match kind {
            Archive::TarGz => Box::new(flate2::read::GzDecoder::new(f)),
            _ => Box::new(f),
        };
        Ok(tar::Archive::new(r))
    };
    let mut written = 0;
    match kind {
        Archive::Zip => {
            let mut zip = zip::ZipArchive::new(std::fs::File::open(archive)?).map_err(|e| TemplateError::Manifest(format!("{}: {e}", archive.display())))?;
            let mut names = Vec::new();
            for i in 0..zip.len() {
                let e = zip.by_index(i).map_err(|e| TemplateError::Manifest(e.to_string()))?;
                if e.is_symlink() {
                    return Err(TemplateError::Manifest(format!("the archive's entry {:?} is a link; nothing was unpacked", e.name())));
                }
                names.push(inside(e.name())?);
            }
            let top = lone_top(&names);
            for (i, name) in names.iter().enumerate() {
                let rel = top.as_ref().and_then(|t| name.strip_prefix(t).ok()).unwrap_or(name);
                if rel.as_os_str().is_empty() {
                    continue;
                }
                let mut e = zip.by_index(i).map_err(|e| TemplateError::Manifest(e.to_string()))?;
                let to = dest.join(rel);
                if e.is_dir() {
                    std::fs::create_dir_all(&to)?;
                    continue;
                }
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut out = std::fs::File::create(&to)?;
                std::io::copy(&mut e, &mut out).map_err(bad)?;
                written += 1;
                if written % 200 == 0 {
                    progress(Progress::Output { line: format!("{written} files") });
                }
            }
        }
        Archive::Tar | Archive::TarGz => {
            let mut names = Vec::new();
            for e in open_tar()?.entries().map_err(bad)? {
                let e = e.map_err(bad)?;
                let t = e.header().entry_type();
                if t.is_symlink() || t.is_hard_link() {
                    return Err(TemplateError::Manifest(format!("the archive's entry {:?} is a link; nothing was unpacked", e.path().map(|p| p.display().to_string()).unwrap_or_default())));
                }
                names.push(inside(&e.path().map_err(bad)?.to_string_lossy())?);
            }
            let top = lone_top(&names);
            for (e, name) in open_tar()?.entries().map_err(bad)?.zip(names.iter()) {
                let mut e = e.map_err(bad)?;
                let rel = top.as_ref().and_then(|t| name.strip_prefix(t).ok()).unwrap_or(name);
                if rel.as_os_str().is_empty() {
                    continue;
                }
                let to = dest.join(rel);
                let t = e.header().entry_type();
                if t.is_dir() {
                    std::fs::create_dir_all(&to)?;
                    continue;
                }
                if !t.is_file() {
                    continue;
                }
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut out = std::fs::File::create(&to)?;
                std::io::copy(&mut e, &mut out).map_err(bad)?;
                #[cfg(unix)]
                if let Ok(mode) = e.header().mode() {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode & 0o755));
                }
                written += 1;
                if written % 200 == 0 {
                    progress(Progress::Output { line: format!("{written} files") });
                }
            }
        }
    }
    progress(Progress::Output { line: format!("{written} files unpacked") });
    Ok(written)
}
