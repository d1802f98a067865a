//! The prompt library: reusable prompts as slash commands. Markdown files in the project's
//! `.weft/prompts/` and `.claude/commands/` (the folder Claude Code reads, so an existing
//! set just works) and in the user's own prompts folder; `/name args` sends the file's text
//! with `$ARGUMENTS` (everything after the name) and `$1`…`$9` (its words) filled in. Front
//! matter between `---` lines may give a `description` (shown in the list) and a `model`
//! (the turn's model when the user picked none). A project's prompt wins over the user's of
//! the same name. Built in: `/init` (crate::instructions::INIT_PROMPT).

use std::path::Path;

/// The project's prompt folders, relative to its root, in the order they win.
pub const PROJECT_DIRS: [&str; 2] = [".weft/prompts", ".claude/commands"];

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SlashCommand {
    /// What follows the `/`.
    pub name: String,
    pub description: String,
    /// Where it comes from: a project-relative path, "your prompts", or "built in".
    pub source: String,
    /// The model its front matter asks for.
    pub model: Option<String>,
    #[serde(skip)]
    pub body: String,
}

/// Prompt files larger than this are not prompts.
const MAX_BYTES: u64 = 256 * 1024;

/// Every command: the built-in ones, then the project's, then the user's (a name taken
/// earlier wins). Sorted by name.
pub fn library(root: &Path, user_dir: Option<&Path>) -> Vec<SlashCommand> {
    let mut out = vec![SlashCommand {
        name: "init".into(),
        description: "Write a first AGENTS.md for this project".into(),
        source: "built in".into(),
        model: None,
        body: crate::instructions::INIT_PROMPT.into(),
    }];
    let mut add_dir = |dir: &Path, source: &dyn Fn(&str) -> String| {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut files: Vec<_> = entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_file())).map(|e| e.path()).collect();
        files.sort();
        for path in files {
            if path.extension().and_then(|e| e.to_str()) != Some("md") || std::fs::metadata(&path).map(|m| m.len() > MAX_BYTES).unwrap_or(true) {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
            if !valid_name(&name) || out.iter().any(|c| c.name == name) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let (meta, body) = front_matter(&text);
            let description = meta.iter().find(|(k, _)| k == "description").map(|(_, v)| v.clone()).unwrap_or_else(|| first_line(body));
            let model = meta.iter().find(|(k, _)| k == "model").map(|(_, v)| v.clone()).filter(|m| !m.is_empty());
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
            out.push(SlashCommand { name, description, source: source(&file), model, body: body.trim().to_owned() });
        }
    };
    for dir in PROJECT_DIRS {
        add_dir(&root.join(dir), &|file| format!("{dir}/{file}"));
    }
    if let Some(user) = user_dir {
        add_dir(user, &|_| "your prompts".to_owned());
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

fn first_line(body: &str) -> String {
    body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().trim_start_matches('#').trim().chars().take(80).collect()
}

/// `key: value` pairs of a leading `---` block, and the text after it.
fn front_matter(text: &str) -> (Vec<(String, String)>, &str) {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else { return (vec![], text) };
    let Some(end) = rest.find("\n---") else { return (vec![], text) };
    let meta = rest[..end]
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().trim_matches('"').to_owned()))
        .collect();
    let after = &rest[end + 4..];
    (meta, after.strip_prefix('\n').or_else(|| after.strip_prefix("\r\n")).unwrap_or(after))
}

/// [`expand`] for a prompt as typed in the folder `root`: the library is read only when the
/// prompt starts with `/` (most do not). The text to send, and the command's model.
pub fn expand_typed(prompt: &str, root: &Path, user_dir: Option<&Path>) -> Option<(String, Option<String>)> {
    if !prompt.trim_start().starts_with('/') {
        return None;
    }
    let library = library(root, user_dir);
    expand(prompt, &library).map(|(text, cmd)| (text, cmd.model.clone()))
}

/// What a prompt that starts with `/name` becomes: the command's text with its arguments
/// filled in, and the command. None when it names no command (sent as typed).
pub fn expand<'a>(prompt: &str, library: &'a [SlashCommand]) -> Option<(String, &'a SlashCommand)> {
    let rest = prompt.trim_start().strip_prefix('/')?;
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let cmd = library.iter().find(|c| c.name == name)?;
    let args = args.trim();
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut text = cmd.body.replace("$ARGUMENTS", args);
    // $9 first, so $1 does not eat the start of $10-like text.
    for i in (1..=9).rev() {
        text = text.replace(&format!("${i}"), words.get(i - 1).copied().unwrap_or(""));
    }
    if !args.is_empty() && !cmd.body.contains("$ARGUMENTS") && !(1..=9).any(|i| cmd.body.contains(&format!("${i}"))) {
        // Arguments the prompt has no place for still reach the model.
        text.push_str("\n\n");
        text.push_str(args);
    }
    Some((text, cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_then_user_prompts_with_front_matter_and_arguments() {
        let root = tempfile::tempdir().expect("tmp");
        let user = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(root.path().join(".weft/prompts")).expect("mkdir");
        std::fs::create_dir_all(root.path().join(".claude/commands")).expect("mkdir");
        std::fs::write(root.path().join(".weft/prompts/review.md"), "---\ndescription: Review a file\nmodel: anthropic:claude-haiku-4-5\n---\nReview $1 for $2 issues. All: $ARGUMENTS\n").expect("write");
        std::fs::write(root.path().join(".claude/commands/review.md"), "shadowed by .weft/prompts\n").expect("write");
        std::fs::write(root.path().join(".claude/commands/explain.md"), "# Explain the code\nExplain it simply.\n").expect("write");
        std::fs::write(root.path().join(".claude/commands/not a name.md"), "x").expect("write");
        std::fs::write(root.path().join(".claude/commands/notes.txt"), "x").expect("write");
        std::fs::write(user.path().join("explain.md"), "the user's, shadowed by the project's").expect("write");
        std::fs::write(user.path().join("standup.md"), "Summarise yesterday.").expect("write");
        let lib = library(root.path(), Some(user.path()));
        let names: Vec<(&str, &str)> = lib.iter().map(|c| (c.name.as_str(), c.source.as_str())).collect();
        assert_eq!(names, vec![("explain", ".claude/commands/explain.md"), ("init", "built in"), ("review", ".weft/prompts/review.md"), ("standup", "your prompts")]);
        let review = lib.iter().find(|c| c.name == "review").expect("review");
        assert_eq!((review.description.as_str(), review.model.as_deref()), ("Review a file", Some("anthropic:claude-haiku-4-5")));
        assert_eq!(lib.iter().find(|c| c.name == "explain").expect("explain").description, "Explain the code");

        let (text, cmd) = expand("/review src/a.rs security", &lib).expect("expanded");
        assert_eq!(text, "Review src/a.rs for security issues. All: src/a.rs security");
        assert_eq!(cmd.name, "review");
        assert_eq!(expand("/standup with the blockers", &lib).expect("expanded").0, "Summarise yesterday.\n\nwith the blockers");
        assert!(expand("/nope", &lib).is_none());
        assert!(expand("fix /review", &lib).is_none());
        assert_eq!(expand("/init", &lib).expect("init").0, crate::instructions::INIT_PROMPT);
    }
}
