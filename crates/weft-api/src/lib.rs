//! weft-api is the single API surface of Weft. The desktop shell (over Tauri IPC), the
//! headless `weft serve` (over WebSocket) and the CLI all call [`Api::call`] with the same
//! JSON requests and get the same JSON results, error codes and stream frames, so the UI's
//! two backends differ only in transport.
//!
//! It owns the open workspace and its watcher, settings, recent folders and per-workspace
//! session state (open tabs). It knows nothing of Tauri or of any wire format.

mod agent;
mod api;
mod checkpoints;
mod collab;
mod docs;
mod dto;
mod env;
mod error;
mod paths;
mod run;
mod settings;
mod startup;
mod stream;
mod syntax;
mod usage;
pub mod wire;

pub use agent::{builder as agent_builder, llm_client, policy as agent_policy, providers as agent_providers, route as agent_route, task_route};
pub use agent::{record_turn, suggest_commit_message, thread_store, CommitMessage, TurnFacts};
pub use agent::{AgentFrame, AgentThread, KeySource, ProviderStatus, ReviewAction, ThreadSummary, TurnOptions, TurnRecord};
pub use api::{method_results, Api, Method, MethodResult, Request, Shell, GUEST_METHODS};
pub use collab::CollabEvent;
pub use docs::{DocConflict, DocEvent, DocInfo, DocSaved};
pub use settings::load as load_settings;
pub use usage::{ledger_path, meter as usage_meter, prices_path, Books, Spent};
pub use weft_usage::csv::{read as usage_csv_read, write as usage_csv};
pub use weft_usage::{Group, Record as UsageRecord, Totals, UsageSummary};
pub use checkpoints::open_store;
pub use weft_store::{ChangeStatus, Checkpoint, Created, FailedFile, FileChange, GcReport, Origin, RestorePlan, RestoreReport, Skipped, Summary};
pub use dto::*;
pub use error::{ApiError, ErrorCode};
pub use paths::{init_logging, import_login_env, launch_folder, AppPaths};
pub use env::{parse_dotenv, EnvVar, ProjectEnv};
pub use run::{PortInfo, RunEvent, RunInfo, RunSnapshot};
pub use settings::Settings;
pub use stream::{Bytes, Json, Stream, StreamFrame, StreamSink};
pub use syntax::{Analysis, IndexProgress};
pub use weft_syntax::{Change, Diagnostic, IndexStats, Lang, RepoMap, Span, Symbol, SymbolHit};
