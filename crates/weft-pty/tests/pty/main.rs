//! weft-pty against real PTYs and real processes.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use weft_pty::{ExitInfo, PtyEvent, SpawnOptions, Terminals};

#[derive(Default)]
struct Seen {
    bytes: Vec<u8>,
    frames: usize,
    exit: Option<ExitInfo>,
}

#[derive(Clone, Default)]
struct Collector(Arc<(Mutex<Seen>, Condvar)>);

impl Collector {
    fn sink(&self) -> Box<dyn Fn(PtyEvent) -> bool + Send + Sync> {
        let c = self.clone();
        Box::new(move |ev| {
            let (m, cv) = &*c.0;
            let mut s = m.lock().expect("lock");
            match ev {
                PtyEvent::Output(b) => {
                    s.bytes.extend_from_slice(&b);
                    s.frames += 1;
                }
                PtyEvent::Exited(e) => s.exit = Some(e),
            }
            cv.notify_all();
            true
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0 .0.lock().expect("lock").bytes).into_owned()
    }

    /// Waits until `pred` holds; the timeout only bounds a broken run.
    fn wait(&self, what: &str, pred: impl Fn(&Seen) -> bool) {
        let (m, cv) = &*self.0;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut s = m.lock().expect("lock");
        while !pred(&s) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}; output so far: {:?}", String::from_utf8_lossy(&s.bytes));
            s = cv.wait_timeout(s, left).expect("wait").0;
        }
    }

    fn wait_text(&self, needle: &str) {
        self.wait(needle, |s| String::from_utf8_lossy(&s.bytes).contains(needle));
    }

    fn wait_exit(&self) -> ExitInfo {
        self.wait("exit", |s| s.exit.is_some());
        self.0 .0.lock().expect("lock").exit.clone().expect("exit")
    }
}

fn opts(command: Option<&[&str]>) -> SpawnOptions {
    SpawnOptions {
        cwd: std::env::temp_dir(),
        command: command.map(|c| c.iter().map(|s| s.to_string()).collect()),
        env: vec![("PS1".into(), "$ ".into())],
        cols: 80,
        rows: 24,
        ..Default::default()
    }
}

fn start(t: &Terminals, command: Option<&[&str]>) -> (u64, Collector) {
    let c = Collector::default();
    let id = t.spawn(opts(command), c.sink(), false).expect("spawn");
    (id, c)
}

#[test]
fn echo_round_trip_in_the_users_shell_with_term_set() {
    let t = Terminals::new();
    let (id, c) = start(&t, None);
    // Computed output, so the echoed input line cannot satisfy the wait.
    t.write(id, b"echo \"hello-$((6*7)) $TERM $COLORTERM\"\r").expect("write");
    c.wait_text("hello-42 xterm-256color truecolor");
    t.close(id).expect("close");
}

#[test]
fn an_interactive_program_reads_input() {
    let t = Terminals::new();
    let (id, c) = start(&t, Some(&["sh", "-c", "printf 'name? '; read n; echo \"hi $n!\""]));
    c.wait_text("name? ");
    t.write(id, b"weft\r").expect("write");
    c.wait_text("hi weft!");
    assert_eq!(c.wait_exit(), ExitInfo { code: Some(0), signal: None });
}

#[test]
fn stty_size_reflects_a_resize() {
    let t = Terminals::new();
    let (id, c) = start(&t, Some(&["sh"]));
    t.resize(id, 132, 43).expect("resize");
    t.write(id, b"stty size\r").expect("write");
    c.wait_text("43 132");
    assert_eq!((t.list()[0].cols, t.list()[0].rows), (132, 43));
}

#[test]
fn ctrl_c_interrupts_a_running_sleep() {
    let t = Terminals::new();
    let (id, c) = start(&t, Some(&["sh"]));
    t.write(id, b"echo started-$((3+4)); sleep 60; echo not-$((1+1))\r").expect("write");
    // The echo ran (the computed number is not in the echo of the line)…
    c.wait_text("started-7");
    // …but the shell may not have started the sleep yet: an interrupt before the fork is
    // held by the shell until its next wait, which is the whole minute (CI saw it once).
    let shell = t.list()[0].pid.expect("pid");
    wait_for_child(shell, "sleep");
    t.write(id, b"\x03").expect("ctrl-c");
    // Without the interrupt the shell would be blocked in sleep for a minute.
    t.write(id, b"echo after-$((2+3))\r").expect("write");
    c.wait_text("after-5");
    assert!(!c.text().contains("not-2"), "the interrupted command line went on");
}

/// Waits until `parent` has a child named `name` (Linux: /proc; elsewhere a pause).
fn wait_for_child(parent: u32, name: &str) {
    if !cfg!(target_os = "linux") {
        std::thread::sleep(Duration::from_millis(500));
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid …
            let Some((head, rest)) = stat.rsplit_once(") ") else { return false };
            let comm = head.split_once(" (").map(|(_, c)| c).unwrap_or("");
            let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
            comm == name && ppid == Some(parent)
        });
        if found {
            return;
        }
        assert!(Instant::now() < deadline, "{parent} never started {name}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

#[test]
fn closing_kills_every_process_of_the_terminal() {
    let t = Terminals::new();
    let (id, c) = start(&t, Some(&["sh"]));
    // A background job gets its own process group under job control: killing the shell's
    // group alone would orphan it.
    t.write(id, b"sleep 1000 & echo BG=$!; sleep 1000\r").expect("write");
    // The echoed command line holds "BG=$!"; the output line holds the number.
    let pid_of = |text: &str| -> Option<u32> { text.rsplit("BG=").next()?.split_whitespace().next()?.parse().ok() };
    c.wait("the background pid", |s| pid_of(&String::from_utf8_lossy(&s.bytes)).is_some());
    let bg = pid_of(&c.text()).expect("pid");
    // The shell forks the foreground sleep just after printing the background pid.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut children = t.running_children(id).expect("children");
    while children.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        children = t.running_children(id).expect("children");
    }
    assert!(children.contains(&bg), "running children {children:?} should include {bg}");
    assert!(children.len() >= 2, "the foreground sleep is a child too: {children:?}");
    t.close(id).expect("close");
    let deadline = Instant::now() + Duration::from_secs(5);
    while children.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<_> = children.iter().filter(|&&p| alive(p)).collect();
    assert!(left.is_empty(), "orphans left behind: {left:?}");
    assert_eq!(t.running_children(id).expect_err("closed").code(), "unknown_terminal");
}

#[test]
fn exit_status_and_signal_are_reported() {
    let t = Terminals::new();
    let (_, c) = start(&t, Some(&["sh", "-c", "echo bye; exit 3"]));
    assert_eq!(c.wait_exit(), ExitInfo { code: Some(3), signal: None });
    assert!(c.text().contains("bye"), "output before exit was lost");
    let (_, c) = start(&t, Some(&["sh", "-c", "kill -TERM $$"]));
    let e = c.wait_exit();
    assert_eq!(e.code, None);
    assert!(e.signal.is_some_and(|s| s.contains("Terminated") || s.contains("TERM") || s == "15"), "signal not reported");
}

#[test]
fn utf8_split_across_reads_is_not_mangled() {
    let t = Terminals::new();
    // 200k multi-byte characters: far more than one read, so reads end inside characters.
    let (_, c) = start(&t, Some(&["sh", "-c", "i=0; while [ $i -lt 20000 ]; do printf 'é€😀ab'; i=$((i+1)); done"]));
    c.wait_exit();
    let s = c.0 .0.lock().expect("lock");
    let text = String::from_utf8(s.bytes.clone()).expect("valid UTF-8");
    assert_eq!(text, "é€😀ab".repeat(20000));
    assert!(s.frames > 1, "the output should have arrived in several frames");
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn a_200_mb_flood_to_a_slow_consumer_keeps_memory_bounded() {
    let t = Terminals::new();
    let total = Arc::new(Mutex::new(0u64));
    let counted = total.clone();
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let d2 = done.clone();
    let sink = Box::new(move |ev: PtyEvent| {
        match ev {
            PtyEvent::Output(b) => {
                *counted.lock().expect("lock") += b.len() as u64;
                // A consumer slower than the producer: without backpressure the queue grows.
                std::thread::sleep(Duration::from_micros(300));
            }
            PtyEvent::Exited(_) => {
                *d2.0.lock().expect("lock") = true;
                d2.1.notify_all();
            }
        }
        true
    });
    let base = rss_kib();
    t.spawn(opts(Some(&["sh", "-c", "head -c 200000000 /dev/zero | tr '\\0' x"])), sink, false).expect("spawn");
    let mut peak = base;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let finished = *done.0.lock().expect("lock");
        peak = peak.max(rss_kib());
        if finished {
            break;
        }
        assert!(Instant::now() < deadline, "flood did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*total.lock().expect("lock"), 200_000_000, "bytes were lost");
    let grew_mib = peak.saturating_sub(base) / 1024;
    eprintln!("flood: RSS grew by {grew_mib} MiB (peak {} MiB)", peak / 1024);
    assert!(grew_mib < 48, "memory grew by {grew_mib} MiB during a 200 MB flood");
}

#[test]
fn unknown_and_exited_terminals_give_clear_errors() {
    let t = Terminals::new();
    assert_eq!(t.write(999, b"x").expect_err("unknown").code(), "unknown_terminal");
    assert_eq!(t.resize(999, 10, 10).expect_err("unknown").code(), "unknown_terminal");
    assert_eq!(t.close(999).expect_err("unknown").code(), "unknown_terminal");
    let (id, c) = start(&t, Some(&["true"]));
    c.wait_exit();
    assert_eq!(t.write(id, b"x").expect_err("exited").code(), "terminal_exited");
    assert!(t.list()[0].exited.is_some());
}

#[test]
fn a_reattached_consumer_gets_the_scrollback_then_live_output() {
    let t = Terminals::new();
    // The first consumer is gone at once (a UI that was reloaded).
    let id = t.spawn(opts(Some(&["sh", "-c", "echo first-line; read x; echo second-$x"])), Box::new(|_| false), false).expect("spawn");
    // Until the first line is in the session's scrollback (an observer sees it there).
    let seen = Collector::default();
    t.tap(id, seen.sink()).expect("tap");
    seen.wait_text("first-line");
    let c = Collector::default();
    let exited = t.attach(id, c.sink(), false).expect("attach");
    assert!(exited.is_none());
    assert!(c.text().contains("first-line"), "no scrollback replayed: {:?}", c.text());
    t.write(id, b"live\r").expect("write");
    c.wait_text("second-live");
    assert_eq!(c.text().matches("first-line").count(), 1, "the scrollback was repeated");
}
