//! `weft collab host [PATH]`: a headless, always-on collaboration host for a folder; the
//! invites are printed. See weft-collab's `WorkspaceHost` for what is shared and saved.

use std::path::PathBuf;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use weft_api::{Api, CollabStatus, Request, SavedAll};

pub struct Args {
    pub path: PathBuf,
    pub port: u16,
    pub local: bool,
    pub address: Option<String>,
    /// NAME or NAME:ro.
    pub guests: Vec<String>,
}

fn err(e: weft_api::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message)
}

/// The folder opens as the app opens it (its documents, their merge with the disk, its
/// checkpoints) and is shared the way the app's Share button shares it.
pub async fn host(api: Api, args: Args) -> anyhow::Result<()> {
    let info = api.open_workspace(&args.path).with_context(|| format!("{} is not a folder", args.path.display()))?;
    let status: CollabStatus = api.request(Request::CollabShare { port: args.port, local: args.local, address: args.address }).await.map_err(err).context("starting the host")?;
    println!("weft collab: sharing {} at {}", info.root, status.url.as_deref().unwrap_or_default());
    if let Some(fp) = &status.fingerprint {
        println!("certificate fingerprint (SHA-256): {fp}");
    }
    let guests = if args.guests.is_empty() { vec!["guest".to_owned()] } else { args.guests };
    for g in guests {
        let (name, read_only) = match g.strip_suffix(":ro") {
            Some(n) => (n.to_owned(), true),
            None => (g.clone(), false),
        };
        println!("{}", invite(&api, &name, read_only).await?);
    }
    println!("commands: {HELP}");
    // Stdin carries the host's controls; without one (a service), it just keeps serving.
    let a = api.clone();
    let controls = tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let out = control(&a, line.trim()).await.unwrap_or_else(|e| format!("error: {e}"));
            if !out.is_empty() {
                println!("{out}");
            }
        }
        std::future::pending::<()>().await;
    });
    stopped().await?;
    controls.abort();
    match api.request::<SavedAll>(Request::DocSaveAll).await {
        Ok(s) => println!("weft collab: stopped; {} file(s) saved", s.written),
        Err(e) => println!("weft collab: stopped; {}", e.message),
    }
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

async fn status(api: &Api) -> anyhow::Result<CollabStatus> {
    api.request(Request::CollabStatus).await.map_err(err)
}

/// A guest's link, inviting them if they are new (a restarted host keeps its guests, so
/// the same link keeps working) and setting their access.
async fn invite(api: &Api, name: &str, read_only: bool) -> anyhow::Result<String> {
    let now = status(api).await?;
    let status: CollabStatus = match now.guests.iter().find(|g| g.name == name) {
        Some(g) if g.read_only == read_only => now.clone(),
        Some(g) => api.request(Request::CollabSetRole { token: g.token.clone(), read_only }).await.map_err(err)?,
        None => api.request(Request::CollabInvite { name: name.to_owned(), read_only }).await.map_err(err)?,
    };
    // A new guest's token is the one the host did not know before.
    let guest = status.guests.iter().rev().find(|g| g.name == name).ok_or_else(|| anyhow::anyhow!("{name} was not invited"))?;
    Ok(format!("invite {name} ({}): {}", describe(read_only), guest.link))
}

fn describe(read_only: bool) -> &'static str {
    if read_only {
        "read-only"
    } else {
        "read-write"
    }
}

/// One line typed at the running host.
async fn control(api: &Api, line: &str) -> anyhow::Result<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let token_of = |name: &str| {
        let name = name.to_owned();
        async move { status(api).await?.guests.into_iter().find(|g| g.name == name).map(|g| g.token).ok_or_else(|| anyhow::anyhow!("no guest named {name}")) }
    };
    Ok(match words.as_slice() {
        [] => String::new(),
        ["invite", name] => invite(api, name, false).await?,
        ["invite", name, "ro"] => invite(api, name, true).await?,
        ["ro" | "rw", name] => {
            let read_only = words[0] == "ro";
            let _: CollabStatus = api.request(Request::CollabSetRole { token: token_of(name).await?, read_only }).await.map_err(err)?;
            format!("{name} is now {}", describe(read_only))
        }
        ["remove", name] => {
            let _: CollabStatus = api.request(Request::CollabRemove { token: token_of(name).await? }).await.map_err(err)?;
            format!("removed {name}: their connections are closed and their link no longer works")
        }
        ["guests"] => {
            let g = status(api).await?.guests;
            if g.is_empty() {
                "no guests".into()
            } else {
                g.iter().map(|g| format!("{} ({}): {}", g.name, describe(g.read_only), g.link)).collect::<Vec<_>>().join("\n")
            }
        }
        _ => format!("unknown command; try: {HELP}"),
    })
}
