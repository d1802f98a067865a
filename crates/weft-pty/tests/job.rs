//! Windows: a terminal's processes live in a Job Object and die as one. Run under Wine in CI
//! (scripts/test.sh); a real Windows runs it in the GitHub workflow.
//!
//! The test binary is its own helper: as "parent" it waits for a line, starts a "child" that
//! shares its stdout, prints the child's pid and sleeps; the child sleeps. Both hold the
//! write end of the test's stdout pipe, so reading it to the end proves both have exited.
#![cfg(windows)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::windows::io::AsRawHandle;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use weft_pty::process::job::Job;

const ROLE: &str = "WEFT_JOB_TEST_ROLE";

fn helper(role: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "job_helper", "--nocapture", "--test-threads=1"]).env(ROLE, role);
    cmd
}

/// Not a test of its own: the parent's and child's body (does nothing without the role).
#[test]
fn job_helper() {
    match std::env::var(ROLE).as_deref() {
        Ok("parent") => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            let child = helper("child").stdin(Stdio::null()).stdout(Stdio::inherit()).spawn().unwrap();
            // On a line of its own: libtest has printed "test job_helper ... " before it.
            println!("\nchild-pid={}", child.id());
            std::io::stdout().flush().unwrap();
            std::thread::sleep(Duration::from_secs(120));
        }
        Ok("child") => std::thread::sleep(Duration::from_secs(120)),
        _ => {}
    }
}

#[test]
fn killing_the_job_ends_the_process_and_what_it_started() {
    let job = Job::new().expect("a job object");
    let mut parent = helper("parent").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    job.assign(parent.as_raw_handle()).expect("the parent joins the job");
    // Only now may it start the child, which then joins the job by inheritance.
    writeln!(parent.stdin.take().unwrap(), "go").unwrap();
    let mut out = BufReader::new(parent.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("child-pid=") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the parent ended before starting its child");
    }
    let child: u32 = line.trim_start_matches("child-pid=").trim().parse().unwrap();

    let pids = job.pids();
    assert!(pids.contains(&parent.id()), "the parent is in the job: {pids:?}");
    assert!(pids.contains(&child), "the child joined the job: {pids:?}");

    job.kill();
    // End of file on the shared pipe: every holder of its write end (parent and child) is gone.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = out.read_to_end(&mut rest);
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(30)).expect("the parent and its child were still running 30 s after the job was killed");
    // (Its exit code says nothing: closing a kill-on-close job ends processes with 0 on Wine.)
    parent.wait().unwrap();
    assert!(job.pids().is_empty());
}
