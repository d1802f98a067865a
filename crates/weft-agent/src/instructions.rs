//! What the project and the user tell the agent, read into its system prompt at the start
//! of each turn: the project's `AGENTS.md` (the cross-tool convention), `CLAUDE.md` and
//! `.weft/instructions.md` at the folder's root, and the user's own file in Weft's config
//! folder. Each file found is named in the turn, so the user sees what the agent was told.

use std::path::Path;

/// The project's instruction files, relative to the folder's root, in the order read.
pub const PROJECT_FILES: [&str; 3] = ["AGENTS.md", "CLAUDE.md", ".weft/instructions.md"];

/// More than this of one file is cut (a file of this size is not instructions).
const MAX_BYTES: usize = 64 * 1024;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Instructions {
    /// What was read: the project's files by their relative path, the user's as `~user`.
    pub files: Vec<String>,
    /// For the system prompt (empty when nothing was found).
    pub text: String,
}

/// The name the user's own file is listed under.
pub const USER_FILE: &str = "your instructions";

/// Reads the instruction files under `root` and the user's `user` file. A file that is
/// missing, empty, a folder or unreadable is skipped; one that is not UTF-8 is read lossily.
pub fn gather(root: &Path, user: Option<&Path>) -> Instructions {
    let mut out = Instructions::default();
    let mut add = |name: &str, path: &Path| {
        let Ok(bytes) = std::fs::read(path) else { return };
        let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_BYTES)]).into_owned();
        if bytes.len() > MAX_BYTES {
            text.push_str("\n[… the rest of this file was cut]");
        }
        if text.trim().is_empty() {
            return;
        }
        out.text.push_str(&format!("\n\n<instructions from=\"{name}\">\n{}\n</instructions>", text.trim()));
        out.files.push(name.to_owned());
    };
    for rel in PROJECT_FILES {
        add(rel, &root.join(rel));
    }
    if let Some(user) = user {
        add(USER_FILE, user);
    }
    if !out.text.is_empty() {
        out.text = format!(
            "\n\nThe project and the user gave these instructions; follow them unless the user's request says otherwise.{}",
            out.text
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projects_files_then_the_users_each_named_and_skipped_when_absent_or_empty() {
        let root = tempfile::tempdir().expect("tmp");
        let user = tempfile::tempdir().expect("tmp");
        assert_eq!(gather(root.path(), Some(&user.path().join("instructions.md"))), Instructions::default());
        std::fs::write(root.path().join("AGENTS.md"), "Run `make check` before you finish.\n").expect("write");
        std::fs::write(root.path().join("CLAUDE.md"), "  \n").expect("write");
        std::fs::create_dir(root.path().join(".weft")).expect("mkdir");
        std::fs::write(root.path().join(".weft/instructions.md"), [b"Tabs, not spaces. \xff".as_slice()].concat()).expect("write");
        std::fs::write(user.path().join("instructions.md"), "Answer briefly.").expect("write");
        let got = gather(root.path(), Some(&user.path().join("instructions.md")));
        assert_eq!(got.files, vec!["AGENTS.md", ".weft/instructions.md", USER_FILE]);
        let (a, w, u) = (got.text.find("make check").expect("agents"), got.text.find("Tabs, not spaces").expect("weft"), got.text.find("Answer briefly").expect("user"));
        assert!(a < w && w < u, "in order: {}", got.text);
        std::fs::write(root.path().join("AGENTS.md"), "x".repeat(MAX_BYTES + 10)).expect("write");
        assert!(gather(root.path(), None).text.contains("the rest of this file was cut"));
    }
}
