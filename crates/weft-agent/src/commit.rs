//! Commit messages: the diff a message describes (what is staged, else what is changed)
//! and the request that writes it, on the books like every other model call.

use std::path::Path;

use weft_llm::{Client, LlmError, Message, ModelRef};

use crate::Spending;

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("{0}")]
    NotGit(String),
    #[error("there are no changes to describe (staged or not)")]
    NothingToCommit,
    #[error("{0}")]
    OverBudget(String),
    #[error(transparent)]
    Llm(#[from] LlmError),
}

/// A suggested message.
#[derive(Debug, Clone)]
pub struct Suggested {
    pub message: String,
    /// Whether it describes the staged changes (else the unstaged ones).
    pub staged: bool,
    /// `provider:model` that wrote it.
    pub model: String,
}

/// The diff a commit message describes: what is staged, else what is changed. Blocks on git.
pub fn diff(root: &Path) -> Result<(String, bool), CommitError> {
    // A repository's config and attributes can name programs (fsmonitor on every index
    // refresh, textconv and external diffs on every diff, hooks); written by an agent or
    // cloned, they are not the user's to run from a button: none of them run here.
    let git = |args: &[&str]| {
        let mut cmd = weft_pty::process::background_command("git");
        cmd.arg("-C").arg(root).args(["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "diff.external=", "-c", "core.pager=cat"]).args(args);
        cmd.env_remove("GIT_EXTERNAL_DIFF");
        cmd.output().map_err(|e| CommitError::NotGit(format!("git could not run: {e}")))
    };
    let probe = git(&["rev-parse", "--is-inside-work-tree"])?;
    if !probe.status.success() {
        return Err(CommitError::NotGit("this folder is not a git repository".into()));
    }
    for (staged, args) in [(true, &["diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv", "--stat", "--patch"][..]), (false, &["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--stat", "--patch"][..])] {
        let out = git(args)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !text.trim().is_empty() {
            return Ok((text, staged));
        }
    }
    Err(CommitError::NothingToCommit)
}

/// Asks `chain` (the first model, then its fallbacks) for a message describing `diff`.
pub async fn suggest(client: &Client, chain: &[ModelRef], books: &dyn Spending, diff: &str, staged: bool) -> Result<Suggested, CommitError> {
    // Long diffs are cut: the stat at the top still names every file.
    let diff: String = diff.chars().take(60_000).collect();
    let req = weft_llm::Request {
        system: "Write a git commit message for the diff the user sends: a subject line of at most 72 characters in the imperative mood, then a blank line and a short body that says why, wrapped at 72 columns. Reply with the message only.".into(),
        messages: vec![Message::user(diff)],
        max_tokens: 400,
        ..weft_llm::Request::default()
    };
    let first = chain.first().ok_or_else(|| CommitError::Llm(LlmError::UnknownProvider("(no model)".into())))?;
    if let Some(reason) = books.before("commitMessage", first, (req.messages[0].text().len() / 4) as u64, req.max_tokens) {
        return Err(CommitError::OverBudget(reason));
    }
    let resp = client.stream(chain, &req, &mut |e| crate::agent::record_failure(Some(books), "commitMessage", &e)).await?;
    books.after("commitMessage", &resp);
    let message = resp.message.text().trim().trim_matches('`').trim().to_owned();
    Ok(Suggested { message, staged, model: format!("{}:{}", resp.provider, resp.model) })
}
