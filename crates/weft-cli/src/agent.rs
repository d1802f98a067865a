//! `weft agent "PROMPT"`: the coding agent in the current folder, for scripts and CI.
//! The answer streams to stdout; tool calls, approvals, retries and usage go to stderr.
//! Approvals are read from stdin (end of input means no), or granted up front with
//! `--allow PATTERN`. Exits non-zero when the turn did not finish.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use tokio_util::sync::CancellationToken;
use weft_agent::{AgentEvent, Approval, ApprovalRequest, Approver, Thread, TurnEnd};
use weft_llm::{BoxFuture, Event, StopReason};

pub struct Args {
    /// None or `-`: read from stdin.
    pub prompt: Option<String>,
    pub workspace: PathBuf,
    pub models: Vec<String>,
    pub allow: Vec<String>,
    pub max_steps: u32,
    pub format: Format,
    pub system_append: Option<String>,
    /// Pictures sent with the prompt.
    pub images: Vec<PathBuf>,
    /// A saved thread to go on with, or the folder's latest.
    pub resume: Option<String>,
    pub continue_last: bool,
}

/// `weft agent threads [--json]`: the folder's saved threads (the app's and the command
/// line's), newest first.
pub fn list_threads(paths: &weft_api::AppPaths, workspace: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let root = dunce::canonicalize(workspace).with_context(|| format!("{} is not a folder", workspace.display()))?;
    let mut list = saved_threads(paths, &root)?;
    list.sort_by(|a, b| b.updated_ms.cmp(&a.updated_ms));
    if json {
        let summaries: Vec<_> = list.iter().map(|t| t.summary()).collect();
        println!("{}", serde_json::to_string(&summaries)?);
        return Ok(());
    }
    for t in list {
        let s = t.summary();
        println!("{}  {} turn{}  {} in / {} out  {}", s.id, s.turns, if s.turns == 1 { "" } else { "s" }, s.usage.input_tokens, s.usage.output_tokens, s.title);
    }
    Ok(())
}

fn saved_threads(paths: &weft_api::AppPaths, root: &std::path::Path) -> anyhow::Result<Vec<weft_api::AgentThread>> {
    let store = weft_api::thread_store(paths, root);
    let mut out = vec![];
    for id in store.ids().map_err(|e| anyhow::anyhow!("{e}"))? {
        match store.load(&id) {
            Ok(t) => out.push(t),
            Err(e) => eprintln!("weft agent: {e}"),
        }
    }
    Ok(out)
}

/// What stdout carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The answer's words (the rest on stderr).
    Text,
    /// One JSON object at the end: the result.
    Json,
    /// One JSON event per line as the turn goes, the result last.
    StreamJson,
}

/// Asks on the terminal, one line per question; stdin is read on a blocking thread. When
/// stdin held the prompt, nothing is left to answer with: every question is declined.
struct StdinApprover {
    prompt_from_stdin: bool,
}

impl Approver for StdinApprover {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async move {
            if self.prompt_from_stdin {
                eprintln!("\n(declined: {}; the prompt came on stdin, so grant it with --allow)", req.summary);
                return Approval::Deny;
            }
            let always = req.pattern.as_deref().map(|p| format!(" / [a]lways `{p}`")).unwrap_or_default();
            eprint!("\n? allow {}: [y]es once{always} / [N]o > ", req.summary);
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            let read = tokio::task::block_in_place(|| std::io::stdin().lock().read_line(&mut line));
            let answer = match (read, line.trim().to_lowercase().as_str()) {
                (Ok(n), _) if n == 0 => Approval::Deny,
                (Ok(_), "y" | "yes") => Approval::Once,
                (Ok(_), "a" | "always") if req.pattern.is_some() => Approval::Always,
                _ => Approval::Deny,
            };
            if line.is_empty() {
                eprintln!("(no input: declined)");
            }
            answer
        })
    }
}

pub fn run(paths: &weft_api::AppPaths, args: Args) -> anyhow::Result<std::process::ExitCode> {
    let root = dunce::canonicalize(&args.workspace).with_context(|| format!("{} is not a folder", args.workspace.display()))?;
    let from_stdin = args.prompt.as_deref().is_none_or(|p| p == "-");
    let prompt = match args.prompt.filter(|p| p != "-") {
        Some(p) => p,
        None => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading the prompt from stdin")?;
            text
        }
    };
    if prompt.trim().is_empty() {
        bail!("the prompt is empty");
    }
    let mut images = vec![];
    for path in &args.images {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        images.push(weft_llm::ImageSource::from_bytes(&format!("image/{ext}"), &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?);
    }
    // The same providers, keys, model and rules as the app; --model and --allow add to them.
    let (mut settings, settings_error) = weft_api::load_settings(&paths.settings_file());
    if let Some(e) = settings_error {
        eprintln!("weft agent: {e} (defaults are in use)");
    }
    if let Some((first, rest)) = args.models.split_first() {
        settings.agent_fallback_models = rest.to_vec();
        settings.agent_model = first.clone();
    }
    // The same builder as the app: route, client, rules, limits, summary model, commands'
    // environment. Only the approver (stdin) and the books' reporting are the CLI's own.
    let mut builder = weft_api::agent_builder(paths, &settings, None).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    builder.policy.allow_commands.extend(args.allow);
    builder.config.max_steps = args.max_steps;
    if let Some(more) = args.system_append.filter(|s| !s.trim().is_empty()) {
        builder.config.system.push_str("\n\n");
        builder.config.system.push_str(&more);
    }
    let format = args.format;
    let json_out = format != Format::Text;
    // The run's cost so far, for the json result.
    let cost = Arc::new(std::sync::Mutex::new(0i64));
    let cost_seen = cost.clone();
    let store = weft_api::open_store(paths, &root).context("opening the checkpoint store")?;
    let ws = Arc::new(weft_fs::Workspace::open(&root).context("opening the workspace")?);
    // The same ledger and budgets as the app: a script cannot spend past a cap unasked.
    let meter = weft_api::usage_meter(paths, &settings).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let books = weft_api::Books {
        meter,
        workspace: root.display().to_string(),
        thread: format!("cli-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
        baseline: builder.model().clone(),
        on_spent: Box::new(move |c| {
            if let Ok(mut t) = cost_seen.lock() {
                *t = c.thread_nanos;
            }
            // After its response's usage line (the books hear of a response after the turn).
            if format == Format::StreamJson {
                println!("{}", serde_json::json!({"type": "cost", "request_usd": c.request_nanos as f64 / 1e9, "run_usd": c.thread_nanos as f64 / 1e9, "priced": c.priced}));
            }
            let priced = if c.priced { "" } else { " (model not in the price table)" };
            eprintln!("\n(${:.4} this request, ${:.4} this run, ${:.2} today{priced})", c.request_nanos as f64 / 1e9, c.thread_nanos as f64 / 1e9, c.today_nanos as f64 / 1e9);
        }),
    };
    let model = builder.model().to_string();
    // The thread this run goes on with, or a new one; saved where the app's panel finds it.
    let threads = weft_api::thread_store(paths, &root);
    let mut saved = match (&args.resume, args.continue_last) {
        (Some(id), _) => threads.load(id).map_err(|e| anyhow::anyhow!("{e}"))?,
        (None, true) => saved_threads(paths, &root)?.into_iter().max_by_key(|t| t.updated_ms).context("this folder has no saved thread to continue")?,
        (None, false) => weft_api::AgentThread::new(&format!("cli-{}", weft_agent::threads::now_ms())),
    };
    let agent = builder.spending(Arc::new(books)).build(ws, Some(Arc::new(store)), Arc::new(StdinApprover { prompt_from_stdin: from_stdin }));
    let started = std::time::Instant::now();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async move {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nstopping…");
                stopper.cancel();
            }
        });
        let mut thread = Thread { messages: saved.messages.clone(), usage: saved.usage };
        if !saved.messages.is_empty() {
            eprintln!("(going on with thread {}: {})", saved.id, saved.title);
        }
        let mut answer = Answer::new(std::io::stdout(), format);
        let mut tools = 0u32;
        let mut on = |e: AgentEvent| {
            if matches!(e, AgentEvent::ToolCall { .. }) {
                tools += 1;
            }
            answer.event(e)
        };
        let turn = agent.run_turn(&mut thread, weft_agent::Prompt { text: prompt.clone(), mentions: vec![], images: images.clone() }, &cancel, &mut on).await;
        let end_name = match &turn.end {
            TurnEnd::Done(_) => "done",
            TurnEnd::Stopped => "stopped",
            TurnEnd::StepLimit => "stepLimit",
            TurnEnd::OverBudget { .. } => "overBudget",
            TurnEnd::Failed { .. } => "error",
        };
        weft_api::record_turn(&mut saved, thread.clone(), &weft_api::TurnFacts::of(&turn), end_name, &model, &weft_agent::threads::title(&prompt));
        if let Err(e) = threads.save(&saved) {
            eprintln!("weft agent: the thread was not saved: {e}");
        }
        let text = answer.all.clone();
        if !json_out {
            println!();
        }
        let u = thread.usage;
        if json_out {
            let (end, stop) = match &turn.end {
                TurnEnd::Done(s) => ("done", format!("{s:?}")),
                TurnEnd::Stopped => ("stopped", String::new()),
                TurnEnd::StepLimit => ("step_limit", String::new()),
                TurnEnd::OverBudget { .. } => ("over_budget", String::new()),
                TurnEnd::Failed { .. } => ("failed", String::new()),
            };
            let error = match &turn.end {
                TurnEnd::OverBudget { reason } => Some(reason.clone()),
                TurnEnd::Failed { message, .. } => Some(message.clone()),
                _ => None,
            };
            let run_usd = cost.lock().map(|c| *c).unwrap_or(0) as f64 / 1e9;
            answer.json(&serde_json::json!({
                "type": "result",
                "result": text,
                "is_error": !matches!(turn.end, TurnEnd::Done(StopReason::EndTurn | StopReason::StopSequence)),
                "end": end,
                "stop_reason": stop,
                "error": error,
                "model": model,
                "tool_calls": tools,
                "duration_ms": started.elapsed().as_millis() as u64,
                "usage": {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "cache_read_tokens": u.cache_read_tokens, "cache_write_tokens": u.cache_write_tokens},
                "cost_usd": run_usd,
                "checkpoint": turn.checkpoint,
                "thread": saved.id,
            }));
        }
        eprintln!(
            "tokens: {} in, {} out, {} cache read, {} cache write",
            u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens
        );
        if let Some(id) = turn.checkpoint {
            eprintln!("checkpoint {id} was taken before the first change; undo with: weft checkpoint restore {id}");
        }
        eprintln!("thread {} (go on with: weft agent --resume {} \"…\")", saved.id, saved.id);
        Ok(match turn.end {
            TurnEnd::Done(StopReason::EndTurn | StopReason::StopSequence) => std::process::ExitCode::SUCCESS,
            TurnEnd::Done(other) => {
                eprintln!("weft agent: the model stopped early ({other:?})");
                std::process::ExitCode::FAILURE
            }
            TurnEnd::Stopped => std::process::ExitCode::from(130),
            TurnEnd::StepLimit => {
                eprintln!("weft agent: gave up after {} model calls without finishing", args.max_steps);
                std::process::ExitCode::FAILURE
            }
            TurnEnd::OverBudget { reason } => {
                eprintln!("weft agent: stopped at the budget: {reason} (raise budgetThreadUsd / budgetDayUsd / budgetMonthUsd in settings.json)");
                std::process::ExitCode::FAILURE
            }
            TurnEnd::Failed { message, .. } => {
                eprintln!("weft agent: {message}");
                std::process::ExitCode::FAILURE
            }
        })
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// The model's words on stdout, the rest of the turn on stderr. An attempt that fails and
/// is retried, or after which another model takes over, is void: piped, each response's
/// text is held until the response is complete, so a script never reads a failed attempt's
/// words; on a terminal it streams as it comes, and a void attempt's lines are erased.
struct Answer<W: Write> {
    out: W,
    tty: bool,
    /// This response's text: held (piped) or shown (a terminal).
    pending: String,
    format: Format,
    /// Every complete response's text, for the json result.
    all: String,
}

impl<W: Write> Answer<W> {
    fn new(out: W, format: Format) -> Self
    where
        W: std::io::IsTerminal,
    {
        // JSON goes out whole, never as a terminal's live text.
        let tty = out.is_terminal() && format == Format::Text;
        Answer { out, tty, pending: String::new(), format, all: String::new() }
    }

    /// One JSON line on stdout.
    fn json(&mut self, v: &serde_json::Value) {
        let _ = writeln!(self.out, "{v}");
        let _ = self.out.flush();
    }

    fn event(&mut self, e: AgentEvent) {
        if self.format == Format::StreamJson {
            match &e {
                AgentEvent::ToolCall { id, name, input } => self.json(&serde_json::json!({"type": "tool_call", "id": id, "name": name, "input": input})),
                AgentEvent::ToolResult { id, name, content, is_error, images } => self.json(&serde_json::json!({"type": "tool_result", "id": id, "name": name, "is_error": is_error, "content": content, "images": images.len()})),
                AgentEvent::Usage { provider, model, usage } => {
                    // The response is complete: its text first (never a void attempt's).
                    if !self.pending.is_empty() {
                        let text = std::mem::take(&mut self.pending);
                        self.json(&serde_json::json!({"type": "text", "text": text}));
                        self.all.push_str(&text);
                    }
                    self.json(&serde_json::json!({"type": "usage", "provider": provider, "model": model, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}));
                }
                AgentEvent::Checkpoint { id } => self.json(&serde_json::json!({"type": "checkpoint", "id": id})),
                _ => {}
            }
        }
        match e {
            AgentEvent::Llm(Event::Text { text, .. }) => {
                if self.tty {
                    let _ = self.out.write_all(text.as_bytes());
                    let _ = self.out.flush();
                }
                self.pending.push_str(&text);
            }
            AgentEvent::Usage { .. } => self.complete(),
            AgentEvent::Llm(Event::Retry { attempt, delay, error }) => {
                self.void();
                eprintln!("\n(retry {attempt} in {:.1} s: {error})", delay.as_secs_f64());
            }
            AgentEvent::Llm(Event::Fallback { from, to, error }) => {
                self.void();
                eprintln!("\n({from} failed, trying {to}: {error})");
            }
            AgentEvent::ToolCall { name, input, .. } => eprintln!("\n→ {}", weft_agent::summary(&name, &input)),
            AgentEvent::BudgetAlert { message } => eprintln!("\n(budget: {message})"),
            AgentEvent::Instructions { files } => eprintln!("(following {})", files.join(", ")),
            AgentEvent::ToolResult { content, is_error, .. } => {
                eprintln!("  {} {}", if is_error { "✗" } else { "✓" }, first_line(&content));
            }
            _ => {}
        }
    }

    /// A response is complete: its text stands.
    fn complete(&mut self) {
        if !self.tty && self.format == Format::Text {
            let _ = self.out.write_all(self.pending.as_bytes());
            let _ = self.out.flush();
        }
        self.all.push_str(&self.pending);
        self.pending.clear();
    }

    /// The attempt failed: its text goes (erased from a terminal: up as many rows as it
    /// took, to the start of its first, and clear below).
    fn void(&mut self) {
        if self.tty && !self.pending.is_empty() {
            let cols = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)).unwrap_or(80);
            let rows = rows_taken(&self.pending, cols);
            let up = if rows > 1 { format!("\x1b[{}F", rows - 1) } else { "\r".to_owned() };
            let _ = write!(self.out, "{up}\x1b[J");
            let _ = self.out.flush();
        }
        self.pending.clear();
    }
}

/// How many terminal rows `text` takes from the start of a row, `cols` wide (a wide
/// character counted as one column: an erase may leave a row of it).
fn rows_taken(text: &str, cols: usize) -> usize {
    text.split('\n').map(|line| line.chars().count().div_ceil(cols.max(1)).max(1)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_wrapped_lines_and_the_unfinished_last_one() {
        assert_eq!(rows_taken("abc", 80), 1);
        assert_eq!(rows_taken("abc\n", 80), 2, "the cursor is on the next row");
        assert_eq!(rows_taken(&"x".repeat(81), 80), 2);
        assert_eq!(rows_taken(&"x".repeat(80), 80), 1);
        assert_eq!(rows_taken("a\n\nb", 10), 3);
    }

    #[test]
    fn piped_text_waits_for_its_response_and_a_void_attempt_leaves_nothing() {
        use weft_llm::Usage;
        let mut a = Answer { out: Vec::new(), tty: false, pending: String::new(), format: Format::Text, all: String::new() };
        a.event(AgentEvent::Llm(Event::Text { index: 0, text: "cut off".into() }));
        a.event(AgentEvent::Llm(Event::Fallback { from: "a:x".into(), to: "b:y".into(), error: "lost".into() }));
        a.event(AgentEvent::Llm(Event::Text { index: 0, text: "answer".into() }));
        assert!(a.out.is_empty(), "nothing before the response is complete");
        a.event(AgentEvent::Usage { provider: "b".into(), model: "y".into(), usage: Usage::default() });
        assert_eq!(String::from_utf8(a.out).expect("utf8"), "answer");
    }

    #[test]
    fn on_a_terminal_a_void_attempt_is_erased() {

        let mut a = Answer { out: Vec::new(), tty: true, pending: String::new(), format: Format::Text, all: String::new() };
        a.event(AgentEvent::Llm(Event::Text { index: 0, text: "one\ntwo".into() }));
        a.event(AgentEvent::Llm(Event::Retry { attempt: 1, delay: std::time::Duration::ZERO, error: "lost".into() }));
        assert_eq!(String::from_utf8(a.out).expect("utf8"), "one\ntwo\x1b[1F\x1b[J");
    }
}
