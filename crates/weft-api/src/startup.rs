//! The start-up discipline. Before the UI says it is ready (its workbench laid out, the
//! tree listed, the restored files in editors), Rust does only what that frame needs: the
//! settings, the folder's root listing, the restored files. Everything else a subsystem
//! wants to start with the app (the folder-open checkpoint; later git status, language
//! servers, MCP servers, index loads) is queued here with [`Startup::after_ready`] and runs
//! after ready, one job at a time, on a thread at the lowest priority the OS gives, so it
//! never takes a core from the UI's first frames or from a keystroke.
//!
//! Without a UI (the CLI's collaboration host) nothing says ready: the queue starts after
//! [`HEADLESS_AFTER`]. Each job's start and end are logged (and, with WEFT_REPORT_READY,
//! printed for the start-up benchmark).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::{info, warn};

/// When nobody says ready, the queue starts this long after the app.
pub const HEADLESS_AFTER: Duration = Duration::from_secs(10);

type Job = (&'static str, Box<dyn FnOnce() + Send>);

enum State {
    /// Before ready: jobs wait here.
    Waiting(Vec<Job>),
    /// After: jobs go straight to the worker.
    Running(mpsc::Sender<Job>),
}

pub struct Startup {
    started: Instant,
    state: Mutex<State>,
}

impl Startup {
    /// `started` is when the app started (the times in the log are relative to it).
    pub fn new(started: Instant) -> Arc<Self> {
        let startup = Arc::new(Self { started, state: Mutex::new(State::Waiting(Vec::new())) });
        let weak = Arc::downgrade(&startup);
        let _ = std::thread::Builder::new().name("weft-startup-timer".into()).spawn(move || {
            std::thread::sleep(HEADLESS_AFTER);
            if let Some(s) = weak.upgrade() {
                s.ready("no ready from a UI");
            }
        });
        startup
    }

    /// Runs `job` after ready, at low priority; at once (on the worker) when ready has been.
    pub fn after_ready(&self, name: &'static str, job: impl FnOnce() + Send + 'static) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *state {
            State::Waiting(jobs) => jobs.push((name, Box::new(job))),
            State::Running(tx) => {
                if let Err(mpsc::SendError((name, _))) = tx.send((name, Box::new(job))) {
                    warn!("start-up job {name} dropped: the worker is gone");
                }
            }
        }
    }

    /// The UI is ready (or nobody will say so): the queued jobs start. Only the first call
    /// does anything.
    pub fn ready(&self, why: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State::Waiting(jobs) = &mut *state else { return };
        let jobs = std::mem::take(jobs);
        let (tx, rx) = mpsc::channel::<Job>();
        for job in jobs {
            let _ = tx.send(job);
        }
        let started = self.started;
        let at = started.elapsed();
        info!("start-up queue released {:.0} ms after start ({why})", at.as_secs_f64() * 1e3);
        let spawned = std::thread::Builder::new().name("weft-after-ready".into()).spawn(move || {
            lower_priority();
            for (name, job) in rx {
                let from = started.elapsed();
                // One job's panic must not take the jobs after it with it.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    warn!("start-up job {name} panicked");
                }
                let to = started.elapsed();
                info!("start-up job {name}: {:.0}–{:.0} ms after start", from.as_secs_f64() * 1e3, to.as_secs_f64() * 1e3);
                if std::env::var_os("WEFT_REPORT_READY").is_some() {
                    eprintln!("weft-job {name} {:.1} {:.1}", from.as_secs_f64() * 1e3, to.as_secs_f64() * 1e3);
                }
            }
        });
        match spawned {
            Ok(_) => *state = State::Running(tx),
            Err(e) => warn!("the start-up worker did not start: {e}"),
        }
    }
}

/// The calling thread at the OS's lowest normal priority (nice 19 on Linux, where a thread
/// has a nice value of its own; the lowest priority class elsewhere).
fn lower_priority() {
    if let Err(e) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
        warn!("could not lower the start-up worker's priority: {e:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_wait_for_ready_then_run_in_order_and_survive_a_panic() {
        let startup = Startup::new(Instant::now());
        let (tx, rx) = mpsc::channel();
        let t = tx.clone();
        startup.after_ready("first", move || t.send("first").unwrap());
        startup.after_ready("panics", || panic!("a job that fails"));
        let t = tx.clone();
        startup.after_ready("second", move || t.send("second").unwrap());
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "a job ran before ready");
        startup.ready("test");
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "first");
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "second");
        // After ready a job runs without waiting for anything.
        startup.after_ready("late", move || tx.send("late").unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "late");
    }

    /// The calling thread's nice value (field 19 of its stat; the fields after the
    /// parenthesised name are split by spaces).
    #[cfg(target_os = "linux")]
    fn own_nice() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        after.split(' ').nth(16).unwrap().parse().unwrap()
    }

    /// The point of the worker: it never competes with the UI for a core.
    #[cfg(target_os = "linux")]
    #[test]
    fn jobs_run_at_the_lowest_priority() {
        let startup = Startup::new(Instant::now());
        let (tx, rx) = mpsc::channel();
        startup.after_ready("nice", move || tx.send(own_nice()).unwrap());
        startup.ready("test");
        let nice = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(nice, 19, "the start-up worker runs at nice {nice}");
        // Only the worker: Linux's setpriority on "the process" moves the calling thread.
        assert_eq!(own_nice(), 0, "the rest of the app keeps its priority");
    }
}
