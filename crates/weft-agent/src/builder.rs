//! One way to put an agent together, shared by the app, `weft serve` and the CLI: a client
//! whose providers cover the route, the rules, the limits, the books, the commands'
//! environment and (in the app) the editor's open documents. weft-api turns settings into a
//! [`Builder`]; each caller adds what is its own (the approver, the books' reporting).

use std::sync::Arc;

use weft_fs::Workspace;
use weft_llm::{Client, ModelRef};
use weft_store::Store;

use crate::command::Commands;
use crate::{Agent, AgentConfig, Approver, OpenFiles, Policy, Spending, Toolbox};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no model to run")]
    NoModel,
    #[error("{model}: no provider named {provider:?}")]
    UnknownProvider { model: String, provider: String },
}

pub struct Builder {
    client: Arc<Client>,
    /// The route, the limits, the system prompt.
    pub config: AgentConfig,
    pub policy: Policy,
    /// Variables the agent's commands get on top of the (secret-free) environment.
    pub env: Vec<(String, String)>,
    /// Values never shown to the model: masked in every tool result (the project's secrets).
    pub secrets: Vec<String>,
    spending: Option<Arc<dyn Spending>>,
    open_files: Option<Arc<dyn OpenFiles>>,
    code_intel: Option<Arc<dyn crate::tools::CodeIntel>>,
    extra_tools: Option<Arc<dyn crate::tools::ExtraTools>>,
    preview: Option<Arc<dyn crate::tools::Preview>>,
    edit_log: Option<Arc<dyn crate::tools::EditLog>>,
    terminals: Option<(Arc<weft_pty::Terminals>, Option<crate::command::OnSpawn>)>,
}

impl Builder {
    /// Fails when the route is empty or names a provider the client does not have: a turn
    /// would only fail later, after the checkpoint and the first prompt.
    pub fn new(client: Client, route: Vec<ModelRef>) -> Result<Self, BuildError> {
        if route.is_empty() {
            return Err(BuildError::NoModel);
        }
        if let Some(m) = route.iter().find(|m| client.provider(&m.provider).is_none()) {
            return Err(BuildError::UnknownProvider { model: m.to_string(), provider: m.provider.clone() });
        }
        Ok(Builder { client: Arc::new(client), config: AgentConfig::new(route), policy: Policy::default(), env: vec![], secrets: vec![], spending: None, open_files: None, code_intel: None, extra_tools: None, preview: None, edit_log: None, terminals: None })
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The first model of the route.
    pub fn model(&self) -> &ModelRef {
        &self.config.route[0]
    }

    pub fn spending(mut self, books: Arc<dyn Spending>) -> Self {
        self.spending = Some(books);
        self
    }

    /// The language servers the edit tools ask for diagnostics, and the definition tool.
    pub fn code_intel(mut self, intel: Arc<dyn crate::tools::CodeIntel>) -> Self {
        self.code_intel = Some(intel);
        self
    }

    /// The agent reads and edits these files in the editor's documents, not on disk.
    /// MCP servers' tools (`mcp__…`).
    pub fn extra_tools(mut self, extra: Arc<dyn crate::tools::ExtraTools>) -> Self {
        self.extra_tools = Some(extra);
        self
    }

    /// The app's preview, for the screenshot tool.
    pub fn preview(mut self, preview: Arc<dyn crate::tools::Preview>) -> Self {
        self.preview = Some(preview);
        self
    }

    /// Told of each file change the agent's tools make (reviews of other threads follow it).
    pub fn edit_log(mut self, log: Arc<dyn crate::tools::EditLog>) -> Self {
        self.edit_log = Some(log);
        self
    }

    pub fn open_files(mut self, open: Arc<dyn OpenFiles>) -> Self {
        self.open_files = Some(open);
        self
    }

    /// The agent's commands become terminals of this registry (the app's, so the user can
    /// watch them); `on_spawn` hears of each.
    pub fn terminals(mut self, terminals: Arc<weft_pty::Terminals>, on_spawn: Option<crate::command::OnSpawn>) -> Self {
        self.terminals = Some((terminals, on_spawn));
        self
    }

    pub fn build(self, ws: Arc<Workspace>, store: Option<Arc<Store>>, approver: Arc<dyn Approver>) -> Agent {
        let mut commands = Commands::with_env(self.env);
        if let Some((terminals, on_spawn)) = self.terminals {
            commands = commands.shared(terminals, on_spawn);
        }
        let mut toolbox = Toolbox::with_commands(ws, commands);
        if let Some(open) = self.open_files {
            toolbox = toolbox.with_open_files(open);
        }
        if let Some(intel) = self.code_intel {
            toolbox = toolbox.with_code_intel(intel);
        }
        if let Some(extra) = self.extra_tools {
            toolbox = toolbox.with_extra_tools(extra);
        }
        if let Some(preview) = self.preview {
            toolbox = toolbox.with_preview(preview);
        }
        if let Some(log) = self.edit_log {
            toolbox = toolbox.with_edit_log(log);
        }
        let agent = Agent::new(self.client, Arc::new(toolbox), store, self.policy, approver, self.config).with_secrets(self.secrets);
        match self.spending {
            Some(books) => agent.with_spending(books),
            None => agent,
        }
    }
}
