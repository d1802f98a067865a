//! A picture of a previewed page, for the agent to look at (and for the user to hand it).
//!
//! The page is loaded by a Chromium-family browser already on the machine (Chromium,
//! Chrome, Edge, Brave; `WEFT_BROWSER` names another), run headless once per picture:
//! Weft bundles no browser, and the system webview has no API for a picture of a page it
//! does not show. `--virtual-time-budget` lets the page's scripts and timers run to a
//! quiet point before the picture, so a client-rendered app shows its content rather than
//! its loading state. What the page logged while it loaded comes back with the picture.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    pub width: u32,
    pub height: u32,
    /// The page's own time to settle (timers fast-forwarded; the network waited for).
    pub settle: Duration,
    /// The whole shot, browser start included.
    pub timeout: Duration,
}

impl Default for Options {
    /// A laptop's viewport: under the size models scale images down from (1568 px).
    fn default() -> Self {
        Options { width: 1280, height: 800, settle: Duration::from_secs(3), timeout: Duration::from_secs(30) }
    }
}

#[derive(Debug, Clone)]
pub struct Shot {
    pub png: Vec<u8>,
    /// `message (source:line)` for each console call while the page loaded.
    pub console: Vec<String>,
    /// The page's DOM when the picture was taken (what it shows, as text).
    pub dom: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ShotError {
    #[error("no Chromium-family browser was found to take the picture (looked for {0}); install Chromium, Chrome or Edge, or set WEFT_BROWSER to one")]
    NoBrowser(String),
    #[error("{browser} could not be started: {error}")]
    Start { browser: String, error: String },
    /// Nothing answers at the page's address: the browser would only draw its error page.
    #[error("nothing is listening at {0}; is the app running?")]
    NotListening(String),
    #[error("the page took longer than {0} s to load and draw")]
    Timeout(u64),
    #[error("{browser} made no picture of {url}: {detail}")]
    Failed { browser: String, url: String, detail: String },
}

/// The browsers tried, by name on PATH and in their usual install places.
fn candidates() -> (Vec<&'static str>, Vec<PathBuf>) {
    let names = vec!["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "microsoft-edge-stable", "brave-browser", "chrome", "msedge"];
    let mut places = Vec::new();
    if cfg!(target_os = "macos") {
        for app in ["Google Chrome", "Chromium", "Microsoft Edge", "Brave Browser"] {
            places.push(PathBuf::from(format!("/Applications/{app}.app/Contents/MacOS/{app}")));
        }
    }
    if cfg!(windows) {
        for var in ["ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"] {
            if let Some(base) = std::env::var_os(var).map(PathBuf::from) {
                places.push(base.join(r"Google\Chrome\Application\chrome.exe"));
                places.push(base.join(r"Microsoft\Edge\Application\msedge.exe"));
                places.push(base.join(r"BraveSoftware\Brave-Browser\Application\brave.exe"));
            }
        }
    }
    (names, places)
}

/// The browser a shot would use.
pub fn find_browser() -> Result<PathBuf, ShotError> {
    if let Some(b) = std::env::var_os("WEFT_BROWSER").filter(|b| !b.is_empty()) {
        let b = PathBuf::from(b);
        return weft_pty::process::find_program(&b.to_string_lossy(), &[]).ok_or_else(|| ShotError::NoBrowser(format!("WEFT_BROWSER={}", b.display())));
    }
    let (names, places) = candidates();
    names
        .iter()
        .find_map(|n| weft_pty::process::find_program(n, &[]))
        .or_else(|| places.into_iter().find(|p| p.is_file()))
        .ok_or_else(|| ShotError::NoBrowser(names.join(", ")))
}

/// Loads `url` and returns its picture (PNG) and console.
pub async fn screenshot(url: &str, opts: &Options) -> Result<Shot, ShotError> {
    if let Some(addr) = host_port(url) {
        if tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(&addr)).await.map_or(true, |c| c.is_err()) {
            return Err(ShotError::NotListening(addr));
        }
    }
    let browser = find_browser()?;
    let dir = scratch_dir().map_err(|e| ShotError::Start { browser: browser.display().to_string(), error: e.to_string() })?;
    let result = tokio::time::timeout(opts.timeout, shoot(&browser, url, opts, &dir.0)).await.unwrap_or(Err(ShotError::Timeout(opts.timeout.as_secs())));
    drop(dir);
    result
}

async fn shoot(browser: &Path, url: &str, opts: &Options, dir: &Path) -> Result<Shot, ShotError> {
    let out = dir.join("shot.png");
    let name = browser.display().to_string();
    let mut sandbox = true;
    loop {
        let mut cmd = tokio::process::Command::new(browser);
        cmd.arg("--headless=new")
            .args(["--disable-gpu", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars", "--mute-audio", "--disable-extensions", "--disable-background-networking", "--disable-sync"])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--window-size={},{}", opts.width, opts.height))
            .arg(format!("--virtual-time-budget={}", opts.settle.as_millis()))
            .arg(format!("--screenshot={}", out.display()))
            .args(["--enable-logging=stderr", "--v=0", "--dump-dom"]);
        if !sandbox {
            cmd.arg("--no-sandbox");
        }
        cmd.arg(url).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).kill_on_drop(true);
        let output = cmd.output().await.map_err(|e| ShotError::Start { browser: name.clone(), error: e.to_string() })?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Chromium's sandbox cannot start as root or without user namespaces (containers,
        // CI): only then is the picture taken without it.
        if sandbox && !out.exists() && (stderr.contains("--no-sandbox") || stderr.contains("No usable sandbox")) {
            tracing::info!("{name}: its sandbox is unavailable here; taking the picture without it");
            sandbox = false;
            continue;
        }
        return match std::fs::read(&out) {
            Ok(png) => Ok(Shot { png, console: console(&stderr), dom: String::from_utf8_lossy(&output.stdout).into_owned() }),
            Err(_) => {
                let detail = stderr.lines().filter(|l| l.contains("ERROR") || l.contains("net::")).last().unwrap_or("it printed nothing about why").trim().to_owned();
                Err(ShotError::Failed { browser: name, url: url.to_owned(), detail })
            }
        };
    }
}

/// `host:port` of an http(s) URL (the scheme's port when none is written).
fn host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let has_port = authority.rsplit_once(':').is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit())) && !authority.ends_with(']');
    match (has_port, scheme) {
        (true, _) => Some(authority.to_owned()),
        (false, "http") => Some(format!("{authority}:80")),
        (false, "https") => Some(format!("{authority}:443")),
        _ => None,
    }
}

/// The page's console lines in Chromium's log:
/// `[…:INFO:CONSOLE:2] "message", source: http://localhost:5173/ (2)` (older versions
/// write `CONSOLE(2)`).
pub fn console(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find(":CONSOLE")?..];
            let body = &rest[rest.find("] \"")? + 3..];
            let (message, source) = body.rsplit_once("\", source: ")?;
            let (src, line) = source.trim_end().trim_end_matches(')').rsplit_once(" (")?;
            Some(if src.is_empty() { message.to_owned() } else { format!("{message} ({src}:{line})") })
        })
        .collect()
}

/// A folder of its own per shot (the browser's profile and the picture), removed after.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch_dir() -> std::io::Result<Scratch> {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("weft-shot-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir)?;
    Ok(Scratch(dir))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_address_to_check_comes_from_the_url() {
        for (url, want) in [
            ("http://localhost:5173/app?x=1", Some("localhost:5173")),
            ("http://127.0.0.1/", Some("127.0.0.1:80")),
            ("https://u:p@example.com#top", Some("example.com:443")),
            ("http://[::1]:8080/", Some("[::1]:8080")),
            ("file:///tmp/a.html", None),
        ] {
            assert_eq!(super::host_port(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn console_lines_are_read_from_both_log_formats() {
        let log = "[1:1:1205/144506.388535:INFO:CONSOLE:2] \"hello from the page 42\", source: http://127.0.0.1:8765/ (2)\n\
                   [1:1:1205/144506.3:WARNING:ui/base/idle/idle_linux.cc:111] None of the known D-Bus services\n\
                   [0612/1:INFO:CONSOLE(17)] \"say \"hi\", source: x\", source: http://localhost:5173/src/main.tsx (17)\n\
                   [1:1:1205/1:INFO:CONSOLE:0] \"from eval\", source:  (0)";
        assert_eq!(
            super::console(log),
            ["hello from the page 42 (http://127.0.0.1:8765/:2)", "say \"hi\", source: x (http://localhost:5173/src/main.tsx:17)", "from eval"]
        );
    }
}
