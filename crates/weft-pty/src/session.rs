use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, ChildKiller, CommandBuilder, MasterPty, PtySize};
use serde::Serialize;

use crate::{process, PtyError, Result};

/// Reads per syscall (a Linux PTY hands over at most 4 KiB; other systems more).
const READ_CHUNK: usize = 64 * 1024;
/// Largest frame handed to a sink; also how much read output may wait for the pump before
/// the reader stops reading (and with it, the program).
const MAX_FRAME: usize = 256 * 1024;
/// Below this, a frame goes out at once (typing echo must not wait).
const INTERACTIVE: usize = 16 * 1024;
/// How long a flood is coalesced before a frame goes out.
const COALESCE: Duration = Duration::from_millis(4);
/// Unacknowledged bytes a flow-controlled sink may have in flight.
const HIGH_WATER: u64 = 1024 * 1024;
/// Recent output kept for a UI that re-attaches.
const SCROLLBACK: usize = 1024 * 1024;

#[derive(Default)]
pub struct SpawnOptions {
    pub cwd: PathBuf,
    /// Program and arguments; `None` runs the user's shell.
    pub command: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
    pub cols: u16,
    pub rows: u16,
    /// The name shown for it (default: the program's).
    pub title: Option<String>,
    /// Started by the agent for one of its commands: the agent reads its output (the
    /// session's own sink); the user can watch it (a tap), not take it over.
    pub agent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExitInfo {
    pub code: Option<u32>,
    pub signal: Option<String>,
}

pub enum PtyEvent {
    Output(Vec<u8>),
    Exited(ExitInfo),
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TerminalInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: u64,
    pub title: String,
    pub pid: Option<u32>,
    pub cols: u16,
    pub rows: u16,
    pub exited: Option<ExitInfo>,
    /// One of the agent's commands (see `SpawnOptions::agent`).
    pub agent: bool,
}

/// Receives a session's events; returns false once its receiver is gone (the session
/// keeps running and keeps scrollback until someone attaches again).
pub type Sink = Box<dyn Fn(PtyEvent) -> bool + Send + Sync>;

struct SinkSlot {
    sink: Option<Sink>,
    flow_control: bool,
}

#[derive(Default)]
struct Flow {
    sent: u64,
    acked: u64,
}

struct Session {
    id: u64,
    title: String,
    agent: bool,
    pid: Option<u32>,
    tree: process::ProcessTree,
    master: Mutex<Box<dyn MasterPty + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    killer: Mutex<Box<dyn ChildKiller + Send + Sync>>,
    size: Mutex<(u16, u16)>,
    slot: Mutex<SinkSlot>,
    flow: Mutex<Flow>,
    flow_cv: Condvar,
    scrollback: Mutex<VecDeque<u8>>,
    exited: Mutex<Option<ExitInfo>>,
    closed: std::sync::atomic::AtomicBool,
    /// Extra observers besides the UI (a terminal shared with collaborators), by id. They
    /// do not take part in flow control: the UI's pace is the terminal's.
    taps: Mutex<Vec<(u64, Sink)>>,
}

/// Output the reader has read and the pump not yet taken. The reader appends to one
/// buffer and wakes the pump only when what it waits for is there: while a flood streams
/// that is once a frame, not once a read (a Linux PTY read is 4 KiB, so a wake-up per read
/// was ~8,000 context switches per 32 MiB, on the cores the UI needs).
#[derive(Default)]
struct Inbox {
    bytes: Vec<u8>,
    eof: bool,
    exit: Option<ExitInfo>,
    /// The pump sleeps until `bytes` holds this many; `None`: it is not sleeping.
    want: Option<usize>,
    /// The pump has ended: the reader stops.
    gone: bool,
}

#[derive(Default)]
struct Queue {
    inbox: Mutex<Inbox>,
    /// For the pump: what it wants has arrived (or the end).
    arrived: Condvar,
    /// For the reader: the pump took the bytes.
    taken: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the pump if it sleeps and what it wants is there, or `always` (an end).
    fn wake(&self, inbox: &mut Inbox, always: bool) {
        if inbox.want.is_some_and(|w| always || inbox.bytes.len() >= w) {
            inbox.want = None;
            self.arrived.notify_one();
        }
    }
}

/// All terminal sessions of one app. Dropping it kills them all.
#[derive(Default)]
pub struct Terminals {
    sessions: Mutex<HashMap<u64, Arc<Session>>>,
    next_id: AtomicU64,
    next_tap: AtomicU64,
}

impl Terminals {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a session and returns its id. `flow_control`: the sink's owner will call
    /// [`Terminals::ack`] for the bytes it has processed.
    pub fn spawn(&self, opts: SpawnOptions, sink: Sink, flow_control: bool) -> Result<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let size = PtySize { rows: opts.rows.max(1), cols: opts.cols.max(1), pixel_width: 0, pixel_height: 0 };
        let pair = native_pty_system().openpty(size).map_err(|e| PtyError::Spawn(e.to_string()))?;
        let (mut cmd, title) = match &opts.command {
            Some(argv) if !argv.is_empty() => {
                let mut c = CommandBuilder::new(&argv[0]);
                c.args(&argv[1..]);
                (c, argv[0].clone())
            }
            _ => user_shell(),
        };
        cmd.cwd(&opts.cwd);
        // Started from the Finder, Weft has launchd's bare environment: the login shell's
        // (./login_env.rs; empty when Weft was started from a shell) comes first.
        for (k, v) in crate::login_env::vars() {
            cmd.env(k, v);
        }
        // Weft's own secrets stay with Weft: a terminal or an agent's command that wants a
        // key gets it from the project's environment, on purpose (opts.env below).
        for k in crate::SECRET_ENV {
            cmd.env_remove(k);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("COLORTERM", "truecolor");
        cmd.env("TERM_PROGRAM", "weft");
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = pair.slave.spawn_command(cmd).map_err(|e| PtyError::Spawn(e.to_string()))?;
        // The slave must be closed here, or the reader never sees EOF when the shell exits.
        drop(pair.slave);
        let reader = pair.master.try_clone_reader().map_err(|e| PtyError::Spawn(e.to_string()))?;
        let writer = pair.master.take_writer().map_err(|e| PtyError::Spawn(e.to_string()))?;
        let session = Arc::new(Session {
            id,
            title: opts.title.clone().unwrap_or_else(|| title.rsplit('/').next().unwrap_or(&title).to_owned()),
            agent: opts.agent,
            pid: child.process_id(),
            tree: process::ProcessTree::adopt(&*child),
            master: Mutex::new(pair.master),
            writer: Mutex::new(writer),
            killer: Mutex::new(child.clone_killer()),
            size: Mutex::new((size.cols, size.rows)),
            slot: Mutex::new(SinkSlot { sink: Some(sink), flow_control }),
            flow: Mutex::new(Flow::default()),
            flow_cv: Condvar::new(),
            scrollback: Mutex::new(VecDeque::new()),
            exited: Mutex::new(None),
            closed: Default::default(),
            taps: Mutex::default(),
        });

        let queue = Arc::new(Queue::default());
        let spawn_err = |e: std::io::Error| PtyError::Spawn(e.to_string());
        let read_q = queue.clone();
        std::thread::Builder::new().name(format!("weft-pty-read-{id}")).spawn(move || read_loop(reader, &read_q)).map_err(spawn_err)?;
        let wait_q = queue.clone();
        std::thread::Builder::new()
            .name(format!("weft-pty-wait-{id}"))
            .spawn(move || {
                let info = match child.wait() {
                    Ok(s) => ExitInfo { code: s.signal().is_none().then(|| s.exit_code()), signal: s.signal().map(str::to_owned) },
                    Err(_) => ExitInfo { code: None, signal: None },
                };
                let mut inbox = wait_q.lock();
                inbox.exit = Some(info);
                wait_q.wake(&mut inbox, true);
            })
            .map_err(spawn_err)?;
        let pumped = session.clone();
        std::thread::Builder::new().name(format!("weft-pty-pump-{id}")).spawn(move || pump(&pumped, &queue)).map_err(spawn_err)?;
        self.lock().insert(id, session);
        Ok(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, id: u64) -> Result<Arc<Session>> {
        self.lock().get(&id).cloned().ok_or(PtyError::Unknown(id))
    }

    /// Sends input (keystrokes, paste; "\x03" is Ctrl+C) to the program.
    pub fn write(&self, id: u64, data: &[u8]) -> Result<()> {
        let s = self.get(id)?;
        if s.exited.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Err(PtyError::Exited(id));
        }
        let mut w = s.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.write_all(data).and_then(|_| w.flush()).map_err(|source| PtyError::Io { id, source })
    }

    /// The program sees the new size (SIGWINCH).
    pub fn resize(&self, id: u64, cols: u16, rows: u16) -> Result<()> {
        let s = self.get(id)?;
        let size = PtySize { rows: rows.max(1), cols: cols.max(1), pixel_width: 0, pixel_height: 0 };
        s.master.lock().unwrap_or_else(|p| p.into_inner()).resize(size).map_err(|e| PtyError::Io { id, source: std::io::Error::other(e.to_string()) })?;
        *s.size.lock().unwrap_or_else(|p| p.into_inner()) = (size.cols, size.rows);
        Ok(())
    }

    /// The flow-controlled sink has processed `bytes` more bytes.
    pub fn ack(&self, id: u64, bytes: u64) -> Result<()> {
        let s = self.get(id)?;
        let mut f = s.flow.lock().unwrap_or_else(|p| p.into_inner());
        f.acked = (f.acked + bytes).min(f.sent);
        s.flow_cv.notify_all();
        Ok(())
    }

    /// Replaces the session's sink (a UI re-attaching after a reload). The new sink first
    /// receives the scrollback, then live output: nothing is lost or repeated between the
    /// two, because both happen under the lock the pump emits under. Returns the exit
    /// status if the program has already ended.
    pub fn attach(&self, id: u64, sink: Sink, flow_control: bool) -> Result<Option<ExitInfo>> {
        let s = self.get(id)?;
        let mut slot = s.slot.lock().unwrap_or_else(|p| p.into_inner());
        let replay: Vec<u8> = s.scrollback.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect();
        let exited = s.exited.lock().unwrap_or_else(|p| p.into_inner()).clone();
        *s.flow.lock().unwrap_or_else(|p| p.into_inner()) = Flow { sent: replay.len() as u64, acked: 0 };
        if !replay.is_empty() {
            sink(PtyEvent::Output(replay));
        }
        if let Some(e) = &exited {
            sink(PtyEvent::Exited(e.clone()));
        }
        *slot = SinkSlot { sink: Some(sink), flow_control };
        s.flow_cv.notify_all();
        Ok(exited)
    }

    /// Adds an observer of the session's output besides its UI (see `Session::taps`): it
    /// gets the scrollback first, then live output and the exit, until it returns false or
    /// is removed with [`Terminals::untap`]. Returns the tap's id.
    pub fn tap(&self, id: u64, sink: Sink) -> Result<u64> {
        let s = self.get(id)?;
        // Under the slot lock, as `emit` holds it: nothing falls between replay and live.
        let _slot = s.slot.lock().unwrap_or_else(|p| p.into_inner());
        let replay: Vec<u8> = s.scrollback.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect();
        if !replay.is_empty() && !sink(PtyEvent::Output(replay)) {
            return Ok(0);
        }
        if let Some(e) = s.exited.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            sink(PtyEvent::Exited(e));
        }
        let tap_id = self.next_tap.fetch_add(1, Ordering::Relaxed) + 1;
        s.taps.lock().unwrap_or_else(|p| p.into_inner()).push((tap_id, sink));
        Ok(tap_id)
    }

    pub fn untap(&self, id: u64, tap: u64) {
        if let Ok(s) = self.get(id) {
            s.taps.lock().unwrap_or_else(|p| p.into_inner()).retain(|(t, _)| *t != tap);
        }
    }

    /// Processes other than the shell still running in the terminal (to ask before closing).
    pub fn running_children(&self, id: u64) -> Result<Vec<u32>> {
        let s = self.get(id)?;
        if s.exited.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(Vec::new());
        }
        Ok(s.tree.members())
    }

    /// Ends the program and everything started in it, keeping the session: its output and
    /// exit status stay for whoever shows them (a run's Stop, unlike closing its tab).
    pub fn stop(&self, id: u64) -> Result<()> {
        let s = self.get(id)?;
        s.tree.kill();
        let _ = s.killer.lock().unwrap_or_else(|p| p.into_inner()).kill();
        Ok(())
    }

    /// Kills the shell and everything started in it, and forgets the session.
    pub fn close(&self, id: u64) -> Result<()> {
        let s = self.lock().remove(&id).ok_or(PtyError::Unknown(id))?;
        s.shutdown();
        Ok(())
    }

    pub fn list(&self) -> Vec<TerminalInfo> {
        let mut v: Vec<TerminalInfo> = self.lock().values().map(|s| s.info()).collect();
        v.sort_by_key(|t| t.id);
        v
    }
}

impl Drop for Terminals {
    fn drop(&mut self) {
        for (_, s) in self.lock().drain() {
            s.shutdown();
        }
    }
}

impl Session {
    fn info(&self) -> TerminalInfo {
        let (cols, rows) = *self.size.lock().unwrap_or_else(|p| p.into_inner());
        TerminalInfo { id: self.id, title: self.title.clone(), pid: self.pid, cols, rows, exited: self.exited.lock().unwrap_or_else(|p| p.into_inner()).clone(), agent: self.agent }
    }

    fn shutdown(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.flow_cv.notify_all();
        self.tree.kill();
        let _ = self.killer.lock().unwrap_or_else(|p| p.into_inner()).kill();
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).sink = None;
    }

    /// Hands a frame to the sink, after flow control allows it, and keeps it as scrollback.
    fn emit(&self, frame: Vec<u8>) {
        loop {
            let flow_control = self.slot.lock().unwrap_or_else(|p| p.into_inner()).flow_control;
            let f = self.flow.lock().unwrap_or_else(|p| p.into_inner());
            if !flow_control || f.sent.saturating_sub(f.acked) <= HIGH_WATER || self.closed.load(Ordering::Relaxed) {
                break;
            }
            // Re-checked every 100 ms: a detached or replaced sink must not stall us.
            let _ = self.flow_cv.wait_timeout(f, Duration::from_millis(100));
        }
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        {
            let mut sb = self.scrollback.lock().unwrap_or_else(|p| p.into_inner());
            let keep = frame.len().min(SCROLLBACK);
            let overflow = (sb.len() + keep).saturating_sub(SCROLLBACK);
            sb.drain(..overflow);
            sb.extend(&frame[frame.len() - keep..]);
        }
        self.taps.lock().unwrap_or_else(|p| p.into_inner()).retain(|(_, tap)| tap(PtyEvent::Output(frame.clone())));
        if let Some(sink) = &slot.sink {
            let len = frame.len() as u64;
            if sink(PtyEvent::Output(frame)) {
                self.flow.lock().unwrap_or_else(|p| p.into_inner()).sent += len;
            } else {
                *slot = SinkSlot { sink: None, flow_control: false };
            }
        }
    }

    fn emit_exit(&self, info: ExitInfo) {
        *self.exited.lock().unwrap_or_else(|p| p.into_inner()) = Some(info.clone());
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        self.taps.lock().unwrap_or_else(|p| p.into_inner()).retain(|(_, tap)| tap(PtyEvent::Exited(info.clone())));
        if let Some(sink) = &slot.sink {
            sink(PtyEvent::Exited(info));
        }
    }
}

fn read_loop(mut reader: Box<dyn Read + Send>, q: &Queue) {
    // One buffer, reused: a Linux PTY read returns at most 4 KiB, so a fresh zeroed 64 KiB
    // buffer per read would cost more than the data it carries.
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        // Backpressure: while a frame's worth waits for the pump, stop reading; the kernel's
        // buffer fills and the program blocks.
        {
            let mut inbox = q.lock();
            while inbox.bytes.len() >= MAX_FRAME && !inbox.gone {
                inbox = q.taken.wait(inbox).unwrap_or_else(|p| p.into_inner());
            }
            if inbox.gone {
                return;
            }
        }
        match reader.read(&mut buf) {
            // Linux reports EIO once every slave handle is closed: that is the end.
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let mut inbox = q.lock();
                inbox.bytes.extend_from_slice(&buf[..n]);
                q.wake(&mut inbox, false);
            }
        }
    }
    let mut inbox = q.lock();
    inbox.eof = true;
    q.wake(&mut inbox, true);
}

/// Takes what the reader queued as frames until the reader ends and the child has exited.
fn pump(session: &Session, q: &Queue) {
    let mut last_emit: Option<Instant> = None;
    let exit = loop {
        let mut inbox = q.lock();
        // Wait for output. After the shell exits, give its last output a moment (a
        // background job may still hold the terminal open, so EOF may never come).
        while inbox.bytes.is_empty() && !(inbox.eof && inbox.exit.is_some()) {
            inbox.want = Some(1);
            if inbox.exit.is_some() {
                let (next, waited) = q.arrived.wait_timeout(inbox, Duration::from_millis(150)).unwrap_or_else(|p| p.into_inner());
                inbox = next;
                if waited.timed_out() && inbox.bytes.is_empty() {
                    break;
                }
            } else {
                inbox = q.arrived.wait(inbox).unwrap_or_else(|p| p.into_inner());
            }
        }
        inbox.want = None;
        // Output arriving right after the previous frame is a stream (a build log, `cat`):
        // there the frame waits for more, since every frame costs the transport and the UI
        // a message whatever its size. Without this a `cat` went out in ~7 KiB frames
        // instead of ~220 KiB ones, and `weft serve` moved 35 instead of 40 MiB/s. Output
        // after a pause (an echo, a prompt) goes at once.
        let streaming = last_emit.is_some_and(|t| t.elapsed() < 2 * COALESCE);
        if (streaming || inbox.bytes.len() >= INTERACTIVE) && !inbox.eof {
            let deadline = Instant::now() + COALESCE;
            while inbox.bytes.len() < MAX_FRAME && !inbox.eof {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                inbox.want = Some(MAX_FRAME);
                inbox = q.arrived.wait_timeout(inbox, left).unwrap_or_else(|p| p.into_inner()).0;
            }
            inbox.want = None;
        }
        let frame = std::mem::take(&mut inbox.bytes);
        if frame.len() >= INTERACTIVE {
            // A flood goes on: room for the next frame at once, not by doubling.
            inbox.bytes.reserve(MAX_FRAME + READ_CHUNK);
        }
        let end = (inbox.eof && inbox.exit.is_some()) || (inbox.exit.is_some() && frame.is_empty());
        let exit = if end { Some(inbox.exit.clone().unwrap_or(ExitInfo { code: None, signal: None })) } else { None };
        if end {
            inbox.gone = true;
        }
        q.taken.notify_one();
        drop(inbox);
        if !frame.is_empty() {
            session.emit(frame);
            last_emit = Some(Instant::now());
        }
        if let Some(exit) = exit {
            break exit;
        }
    };
    session.emit_exit(exit);
}

/// The user's shell: $SHELL, else the passwd entry, else /bin/sh. Interactive; a login
/// shell on macOS, where terminals conventionally start one.
#[cfg(unix)]
fn user_shell() -> (CommandBuilder, String) {
    let shell = user_shell_path();
    let mut cmd = CommandBuilder::new(&shell);
    if cfg!(target_os = "macos") {
        cmd.arg("-l");
    }
    (cmd, shell)
}

#[cfg(unix)]
pub(crate) fn user_shell_path() -> String {
    std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.shell.display().to_string()))
        .filter(|s| std::path::Path::new(s).exists())
        .unwrap_or_else(|| "/bin/sh".to_owned())
}

/// PowerShell: the current one (pwsh) when installed, else Windows PowerShell, which every
/// Windows has; cmd.exe only if neither is found.
#[cfg(not(unix))]
fn user_shell() -> (CommandBuilder, String) {
    for exe in ["pwsh.exe", "powershell.exe"] {
        if crate::process::find_program(exe, &[]).is_some() {
            let mut cmd = CommandBuilder::new(exe);
            cmd.arg("-NoLogo");
            return (cmd, exe.trim_end_matches(".exe").to_owned());
        }
    }
    (CommandBuilder::new_default_prog(), "cmd".to_owned())
}
