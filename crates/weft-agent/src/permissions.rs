//! What the agent may do without asking.
//!
//! Each tool is allowed, asked about or denied; commands are further matched against
//! allow and deny patterns (`*` matches anything, so `cargo test*` allows every
//! `cargo test …`). Deny wins over allow. Some commands are blocked outright, whatever the
//! rules say: the damage they do cannot be undone by a checkpoint.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Allow,
    Ask,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Policy {
    /// Per tool name; tools not listed follow [`Policy::default_rule`].
    pub tools: BTreeMap<String, Rule>,
    /// Commands that run without asking.
    pub allow_commands: Vec<String>,
    /// Commands that are never run.
    pub deny_commands: Vec<String>,
}

impl Default for Policy {
    /// Reading is free; changing files is allowed (every turn is checkpointed and the edits
    /// are up for review); running anything asks.
    fn default() -> Self {
        let mut tools = BTreeMap::new();
        for t in ["list_dir", "read_file", "search", "outline", "repo_map", "command_output"] {
            tools.insert(t.to_owned(), Rule::Allow);
        }
        for t in ["edit_file", "write_file", "rename", "delete"] {
            tools.insert(t.to_owned(), Rule::Allow);
        }
        tools.insert("run_command".into(), Rule::Ask);
        tools.insert("stop_command".into(), Rule::Allow);
        Policy { tools, allow_commands: vec![], deny_commands: vec![] }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Ask the user; `pattern` is what "always allow" would add.
    Ask { pattern: Option<String> },
    Deny { reason: String },
}

impl Policy {
    pub fn default_rule(&self, tool: &str) -> Rule {
        self.tools.get(tool).copied().unwrap_or(Rule::Ask)
    }

    /// `command` is set for `run_command`.
    pub fn decide(&self, tool: &str, command: Option<&str>) -> Decision {
        if let Some(cmd) = command {
            if let Some(reason) = hard_block(cmd) {
                return Decision::Deny { reason };
            }
            if let Some(p) = self.deny_commands.iter().find(|p| matches(p, cmd)) {
                return Decision::Deny { reason: format!("denied by the rule \"{p}\"") };
            }
            if self.default_rule(tool) == Rule::Deny {
                return Decision::Deny { reason: "running commands is turned off".into() };
            }
            if self.default_rule(tool) == Rule::Allow || self.allow_commands.iter().any(|p| matches(p, cmd)) {
                return Decision::Allow;
            }
            return Decision::Ask { pattern: Some(suggest_pattern(cmd)) };
        }
        match self.default_rule(tool) {
            Rule::Allow => Decision::Allow,
            Rule::Ask => Decision::Ask { pattern: None },
            Rule::Deny => Decision::Deny { reason: format!("the tool {tool} is turned off") },
        }
    }
}

/// Glob with `*` only, over the whitespace-normalised command.
pub fn matches(pattern: &str, command: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (p, c) = (norm(pattern), norm(command));
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == c;
    }
    let mut rest = c.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// "Always allow" for `cargo test -p foo` means `cargo test*`: the program and its
/// subcommand, not the exact arguments. A chain (`a && b`) is only ever allowed exactly.
fn suggest_pattern(cmd: &str) -> String {
    let cmd = cmd.trim();
    if cmd.contains(['&', '|', ';', '>', '<', '`', '$']) {
        return cmd.to_owned();
    }
    let words: Vec<&str> = cmd.split_whitespace().collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [prog, sub, ..] if !sub.starts_with('-') => format!("{prog} {sub}*"),
        [prog, ..] => format!("{prog}*"),
    }
}

/// Commands no rule can allow: they destroy what checkpoints cannot bring back (the disk,
/// the home folder, other machines' state) or take the machine down.
pub fn hard_block(cmd: &str) -> Option<String> {
    let c = cmd.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = c.to_lowercase();
    let rm_root = |s: &str| {
        let words: Vec<&str> = s.split(' ').collect();
        let recursive = words.iter().any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains(['r', 'R']))
            || words.contains(&"--recursive");
        recursive
            && words.iter().skip(1).any(|w| {
                matches!(*w, "/" | "/*" | "~" | "~/" | "~/*" | "$home" | "$home/" | "${home}" | "*" | ".." | "../" | "/home" | "/usr" | "/etc")
            })
    };
    let segments = lower.split(['&', '|', ';']).map(str::trim);
    for seg in segments {
        let seg = seg.strip_prefix("sudo ").unwrap_or(seg);
        if seg.starts_with("rm ") && rm_root(seg) {
            return Some("recursive delete of the root, home or parent folder".into());
        }
        if seg.starts_with("mkfs") || seg.starts_with("wipefs") || seg.starts_with("fdisk") || seg.starts_with("parted") {
            return Some("formats or repartitions a disk".into());
        }
        if seg.starts_with("dd ") && seg.contains("of=/dev/") {
            return Some("writes to a raw device".into());
        }
        if ["shutdown", "reboot", "halt", "poweroff"].iter().any(|w| seg == *w || seg.starts_with(&format!("{w} "))) {
            return Some("shuts the machine down".into());
        }
        if seg.starts_with("git push") && (seg.contains(" --force") || seg.contains(" -f")) {
            return Some("force-push rewrites history others depend on".into());
        }
        if (seg.starts_with("chmod -r ") || seg.starts_with("chown -r ")) && seg.ends_with(" /") {
            return Some("changes permissions of the whole system".into());
        }
    }
    if lower.contains(":(){") || lower.contains(":() {") {
        return Some("fork bomb".into());
    }
    if lower.contains("> /dev/sd") || lower.contains(">/dev/sd") || lower.contains("> /dev/nvme") {
        return Some("writes to a raw device".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("cargo test*", "cargo test -p weft-fs"));
        assert!(matches("cargo test*", "cargo   test"));
        assert!(!matches("cargo test*", "cargo build"));
        assert!(matches("npm run *", "npm run lint"));
        assert!(matches("ls", "ls"));
        assert!(!matches("ls", "ls -la"));
        assert!(matches("*--version", "node --version"));
    }

    #[test]
    fn deny_wins_and_hard_blocks_cannot_be_allowed() {
        let mut p = Policy::default();
        p.allow_commands = vec!["*".into()];
        p.deny_commands = vec!["curl*".into()];
        assert_eq!(p.decide("run_command", Some("cargo test")), Decision::Allow);
        assert!(matches!(p.decide("run_command", Some("curl http://x")), Decision::Deny { .. }));
        for cmd in [
            "rm -rf /",
            "rm -fr ~",
            "cd x && rm -rf $HOME",
            "sudo rm -r --no-preserve-root /",
            "mkfs.ext4 /dev/sda1",
            "dd if=/dev/zero of=/dev/sda",
            ":(){ :|:& };:",
            "git push --force origin main",
            "shutdown -h now",
        ] {
            assert!(matches!(p.decide("run_command", Some(cmd)), Decision::Deny { .. }), "{cmd}");
        }
        assert_eq!(p.decide("run_command", Some("rm -rf target")), Decision::Allow, "ordinary deletes are up to the rules");
    }

    #[test]
    fn asking_suggests_a_pattern_for_always() {
        let p = Policy::default();
        assert_eq!(p.decide("run_command", Some("cargo test -p x")), Decision::Ask { pattern: Some("cargo test*".into()) });
        assert_eq!(p.decide("run_command", Some("make")), Decision::Ask { pattern: Some("make".into()) });
        assert_eq!(p.decide("run_command", Some("a && b")), Decision::Ask { pattern: Some("a && b".into()) });
        assert_eq!(p.decide("read_file", None), Decision::Allow);
        let mut off = Policy::default();
        off.tools.insert("delete".into(), Rule::Deny);
        assert!(matches!(off.decide("delete", None), Decision::Deny { .. }));
    }
}
