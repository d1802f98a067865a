//! The baseline for Weft's start-up benchmark: a bare Tauri window whose page reports
//! readiness the same way Weft's does (a line on stderr), so the two are timed alike.

use std::time::Instant;

#[tauri::command]
fn ready(started: tauri::State<'_, Instant>, at: f64) {
    // `at`: ms since the page began loading, to split the start-up as Weft's marks do.
    eprintln!("weft-ready {:.1} page: ready {at:.0}", started.elapsed().as_secs_f64() * 1e3);
}

fn main() {
    let started = Instant::now();
    tauri::Builder::default()
        .manage(started)
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("minimal window");
}
