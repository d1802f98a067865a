//! Weft's coding agent.
//!
//! Owns: the turn loop over a [`weft_llm::Client`]; the workspace tools (list, read,
//! search, outline, repo map, edit, write, rename, delete, run commands in a real PTY,
//! foreground or background); the permission rules and approval requests; the checkpoint
//! before a turn's first change; cancellation that kills a running command and leaves no
//! file half written; the review of a turn's changes, hunk by hunk.
//!
//! Also: threads as they are saved ([`ThreadStore`]), their titles and Markdown, commit
//! messages, and the [`Builder`] the app and the CLI both assemble an agent with.
//!
//! Does not own: how approvals are shown (an [`Approver`] answers them), where the thread
//! folder is, settings, prices and budgets, or anything of Tauri.

mod agent;
mod builder;
pub mod command;
pub mod commit;
pub mod context;
pub mod instructions;
pub mod permissions;
pub mod prompts;
pub mod review;
pub mod shell;
pub mod threads;
pub mod tools;

pub use agent::{summary, Agent, AgentConfig, AgentEvent, Approval, ApprovalRequest, Approver, Prompt, Spending, Thread, TurnEnd, TurnOutcome, DEFAULT_SYSTEM};
pub use builder::{BuildError, Builder};
pub use context::Mention;
pub use threads::{AgentThread, ThreadError, ThreadStore, ThreadSummary, TurnRecord};
pub use permissions::{Decision, Policy, Rule};
pub use review::{FileReview, FileStatus, Hunk, Review};
pub use tools::{CodeIntel, EditLog, ExtraTools, OpenFiles, Outcome, Preview, PreviewShot, Toolbox};
