//! Code intelligence on tree-sitter, with no knowledge of Tauri or the UI: which language
//! a file is, a [`Document`] that follows the editor's edits and reparses incrementally,
//! its outline, folds and syntax errors, a workspace [`SymbolIndex`] and a [`repo_map`].

mod doc;
mod index;
mod lang;
pub mod outline;
mod repomap;
mod text;

pub use doc::{Change, Diagnostic, Document, Span};
pub mod cache;
pub use cache::IndexCache;
pub use index::{IndexStats, IndexedFile, SymbolHit, SymbolIndex};
pub use lang::Lang;
pub use outline::Symbol;
pub use repomap::{repo_map, RepoMap};

#[derive(Debug, thiserror::Error)]
pub enum SyntaxError {
    #[error("the grammar could not be loaded: {0}")]
    Grammar(String),
    #[error("the parser gave no tree")]
    ParseFailed,
    #[error("edit out of step with the document: {0}")]
    BadEdit(String),
}
