//! A document follows the editor's edits: incremental reparses must give the tree a fresh
//! parse gives, must really be incremental, and errors, folds and selection must land on
//! the right ranges in the editor's UTF-16 offsets.

use std::time::{Duration, Instant};

use weft_syntax::{Change, Document, Lang, Span};

/// Real Rust from this repository, at least `min` bytes of it.
fn real_rust(min: usize) -> String {
    let parts = [
        include_str!("../../../weft-store/src/lib.rs"),
        include_str!("../../../weft-store/src/scan.rs"),
        include_str!("../../../weft-store/src/manifest.rs"),
        include_str!("../../../weft-store/src/restore.rs"),
    ];
    let mut text = String::new();
    while text.len() < min {
        for p in parts {
            text.push_str(p);
        }
    }
    text
}

/// xorshift64*: seeded, so a failure replays.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn utf16_of_char(text: &str, chars: usize) -> u32 {
    text.chars().take(chars).map(|c| c.len_utf16() as u32).sum()
}

fn fresh_sexp(lang: Lang, text: &str) -> String {
    Document::new(lang, text.to_string()).expect("parse").tree().root_node().to_sexp()
}

#[test]
fn randomized_edits_match_a_fresh_parse() {
    const SNIPPETS: &[&str] =
        &["x", "let y = 1;", "{", "}", "(", ")", "\"", "é", "🦀", "\n", "    ", "// note\n", "fn f() {}\n", ";", "'a", "/*", "*/", "::"];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let original = real_rust(20_000);
    let mut doc = Document::new(Lang::Rust, original.clone()).expect("parse");
    let mut model = original.clone();
    let mut history: Vec<String> = Vec::new();
    for step in 0..300 {
        // One to three non-overlapping changes at once, as multiple cursors make.
        let n_chars = model.chars().count();
        let mut cuts: Vec<usize> = (0..rng.below(3) + 1).map(|_| rng.below(n_chars + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut changes = Vec::new();
        let mut prev_end = 0;
        for &at in &cuts {
            if at < prev_end {
                continue;
            }
            let del = if rng.below(3) == 0 { rng.below(12).min(n_chars - at) } else { 0 };
            let insert = if del > 0 && rng.below(2) == 0 { String::new() } else { SNIPPETS[rng.below(SNIPPETS.len())].to_string() };
            changes.push((at, at + del, insert));
            prev_end = at + del + 1;
        }
        let edits: Vec<Change> = changes
            .iter()
            .map(|(a, b, ins)| Change { from: utf16_of_char(&model, *a), to: utf16_of_char(&model, *b), insert: ins.clone() })
            .collect();
        // Apply to the model by char index, from the end back.
        for (a, b, ins) in changes.iter().rev() {
            let start = model.char_indices().nth(*a).map_or(model.len(), |(i, _)| i);
            let end = model.char_indices().nth(*b).map_or(model.len(), |(i, _)| i);
            model.replace_range(start..end, ins);
        }
        history.push(format!("{edits:?}"));
        doc.edit(&edits).expect("edit applies");
        assert_eq!(doc.text(), model, "text after step {step}");
        assert_eq!(doc.len_utf16(), model.encode_utf16().count() as u32);
        assert_eq!(
            doc.tree().root_node().to_sexp(),
            fresh_sexp(Lang::Rust, &model),
            "incremental tree differs from a fresh parse after step {step}; last edits {:?}",
            history.last()
        );
        if step % 25 == 0 {
            // Positions come from a line index kept up to date edit by edit.
            let fresh = Document::new(Lang::Rust, model.clone()).expect("parse");
            assert_eq!(doc.outline(), fresh.outline(), "outline after step {step}");
            assert_eq!(doc.errors(), fresh.errors(), "errors after step {step}");
            assert_eq!(doc.folds(), fresh.folds(), "folds after step {step}");
        }
    }
}

#[test]
fn bad_edits_are_refused_and_change_nothing() {
    let mut doc = Document::new(Lang::Rust, "fn main() {}\n".into()).expect("parse");
    let before = doc.tree().root_node().to_sexp();
    for bad in [
        vec![Change { from: 5, to: 99, insert: "x".into() }],
        vec![Change { from: 6, to: 4, insert: String::new() }],
        vec![Change { from: 8, to: 9, insert: "a".into() }, Change { from: 2, to: 3, insert: "b".into() }],
    ] {
        assert!(doc.edit(&bad).is_err(), "{bad:?} is refused");
        assert_eq!(doc.text(), "fn main() {}\n");
        assert_eq!(doc.tree().root_node().to_sexp(), before);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn a_one_character_edit_reparses_in_a_fraction_of_a_full_parse() {
    let text = real_rust(150 * 1024);
    assert!(text.len() >= 150 * 1024);
    let full = median(
        (0..9)
            .map(|_| {
                let t = Instant::now();
                let doc = Document::new(Lang::Rust, text.clone()).expect("parse");
                let took = t.elapsed();
                assert!(!doc.tree().root_node().has_error());
                took
            })
            .collect(),
    );
    // Type one character into an identifier in the middle of the file, then delete it.
    let at = text[text.len() / 2..].find("let ").map(|i| text.len() / 2 + i + 4).expect("a let in the middle");
    let at16 = text[..at].encode_utf16().count() as u32;
    let mut doc = Document::new(Lang::Rust, text.clone()).expect("parse");
    let mut incremental = Vec::new();
    for i in 0..40 {
        let change = if i % 2 == 0 {
            Change { from: at16, to: at16, insert: "z".into() }
        } else {
            Change { from: at16, to: at16 + 1, insert: String::new() }
        };
        let t = Instant::now();
        doc.edit(&[change]).expect("edit");
        incremental.push(t.elapsed());
    }
    assert_eq!(doc.text(), text);
    let inc = median(incremental);
    let ratio = inc.as_secs_f64() / full.as_secs_f64();
    println!("150 KB Rust: full parse {full:?}, one-character edit {inc:?}, ratio {ratio:.3}");
    // The figure is the benchmark's to judge (it prints ~0.01); here only that the reparse
    // is incremental at all, with room for a loaded machine.
    assert!(ratio < 0.5, "an incremental reparse took {ratio:.3} of a full parse ({inc:?} vs {full:?})");
}

#[test]
fn errors_mark_the_broken_code_and_vanish_when_fixed() {
    // A missing closing parenthesis and a stray token, on known lines.
    let broken = "fn ok() -> u32 {\n    1\n}\n\nfn broken(a: u32 {\n    a\n}\n\nfn fine() {}\n";
    let mut doc = Document::new(Lang::Rust, broken.into()).expect("parse");
    let errors = doc.errors();
    assert!(!errors.is_empty(), "the broken signature is reported");
    for e in &errors {
        assert_eq!(e.line, 5, "{e:?} is on the broken line");
        assert!(e.from >= 26 && e.to <= 46, "{e:?} lies within `fn broken(a: u32 {{`");
    }
    // Fix it the way a user would: type the `)`.
    let at = broken.find("u32 {\n    a").expect("spot") as u32 + 3;
    doc.edit(&[Change { from: at, to: at, insert: ")".into() }]).expect("edit");
    assert_eq!(doc.errors(), vec![], "fixed code has no errors");

    // A missing token is named, at the place it is missing. UTF-16 offsets count the
    // emoji before it as two units.
    let text = "const s = \"🦀\"\nlet x = 1;\n";
    let doc = Document::new(Lang::JavaScript, text.into()).expect("parse");
    assert_eq!(doc.errors(), vec![], "JavaScript inserts semicolons");
    let py = "def f(:\n    return 1\n";
    let errors = Document::new(Lang::Python, py.into()).expect("parse").errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 1);
    assert!(errors[0].from <= 6 && errors[0].to >= 6, "the error covers the stray `:`: {errors:?}");

    let go = "package p\n\nfunc f() {\n\tx := []int{1, 2\n}\n";
    let errors = Document::new(Lang::Go, go.into()).expect("parse").errors();
    assert!(!errors.is_empty(), "the unclosed literal is reported");
    assert!(errors.iter().all(|e| e.line >= 4), "{errors:?}");
}

#[test]
fn positions_are_utf16_offsets() {
    // Two emoji (two UTF-16 units, four bytes each) before the function.
    let text = "// 🦀🦀\nfn f() {\n    let a = 1;\n}\n";
    let doc = Document::new(Lang::Rust, text.into()).expect("parse");
    let outline = doc.outline();
    let f = &outline[0];
    let fn_at = text[..text.find("fn f").expect("fn")].encode_utf16().count() as u32;
    assert_eq!((f.name.as_str(), f.from, f.name_from), ("f", fn_at, fn_at + 3));
    assert_eq!(f.to, text[..text.rfind('}').expect("}") + 1].encode_utf16().count() as u32);
    // The body folds from after `{` to before `}`.
    let brace = text.find('{').expect("{");
    let folds = doc.folds();
    assert_eq!(folds, vec![Span { from: text[..brace + 1].encode_utf16().count() as u32, to: text[..text.rfind('}').expect("}")].encode_utf16().count() as u32 }]);
}

#[test]
fn selection_expands_to_enclosing_nodes() {
    let text = "fn f() {\n    let total = add(1, 2);\n}\n";
    let doc = Document::new(Lang::Rust, text.into()).expect("parse");
    let at = text.find("1,").expect("1") as u32;
    let span = |s: &str| {
        let from = text.find(s).expect(s) as u32;
        Span { from, to: from + s.len() as u32 }
    };
    let mut sel = Span { from: at, to: at };
    let mut seen = Vec::new();
    while let Some(next) = doc.expand(sel) {
        assert!(next.from <= sel.from && next.to >= sel.to && next != sel, "each step grows");
        seen.push(next);
        sel = next;
    }
    assert_eq!(seen[0], span("1"));
    assert!(seen.contains(&span("(1, 2)")));
    assert!(seen.contains(&span("add(1, 2)")));
    assert!(seen.contains(&span("let total = add(1, 2);")));
    assert!(seen.contains(&span("fn f() {\n    let total = add(1, 2);\n}")));
}

#[test]
fn folds_follow_each_language() {
    let py = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        pass\n";
    let doc = Document::new(Lang::Python, py.into()).expect("parse");
    let lines: Vec<(usize, usize)> = doc
        .folds()
        .iter()
        .map(|s| (py[..s.from as usize].matches('\n').count() + 1, py[..s.to as usize].matches('\n').count() + 1))
        .collect();
    // Each block folds from the end of its header line to its last line.
    assert_eq!(lines, vec![(1, 6), (2, 3), (5, 6)]);
    for s in doc.folds() {
        assert_eq!(&py[s.from as usize - 1..s.from as usize], ":", "folds start right after the colon");
    }
    let md = "# A\n\ntext\n\n## B\n\nmore\n";
    let doc = Document::new(Lang::Markdown, md.into()).expect("parse");
    let folds = doc.folds();
    assert_eq!(folds.len(), 2, "{folds:?}");
    assert_eq!(folds[0], Span { from: 3, to: md.trim_end().len() as u32 });
}
