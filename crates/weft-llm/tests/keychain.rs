//! API keys in a real OS keychain: a private D-Bus session with GNOME Keyring's Secret
//! Service (what a Linux desktop runs). The key goes to the keychain, not the file; it is
//! found by the standard `secret-tool`; forgetting removes it; with the keychain gone, keys
//! fall back to the user-only file.
//!
//! Needs `dbus-daemon`, `gnome-keyring-daemon` and `secret-tool` (the test setup installs
//! them); without them the test says so and passes, unless WEFT_REQUIRE_KEYCHAIN_TEST=1.

use std::process::{Command, Stdio};

use weft_llm::keys::{KeyStore, Location};
use weft_llm::ApiKey;

fn have(bin: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {bin}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn secret_tool_lookup(provider: &str) -> Option<String> {
    let out = Command::new("secret-tool").args(["lookup", "service", "weft", "username", provider]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn keys_live_in_the_os_keychain_and_fall_back_to_the_file_without_one() {
    if !["dbus-daemon", "gnome-keyring-daemon", "secret-tool"].iter().all(|b| have(b)) {
        assert!(std::env::var_os("WEFT_REQUIRE_KEYCHAIN_TEST").is_none(), "dbus-daemon, gnome-keyring-daemon and secret-tool are required");
        eprintln!("skipped: no dbus-daemon / gnome-keyring-daemon / secret-tool here");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let run = dir.path().join("run");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&run).expect("run");
    #[cfg(unix)]
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
    // This test binary has this one test: the environment is its own.
    std::env::set_var("HOME", &home);
    std::env::set_var("XDG_RUNTIME_DIR", &run);
    std::env::remove_var("DISPLAY");
    let bus = Command::new("dbus-daemon").args(["--session", "--fork", "--print-address=1", "--print-pid=1"]).output().expect("dbus-daemon");
    let out = String::from_utf8_lossy(&bus.stdout).into_owned();
    let mut lines = out.lines();
    let (addr, pid) = (lines.next().expect("address").to_owned(), lines.next().expect("pid").trim().to_owned());
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &addr);
    // Unlocking with a password creates and unlocks the default ("login") collection.
    let mut keyring = Command::new("gnome-keyring-daemon").args(["--unlock", "--components=secrets"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().expect("gnome-keyring");
    std::io::Write::write_all(&mut keyring.stdin.take().expect("stdin"), b"weft-test").expect("password");
    keyring.wait().expect("gnome-keyring started");

    let file = dir.path().join("cfg/keys.json");
    let store = KeyStore::with_keychain(&file);
    assert_eq!(store.set("anthropic", Some(&ApiKey::new("sk-ant-in-keychain"))).expect("save"), Some(Location::Keychain));
    assert_eq!(secret_tool_lookup("anthropic").as_deref(), Some("sk-ant-in-keychain"), "stored in the Secret Service");
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(!on_disk.contains("sk-ant"), "the key is not in the file: {on_disk}");
    assert!(!std::fs::read_to_string(file.with_file_name("keychain.json")).expect("index").contains("sk-ant"), "the index has names only");
    assert_eq!(store.get("anthropic").expect("get"), Some(ApiKey::new("sk-ant-in-keychain")));
    assert_eq!(store.location("anthropic").expect("where"), Some(Location::Keychain));
    assert_eq!(store.providers().expect("list"), ["anthropic"]);

    // A key saved in the file before moves to the keychain when saved again.
    KeyStore::at(&file).set("openai", Some(&ApiKey::new("sk-oai-old"))).expect("file");
    assert_eq!(store.set("openai", Some(&ApiKey::new("sk-oai-new"))).expect("save"), Some(Location::Keychain));
    assert!(!std::fs::read_to_string(&file).expect("file").contains("sk-oai"), "moved out of the file");

    // Forgotten: gone from the keychain.
    store.set("anthropic", None).expect("forget");
    assert_eq!(secret_tool_lookup("anthropic"), None);
    assert_eq!(store.get("anthropic").expect("get"), None);
    assert_eq!(store.providers().expect("list"), ["openai"]);

    // No keychain any more (the session ended): keys go to the user-only file.
    let _ = Command::new("pkill").args(["-f", "gnome-keyring-daemon --unlock"]).status();
    let _ = Command::new("kill").arg(&pid).status();
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/weft-test-bus");
    assert_eq!(store.set("mistral", Some(&ApiKey::new("sk-mis"))).expect("save"), Some(Location::File));
    assert!(std::fs::read_to_string(&file).expect("file").contains("sk-mis"));
    assert_eq!(store.get("mistral").expect("get"), Some(ApiKey::new("sk-mis")));
}
