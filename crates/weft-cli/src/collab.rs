//! `weft collab host [PATH]`: a headless, always-on collaboration host for a folder; the
//! invites are printed. See weft-collab's `WorkspaceHost` for what is shared and saved.

use std::path::PathBuf;

use anyhow::Context;
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
        // A restarted host keeps its guests: the same link keeps working.
        let known = host.hub.guests().into_iter().find(|(_, g)| g.name == name);
        let token = match known {
            Some((token, g)) if g.role == role => token,
            Some((token, _)) => {
                host.hub.set_role(&token, role)?;
                token
            }
            None => host.hub.invite(&name, role),
        };
        let what = if role == Role::ReadOnly { "read-only" } else { "read-write" };
        println!("invite {name} ({what}): {}", host.invite_link(&token));
    }
    tokio::signal::ctrl_c().await.context("waiting for Ctrl+C")?;
    Ok(())
}
