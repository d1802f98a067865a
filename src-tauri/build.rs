fn main() {
    // The config is tauri.conf.json beside the root Cargo.toml (this crate's manifest); the
    // capabilities live with the shell's sources. With a pattern of our own tauri-build does
    // not watch them: a changed permission must rebuild.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*")).expect("tauri-build failed");
}
