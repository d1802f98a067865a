fn main() {
    // The config lives at the repository root; tauri-build reads it (and its capabilities
    // under src-tauri/capabilities) from there.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json")).expect("tauri-build failed");
}
