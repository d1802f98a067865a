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
    pub prompt: String,
    pub workspace: PathBuf,
    pub models: Vec<String>,
    pub allow: Vec<String>,
    pub max_steps: u32,
}

/// Asks on the terminal, one line per question; stdin is read on a blocking thread.
struct StdinApprover;

impl Approver for StdinApprover {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async move {
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
    if args.prompt.trim().is_empty() {
        bail!("the prompt is empty");
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
    let store = weft_api::open_store(paths, &root).context("opening the checkpoint store")?;
    let ws = Arc::new(weft_fs::Workspace::open(&root).context("opening the workspace")?);
    // The same ledger and budgets as the app: a script cannot spend past a cap unasked.
    let meter = weft_api::usage_meter(paths, &settings).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let books = weft_api::Books {
        meter,
        workspace: root.display().to_string(),
        thread: format!("cli-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
        baseline: builder.model().clone(),
        on_spent: Box::new(|c| {
            let priced = if c.priced { "" } else { " (model not in the price table)" };
            eprintln!("\n(${:.4} this request, ${:.4} this run, ${:.2} today{priced})", c.request_nanos as f64 / 1e9, c.thread_nanos as f64 / 1e9, c.today_nanos as f64 / 1e9);
        }),
    };
    let agent = builder.spending(Arc::new(books)).build(ws, Some(Arc::new(store)), Arc::new(StdinApprover));

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
        let mut thread = Thread::default();
        let mut out = std::io::stdout();
        let mut on = move |e: AgentEvent| print_event(&mut out, e);
        let turn = agent.run_turn(&mut thread, args.prompt.into(), &cancel, &mut on).await;
        println!();
        let u = thread.usage;
        eprintln!(
            "tokens: {} in, {} out, {} cache read, {} cache write",
            u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens
        );
        if let Some(id) = turn.checkpoint {
            eprintln!("checkpoint {id} was taken before the first change; undo with: weft checkpoint restore {id}");
        }
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

fn print_event(out: &mut std::io::Stdout, e: AgentEvent) {
    match e {
        AgentEvent::Llm(Event::Text { text, .. }) => {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        AgentEvent::Llm(Event::Retry { attempt, delay, error }) => {
            eprintln!("\n(retry {attempt} in {:.1} s: {error})", delay.as_secs_f64());
        }
        AgentEvent::Llm(Event::Fallback { from, to, error }) => eprintln!("\n({from} failed, trying {to}: {error})"),
        AgentEvent::ToolCall { name, input, .. } => eprintln!("\n→ {}", weft_agent::summary(&name, &input)),
        AgentEvent::BudgetAlert { message } => eprintln!("\n(budget: {message})"),
        AgentEvent::ToolResult { content, is_error, .. } => {
            eprintln!("  {} {}", if is_error { "✗" } else { "✓" }, first_line(&content));
        }
        _ => {}
    }
}
