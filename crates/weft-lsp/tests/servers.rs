//! Against real language servers: typescript-language-server and pyright from npm
//! (scripts/language-servers, installed by scripts/setup.sh for the tests) and clangd from
//! Debian. Diagnostics appear for a type error and clear when it is fixed; completion
//! lists a member; definition crosses files; hover shows a type; a server killed
//! mid-session is started again and its diagnostics come back; a server that is not
//! installed is reported with its install hint. These fail (never skip) when a server is
//! missing: the test command installs them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use weft_lsp::{Lsp, LspEvent, ServerSpec, ServerState, Severity};

fn servers_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/language-servers/node_modules/.bin")
}

fn lsp(root: &std::path::Path) -> Arc<Lsp> {
    let bin = servers_bin();
    assert!(bin.join("typescript-language-server").exists(), "the test servers are not installed: run scripts/setup.sh with WEFT_SETUP_TESTS=1 ({})", bin.display());
    Lsp::new(root, vec![], vec![bin])
}

/// A TypeScript project of `a.ts` and `b.ts` with both open in a fresh client; the folder,
/// the client and its events (subscribed before the files open).
fn ts_project(a: &str, b: &str) -> (tempfile::TempDir, Arc<Lsp>, broadcast::Receiver<LspEvent>) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("tsconfig.json"), r#"{"compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs"}}"#).expect("write");
    std::fs::write(d.join("a.ts"), a).expect("write");
    std::fs::write(d.join("b.ts"), b).expect("write");
    let lsp = lsp(d);
    let events = lsp.subscribe();
    lsp.open("a.ts", a.into());
    lsp.open("b.ts", b.into());
    (dir, lsp, events)
}

/// Waits for `path`'s diagnostics to satisfy `want`; returns them.
async fn diagnostics(events: &mut broadcast::Receiver<LspEvent>, path: &str, want: impl Fn(&[weft_lsp::Diagnostic]) -> bool) -> Vec<weft_lsp::Diagnostic> {
    let end = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let e = tokio::time::timeout_at(end, events.recv()).await.unwrap_or_else(|_| panic!("no matching diagnostics for {path} in time")).expect("events");
        if let LspEvent::Diagnostics { path: p, diagnostics } = e {
            if p == path && want(&diagnostics) {
                return diagnostics;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_diagnostics_completion_definition_hover_and_a_restart() {
    let a = "export function greet(name: string): string {\n  return 'hi ' + name;\n}\n";
    let bad = "import { greet } from './a';\nconst n: number = greet('x');\ngreet('y').toUpp\n";
    let (_dir, lsp, mut events) = ts_project(a, bad);

    // The type error is reported on line 2 (0-based 1).
    let diags = diagnostics(&mut events, "b.ts", |d| d.iter().any(|x| x.line == 1 && x.severity == Severity::Error)).await;
    let err = diags.iter().find(|x| x.line == 1).expect("the error");
    assert!(err.message.contains("not assignable to type 'number'"), "{err:?}");

    // Completion after `greet('y').toUpp`: string's toUpperCase.
    let items = lsp.completion("b.ts", 2, 16).await.expect("completion");
    assert!(items.iter().any(|c| c.label == "toUpperCase"), "{:?}", items.iter().map(|c| &c.label).take(20).collect::<Vec<_>>());

    // Definition of greet (line 2, column 20) is in a.ts, line 0.
    let defs = lsp.locations("b.ts", "textDocument/definition", 1, 20).await.expect("definition");
    assert_eq!((defs[0].path.as_str(), defs[0].line), ("a.ts", 0), "{defs:?}");
    let hover = lsp.hover("b.ts", 1, 20).await.expect("hover").expect("some hover");
    assert!(hover.contains("greet(name: string): string"), "{hover}");

    // Fixed in the editor (not on disk): the diagnostics clear.
    let good = "import { greet } from './a';\nconst n: string = greet('x');\ngreet('y').toUpperCase();\n";
    lsp.change("b.ts", good.into());
    diagnostics(&mut events, "b.ts", |d| d.iter().all(|x| x.severity != Severity::Error)).await;

    // Killed: started again, the documents opened again, diagnostics back for a new error.
    assert!(lsp.kill_for_test("b.ts"));
    let end = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut restarted = false;
    while !restarted {
        if let LspEvent::Server { state: ServerState::Running, .. } = tokio::time::timeout_at(end, events.recv()).await.expect("a restart in time").expect("events") {
            restarted = true;
        }
    }
    lsp.change("b.ts", bad.into());
    diagnostics(&mut events, "b.ts", |d| d.iter().any(|x| x.line == 1 && x.severity == Severity::Error)).await;
    lsp.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyright_reports_a_type_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let text = "def f(x: int) -> int:\n    return x\n\nf('no')\n";
    std::fs::write(d.join("m.py"), text).expect("write");
    let lsp = lsp(d);
    let mut events = lsp.subscribe();
    lsp.open("m.py", text.into());
    let diags = diagnostics(&mut events, "m.py", |d| d.iter().any(|x| x.line == 3)).await;
    assert!(diags.iter().any(|x| x.message.contains("Literal['no']") && x.message.contains("int") && x.severity == Severity::Error), "{diags:?}");
    lsp.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clangd_reports_an_error_and_finds_a_definition() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let text = "int add(int a, int b) { return a + b; }\nint main() { return add(1); }\n";
    std::fs::write(d.join("main.c"), text).expect("write");
    let lsp = lsp(d);
    let mut events = lsp.subscribe();
    lsp.open("main.c", text.into());
    let diags = diagnostics(&mut events, "main.c", |d| d.iter().any(|x| x.line == 1)).await;
    assert!(diags.iter().any(|x| x.message.to_lowercase().contains("too few arguments")), "{diags:?}");
    let defs = lsp.locations("main.c", "textDocument/definition", 1, 21).await.expect("definition");
    assert_eq!((defs[0].path.as_str(), defs[0].line), ("main.c", 0), "{defs:?}");
    lsp.shutdown().await;
}

#[tokio::test]
async fn a_server_that_is_not_installed_says_how_to_install_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = ServerSpec { name: "nothing".into(), command: "weft-no-such-server".into(), args: vec![], languages: vec!["go".into()], initialization_options: None, settings: None, install_hint: "install it like this".into() };
    let lsp = Lsp::new(dir.path(), vec![spec], vec![]);
    let mut events = lsp.subscribe();
    // gopls may be installed on a developer's machine: the configured server comes first
    // only when it is installed, so ask for a language only the fake one claims.
    lsp.open("x.go", "package x\n".into());
    let e = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("in time").expect("event");
    match e {
        LspEvent::Server { state, message, .. } => {
            if state == ServerState::Missing {
                assert!(message.contains("install"), "{message}");
            } else {
                // gopls is installed here: then it is the one that starts.
                assert_eq!(state, ServerState::Starting);
            }
        }
        other => panic!("{other:?}"),
    }
    let e = lsp.hover("x.rb", 0, 0).await.expect_err("no server for Ruby");
    assert!(e.to_string().contains("no language server"), "{e}");
}

/// What the agent's edit tools ask after an edit: the server's answer for a text, for a
/// file no editor has open (opened for the question and closed after) and for one that is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_answers_for_a_text_whether_or_not_the_file_is_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("tsconfig.json"), r#"{"compilerOptions": {"strict": true}}"#).expect("write");
    std::fs::write(d.join("c.ts"), "export const c: number = 1;\n").expect("write");
    let lsp = lsp(d);
    let found = lsp.check("c.ts", "export const c: number = 'one';\n".into(), Duration::from_secs(60)).await.expect("an answer");
    assert!(found.iter().any(|x| x.severity == Severity::Error && x.message.contains("not assignable")), "{found:?}");
    assert!(lsp.servers().iter().any(|(_, s)| *s == ServerState::Running));
    // Open in an editor: the same question about the text it holds is answered from what
    // the server last said.
    lsp.open("c.ts", "export const c: number = 2;\n".into());
    let mut events = lsp.subscribe();
    diagnostics(&mut events, "c.ts", |_| true).await;
    let found = lsp.check("c.ts", "export const c: number = 2;\n".into(), Duration::from_secs(60)).await.expect("an answer");
    assert!(found.iter().all(|x| x.severity != Severity::Error), "{found:?}");
    // Not a language with a server: no answer, at once.
    assert_eq!(lsp.check("notes.md", "# x".into(), Duration::from_secs(60)).await, None);
    lsp.shutdown().await;
}

/// A server that exits at once (a rustup proxy whose component is not installed, a
/// broken install): its own last words are in the failure, and after a few tries it
/// stops being started.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dies_at_start_says_why_and_is_given_up_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let bin = dir.path().join("broken-ls");
    std::fs::write(&bin, "#!/bin/sh\necho \"error: 'broken-ls' is not installed for the toolchain\" >&2\nexit 1\n").expect("write");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let spec = ServerSpec { name: "broken".into(), command: bin.to_string_lossy().into_owned(), args: vec![], languages: vec!["go".into()], initialization_options: None, settings: None, install_hint: String::new() };
    let lsp = Lsp::new(dir.path(), vec![spec], vec![]);
    let mut events = lsp.subscribe();
    lsp.open("x.go", "package x\n".into());
    let end = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut restarts = 0;
    let failed = loop {
        match tokio::time::timeout_at(end, events.recv()).await.expect("gave up in time").expect("events") {
            LspEvent::Server { state: ServerState::Restarting, message, .. } => {
                assert!(message.contains("is not installed for the toolchain"), "{message}");
                restarts += 1;
            }
            LspEvent::Server { state: ServerState::Failed, message, .. } => break message,
            _ => {}
        }
    };
    assert_eq!(restarts, 4, "tried five times in all");
    assert!(failed.contains("is not installed for the toolchain") && failed.contains("crashes"), "{failed}");
    let e = lsp.hover("x.go", 0, 0).await.expect_err("given up");
    assert!(e.to_string().contains("stopped"), "{e}");
}

/// Rename: the server's edits in every file that refers to the symbol, and applying them
/// gives the renamed text (the TypeScript server, across two files).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_edits_every_reference_across_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("tsconfig.json"), r#"{"compilerOptions": {"strict": true}}"#).expect("write");
    let a = "export function greet(name: string) {\n  return 'hi ' + name;\n}\n";
    let b = "import { greet } from './a';\ngreet('x');\ngreet('y');\n";
    std::fs::write(d.join("a.ts"), a).expect("write");
    std::fs::write(d.join("b.ts"), b).expect("write");
    let lsp = lsp(d);
    lsp.open("a.ts", a.into());
    lsp.open("b.ts", b.into());
    // At the definition (from an import, TypeScript renames the import alone: `greet as …`).
    let files = lsp.rename("a.ts", 0, 17, "welcome").await.expect("rename");
    let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.ts", "b.ts"], "{files:?}");
    let after = |p: &str, text: &str| weft_lsp::apply_edits(text, &files.iter().find(|f| f.path == p).expect("file").edits);
    assert_eq!(after("a.ts", a), "export function welcome(name: string) {\n  return 'hi ' + name;\n}\n");
    assert_eq!(after("b.ts", b), "import { welcome } from './a';\nwelcome('x');\nwelcome('y');\n");
    lsp.shutdown().await;
}

#[test]
fn edits_apply_in_utf16_columns_and_in_any_order() {
    use weft_lsp::{apply_edits, TextEdit};
    let e = |line, character, end_line, end_character, t: &str| TextEdit { line, character, end_line, end_character, new_text: t.into() };
    // "é" and "😀" are 1 and 2 UTF-16 units.
    let text = "let é = 1;\nlet 😀x = é;\n";
    let out = apply_edits(text, &[e(1, 10, 1, 11, "e2"), e(0, 4, 0, 5, "e2"), e(1, 4, 1, 7, "y")]);
    assert_eq!(out, "let e2 = 1;\nlet y = e2;\n");
    // Past the end of a line or the text: clamped.
    assert_eq!(apply_edits("ab\n", &[e(0, 9, 0, 9, "!"), e(5, 0, 5, 0, "?")]), "ab!\n?");
}

/// The TypeScript server's signature help, formatting, highlights, a quick fix and a
/// completion that brings its import along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_help_formatting_highlights_quick_fixes_and_auto_imports() {
    let a = "export function area(width: number, height: number): number {\n  return width * height;\n}\nexport const answerToEverything = 42;\n";
    let b = "import { area } from './a';\nconst w = 3;\narea(w, 4);\nconsol.log(w);\nfunction   messy( x:number ){return x+w}\nanswerToEv\n";
    let (_dir, lsp, mut events) = ts_project(a, b);
    diagnostics(&mut events, "b.ts", |d| d.iter().any(|x| x.message.contains("consol"))).await;

    // Inside `area(w, |4)`: the signature, the second parameter active.
    let sig = lsp.signature_help("b.ts", 2, 8).await.expect("signature").expect("some signature");
    assert!(sig.label.contains("area(width: number, height: number): number"), "{sig:?}");
    let (s, e) = sig.active.expect("an active parameter");
    let active: String = sig.label.encode_utf16().collect::<Vec<_>>()[s as usize..e as usize].iter().map(|&u| char::from_u32(u32::from(u)).unwrap_or('?')).collect();
    assert_eq!(active, "height: number");
    assert!(lsp.signature_help("b.ts", 1, 0).await.expect("outside").is_none(), "no call there");

    // Highlights: `w` is declared once and used three times.
    let hl = lsp.highlights("b.ts", 1, 6).await.expect("highlights");
    assert_eq!(hl.len(), 4, "{hl:?}");

    // A quick fix for the misspelt `consol`: the spelling change, with its edit.
    let actions = lsp.code_actions("b.ts", 3, 0, 3, 6).await.expect("actions");
    let fix = actions.iter().find(|a| a.title.contains("console")).unwrap_or_else(|| panic!("{actions:?}"));
    assert_eq!(fix.kind.as_deref(), Some("quickfix"));
    let fixed = weft_lsp::apply_edits(b, &fix.edits[0].edits);
    assert!(fixed.contains("\nconsole.log(w);\n"), "{fixed}");

    // Formatting the whole file: the messy function comes out tidy.
    let edits = lsp.format("b.ts", 2, true).await.expect("format");
    let formatted = weft_lsp::apply_edits(b, &edits);
    assert!(formatted.contains("function messy(x: number) { return x + w }"), "{formatted}");

    // Completing a name exported by another module brings its import along.
    let items = lsp.completion("b.ts", 5, 10).await.expect("completion");
    let item = items.iter().find(|c| c.label == "answerToEverything").unwrap_or_else(|| panic!("{:?}", items.iter().map(|c| &c.label).take(30).collect::<Vec<_>>()));
    let full = match &item.resolve {
        Some(raw) => lsp.resolve_completion("b.ts", raw.clone()).await.expect("resolve"),
        None => item.clone(),
    };
    // Workspace symbols: the server finds `area` in a.ts by name.
    let found = lsp.workspace_symbols("area", Duration::from_secs(10)).await;
    let area = found.iter().find(|s| s.name == "area").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!((area.path.as_str(), area.line, area.kind.as_str()), ("a.ts", 0, "function"));
    let with_import = weft_lsp::apply_edits(b, &full.additional_edits);
    assert!(with_import.starts_with("import { answerToEverything, area } from './a';\n"), "the import comes with it: {with_import}");
    lsp.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inlay_hints_semantic_tokens_commit_characters_type_definition_and_implementation() {
    let a = "export interface Shape { area(): number }\nexport class Square implements Shape {\n  constructor(readonly side: number) {}\n  area() { return this.side * this.side; }\n}\n";
    let b = "import { Shape, Square } from './a';\nfunction scale(shape: Shape, factor: number) { return shape.area() * factor; }\nconst sq = new Square(2);\nconst big = scale(sq, 3);\nsq.\n";
    let (_dir, lsp, mut events) = ts_project(a, b);
    diagnostics(&mut events, "b.ts", |_| true).await;

    // Inlay hints: the inferred type of `big` (not of `sq`: `new Square` says it), the
    // parameter names before literal arguments, the return type of `scale`.
    let hints = lsp.inlay_hints("b.ts", 0, 5).await.expect("inlay hints");
    let hint = |line: u32, label: &str, kind: &str| hints.iter().any(|h| h.line == line && h.label == label && h.kind.as_deref() == Some(kind));
    assert!(hint(1, ": number", "type"), "scale's return type: {hints:?}");
    assert!(hint(2, "side:", "parameter") && hint(3, "factor:", "parameter"), "the literals' parameter names: {hints:?}");
    assert!(hint(3, ": number", "type"), "big's type: {hints:?}");
    assert!(!hints.iter().any(|h| h.line == 2 && h.kind.as_deref() == Some("type")), "no type after `sq = new Square`: {hints:?}");
    // Lines outside the range asked have none.
    assert!(lsp.inlay_hints("b.ts", 0, 1).await.expect("hints").iter().all(|h| h.line <= 1), "only around the lines asked (the range's end touches line 1)");

    // Semantic tokens: `shape` and `factor` are parameters, `Square` a class, `area` a method.
    let tokens = lsp.semantic_tokens("b.ts").await.expect("tokens").expect("the server has them");
    let lines: Vec<&str> = b.lines().collect();
    let named = |word: &str| -> Vec<(String, Vec<String>)> {
        tokens.data.chunks(5).filter(|t| lines.get(t[0] as usize).and_then(|l| l.get(t[1] as usize..(t[1] + t[2]) as usize)) == Some(word)).map(|t| {
            let mods = tokens.modifiers.iter().enumerate().filter(|(i, _)| t[4] & (1 << i) != 0).map(|(_, m)| m.clone()).collect();
            (tokens.types[t[3] as usize].clone(), mods)
        }).collect()
    };
    assert!(named("factor").iter().all(|(t, _)| t == "parameter") && named("factor").len() == 2, "{:?}", named("factor"));
    assert!(named("Square").iter().any(|(t, _)| t == "class"), "{:?}", named("Square"));
    assert!(named("area").iter().any(|(t, _)| t == "method" || t == "member"), "{:?}", named("area"));
    assert!(named("sq").iter().any(|(t, m)| t == "variable" && m.iter().any(|m| m == "readonly")), "a const is readonly: {:?}", named("sq"));

    // Commit characters come with the members after `sq.`.
    let items = lsp.completion("b.ts", 4, 3).await.expect("completion");
    let side = items.iter().find(|c| c.label == "side").unwrap_or_else(|| panic!("{:?}", items.iter().map(|c| &c.label).collect::<Vec<_>>()));
    assert!(side.commit_characters.iter().any(|c| c == "."), "{side:?}");

    // Type definition of `sq` is the class; the implementation of Shape's `area` is Square's.
    let ty = lsp.locations("b.ts", "textDocument/typeDefinition", 2, 7).await.expect("type definition");
    assert_eq!((ty[0].path.as_str(), ty[0].line), ("a.ts", 1), "{ty:?}");
    let imp = lsp.locations("a.ts", "textDocument/implementation", 0, 26).await.expect("implementation");
    assert!(imp.iter().any(|l| l.path == "a.ts" && l.line == 3), "{imp:?}");
    lsp.shutdown().await;
}
