use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

/// Finds the desktop binary (beside this one, then on PATH) and starts it detached on
/// the folder.
pub fn desktop(path: PathBuf) -> anyhow::Result<()> {
    let folder = dunce::canonicalize(&path).with_context(|| format!("{} is not a folder I can open", path.display()))?;
    if !folder.is_dir() {
        bail!("{} is not a folder", folder.display());
    }
    let name = if cfg!(windows) { "weft-desktop.exe" } else { "weft-desktop" };
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(name))).filter(|p| p.is_file());
    let exe = beside.unwrap_or_else(|| PathBuf::from(name));
    Command::new(&exe)
        .arg(&folder)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start {} (is the desktop app built? see README)", exe.display()))?;
    Ok(())
}
