//! Run configurations found in a project's own files, as a user would run them by hand:
//! `package.json` scripts through the package manager its lock file names, Cargo's binaries,
//! tests, benches and examples, Python entry points, Go packages, Makefile targets and
//! docker compose services; then the user's own in `.weft/run.json`, which win on a name.
//!
//! Detection reads a handful of small files at the root (and Cargo's workspace members); it
//! never runs anything, so opening an untrusted folder starts nothing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What a configuration is for: F5 runs the selected one; Ctrl+Shift+B the build one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RunGroup {
    Run,
    Build,
    Test,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunConfig {
    /// Unique within the project ("npm: dev", "cargo: run weft", or the user's own name).
    pub name: String,
    /// A command line for the platform's shell (`sh -c` / `cmd /C`), as typed in a terminal.
    pub command: String,
    /// Folder it runs in, relative to the project root ("" = the root).
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub group: RunGroup,
    /// Where it came from: "npm", "pnpm", "yarn", "bun", "cargo", "python", "go", "make",
    /// "compose" or "user" (`.weft/run.json`).
    pub source: String,
    /// Configurations started first (each must finish, or start listening on a port).
    pub depends_on: Vec<String>,
    /// A dev server that updates the page itself on a change (Vite, Next, webpack's):
    /// the preview must not reload it too.
    pub hot_reload: bool,
}

/// What detection found, and what it could not read (shown, never fatal: a broken
/// `.weft/run.json` must not hide the detected configurations).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RunDetected"))]
pub struct Detected {
    pub configs: Vec<RunConfig>,
    pub problems: Vec<String>,
}

impl Detected {
    pub fn get(&self, name: &str) -> Option<&RunConfig> {
        self.configs.iter().find(|c| c.name == name)
    }

    /// The configuration Ctrl+Shift+B runs: the user's build one, else the first detected.
    pub fn build(&self) -> Option<&RunConfig> {
        let builds = || self.configs.iter().filter(|c| c.group == RunGroup::Build);
        builds().find(|c| c.source == "user").or_else(|| builds().next())
    }

    fn add(&mut self, source: &str, name: String, command: String, group: RunGroup) {
        let hot_reload = hot_reloads(&command);
        self.configs.push(RunConfig { name, command, cwd: String::new(), env: BTreeMap::new(), group, source: source.into(), depends_on: Vec::new(), hot_reload });
    }
}

/// Reads the project at `root`.
pub fn detect(root: &Path) -> Detected {
    let mut d = Detected::default();
    node(root, &mut d);
    cargo(root, &mut d);
    python(root, &mut d);
    go(root, &mut d);
    make(root, &mut d);
    compose(root, &mut d);
    user(root, &mut d);
    d
}

fn read(root: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(root.join(name)).ok()
}

/// A word safe to put on a command line unquoted (script, target and binary names
/// normally are); anything else is quoted for the platform's shell.
fn arg(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@+=".contains(c)) {
        s.to_owned()
    } else if cfg!(windows) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Dev servers that push changes to the page themselves.
fn hot_reloads(command: &str) -> bool {
    const HOT: &[&str] = &["vite", "next dev", "webpack serve", "webpack-dev-server", "react-scripts start", "astro dev", "nuxt dev", "nuxi dev", "remix dev", "svelte-kit dev", "parcel", "ng serve", "vue-cli-service serve", "trunk serve"];
    command.split(['&', ';', '|']).any(|part| {
        let part = part.trim();
        // `vite build`, `vite preview`: a build, or a static server of the built pages.
        let words: Vec<&str> = part.split_whitespace().collect();
        if words.iter().any(|w| matches!(*w, "build" | "preview" | "export" | "start" if !part.starts_with("react-scripts"))) {
            return false;
        }
        HOT.iter().any(|h| part == *h || part.starts_with(&format!("{h} ")) || part.contains(&format!("/{h}")) || part.starts_with(&format!("npx {h}")))
    })
}

fn group_for(name: &str) -> RunGroup {
    match name {
        "build" | "compile" => RunGroup::Build,
        n if n == "test" || n.starts_with("test:") || n == "check" => RunGroup::Test,
        _ => RunGroup::Run,
    }
}

// ---- Node -------------------------------------------------------------------------------

fn node(root: &Path, d: &mut Detected) {
    let Some(text) = read(root, "package.json") else { return };
    let pkg: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return d.problems.push(format!("package.json: {e}")),
    };
    // The lock file says which package manager the project uses; `packageManager` says it
    // when there is none yet. npm when neither does.
    let declared = pkg.get("packageManager").and_then(|v| v.as_str()).and_then(|s| s.split('@').next()).unwrap_or("");
    let pm = if root.join("pnpm-lock.yaml").exists() {
        "pnpm"
    } else if root.join("yarn.lock").exists() {
        "yarn"
    } else if root.join("bun.lockb").exists() || root.join("bun.lock").exists() {
        "bun"
    } else if root.join("package-lock.json").exists() {
        "npm"
    } else if ["pnpm", "yarn", "bun"].contains(&declared) {
        declared
    } else {
        "npm"
    };
    // In the file's order (serde_json's map sorts; the author's order is the one they read).
    let Ok(Scripts(scripts)) = serde_json::from_str::<Scripts>(&text) else { return };
    let has = |n: &str| scripts.iter().any(|(k, _)| k == n);
    for (name, body) in &scripts {
        if !body.is_string() {
            continue;
        }
        // npm runs pre/post scripts itself around the main one.
        if (name.starts_with("pre") && has(&name[3..])) || (name.starts_with("post") && has(&name[4..])) {
            continue;
        }
        let command = match pm {
            "yarn" => format!("yarn {}", arg(name)),
            _ if name == "test" && pm == "npm" => "npm test".to_owned(),
            _ => format!("{pm} run {}", arg(name)),
        };
        d.add(pm, format!("{pm}: {name}"), command, group_for(name));
        if let (Some(c), Some(body)) = (d.configs.last_mut(), body.as_str()) {
            c.hot_reload = hot_reloads(body);
        }
    }
}

/// package.json's `scripts`, in order.
struct Scripts(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Scripts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Vec<(String, serde_json::Value)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of scripts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry()? {
                    v.push(e);
                }
                Ok(v)
            }
        }
        struct InOrder(Vec<(String, serde_json::Value)>);
        impl<'de> Deserialize<'de> for InOrder {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(Entries).map(InOrder)
            }
        }
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Vec<(String, serde_json::Value)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a package.json object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut scripts = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    if k == "scripts" {
                        scripts = m.next_value::<InOrder>()?.0;
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(scripts)
            }
        }
        d.deserialize_map(Top).map(Scripts)
    }
}

// ---- Cargo ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct Manifest {
    package: Option<Package>,
    workspace: Option<Workspace>,
    #[serde(default)]
    bin: Vec<Target>,
    #[serde(default)]
    bench: Vec<Target>,
    #[serde(default)]
    example: Vec<Target>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    autobins: Option<bool>,
    #[serde(default)]
    autobenches: Option<bool>,
}

#[derive(Deserialize)]
struct Workspace {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize)]
struct Target {
    name: Option<String>,
}

fn cargo(root: &Path, d: &mut Detected) {
    let Some(text) = read(root, "Cargo.toml") else { return };
    let manifest: Manifest = match toml::from_str(&text) {
        Ok(m) => m,
        Err(e) => return d.problems.push(format!("Cargo.toml: {}", e.message())),
    };
    d.add("cargo", "cargo: build".into(), "cargo build".into(), RunGroup::Build);
    d.add("cargo", "cargo: test".into(), "cargo test".into(), RunGroup::Test);
    let mut packages = Vec::new();
    if let Some(p) = &manifest.package {
        packages.push((root.to_path_buf(), p.name.clone(), manifest_targets(root, &manifest)));
    }
    if let Some(ws) = &manifest.workspace {
        for dir in members(root, &ws.members, &ws.exclude) {
            let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
            match toml::from_str::<Manifest>(&text) {
                Ok(m) => {
                    if let Some(p) = &m.package {
                        packages.push((dir.clone(), p.name.clone(), manifest_targets(&dir, &m)));
                    }
                }
                Err(e) => d.problems.push(format!("{}: {}", dir.join("Cargo.toml").display(), e.message())),
            }
        }
    }
    // `-p` only where the workspace has more than one package.
    let many = packages.len() > 1;
    let all_bins: usize = packages.iter().map(|(_, _, t)| t.bins.len()).sum();
    for (_, pkg, targets) in &packages {
        let p = if many { format!(" -p {}", arg(pkg)) } else { String::new() };
        for bin in &targets.bins {
            let command = if all_bins == 1 { "cargo run".to_owned() } else { format!("cargo run{p} --bin {}", arg(bin)) };
            d.add("cargo", format!("cargo: run {bin}"), command, RunGroup::Run);
        }
        for bench in &targets.benches {
            d.add("cargo", format!("cargo: bench {bench}"), format!("cargo bench{p} --bench {}", arg(bench)), RunGroup::Test);
        }
        for ex in &targets.examples {
            d.add("cargo", format!("cargo: example {ex}"), format!("cargo run{p} --example {}", arg(ex)), RunGroup::Run);
        }
    }
}

#[derive(Default)]
struct Targets {
    bins: Vec<String>,
    benches: Vec<String>,
    examples: Vec<String>,
}

/// A package's targets: declared ones plus Cargo's auto-discovered ones (src/main.rs,
/// src/bin/*, benches/*, examples/*), as `cargo` itself finds them.
fn manifest_targets(dir: &Path, m: &Manifest) -> Targets {
    let pkg = m.package.as_ref();
    let name = pkg.map(|p| p.name.clone()).unwrap_or_default();
    let mut t = Targets::default();
    let declared = |v: &[Target]| v.iter().filter_map(|b| b.name.clone()).collect::<Vec<_>>();
    t.bins = declared(&m.bin);
    t.benches = declared(&m.bench);
    t.examples = declared(&m.example);
    if pkg.and_then(|p| p.autobins) != Some(false) {
        if dir.join("src/main.rs").is_file() && !t.bins.contains(&name) {
            t.bins.insert(0, name.clone());
        }
        discovered(&dir.join("src/bin"), &mut t.bins);
    }
    if pkg.and_then(|p| p.autobenches) != Some(false) {
        discovered(&dir.join("benches"), &mut t.benches);
    }
    discovered(&dir.join("examples"), &mut t.examples);
    t
}

/// `dir/NAME.rs` and `dir/NAME/main.rs`, sorted.
fn discovered(dir: &Path, into: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut found: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_file() {
                name.strip_suffix(".rs").map(str::to_owned)
            } else if p.join("main.rs").is_file() {
                Some(name)
            } else {
                None
            }
        })
        .filter(|n| !into.contains(n))
        .collect();
    found.sort();
    into.extend(found);
}

/// Workspace member folders: plain paths and `dir/*` globs (what workspaces use).
fn members(root: &Path, members: &[String], exclude: &[String]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for m in members {
        if let Some(parent) = m.strip_suffix("/*") {
            let Ok(rd) = std::fs::read_dir(root.join(parent)) else { continue };
            let mut dirs: Vec<_> = rd.flatten().map(|e| e.path()).filter(|p| p.join("Cargo.toml").is_file()).collect();
            dirs.sort();
            out.extend(dirs);
        } else if !m.contains('*') {
            out.push(root.join(m));
        }
    }
    out.retain(|p| !exclude.iter().any(|x| p.ends_with(x)) && p != root);
    out
}

// ---- Python -----------------------------------------------------------------------------

fn python(root: &Path, d: &mut Detected) {
    let pyproject = read(root, "pyproject.toml");
    let has = |n: &str| root.join(n).is_file();
    if pyproject.is_none() && !has("manage.py") && !has("main.py") && !has("app.py") && !has("requirements.txt") {
        return;
    }
    // The project's own environment first, as `uv run` / `poetry run` / an activated venv
    // would; else the system's Python.
    let (py, run) = if has("uv.lock") {
        ("uv run python".to_owned(), "uv run ".to_owned())
    } else if has("poetry.lock") {
        ("poetry run python".to_owned(), "poetry run ".to_owned())
    } else if let Some(venv) = [".venv", "venv"].into_iter().find(|v| root.join(v).join(if cfg!(windows) { "Scripts" } else { "bin" }).is_dir()) {
        let bin = if cfg!(windows) { format!("{venv}\\Scripts\\") } else { format!("{venv}/bin/") };
        (format!("{bin}python"), bin)
    } else {
        ((if cfg!(windows) { "python" } else { "python3" }).to_owned(), String::new())
    };
    if has("manage.py") {
        d.add("python", "django: runserver".into(), format!("{py} manage.py runserver"), RunGroup::Run);
        d.add("python", "django: test".into(), format!("{py} manage.py test"), RunGroup::Test);
    }
    for file in ["main.py", "app.py"] {
        let Some(src) = read(root, file) else { continue };
        let module = file.trim_end_matches(".py");
        // An ASGI app is served, not run: `python main.py` would define it and exit.
        if let Some(var) = asgi_app(&src) {
            d.add("python", format!("uvicorn: {module}"), format!("{run}uvicorn {module}:{var} --reload"), RunGroup::Run);
        } else if src.contains("Flask(") {
            d.add("python", format!("flask: {module}"), format!("{run}flask --app {module} run --debug"), RunGroup::Run);
        } else {
            d.add("python", format!("python: {file}"), format!("{py} {file}"), RunGroup::Run);
        }
    }
    if let Some(text) = &pyproject {
        match toml::from_str::<toml::Table>(text) {
            Ok(t) => {
                let scripts = t.get("project").and_then(|p| p.get("scripts")).and_then(|s| s.as_table());
                for name in scripts.into_iter().flat_map(|s| s.keys()) {
                    d.add("python", format!("python: {name}"), format!("{run}{}", arg(name)), RunGroup::Run);
                }
            }
            Err(e) => d.problems.push(format!("pyproject.toml: {}", e.message())),
        }
    }
    let pytest = pyproject.as_deref().is_some_and(|t| t.contains("pytest")) || has("pytest.ini") || has("conftest.py") || root.join("tests").is_dir();
    if pytest {
        d.add("python", "pytest".into(), format!("{py} -m pytest"), RunGroup::Test);
    }
}

/// The variable holding a FastAPI/Starlette app (`app = FastAPI(...)`).
fn asgi_app(src: &str) -> Option<String> {
    src.lines().find_map(|l| {
        let (var, rhs) = l.split_once('=')?;
        let var = var.trim();
        let rhs = rhs.trim_start();
        let is_app = rhs.starts_with("FastAPI(") || rhs.starts_with("Starlette(");
        (is_app && !var.is_empty() && var.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| var.to_owned())
    })
}

// ---- Go -------------------------------------------------------------------------------

fn go(root: &Path, d: &mut Detected) {
    if !root.join("go.mod").is_file() {
        return;
    }
    if has_main_package(root) {
        d.add("go", "go: run".into(), "go run .".into(), RunGroup::Run);
    }
    if let Ok(rd) = std::fs::read_dir(root.join("cmd")) {
        let mut cmds: Vec<String> = rd.flatten().filter(|e| has_main_package(&e.path())).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        cmds.sort();
        for c in cmds {
            d.add("go", format!("go: run {c}"), format!("go run ./cmd/{}", arg(&c)), RunGroup::Run);
        }
    }
    d.add("go", "go: build".into(), "go build ./...".into(), RunGroup::Build);
    d.add("go", "go: test".into(), "go test ./...".into(), RunGroup::Test);
}

fn has_main_package(dir: &Path) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else { return false };
    rd.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.ends_with(".go") && !name.ends_with("_test.go") && std::fs::read_to_string(e.path()).is_ok_and(|s| s.lines().any(|l| l.trim() == "package main"))
    })
}

// ---- Make -------------------------------------------------------------------------------

fn make(root: &Path, d: &mut Detected) {
    let Some(text) = ["Makefile", "makefile", "GNUmakefile"].iter().find_map(|n| read(root, n)) else { return };
    let mut seen = Vec::new();
    for line in text.lines() {
        // Recipes are indented; variables use `=`, `:=`, `::=`, `?=`.
        if line.starts_with(['\t', ' ', '#']) {
            continue;
        }
        let Some((targets, rest)) = line.split_once(':') else { continue };
        if rest.starts_with('=') || rest.starts_with(":=") || targets.contains('=') || targets.contains('$') {
            continue;
        }
        for t in targets.split_whitespace() {
            // Special targets (.PHONY), pattern rules and file targets with a path or an
            // extension are not what a user runs.
            if t.starts_with('.') || t.contains('%') || t.contains('/') || t.contains('.') || seen.iter().any(|s: &String| s == t) {
                continue;
            }
            seen.push(t.to_owned());
        }
    }
    for t in seen {
        let group = match t.as_str() {
            "all" | "build" => RunGroup::Build,
            "test" | "check" => RunGroup::Test,
            _ => RunGroup::Run,
        };
        d.add("make", format!("make: {t}"), format!("make {}", arg(&t)), group);
    }
}

// ---- docker compose ---------------------------------------------------------------------

fn compose(root: &Path, d: &mut Detected) {
    let Some((file, text)) = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"].iter().find_map(|n| read(root, n).map(|t| (*n, t))) else { return };
    // The default file names need no `-f`.
    let f = if file.starts_with("compose.") || file == "docker-compose.yml" || file == "docker-compose.yaml" { String::new() } else { format!(" -f {file}") };
    d.add("compose", "compose: up".into(), format!("docker compose{f} up"), RunGroup::Run);
    for s in compose_services(&text) {
        d.add("compose", format!("compose: up {s}"), format!("docker compose{f} up {}", arg(&s)), RunGroup::Run);
    }
    d.add("compose", "compose: build".into(), format!("docker compose{f} build"), RunGroup::Build);
}

/// The keys under the top-level `services:` (block YAML, as compose files are written).
fn compose_services(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut indent = None;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let level = line.len() - line.trim_start().len();
        if level == 0 {
            inside = trimmed == "services:";
            indent = None;
            continue;
        }
        if !inside {
            continue;
        }
        let want = *indent.get_or_insert(level);
        if level == want {
            if let Some(key) = trimmed.trim_start().strip_suffix(':') {
                out.push(key.trim_matches(['"', '\'']).to_owned());
            }
        }
    }
    out
}

// ---- .weft/run.json ---------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(untagged)]
enum UserFile {
    List(Vec<UserConfig>),
    Object { configurations: Vec<UserConfig> },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserConfig {
    name: String,
    command: String,
    #[serde(default)]
    cwd: String,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    group: Option<RunGroup>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    hot_reload: Option<bool>,
}

/// The file's path, relative to the project root.
pub const USER_FILE: &str = ".weft/run.json";

fn user(root: &Path, d: &mut Detected) {
    let Some(text) = read(root, USER_FILE) else { return };
    let list = match serde_json::from_str::<UserFile>(&text) {
        Ok(UserFile::List(l)) | Ok(UserFile::Object { configurations: l }) => l,
        Err(_) => {
            // The untagged error says nothing useful; the strict one says where.
            let e = serde_json::from_str::<Vec<UserConfig>>(&text).err().or_else(|| serde_json::from_str::<serde_json::Value>(&text).err());
            let why = e.map(|e| e.to_string()).unwrap_or_else(|| "expected a list of configurations or {\"configurations\": [...]}".into());
            return d.problems.push(format!("{USER_FILE}: {why}"));
        }
    };
    for c in list {
        if c.name.trim().is_empty() || c.command.trim().is_empty() {
            d.problems.push(format!("{USER_FILE}: a configuration needs a name and a command"));
            continue;
        }
        // A cwd leaving the project is refused (the path jail holds for runs too).
        let cwd = c.cwd.trim_matches('/').to_owned();
        if Path::new(&cwd).is_absolute() || Path::new(&cwd).components().any(|p| matches!(p, std::path::Component::ParentDir)) {
            d.problems.push(format!("{USER_FILE}: \"{}\": cwd must be a folder inside the project, not {:?}", c.name, c.cwd));
            continue;
        }
        d.configs.retain(|x| x.name != c.name);
        let group = c.group.unwrap_or_else(|| group_for(&c.name));
        let hot_reload = c.hot_reload.unwrap_or_else(|| hot_reloads(&c.command));
        d.configs.push(RunConfig { name: c.name, command: c.command, cwd, env: c.env, group, source: "user".into(), depends_on: c.depends_on, hot_reload });
    }
    for c in &d.configs {
        for dep in &c.depends_on {
            if !d.configs.iter().any(|x| &x.name == dep) {
                d.problems.push(format!("{USER_FILE}: \"{}\" depends on \"{dep}\", which is not a configuration", c.name));
            }
        }
    }
}

/// The order to start `name` and what it depends on (dependencies first, each once), or
/// an error naming a cycle or a missing configuration.
pub fn plan(d: &Detected, name: &str) -> Result<Vec<RunConfig>, String> {
    fn visit(d: &Detected, name: &str, path: &mut Vec<String>, out: &mut Vec<RunConfig>) -> Result<(), String> {
        if out.iter().any(|c| c.name == name) {
            return Ok(());
        }
        if path.iter().any(|p| p == name) {
            path.push(name.to_owned());
            return Err(format!("the configurations depend on each other: {}", path.join(" → ")));
        }
        let c = d.get(name).ok_or_else(|| format!("no run configuration named \"{name}\""))?;
        path.push(name.to_owned());
        for dep in &c.depends_on {
            visit(d, dep, path, out)?;
        }
        path.pop();
        out.push(c.clone());
        Ok(())
    }
    let mut out = Vec::new();
    visit(d, name, &mut Vec::new(), &mut out)?;
    Ok(out)
}
