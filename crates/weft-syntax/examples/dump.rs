//! Prints a file's tree, outline, errors and folds: `cargo run -p weft-syntax --example dump FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("a file");
    let text = std::fs::read_to_string(&path).expect("readable");
    let lang = weft_syntax::Lang::detect(&path, &text).expect("a known language");
    let doc = weft_syntax::Document::new(lang, text).expect("parse");
    println!("{}", doc.tree().root_node().to_sexp());
    print!("{}", weft_syntax::outline::render(&doc.outline()));
    println!("errors: {:?}", doc.errors());
    println!("folds: {:?}", doc.folds());
}
