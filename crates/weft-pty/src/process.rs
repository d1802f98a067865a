//! Finding and killing the processes of a terminal. The shell is a session leader (it
//! called setsid), and with job control every job gets its own process group, so "kill
//! the process group" of the shell alone would leave background jobs behind: we find
//! every process of the shell's *session* and kill them all.

/// Pids (other than `leader`) whose session is `leader`'s. Empty where /proc is absent.
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

#[cfg(not(target_os = "linux"))]
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

#[cfg(not(unix))]
pub fn kill_session(_leader: u32) {}
