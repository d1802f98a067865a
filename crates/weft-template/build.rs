// The templates are embedded (include_dir!): a file added, changed or removed under
// templates/ must rebuild the crate, which the macro alone does not tell Cargo.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
