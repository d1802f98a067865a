//! Runs: a project's run configurations (weft-run) started as terminals of their own, their
//! output read for problems and for the ports they announce, and the ports every terminal
//! listens on (the run's, the agent's background commands', the user's own) reported as
//! they open and close, so the UI can offer a preview.
//!
//! A run is a terminal like any other (weft-pty): the UI shows it in a tab by attaching to
//! it, and its scrollback keeps what it printed before the tab opened. Stop ends its whole
//! process tree and keeps the tab's output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;
use weft_pty::{ExitInfo, PtyEvent, SpawnOptions, Terminals};
use weft_run::{PortEvent, Problem};

use crate::ApiError;

type Result<T> = std::result::Result<T, ApiError>;

/// What happens to runs and ports, as it happens.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RunEvent {
    /// A run started in terminal `terminal` (a restart names the one it `replaces`).
    Started {
        #[ts(type = "number")]
        terminal: u64,
        name: String,
        #[ts(type = "number | null")]
        replaces: Option<u64>,
    },
    Exited {
        #[ts(type = "number")]
        terminal: u64,
        name: String,
        exit: ExitInfo,
    },
    /// Problems a run's output just gave (paths are the project's; more may follow).
    Problems {
        #[ts(type = "number")]
        terminal: u64,
        name: String,
        problems: Vec<Problem>,
    },
    /// A terminal's programs started (`open`) or stopped listening on a local port.
    Port(PortInfo),
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PortInfo {
    #[ts(type = "number")]
    pub terminal: u64,
    /// The terminal's title (a run's name).
    pub title: String,
    pub port: u16,
    pub url: String,
    pub open: bool,
}

/// A run as a UI that (re)connects sees it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    #[ts(type = "number")]
    pub terminal: u64,
    pub name: String,
    pub exited: Option<ExitInfo>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunSnapshot {
    pub runs: Vec<RunInfo>,
    pub ports: Vec<PortInfo>,
}

struct Run {
    name: String,
    exited: Option<ExitInfo>,
    problems: Vec<Problem>,
}

/// The app's runs and its port watcher (started on first use: nothing polls before a run
/// or a UI asks for ports).
pub(crate) struct Runs {
    terminals: Arc<Terminals>,
    events: broadcast::Sender<RunEvent>,
    watcher: OnceLock<Arc<weft_run::Watcher>>,
    runs: Arc<Mutex<HashMap<u64, Run>>>,
    /// The preview's proxies, by the port they show (kept while the app runs: a page
    /// reloaded, or opened again, comes back through the same one).
    proxies: tokio::sync::Mutex<HashMap<u16, weft_run::proxy::Proxy>>,
    /// A guest's relayed proxies of the host's shared ports (weft_run::proxy::Relay).
    guest_proxies: tokio::sync::Mutex<HashMap<u16, weft_run::proxy::Proxy>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn url(port: u16) -> String {
    format!("http://localhost:{port}/")
}

impl Runs {
    pub(crate) fn new(terminals: Arc<Terminals>) -> Self {
        Self { terminals, events: broadcast::channel(256).0, watcher: OnceLock::new(), runs: Arc::default(), proxies: Default::default(), guest_proxies: Default::default() }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.watcher();
        self.events.subscribe()
    }

    fn watcher(&self) -> &Arc<weft_run::Watcher> {
        self.watcher.get_or_init(|| {
            let (terms, terms2, tx) = (self.terminals.clone(), self.terminals.clone(), self.events.clone());
            // Every running terminal, by its shell's pid (the leader of its programs' session).
            let owners = Box::new(move || {
                let shells: Vec<(u64, u32)> = terms.list().into_iter().filter(|t| t.exited.is_none()).filter_map(|t| Some((t.id, t.pid?))).collect();
                // Windows has no sessions to look in: each process of a terminal's Job Object.
                #[cfg(windows)]
                let shells = {
                    let mut all = shells.clone();
                    all.extend(shells.iter().flat_map(|&(id, _)| terms.running_children(id).unwrap_or_default().into_iter().map(move |p| (id, p))));
                    all
                };
                shells
            });
            let report = Box::new(move |e: PortEvent| {
                let (terminal, port, open) = match e {
                    PortEvent::Opened { owner, port } => (owner, port, true),
                    PortEvent::Closed { owner, port } => (owner, port, false),
                };
                let title = terms2.list().into_iter().find(|t| t.id == terminal).map(|t| t.title).unwrap_or_default();
                let _ = tx.send(RunEvent::Port(PortInfo { terminal, title, port, url: url(port), open }));
            });
            Arc::new(weft_run::Watcher::start(owners, report))
        })
    }

    pub(crate) fn snapshot(&self) -> RunSnapshot {
        let titles: HashMap<u64, String> = self.terminals.list().into_iter().map(|t| (t.id, t.title)).collect();
        let ports = self.watcher().open().into_iter().map(|(terminal, port)| PortInfo { terminal, title: titles.get(&terminal).cloned().unwrap_or_default(), port, url: url(port), open: true }).collect();
        let mut runs: Vec<RunInfo> = lock(&self.runs).iter().map(|(id, r)| RunInfo { terminal: *id, name: r.name.clone(), exited: r.exited.clone(), problems: r.problems.clone() }).collect();
        runs.sort_by_key(|r| r.terminal);
        RunSnapshot { runs, ports }
    }

    /// The running run of this name, if any.
    fn running(&self, name: &str) -> Option<u64> {
        lock(&self.runs).iter().find(|(_, r)| r.name == name && r.exited.is_none()).map(|(id, _)| *id)
    }

    /// Starts `name` after what it depends on: each dependency not already running is
    /// started and waited for, until it ends well or starts listening (a server it needs).
    /// A run of the same name still going is stopped and replaced (a restart). Returns the
    /// run's terminal.
    pub(crate) async fn start(&self, root: &Path, name: &str, env: &[(String, String)], shell: &[String]) -> Result<u64> {
        let detected = weft_run::detect(root);
        let plan = weft_run::plan(&detected, name).map_err(ApiError::bad_request)?;
        let Some((main, deps)) = plan.split_last() else { return Err(ApiError::bad_request(format!("no run configuration named \"{name}\""))) };
        for dep in deps {
            if self.running(&dep.name).is_some() {
                continue;
            }
            let mut events = self.subscribe();
            let id = self.spawn(root, dep, env, shell)?;
            loop {
                match events.recv().await {
                    Ok(RunEvent::Exited { terminal, exit, .. }) if terminal == id => {
                        if exit.code == Some(0) {
                            break;
                        }
                        let how = exit.code.map(|c| format!("exit code {c}")).or(exit.signal.clone()).unwrap_or_else(|| "an error".into());
                        return Err(ApiError::new(crate::ErrorCode::RunFailed, format!("\"{}\" (which \"{name}\" depends on) ended with {how}; \"{name}\" was not started", dep.name)));
                    }
                    Ok(RunEvent::Port(p)) if p.terminal == id && p.open => break,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return Err(ApiError::internal("the run events ended")),
                }
            }
        }
        self.spawn(root, main, env, shell)
    }

    fn spawn(&self, root: &Path, config: &weft_run::RunConfig, env: &[(String, String)], shell: &[String]) -> Result<u64> {
        let replaces = self.running(&config.name);
        if let Some(old) = replaces {
            let _ = self.terminals.close(old);
            lock(&self.runs).remove(&old);
        }
        let cwd = root.join(&config.cwd);
        if !cwd.is_dir() {
            return Err(ApiError::bad_request(format!("\"{}\" runs in {}, which is not a folder", config.name, cwd.display())));
        }
        let mut all_env: Vec<(String, String)> = env.to_vec();
        all_env.extend(config.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let opts = SpawnOptions { cwd: cwd.clone(), command: Some(shell_line(shell, &config.command)), env: all_env, cols: 120, rows: 30, title: Some(config.name.clone()), agent: false };
        // Output waits in the scrollback until the UI's tab attaches.
        let id = self.terminals.spawn(opts, Box::new(|_| false), false)?;
        lock(&self.runs).insert(id, Run { name: config.name.clone(), exited: None, problems: Vec::new() });
        self.watch_output(id, root.to_path_buf(), config);
        let _ = self.events.send(RunEvent::Started { terminal: id, name: config.name.clone(), replaces });
        Ok(id)
    }

    /// Reads a run's output for problems and announced ports, and notes its end.
    fn watch_output(&self, id: u64, root: PathBuf, config: &weft_run::RunConfig) {
        let scanner = Mutex::new(weft_run::Scanner::new());
        let (runs, tx, name, cwd) = (self.runs.clone(), self.events.clone(), config.name.clone(), config.cwd.clone());
        let report = move |found: Vec<Problem>| {
            let found: Vec<Problem> = found.into_iter().filter_map(|mut p| Some({ p.path = weft_run::project_path(&root, &cwd, &p.path)?; p })).collect();
            if found.is_empty() {
                return;
            }
            if let Some(r) = lock(&runs).get_mut(&id) {
                r.problems.extend(found.iter().cloned());
            }
            let _ = tx.send(RunEvent::Problems { terminal: id, name: name.clone(), problems: found });
        };
        let (runs, tx, name) = (self.runs.clone(), self.events.clone(), config.name.clone());
        let watcher = self.watcher().clone();
        let tapped = self.terminals.tap(
            id,
            Box::new(move |ev| {
                match ev {
                    PtyEvent::Output(bytes) => {
                        // Ports per line ("connecting to localhost:5432" beside "Listening"
                        // in one chunk is not an announcement of 5432), from the lines the
                        // scanner has already cleaned (Vite colours the port's digits).
                        let found = lock(&scanner).feed_seeing(&bytes, |line| watcher.hint(id, &weft_run::ports::mentioned(line)));
                        report(found);
                    }
                    PtyEvent::Exited(exit) => {
                        report(lock(&scanner).finish());
                        if let Some(r) = lock(&runs).get_mut(&id) {
                            r.exited = Some(exit.clone());
                        }
                        let _ = tx.send(RunEvent::Exited { terminal: id, name: name.clone(), exit });
                    }
                }
                true
            }),
        );
        if let Err(e) = tapped {
            tracing::warn!("run {id}: its output is not read for problems: {e}");
        }
    }

    /// The proxy the preview shows `port` through (see weft_run::proxy): its port.
    pub(crate) async fn proxy(&self, port: u16) -> Result<u16> {
        if port == 0 {
            return Err(ApiError::bad_request("port 0 is not a server's port"));
        }
        let mut proxies = self.proxies.lock().await;
        if let Some(p) = proxies.get(&port) {
            return Ok(p.port);
        }
        let p = weft_run::proxy::Proxy::start(port).await.map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("the preview's proxy: {e}")))?;
        let own = p.port;
        proxies.insert(port, p);
        Ok(own)
    }

    /// The relayed proxy a guest sees the host's `port` through (one per port: it asks the
    /// session the guest is in at each request).
    pub(crate) async fn guest_proxy(&self, port: u16, relay: Arc<dyn weft_run::proxy::Relay>) -> Result<u16> {
        let mut proxies = self.guest_proxies.lock().await;
        if let Some(p) = proxies.get(&port) {
            return Ok(p.port);
        }
        let p = weft_run::proxy::Proxy::start_relayed(port, relay).await.map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("the preview's proxy: {e}")))?;
        let own = p.port;
        proxies.insert(port, p);
        Ok(own)
    }

    pub(crate) fn stop(&self, id: u64) -> Result<()> {
        Ok(self.terminals.stop(id)?)
    }

    /// The ports the workspace's terminals listen on, newest terminal first. A watcher only
    /// just started has not looked yet: it is given a moment to.
    async fn serving(&self) -> Vec<(u64, u16)> {
        let mut events = self.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
        loop {
            let mut open = self.watcher().open();
            if !open.is_empty() || self.terminals.list().iter().all(|t| t.exited.is_some()) {
                open.sort_by_key(|(terminal, port)| (std::cmp::Reverse(*terminal), *port));
                return open;
            }
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {}
                _ => return vec![],
            }
        }
    }

    /// A picture of `path` on `port` (None: the newest terminal's port), only of a port one
    /// of the workspace's terminals serves: the agent never looks at another address.
    pub(crate) async fn screenshot(&self, port: Option<u16>, path: &str, width: u32, height: u32) -> std::result::Result<weft_agent::PreviewShot, String> {
        let serving = self.serving().await;
        let port = match port {
            Some(p) if serving.iter().any(|(_, q)| *q == p) => p,
            Some(p) => {
                let list: Vec<String> = serving.iter().map(|(_, q)| q.to_string()).collect();
                return Err(if list.is_empty() {
                    format!("port {p} is not served by a program started in Weft, and none is listening; start the app first (a run configuration, or run_command with background=true)")
                } else {
                    format!("port {p} is not served by a program started in Weft; these are: {}", list.join(", "))
                });
            }
            None => serving.first().map(|(_, p)| *p).ok_or("no program started in Weft is listening on a port; start the app first (a run configuration, or run_command with background=true)")?,
        };
        let url = format!("http://localhost:{port}{path}");
        let opts = weft_run::screenshot::Options { width, height, ..Default::default() };
        let shot = weft_run::screenshot::screenshot(&url, &opts).await.map_err(|e| e.to_string())?;
        Ok(weft_agent::PreviewShot { url, png: shot.png, console: shot.console, dom: shot.dom })
    }
}

/// The preview as the agent's screenshot tool sees it.
pub(crate) struct RunPreview(pub(crate) Arc<Runs>);

impl weft_agent::Preview for RunPreview {
    fn screenshot<'a>(&'a self, port: Option<u16>, path: &'a str, width: u32, height: u32) -> weft_agent::tools::Boxed<'a, std::result::Result<weft_agent::PreviewShot, String>> {
        Box::pin(self.0.screenshot(port, path, width, height))
    }
}

/// A command line run by the platform's shell, as a terminal would: the user's shell on
/// Unix (its PATH, as set up by their profile), cmd on Windows.
/// The terminal shell setting (program and arguments) is honoured, `-c` added.
fn shell_line(shell: &[String], command: &str) -> Vec<String> {
    if cfg!(windows) {
        return vec!["cmd.exe".into(), "/C".into(), command.into()];
    }
    let mut argv = if shell.is_empty() { vec![std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into())] } else { shell.to_vec() };
    argv.extend(["-c".to_owned(), command.to_owned()]);
    argv
}
