//! `weft env …`: a project's variables and secrets for scripts. Secrets go to the OS keychain
//! (the store the app uses), never into the project folder; a value is read from stdin so
//! it is not left in the shell's history or the process list.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum Cmd {
    /// Set NAME to the value read from stdin (a secret unless --plain).
    Set {
        name: String,
        /// A plain variable, kept in .weft/env.json (which may be committed).
        #[arg(long)]
        plain: bool,
    },
    /// The project's variables (plain ones with their values) and secrets (names only).
    List,
    /// Remove a variable or secret.
    Rm { name: String },
    /// Read a .env file into secrets.
    Import {
        #[arg(default_value = ".env")]
        file: String,
    },
}

pub struct Args {
    pub workspace: PathBuf,
    pub json: bool,
    pub cmd: Cmd,
}

pub fn run(paths: &weft_api::AppPaths, args: Args) -> anyhow::Result<()> {
    let root = crate::checkpoint::folder(&args.workspace)?;
    let env = weft_api::ProjectEnv::new(paths, &root);
    let api_err = |e: weft_api::ApiError| anyhow::anyhow!("{}", e.message);
    match args.cmd {
        Cmd::Set { name, plain } => {
            let mut value = String::new();
            std::io::stdin().read_to_string(&mut value).context("reading the value from stdin")?;
            // `echo VALUE | weft env set NAME`: the newline echo adds is not the value's.
            let value = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&value);
            env.set(&name, value, !plain).map_err(api_err)?;
            eprintln!("{name} set ({})", if plain { "plain, in .weft/env.json" } else { "secret, in the OS keychain or the user-only secrets file" });
        }
        Cmd::List => {
            let vars = env.list().map_err(api_err)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&vars)?);
            } else {
                for v in vars {
                    match v.value {
                        Some(value) if !v.secret => println!("{}={value}", v.name),
                        _ => println!("{} (secret)", v.name),
                    }
                }
            }
        }
        Cmd::Rm { name } => {
            if !env.remove(&name).map_err(api_err)? {
                bail!("no variable named {name}");
            }
        }
        Cmd::Import { file } => {
            let names = env.import_dotenv(&file).map_err(api_err)?;
            eprintln!("{} secret{} imported from {file}: {}", names.len(), if names.len() == 1 { "" } else { "s" }, names.join(", "));
        }
    }
    Ok(())
}
