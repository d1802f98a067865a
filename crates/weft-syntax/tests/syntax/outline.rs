//! Outline snapshots: one real-looking file per language, its outline rendered as text and
//! compared with the reviewed `.outline` file beside it. `WEFT_BLESS=1` rewrites them.

use std::path::Path;

use weft_syntax::{outline, Document, Lang};

fn check(file: &str, lang: Lang) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/outline");
    let text = std::fs::read_to_string(dir.join(file)).expect("fixture");
    assert_eq!(Lang::detect(file, &text), Some(lang), "{file} is detected as {lang:?}");
    let doc = Document::new(lang, text).expect("parse");
    assert!(doc.errors().is_empty(), "{file} parses cleanly: {:?}", doc.errors());
    let got = outline::render(&doc.outline());
    let snap = dir.join(format!("{file}.outline"));
    if std::env::var_os("WEFT_BLESS").is_some() {
        std::fs::write(&snap, &got).expect("write snapshot");
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_default();
    assert_eq!(got, want, "outline of {file} differs from {}", snap.display());
}

#[test]
fn rust() {
    check("rust.rs", Lang::Rust);
}
#[test]
fn python() {
    check("python.py", Lang::Python);
}
#[test]
fn javascript() {
    check("javascript.js", Lang::JavaScript);
}
#[test]
fn typescript() {
    check("typescript.ts", Lang::TypeScript);
}
#[test]
fn tsx() {
    check("component.tsx", Lang::Tsx);
}
#[test]
fn go() {
    check("go.go", Lang::Go);
}
#[test]
fn c() {
    check("c.c", Lang::C);
}
#[test]
fn cpp() {
    check("cpp.cpp", Lang::Cpp);
}
#[test]
fn java() {
    check("java.java", Lang::Java);
}
#[test]
fn json() {
    check("json.json", Lang::Json);
}
#[test]
fn toml() {
    check("toml.toml", Lang::Toml);
}
#[test]
fn yaml() {
    check("yaml.yaml", Lang::Yaml);
}
#[test]
fn markdown() {
    check("markdown.md", Lang::Markdown);
}
#[test]
fn html() {
    check("html.html", Lang::Html);
}
#[test]
fn css() {
    check("css.css", Lang::Css);
}
#[test]
fn bash() {
    check("bash.sh", Lang::Bash);
}

#[test]
fn detection_by_name_and_shebang() {
    assert_eq!(Lang::detect("src/Main.RS", ""), Some(Lang::Rust));
    assert_eq!(Lang::detect("include/vec.hpp", ""), Some(Lang::Cpp));
    assert_eq!(Lang::detect("a/b/.bashrc", ""), Some(Lang::Bash));
    assert_eq!(Lang::detect("bin/tool", "#!/usr/bin/env python3\nprint(1)\n"), Some(Lang::Python));
    assert_eq!(Lang::detect("bin/run", "#!/bin/sh -e\n"), Some(Lang::Bash));
    assert_eq!(Lang::detect("bin/serve", "#!/usr/bin/env -S node --no-warnings\n"), Some(Lang::JavaScript));
    assert_eq!(Lang::detect("notes.txt", "plain words\n"), None);
    // The extension wins over a misleading first line.
    assert_eq!(Lang::detect("x.go", "#!/bin/bash\n"), Some(Lang::Go));
}
