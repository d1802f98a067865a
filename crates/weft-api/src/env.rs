//! A project's environment: plain variables in `.weft/env.json` (in the folder: they may be
//! committed and shared), and secrets, which never are: they live in the OS keychain (the
//! store the model keys use; a user-only file where there is no keychain), keyed by the
//! folder, and never in the project folder, the data directory, logs, checkpoints, agent
//! threads or collaboration traffic. Both reach runs, terminals (the `terminalProjectEnv`
//! setting) and the agent's commands; a secret's value is masked where output leaves the
//! user's own screen (weft_pty::mask).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;
use weft_llm::keys::KeyStore;
use weft_llm::ApiKey;

use crate::{ApiError, AppPaths};

type Result<T> = std::result::Result<T, ApiError>;

/// The plain variables' file, relative to the project root.
pub const PLAIN_FILE: &str = ".weft/env.json";

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub secret: bool,
    /// A plain variable's value; never a secret's.
    pub value: Option<String>,
}

pub struct ProjectEnv {
    root: PathBuf,
    /// The folder's key in the secret store ("<workspace key>/NAME").
    id: String,
    store: KeyStore,
}

fn store_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(crate::ErrorCode::Io, format!("the secret store: {e}"))
}

/// A variable name as shells accept it.
pub fn valid_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.len() <= 256 && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{name:?} is not a variable name (letters, digits and _, not starting with a digit)")))
    }
}

impl ProjectEnv {
    pub fn new(paths: &AppPaths, root: &Path) -> Self {
        // Not beside the model keys' file: the keychain index there lists provider names.
        let file = paths.config_dir.join("secrets").join("secrets.json");
        let store = if std::env::var_os("WEFT_NO_KEYCHAIN").is_some_and(|v| v == "1") { KeyStore::at(file) } else { KeyStore::with_keychain(file) };
        ProjectEnv { root: root.to_path_buf(), id: crate::paths::workspace_key(root), store }
    }

    fn key(&self, name: &str) -> String {
        format!("{}/{name}", self.id)
    }

    fn plain(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read_to_string(self.root.join(PLAIN_FILE)) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| ApiError::bad_request(format!("{PLAIN_FILE}: {e} (an object of names to strings)"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(ApiError::new(crate::ErrorCode::Io, format!("{PLAIN_FILE}: {e}"))),
        }
    }

    fn write_plain(&self, vars: &BTreeMap<String, String>) -> Result<()> {
        let path = self.root.join(PLAIN_FILE);
        if vars.is_empty() && !path.exists() {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(vars).map_err(ApiError::internal)? + "\n";
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ApiError::new(crate::ErrorCode::Io, e.to_string()))?;
        }
        weft_fs::atomic_write(&path, text.as_bytes()).map_err(|e| ApiError::new(crate::ErrorCode::Io, format!("{PLAIN_FILE}: {e}")))
    }

    fn secret_names(&self) -> Result<Vec<String>> {
        let prefix = format!("{}/", self.id);
        Ok(self.store.providers().map_err(store_err)?.into_iter().filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned)).collect())
    }

    /// Every variable: plain ones with their values, secrets by name.
    pub fn list(&self) -> Result<Vec<EnvVar>> {
        let mut out: Vec<EnvVar> = self.plain()?.into_iter().map(|(name, v)| EnvVar { name, secret: false, value: Some(v) }).collect();
        out.extend(self.secret_names()?.into_iter().map(|name| EnvVar { name, secret: true, value: None }));
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Sets a variable (a secret, or a plain one); a name is one or the other.
    pub fn set(&self, name: &str, value: &str, secret: bool) -> Result<()> {
        valid_name(name)?;
        if secret {
            // Stored as JSON: the store trims keys, and a value is kept exactly.
            let stored = serde_json::to_string(value).map_err(ApiError::internal)?;
            self.store.set(&self.key(name), Some(&ApiKey::new(stored))).map_err(store_err)?;
            let mut plain = self.plain()?;
            if plain.remove(name).is_some() {
                self.write_plain(&plain)?;
            }
        } else {
            let mut plain = self.plain()?;
            plain.insert(name.to_owned(), value.to_owned());
            self.write_plain(&plain)?;
            if self.secret_names()?.iter().any(|n| n == name) {
                self.store.set(&self.key(name), None).map_err(store_err)?;
            }
        }
        Ok(())
    }

    /// Removes a variable; false when there was none.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let mut found = false;
        let mut plain = self.plain()?;
        if plain.remove(name).is_some() {
            self.write_plain(&plain)?;
            found = true;
        }
        if self.secret_names()?.iter().any(|n| n == name) {
            self.store.set(&self.key(name), None).map_err(store_err)?;
            found = true;
        }
        Ok(found)
    }

    /// Every variable with its value, secrets included: what a run, a terminal or the
    /// agent's commands get. A secret the store cannot give is left out (and logged by name).
    pub fn vars(&self) -> Result<Vec<(String, String)>> {
        self.read().map(|(vars, _)| vars)
    }

    /// The secrets' values (to mask).
    pub fn secret_values(&self) -> Vec<String> {
        self.read().map(|(_, secrets)| secrets).unwrap_or_default()
    }

    /// Every variable with its value, and the secrets' values among them: one reading of
    /// the file and the store for a caller that wants both (the agent's commands get the
    /// variables, its model the secrets masked).
    pub fn read(&self) -> Result<(Vec<(String, String)>, Vec<String>)> {
        let mut vars: Vec<(String, String)> = self.plain()?.into_iter().collect();
        let mut secrets = Vec::new();
        for name in self.secret_names()? {
            match self.store.get(&self.key(&name)) {
                Ok(Some(k)) => match serde_json::from_str::<String>(k.expose()) {
                    Ok(v) => {
                        secrets.push(v.clone());
                        vars.push((name, v));
                    }
                    Err(_) => tracing::warn!("secret {name} of {} is not readable; left out", self.root.display()),
                },
                Ok(None) => {}
                Err(e) => tracing::warn!("secret {name} of {}: {e}; left out", self.root.display()),
            }
        }
        Ok((vars, secrets))
    }

    /// Reads a `.env` file of the project into secrets; returns the names imported.
    pub fn import_dotenv(&self, rel: &str) -> Result<Vec<String>> {
        let text = std::fs::read_to_string(self.root.join(rel)).map_err(|e| ApiError::new(crate::ErrorCode::NotFound, format!("{rel}: {e}")))?;
        let vars = parse_dotenv(&text).map_err(|e| ApiError::bad_request(format!("{rel}: {e}")))?;
        let mut names = Vec::new();
        for (k, v) in vars {
            self.set(&k, &v, true)?;
            names.push(k);
        }
        Ok(names)
    }
}

/// `.env` syntax as dotenv tools read it: `NAME=value`, `export NAME=value`, comments,
/// single quotes (literal), double quotes (with \n, \" and \\ escapes), and a value's
/// trailing ` # comment` when unquoted.
pub fn parse_dotenv(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (name, value) = line.split_once('=').ok_or_else(|| format!("line {}: expected NAME=value", i + 1))?;
        let name = name.trim();
        valid_name(name).map_err(|e| format!("line {}: {}", i + 1, e.message))?;
        let value = value.trim();
        let value = if let Some(rest) = value.strip_prefix('\'') {
            rest.strip_suffix('\'').ok_or_else(|| format!("line {}: unclosed '", i + 1))?.to_owned()
        } else if let Some(rest) = value.strip_prefix('"') {
            let inner = rest.strip_suffix('"').ok_or_else(|| format!("line {}: unclosed \"", i + 1))?;
            let mut s = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some(o) => s.push(o),
                        None => s.push('\\'),
                    }
                } else {
                    s.push(c);
                }
            }
            s
        } else {
            value.split(" #").next().unwrap_or("").trim_end().to_owned()
        };
        out.push((name.to_owned(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_files_parse_as_dotenv_tools_read_them() {
        let text = "# db\nexport DB_URL=postgres://u:p@h/db\nTOKEN='a b # c'\nMSG=\"line1\\nline \\\"2\\\"\"\nPLAIN=value # a comment\nEMPTY=\n";
        assert_eq!(
            parse_dotenv(text).expect("parses"),
            [
                ("DB_URL".into(), "postgres://u:p@h/db".into()),
                ("TOKEN".into(), "a b # c".into()),
                ("MSG".into(), "line1\nline \"2\"".into()),
                ("PLAIN".into(), "value".into()),
                ("EMPTY".into(), String::new())
            ]
        );
        assert_eq!(parse_dotenv("1BAD=x").expect_err("bad name"), "line 1: \"1BAD\" is not a variable name (letters, digits and _, not starting with a digit)");
        assert_eq!(parse_dotenv("X='open").expect_err("unclosed"), "line 1: unclosed '");
    }

    #[test]
    fn env_files_but_not_their_examples() {
        use weft_fs::is_env_file;
        assert!(is_env_file(".env") && is_env_file("web/.env.local") && is_env_file(".env.production"));
        assert!(!is_env_file(".env.example") && !is_env_file("env.json") && !is_env_file("a.env"));
    }
}
