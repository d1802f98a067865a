//! Commands the agent runs: each in a real PTY (so programs behave as they do for the
//! user: colours off via TERM=dumb, line-buffered output, `isatty` true), in the
//! workspace, with a timeout, killed with everything it started when the turn stops.
//! Background commands (dev servers, watchers) keep running and are polled.
//!
//! The sessions live in the app's terminal registry when it hands one over
//! ([`Commands::shared`]): the user sees each command as a terminal and can watch it while
//! it runs (the agent stays its reader; see `weft_pty::SpawnOptions::agent`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use weft_pty::{PtyEvent, SpawnOptions, Terminals};

/// Output the model sees of one command: the start and the end, where errors usually are.
pub const HEAD_CHARS: usize = 2_000;
pub const TAIL_CHARS: usize = 10_000;

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    /// Bytes already returned by a poll of a background command.
    polled: usize,
    exit: Option<weft_pty::ExitInfo>,
}

/// Told when a command starts: its terminal's id and the command line.
pub type OnSpawn = Arc<dyn Fn(u64, &str) + Send + Sync>;

pub struct Commands {
    terminals: Arc<Terminals>,
    on_spawn: Option<OnSpawn>,
    background: Mutex<HashMap<u64, Arc<(Mutex<Captured>, Notify)>>>,
    /// Variables set for every command on top of Weft's own environment (the project's
    /// environment; tests point `HOME` at a scratch folder so nothing a command does can
    /// reach the real one).
    env: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub output: String,
    /// `None` when it was stopped (timeout or cancel) before it exited.
    pub exit_code: Option<u32>,
    pub signal: Option<String>,
    pub timed_out: bool,
    pub cancelled: bool,
}

/// For the system prompt: the system and the shell run_command uses, so the model writes
/// commands that run here (cmd syntax on Windows, POSIX sh elsewhere).
pub fn system_note() -> String {
    let os = match std::env::consts::OS {
        "macos" => "macOS",
        "windows" => "Windows",
        "linux" => "Linux",
        other => other,
    };
    if cfg!(windows) {
        format!("The user's system is {os}. run_command runs each command with `cmd.exe /C`: use cmd syntax, or `powershell -NoProfile -Command \"…\"` for PowerShell.")
    } else {
        format!("The user's system is {os}. run_command runs each command with `/bin/sh -c`: use POSIX shell syntax.")
    }
}

fn shell_command(cmd: &str) -> Vec<String> {
    if cfg!(windows) {
        vec!["cmd.exe".into(), "/C".into(), cmd.into()]
    } else {
        vec!["/bin/sh".into(), "-c".into(), cmd.into()]
    }
}

impl Default for Commands {
    fn default() -> Self {
        Commands { terminals: Arc::new(Terminals::new()), on_spawn: None, background: Mutex::new(HashMap::new()), env: vec![] }
    }
}

impl Commands {
    /// Commands that also get `env` (later entries win over Weft's defaults).
    pub fn with_env(env: Vec<(String, String)>) -> Self {
        Commands { env, ..Commands::default() }
    }

    /// Runs the commands as terminals of `terminals` (the app's), telling `on_spawn` each one.
    pub fn shared(mut self, terminals: Arc<Terminals>, on_spawn: Option<OnSpawn>) -> Self {
        self.terminals = terminals;
        self.on_spawn = on_spawn;
        self
    }

    fn spawn(&self, cwd: &std::path::Path, cmd: &str) -> Result<(u64, Arc<(Mutex<Captured>, Notify)>), String> {
        let cap: Arc<(Mutex<Captured>, Notify)> = Arc::default();
        let sink_cap = cap.clone();
        let opts = SpawnOptions {
            cwd: cwd.to_path_buf(),
            command: Some(shell_command(cmd)),
            // No colours or pagers: the output is read by a model, and nobody is there to
            // press q.
            env: vec![
                ("TERM".into(), "dumb".into()),
                ("NO_COLOR".into(), "1".into()),
                ("PAGER".into(), "cat".into()),
                ("GIT_PAGER".into(), "cat".into()),
                ("CI".into(), "1".into()),
            ]
            .into_iter()
            .chain(self.env.iter().cloned())
            .collect(),
            cols: 200,
            rows: 50,
            title: Some(format!("agent: {}", cmd.lines().next().unwrap_or_default().chars().take(60).collect::<String>())),
            agent: true,
        };
        let id = self
            .terminals
            .spawn(
                opts,
                Box::new(move |ev| {
                    let (m, n) = &*sink_cap;
                    let mut c = m.lock().unwrap_or_else(|p| p.into_inner());
                    match ev {
                        PtyEvent::Output(b) => c.bytes.extend_from_slice(&b),
                        PtyEvent::Exited(e) => c.exit = Some(e),
                    }
                    n.notify_waiters();
                    true
                }),
                false,
            )
            .map_err(|e| e.to_string())?;
        if let Some(f) = &self.on_spawn {
            f(id, cmd);
        }
        Ok((id, cap))
    }

    /// Runs `cmd` to completion, the timeout or cancellation, whichever is first.
    pub async fn run(&self, cwd: &std::path::Path, cmd: &str, timeout: Duration, cancel: &CancellationToken) -> Result<Finished, String> {
        let (id, cap) = self.spawn(cwd, cmd)?;
        let deadline = tokio::time::Instant::now() + timeout;
        let (mut timed_out, mut cancelled) = (false, false);
        loop {
            let (m, n) = &*cap;
            let notified = n.notified();
            if m.lock().unwrap_or_else(|p| p.into_inner()).exit.is_some() {
                break;
            }
            tokio::select! {
                _ = notified => {}
                // The exit may race the notification; look again now and then.
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = tokio::time::sleep_until(deadline) => { timed_out = true; break; }
                _ = cancel.cancelled() => { cancelled = true; break; }
            }
        }
        // Kills the whole process group when it is still running.
        let _ = self.terminals.close(id);
        let c = cap.0.lock().unwrap_or_else(|p| p.into_inner());
        let exit = if timed_out || cancelled { None } else { c.exit.clone() };
        Ok(Finished {
            output: truncate(&clean(&c.bytes)),
            exit_code: exit.as_ref().and_then(|e| e.code),
            signal: exit.and_then(|e| e.signal),
            timed_out,
            cancelled,
        })
    }

    /// Starts `cmd` and returns at once with its id.
    pub fn start_background(&self, cwd: &std::path::Path, cmd: &str) -> Result<u64, String> {
        let (id, cap) = self.spawn(cwd, cmd)?;
        self.background.lock().unwrap_or_else(|p| p.into_inner()).insert(id, cap);
        Ok(id)
    }

    /// Output since the last poll, and the exit status once it has exited.
    pub fn poll(&self, id: u64) -> Result<(String, Option<weft_pty::ExitInfo>), String> {
        let all = self.background.lock().unwrap_or_else(|p| p.into_inner());
        let cap = all.get(&id).ok_or_else(|| format!("no background command with id {id}"))?;
        let mut c = cap.0.lock().unwrap_or_else(|p| p.into_inner());
        let new = clean(&c.bytes[c.polled..]);
        c.polled = c.bytes.len();
        Ok((truncate(&new), c.exit.clone()))
    }

    pub fn stop(&self, id: u64) -> Result<String, String> {
        let cap = self.background.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        let cap = cap.ok_or_else(|| format!("no background command with id {id}"))?;
        let _ = self.terminals.close(id);
        let c = cap.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(truncate(&clean(&c.bytes[c.polled..])))
    }

    /// Stops every background command (the turn or the thread ended).
    pub fn stop_all(&self) {
        let ids: Vec<u64> = self.background.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(id, _)| id).collect();
        for id in ids {
            let _ = self.terminals.close(id);
        }
    }
}

/// Terminal bytes as plain text: escape sequences and carriage returns removed, a `\r`
/// progress line keeping only its last state.
pub fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut line_start = 0;
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ST.
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.peek() == Some(&'\\')) {
                            if c == '\x1b' {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                _ => {
                    chars.next();
                }
            },
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    continue;
                }
                out.truncate(line_start);
            }
            '\n' => {
                out.push('\n');
                line_start = out.len();
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Keeps the first [`HEAD_CHARS`] and the last [`TAIL_CHARS`] characters.
pub fn truncate(s: &str) -> String {
    let n = s.chars().count();
    if n <= HEAD_CHARS + TAIL_CHARS {
        return s.to_owned();
    }
    let head: String = s.chars().take(HEAD_CHARS).collect();
    let tail: String = s.chars().skip(n - TAIL_CHARS).collect();
    format!("{head}\n… {} characters omitted …\n{tail}", n - HEAD_CHARS - TAIL_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_noise_is_removed() {
        assert_eq!(clean(b"\x1b[1;31merror\x1b[0m: x\r\n"), "error: x\n");
        assert_eq!(clean(b"10%\r50%\r100%\ndone\n"), "100%\ndone\n");
        assert_eq!(clean(b"\x1b]0;title\x07ok\n"), "ok\n");
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let s: String = (0..20_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let t = truncate(&s);
        assert!(t.starts_with(&s[..HEAD_CHARS]));
        assert!(t.ends_with(&s[s.len() - TAIL_CHARS..]));
        assert!(t.contains("8000 characters omitted"));
    }
}
