//! What the project and the user tell the agent, read into its system prompt at the start
//! of each turn: the project's `AGENTS.md` (the cross-tool convention), `CLAUDE.md` and
//! `.weft/instructions.md` at the folder's root, and the user's own file in Weft's config
//! folder. The same files in a subfolder join when the agent first works on a file below
//! it that turn ([`nested`]: added to that tool's result, so the nearest come last and win).
//! Each file read is named in the turn, so the user sees what the agent was told. Also
//! today's date and the tooling the root shows ([`context_note`]).

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

/// The instruction files of the folders between the root (excluded: the system prompt has
/// it) and `rel`'s folder, outermost first, that `told` does not hold yet; each is added to
/// `told`. For a file tool's result.
pub fn nested(root: &Path, rel: &str, told: &mut std::collections::HashSet<String>) -> Instructions {
    let mut out = Instructions::default();
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.contains(&"..") {
        return out;
    }
    for depth in 1..parts.len() {
        let dir = parts[..depth].join("/");
        for file in PROJECT_FILES {
            let rel_file = format!("{dir}/{file}");
            if told.contains(&rel_file) {
                continue;
            }
            let Ok(bytes) = std::fs::read(root.join(&rel_file)) else { continue };
            told.insert(rel_file.clone());
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_BYTES)]);
            if text.trim().is_empty() {
                continue;
            }
            out.text.push_str(&format!("\n\n<instructions from=\"{rel_file}\">\n{}\n</instructions>", text.trim()));
            out.files.push(rel_file);
        }
    }
    if !out.text.is_empty() {
        out.text = format!("\n\nThis folder has instructions of its own; for its files they come before the project's.{}", out.text);
    }
    out
}

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

/// `/init`: what the agent is asked instead (a first AGENTS.md for the project).
pub const INIT_PROMPT: &str = "Write a first AGENTS.md at the root of this project, for AI coding agents (you and others) \
who will work here: what the project is, how it is laid out, how to build, run and test it (the exact commands, \
tried if you can), the code style and conventions you can see, and what a newcomer must not break. Look at the \
project first (list the root, read the README and the build files); keep it short and factual. If an AGENTS.md \
exists already, improve it instead.";

/// Build files that say which tools a project uses, and how they read in the prompt.
const TOOLING: [(&str, &str); 14] = [
    ("Cargo.toml", "Rust (cargo)"),
    ("package.json", "JavaScript/TypeScript (package.json)"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("pyproject.toml", "Python (pyproject.toml)"),
    ("requirements.txt", "Python (requirements.txt)"),
    ("go.mod", "Go (go modules)"),
    ("CMakeLists.txt", "CMake"),
    ("Makefile", "make"),
    ("pom.xml", "Java (Maven)"),
    ("build.gradle", "Gradle"),
    ("Gemfile", "Ruby (bundler)"),
    ("Dockerfile", "Docker"),
];

/// For the system prompt: today's date (the model's own idea of it is its training
/// cut-off) and the tooling the folder's root shows.
pub fn context_note(root: &Path, now: std::time::SystemTime) -> String {
    let mut note = format!("Today is {}.", time::OffsetDateTime::from(now).date());
    let found: Vec<&str> = TOOLING.iter().filter(|(file, _)| root.join(file).is_file()).map(|(_, what)| *what).collect();
    if !found.is_empty() {
        note.push_str(&format!(" The project's root shows: {}.", found.join(", ")));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subfolders_files_join_once_outermost_first() {
        let root = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(root.path().join("web/app")).expect("mkdir");
        std::fs::write(root.path().join("AGENTS.md"), "root rules").expect("write");
        std::fs::write(root.path().join("web/AGENTS.md"), "web rules").expect("write");
        std::fs::write(root.path().join("web/app/CLAUDE.md"), "app rules").expect("write");
        let mut told = std::collections::HashSet::new();
        assert_eq!(nested(root.path(), "top.rs", &mut told), Instructions::default(), "the root's are in the system prompt");
        let got = nested(root.path(), "web/app/page.tsx", &mut told);
        assert_eq!(got.files, vec!["web/AGENTS.md", "web/app/CLAUDE.md"]);
        assert!(got.text.find("web rules") < got.text.find("app rules"));
        assert_eq!(nested(root.path(), "web/app/other.tsx", &mut told), Instructions::default(), "once a turn");
        assert_eq!(nested(root.path(), "../web/x", &mut told), Instructions::default());
    }

    #[test]
    fn the_date_and_the_tooling_a_root_shows() {
        let root = tempfile::tempdir().expect("tmp");
        let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(context_note(root.path(), at(0)), "Today is 1970-01-01.");
        // 2024-02-29 (a leap day) and 2026-12-05.
        assert!(context_note(root.path(), at(1_709_164_800)).starts_with("Today is 2024-02-29."));
        assert!(context_note(root.path(), at(1_796_428_800)).starts_with("Today is 2026-12-05."));
        std::fs::write(root.path().join("Cargo.toml"), "[package]\n").expect("write");
        std::fs::write(root.path().join("package.json"), "{}").expect("write");
        std::fs::create_dir(root.path().join("Makefile")).expect("a folder named Makefile is not make");
        assert_eq!(context_note(root.path(), at(0)), "Today is 1970-01-01. The project's root shows: Rust (cargo), JavaScript/TypeScript (package.json).");
    }

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
