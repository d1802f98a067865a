//! `weft collab host [PATH]`: a headless, always-on collaboration host for a folder; the
//! invites are printed. See weft-collab's `WorkspaceHost` for what is shared and saved.

use std::path::PathBuf;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use weft_collab::{HostOptions, Role, WorkspaceHost};

pub struct Args {
    pub path: PathBuf,
    pub port: u16,
    pub local: bool,
    pub address: Option<String>,
    /// NAME or NAME:ro.
    pub guests: Vec<String>,
}

pub async fn host(paths: &weft_api::AppPaths, args: Args) -> anyhow::Result<()> {
    let ws = weft_fs::Workspace::open(&args.path).with_context(|| format!("{} is not a folder", args.path.display()))?;
    let root = ws.root().display().to_string();
    let store = paths.collab_dir(ws.root());
    let opts = HostOptions { port: args.port, store: Some(store), network: !args.local, address: args.address };
    let host = WorkspaceHost::start(ws, opts).await.context("starting the host")?;
    println!("weft collab: sharing {root} at {}", host.url());
    if let Some(fp) = &host.fingerprint {
        println!("certificate fingerprint (SHA-256): {fp}");
    }
    let guests = if args.guests.is_empty() { vec!["guest".to_owned()] } else { args.guests };
    for g in guests {
        let (name, role) = match g.strip_suffix(":ro") {
            Some(n) => (n.to_owned(), Role::ReadOnly),
            None => (g.clone(), Role::ReadWrite),
        };
        println!("{}", invite(&host, &name, role)?);
    }
    println!("commands: {HELP}");
    // Stdin carries the host's controls; without one (a service), it just keeps serving.
    let host = std::sync::Arc::new(host);
    let h = host.clone();
    let controls = tokio::spawn(async move {
        let host = h;
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let out = control(&host, line.trim()).unwrap_or_else(|e| format!("error: {e}"));
            if !out.is_empty() {
                println!("{out}");
            }
        }
        std::future::pending::<()>().await;
    });
    stopped().await?;
    controls.abort();
    let saved = host.save_all();
    println!("weft collab: stopped; {saved} file(s) saved");
    // The stdin reader is a blocking read that never ends while stdin is open; the runtime
    // would wait for it on the way out, so leave now that everything is saved.
    std::process::exit(0)
}

/// Ctrl+C (SIGINT) or SIGTERM (a service manager, `kill`).
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl+C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("waiting for Ctrl+C")?;
    Ok(())
}

const HELP: &str = "invite NAME [ro] | ro NAME | rw NAME | remove NAME | guests";

/// A guest's link, inviting them if they are new (a restarted host keeps its guests, so
/// the same link keeps working) and setting their access.
fn invite(host: &WorkspaceHost, name: &str, role: Role) -> anyhow::Result<String> {
    let known = host.hub.guests().into_iter().find(|(_, g)| g.name == name);
    let token = match known {
        Some((token, g)) if g.role == role => token,
        Some((token, _)) => {
            host.hub.set_role(&token, role)?;
            token
        }
        None => host.hub.invite(name, role),
    };
    Ok(format!("invite {name} ({}): {}", describe(role), host.invite_link(&token)))
}

fn describe(role: Role) -> &'static str {
    if role == Role::ReadOnly {
        "read-only"
    } else {
        "read-write"
    }
}

/// One line typed at the running host.
fn control(host: &WorkspaceHost, line: &str) -> anyhow::Result<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let token_of = |name: &str| {
        host.hub.guests().into_iter().find(|(_, g)| g.name == name).map(|(t, _)| t).ok_or_else(|| anyhow::anyhow!("no guest named {name}"))
    };
    Ok(match words.as_slice() {
        [] => String::new(),
        ["invite", name] => invite(host, name, Role::ReadWrite)?,
        ["invite", name, "ro"] => invite(host, name, Role::ReadOnly)?,
        ["ro" | "rw", name] => {
            let role = if words[0] == "ro" { Role::ReadOnly } else { Role::ReadWrite };
            host.hub.set_role(&token_of(name)?, role)?;
            format!("{name} is now {}", describe(role))
        }
        ["remove", name] => {
            host.hub.remove(&token_of(name)?)?;
            format!("removed {name}: their connections are closed and their link no longer works")
        }
        ["guests"] => {
            let g = host.hub.guests();
            if g.is_empty() {
                "no guests".into()
            } else {
                g.iter().map(|(t, g)| format!("{} ({}): {}", g.name, describe(g.role), host.invite_link(t))).collect::<Vec<_>>().join("\n")
            }
        }
        _ => format!("unknown command; try: {HELP}"),
    })
}
