//! The login shell's environment, for programs Weft starts when Weft itself was not started
//! from a shell. An app opened from the macOS Finder or Dock inherits launchd's minimal
//! environment (PATH=/usr/bin:/bin:/usr/sbin:/sbin): `cargo`, `npm` and Homebrew's tools are
//! not found by the terminal's first command or by the agent. As VS Code does, we ask the
//! user's login shell once for its environment and give it to every program we start.
//!
//! It runs in the background (a login shell can take a second); a program started before
//! it is done waits for it, at most for the import's own timeout. A shell that fails, hangs
//! or prints something unexpected changes nothing (logged).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What the import asks the shell to print, between two markers: its rc files may print
/// greetings before and after.
const START: &str = "__WEFT_ENV_START__";
const END: &str = "__WEFT_ENV_END__";
/// Variables that describe the import's own shell, not the user's environment.
const SKIP: &[&str] = &["_", "PWD", "OLDPWD", "SHLVL"];

/// Runs `shell` as a login, interactive shell (so both its profile and its rc file are read,
/// as in a terminal) and returns the environment it ends up with. `timeout` bounds it.
pub fn resolve(shell: &Path, timeout: Duration) -> Result<BTreeMap<String, String>, String> {
    let script = format!("printf '%s' '{START}'; command env -0; printf '%s' '{END}'");
    let mut child = Command::new(shell)
        .args(["-l", "-i", "-c", &script])
        // Weft's own secrets are not handed to the user's rc files either.
        .env_clear()
        .envs(std::env::vars_os().filter(|(k, _)| !crate::SECRET_ENV.iter().any(|s| k == s)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", shell.display()))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let out = match rx.recv_timeout(timeout) {
        Ok(out) => out,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} did not answer within {timeout:?}", shell.display()));
        }
    };
    let _ = child.wait();
    parse(&out).ok_or_else(|| format!("{} printed no environment", shell.display()))
}

/// The NUL-separated `env -0` output between the markers.
fn parse(out: &[u8]) -> Option<BTreeMap<String, String>> {
    let text = String::from_utf8_lossy(out);
    let body = text.split_once(START)?.1.rsplit_once(END)?.0;
    let vars: BTreeMap<String, String> = body
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .filter(|(k, _)| !k.is_empty() && !SKIP.contains(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (!vars.is_empty()).then_some(vars)
}

enum State {
    Off,
    Pending { until: Instant },
    Ready(BTreeMap<String, String>),
}

fn slot() -> &'static (Mutex<State>, Condvar) {
    static SLOT: OnceLock<(Mutex<State>, Condvar)> = OnceLock::new();
    SLOT.get_or_init(|| (Mutex::new(State::Off), Condvar::new()))
}

/// Starts the import on a background thread; programs started from now on get its result.
pub fn import_in_background(shell: PathBuf, timeout: Duration) {
    let (lock, cv) = slot();
    *lock.lock().unwrap_or_else(|e| e.into_inner()) = State::Pending { until: Instant::now() + timeout };
    let spawned = std::thread::Builder::new().name("weft-login-env".into()).spawn(move || {
        let started = Instant::now();
        let result = resolve(&shell, timeout);
        let (lock, cv) = slot();
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        *state = match result {
            Ok(vars) => {
                tracing::info!("imported {} variables from {} in {:?}", vars.len(), shell.display(), started.elapsed());
                State::Ready(vars)
            }
            Err(e) => {
                tracing::warn!("could not import the login shell's environment: {e}");
                State::Off
            }
        };
        cv.notify_all();
    });
    if spawned.is_err() {
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = State::Off;
        cv.notify_all();
    }
}

/// Imports from the user's shell ($SHELL, else the account's), as a terminal would start it.
#[cfg(unix)]
pub fn import_from_user_shell(timeout: Duration) {
    import_in_background(PathBuf::from(crate::session::user_shell_path()), timeout);
}

/// The imported environment, waiting for an import still under way; empty when there is
/// none (Weft was started from a shell, or the import failed).
pub fn vars() -> BTreeMap<String, String> {
    let (lock, cv) = slot();
    let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        match &*state {
            State::Off => return BTreeMap::new(),
            State::Ready(vars) => return vars.clone(),
            State::Pending { until } => {
                let Some(left) = until.checked_duration_since(Instant::now()) else { return BTreeMap::new() };
                state = cv.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_what_is_between_the_markers() {
        let out = format!("Welcome!\n{START}PATH=/opt/bin:/usr/bin\0EMPTY=\0MULTI=a\nb=c\0_=/usr/bin/env\0SHLVL=2\0{END}bye\n");
        let vars = parse(out.as_bytes()).unwrap();
        assert_eq!(vars.get("PATH").map(String::as_str), Some("/opt/bin:/usr/bin"));
        assert_eq!(vars.get("EMPTY").map(String::as_str), Some(""));
        assert_eq!(vars.get("MULTI").map(String::as_str), Some("a\nb=c"));
        assert!(!vars.contains_key("_") && !vars.contains_key("SHLVL"));
        assert!(parse(b"no markers").is_none());
    }
}
