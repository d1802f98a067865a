//! Which MCP servers a folder has: the project's `.mcp.json` (the `mcpServers` format
//! Claude Code, Cursor and others read, so an existing file just works) and the user's
//! `mcpServers` setting. `${VAR}` and `${VAR:-default}` in commands, arguments, env, URLs
//! and headers are expanded from the environment.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "McpSource"))]
pub enum Source {
    /// `.mcp.json` in the folder: a program the repository names, so it runs only once the
    /// user has trusted it (and again after its command changes).
    Project,
    /// The user's own setting.
    User,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Stdio { command: String, args: Vec<String>, env: BTreeMap<String, String> },
    Http { url: String, headers: BTreeMap<String, String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub transport: Transport,
    pub source: Source,
}

impl ServerConfig {
    /// What it runs or where it connects, as the user reads it (and as its trust is keyed:
    /// a changed command is a different server).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Stdio { command, args, .. } => std::iter::once(command.as_str()).chain(args.iter().map(String::as_str)).collect::<Vec<_>>().join(" "),
            Transport::Http { url, .. } => url.clone(),
        }
    }

    /// What trusting it covers: everything that decides what runs (env values included).
    pub fn fingerprint(&self) -> String {
        match &self.transport {
            Transport::Stdio { command, args, env } => format!("stdio\0{command}\0{}\0{env:?}", args.join("\0")),
            Transport::Http { url, headers } => format!("http\0{url}\0{:?}", headers.keys().collect::<Vec<_>>()),
        }
    }
}

/// Servers by name; a configuration that cannot be read is an error naming the server.
pub type Servers = BTreeMap<String, Result<ServerConfig, String>>;

/// The servers of a `{"mcpServers": {...}}` object (a `.mcp.json` file's, or the setting's).
pub fn parse(v: &Value, source: Source) -> Servers {
    let mut out = Servers::new();
    let Some(map) = v.get("mcpServers").and_then(Value::as_object) else { return out };
    for (name, s) in map {
        out.insert(name.clone(), server(s, source.clone()));
    }
    out
}

fn server(s: &Value, source: Source) -> Result<ServerConfig, String> {
    let strings = |k: &str| -> Result<BTreeMap<String, String>, String> {
        match s.get(k) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| v.as_str().map(|v| (k.clone(), expand(v))).ok_or_else(|| format!("{k:?} must be a string"))).collect(),
            Some(_) => Err(format!("\"{k}\" must be an object of strings")),
        }
    };
    let kind = s.get("type").and_then(Value::as_str).unwrap_or(if s.get("url").is_some() { "http" } else { "stdio" });
    let transport = match kind {
        "stdio" => {
            let command = s.get("command").and_then(Value::as_str).filter(|c| !c.trim().is_empty()).ok_or("a stdio server needs \"command\"")?;
            let args = match s.get("args") {
                None | Some(Value::Null) => vec![],
                Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(expand).ok_or("\"args\" must be strings")).collect::<Result<_, _>>()?,
                Some(_) => return Err("\"args\" must be an array".into()),
            };
            Transport::Stdio { command: expand(command), args, env: strings("env")? }
        }
        "http" | "streamable-http" | "streamableHttp" => {
            let url = s.get("url").and_then(Value::as_str).ok_or("an http server needs \"url\"")?;
            let url = expand(url);
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("{url:?} is not an http(s) URL"));
            }
            Transport::Http { url, headers: strings("headers")? }
        }
        "sse" => return Err("the SSE transport was replaced by Streamable HTTP in MCP 2025-03-26: use \"type\": \"http\" if the server has it".into()),
        other => return Err(format!("unknown server type {other:?} (stdio or http)")),
    };
    Ok(ServerConfig { transport, source })
}

/// The project's `.mcp.json`, if any; a file that is not JSON is one error for all.
pub fn load_project(root: &Path) -> Result<Servers, String> {
    match std::fs::read_to_string(root.join(".mcp.json")) {
        Ok(text) => serde_json::from_str::<Value>(&text).map(|v| parse(&v, Source::Project)).map_err(|e| format!(".mcp.json is not valid JSON: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Servers::new()),
        Err(e) => Err(format!(".mcp.json could not be read: {e}")),
    }
}

/// `${VAR}` and `${VAR:-default}` from the environment; anything else as written.
pub fn expand(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &rest[i + 2..i + end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match std::env::var(name) {
            Ok(v) if !v.is_empty() || default.is_none() => out.push_str(&v),
            _ => out.push_str(default.unwrap_or("")),
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_common_format_and_says_what_is_wrong() {
        std::env::set_var("WEFT_MCP_TEST_TOKEN", "t0k");
        let v = json!({"mcpServers": {
            "files": {"command": "npx", "args": ["-y", "server", "${WEFT_MCP_TEST_NOPE:-/tmp}"], "env": {"KEY": "${WEFT_MCP_TEST_TOKEN}"}},
            "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${WEFT_MCP_TEST_TOKEN}"}},
            "bare-url": {"url": "http://127.0.0.1:3001/mcp"},
            "old": {"type": "sse", "url": "https://example.com/sse"},
            "broken": {"args": ["x"]},
            "bad-args": {"command": "x", "args": "y"},
        }});
        let s = parse(&v, Source::Project);
        let files = s["files"].as_ref().expect("files");
        assert_eq!(files.describe(), "npx -y server /tmp");
        let Transport::Stdio { env, .. } = &files.transport else { panic!("stdio") };
        assert_eq!(env["KEY"], "t0k");
        let Transport::Http { headers, .. } = &s["remote"].as_ref().expect("remote").transport else { panic!("http") };
        assert_eq!(headers["Authorization"], "Bearer t0k");
        assert!(matches!(s["bare-url"].as_ref().expect("url").transport, Transport::Http { .. }));
        assert!(s["old"].as_ref().expect_err("sse").contains("Streamable HTTP"));
        assert!(s["broken"].as_ref().expect_err("no command").contains("command"));
        assert!(s["bad-args"].is_err());
        assert_eq!(expand("a ${WEFT_MCP_TEST_NOPE} b ${unclosed"), "a  b ${unclosed");
    }
}
