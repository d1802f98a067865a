//! Weft as an MCP (Model Context Protocol) client: a folder's servers (its `.mcp.json`
//! and the user's `mcpServers` setting, see [`config`]) over stdio or Streamable HTTP
//! ([`client`]), their tools offered to the agent as `mcp__<server>__<tool>`, their
//! resources and prompts.
//!
//! - Nothing starts with the folder: the first agent turn (or the MCP list) starts the
//!   servers, each bounded by a timeout; one that fails is shown failed with its stderr's
//!   last words and the agent goes on without it. A server that exits mid-session is
//!   started again at the next turn; [`Hub::restart`] does it by hand.
//! - A project's server is a program the repository names: it does not run until the user
//!   trusts it ([`Hub::trust`]), and a changed command or environment must be trusted again
//!   (trust is kept per folder, by a hash of what runs, in the file given to [`Hub::new`]).
//! - Servers stop when the `Hub` is dropped (the folder closes): stdio children are killed,
//!   HTTP sessions ended.

pub mod client;
pub mod config;
pub mod oauth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use client::{Client, McpError, Prompt, Resource, ToolResult, ToolSpec};
pub use config::{ServerConfig, Source, Transport};

/// How long a server may take to start and answer `initialize`.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a listing (tools, resources, prompts) may take.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(20);

/// Tool names models accept: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn tool_name(server: &str, tool: &str) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect::<String>();
    let mut name = format!("mcp__{}__{}", clean(server), clean(tool));
    name.truncate(64);
    name
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "McpState"))]
pub enum State {
    /// A project's server nobody has trusted yet (or whose command changed since).
    NeedsTrust,
    /// Configured, not started (nothing has needed it yet).
    Idle,
    Starting,
    Running,
    Failed,
    /// A remote server that wants a signed-in user (OAuth): [`Hub::sign_in`].
    NeedsSignIn,
}

/// One server as the status list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "McpServerStatus"))]
pub struct ServerStatus {
    pub name: String,
    pub source: Source,
    pub state: State,
    /// What it runs or where it connects.
    pub command: String,
    /// Why it failed (its own words when it said any), or what its configuration lacks.
    pub message: String,
    pub tools: u32,
    /// A remote server Weft holds a sign-in for (Sign Out forgets it).
    pub signed_in: bool,
}

struct Running {
    client: Arc<Client>,
    fingerprint: String,
    tools: Vec<ToolSpec>,
}

#[derive(Default)]
struct Servers {
    running: BTreeMap<String, Running>,
    /// Servers that failed to start, with why; not tried again until restarted, their
    /// configuration changes, or they are trusted again.
    failed: BTreeMap<String, (String, String)>,
    starting: std::collections::BTreeSet<String>,
}

pub struct Hub {
    root: PathBuf,
    user: Mutex<config::Servers>,
    trust_file: Option<PathBuf>,
    servers: tokio::sync::Mutex<Servers>,
    /// A copy of the states for [`Hub::status`] without waiting on a start.
    shown: Mutex<BTreeMap<String, (State, String, u32)>>,
    tool_timeout: Mutex<Duration>,
    start_timeout: Mutex<Duration>,
    /// Saved OAuth sign-ins (None: nothing is remembered, sign-in is not offered).
    grants: Mutex<Option<oauth::Grants>>,
    /// What each server that asked for a sign-in said (its 401's challenge).
    challenges: Mutex<BTreeMap<String, oauth::Challenge>>,
    /// For sign-ins only, built on the first: building one loads the system's root
    /// certificates, which nothing should do while the folder opens (#27's rule).
    http: std::sync::OnceLock<reqwest::Client>,
}

/// How long a browser sign-in may take before it is given up.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(600);

impl Hub {
    /// `user`: the `mcpServers` setting's servers; `trust_file`: where trusted project
    /// servers are remembered (None: nothing is remembered, project servers never run).
    pub fn new(root: &Path, user: config::Servers, trust_file: Option<PathBuf>) -> Arc<Hub> {
        Arc::new(Hub {
            root: root.to_owned(),
            user: Mutex::new(user),
            trust_file,
            servers: Default::default(),
            shown: Default::default(),
            tool_timeout: Mutex::new(Duration::from_secs(120)),
            start_timeout: Mutex::new(START_TIMEOUT),
            grants: Mutex::new(None),
            challenges: Mutex::default(),
            http: std::sync::OnceLock::new(),
        })
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(Duration::from_secs(30)).build().unwrap_or_default())
    }

    /// Where OAuth sign-ins to remote servers are kept (a file only the user can read).
    pub fn set_grants(&self, path: PathBuf) {
        if let Ok(mut g) = self.grants.lock() {
            *g = Some(oauth::Grants::at(path));
        }
    }

    fn grants(&self) -> Option<oauth::Grants> {
        self.grants.lock().ok().and_then(|g| g.clone())
    }

    /// The configuration to connect with: a remote server's saved sign-in as its bearer
    /// token (renewed first when it has expired), unless the configuration sets its own
    /// `Authorization` header. `renew`: renew even if it has not expired (it was refused).
    async fn with_sign_in(&self, c: &ServerConfig, renew: bool) -> (ServerConfig, bool) {
        let Transport::Http { url, headers } = &c.transport else { return (c.clone(), false) };
        if headers.keys().any(|k| k.eq_ignore_ascii_case("authorization")) {
            return (c.clone(), false);
        }
        let Some(grants) = self.grants() else { return (c.clone(), false) };
        let Some(mut grant) = grants.get(url) else { return (c.clone(), false) };
        if renew || grant.expired() {
            match oauth::refresh(self.http(), &grant).await {
                Ok(g) => {
                    if let Err(e) = grants.save(url, Some(g.clone())) {
                        tracing::warn!("could not save the renewed MCP sign-in: {e}");
                    }
                    grant = g;
                }
                Err(e) => {
                    tracing::info!(url = %url, "MCP sign-in not renewed: {e}");
                    return (c.clone(), false);
                }
            }
        }
        let mut c = c.clone();
        if let Transport::Http { headers, .. } = &mut c.transport {
            headers.insert("Authorization".into(), format!("Bearer {}", grant.access_token));
        }
        (c, grant.refresh_token.is_some())
    }

    /// Starts signing in to a remote server: returns the page to open in the browser; when
    /// the browser comes back (within [`SIGN_IN_WAIT`]), the grant is saved and the server
    /// started. Its state says how it went.
    pub async fn sign_in(self: &Arc<Self>, name: &str) -> Result<String, String> {
        let (all, _) = self.configured();
        let c = all.get(name).ok_or_else(|| format!("no MCP server is named {name:?}"))?.clone()?;
        let Transport::Http { url, .. } = &c.transport else { return Err(format!("{name} runs on this machine; only remote servers sign in")) };
        let grants = self.grants().ok_or("sign-ins cannot be remembered here (no data folder)")?;
        let challenge = self.challenges.lock().ok().and_then(|m| m.get(name).cloned()).unwrap_or_default();
        let flow = oauth::begin(self.http(), url, &challenge, grants.get(url).as_ref()).await?;
        let page = flow.url.clone();
        let (hub, name, url) = (self.clone(), name.to_owned(), url.clone());
        self.show(&name, State::NeedsSignIn, "Waiting for the sign-in in your browser…", 0);
        tokio::spawn(async move {
            match flow.finish(hub.http(), SIGN_IN_WAIT).await {
                Ok(grant) => {
                    if let Err(e) = grants.save(&url, Some(grant)) {
                        hub.show(&name, State::NeedsSignIn, format!("signed in, but the sign-in could not be saved: {e}"), 0);
                        return;
                    }
                    if let Ok(mut m) = hub.challenges.lock() {
                        m.remove(&name);
                    }
                    tracing::info!(server = %name, "signed in to the MCP server");
                    let _ = hub.restart(&name).await;
                }
                Err(e) => hub.show(&name, State::NeedsSignIn, e, 0),
            }
        });
        Ok(page)
    }

    /// Forgets a remote server's sign-in and stops it.
    pub async fn sign_out(&self, name: &str) -> Result<ServerStatus, String> {
        let (all, _) = self.configured();
        let c = all.get(name).ok_or_else(|| format!("no MCP server is named {name:?}"))?.clone()?;
        if let (Transport::Http { url, .. }, Some(grants)) = (&c.transport, self.grants()) {
            grants.save(url, None).map_err(|e| e.to_string())?;
        }
        self.restart(name).await
    }

    /// The settings changed: the user's servers now (a changed one restarts when next used).
    pub fn set_user_servers(&self, user: config::Servers) {
        if let Ok(mut u) = self.user.lock() {
            *u = user;
        }
    }

    /// How long a server may take to start and answer `initialize` ([`START_TIMEOUT`]).
    pub fn set_start_timeout(&self, t: Duration) {
        if let Ok(mut x) = self.start_timeout.lock() {
            *x = t;
        }
    }

    pub fn set_tool_timeout(&self, t: Duration) {
        if let Ok(mut x) = self.tool_timeout.lock() {
            *x = t;
        }
    }

    /// Every configured server: the project's over the user's of the same name.
    fn configured(&self) -> (config::Servers, Option<String>) {
        let mut all = self.user.lock().map(|u| u.clone()).unwrap_or_default();
        let (project, err) = match config::load_project(&self.root) {
            Ok(p) => (p, None),
            Err(e) => (config::Servers::new(), Some(e)),
        };
        all.extend(project);
        (all, err)
    }

    fn trust_key(&self, name: &str, c: &ServerConfig) -> String {
        let mut h = Sha256::new();
        h.update(self.root.display().to_string());
        h.update([0]);
        h.update(name);
        h.update([0]);
        h.update(c.fingerprint());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The trusted project servers' keys, read once per use (the file is small).
    fn trusted_keys(&self) -> Vec<String> {
        let Some(file) = &self.trust_file else { return vec![] };
        std::fs::read_to_string(file).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
    }

    fn trusted(&self, keys: &[String], name: &str, c: &ServerConfig) -> bool {
        c.source == Source::User || (self.trust_file.is_some() && keys.contains(&self.trust_key(name, c)))
    }

    /// Trusts a project's server as it is configured now, and starts it.
    pub async fn trust(&self, name: &str) -> Result<ServerStatus, String> {
        let (all, _) = self.configured();
        let c = all.get(name).ok_or_else(|| format!("no MCP server is named {name:?}"))?.clone()?;
        let file = self.trust_file.as_ref().ok_or("trust cannot be remembered here (no data folder)")?;
        let mut keys = self.trusted_keys();
        let key = self.trust_key(name, &c);
        if !keys.contains(&key) {
            keys.push(key);
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(file, serde_json::to_vec(&keys).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        }
        self.servers.lock().await.failed.remove(name);
        self.restart(name).await
    }

    /// Stops a server (if running) and starts it again.
    pub async fn restart(&self, name: &str) -> Result<ServerStatus, String> {
        {
            let mut s = self.servers.lock().await;
            if let Some(r) = s.running.remove(name) {
                r.client.shutdown();
            }
            s.failed.remove(name);
        }
        self.ensure_started().await;
        self.status().into_iter().find(|s| s.name == name).ok_or_else(|| format!("no MCP server is named {name:?}"))
    }

    /// Each configured server's state now (never waits on a server).
    pub fn status(&self) -> Vec<ServerStatus> {
        let (all, err) = self.configured();
        let shown = self.shown.lock().map(|s| s.clone()).unwrap_or_default();
        let keys = self.trusted_keys();
        let signed: BTreeMap<String, oauth::Grant> = self.grants().map(|g| g.all()).unwrap_or_default();
        let mut out: Vec<ServerStatus> = all
            .iter()
            .map(|(name, c)| match c {
                Err(e) => ServerStatus { name: name.clone(), source: Source::Project, state: State::Failed, command: String::new(), message: e.clone(), tools: 0, signed_in: false },
                Ok(c) => {
                    let (state, message, tools) = if !self.trusted(&keys, name, c) {
                        (State::NeedsTrust, "The project's .mcp.json names this program: trust it to let it run".to_owned(), 0)
                    } else {
                        shown.get(name).cloned().unwrap_or((State::Idle, String::new(), 0))
                    };
                    let signed_in = matches!(&c.transport, Transport::Http { url, .. } if signed.contains_key(url));
                    ServerStatus { name: name.clone(), source: c.source.clone(), state, command: c.describe(), message, tools, signed_in }
                }
            })
            .collect();
        if let Some(e) = err {
            out.push(ServerStatus { name: ".mcp.json".into(), source: Source::Project, state: State::Failed, command: String::new(), message: e, tools: 0, signed_in: false });
        }
        out
    }

    fn show(&self, name: &str, state: State, message: impl Into<String>, tools: usize) {
        if let Ok(mut s) = self.shown.lock() {
            s.insert(name.to_owned(), (state, message.into(), tools as u32));
        }
    }

    /// Starts every trusted server not running (and not failed), concurrently; restarts one
    /// that exited or whose configuration changed. Returns once each has started or failed.
    pub async fn ensure_started(&self) {
        let (all, _) = self.configured();
        let keys = self.trusted_keys();
        let mut to_start = vec![];
        {
            let mut s = self.servers.lock().await;
            // Gone from the configuration, changed, or exited: stopped.
            let stale: Vec<String> = s
                .running
                .iter()
                .filter(|(n, r)| r.client.is_closed() || !matches!(all.get(*n), Some(Ok(c)) if c.fingerprint() == r.fingerprint && self.trusted(&keys, n, c)))
                .map(|(n, _)| n.clone())
                .collect();
            for n in stale {
                if let Some(r) = s.running.remove(&n) {
                    let exited = r.client.is_closed();
                    r.client.shutdown();
                    if exited {
                        tracing::warn!(server = %n, "MCP server exited; starting it again");
                    }
                }
                if let Ok(mut shown) = self.shown.lock() {
                    shown.remove(&n);
                }
            }
            for (name, c) in &all {
                let Ok(c) = c else { continue };
                if s.running.contains_key(name) || s.starting.contains(name) || !self.trusted(&keys, name, c) {
                    continue;
                }
                if let Some((fp, _)) = s.failed.get(name) {
                    if *fp == c.fingerprint() {
                        continue;
                    }
                }
                s.starting.insert(name.clone());
                to_start.push((name.clone(), c.clone()));
            }
        }
        let timeout = self.start_timeout.lock().map(|t| *t).unwrap_or(START_TIMEOUT);
        let starts = to_start.into_iter().map(|(name, c)| async move {
            self.show(&name, State::Starting, "", 0);
            let (signed, renewable) = self.with_sign_in(&c, false).await;
            let mut connected = Client::connect(&name, &signed, &self.root, timeout).await;
            if matches!(connected, Err(McpError::AuthRequired(_))) && renewable {
                // Refused although not expired (revoked, or the clock is off): renewed once.
                let (signed, _) = self.with_sign_in(&c, true).await;
                connected = Client::connect(&name, &signed, &self.root, timeout).await;
            }
            let mut needs_sign_in = false;
            let started = match connected {
                Ok(client) => match client.list_tools(LIST_TIMEOUT).await {
                    Ok(tools) => Ok((client, tools)),
                    Err(e) => {
                        client.shutdown();
                        Err(format!("listing its tools failed: {e}"))
                    }
                },
                Err(McpError::AuthRequired(h)) => {
                    needs_sign_in = true;
                    if let Ok(mut m) = self.challenges.lock() {
                        m.insert(name.clone(), oauth::Challenge::parse(&h));
                    }
                    Err(if self.grants().is_some() { "The server asks you to sign in: Sign In opens its page in your browser".to_owned() } else { "The server asks for a sign-in, which cannot be remembered here".to_owned() })
                }
                Err(e) => Err(e.to_string()),
            };
            let mut s = self.servers.lock().await;
            s.starting.remove(&name);
            match started {
                Ok((client, tools)) => {
                    tracing::info!(server = %name, tools = tools.len(), "MCP server started ({})", client.server_name);
                    self.show(&name, State::Running, format!("{} · MCP {}", client.server_name, client.protocol), tools.len());
                    s.running.insert(name, Running { client, fingerprint: c.fingerprint(), tools });
                }
                Err(e) => {
                    tracing::warn!(server = %name, "MCP server failed: {e}");
                    self.show(&name, if needs_sign_in { State::NeedsSignIn } else { State::Failed }, e.clone(), 0);
                    s.failed.insert(name, (c.fingerprint(), e));
                }
            }
        });
        futures_util::future::join_all(starts).await;
    }

    /// The tools of every running server, as the model sees them (name, description, input
    /// schema), after starting what needs starting. A server that said its tools changed is
    /// asked again.
    pub async fn tools(&self) -> Vec<ToolSpec> {
        self.ensure_started().await;
        let mut s = self.servers.lock().await;
        let mut out = vec![];
        for (name, r) in s.running.iter_mut() {
            if r.client.take_tools_changed() {
                if let Ok(t) = r.client.list_tools(LIST_TIMEOUT).await {
                    r.tools = t;
                }
            }
            for t in &r.tools {
                let description = if t.description.is_empty() { format!("{} (MCP server {name})", t.name) } else { format!("{} (MCP server {name})", t.description) };
                out.push(ToolSpec { name: tool_name(name, &t.name), description, input_schema: t.input_schema.clone() });
            }
        }
        out
    }

    /// The server and tool an exposed name stands for.
    async fn resolve(&self, exposed: &str) -> Option<(Arc<Client>, String)> {
        let s = self.servers.lock().await;
        s.running.iter().find_map(|(name, r)| r.tools.iter().find(|t| tool_name(name, &t.name) == exposed).map(|t| (r.client.clone(), t.name.clone())))
    }

    /// Calls `mcp__<server>__<tool>`. Every failure is a message for the model (the server
    /// gone, a timeout, the server's error), never a hang.
    pub async fn call(&self, exposed: &str, arguments: &Value) -> ToolResult {
        let Some((client, tool)) = self.resolve(exposed).await else {
            return ToolResult { text: format!("{exposed} is not a tool of a running MCP server"), is_error: true, images: vec![] };
        };
        let timeout = self.tool_timeout.lock().map(|t| *t).unwrap_or(Duration::from_secs(120));
        match client.call_tool(&tool, arguments, timeout).await {
            Ok(r) => r,
            Err(e) => {
                if client.is_closed() {
                    self.show(client.name(), State::Failed, format!("exited: {e}"), 0);
                }
                if matches!(e, McpError::AuthRequired(_)) {
                    // The sign-in expired mid-session: connected again (renewed) next turn.
                    if let Some(r) = self.servers.lock().await.running.remove(client.name()) {
                        r.client.shutdown();
                    }
                }
                ToolResult { text: format!("the MCP server {} failed: {e}", client.name()), is_error: true, images: vec![] }
            }
        }
    }

    /// Every running server's resources, with the server's name.
    pub async fn resources(&self) -> Vec<(String, Resource)> {
        self.ensure_started().await;
        let clients: Vec<(String, Arc<Client>)> = self.servers.lock().await.running.iter().map(|(n, r)| (n.clone(), r.client.clone())).collect();
        let mut out = vec![];
        for (name, c) in clients {
            if let Ok(list) = c.list_resources(LIST_TIMEOUT).await {
                out.extend(list.into_iter().map(|r| (name.clone(), r)));
            }
        }
        out
    }

    pub async fn read_resource(&self, server: &str, uri: &str) -> Result<String, String> {
        let c = self.client(server).await?;
        c.read_resource(uri, LIST_TIMEOUT).await.map_err(|e| e.to_string())
    }

    /// Every running server's prompts, with the server's name.
    pub async fn prompts(&self) -> Vec<(String, Prompt)> {
        self.ensure_started().await;
        let clients: Vec<(String, Arc<Client>)> = self.servers.lock().await.running.iter().map(|(n, r)| (n.clone(), r.client.clone())).collect();
        let mut out = vec![];
        for (name, c) in clients {
            if let Ok(list) = c.list_prompts(LIST_TIMEOUT).await {
                out.extend(list.into_iter().map(|p| (name.clone(), p)));
            }
        }
        out
    }

    pub async fn get_prompt(&self, server: &str, name: &str, arguments: &serde_json::Map<String, Value>) -> Result<String, String> {
        let c = self.client(server).await?;
        c.get_prompt(name, arguments, LIST_TIMEOUT).await.map_err(|e| e.to_string())
    }

    async fn client(&self, server: &str) -> Result<Arc<Client>, String> {
        self.ensure_started().await;
        self.servers.lock().await.running.get(server).map(|r| r.client.clone()).ok_or_else(|| format!("the MCP server {server:?} is not running"))
    }

    /// Stops every server (the folder closes).
    pub async fn stop_all(&self) {
        let mut s = self.servers.lock().await;
        for (_, r) in std::mem::take(&mut s.running) {
            r.client.shutdown();
        }
    }
}
