//! The coding agent inside the app: threads of the open workspace (saved as JSON in the
//! app's data directory, never in the workspace), turns that stream their events to the
//! UI, approval cards answered by the UI, Stop, the review of what the turns changed,
//! restore (code, conversation or both) and export as Markdown.
//!
//! Providers, keys and models come from settings, the key file and the environment; the
//! command-line agent builds its client here too, so both read the same configuration.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use ts_rs::TS;
use weft_agent::{AgentEvent, Approval, ApprovalRequest, Approver, FileReview, Policy, Prompt, Review, Rule, Thread, ThreadStore, TurnEnd};
use weft_fs::Workspace;
use weft_llm::keys::KeyStore;
use weft_llm::{Block, BoxFuture, Client, Event, LlmError, Message, ModelRef, ProviderConfig, ProviderKind, RetryPolicy, Role, Usage};
use weft_store::Store;

use crate::{ApiError, AppPaths, Settings, Stream};

type Result<T> = std::result::Result<T, ApiError>;

/// The error code for a model failure the agent reports by its `LlmError::code`.
fn llm_code(code: &str) -> crate::ErrorCode {
    use crate::ErrorCode as C;
    match code {
        "llm_auth" => C::LlmAuth,
        "llm_rate_limited" => C::LlmRateLimited,
        "llm_overloaded" => C::LlmOverloaded,
        "llm_invalid_request" => C::LlmInvalidRequest,
        "llm_connection" => C::LlmConnection,
        "llm_truncated" => C::LlmTruncated,
        "llm_malformed" => C::LlmMalformed,
        "llm_unknown_provider" => C::LlmUnknownProvider,
        "llm_unsupported" => C::LlmUnsupported,
        _ => C::LlmServer,
    }
}

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        ApiError::new(llm_code(e.code()), e.to_string())
    }
}

// ---- providers and models ---------------------------------------------------------------

/// The providers Weft knows without configuration, then any other name in
/// `agentBaseUrls` as an OpenAI-compatible server (vLLM, a proxy…).
fn provider_configs(settings: &Settings) -> Vec<ProviderConfig> {
    let mut bedrock = ProviderConfig::bedrock();
    let set = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    bedrock.aws = weft_llm::AwsOptions { region: set(&settings.bedrock_region), profile: set(&settings.bedrock_profile), credentials: None };
    let mut out = vec![ProviderConfig::anthropic_from_env(), ProviderConfig::openai_from_env(), ProviderConfig::gemini_from_env(), bedrock, ProviderConfig::ollama(), ProviderConfig::lm_studio()];
    for (name, url) in &settings.agent_base_urls {
        match out.iter_mut().find(|c| &c.name == name) {
            // A URL set in the app is the user's latest word: it wins over the environment.
            Some(c) => c.base_url = url.trim().to_owned(),
            None => out.push(ProviderConfig::new(name.clone(), ProviderKind::OpenAi, url.trim())),
        }
    }
    out
}

/// Only the cloud providers read a key from the environment; a custom server's key
/// lives in the key file (reusing OPENAI_API_KEY for it would leak that key elsewhere).
fn env_key(name: &str) -> Option<&'static str> {
    match name {
        "anthropic" => Some("ANTHROPIC_API_KEY"),
        "openai" => Some("OPENAI_API_KEY"),
        "gemini" => Some("GEMINI_API_KEY"),
        // A Bedrock API key; without one, the AWS credential chain signs the requests.
        "bedrock" => Some(weft_llm::BEDROCK_KEY_ENV),
        _ => None,
    }
}

/// Saved API keys: in the OS keychain where there is one, else in `keys.json` (0600).
/// `WEFT_NO_KEYCHAIN=1` keeps them in the file (tests, or a machine whose keychain prompts).
pub fn key_store(paths: &AppPaths) -> KeyStore {
    let file = paths.config_dir.join("keys.json");
    if std::env::var_os("WEFT_NO_KEYCHAIN").is_some_and(|v| v == "1") {
        KeyStore::at(file)
    } else {
        KeyStore::with_keychain(file)
    }
}

/// Every configured provider with its key: the environment first, then the key file.
pub fn llm_client(paths: &AppPaths, settings: &Settings) -> Result<Client> {
    let store = key_store(paths);
    let mut client = Client::new(RetryPolicy::default());
    for cfg in provider_configs(settings) {
        let cfg = if cfg.api_key.is_none() || env_key(&cfg.name).is_none() {
            let key = store.get(&cfg.name).map_err(|e| ApiError::new(crate::ErrorCode::LlmKeys, e.to_string()))?;
            ProviderConfig { api_key: None, ..cfg }.with_key(key)
        } else {
            cfg
        };
        client.add(cfg.build()?);
    }
    Ok(client)
}

/// The model (`model`, else the settings' model, else the first cloud provider with a
/// key) followed by the settings' fallbacks.
pub fn route(paths: &AppPaths, settings: &Settings, model: Option<&str>) -> Result<Vec<ModelRef>> {
    let parse = |m: &str| {
        ModelRef::parse(m).ok_or_else(|| ApiError::new(crate::ErrorCode::BadModel, format!("{m:?} is not a model: write it as provider:model, e.g. anthropic:claude-sonnet-4-5 or ollama:qwen2.5-coder:7b")))
    };
    let first = match model.map(str::trim).filter(|m| !m.is_empty()).or(Some(settings.agent_model.trim()).filter(|m| !m.is_empty())) {
        Some(m) => parse(m)?,
        None => {
            let has = |name: &str| providers(paths, settings).iter().any(|p| p.name == name && p.key != KeySource::None);
            if has("anthropic") {
                ModelRef::new("anthropic", "claude-sonnet-4-5")
            } else if has("openai") {
                ModelRef::new("openai", "gpt-4.1")
            } else if has("gemini") {
                ModelRef::new("gemini", "gemini-2.5-pro")
            } else {
                return Err(ApiError::new(
                    crate::ErrorCode::NoModel,
                    "no model is configured: add an Anthropic, OpenAI or Gemini key in Settings → AI (or set ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY), or pick a local model such as ollama:qwen2.5-coder:7b",
                ));
            }
        }
    };
    let mut out = vec![first];
    for m in &settings.agent_fallback_models {
        let m = parse(m)?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// The models for a task kind ("summary", "title"): its model from `taskModels`, then
/// the agent's route as the fallback chain. Empty when the task has no model of its own.
pub fn task_route(settings: &Settings, task: &str, agent: &[ModelRef]) -> Result<Vec<ModelRef>> {
    let Some(m) = settings.task_models.get(task) else { return Ok(vec![]) };
    let first = ModelRef::parse(m).ok_or_else(|| ApiError::new(crate::ErrorCode::BadModel, format!("taskModels.{task}: {m:?} is not provider:model")))?;
    let mut out = vec![first];
    out.extend(agent.iter().filter(|r| !out.contains(r)).cloned().collect::<Vec<_>>());
    Ok(out)
}

/// The settings' rules over the defaults.
pub fn policy(settings: &Settings) -> Policy {
    let mut p = Policy::default();
    for (tool, rule) in &settings.agent_tools {
        let rule = match rule.as_str() {
            "allow" => Rule::Allow,
            "deny" => Rule::Deny,
            _ => Rule::Ask,
        };
        p.tools.insert(tool.clone(), rule);
    }
    p.allow_commands.extend(settings.agent_allow_commands.iter().cloned());
    p.deny_commands.extend(settings.agent_deny_commands.iter().cloned());
    p
}

/// The agent as the settings describe it: the model (`model` overrides the settings'), its
/// fallbacks and a client with every configured provider, the rules, the limits, the
/// summary model, Weft's own folders protected, the commands' environment. The app and the
/// CLI both start here; each adds its approver and its books.
/// The user's own prompt library (slash commands).
fn user_prompts(paths: &AppPaths) -> std::path::PathBuf {
    paths.config_dir.join("prompts")
}

pub fn builder(paths: &AppPaths, settings: &Settings, model: Option<&str>) -> Result<weft_agent::Builder> {
    let route = route(paths, settings, model)?;
    let client = llm_client(paths, settings)?;
    let summary_route = task_route(settings, "summary", &route)?;
    let mut b = weft_agent::Builder::new(client, route).map_err(|e| ApiError::new(crate::ErrorCode::BadModel, format!("{e}; add its base URL in Settings → AI (agentBaseUrls)")))?;
    b.policy = policy(settings);
    b.env = settings.agent_env.clone().into_iter().collect();
    b.config.max_steps = settings.agent_max_steps;
    b.config.repo_map_tokens = settings.agent_repo_map_tokens;
    b.config.context_tokens = settings.agent_context_tokens;
    b.config.user_instructions = Some(paths.config_dir.join("instructions.md"));
    b.config.user_prompts = Some(user_prompts(paths));
    b.config.protected_dirs = [&paths.config_dir, &paths.data_dir].iter().map(|d| dunce::canonicalize(d).unwrap_or_else(|_| d.to_path_buf())).collect();
    b.config.summary_route = summary_route;
    Ok(b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    Env,
    /// In the OS keychain.
    Keychain,
    /// In the user-only key file.
    File,
    None,
}

/// A provider as the settings page shows it. The key itself never leaves the backend.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    pub name: String,
    /// "anthropic", "gemini", "bedrock" or "openai" (any OpenAI-compatible server).
    pub kind: String,
    pub base_url: String,
    pub key: KeySource,
    /// Where the user sets the key outside the app, if anywhere.
    pub key_env: Option<String>,
    /// Runs on this machine (Ollama, LM Studio, another server on loopback): no key
    /// needed, and its requests cost nothing.
    pub local: bool,
}

pub fn providers(paths: &AppPaths, settings: &Settings) -> Vec<ProviderStatus> {
    let store = key_store(paths);
    provider_configs(settings)
        .into_iter()
        .map(|c| {
            let env = env_key(&c.name);
            let key = if env.is_some_and(|e| std::env::var(e).is_ok_and(|v| !v.trim().is_empty())) {
                KeySource::Env
            } else {
                match store.location(&c.name).ok().flatten() {
                    Some(weft_llm::keys::Location::Keychain) => KeySource::Keychain,
                    Some(weft_llm::keys::Location::File) => KeySource::File,
                    None => KeySource::None,
                }
            };
            // A server on this machine runs its models here (free, no key) — unless it
            // stands in for a cloud provider, as a proxy in front of the paid API does.
            let local = env.is_none() && (c.base_url.contains("://localhost") || c.base_url.contains("://127.0.0.1") || c.base_url.contains("://[::1]"));
            ProviderStatus {
                kind: match c.kind {
                    ProviderKind::Anthropic => "anthropic".into(),
                    ProviderKind::OpenAi => "openai".into(),
                    ProviderKind::Gemini => "gemini".into(),
                    ProviderKind::Bedrock => "bedrock".into(),
                },
                name: c.name,
                base_url: c.base_url,
                key,
                key_env: env.map(String::from),
                local,
            }
        })
        .collect()
}

// ---- frames -------------------------------------------------------------------------------

/// This turn's model controls, each unset for the default.
#[derive(Debug, Clone, Default, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct TurnOptions {
    /// Extended thinking: 0 turns it off; otherwise at least 1024 tokens, below the output
    /// limit (Anthropic and Gemini; OpenAI-compatible servers ignore it).
    pub thinking_budget: Option<u32>,
    /// 0 to 2; not sent together with thinking (Anthropic refuses the pair).
    pub temperature: Option<f32>,
    /// The most the model may write in one response.
    pub max_tokens: Option<u32>,
}

impl TurnOptions {
    /// A clear error for a value the providers would refuse.
    pub fn check(&self) -> Result<()> {
        let max = self.max_tokens.unwrap_or(8192);
        if !(1..=128_000).contains(&max) {
            return Err(ApiError::bad_request(format!("maxTokens must be between 1 and 128000, not {max}")));
        }
        if let Some(b) = self.thinking_budget.filter(|b| *b > 0) {
            if b < 1024 || b >= max {
                return Err(ApiError::bad_request(format!("thinkingBudget must be 0 (off) or from 1024 to below maxTokens ({max}), not {b}")));
            }
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(ApiError::bad_request(format!("temperature must be between 0 and 2, not {t}")));
            }
        }
        Ok(())
    }

    /// Onto the agent's configuration for this turn.
    pub fn apply(&self, config: &mut weft_agent::AgentConfig) {
        if let Some(m) = self.max_tokens {
            config.max_tokens = m;
        }
        match self.thinking_budget {
            Some(0) => config.thinking_budget = None,
            Some(b) => config.thinking_budget = Some(b),
            None => {}
        }
        if self.temperature.is_some() {
            config.temperature = self.temperature;
        }
    }
}

/// The frames of an `agentSend` stream. The last is always `done`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AgentFrame {
    /// The turn began; `turn` is its index in the thread.
    Start { turn: u32, model: String },
    Text { text: String },
    Thinking { text: String },
    /// The model started writing a tool call (its input follows).
    ToolStart { id: String, name: String },
    /// The call is complete and about to run (or be asked about).
    /// `writes`: the files the call will change, so an open editor can mark the agent's edit.
    ToolCall { id: String, name: String, summary: String, #[ts(type = "unknown")] input: serde_json::Value, writes: Vec<String> },
    /// `images`: pictures the tool returned for the model (a screenshot of the preview).
    ToolResult { id: String, content: String, is_error: bool, images: Vec<weft_llm::ImageSource> },
    /// A command started, as terminal `terminal` (`terminalAttach` watches it).
    Terminal { #[ts(type = "number")] terminal: u64, command: String },
    /// The user must answer with `agentApprove`.
    Approval { id: String, tool: String, summary: String, pattern: Option<String>, #[ts(type = "unknown")] input: serde_json::Value },
    Checkpoint { #[ts(type = "number")] id: i64 },
    /// After each model response; `thread` is the thread's running total.
    Usage { provider: String, model: String, usage: Usage, thread: Usage },
    /// The attempt failed and is retried: discard the text streamed since the last usage.
    Retry { attempt: u32, delay_ms: u32, error: String },
    Fallback { from: String, to: String, error: String },
    /// Older turns were summarised to keep the thread inside the model's window.
    Compacted { summarised: u32, tokens_before: u32, tokens_after: u32 },
    /// What the last request cost (nano-dollars; `priced` false for a model without a
    /// price), this thread so far and everything today.
    Cost { #[ts(type = "number")] request_nanos: i64, priced: bool, #[ts(type = "number")] thread_nanos: i64, #[ts(type = "number")] today_nanos: i64 },
    /// A budget's alert threshold was crossed.
    BudgetAlert { message: String },
    /// The instruction files the agent was given this turn (AGENTS.md, CLAUDE.md,
    /// .weft/instructions.md, the user's own).
    Instructions { files: Vec<String> },
    /// The thread got its title (from the `title` task model).
    Title { title: String },
    /// "done" (the model ended its turn), "stopped", "stepLimit", "overBudget" or "error".
    Done { end: String, stop: Option<String>, error: Option<ApiError>, #[ts(type = "number | null")] checkpoint: Option<i64>, review: Vec<FileReview> },
}

fn frame(e: AgentEvent, thread_usage: &mut Usage) -> Option<AgentFrame> {
    Some(match e {
        AgentEvent::Llm(Event::Text { text, .. }) => AgentFrame::Text { text },
        AgentEvent::Llm(Event::Thinking { text, .. }) => AgentFrame::Thinking { text },
        AgentEvent::Llm(Event::ToolUseStart { id, name, .. }) => AgentFrame::ToolStart { id, name },
        AgentEvent::Llm(Event::ToolInput { .. }) => return None,
        // A failed attempt goes to the ledger (Spending::failed); the panel hears of it from
        // the retry or fallback that follows.
        AgentEvent::Llm(Event::Metered { .. } | Event::Failed { .. }) => return None,
        AgentEvent::Llm(Event::Retry { attempt, delay, error }) => AgentFrame::Retry { attempt, delay_ms: delay.as_millis().min(u128::from(u32::MAX)) as u32, error },
        AgentEvent::Llm(Event::Fallback { from, to, error }) => AgentFrame::Fallback { from, to, error },
        AgentEvent::ToolCall { id, name, input } => {
            AgentFrame::ToolCall { summary: weft_agent::summary(&name, &input), writes: weft_agent::tools::touched_paths(&name, &input), id, name, input }
        }
        AgentEvent::ToolResult { id, content, is_error, images, .. } => AgentFrame::ToolResult { id, content, is_error, images },
        AgentEvent::Checkpoint { id } => AgentFrame::Checkpoint { id },
        AgentEvent::BudgetAlert { message } => AgentFrame::BudgetAlert { message },
        AgentEvent::Instructions { files } => AgentFrame::Instructions { files },
        AgentEvent::Compacted { summarised, tokens_before, tokens_after } => {
            AgentFrame::Compacted { summarised: summarised as u32, tokens_before: tokens_before as u32, tokens_after: tokens_after as u32 }
        }
        AgentEvent::Usage { provider, model, usage } => {
            thread_usage.add(&usage);
            AgentFrame::Usage { provider, model, usage, thread: *thread_usage }
        }
    })
}

// ---- threads ------------------------------------------------------------------------------

pub use weft_agent::{AgentThread, ThreadSummary, TurnRecord};

impl From<weft_agent::ThreadError> for ApiError {
    fn from(e: weft_agent::ThreadError) -> Self {
        use weft_agent::ThreadError as E;
        let code = match &e {
            E::BadId(_) => crate::ErrorCode::BadRequest,
            E::NotFound(_) => crate::ErrorCode::NotFound,
            E::Corrupt { .. } => crate::ErrorCode::CorruptThread,
            E::Io(_) => crate::ErrorCode::Io,
        };
        ApiError::new(code, e.to_string())
    }
}

struct Live {
    data: Mutex<AgentThread>,
    /// Set while a turn runs.
    running: Mutex<Option<CancellationToken>>,
    /// What the turns changed since the user last settled the review. Kept in memory: after
    /// a restart the checkpoints still hold every earlier state.
    review: Mutex<Review>,
    /// Approvals of its running turn waiting for the user.
    asking: std::sync::atomic::AtomicU32,
}

/// One thread's file changes, as its tools make them: the thread's review takes the file's
/// bytes before its first change, and every other thread's review holding that file takes
/// the change into its original (two agents on one file: each review shows its own edits).
struct ThreadEdits {
    thread: String,
    threads: Arc<Mutex<HashMap<String, Arc<Live>>>>,
}

impl weft_agent::EditLog for ThreadEdits {
    fn changed(&self, path: &str, before: Option<&[u8]>, after: Option<&[u8]>) {
        changed_by(&self.threads, &self.thread, true, path, before, after);
    }
}

/// `own`: the change is the thread's own edit, which its review starts from (a review's
/// own rejection is not).
fn changed_by(threads: &Mutex<HashMap<String, Arc<Live>>>, thread: &str, own: bool, path: &str, before: Option<&[u8]>, after: Option<&[u8]>) {
    let threads: Vec<(String, Arc<Live>)> = lock(threads).iter().map(|(id, l)| (id.clone(), l.clone())).collect();
    for (id, live) in threads {
        let mut review = lock(&live.review);
        if id == thread {
            if own {
                review.originals.entry(path.to_owned()).or_insert_with(|| before.map(<[u8]>::to_vec));
            }
        } else {
            review.rebase(path, before, after);
        }
    }
}

/// Approvals waiting for the UI, by the id sent in the `approval` frame.
type Pending = Arc<Mutex<HashMap<String, (String, oneshot::Sender<Approval>)>>>;

pub struct AgentHost {
    ws: Arc<Workspace>,
    store: Option<Arc<Store>>,
    paths: AppPaths,
    saved: ThreadStore,
    threads: Arc<Mutex<HashMap<String, Arc<Live>>>>,
    pending: Pending,
    /// Stream id -> the thread whose turn it carries (closing the stream stops the turn).
    streams: Mutex<HashMap<String, String>>,
    /// What "always" answers allowed in this session, on top of the settings.
    granted: Mutex<Policy>,
    /// Told when a turn ends (its edits to open documents went through `open_files`, with
    /// the "Agent" cursor, which now leaves).
    on_turn_end: Option<TurnEndHook>,
    /// The editor's open documents: the agent reads what the user sees.
    open_files: Option<Arc<dyn weft_agent::OpenFiles>>,
    code_intel: Option<Arc<dyn weft_agent::CodeIntel>>,
    extra_tools: Option<Arc<dyn weft_agent::ExtraTools>>,
    preview: Option<Arc<dyn weft_agent::Preview>>,
    /// The app's terminals: the agent's commands are among them, for the user to watch.
    terminals: Option<Arc<weft_pty::Terminals>>,
    env: Option<Arc<crate::env::ProjectEnv>>,
}

/// Where a folder's threads are saved (the app's panel and `weft agent` share them).
pub fn thread_store(paths: &AppPaths, root: &std::path::Path) -> ThreadStore {
    threads_of(paths, &crate::paths::workspace_key(root))
}

fn threads_of(paths: &AppPaths, workspace_key: &str) -> ThreadStore {
    ThreadStore::new(paths.data_dir.join("agent").join(workspace_key))
}

/// What a saved thread keeps of a turn's outcome.
pub struct TurnFacts {
    pub messages_before: usize,
    pub checkpoint: Option<i64>,
    pub usage: weft_llm::Usage,
    pub compacted: Option<usize>,
}

impl TurnFacts {
    pub fn of(t: &weft_agent::TurnOutcome) -> TurnFacts {
        TurnFacts { messages_before: t.messages_before, checkpoint: t.checkpoint, usage: t.usage, compacted: t.compacted }
    }
}

/// A finished turn into its saved thread: the conversation, the usage, the turn's record
/// (how it ended, its checkpoint, the model), the title if it had none.
pub fn record_turn(data: &mut AgentThread, thread: Thread, turn: &TurnFacts, end: &str, model: &str, title: &str) {
    if let Some(split) = turn.compacted {
        // The first `split` messages became two (the summary and its answer): turns that
        // began in them can only be cut back to the start.
        for t in &mut data.turns {
            t.messages_before = (t.messages_before as usize).checked_sub(split).map_or(0, |i| i + 2) as u32;
        }
    }
    data.tool_summaries.clear();
    data.messages = thread.messages;
    data.usage = thread.usage;
    data.turns.push(TurnRecord { messages_before: turn.messages_before as u32, checkpoint: turn.checkpoint, end: end.into(), model: model.into(), usage: turn.usage });
    if data.title.is_empty() {
        data.title = title.to_owned();
    }
    data.updated_ms = weft_agent::threads::now_ms();
}

/// See `AgentHost::on_turn_end`.
pub type TurnEndHook = Arc<dyn Fn() + Send + Sync>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AgentHost {
    pub fn new(ws: Workspace, store: Option<Arc<Store>>, paths: AppPaths, workspace_key: &str) -> Self {
        let saved = threads_of(&paths, workspace_key);
        AgentHost {
            ws: Arc::new(ws),
            store,
            paths,
            saved,
            threads: Arc::default(),
            pending: Arc::default(),
            streams: Mutex::default(),
            granted: Mutex::new(Policy { tools: BTreeMap::new(), allow_commands: vec![], deny_commands: vec![] }),
            on_turn_end: None,
            open_files: None,
            code_intel: None,
            extra_tools: None,
            preview: None,
            terminals: None,
            env: None,
        }
    }

    pub fn with_turn_end_hook(mut self, hook: TurnEndHook) -> Self {
        self.on_turn_end = Some(hook);
        self
    }

    pub fn with_open_files(mut self, open: Arc<dyn weft_agent::OpenFiles>) -> Self {
        self.open_files = Some(open);
        self
    }

    /// MCP servers' tools for every turn.
    pub fn with_extra_tools(mut self, extra: Arc<dyn weft_agent::ExtraTools>) -> Self {
        self.extra_tools = Some(extra);
        self
    }

    /// The app's preview, for the agent's screenshot tool.
    pub fn with_preview(mut self, preview: Arc<dyn weft_agent::Preview>) -> Self {
        self.preview = Some(preview);
        self
    }

    pub fn with_code_intel(mut self, intel: Arc<dyn weft_agent::CodeIntel>) -> Self {
        self.code_intel = Some(intel);
        self
    }

    /// The agent's commands get the project's variables and secrets; the secrets' values
    /// are masked in everything the model reads.
    pub(crate) fn with_project_env(mut self, env: Arc<crate::env::ProjectEnv>) -> Self {
        self.env = Some(env);
        self
    }

    pub fn with_terminals(mut self, terminals: Arc<weft_pty::Terminals>) -> Self {
        self.terminals = Some(terminals);
        self
    }

    /// The thread, from memory or its file; a new empty one when `create`.
    fn live(&self, id: &str, create: bool) -> Result<Arc<Live>> {
        ThreadStore::check_id(id)?;
        let mut threads = lock(&self.threads);
        if let Some(t) = threads.get(id) {
            return Ok(t.clone());
        }
        let data = match self.saved.load(id) {
            Err(weft_agent::ThreadError::NotFound(_)) if create => AgentThread::new(id),
            other => other?,
        };
        let live = Arc::new(Live { data: Mutex::new(data), running: Mutex::new(None), review: Mutex::new(Review::new(BTreeMap::new())), asking: Default::default() });
        threads.insert(id.to_owned(), live.clone());
        Ok(live)
    }

    fn save(&self, t: &AgentThread) -> Result<()> {
        Ok(self.saved.save(t)?)
    }

    pub fn threads(&self) -> Result<Vec<ThreadSummary>> {
        let mut out = Vec::new();
        let mut ids = self.saved.ids()?;
        // A thread whose first turn runs is listed before it is saved (when that turn ends).
        let unsaved: Vec<String> = lock(&self.threads).iter().filter(|(id, l)| !ids.contains(*id) && lock(&l.running).is_some()).map(|(id, _)| id.clone()).collect();
        ids.extend(unsaved);
        for id in ids {
            // The summary from the thread in memory: no copy of its messages (images and all).
            match self.live(&id, false) {
                Ok(live) => {
                    let mut summary = lock(&live.data).summary();
                    summary.running = lock(&live.running).is_some();
                    summary.waiting = summary.running && live.asking.load(std::sync::atomic::Ordering::SeqCst) > 0;
                    out.push(summary);
                }
                Err(e) => warn!("skipping thread {id}: {e}"),
            }
        }
        out.sort_by(|a, b| b.updated_ms.cmp(&a.updated_ms));
        Ok(out)
    }

    pub fn thread(&self, id: &str) -> Result<AgentThread> {
        let live = self.live(id, false)?;
        let mut t = lock(&live.data).clone();
        t.running = lock(&live.running).is_some();
        t.summarise_tools();
        Ok(t)
    }

    pub fn delete(&self, id: &str) -> Result<()> {
        let live = self.live(id, false)?;
        if lock(&live.running).is_some() {
            return Err(ApiError::new(crate::ErrorCode::Busy, "stop the running turn before deleting the thread"));
        }
        lock(&self.threads).remove(id);
        Ok(self.saved.delete(id)?)
    }

    /// The slash commands: built in, the project's prompts, the user's.
    pub fn prompts(&self) -> Vec<weft_agent::prompts::SlashCommand> {
        weft_agent::prompts::library(self.ws.root(), Some(&user_prompts(&self.paths)))
    }

    /// Starts a turn and returns at once; its events, and finally `done`, go to `stream`.
    pub fn send(self: &Arc<Self>, id: &str, prompt: Prompt, model: Option<&str>, options: &TurnOptions, settings: &Settings, stream: Stream) -> Result<()> {
        if prompt.text.trim().is_empty() {
            return Err(ApiError::bad_request("the prompt is empty"));
        }
        // A prompt of the library may name its model; the one the user picked wins.
        let asked = weft_agent::prompts::expand_typed(&prompt.text, self.ws.root(), Some(&user_prompts(&self.paths))).and_then(|(_, model)| model);
        let mut builder = builder(&self.paths, settings, model.or(asked.as_deref()))?;
        options.apply(&mut builder.config);
        let live = self.live(id, true)?;
        let cancel = CancellationToken::new();
        {
            let mut running = lock(&live.running);
            if running.is_some() {
                return Err(ApiError::new(crate::ErrorCode::Busy, "a turn is already running in this thread"));
            }
            *running = Some(cancel.clone());
        }
        {
            // Named by its first prompt while that turn runs (a title model may rename it).
            let mut data = lock(&live.data);
            if data.title.is_empty() {
                data.title = weft_agent::threads::title(&prompt.text);
            }
        }
        lock(&self.streams).insert(stream.id.clone(), id.to_owned());
        let granted = lock(&self.granted).clone();
        builder.policy.tools.extend(granted.tools);
        builder.policy.allow_commands.extend(granted.allow_commands);
        let before = builder.policy.clone();
        let route = builder.config.route.clone();
        let title_route = task_route(settings, "title", &route)?;
        let approver = Arc::new(UiApprover { stream: stream.clone(), pending: self.pending.clone(), live: live.clone() });
        let meter = crate::usage::meter(&self.paths, settings)?;
        let s2 = stream.clone();
        let books = Arc::new(crate::usage::Books {
            meter,
            workspace: self.ws.root().display().to_string(),
            thread: id.to_owned(),
            baseline: route[0].clone(),
            on_spent: Box::new(move |c| {
                s2.json(AgentFrame::Cost { request_nanos: c.request_nanos, priced: c.priced, thread_nanos: c.thread_nanos, today_nanos: c.today_nanos });
            }),
        });
        let client = builder.client().clone();
        builder = builder.spending(books.clone());
        if let Some(intel) = &self.code_intel {
            builder = builder.code_intel(intel.clone());
        }
        if let Some(extra) = &self.extra_tools {
            builder = builder.extra_tools(extra.clone());
        }
        if let Some(preview) = &self.preview {
            builder = builder.preview(preview.clone());
        }
        if let Some(open) = &self.open_files {
            builder = builder.open_files(open.clone());
        }
        builder = builder.edit_log(Arc::new(ThreadEdits { thread: id.to_owned(), threads: self.threads.clone() }));
        if let Some(terminals) = &self.terminals {
            let s3 = stream.clone();
            let told: weft_agent::command::OnSpawn = Arc::new(move |terminal, command| {
                s3.json(AgentFrame::Terminal { terminal, command: command.to_owned() });
            });
            builder = builder.terminals(terminals.clone(), Some(told));
        }
        if let Some(env) = &self.env {
            let (vars, secrets) = env.read()?;
            builder.secrets = secrets;
            builder.env.extend(vars);
        }
        let agent = builder.build(self.ws.clone(), self.store.clone(), approver);
        let (host, model_name) = (self.clone(), route[0].to_string());
        tokio::runtime::Handle::try_current()
            .map_err(|_| ApiError::internal("no async runtime"))?
            .spawn(async move {
                let mut thread = {
                    let data = lock(&live.data);
                    Thread { messages: data.messages.clone(), usage: data.usage }
                };
                let turn = lock(&live.data).turns.len() as u32;
                stream.json(AgentFrame::Start { turn, model: model_name.clone() });
                let mut total = thread.usage;
                let s = stream.clone();
                // The model that answered last (a fallback's, when the first failed), as
                // the provider named it: what the turn records.
                let answered: Arc<Mutex<Option<String>>> = Arc::default();
                let a = answered.clone();
                let mut on = move |e: AgentEvent| {
                    if let AgentEvent::Usage { provider, model, .. } = &e {
                        *lock(&a) = Some(format!("{provider}:{model}"));
                    }
                    if let Some(f) = frame(e, &mut total) {
                        s.json(f);
                    }
                };
                info!(thread = %live.data.lock().map(|d| d.id.clone()).unwrap_or_default(), model = %model_name, "agent turn started");
                let title = weft_agent::threads::title(&prompt.text);
                let prompt_text = prompt.text.clone();
                let outcome = agent.run_turn(&mut thread, prompt, &cancel, &mut on).await;
                host.remember_grants(&before, &agent.policy());
                let used = lock(&answered).clone().unwrap_or_else(|| model_name.clone());
                let mut done = host.finish(&live, thread, &title, &used, outcome);
                if !title_route.is_empty() && lock(&live.data).turns.len() == 1 {
                    if let Some(t) = weft_agent::threads::name_thread(&client, &title_route, books.as_ref(), &prompt_text).await {
                        let mut data = lock(&live.data);
                        data.title = t.clone();
                        if let Err(e) = host.save(&data) {
                            if let AgentFrame::Done { error, .. } = &mut done {
                                error.get_or_insert(e);
                            }
                        }
                        stream.json(AgentFrame::Title { title: t });
                    }
                }
                if let Some(hook) = &host.on_turn_end {
                    hook();
                }
                *lock(&live.running) = None;
                host.close_approvals(&stream.id);
                lock(&host.streams).remove(&stream.id);
                stream.json(done);
            });
        Ok(())
    }

    /// Saves the thread after a turn and builds the `done` frame.
    fn finish(&self, live: &Live, mut thread: Thread, title: &str, model: &str, turn: weft_agent::TurnOutcome) -> AgentFrame {
        let facts = TurnFacts::of(&turn);
        {
            let mut review = lock(&live.review);
            review.extend(turn.originals);
            review.moves.extend(turn.moves);
        }
        let (end, stop, error) = match turn.end {
            TurnEnd::Done(stop) => ("done", Some(serde_json::to_value(&stop).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| format!("{stop:?}"))), None),
            TurnEnd::Stopped => ("stopped", None, None),
            TurnEnd::StepLimit => ("stepLimit", None, None),
            TurnEnd::Failed { code, message } => ("error", None, Some(ApiError::new(llm_code(code), message))),
            TurnEnd::OverBudget { reason } => ("overBudget", None, Some(ApiError::new(crate::ErrorCode::OverBudget, format!("stopped before the next request: {reason}")))),
        };
        if let Some(e) = &error {
            // The API wants every user message answered before the next one: close the
            // failed turn with a note, so the thread can go on.
            if thread.messages.last().is_some_and(|m| m.role == Role::User) {
                thread.messages.push(Message { role: Role::Assistant, content: vec![Block::text(format!("(the request failed: {})", e.message))] });
            }
        }
        let mut data = lock(&live.data);
        record_turn(&mut data, thread, &facts, end, model, title);
        let saved = self.save(&data);
        let error = error.or(saved.err());
        let review = lock(&live.review).files(&self.ws);
        AgentFrame::Done { end: end.into(), stop, error, checkpoint: turn.checkpoint, review }
    }

    fn remember_grants(&self, before: &Policy, after: &Policy) {
        let mut g = lock(&self.granted);
        for (tool, rule) in &after.tools {
            if before.tools.get(tool) != Some(rule) {
                g.tools.insert(tool.clone(), *rule);
            }
        }
        for pat in &after.allow_commands {
            if !before.allow_commands.contains(pat) && !g.allow_commands.contains(pat) {
                g.allow_commands.push(pat.clone());
            }
        }
    }

    pub fn approve(&self, request: &str, answer: Approval) -> Result<()> {
        let (_, tx) = lock(&self.pending).remove(request).ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, "this approval was already answered or its turn ended"))?;
        tx.send(answer).map_err(|_| ApiError::new(crate::ErrorCode::NotFound, "the turn that asked has ended"))
    }

    fn close_approvals(&self, stream_id: &str) {
        lock(&self.pending).retain(|_, (s, _)| s != stream_id);
    }

    /// Stops the thread's running turn: the stream is cancelled, a running command killed.
    pub fn stop(&self, id: &str) -> Result<bool> {
        let live = self.live(id, false)?;
        let running = lock(&live.running).clone();
        Ok(match running {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        })
    }

    /// A closed stream stops its turn: nobody is left to answer its approvals.
    pub fn stream_closed(&self, stream_id: &str) {
        let thread = lock(&self.streams).get(stream_id).cloned();
        if let Some(id) = thread {
            let _ = self.stop(&id);
        }
    }

    pub fn review(&self, id: &str) -> Result<Vec<FileReview>> {
        let live = self.live(id, false)?;
        let files = lock(&live.review).files(&self.ws);
        Ok(files)
    }

    pub fn review_action(&self, id: &str, action: &ReviewAction) -> Result<Vec<FileReview>> {
        let live = self.live(id, false)?;
        let mut review = lock(&live.review);
        let need_path = || action_path(action);
        // What a rejection writes is a change other threads' reviews must follow too.
        let paths: Vec<String> = match action {
            ReviewAction::AcceptAll | ReviewAction::AcceptFile { .. } => vec![],
            ReviewAction::RejectAll => review.originals.keys().cloned().collect(),
            _ => vec![need_path().to_owned()],
        };
        let before: Vec<Option<Vec<u8>>> = paths.iter().map(|p| self.ws.read_bytes(p).ok()).collect();
        let result = match action {
            ReviewAction::AcceptAll => {
                review.accept_all();
                Ok(())
            }
            ReviewAction::RejectAll => review.reject_all(&self.ws),
            ReviewAction::AcceptFile { .. } => review.accept_file(need_path()),
            ReviewAction::RejectFile { .. } => review.reject_file(&self.ws, need_path()),
            ReviewAction::RejectHunk { hunk, .. } => review.reject_hunk(&self.ws, need_path(), *hunk as usize),
        };
        let files = review.files(&self.ws);
        drop(review);
        for (p, b) in paths.iter().zip(before) {
            let a = self.ws.read_bytes(p).ok();
            if a != b {
                changed_by(&self.threads, id, false, p, b.as_deref(), a.as_deref());
            }
        }
        result.map_err(|e| ApiError::new(crate::ErrorCode::Review, e.to_string()))?;
        Ok(files)
    }

    /// Cuts the conversation back to before turn `turn` (its later turns go too). Restoring
    /// code is the checkpoint restore the caller does with the turn's checkpoint.
    pub fn restore_conversation(&self, id: &str, turn: u32) -> Result<AgentThread> {
        let live = self.live(id, false)?;
        if lock(&live.running).is_some() {
            return Err(ApiError::new(crate::ErrorCode::Busy, "stop the running turn first"));
        }
        let mut data = lock(&live.data);
        let t = data.turns.get(turn as usize).cloned().ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("thread {id} has no turn {turn}")))?;
        data.messages.truncate(t.messages_before as usize);
        data.turns.truncate(turn as usize);
        data.updated_ms = weft_agent::threads::now_ms();
        self.save(&data)?;
        drop(data);
        self.thread(id)
    }

    pub fn checkpoint_of(&self, id: &str, turn: u32) -> Result<i64> {
        let t = self.thread(id)?;
        t.turns
            .get(turn as usize)
            .ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, format!("thread {id} has no turn {turn}")))?
            .checkpoint
            .ok_or_else(|| ApiError::new(crate::ErrorCode::NoCheckpoint, "that turn changed no files, so there is no code to restore"))
    }

    pub fn export(&self, id: &str) -> Result<String> {
        Ok(weft_agent::threads::markdown(&self.thread(id)?))
    }
}

fn action_path(a: &ReviewAction) -> &str {
    match a {
        ReviewAction::AcceptFile { path } | ReviewAction::RejectFile { path } | ReviewAction::RejectHunk { path, .. } => path,
        ReviewAction::AcceptAll | ReviewAction::RejectAll => "",
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "action", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ReviewAction {
    AcceptAll,
    RejectAll,
    AcceptFile { path: String },
    RejectFile { path: String },
    RejectHunk { path: String, hunk: u32 },
}

impl From<weft_agent::commit::CommitError> for ApiError {
    fn from(e: weft_agent::commit::CommitError) -> Self {
        use weft_agent::commit::CommitError as E;
        match e {
            E::NotGit(m) => ApiError::new(crate::ErrorCode::NotGit, m),
            E::NothingToCommit => ApiError::new(crate::ErrorCode::NothingToCommit, e.to_string()),
            E::OverBudget(m) => ApiError::new(crate::ErrorCode::OverBudget, m),
            E::Llm(e) => e.into(),
        }
    }
}

/// A commit message for the repository's staged changes (or, with nothing staged, the
/// unstaged ones) from the `commitMessage` task model (else the agent's), on the books.
pub async fn suggest_commit_message(paths: &AppPaths, settings: &Settings, root: &std::path::Path) -> Result<CommitMessage> {
    let (diff, staged) = {
        let root = root.to_owned();
        tokio::task::spawn_blocking(move || weft_agent::commit::diff(&root)).await.map_err(ApiError::internal)??
    };
    let agent = route(paths, settings, None)?;
    let mut chain = task_route(settings, "commitMessage", &agent)?;
    if chain.is_empty() {
        chain = agent.clone();
    }
    let client = llm_client(paths, settings)?;
    let books = crate::usage::Books {
        meter: crate::usage::meter(paths, settings)?,
        workspace: root.display().to_string(),
        thread: "commit-message".into(),
        baseline: agent[0].clone(),
        on_spent: Box::new(|_| {}),
    };
    let m = weft_agent::commit::suggest(&client, &chain, &books, &diff, staged).await?;
    Ok(CommitMessage { message: m.message, staged: m.staged, model: m.model })
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitMessage {
    pub message: String,
    /// Whether it describes the staged changes (else the unstaged ones).
    pub staged: bool,
    pub model: String,
}

/// Approval cards: a frame to the UI, then wait for `agentApprove` (or the turn's end).
struct UiApprover {
    stream: Stream,
    pending: Pending,
    /// Its thread, which counts the questions open (the thread list shows "waiting").
    live: Arc<Live>,
}

impl Approver for UiApprover {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async move {
            let id = format!("a{:016x}", fastrand_id());
            let (tx, rx) = oneshot::channel();
            lock(&self.pending).insert(id.clone(), (self.stream.id.clone(), tx));
            let sent = self.stream.json(AgentFrame::Approval {
                id: id.clone(),
                tool: req.tool.clone(),
                summary: req.summary.clone(),
                pattern: req.pattern.clone(),
                input: req.input.clone(),
            });
            // Nobody to ask (the stream is gone) or the question dropped: no.
            if sent {
                self.live.asking.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answer = rx.await.unwrap_or(Approval::Deny);
                self.live.asking.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                answer
            } else {
                lock(&self.pending).remove(&id);
                Approval::Deny
            }
        })
    }
}

/// Unguessable enough to keep one client from answering another's card by guessing.
fn fastrand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}
