//! User settings: one JSON file in the OS config directory. Unknown keys are kept when the
//! app writes the file back (the user's file is theirs); a malformed file is never
//! overwritten: defaults apply and the error is shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// "dark" or "light".
    pub theme: String,
    pub font_family: String,
    pub font_size: u32,
    pub tab_size: u32,
    pub insert_spaces: bool,
    pub vim_mode: bool,
    pub word_wrap: bool,
    /// Files above this many MiB open read-only without highlighting.
    pub large_file_mb: u32,
    /// Reopen the tabs that were open when a folder is opened again.
    pub restore_tabs: bool,
    /// Check for a new version of the desktop app once after start (it is never installed
    /// without asking; "Check for Updates…" works either way).
    pub update_check: bool,
    /// "auto" (DOM on Linux's WebKitGTK, where WebGL lags while typing; WebGL elsewhere),
    /// "dom" or "webgl".
    pub terminal_renderer: String,
    /// The program (and its arguments) new terminals run; empty: the user's shell ($SHELL,
    /// else the account's) on macOS and Linux, PowerShell on Windows (pwsh when installed).
    pub terminal_shell: Vec<String>,
    /// New terminals get the project's environment (its variables and secrets).
    pub terminal_project_env: bool,
    /// Take a checkpoint when the workspace has been quiet for `checkpointQuietMs` after
    /// changes from any source (editor, terminal, other programs).
    pub checkpoint_auto: bool,
    pub checkpoint_quiet_ms: u32,
    /// Gitignore-style patterns left out of checkpoints on top of .gitignore.
    pub checkpoint_ignore: Vec<String>,
    /// Files above this many MiB are left out of checkpoints (and listed as skipped).
    pub checkpoint_max_file_mb: u32,
    /// Automatic checkpoints older than this many days, or beyond the newest
    /// `checkpointKeepMax`, are removed; manual ones stay until deleted.
    pub checkpoint_keep_days: u32,
    pub checkpoint_keep_max: u32,
    /// The agent's model as "provider:model" (e.g. "anthropic:claude-sonnet-4-5",
    /// "ollama:qwen2.5-coder:7b"); empty: the first cloud provider with a key.
    pub agent_model: String,
    /// Tried in order when the model is overloaded or down.
    pub agent_fallback_models: Vec<String>,
    /// The models offered in the agent panel's picker.
    pub agent_models: Vec<String>,
    /// Provider name -> base URL, over the environment and the defaults
    /// (anthropic, openai, gemini, ollama, lmstudio; any other name is an OpenAI-compatible
    /// server); for bedrock, an endpoint over the region's (a VPC endpoint).
    #[ts(type = "Record<string, string>")]
    pub agent_base_urls: std::collections::BTreeMap<String, String>,
    /// Amazon Bedrock's region (empty: AWS_REGION, then the AWS profile's region).
    pub bedrock_region: String,
    /// The AWS profile Bedrock's credentials come from (empty: AWS_PROFILE, else `default`);
    /// SSO profiles work once `aws sso login` has run.
    pub bedrock_profile: String,
    /// Tool name -> "allow", "ask" or "deny", over the defaults (reads and edits allowed,
    /// commands asked).
    #[ts(type = "Record<string, string>")]
    pub agent_tools: std::collections::BTreeMap<String, String>,
    /// Command patterns run without asking (`*` matches anything: "cargo test*").
    pub agent_allow_commands: Vec<String>,
    /// Command patterns never run.
    pub agent_deny_commands: Vec<String>,
    /// Variables set for the commands the agent runs, on top of Weft's own environment
    /// (a scratch `HOME` for a sandboxed run, a project's tool paths).
    #[ts(type = "Record<string, string>")]
    pub agent_env: std::collections::BTreeMap<String, String>,
    /// Model calls per turn before the agent gives up.
    pub agent_max_steps: u32,
    /// Tokens of repo map in the agent's system prompt (0: none).
    pub agent_repo_map_tokens: u32,
    /// The conversation's share of the model's window in tokens: above it, older turns are
    /// summarised (0: never). Lower it for local models with small windows.
    pub agent_context_tokens: u32,
    /// Task kind ("summary", "title") -> the model that does it, typically a cheap one;
    /// the agent's model (and its fallbacks) backs it up. Agent turns use `agentModel`.
    #[ts(type = "Record<string, string>")]
    pub task_models: std::collections::BTreeMap<String, String>,
    /// Hard caps in US dollars (0: none). Before a request that would pass one, the agent
    /// stops and asks.
    pub budget_thread_usd: f64,
    pub budget_day_usd: f64,
    pub budget_month_usd: f64,
    /// Percent of a cap at which you are told, once per period (0: never).
    pub budget_alert_percent: u32,
    /// Command id -> its key, over the defaults (the command palette lists ids and keys):
    /// `"view.toggleSidebar": "Mod-Alt-b"`; `""` takes a command's key away. `Mod` is Ctrl,
    /// or Cmd on macOS.
    #[ts(type = "Record<string, string>")]
    pub keybindings: std::collections::BTreeMap<String, String>,
    /// Language servers of your own, tried before the built-in ones for their languages:
    /// `[{"name": "ruff", "command": "ruff", "args": ["server"], "languages": ["python"]}]`
    /// (also `initializationOptions`, `settings` — what the server reads with
    /// `workspace/configuration`, `{"gopls": {"staticcheck": true}}` — and `installHint`
    /// shown when it is missing).
    #[ts(type = "Array<{ name: string, command: string, args?: string[], languages: string[], initializationOptions?: unknown, settings?: unknown, installHint?: string }>")]
    pub language_servers: Vec<weft_lsp::ServerSpec>,
    /// Pull rebases your local commits on top of the remote's (else it merges).
    pub git_pull_rebase: bool,
    /// Saving a file first formats it with its language server (when one runs for it).
    pub format_on_save: bool,
    /// Language servers' inlay hints in the code: parameter names before arguments,
    /// inferred types after names.
    pub inlay_hints: bool,
    /// Names coloured by what the language server knows them to be (a parameter, a
    /// readonly variable, a type), over the syntax colours.
    pub semantic_highlighting: bool,
    /// Saving a file reloads the preview (not when its dev server updates the page itself).
    pub preview_reload_on_save: bool,
    /// Your own MCP servers, for every folder, in the `mcpServers` format of `.mcp.json`:
    /// `{"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]},
    /// "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {…}}}`.
    #[ts(type = "Record<string, { command?: string, args?: string[], env?: Record<string, string>, type?: string, url?: string, headers?: Record<string, string> }>")]
    pub mcp_servers: serde_json::Value,
    /// How long an MCP tool call may take before the agent is told it timed out.
    pub mcp_tool_timeout_secs: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: "dark".into(),
            font_family: default_font().into(),
            font_size: 14,
            tab_size: 4,
            insert_spaces: true,
            vim_mode: false,
            word_wrap: false,
            large_file_mb: 20,
            restore_tabs: true,
            update_check: true,
            terminal_renderer: "auto".into(),
            terminal_shell: Vec::new(),
            terminal_project_env: true,
            checkpoint_auto: true,
            checkpoint_quiet_ms: 1500,
            // .env files hold secrets: not copied into checkpoints (their examples are).
            checkpoint_ignore: vec!["node_modules/".into(), ".env".into(), ".env.*".into(), "!.env.example".into()],
            checkpoint_max_file_mb: 10,
            checkpoint_keep_days: 14,
            checkpoint_keep_max: 500,
            agent_model: String::new(),
            agent_fallback_models: Vec::new(),
            bedrock_region: String::new(),
            bedrock_profile: String::new(),
            agent_models: [
                "anthropic:claude-sonnet-4-5",
                "anthropic:claude-opus-4-1",
                "anthropic:claude-haiku-4-5",
                "openai:gpt-4.1",
                "openai:gpt-4.1-mini",
                "gemini:gemini-2.5-pro",
                "gemini:gemini-2.5-flash",
                "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "ollama:qwen2.5-coder:7b",
            ]
                .map(String::from)
                .to_vec(),
            agent_base_urls: Default::default(),
            agent_tools: Default::default(),
            agent_allow_commands: Vec::new(),
            agent_deny_commands: Vec::new(),
            agent_env: Default::default(),
            agent_max_steps: 50,
            agent_repo_map_tokens: 1024,
            agent_context_tokens: 100_000,
            task_models: Default::default(),
            budget_thread_usd: 0.0,
            budget_day_usd: 0.0,
            budget_month_usd: 0.0,
            budget_alert_percent: 80,
            keybindings: Default::default(),
            language_servers: Vec::new(),
            git_pull_rebase: false,
            format_on_save: false,
            inlay_hints: false,
            semantic_highlighting: true,
            preview_reload_on_save: true,
            mcp_servers: serde_json::json!({}),
            mcp_tool_timeout_secs: 120,
        }
    }
}

/// One family the platform ships, then the generic name: each family the system lacks
/// costs a font lookup on first render.
fn default_font() -> &'static str {
    if cfg!(target_os = "macos") {
        "Menlo, monospace"
    } else if cfg!(windows) {
        "Consolas, monospace"
    } else {
        "monospace"
    }
}

impl Settings {
    /// The `mcpServers` setting's servers.
    pub fn mcp_servers(&self) -> weft_mcp::config::Servers {
        weft_mcp::config::parse(&serde_json::json!({ "mcpServers": self.mcp_servers }), weft_mcp::Source::User)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.theme != "dark" && self.theme != "light" {
            return Err(format!("theme must be \"dark\" or \"light\", not {:?}", self.theme));
        }
        if !(6..=72).contains(&self.font_size) {
            return Err(format!("fontSize must be between 6 and 72, not {}", self.font_size));
        }
        if !(1..=16).contains(&self.tab_size) {
            return Err(format!("tabSize must be between 1 and 16, not {}", self.tab_size));
        }
        if !["auto", "dom", "webgl"].contains(&self.terminal_renderer.as_str()) {
            return Err(format!("terminalRenderer must be \"auto\", \"dom\" or \"webgl\", not {:?}", self.terminal_renderer));
        }
        if self.checkpoint_quiet_ms < 100 {
            return Err(format!("checkpointQuietMs must be at least 100, not {}", self.checkpoint_quiet_ms));
        }
        if self.checkpoint_max_file_mb == 0 || self.checkpoint_keep_max == 0 {
            return Err("checkpointMaxFileMb and checkpointKeepMax must be at least 1".into());
        }
        if !self.mcp_servers.is_object() {
            return Err("mcpServers must be an object of servers by name".into());
        }
        for (name, server) in self.mcp_servers() {
            if let Err(e) = server {
                return Err(format!("mcpServers.{name}: {e}"));
            }
        }
        if self.mcp_tool_timeout_secs == 0 {
            return Err("mcpToolTimeoutSecs must be at least 1".into());
        }
        for (tool, rule) in &self.agent_tools {
            if !["allow", "ask", "deny"].contains(&rule.as_str()) {
                return Err(format!("agentTools.{tool} must be \"allow\", \"ask\" or \"deny\", not {rule:?}"));
            }
        }
        for m in std::iter::once(&self.agent_model).filter(|m| !m.is_empty()).chain(&self.agent_fallback_models).chain(&self.agent_models) {
            if !m.contains(':') {
                return Err(format!("{m:?} is not a model: write it as provider:model, e.g. anthropic:claude-sonnet-4-5"));
            }
        }
        for (task, m) in &self.task_models {
            if !m.contains(':') {
                return Err(format!("taskModels.{task}: {m:?} is not a model: write it as provider:model"));
            }
        }
        for (name, v) in [("budgetThreadUsd", self.budget_thread_usd), ("budgetDayUsd", self.budget_day_usd), ("budgetMonthUsd", self.budget_month_usd)] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} must be a number of dollars, 0 for no cap; not {v}"));
            }
        }
        if self.budget_alert_percent > 100 {
            return Err(format!("budgetAlertPercent must be between 0 and 100, not {}", self.budget_alert_percent));
        }
        if self.agent_max_steps == 0 {
            return Err("agentMaxSteps must be at least 1".into());
        }
        if self.large_file_mb == 0 {
            return Err("largeFileMb must be at least 1".into());
        }
        for (command, key) in &self.keybindings {
            if !key.is_empty() && !valid_key(key) {
                return Err(format!("keybindings.{command}: {key:?} is not a key; write it like \"Mod-Shift-p\" (modifiers Mod, Ctrl, Alt, Shift, then one key)"));
            }
        }
        Ok(())
    }
}

/// `Mod-Shift-p`, `Ctrl-\\`, `Alt-F8`: modifiers, then one key.
fn valid_key(key: &str) -> bool {
    // The key itself may be "-" (as in "Mod--").
    let (mods, last) = match key.strip_suffix("--") {
        Some(rest) => (rest, "-"),
        None => match key.rsplit_once('-') {
            Some((m, k)) => (m, k),
            None => ("", key),
        },
    };
    !last.is_empty() && (mods.is_empty() || mods.split('-').all(|m| ["Mod", "Ctrl", "Cmd", "Meta", "Alt", "Shift"].contains(&m)))
}

/// The settings file as the user left it: defaults (and the reason) when it is missing or
/// malformed. Shared by the app and the command line.
pub fn load(path: &std::path::Path) -> (Settings, Option<String>) {
    match std::fs::read_to_string(path) {
        Err(_) => (Settings::default(), None),
        Ok(text) => match parse(&text) {
            Ok(s) => (s, None),
            Err(e) => (Settings::default(), Some(e)),
        },
    }
}

pub fn parse(text: &str) -> Result<Settings, String> {
    let s: Settings = serde_json::from_str(text).map_err(|e| format!("settings.json: {e}"))?;
    s.validate().map_err(|e| format!("settings.json: {e}"))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keybindings_name_modifiers_then_one_key() {
        for ok in ["Mod-Shift-p", "Ctrl-\\", "Alt-F8", "Mod--", "F2", "Mod-`"] {
            assert!(valid_key(ok), "{ok}");
        }
        for bad in ["Mod-", "Hyper-x", "Mod-Shift-", "Shift--x"] {
            assert!(!valid_key(bad), "{bad}");
        }
        let s = Settings { keybindings: [("view.toggleSidebar".to_owned(), "Super-b".to_owned())].into(), ..Settings::default() };
        assert!(s.validate().expect_err("bad key").contains("keybindings.view.toggleSidebar"));
    }
}
