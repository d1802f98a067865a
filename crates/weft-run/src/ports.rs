//! Which local ports the programs of a terminal listen on, noticed as they start listening.
//!
//! Two sources, because neither alone is enough:
//! - the sockets themselves: on Linux, `/proc/net/tcp{,6}` lists listening sockets by inode
//!   and `/proc/<pid>/fd` says which process holds which, so a server is found whatever it
//!   prints (or if it prints nothing). The tables are read every 100 ms while terminals
//!   run (two small reads); holders are looked for only when the set of listening sockets
//!   changed, and only among the processes of the terminals' sessions. Where there is no
//!   `/proc` (macOS, the BSDs), `lsof` is asked about the terminals' processes every 2 s,
//!   and at once when an announcement arrives. On Windows the TCP table with each
//!   listener's process (`GetExtendedTcpTable`, a system call, no process started) is read
//!   every 100 ms and matched against the processes of each terminal's Job Object (the
//!   owners list every one of them).
//! - the output: "Local: http://localhost:5173/", "listening on port 3000". A mention makes
//!   the watcher look at once (so the offer follows the server's own message without
//!   waiting for the poll), and the port is confirmed by connecting to it, which also
//!   covers servers that are not the terminal's own processes (docker's proxy).
//!
//! A port is reported once when it opens and once when it closes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::Duration;

use regex::Regex;

const POLL: Duration = Duration::from_millis(100);
/// How often an announced port not found among the owner's sockets is connected to again
/// (between announcements): a server should not see a connection every 100 ms.
const PROBE_EVERY: Duration = Duration::from_secs(1);

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0)|\[::1?\]|\[::\]):(\d{2,5})\b|\bport\s+(\d{2,5})\b").expect("a fixed pattern compiles")
});

/// Words of a line announcing a server ("Listening on", "Local:", "Running on", "ready"),
/// as opposed to one naming a port it talks to ("connecting to localhost:5432").
static ANNOUNCES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)listen|serv(?:er|ing|e)|running|local:|network:|started|available|ready|open ").expect("a fixed pattern compiles"));

/// Local ports a line of output announces a server on.
pub fn mentioned(text: &str) -> Vec<u16> {
    if !ANNOUNCES.is_match(text) {
        return Vec::new();
    }
    let mut v: Vec<u16> = MENTION.captures_iter(text).filter_map(|c| c.get(1).or(c.get(2))?.as_str().parse().ok()).filter(|&p: &u16| p >= 80).collect();
    v.dedup();
    v
}

/// Something accepts connections on this local port.
pub fn accepts(port: u16) -> bool {
    let t = Duration::from_millis(200);
    TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), t).is_ok()
        || TcpStream::connect_timeout(&SocketAddr::from((Ipv6Addr::LOCALHOST, port)), t).is_ok()
}

/// Listening sockets and which terminal's processes hold them (Linux; elsewhere nothing is
/// attributed: see the module doc). Each scan reads the two socket tables; only when the
/// set of listening sockets changed does it look for their holders, and then only in the
/// processes of the terminals' sessions.
#[derive(Default)]
struct Sockets {
    /// Listening socket inode → (port, the session leader holding it, if a terminal's).
    known: std::collections::HashMap<u64, (u16, Option<u32>)>,
    // Windows reads the whole table each scan: nothing to compare with the last one.
    #[cfg_attr(windows, allow(dead_code))]
    leaders: Vec<u32>,
    /// Elsewhere than Linux: what lsof last said, by leader, and when.
    #[cfg(all(unix, not(target_os = "linux")))]
    asked: Option<(std::time::Instant, BTreeMap<u32, BTreeSet<u16>>)>,
}

/// How often lsof is asked where there is no /proc (a process each time: not every 100 ms;
/// a server's announcement still wakes the watcher at once).
#[cfg(all(unix, not(target_os = "linux")))]
const LSOF_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

impl Sockets {
    /// Ports held by the processes of each session (by its leader's pid). `now`: a hint
    /// arrived, look even if it was looked at a moment ago.
    fn scan(&mut self, leaders: &[u32], now: bool) -> BTreeMap<u32, BTreeSet<u16>> {
        #[cfg(all(unix, not(target_os = "linux")))]
        {
            let fresh = self.asked.as_ref().is_some_and(|(at, _)| at.elapsed() < LSOF_EVERY) && leaders == self.leaders.as_slice();
            if !fresh || now {
                let mut by: BTreeMap<u32, BTreeSet<u16>> = BTreeMap::new();
                for &l in leaders {
                    let mut pids = weft_pty::process::session_members(l);
                    pids.push(l);
                    by.insert(l, lsof_listening(&pids).unwrap_or_default());
                }
                self.asked = Some((std::time::Instant::now(), by));
                self.leaders = leaders.to_vec();
            }
            return self.asked.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
        }
        #[cfg(not(all(unix, not(target_os = "linux"))))]
        let _ = now;
        #[cfg(target_os = "linux")]
        {
            let now = linux::listeners();
            let changed = now.len() != self.known.len() || now.keys().any(|i| !self.known.contains_key(i)) || leaders != self.leaders.as_slice();
            if changed {
                let holders = linux::holders(leaders, &now);
                self.known = now.into_iter().map(|(inode, port)| (inode, (port, holders.get(&inode).copied()))).collect();
                self.leaders = leaders.to_vec();
            }
        }
        #[cfg(windows)]
        {
            let table = windows::listening();
            return leaders.iter().filter_map(|l| Some((*l, table.get(l)?.clone()))).collect();
        }
        #[allow(unreachable_code)]
        let mut out: BTreeMap<u32, BTreeSet<u16>> = BTreeMap::new();
        for (port, leader) in self.known.values() {
            if let Some(l) = leader {
                out.entry(*l).or_default().insert(*port);
            }
        }
        out
    }
}

/// Listening TCP sockets by owning process, from the system's own tables (netstat2 wraps
/// `GetExtendedTcpTable`: the workspace allows no unsafe code of its own).
#[cfg(windows)]
pub mod windows {
    use std::collections::{BTreeMap, BTreeSet};

    use netstat2::{get_sockets_info, AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, TcpState};

    /// Ports listened on, by process id (IPv4 and IPv6).
    pub fn listening() -> BTreeMap<u32, BTreeSet<u16>> {
        let mut out: BTreeMap<u32, BTreeSet<u16>> = BTreeMap::new();
        let Ok(sockets) = get_sockets_info(AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6, ProtocolFlags::TCP) else { return out };
        for s in sockets {
            if let ProtocolSocketInfo::Tcp(tcp) = &s.protocol_socket_info {
                if tcp.state == TcpState::Listen {
                    for pid in &s.associated_pids {
                        out.entry(*pid).or_default().insert(tcp.local_port);
                    }
                }
            }
        }
        out
    }
}

/// The ports these processes listen on, as `lsof` sees them (macOS and the BSDs, which have
/// no /proc; also on Linux, where the tests check the parsing against a real socket). None
/// when lsof is not there.
#[cfg(unix)]
pub fn lsof_listening(pids: &[u32]) -> Option<BTreeSet<u16>> {
    if pids.is_empty() {
        return Some(BTreeSet::new());
    }
    let list = pids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    // -a: all conditions together; -F pn: machine-readable lines, `p<pid>` then `n<addr>`.
    let out = std::process::Command::new("lsof").args(["-nP", "-a", "-iTCP", "-sTCP:LISTEN", "-Fpn", "-p", &list]).stdin(std::process::Stdio::null()).stderr(std::process::Stdio::null()).output().ok()?;
    Some(parse_lsof(&String::from_utf8_lossy(&out.stdout)))
}

/// `n127.0.0.1:3000`, `n*:5173`, `n[::1]:8000` lines of `lsof -F pn`: their ports.
pub fn parse_lsof(out: &str) -> BTreeSet<u16> {
    out.lines().filter_map(|l| l.strip_prefix('n')).filter_map(|addr| addr.rsplit(':').next()?.parse().ok()).collect()
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;

    /// Listening sockets' inodes → their ports.
    pub fn listeners() -> HashMap<u64, u16> {
        let mut out = HashMap::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else { continue };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
                if f.len() < 10 || f[3] != "0A" {
                    continue;
                }
                let port = f[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
                if let (Some(port), Ok(inode)) = (port, f[9].parse()) {
                    out.insert(inode, port);
                }
            }
        }
        out
    }

    /// The session (one of `leaders`) whose processes hold each of these sockets.
    pub fn holders(leaders: &[u32], sockets: &HashMap<u64, u16>) -> HashMap<u64, u32> {
        let mut out = HashMap::new();
        if leaders.is_empty() || sockets.is_empty() {
            return out;
        }
        let Ok(dir) = std::fs::read_dir("/proc") else { return out };
        for pid in dir.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()) {
            let Some(session) = session_of(pid) else { continue };
            if !leaders.contains(&session) {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
            for fd in fds.flatten() {
                let Ok(link) = std::fs::read_link(fd.path()) else { continue };
                let link = link.to_string_lossy();
                if let Some(inode) = link.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')).and_then(|s| s.parse::<u64>().ok()) {
                    if sockets.contains_key(&inode) {
                        out.insert(inode, session);
                    }
                }
            }
        }
        out
    }

    /// A process's session id (field 6 of /proc/PID/stat, after the command's parentheses).
    pub fn session_of(pid: u32) -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split(' ').nth(3)?.parse().ok()
    }
}

/// This process's session (what a test names as its owner's leader).
#[cfg(target_os = "linux")]
pub fn own_session() -> Option<u32> {
    linux::session_of(std::process::id())
}

/// A port opened or closed, by the owner (a terminal) whose processes hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortEvent {
    Opened { owner: u64, port: u16 },
    Closed { owner: u64, port: u16 },
}

/// Owners (terminals) and their session leaders' pids (a terminal's shell leads the session
/// every program started in it belongs to), asked each scan. On Windows, where there are no
/// sessions to look in, an owner is listed once for each process of its Job Object.
pub type Owners = Box<dyn Fn() -> Vec<(u64, u32)> + Send + Sync>;
pub type Report = Box<dyn Fn(PortEvent) + Send + Sync>;

#[derive(Default)]
struct State {
    /// What was last reported open, per owner.
    open: BTreeMap<u64, BTreeSet<u16>>,
    /// Ports an owner's output mentioned, confirmed by connecting while they accept.
    hinted: BTreeMap<u64, BTreeSet<u16>>,
    /// Look now (a hint arrived).
    wake: bool,
    stopped: bool,
}

/// Watches every owner's ports on a thread of its own until dropped.
pub struct Watcher {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Watcher {
    pub fn start(owners: Owners, report: Report) -> Self {
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let s = shared.clone();
        let spawned = std::thread::Builder::new().name("weft-ports".into()).spawn(move || run(&s, &owners, &report));
        if let Err(e) = spawned {
            tracing::warn!("port watcher not started: {e}");
        }
        Self { shared }
    }

    /// An owner's output mentioned these ports: look at once.
    pub fn hint(&self, owner: u64, ports: &[u16]) {
        if ports.is_empty() {
            return;
        }
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        st.hinted.entry(owner).or_default().extend(ports);
        st.wake = true;
        cv.notify_all();
    }

    /// Ports open now, by owner.
    pub fn open(&self) -> Vec<(u64, u16)> {
        let st = self.shared.0.lock().unwrap_or_else(|p| p.into_inner());
        st.open.iter().flat_map(|(o, ps)| ps.iter().map(move |p| (*o, *p))).collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
        cv.notify_all();
    }
}

fn run(shared: &(Mutex<State>, Condvar), owners: &Owners, report: &Report) {
    let (lock, cv) = shared;
    let mut sockets = Sockets::default();
    // Announced ports that accepted at the last probe, by owner, and when that was.
    let mut probed: BTreeMap<u64, BTreeSet<u16>> = BTreeMap::new();
    let mut last_probe: Option<std::time::Instant> = None;
    loop {
        let (hinted, fresh) = {
            let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
            if !st.wake {
                st = cv.wait_timeout(st, POLL).unwrap_or_else(|p| p.into_inner()).0;
            }
            if st.stopped {
                return;
            }
            // A hint arrived since the last look (not merely: hints exist).
            let fresh = std::mem::take(&mut st.wake);
            (st.hinted.clone(), fresh)
        };
        let owners = owners();
        let leaders: Vec<u32> = owners.iter().map(|(_, l)| *l).collect();
        let held = if owners.is_empty() { BTreeMap::new() } else { sockets.scan(&leaders, fresh) };
        let probe = fresh || last_probe.is_none_or(|t| t.elapsed() >= PROBE_EVERY);
        if probe {
            probed.clear();
            last_probe = Some(std::time::Instant::now());
        }
        let mut now: BTreeMap<u64, BTreeSet<u16>> = BTreeMap::new();
        for (owner, leader) in &owners {
            let mut ports = held.get(leader).cloned().unwrap_or_default();
            // A mentioned port counts while it accepts connections (checked only when
            // the sockets did not already say so).
            if probe {
                let accepted: BTreeSet<u16> = hinted.get(owner).into_iter().flatten().copied().filter(|p| !ports.contains(p) && accepts(*p)).collect();
                if !accepted.is_empty() {
                    probed.insert(*owner, accepted);
                }
            }
            ports.extend(probed.get(owner).into_iter().flatten());
            if !ports.is_empty() {
                now.entry(*owner).or_default().extend(ports);
            }
        }
        let mut events = Vec::new();
        {
            let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
            for (owner, ports) in &now {
                let before = st.open.get(owner);
                events.extend(ports.iter().filter(|p| !before.is_some_and(|b| b.contains(p))).map(|&port| PortEvent::Opened { owner: *owner, port }));
            }
            for (owner, ports) in &st.open {
                let after = now.get(owner);
                events.extend(ports.iter().filter(|p| !after.is_some_and(|a| a.contains(p))).map(|&port| PortEvent::Closed { owner: *owner, port }));
            }
            // An owner that is gone takes its hints with it.
            st.hinted.retain(|o, _| owners.iter().any(|(x, _)| x == o));
            st.open = now;
        }
        for e in events {
            report(e);
        }
    }
}
