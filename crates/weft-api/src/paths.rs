use std::path::PathBuf;

/// Where Weft keeps its own files. Overridable by environment so tests and portable
/// installs never touch the user's real settings.
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// settings.json lives here (WEFT_CONFIG_DIR, else the OS config dir + /weft).
    pub config_dir: PathBuf,
    /// recent folders, sessions, logs (WEFT_DATA_DIR, else the OS data dir + /weft).
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
        Self { config_dir: pick("WEFT_CONFIG_DIR", dirs::config_dir()), data_dir: pick("WEFT_DATA_DIR", dirs::data_dir()) }
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
