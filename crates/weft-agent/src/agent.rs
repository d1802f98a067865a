//! The loop: ask the model, run the tools it calls (asking the user where the rules say
//! so), hand back the results, until the model ends its turn or the user stops it.

use crate::context;
use crate::permissions::{Decision, Policy, Rule};
use crate::tools::{self, Outcome, Toolbox};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use weft_llm::{Block, BoxFuture, Client, Event, LlmError, Message, ModelRef, Request, Role, StopReason, Usage};
use weft_store::{Origin, Store};

pub const DEFAULT_SYSTEM: &str = "You are Weft's coding agent, working in the user's project through tools. \
Read before you edit: list directories, search, read the relevant files. Make the smallest change that does \
what was asked, with edit_file (old_string must match exactly once). Run the project's tests or build with \
run_command to check your work when there is a way to. Paths are relative to the workspace root. When you \
are done, say briefly what you changed and why.";

/// What the tool definitions cost in every request, roughly.
const TOOL_SPECS_TOKENS: usize = 2500;

#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The model first, then its fallbacks.
    pub route: Vec<ModelRef>,
    pub system: String,
    pub max_tokens: u32,
    pub thinking_budget: Option<u32>,
    /// None: the provider's default.
    pub temperature: Option<f32>,
    /// Model calls per turn before the agent gives up (a loop guard).
    pub max_steps: u32,
    /// The models that summarise older turns (a cheaper one, typically); empty: `route`.
    pub summary_route: Vec<ModelRef>,
    /// Tokens of repo map added to the system prompt at the start of each turn (0: none).
    pub repo_map_tokens: u32,
    /// The conversation's share of the model's window, in (estimated) tokens: above it, the
    /// older turns are summarised before the turn starts (0: never).
    pub context_tokens: u32,
    /// Folders whose files the agent's edits always ask about, whatever the rules say:
    /// Weft's own settings and data (keys, the allow list itself), when the workspace
    /// holds them (a home folder, a dotfiles repository).
    pub protected_dirs: Vec<std::path::PathBuf>,
    /// The user's own instructions file (read with the project's: crate::instructions).
    pub user_instructions: Option<std::path::PathBuf>,
    /// The user's own prompts folder (slash commands: crate::prompts).
    pub user_prompts: Option<std::path::PathBuf>,
    /// Only these tools are offered and run (a sub-agent's read-only set); None: all.
    pub only_tools: Option<Vec<String>>,
}

/// What a sub-agent (the `task` tool) is told.
pub const SUB_AGENT_SYSTEM: &str = "You are a sub-agent of Weft's coding agent. You were handed one self-contained task; do it with your read-only tools (list, read, search, outline, repo map, git status and diff, definitions) and end with a concise report of what you found: the facts, with file paths and line numbers, and nothing the task did not ask for. You cannot change files or run commands; say so if the task needs that.";

/// What the user sent: the text and what it @-mentions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub mentions: Vec<crate::Mention>,
    /// Pictures the user pasted or dropped (checked: weft_llm::ImageSource::from_bytes).
    pub images: Vec<weft_llm::ImageSource>,
}

impl<S: Into<String>> From<S> for Prompt {
    fn from(text: S) -> Self {
        Prompt { text: text.into(), mentions: vec![], images: vec![] }
    }
}

impl AgentConfig {
    pub fn new(route: Vec<ModelRef>) -> Self {
        AgentConfig { route, system: DEFAULT_SYSTEM.into(), max_tokens: 8192, thinking_budget: None, temperature: None, max_steps: 50, summary_route: vec![], repo_map_tokens: 0, context_tokens: 0, protected_dirs: vec![], user_instructions: None, user_prompts: None, only_tools: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    Llm(Event),
    ToolCall { id: String, name: String, input: Value },
    ToolResult { id: String, name: String, content: String, is_error: bool, images: Vec<weft_llm::ImageSource> },
    /// Taken before the turn's first change to the workspace.
    Checkpoint { id: i64 },
    /// After each model response (the summary of older turns included).
    Usage { provider: String, model: String, usage: Usage },
    /// The thread's first `summarised` messages were replaced by a summary.
    Compacted { summarised: usize, tokens_before: usize, tokens_after: usize },
    /// A budget's alert threshold was crossed (each is reported once).
    BudgetAlert { message: String },
    /// The instruction files the system prompt holds this turn (crate::instructions).
    Instructions { files: Vec<String> },
}

/// Keeps the books: consulted before each model request and told about each response.
/// The app and the command line back it with the usage ledger and the user's budgets.
pub trait Spending: Send + Sync {
    /// Before a request of about `input_tokens` (and up to `max_tokens` out) to `model` for
    /// `task` ("agent", "summary"): None to go ahead, or why it would pass a hard cap.
    fn before(&self, task: &str, model: &ModelRef, input_tokens: u64, max_tokens: u32) -> Option<String>;
    /// After a response: records it and returns the alerts to show.
    fn after(&self, task: &str, resp: &weft_llm::Response) -> Vec<String>;
    /// An attempt that failed (before its retry or the route's next model): records it
    /// with its error and what the provider counted before it failed.
    fn failed(&self, _task: &str, _provider: &str, _model: &str, _usage: Usage, _code: &str) {}
}

/// A failed attempt in a stream's events, to the books under `task` (the agent's, a
/// summary's, a title's, a commit message's).
pub fn record_failure(books: Option<&dyn Spending>, task: &str, e: &Event) {
    if let (Event::Failed { provider, model, usage, code, .. }, Some(books)) = (e, books) {
        books.failed(task, provider, model, *usage, code);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub tool: String,
    pub input: Value,
    /// One line for the approval card: "run `cargo test`".
    pub summary: String,
    /// What "always" would allow from now on.
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Once,
    Always,
    Deny,
}

/// Whoever answers approval cards: the UI, the terminal, or a test.
pub trait Approver: Send + Sync {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval>;
}

/// A conversation.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub messages: Vec<Message>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnEnd {
    /// The model ended its turn.
    Done(StopReason),
    Stopped,
    /// `max_steps` model calls without the model ending its turn.
    StepLimit,
    /// The next request would pass a hard spending cap and the user said no.
    OverBudget { reason: String },
    /// A model request failed after its retries and fallbacks. What the turn did before
    /// (its checkpoint, the files it changed) is still in the outcome.
    Failed { code: &'static str, message: String },
}

#[derive(Debug, Clone)]
pub struct TurnOutcome {
    pub end: TurnEnd,
    pub checkpoint: Option<i64>,
    /// Messages in the thread before this turn: "restore conversation" truncates to it.
    pub messages_before: usize,
    /// Each file the turn's tools changed, with its bytes before the turn (`None`: it did
    /// not exist). What the review compares against.
    pub originals: BTreeMap<String, Option<Vec<u8>>>,
    /// Folders the turn renamed (from, to), in order: rejecting puts them back by name.
    pub moves: Vec<(String, String)>,
    pub usage: Usage,
    /// Set when the turn began by summarising the thread's first this many messages (into
    /// two: the summary and its acknowledgement).
    pub compacted: Option<usize>,
    /// What sub-agents (the `task` tool) used, not yet added to the thread's total (it is
    /// in `usage` already).
    sub_usage: Usage,
}

pub struct Agent {
    client: Arc<Client>,
    toolbox: Arc<Toolbox>,
    store: Option<Arc<Store>>,
    policy: Mutex<Policy>,
    approver: Arc<dyn Approver>,
    spending: Option<Arc<dyn Spending>>,
    /// Masked in every tool result before the model (or the thread) sees it.
    secrets: Vec<String>,
    pub config: AgentConfig,
}

impl Agent {
    pub fn new(
        client: Arc<Client>,
        toolbox: Arc<Toolbox>,
        store: Option<Arc<Store>>,
        policy: Policy,
        approver: Arc<dyn Approver>,
        config: AgentConfig,
    ) -> Self {
        Agent { client, toolbox, store, policy: Mutex::new(policy), approver, spending: None, secrets: Vec::new(), config }
    }

    /// Values the model must never read (see [`Agent::secrets`]).
    pub fn with_secrets(mut self, secrets: Vec<String>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Records every request and enforces the caps through `spending`.
    pub fn with_spending(mut self, spending: Arc<dyn Spending>) -> Self {
        self.spending = Some(spending);
        self
    }

    /// Asks the books before a request; past a cap, asks the user. Err: the user said no.
    async fn may_spend(&self, task: &str, route: &[ModelRef], req: &Request, cancel: &CancellationToken) -> Result<(), String> {
        let (Some(books), Some(model)) = (&self.spending, route.first()) else { return Ok(()) };
        let input = (context::estimate_tokens(&req.messages) + req.system.len() / 4 + if req.tools.is_empty() { 0 } else { TOOL_SPECS_TOKENS }) as u64;
        let Some(reason) = books.before(task, model, input, req.max_tokens) else { return Ok(()) };
        let ask = ApprovalRequest { tool: "budget".into(), input: serde_json::json!({ "reason": reason, "model": model.to_string() }), summary: format!("going over budget: {reason}"), pattern: None };
        let answer = tokio::select! {
            a = self.approver.approve(&ask) => a,
            _ = cancel.cancelled() => Approval::Deny,
        };
        match answer {
            Approval::Deny => Err(reason),
            Approval::Once | Approval::Always => Ok(()),
        }
    }

    fn spent(&self, task: &str, resp: &weft_llm::Response, on: &mut (dyn FnMut(AgentEvent) + Send)) {
        if let Some(books) = &self.spending {
            for message in books.after(task, resp) {
                on(AgentEvent::BudgetAlert { message });
            }
        }
    }

    /// The rules now in force, including what "always" answers added.
    pub fn policy(&self) -> Policy {
        self.policy.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs one user turn to its end. Cancelling `cancel` stops the model stream and any
    /// running command at once; a file tool already writing finishes its atomic write, so
    /// no file is left half written. The thread stays valid for the next turn either way.
    pub async fn run_turn(
        &self,
        thread: &mut Thread,
        prompt: Prompt,
        cancel: &CancellationToken,
        on: &mut (dyn FnMut(AgentEvent) + Send),
    ) -> TurnOutcome {
        let mut out = TurnOutcome {
            end: TurnEnd::StepLimit,
            checkpoint: None,
            messages_before: thread.messages.len(),
            originals: BTreeMap::new(),
            moves: vec![],
            usage: Usage::default(),
            compacted: None,
            sub_usage: Usage::default(),
        };
        let resolved = if prompt.mentions.is_empty() { vec![] } else { self.toolbox.resolve(&prompt.mentions).await };
        let mut system = self.config.system.clone();
        system.push_str("\n\n");
        system.push_str(&crate::command::system_note());
        system.push(' ');
        system.push_str(&crate::instructions::context_note(self.toolbox.root(), std::time::SystemTime::now()));
        let given = crate::instructions::gather(self.toolbox.root(), self.config.user_instructions.as_deref());
        if !given.files.is_empty() {
            system.push_str(&given.text);
            on(AgentEvent::Instructions { files: given.files });
        }
        // Subfolders' instruction files already given this turn (crate::instructions::nested).
        let mut told = std::collections::HashSet::new();
        if self.config.repo_map_tokens > 0 {
            let focus: Vec<String> = prompt
                .mentions
                .iter()
                .filter_map(|m| match m {
                    crate::Mention::File { path, .. } => Some(path.clone()),
                    _ => None,
                })
                .collect();
            let map = self.toolbox.repo_map(self.config.repo_map_tokens, &focus).await;
            if !map.trim().is_empty() {
                system.push_str("\n\nA map of the repository's most important files and definitions (read files for the details):\n");
                system.push_str(&map);
            }
        }
        // A slash command (`/init`, a prompt of the library) sends its text.
        let text = crate::prompts::expand_typed(&prompt.text, self.toolbox.root(), self.config.user_prompts.as_deref()).map_or_else(|| prompt.text.clone(), |(t, _)| t);
        thread.messages.push(context::user_message(&resolved, &text, &prompt.images));
        if self.config.context_tokens > 0 {
            out.compacted = self.compact(thread, &system, cancel, &mut out.usage, on).await;
            out.messages_before = thread.messages.len() - 1;
        }
        let specs: Vec<weft_llm::Tool> = self.toolbox.specs().await.into_iter().filter(|t| self.offered(&t.name)).collect();
        for _ in 0..self.config.max_steps {
            let req = Request {
                system: system.clone(),
                messages: thread.messages.clone(),
                tools: specs.clone(),
                max_tokens: self.config.max_tokens,
                thinking_budget: self.config.thinking_budget,
                temperature: self.config.temperature,
                cache: true,
                ..Request::default()
            };
            if let Err(reason) = self.may_spend("agent", &self.config.route, &req, cancel).await {
                out.end = TurnEnd::OverBudget { reason };
                return out;
            }
            let resp = {
                let mut forward = |e: Event| {
                    record_failure(self.spending.as_deref(), "agent", &e);
                    on(AgentEvent::Llm(e));
                };
                tokio::select! {
                    r = self.client.stream(&self.config.route, &req, &mut forward) => match r {
                        Ok(r) => r,
                        Err(e) => {
                            out.end = failed(&e);
                            return out;
                        }
                    },
                    _ = cancel.cancelled() => {
                        out.end = TurnEnd::Stopped;
                        return out;
                    }
                }
            };
            out.usage.add(&resp.usage);
            thread.usage.add(&resp.usage);
            on(AgentEvent::Usage { provider: resp.provider.clone(), model: resp.model.clone(), usage: resp.usage });
            self.spent("agent", &resp, on);
            let calls: Vec<(String, String, Value)> =
                resp.message.tool_uses().map(|(id, n, i)| (id.to_owned(), n.to_owned(), i.clone())).collect();
            thread.messages.push(resp.message);
            if calls.is_empty() {
                out.end = TurnEnd::Done(resp.stop);
                return out;
            }
            let mut results = Vec::with_capacity(calls.len());
            // Pictures the tools returned (a screenshot): after every result, as the APIs ask.
            let mut images = Vec::new();
            for (id, name, input) in calls {
                on(AgentEvent::ToolCall { id: id.clone(), name: name.clone(), input: input.clone() });
                let mut outcome = if cancel.is_cancelled() {
                    Outcome::err("not run: the user stopped the agent")
                } else {
                    self.call(&name, &input, cancel, &mut out, on).await
                };
                thread.usage.add(&std::mem::take(&mut out.sub_usage));
                // Working in a subfolder for the first time this turn: its instructions.
                if !outcome.is_error && matches!(name.as_str(), "read_file" | "edit_file" | "write_file" | "list_dir" | "outline") {
                    if let Some(path) = input["path"].as_str() {
                        // A folder listed: as a file in it.
                        let path = if name == "list_dir" { format!("{}/_", path.trim_end_matches('/')) } else { path.to_owned() };
                        let more = crate::instructions::nested(self.toolbox.root(), &path, &mut told);
                        if !more.files.is_empty() {
                            outcome.content.push_str(&more.text);
                            on(AgentEvent::Instructions { files: more.files });
                        }
                    }
                }
                // A command that printed a secret, a file that holds one: the model reads a mask.
                if !self.secrets.is_empty() {
                    outcome.content = weft_pty::mask::mask_text(&outcome.content, &self.secrets);
                    // A picture cannot be masked: one of a page showing a secret stays here.
                    if !outcome.images.is_empty() && weft_pty::mask::reveals(&outcome.shown, &self.secrets) {
                        outcome.images.clear();
                        outcome.content.push_str("\n(The picture was not sent: the page shows one of the project's secrets, and a picture cannot be masked. Ask the user to look at the preview.)");
                    }
                }
                on(AgentEvent::ToolResult { id: id.clone(), name, content: outcome.content.clone(), is_error: outcome.is_error, images: outcome.images.clone() });
                results.push(Block::ToolResult { tool_use_id: id, content: outcome.content, is_error: outcome.is_error });
                images.extend(outcome.images.into_iter().map(|source| Block::Image { source }));
            }
            results.extend(images);
            // Every tool_use gets its result, even when stopped: the API refuses a thread
            // with an unanswered call.
            thread.messages.push(Message { role: Role::User, content: results });
            if cancel.is_cancelled() {
                out.end = TurnEnd::Stopped;
                return out;
            }
        }
        out
    }

    /// Summarises the older turns when the conversation is over its share of the window.
    /// A failed summary leaves the thread as it was: the turn goes on, and the provider says
    /// if it is really too long.
    async fn compact(
        &self,
        thread: &mut Thread,
        system: &str,
        cancel: &CancellationToken,
        usage: &mut Usage,
        on: &mut (dyn FnMut(AgentEvent) + Send),
    ) -> Option<usize> {
        let budget = self.config.context_tokens as usize;
        let fixed = system.len() / 4 + context::estimate_tokens(&[]) + TOOL_SPECS_TOKENS;
        let before = context::estimate_tokens(&thread.messages) + fixed;
        if before <= budget {
            return None;
        }
        let split = context::summary_split(&thread.messages, budget.saturating_sub(fixed) / 2)?;
        let req = Request {
            system: context::SUMMARY_SYSTEM.into(),
            messages: vec![Message::user(context::transcript(&thread.messages[..split]))],
            max_tokens: 2048,
            ..Request::default()
        };
        let route = if self.config.summary_route.is_empty() { &self.config.route } else { &self.config.summary_route };
        // Past a cap and declined: go on without summarising; the turn's own request
        // asks again.
        self.may_spend("summary", route, &req, cancel).await.ok()?;
        let mut quiet = |e: Event| record_failure(self.spending.as_deref(), "summary", &e);
        let resp = tokio::select! {
            r = self.client.stream(route, &req, &mut quiet) => r,
            _ = cancel.cancelled() => return None,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("summarising older turns failed: {e}");
                return None;
            }
        };
        usage.add(&resp.usage);
        thread.usage.add(&resp.usage);
        on(AgentEvent::Usage { provider: resp.provider.clone(), model: resp.model.clone(), usage: resp.usage });
        self.spent("summary", &resp, on);
        let mut kept = vec![
            Message::user(format!("{}\n\n{}", context::SUMMARY_PREFIX, resp.message.text().trim())),
            Message { role: Role::Assistant, content: vec![Block::text("Understood; I will continue from there.")] },
        ];
        kept.extend(thread.messages.drain(split..));
        thread.messages = kept;
        let after = context::estimate_tokens(&thread.messages) + fixed;
        on(AgentEvent::Compacted { summarised: split, tokens_before: before, tokens_after: after });
        Some(split)
    }

    async fn call(
        &self,
        name: &str,
        input: &Value,
        cancel: &CancellationToken,
        out: &mut TurnOutcome,
        on: &mut (dyn FnMut(AgentEvent) + Send),
    ) -> Outcome {
        if !self.offered(name) {
            return Outcome::err(format!("{name} is not one of this agent's tools"));
        }
        let command = (name == "run_command").then(|| input["command"].as_str().unwrap_or_default());
        let mut decision = self.policy().decide(name, command);
        // Files under .git run code later (hooks, config's fsmonitor and textconv,
        // attributes), outside any checkpoint, and Weft's own settings hold the rules
        // themselves: asked every time, whatever the rules say.
        let ws = self.toolbox.workspace();
        let in_protected_dir = |p: &str| ws.resolve(p).is_ok_and(|full| self.config.protected_dirs.iter().any(|d| full.starts_with(d)));
        // A command's redirections count too (`> .config/weft/settings.json` from a home
        // folder is a relative path inside the workspace).
        let redirected: Vec<String> = command
            .and_then(|c| crate::shell::parse(c).ok())
            .map(|s| s.commands.iter().flat_map(|c| c.redirects.iter().filter(|r| r.writes()).map(|r| r.target.clone())).collect())
            .unwrap_or_default();
        let protected = tools::touched_paths(name, input).iter().chain(&redirected).any(|p| crate::permissions::protected_path(p) || in_protected_dir(p));
        if protected && !matches!(decision, Decision::Deny { .. }) {
            decision = Decision::Ask { pattern: None };
        }
        match decision {
            Decision::Allow => {}
            Decision::Deny { reason } => return Outcome::err(format!("not allowed: {reason}")),
            Decision::Ask { pattern } => {
                let req = ApprovalRequest { tool: name.to_owned(), input: input.clone(), summary: summary(name, input), pattern: pattern.clone() };
                let answer = tokio::select! {
                    a = self.approver.approve(&req) => a,
                    _ = cancel.cancelled() => Approval::Deny,
                };
                match answer {
                    Approval::Deny => return Outcome::err("the user declined this; do not retry it, ask or take another way"),
                    Approval::Once => {}
                    Approval::Always if protected => {}
                    Approval::Always => {
                        let mut p = self.policy.lock().unwrap_or_else(|p| p.into_inner());
                        match pattern {
                            Some(pat) => p.allow_commands.push(pat),
                            None => {
                                p.tools.insert(name.to_owned(), Rule::Allow);
                            }
                        }
                    }
                }
            }
        }
        if tools::changes_files(name) {
            if out.checkpoint.is_none() {
                if let Some(store) = &self.store {
                    let store = store.clone();
                    let label = summary(name, input);
                    let taken = tokio::task::spawn_blocking(move || {
                        store.create(&format!("before agent: {label}"), Origin::Agent, None).map(|c| c.checkpoint.id)
                    })
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                    match taken {
                        Ok(id) => {
                            out.checkpoint = Some(id);
                            on(AgentEvent::Checkpoint { id });
                        }
                        // Without a checkpoint the change could not be undone: refuse it.
                        Err(e) => return Outcome::err(format!("not run: the checkpoint before it failed ({e})")),
                    }
                }
            }
            let ws = self.toolbox.workspace();
            let from = (name == "rename").then(|| input["from"].as_str()).flatten();
            if let (Some(from), Some(to)) = (from, input["to"].as_str()) {
                // A folder is recorded as the move it is (its bytes are not a file's: as
                // "did not exist" its rejection would delete it, and everything in it).
                if ws.resolve(from).map(|p| p.is_dir()).unwrap_or(false) {
                    out.moves.push((from.to_owned(), to.to_owned()));
                }
            }
            for path in tools::touched_paths(name, input) {
                if ws.resolve(&path).map(|p| p.is_dir()).unwrap_or(false) {
                    // A folder about to be deleted: its files are recorded one by one, so the
                    // review lists them and rejecting brings them back (the folder itself
                    // goes to the trash either way).
                    if name == "delete" {
                        for (file, bytes) in crate::review::files_under(ws, &path) {
                            out.originals.entry(file).or_insert(Some(bytes));
                        }
                    }
                    continue;
                }
                if !out.originals.contains_key(&path) {
                    // What the user had before the change: an open document's text, unsaved
                    // edits included (rejecting the change gives back exactly that).
                    let before = self.toolbox.current_bytes(&path);
                    out.originals.insert(path, before);
                }
            }
        }
        if name == "task" {
            return self.sub_task(input, cancel, out, on).await;
        }
        self.toolbox.run(name, input, cancel).await
    }

    /// Whether this agent offers and runs `tool` (a sub-agent has a narrower set, and never
    /// the `task` tool itself).
    fn offered(&self, tool: &str) -> bool {
        self.config.only_tools.as_ref().is_none_or(|only| only.iter().any(|t| t == tool))
    }

    /// The `task` tool: a sub-agent with a fresh context and the read-only tools does the
    /// task and its final report is the result. Its requests are on the same books and
    /// count toward this turn's usage; what it read stays out of this conversation.
    async fn sub_task(&self, input: &Value, cancel: &CancellationToken, out: &mut TurnOutcome, on: &mut (dyn FnMut(AgentEvent) + Send)) -> Outcome {
        let Some(task) = input["prompt"].as_str().filter(|p| !p.trim().is_empty()) else { return Outcome::err("missing string argument \"prompt\"") };
        let mut config = self.config.clone();
        config.system = SUB_AGENT_SYSTEM.into();
        config.only_tools = Some(tools::READ_ONLY.iter().map(|t| (*t).to_owned()).collect());
        config.max_steps = config.max_steps.min(30);
        let sub = Agent {
            client: self.client.clone(),
            toolbox: self.toolbox.clone(),
            // Read-only: nothing to checkpoint.
            store: None,
            policy: Mutex::new(self.policy()),
            approver: self.approver.clone(),
            spending: self.spending.clone(),
            secrets: self.secrets.clone(),
            config,
        };
        let mut thread = Thread::default();
        // The sub-agent's spending is this turn's; its own steps are its business.
        let mut forward = |e: AgentEvent| {
            if matches!(e, AgentEvent::Usage { .. } | AgentEvent::BudgetAlert { .. }) {
                on(e);
            }
        };
        let turn = Box::pin(sub.run_turn(&mut thread, Prompt::from(task.to_owned()), cancel, &mut forward)).await;
        out.usage.add(&turn.usage);
        out.sub_usage.add(&turn.usage);
        let report = thread.messages.last().filter(|m| m.role == Role::Assistant).map(Message::text).unwrap_or_default();
        match turn.end {
            TurnEnd::Done(_) if !report.trim().is_empty() => Outcome::ok(report),
            TurnEnd::Done(_) => Outcome::err("the sub-agent ended without a report"),
            TurnEnd::Stopped => Outcome::err("the sub-agent was stopped"),
            TurnEnd::StepLimit => Outcome::err(format!("the sub-agent gave up after {} steps without finishing; its last words: {report}", sub.config.max_steps)),
            TurnEnd::OverBudget { reason } => Outcome::err(format!("the sub-agent stopped at the budget: {reason}")),
            TurnEnd::Failed { message, .. } => Outcome::err(format!("the sub-agent's model request failed: {message}")),
        }
    }
}

fn failed(e: &LlmError) -> TurnEnd {
    TurnEnd::Failed { code: e.code(), message: e.to_string() }
}

/// One line describing a tool call, for approval cards and checkpoint labels.
pub fn summary(name: &str, input: &Value) -> String {
    let s = |k: &str| input[k].as_str().unwrap_or("?").to_owned();
    match name {
        "run_command" => format!("run `{}`", s("command")),
        "edit_file" => format!("edit {}", s("path")),
        "write_file" => format!("write {}", s("path")),
        "delete" => format!("delete {}", s("path")),
        "rename" => format!("rename {} to {}", s("from"), s("to")),
        "task" => format!("sub-agent: {}", input["description"].as_str().unwrap_or("a task")),
        "preview_screenshot" => match input["port"].as_u64() {
            Some(port) => format!("look at the preview (port {port})"),
            None => "look at the preview".into(),
        },
        mcp if tools::is_extra(mcp) => {
            // mcp__server__tool {"arg": …}: the server, the tool and what it is given.
            let mut parts = mcp.splitn(3, "__").skip(1);
            let (server, tool) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
            let mut args = input.to_string();
            if args.chars().count() > 200 {
                args = args.chars().take(200).collect::<String>() + "…";
            }
            format!("{tool} (MCP server {server}) {args}")
        }
        other => match input["path"].as_str().or(input["query"].as_str()) {
            Some(arg) => format!("{other} {arg}"),
            None => other.to_owned(),
        },
    }
}
