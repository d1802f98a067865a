use std::path::PathBuf;

/// Where Weft keeps its own files. Overridable by environment so tests and portable
/// installs never touch the user's real settings.
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// settings.json lives here (WEFT_CONFIG_DIR, else the OS config dir + /weft).
    pub config_dir: PathBuf,
    /// recent folders, sessions, checkpoints, logs (WEFT_DATA_DIR, else the OS's local data
    /// dir + /weft: on Windows %LOCALAPPDATA%, never the roaming profile, which is copied
    /// at every sign-in on a domain and would carry every checkpoint with it).
    pub data_dir: PathBuf,
}

impl AppPaths {
    pub fn from_env() -> Self {
        let pick = |var: &str, base: Option<PathBuf>| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| base.map(|b| b.join("weft")))
                .unwrap_or_else(|| std::env::temp_dir().join("weft"))
        };
        Self::private(pick("WEFT_CONFIG_DIR", dirs::config_dir()), pick("WEFT_DATA_DIR", dirs::data_local_dir()))
    }

    /// The two folders, created readable by the user only (or made so): they hold API keys,
    /// checkpoints of the user's files, room logs, agent threads, logs and the usage
    /// ledger, and everything created inside inherits the protection whatever its own mode.
    pub fn private(config_dir: PathBuf, data_dir: PathBuf) -> Self {
        for dir in [&config_dir, &data_dir] {
            if let Err(e) = private_dir(dir) {
                eprintln!("weft: {} could not be made private to this user: {e}", dir.display());
            }
        }
        Self { config_dir, data_dir }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Where a shared folder's rooms and guests are kept across host restarts.
    pub fn collab_dir(&self, root: &std::path::Path) -> PathBuf {
        self.data_dir.join("collab").join(workspace_key(root))
    }
}

/// The folder the desktop app opens at start: the one given on its command line; else,
/// started from a terminal, the terminal's current directory unless that is the
/// filesystem root or the home folder; else none (the welcome page). A launch from the
/// Start menu, Finder or a desktop file has no terminal and starts in the install folder
/// or home, which is never opened as a workspace.
pub fn launch_folder(arg: Option<PathBuf>, from_terminal: bool, cwd: Option<PathBuf>) -> Option<PathBuf> {
    if arg.is_some() {
        return arg;
    }
    let cwd = cwd?;
    (from_terminal && cwd.parent().is_some() && Some(&cwd) != dirs::home_dir().as_ref()).then_some(cwd)
}

/// For the desktop app at start: on macOS, an app opened from the Finder or the Dock has
/// launchd's bare environment, so the programs it starts (terminals, the agent's commands)
/// get the login shell's instead, imported in the background (weft_pty::login_env).
/// Started from a terminal, or on another system, the environment is already the user's.
pub fn import_login_env(from_terminal: bool) {
    if cfg!(target_os = "macos") && !from_terminal {
        #[cfg(unix)]
        weft_pty::login_env::import_from_user_shell(std::time::Duration::from_secs(10));
    }
}

/// Creates `dir` (and its parents) and makes it user-only on Unix. On Windows the folders
/// under the user's profile are already the user's.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// A folder's name in the app's data directory (sessions, agent threads, collaboration):
/// a stable hash of its path.
pub fn workspace_key(root: &std::path::Path) -> String {
    let root = root.display().to_string();
    let hash = root.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("{hash:016x}")
}

/// Logs go to a daily-rolling file in the data directory (and to stderr when
/// WEFT_LOG_STDERR is set). Keep the guard alive for the life of the process.
pub fn init_logging(paths: &AppPaths, name: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG").unwrap_or_else(|_| "info".into());
    std::fs::create_dir_all(paths.log_dir()).ok()?;
    let appender = tracing_appender::rolling::daily(paths.log_dir(), format!("{name}.log"));
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let file_layer = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
    let stderr_layer = std::env::var_os("WEFT_LOG_STDERR").map(|_| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    tracing_subscriber::registry().with(filter).with(file_layer).with(stderr_layer).try_init().ok()?;
    Some(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_terminal_launch_opens_the_working_directory() {
        let project = std::env::temp_dir().join("weft-launch-test");
        assert_eq!(launch_folder(Some("/x".into()), false, Some(project.clone())), Some("/x".into()), "the command line wins");
        assert_eq!(launch_folder(None, true, Some(project.clone())), Some(project.clone()));
        // The Start menu, Finder, a .desktop file: no terminal.
        assert_eq!(launch_folder(None, false, Some(project)), None);
        assert_eq!(launch_folder(None, true, dirs::home_dir()), None, "home is a launcher's default");
        assert_eq!(launch_folder(None, true, Some("/".into())), None);
    }

    #[cfg(unix)]
    #[test]
    fn weft_folders_are_readable_by_the_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let (config, data) = (tmp.path().join("c/weft"), tmp.path().join("d/weft"));
        // One made by another program with the usual umask: tightened.
        std::fs::create_dir_all(&data).expect("mkdir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let paths = AppPaths::private(config, data);
        for dir in [&paths.config_dir, &paths.data_dir] {
            let mode = std::fs::metadata(dir).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }
}
