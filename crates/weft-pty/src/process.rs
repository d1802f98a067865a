//! The processes of one terminal, found and killed as a unit: what the "programs still
//! running" prompt lists and what closing a terminal (or stopping an agent's command) ends.
//!
//! - Unix: the shell is a session leader (it called setsid), and with job control every job
//!   gets its own process group, so "kill the process group" of the shell alone would leave
//!   background jobs behind: we find every process of the shell's *session* and kill them
//!   all. Linux lists processes and their sessions from /proc; macOS has no /proc, and
//!   sysinfo lists them there (libproc and getsid(2) underneath).
//! - Windows has no sessions or process groups for this: each terminal's shell goes into a
//!   Job Object, and everything it starts inherits the job. Killing the job ends the whole
//!   tree, and the job is created with "kill on close", so when Weft exits (or crashes) the
//!   terminal's programs end with it, as the hang-up does on Unix. Killing is closing our
//!   handle, the only one (win32job, a safe wrapper: this workspace forbids unsafe code).
//!   The shell is assigned
//!   right after it starts: a program it started in those first instants would escape (a
//!   shell starts none before reading its first line).

/// A program Weft runs in the background (git, a language server, a formatter), set up as
/// every such program must be: the login shell's environment where it was imported (see
/// ./login_env.rs), none of Weft's own secrets, and on Windows no console window flashing
/// up for it (a GUI app's console children otherwise get one each).
pub fn background_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.envs(crate::login_env::vars());
    for k in crate::SECRET_ENV {
        cmd.env_remove(k);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        cmd.creation_flags(CREATE_NO_WINDOW);
    }
    cmd
}

/// Where `command` is: itself when it is a path, else the first of `extra` then PATH's folders
/// holding it (on Windows also with .exe, .cmd or .bat). What Weft looks for before it starts
/// a language server, a template's tools, a shell.
pub fn find_program(command: &str, extra: &[std::path::PathBuf]) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(command);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let exts: &[&str] = if cfg!(windows) { &["", ".exe", ".cmd", ".bat"] } else { &[""] };
    extra.iter().cloned().chain(std::env::split_paths(&path)).flat_map(|d| exts.iter().map(move |e| d.join(format!("{command}{e}")))).find(|c| c.is_file())
}

/// One terminal's processes.
pub struct ProcessTree {
    leader: Option<u32>,
    #[cfg(windows)]
    job: Option<job::Job>,
}

impl ProcessTree {
    /// The tree rooted at a just-spawned child.
    pub fn adopt(child: &(dyn portable_pty::Child + Send + Sync)) -> Self {
        #[cfg(windows)]
        {
            let job = child.as_raw_handle().and_then(|handle| match job::Job::new().and_then(|j| j.assign(handle).map(|()| j)) {
                Ok(j) => Some(j),
                Err(e) => {
                    tracing::warn!("terminal {:?}: no job object ({e}); only the shell itself can be killed", child.process_id());
                    None
                }
            });
            Self { leader: child.process_id(), job }
        }
        #[cfg(not(windows))]
        Self { leader: child.process_id() }
    }

    pub fn leader(&self) -> Option<u32> {
        self.leader
    }

    /// Processes of the tree other than its root that are still running.
    pub fn members(&self) -> Vec<u32> {
        #[cfg(windows)]
        {
            let Some(job) = &self.job else { return Vec::new() };
            job.pids().into_iter().filter(|&p| Some(p) != self.leader).collect()
        }
        #[cfg(not(windows))]
        self.leader.map(session_members).unwrap_or_default()
    }

    /// Kills every process of the tree.
    pub fn kill(&self) {
        #[cfg(windows)]
        if let Some(job) = &self.job {
            job.kill();
        }
        #[cfg(unix)]
        if let Some(leader) = self.leader {
            kill_session(leader);
        }
    }
}

/// Pids (other than `leader`) whose session is `leader`'s.
#[cfg(target_os = "linux")]
pub fn session_members(leader: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != leader)
        .filter(|&pid| {
            // Fields after the command name (which may contain spaces): state ppid pgrp session …
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|s| {
                let rest = s.rsplit_once(") ")?.1;
                let mut f = rest.split(' ');
                let state = f.next()?;
                let session: u32 = f.nth(2)?.parse().ok()?;
                Some(session == leader && state != "Z")
            }) == Some(true)
        })
        .collect()
}

/// Pids (other than `leader`) whose session is `leader`'s (zombies have none, and drop out).
#[cfg(target_os = "macos")]
pub fn session_members(leader: u32) -> Vec<u32> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let Ok(mut system) = System::new() else { return Vec::new() };
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let leader_pid = Pid::from_u32(leader);
    system
        .processes()
        .iter()
        .filter(|(pid, p)| **pid != leader_pid && p.session_id() == Some(leader_pid))
        .map(|(pid, _)| pid.as_u32())
        .collect()
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
pub fn session_members(_leader: u32) -> Vec<u32> {
    Vec::new()
}

/// SIGKILL to the shell's process group and to every member of its session.
#[cfg(unix)]
pub fn kill_session(leader: u32) {
    use nix::sys::signal::{kill, killpg, Signal};
    use nix::unistd::Pid;
    let Ok(raw) = i32::try_from(leader) else { return };
    let members = session_members(leader);
    let _ = killpg(Pid::from_raw(raw), Signal::SIGKILL);
    for pid in members {
        if let Ok(p) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
    }
}

/// A Windows Job Object: a set of processes (and everything they start) killed as one.
#[cfg(windows)]
pub mod job {
    use std::os::windows::io::RawHandle;
    use std::sync::Mutex;

    use win32job::{ExtendedLimitInfo, Job as Win32Job, JobError};

    /// Killed (closed) at most once; `None` after.
    pub struct Job(Mutex<Option<Win32Job>>);

    impl Job {
        /// An unnamed job whose processes are killed when its handle closes.
        pub fn new() -> Result<Job, JobError> {
            let mut limits = ExtendedLimitInfo::new();
            limits.limit_kill_on_job_close();
            Ok(Job(Mutex::new(Some(Win32Job::create_with_limit_info(&limits)?))))
        }

        /// Puts a process (a handle with PROCESS_SET_QUOTA and PROCESS_TERMINATE rights, as
        /// CreateProcess returns) into the job; the processes it starts from now on join too.
        pub fn assign(&self, process: RawHandle) -> Result<(), JobError> {
            match &*self.lock() {
                Some(job) => job.assign_process(process as isize),
                None => Ok(()),
            }
        }

        /// The ids of the job's running processes.
        pub fn pids(&self) -> Vec<u32> {
            let Some(job) = &*self.lock() else { return Vec::new() };
            job.query_process_id_list().unwrap_or_default().into_iter().filter_map(|p| u32::try_from(p).ok()).collect()
        }

        /// Ends every process of the job: closing the only handle to a "kill on close" job.
        pub fn kill(&self) {
            drop(self.lock().take());
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, Option<Win32Job>> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}
