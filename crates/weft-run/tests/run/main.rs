//! weft-run against real project layouts (made in each test), real tool output (captured
//! from rustc/cargo, tsc, eslint 9, pytest 9, go 1.19 and gcc into tests/fixtures/output) and real
//! sockets.

mod screenshot;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use weft_run::{detect, matchers, plan, ports, PortEvent, Problem, RunGroup, Scanner};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// name → command, in detection order.
fn commands(root: &Path) -> Vec<(String, String)> {
    detect(root).configs.into_iter().map(|c| (c.name, c.command)).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn package_json_scripts_run_through_the_lock_files_package_manager() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "package.json", r#"{"scripts": {"dev": "vite", "build": "tsc && vite build", "prebuild": "rm -rf dist", "test": "vitest", "lint:fix": "eslint --fix ."}}"#);
    // No lock file: npm; `pre` scripts run by npm itself are not listed.
    assert_eq!(commands(root), pairs(&[("npm: dev", "npm run dev"), ("npm: build", "npm run build"), ("npm: test", "npm test"), ("npm: lint:fix", "npm run lint:fix")]));
    let d = detect(root);
    assert_eq!(d.build().map(|c| c.name.as_str()), Some("npm: build"));
    assert_eq!(d.get("npm: test").map(|c| c.group), Some(RunGroup::Test));
    // Vite updates its pages itself; the preview leaves them to it.
    assert_eq!(d.configs.iter().map(|c| c.hot_reload).collect::<Vec<_>>(), [true, false, false, false]);
    write(root, "pnpm-lock.yaml", "");
    assert_eq!(commands(root)[0], ("pnpm: dev".into(), "pnpm run dev".into()));
    std::fs::remove_file(root.join("pnpm-lock.yaml")).expect("rm");
    write(root, "yarn.lock", "");
    assert_eq!(commands(root)[2], ("yarn: test".into(), "yarn test".into()));
    std::fs::remove_file(root.join("yarn.lock")).expect("rm");
    write(root, "bun.lock", "");
    assert_eq!(commands(root)[0], ("bun: dev".into(), "bun run dev".into()));
}

#[test]
fn a_broken_package_json_is_a_problem_not_an_empty_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "package.json", "{ \"scripts\": ");
    write(dir.path(), "Makefile", "all:\n\tcc -o app app.c\n");
    let d = detect(dir.path());
    assert_eq!(d.configs.len(), 1, "the Makefile's target is still there: {:?}", d.configs);
    assert!(d.problems[0].starts_with("package.json: EOF"), "{:?}", d.problems);
}

#[test]
fn cargo_finds_binaries_benches_and_examples_as_cargo_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/tool.rs\"\n");
    write(root, "src/main.rs", "fn main() {}");
    write(root, "src/bin/extra.rs", "fn main() {}");
    write(root, "src/bin/multi/main.rs", "fn main() {}");
    write(root, "benches/speed.rs", "");
    write(root, "examples/demo.rs", "");
    assert_eq!(
        commands(root),
        pairs(&[
            ("cargo: build", "cargo build"),
            ("cargo: test", "cargo test"),
            ("cargo: run app", "cargo run --bin app"),
            ("cargo: run tool", "cargo run --bin tool"),
            ("cargo: run extra", "cargo run --bin extra"),
            ("cargo: run multi", "cargo run --bin multi"),
            ("cargo: bench speed", "cargo bench --bench speed"),
            ("cargo: example demo", "cargo run --example demo"),
        ])
    );
}

#[test]
fn a_cargo_workspace_names_the_package_of_each_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"tools/gen\"]\nexclude = [\"crates/old\"]\n");
    write(root, "crates/cli/Cargo.toml", "[package]\nname = \"my-cli\"\nversion = \"0.1.0\"\n");
    write(root, "crates/cli/src/main.rs", "");
    write(root, "crates/core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"0.1.0\"\n");
    write(root, "crates/core/src/lib.rs", "");
    write(root, "crates/old/Cargo.toml", "[package]\nname = \"old\"\n");
    write(root, "crates/old/src/main.rs", "");
    write(root, "tools/gen/Cargo.toml", "[package]\nname = \"gen\"\nversion = \"0.1.0\"\n");
    write(root, "tools/gen/src/main.rs", "");
    assert_eq!(
        commands(root),
        pairs(&[("cargo: build", "cargo build"), ("cargo: test", "cargo test"), ("cargo: run my-cli", "cargo run -p my-cli --bin my-cli"), ("cargo: run gen", "cargo run -p gen --bin gen")])
    );
    // A single binary needs no flags at all.
    let one = tempfile::tempdir().expect("tempdir");
    write(one.path(), "Cargo.toml", "[package]\nname = \"hello\"\nversion = \"0.1.0\"\n");
    write(one.path(), "src/main.rs", "");
    assert!(commands(one.path()).contains(&("cargo: run hello".into(), "cargo run".into())));
}

#[test]
fn python_projects_run_in_their_own_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "pyproject.toml", "[project]\nname = \"api\"\n[project.scripts]\napi-cli = \"api.cli:main\"\n[tool.pytest.ini_options]\n");
    write(root, "main.py", "from fastapi import FastAPI\n\napp = FastAPI(title=\"x\")\n");
    write(root, "uv.lock", "");
    assert_eq!(commands(root), pairs(&[("uvicorn: main", "uv run uvicorn main:app --reload"), ("python: api-cli", "uv run api-cli"), ("pytest", "uv run python -m pytest")]));

    let django = tempfile::tempdir().expect("tempdir");
    write(django.path(), "manage.py", "");
    write(django.path(), ".venv/bin/python", "");
    assert_eq!(commands(django.path()), pairs(&[("django: runserver", ".venv/bin/python manage.py runserver"), ("django: test", ".venv/bin/python manage.py test")]));

    let script = tempfile::tempdir().expect("tempdir");
    write(script.path(), "main.py", "print('hi')\n");
    assert_eq!(commands(script.path()), pairs(&[("python: main.py", "python3 main.py")]));
}

#[test]
fn go_modules_run_their_main_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "go.mod", "module example.com/srv\n\ngo 1.22\n");
    write(root, "main.go", "package main\n\nfunc main() {}\n");
    write(root, "main_test.go", "package main\n");
    write(root, "cmd/migrate/main.go", "package main\n");
    write(root, "cmd/shared/lib.go", "package shared\n");
    assert_eq!(
        commands(root),
        pairs(&[("go: run", "go run ."), ("go: run migrate", "go run ./cmd/migrate"), ("go: build", "go build ./..."), ("go: test", "go test ./...")])
    );
}

#[test]
fn makefile_targets_without_files_patterns_or_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "Makefile",
        "CC := gcc\nFLAGS = -O2\n.PHONY: all test serve\n\nall: app\n\napp: main.o util.o\n\t$(CC) -o $@ $^\n\n%.o: %.c\n\t$(CC) -c $<\n\ntest serve: all\n\t./app --test\n\nmain.o: main.c\nbuild/out:\n\tmkdir -p build\n",
    );
    assert_eq!(commands(dir.path()), pairs(&[("make: all", "make all"), ("make: app", "make app"), ("make: test", "make test"), ("make: serve", "make serve")]));
    assert_eq!(detect(dir.path()).build().map(|c| c.name.as_str()), Some("make: all"));
}

#[test]
fn compose_files_offer_the_whole_stack_and_each_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "compose.yaml", "name: shop\nservices:\n  web:\n    build: .\n    ports:\n      - \"8080:80\"\n  # the database\n  db:\n    image: postgres\nvolumes:\n  data:\n");
    assert_eq!(
        commands(dir.path()),
        pairs(&[("compose: up", "docker compose up"), ("compose: up web", "docker compose up web"), ("compose: up db", "docker compose up db"), ("compose: build", "docker compose build")])
    );
}

#[test]
fn user_configurations_override_by_name_and_depend_on_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "package.json", r#"{"scripts": {"dev": "vite"}}"#);
    write(
        root,
        ".weft/run.json",
        r#"{"configurations": [
            {"name": "npm: dev", "command": "npm run dev -- --port 4000", "env": {"DEBUG": "1"}, "dependsOn": ["db"]},
            {"name": "db", "command": "docker compose up db", "cwd": "infra/"},
            {"name": "package", "command": "make dist", "group": "build"}
        ]}"#,
    );
    let d = detect(root);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let dev = d.get("npm: dev").expect("dev");
    assert_eq!((dev.command.as_str(), dev.source.as_str()), ("npm run dev -- --port 4000", "user"));
    assert_eq!(dev.env.get("DEBUG").map(String::as_str), Some("1"));
    assert_eq!(d.get("db").map(|c| c.cwd.as_str()), Some("infra"));
    assert_eq!(d.configs.iter().filter(|c| c.name == "npm: dev").count(), 1);
    // The user's build configuration is the one Ctrl+Shift+B runs.
    assert_eq!(d.build().map(|c| c.name.as_str()), Some("package"));
    let order: Vec<String> = plan(&d, "npm: dev").expect("plan").into_iter().map(|c| c.name).collect();
    assert_eq!(order, ["db", "npm: dev"]);
}

#[test]
fn bad_user_configurations_are_named_and_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, ".weft/run.json", r#"[{"name": "a", "command": "x", "dependsOn": ["b"]}, {"name": "b", "command": "y", "dependsOn": ["a"]}, {"name": "out", "command": "z", "cwd": "../elsewhere"}, {"name": "c", "command": "w", "dependsOn": ["nope"]}]"#);
    let d = detect(root);
    assert_eq!(d.configs.len(), 3, "the one leaving the project is refused: {:?}", d.configs);
    assert!(d.problems.iter().any(|p| p.contains("\"out\": cwd must be a folder inside the project")), "{:?}", d.problems);
    assert!(d.problems.iter().any(|p| p.contains("\"c\" depends on \"nope\"")), "{:?}", d.problems);
    assert_eq!(plan(&d, "a").expect_err("a cycle"), "the configurations depend on each other: a → b → a");
    write(root, ".weft/run.json", r#"[{"name": "a", "comand": "x"}]"#);
    let d = detect(root);
    assert!(d.problems[0].contains("unknown field `comand`"), "{:?}", d.problems);
}

// ---- problem matchers -------------------------------------------------------------------

fn scan(file: &str) -> Vec<Problem> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/output").join(file);
    let bytes = std::fs::read(&path).expect("fixture");
    // Fed in awkward chunks, as a PTY hands output over.
    let mut s = Scanner::new();
    let mut out = Vec::new();
    for chunk in bytes.chunks(7) {
        out.extend(s.feed(chunk));
    }
    out.extend(s.finish());
    out
}

fn located(v: &[Problem]) -> Vec<(String, u32, u32, String, String)> {
    v.iter().map(|p| (p.path.clone(), p.line, p.column, p.severity.clone(), p.message.clone())).collect()
}

fn loc(path: &str, line: u32, col: u32, sev: &str, msg: &str) -> (String, u32, u32, String, String) {
    (path.into(), line, col, sev.into(), msg.into())
}

#[test]
fn rustc_errors_warnings_and_test_panics() {
    let build = scan("cargo-build.txt");
    assert_eq!(located(&build), [loc("src/main.rs", 2, 18, "error", "mismatched types")]);
    assert_eq!(build[0].code.as_deref(), Some("E0308"));
    let test = scan("cargo-test.txt");
    assert_eq!(
        located(&test),
        [
            loc("src/main.rs", 2, 9, "warning", "unused variable: `x`"),
            loc("src/main.rs", 3, 9, "warning", "unused variable: `unused`"),
            loc("src/main.rs", 8, 5, "error", "assertion `left == right` failed: math is broken"),
        ]
    );
}

#[test]
fn tsc_in_both_formats() {
    let want = [loc("a.ts", 1, 7, "error", "Type 'string' is not assignable to type 'number'."), loc("a.ts", 2, 34, "error", "Property 'nope' does not exist on type 'string'.")];
    assert_eq!(located(&scan("tsc.txt")), want);
    let pretty = scan("tsc-pretty.txt");
    assert_eq!(located(&pretty), want);
    assert_eq!(pretty[1].code.as_deref(), Some("TS2339"));
}

#[test]
fn eslint_stylish_names_the_file_once() {
    let v = scan("eslint.txt");
    assert_eq!(located(&v), [loc("/tmp/pm/es/src/a.js", 1, 7, "error", "'unused' is assigned a value but never used"), loc("/tmp/pm/es/src/a.js", 2, 1, "warning", "'undefinedThing' is not defined")]);
    assert_eq!(v[1].code.as_deref(), Some("no-undef"));
}

#[test]
fn pytest_failures_with_the_assertion() {
    assert_eq!(located(&scan("pytest.txt")), [loc("tests/test_calc.py", 4, 0, "error", "assert -1 == 3")]);
}

#[test]
fn go_build_vet_and_test() {
    assert_eq!(
        located(&scan("go.txt")),
        [
            loc("main.go", 6, 6, "error", "undefined: fmt.Printn"),
            loc("main.go", 9, 12, "error", "unused declared but not used"),
            loc("main_test.go", 8, 0, "error", "add(1, 2) = -1, want 3"),
        ]
    );
}

#[test]
fn gcc_errors_and_warnings_but_not_notes() {
    let v = scan("gcc.txt");
    assert_eq!(located(&v), [loc("c.c", 1, 21, "warning", "initialization of ‘int’ from ‘char *’ makes integer from pointer without a cast"), loc("c.c", 1, 33, "error", "‘y’ undeclared (first use in this function)"), loc("c.c", 1, 17, "warning", "unused variable ‘x’")]);
    assert_eq!(v[0].code.as_deref(), Some("-Wint-conversion"));
}

#[test]
fn problem_paths_resolve_into_the_project_or_nowhere() {
    let root = Path::new("/home/u/proj");
    assert_eq!(matchers::project_path(root, "web", "./src/a.ts").as_deref(), Some("web/src/a.ts"));
    assert_eq!(matchers::project_path(root, "web", "../lib/x.rs").as_deref(), Some("lib/x.rs"));
    assert_eq!(matchers::project_path(root, "", "/home/u/proj/src/main.rs").as_deref(), Some("src/main.rs"));
    assert_eq!(matchers::project_path(root, "", "/home/u/.cargo/registry/src/x.rs"), None);
    assert_eq!(matchers::project_path(root, "", "../../etc/passwd"), None);
}

// ---- ports -------------------------------------------------------------------------------

#[test]
fn output_announcing_a_server_names_its_port() {
    assert_eq!(ports::mentioned("  ➜  Local:   http://localhost:5173/"), [5173]);
    assert_eq!(ports::mentioned("Server listening on port 3000"), [3000]);
    assert_eq!(ports::mentioned("INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)"), [8000]);
    assert_eq!(ports::mentioned("Listening on [::]:8080"), [8080]);
    // Naming a port it talks to is not announcing one.
    assert!(ports::mentioned("connecting to postgres at localhost:5432").is_empty());
    assert!(ports::mentioned("compiled 12 modules in 300ms").is_empty());
}

fn watch(owners: Vec<(u64, u32)>) -> (ports::Watcher, mpsc::Receiver<PortEvent>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let w = ports::Watcher::start(Box::new(move || owners.clone()), Box::new(move |e| drop(tx.lock().map(|t| t.send(e)))));
    (w, rx)
}

#[cfg(target_os = "linux")]
#[test]
fn a_listening_socket_of_the_owners_processes_opens_and_closes() {
    // This process's session is the "terminal": its socket is found through /proc, without
    // a hint.
    let (w, rx) = watch(vec![(7, ports::own_session().expect("a session"))]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Other tests of this binary listen too, in this same process: only ours is awaited.
    let ours = |want: PortEvent| loop {
        let e = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
        if matches!(e, PortEvent::Opened { port: p, .. } | PortEvent::Closed { port: p, .. } if p == port) {
            assert_eq!(e, want);
            break;
        }
    };
    ours(PortEvent::Opened { owner: 7, port });
    assert!(w.open().contains(&(7, port)));
    drop(listener);
    ours(PortEvent::Closed { owner: 7, port });
    assert!(!w.open().contains(&(7, port)));
}

#[test]
fn a_port_the_output_announced_counts_while_it_accepts() {
    // An owner whose processes hold no socket (docker's proxy holds it; or there is no /proc).
    let (w, rx) = watch(vec![(3, u32::MAX)]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    assert!(rx.recv_timeout(Duration::from_millis(400)).is_err(), "nothing without the hint");
    w.hint(3, &[port]);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).expect("an event"), PortEvent::Opened { owner: 3, port });
    drop(listener);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).expect("an event"), PortEvent::Closed { owner: 3, port });
}

// ---- the preview's proxy -------------------------------------------------------------------

/// A tiny app server: an HTML page, JSON, a redirect to its own address, and an upgrade
/// that echoes what it is sent (a dev server's hot-reload socket, in shape).
fn app_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if s.read(&mut b).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let reply = |s: &mut std::net::TcpStream, status: &str, extra: &str, body: &str| {
                    let _ = write!(s, "HTTP/1.1 {status}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                };
                match path.as_str() {
                    "/" => {
                        // The page must be asked for uncompressed.
                        let enc = head.to_ascii_lowercase().contains("accept-encoding");
                        reply(&mut s, "200 OK", "content-type: text/html; charset=utf-8\r\n", &format!("<!doctype html><html><head><title>t</title></head><body>compressed-asked:{enc}</body></html>"))
                    }
                    "/data" => reply(&mut s, "200 OK", "content-type: application/json\r\n", "{\"head\": \"<head>\"}"),
                    "/echo" => {
                        let len = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
                        let mut body = vec![0u8; len];
                        let _ = s.read_exact(&mut body);
                        let method = head.split_whitespace().next().unwrap_or("?").to_owned();
                        reply(&mut s, "201 Created", "content-type: text/plain\r\nx-app: yes\r\n", &format!("{method} {}", String::from_utf8_lossy(&body)))
                    }
                    "/old" => reply(&mut s, "302 Found", &format!("location: http://localhost:{port}/new\r\n"), ""),
                    "/ws" => {
                        let _ = write!(s, "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n");
                        let mut buf = [0u8; 64];
                        while let Ok(n) = s.read(&mut buf) {
                            if n == 0 || s.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                    _ => reply(&mut s, "404 Not Found", "", "no"),
                }
            });
        }
    });
    port
}

fn http(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(request.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out
}

fn get(port: u16, path: &str) -> String {
    http(port, &format!("GET {path} HTTP/1.1\r\nhost: localhost:{port}\r\naccept-encoding: gzip, br\r\nconnection: close\r\n\r\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_proxy_gives_pages_the_script_and_passes_the_rest_through() {
    let target = app_server();
    let proxy = weft_run::proxy::Proxy::start(target).await.expect("proxy");
    let p = proxy.port;
    let page = tokio::task::spawn_blocking(move || get(p, "/")).await.expect("join");
    assert!(page.contains("<head><script src=\"/__weft_preview.js\"></script><title>t</title>"), "{page}");
    assert!(page.contains("compressed-asked:false"), "{page}");
    let data = tokio::task::spawn_blocking(move || get(p, "/data")).await.expect("join");
    assert!(data.ends_with("{\"head\": \"<head>\"}"), "not a page: untouched: {data}");
    let old = tokio::task::spawn_blocking(move || get(p, "/old")).await.expect("join");
    assert!(old.to_ascii_lowercase().contains(&format!("location: http://localhost:{p}/new")), "{old}");
    let script = tokio::task::spawn_blocking(move || get(p, "/__weft_preview.js")).await.expect("join");
    assert!(script.contains("parent.postMessage"), "{script}");
    // An upgrade is tunnelled both ways.
    let echoed = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", p)).expect("connect");
        c.write_all(format!("GET /ws HTTP/1.1\r\nhost: localhost:{p}\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n").as_bytes()).expect("send");
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            c.read_exact(&mut b).expect("read");
            head.push(b[0]);
        }
        c.write_all(b"ping").expect("write");
        let mut got = [0u8; 4];
        c.read_exact(&mut got).expect("echo");
        (String::from_utf8_lossy(&head).to_string(), got)
    })
    .await
    .expect("join");
    assert!(echoed.0.starts_with("HTTP/1.1 101"), "{}", echoed.0);
    assert_eq!(&echoed.1, b"ping");
    // The app stopped: a page saying so (which reloads when it comes back).
    drop(proxy);
    let down = weft_run::proxy::Proxy::start(1).await.expect("proxy");
    let dp = down.port;
    let page = tokio::task::spawn_blocking(move || get(dp, "/")).await.expect("join");
    assert!(page.starts_with("HTTP/1.1 502"), "{page}");
    assert!(page.contains("Nothing answers on port 1"), "{page}");
}

/// The collaboration link, in process: what the host's side does with a guest's request.
struct Direct(u16, std::sync::atomic::AtomicUsize);

impl weft_run::proxy::Relay for Direct {
    fn fetch(&self, req: weft_run::proxy::Fetch) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<weft_run::proxy::Fetched, String>> + Send + '_>> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(weft_run::proxy::fetch(self.0, req))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relayed_proxy_shows_the_hosts_app_whole_requests_and_all() {
    let target = app_server();
    let relay = std::sync::Arc::new(Direct(target, Default::default()));
    let proxy = weft_run::proxy::Proxy::start_relayed(target, relay.clone()).await.expect("proxy");
    let p = proxy.port;
    let page = tokio::task::spawn_blocking(move || get(p, "/")).await.expect("join");
    assert!(page.contains("<head><script src=\"/__weft_preview.js\"></script><title>t</title>"), "{page}");
    assert!(page.contains("compressed-asked:false"), "the host asks the app for it uncompressed: {page}");
    let data = tokio::task::spawn_blocking(move || get(p, "/data")).await.expect("join");
    assert!(data.ends_with("{\"head\": \"<head>\"}"), "{data}");
    let old = tokio::task::spawn_blocking(move || get(p, "/old")).await.expect("join");
    assert!(old.to_ascii_lowercase().contains(&format!("location: http://localhost:{p}/new")), "a redirect stays on the guest's side: {old}");
    let posted = tokio::task::spawn_blocking(move || http(p, &format!("POST /echo HTTP/1.1\r\nhost: localhost:{p}\r\ncontent-length: 11\r\nconnection: close\r\n\r\nhello=guest"))).await.expect("join");
    assert!(posted.starts_with("HTTP/1.1 201"), "{posted}");
    assert!(posted.to_ascii_lowercase().contains("x-app: yes"), "the app's headers: {posted}");
    assert!(posted.ends_with("POST hello=guest"), "{posted}");
    let script = tokio::task::spawn_blocking(move || get(p, "/__weft_preview.js")).await.expect("join");
    assert!(script.contains("parent.postMessage"));
    let before = relay.1.load(std::sync::atomic::Ordering::SeqCst);
    let ws = tokio::task::spawn_blocking(move || http(p, &format!("GET /ws HTTP/1.1\r\nhost: localhost:{p}\r\nconnection: upgrade, close\r\nupgrade: echo\r\n\r\n"))).await.expect("join");
    assert!(ws.starts_with("HTTP/1.1 501") && ws.contains("not relayed"), "{ws}");
    assert_eq!(relay.1.load(std::sync::atomic::Ordering::SeqCst), before, "neither the script nor an upgrade went to the host");
    // The app is gone: the guest sees why.
    let gone = weft_run::proxy::Proxy::start_relayed(1, std::sync::Arc::new(Direct(1, Default::default()))).await.expect("proxy");
    let gp = gone.port;
    let page = tokio::task::spawn_blocking(move || get(gp, "/")).await.expect("join");
    assert!(page.starts_with("HTTP/1.1 502") && page.contains("nothing answers on port 1"), "{page}");
}

#[test]
fn the_script_goes_after_head_not_header() {
    assert_eq!(weft_run::proxy::inject(b"<HTML><Head lang=x><b>"), b"<HTML><Head lang=x><script src=\"/__weft_preview.js\"></script><b>");
    assert_eq!(weft_run::proxy::inject(b"<html><body><header>x</header>"), b"<html><script src=\"/__weft_preview.js\"></script><body><header>x</header>");
    assert_eq!(weft_run::proxy::inject(b"just text"), b"<script src=\"/__weft_preview.js\"></script>just text");
}

#[cfg(unix)]
#[test]
fn lsof_names_the_ports_a_process_listens_on() {
    assert_eq!(ports::parse_lsof("p42\nn127.0.0.1:3000\nn*:5173\nn[::1]:8000\n"), [3000, 5173, 8000].into_iter().collect());
    // Against the real lsof where it is installed (CI installs it): this process's socket.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    match ports::lsof_listening(&[std::process::id()]) {
        Some(found) => assert!(found.contains(&port), "{found:?} lacks {port}"),
        None => println!("SKIPPED: no lsof here"),
    }
}

/// The real table on Windows (under Wine in CI): this process's listener, by its pid.
#[cfg(windows)]
#[test]
fn windows_listening_sockets_are_found_with_their_process() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let table = weft_run::ports::windows::listening();
    assert!(table.values().flatten().any(|p| *p == port), "port {port} not in the table: {table:?}");
    let mine = table.get(&std::process::id()).cloned().unwrap_or_default();
    if std::env::var_os("WEFT_UNDER_WINE").is_some() && !mine.contains(&port) {
        // Wine 8 fills the table from the host's sockets but names no process (pid 0).
        assert_eq!(table.keys().copied().collect::<Vec<_>>(), [0], "{table:?}");
        eprintln!("NOTE: under Wine the table names no process (pid 0): the attribution is checked on Windows itself");
        return;
    }
    assert!(mine.contains(&port), "port {port} not listed for pid {} in {table:?}", std::process::id());
}
