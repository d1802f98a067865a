//! `weft`: the one command users meet. `weft [PATH]` starts the desktop app on a folder
//! (like `code .` or `zed .`, it launches the GUI binary and returns); every other
//! subcommand is headless and never needs a display.

mod agent;
mod checkpoint;
mod env;
mod collab;
mod launch;
mod project;
mod usage;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "weft", version, about = "Weft: a light, collaborative IDE")]
struct Cli {
    /// Folder to open in the desktop app (default: the current folder).
    path: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Weft UI to a browser on this machine, with an access token in the URL.
    Serve {
        /// Folder to serve (default: the current folder).
        path: Option<PathBuf>,
        /// Port on 127.0.0.1 (default: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Directory of the built UI (default: found next to the binary or in the source tree).
        #[arg(long, env = "WEFT_UI_DIR")]
        ui: Option<PathBuf>,
        /// Use this token instead of a random one (for scripts; keep it secret).
        #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Run the coding agent on a prompt in a folder; approvals are asked on stdin.
    Agent {
        /// What to do, e.g. "make the failing test pass"; none (or `-`): read from stdin
        /// (approvals then cannot be answered there: use --allow).
        prompt: Option<String>,
        /// The workspace folder (default: the current folder).
        #[arg(short = 'C', long, default_value = ".")]
        workspace: PathBuf,
        /// provider:model; repeat for fallbacks (default: Anthropic, OpenAI or Gemini,
        /// the first with a key). Local: ollama:MODEL or lmstudio:MODEL.
        #[arg(short, long = "model")]
        models: Vec<String>,
        /// Commands to run without asking; `*` is a wildcard ("cargo test*"). Repeatable.
        #[arg(long)]
        allow: Vec<String>,
        /// Model calls before giving up.
        #[arg(long, visible_alias = "max-turns", default_value_t = 50)]
        max_steps: u32,
        /// text: the answer on stdout; json: one result object at the end; stream-json: one
        /// JSON event per line (text, tool calls and results, usage, cost, the result).
        #[arg(long, value_parser = ["text", "json", "stream-json"], default_value = "text")]
        output_format: String,
        /// Added to the system prompt for this run.
        #[arg(long)]
        system_prompt_append: Option<String>,
        /// An image (PNG, JPEG, GIF, WebP) to send with the prompt; repeatable.
        #[arg(long = "image", value_name = "FILE")]
        images: Vec<PathBuf>,
        /// Go on with a saved thread (its id: `weft agent threads`).
        #[arg(long, conflicts_with = "continue_last")]
        resume: Option<String>,
        /// Go on with this folder's most recent thread.
        #[arg(long = "continue", id = "continue_last")]
        continue_last: bool,
        /// With `weft agent threads`: the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What the AI has cost: totals, by day, model, workspace, thread and task.
    Usage {
        /// The last N days (0: all time).
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Print the ledger's rows as CSV.
        #[arg(long)]
        csv: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        cmd: Option<usage::Cmd>,
    },
    /// Suggest a commit message for the staged git changes (else the unstaged ones).
    CommitMessage {
        /// The repository (default: the current folder).
        #[arg(short = 'C', long, default_value = ".")]
        workspace: PathBuf,
    },
    /// Peer collaboration without a window.
    Collab {
        #[command(subcommand)]
        cmd: CollabCmd,
    },
    /// Checkpoints of a folder: create, list, show, diff, restore, delete.
    Checkpoint {
        /// The workspace folder (default: the current folder).
        #[arg(short = 'C', long, global = true, default_value = ".")]
        workspace: PathBuf,
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        cmd: checkpoint::Cmd,
    },
    /// A new project from a template: `weft new vite-react-ts my-app` (`--list` for the gallery).
    New {
        /// The template's id (see --list).
        template: Option<String>,
        /// The new folder (it must not exist, or be empty).
        dir: Option<PathBuf>,
        /// List the templates.
        #[arg(long)]
        list: bool,
    },
    /// Clone a git repository into a new folder (default: the repository's name).
    Clone { url: String, dir: Option<PathBuf> },
    /// Unpack a .zip, .tar, .tar.gz or .tgz into a new folder (default: the archive's name).
    Import { archive: PathBuf, dir: Option<PathBuf> },
    /// A folder's variables and secrets (given to its runs, terminals and the agent).
    Env {
        /// The workspace folder (default: the current folder).
        #[arg(short = 'C', long, global = true, default_value = ".")]
        workspace: PathBuf,
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        cmd: env::Cmd,
    },
}

#[derive(Subcommand)]
enum CollabCmd {
    /// Share a folder: every file that is not ignored is a room any Yjs client can join
    /// (`file/<path>`, its text the Y.Text `content`), with the printed guest tokens.
    Host {
        /// Folder to share (default: the current folder).
        path: Option<PathBuf>,
        /// Port on 127.0.0.1 (default: any free port). Give one for an always-on host, so
        /// guests find it again after a restart.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Serve plain ws:// on 127.0.0.1 only (for local tools), instead of TLS on the
        /// network.
        #[arg(long)]
        local: bool,
        /// The host name or address to put in invite links (default: this machine's
        /// address on its network).
        #[arg(long)]
        address: Option<String>,
        /// A guest to invite: NAME, or NAME:ro for read-only. Repeatable. Guests invited
        /// before (same folder) keep their tokens.
        #[arg(long = "guest")]
        guests: Vec<String>,
    },
}

/// The headless commands that open a folder through the API do every request it has.
const SHELL: weft_api::Shell = weft_api::Shell { name: "weft", unsupported: &[] };

fn main() -> std::process::ExitCode {
    // A person reads these: the error and its causes, no backtrace.
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("weft: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = weft_api::AppPaths::from_env();
    match cli.command {
        None => launch::desktop(cli.path.unwrap_or_else(|| PathBuf::from("."))),
        Some(Command::Serve { path, port, ui, token }) => {
            let _guard = weft_api::init_logging(&paths, "serve");
            let root = path.unwrap_or_else(|| PathBuf::from("."));
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(weft_server::run(weft_server::Options { root, port, ui, token, paths }))
        }
        Some(Command::Agent { prompt, workspace, json, .. }) if prompt.as_deref() == Some("threads") => agent::list_threads(&paths, &workspace, json),
        Some(Command::Agent { prompt, workspace, models, allow, max_steps, output_format, system_prompt_append, images, resume, continue_last, json: _ }) => {
            let _guard = weft_api::init_logging(&paths, "agent");
            let format = match output_format.as_str() {
                "json" => agent::Format::Json,
                "stream-json" => agent::Format::StreamJson,
                _ => agent::Format::Text,
            };
            let code = agent::run(&paths, agent::Args { prompt, workspace, models, allow, max_steps, format, system_append: system_prompt_append, images, resume, continue_last })?;
            if code != std::process::ExitCode::SUCCESS {
                std::process::exit(if code == std::process::ExitCode::from(130) { 130 } else { 1 });
            }
            Ok(())
        }
        Some(Command::Collab { cmd: CollabCmd::Host { path, port, local, address, guests } }) => {
            let _guard = weft_api::init_logging(&paths, "collab");
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let api = weft_api::Api::new(SHELL, paths);
            runtime.block_on(collab::host(api, collab::Args { path: path.unwrap_or_else(|| PathBuf::from(".")), port, local, address, guests }))
        }
        Some(Command::CommitMessage { workspace }) => {
            let _guard = weft_api::init_logging(&paths, "agent");
            let root = dunce::canonicalize(&workspace).with_context(|| format!("{} is not a folder", workspace.display()))?;
            let (settings, _) = weft_api::load_settings(&paths.settings_file());
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let m = runtime.block_on(weft_api::suggest_commit_message(&paths, &settings, &root)).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            eprintln!("({} changes, by {})", if m.staged { "staged" } else { "unstaged" }, m.model);
            println!("{}", m.message);
            Ok(())
        }
        Some(Command::Usage { days, csv, json, cmd }) => usage::run(&paths, usage::Args { days, csv, json, cmd }),
        Some(Command::Checkpoint { workspace, json, cmd }) => checkpoint::run(&paths, checkpoint::Args { workspace, json, cmd }),
        Some(Command::Env { workspace, json, cmd }) => env::run(&paths, env::Args { workspace, json, cmd }),
        Some(Command::New { list: true, .. }) => {
            project::list(&paths);
            Ok(())
        }
        Some(Command::New { template: Some(t), dir: Some(d), .. }) => project::new(&paths, &t, &d),
        Some(Command::New { .. }) => anyhow::bail!("usage: weft new TEMPLATE DIR (weft new --list shows the templates)"),
        Some(Command::Clone { url, dir }) => project::clone(&url, dir),
        Some(Command::Import { archive, dir }) => project::import(&archive, dir),
    }
}
