//! Where API keys live when they are not in the environment: the OS keychain where there
//! is one (macOS Keychain, Windows Credential Manager, the Secret Service on Linux:
//! GNOME Keyring, KWallet), else a JSON file in the user's config directory that only the
//! user can read (0600 on Unix, written atomically).
//!
//! The environment wins over both, as every provider SDK does, so a key exported for one
//! shell session overrides the saved one without changing it. The keychain cannot list
//! its entries, so the names (never the keys) of providers kept there are noted in
//! `keychain.json` beside the key file.

use crate::ApiKey;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("cannot read the key file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the key file {path} is not valid JSON ({message}); fix or delete it")]
    Corrupt { path: PathBuf, message: String },
    #[error("cannot write the key file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

pub struct KeyStore {
    path: PathBuf,
    /// Try the OS keychain first (see the module docs).
    keychain: bool,
}

/// Where a saved key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Keychain,
    File,
}

/// The keychain's service name for Weft's entries (one per provider).
pub const KEYCHAIN_SERVICE: &str = "weft";

#[cfg(feature = "keychain")]
mod chain {
    use super::KEYCHAIN_SERVICE;
    use std::time::Duration;

    /// A keychain that wants to show an unlock prompt nobody can answer (a headless
    /// session) would block for ever: past this, the key file is used instead.
    const PATIENCE: Duration = Duration::from_secs(5);

    fn with_timeout<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("weft-keychain".into())
            .spawn(move || {
                let _ = tx.send(f());
            })
            .map_err(|e| e.to_string())?;
        rx.recv_timeout(PATIENCE).unwrap_or_else(|_| Err(format!("the keychain did not answer within {} s", PATIENCE.as_secs())))
    }

    fn entry(provider: &str) -> keyring::Result<keyring::Entry> {
        keyring::Entry::new(KEYCHAIN_SERVICE, provider)
    }

    pub fn get(provider: &str) -> Result<Option<String>, String> {
        let provider = provider.to_owned();
        with_timeout(move || match entry(&provider).and_then(|e| e.get_password()) {
            Ok(k) => Ok(Some(k)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        })
    }

    pub fn set(provider: &str, key: &str) -> Result<(), String> {
        let (provider, key) = (provider.to_owned(), key.to_owned());
        with_timeout(move || entry(&provider).and_then(|e| e.set_password(&key)).map_err(|e| e.to_string()))
    }

    pub fn delete(provider: &str) -> Result<(), String> {
        let provider = provider.to_owned();
        with_timeout(move || match entry(&provider).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        })
    }
}

#[cfg(not(feature = "keychain"))]
mod chain {
    const NONE: &str = "built without OS keychain support";
    pub fn get(_: &str) -> Result<Option<String>, String> {
        Err(NONE.into())
    }
    pub fn set(_: &str, _: &str) -> Result<(), String> {
        Err(NONE.into())
    }
    pub fn delete(_: &str) -> Result<(), String> {
        Err(NONE.into())
    }
}

impl KeyStore {
    /// `<config dir>/weft/keys.json`.
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("weft").join("keys.json"))
    }

    /// Keys in the file at `path` only.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        KeyStore { path: path.into(), keychain: false }
    }

    /// Keys in the OS keychain when it answers, else in the file at `path`.
    pub fn with_keychain(path: impl Into<PathBuf>) -> Self {
        KeyStore { path: path.into(), keychain: true }
    }

    fn index_path(&self) -> PathBuf {
        self.path.with_file_name("keychain.json")
    }

    /// The providers whose keys are in the keychain.
    fn index(&self) -> Vec<String> {
        std::fs::read(self.index_path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    fn set_index(&self, provider: &str, present: bool) -> Result<(), KeyStoreError> {
        let mut names = self.index();
        names.retain(|n| n != provider);
        if present {
            names.push(provider.to_owned());
            names.sort();
        }
        let path = self.index_path();
        let err = |source| KeyStoreError::Write { path: path.clone(), source };
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).map_err(err)?;
        write_private(&path, &serde_json::to_vec_pretty(&names).unwrap_or_default()).map_err(err)
    }

    /// Where `provider`'s saved key is, if it has one.
    pub fn location(&self, provider: &str) -> Result<Option<Location>, KeyStoreError> {
        if self.keychain && self.index().iter().any(|n| n == provider) {
            return Ok(Some(Location::Keychain));
        }
        Ok(self.load()?.contains_key(provider).then_some(Location::File))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<BTreeMap<String, String>, KeyStoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => return Err(KeyStoreError::Read { path: self.path.clone(), source }),
        };
        serde_json::from_str(&text).map_err(|e| KeyStoreError::Corrupt { path: self.path.clone(), message: e.to_string() })
    }

    pub fn get(&self, provider: &str) -> Result<Option<ApiKey>, KeyStoreError> {
        if self.keychain && self.index().iter().any(|n| n == provider) {
            match chain::get(provider) {
                Ok(Some(k)) => return Ok(Some(ApiKey::new(k))),
                Ok(None) => {}
                Err(e) => tracing::warn!("the OS keychain did not answer for {provider} ({e}); looking in the key file"),
            }
        }
        Ok(self.load()?.get(provider).map(|k| ApiKey::new(k.as_str())))
    }

    /// Which providers have a saved key (never the keys themselves).
    pub fn providers(&self) -> Result<Vec<String>, KeyStoreError> {
        let mut all: Vec<String> = self.load()?.into_keys().collect();
        if self.keychain {
            all.extend(self.index());
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// Saves (or with `None`, forgets) a provider's key: in the keychain when it answers
    /// (and then not in the file), else in the file. Returns where it went.
    pub fn set(&self, provider: &str, key: Option<&ApiKey>) -> Result<Option<Location>, KeyStoreError> {
        if self.keychain {
            let done = match key {
                Some(k) => chain::set(provider, k.expose()),
                None => chain::delete(provider),
            };
            match done {
                Ok(()) => {
                    self.set_index(provider, key.is_some())?;
                    // A key moved to the keychain leaves the file.
                    if self.load()?.contains_key(provider) {
                        self.write_file(provider, None)?;
                    }
                    return Ok(key.map(|_| Location::Keychain));
                }
                Err(e) => {
                    tracing::info!("no OS keychain ({e}): the key goes to the user-only key file");
                    if key.is_none() {
                        self.set_index(provider, false)?;
                    }
                }
            }
        }
        self.write_file(provider, key)?;
        Ok(key.map(|_| Location::File))
    }

    fn write_file(&self, provider: &str, key: Option<&ApiKey>) -> Result<(), KeyStoreError> {
        let mut all = self.load()?;
        match key {
            Some(k) => all.insert(provider.to_owned(), k.expose().to_owned()),
            None => all.remove(provider),
        };
        let err = |source| KeyStoreError::Write { path: self.path.clone(), source };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        write_private(&self.path, &serde_json::to_vec_pretty(&all).unwrap_or_default()).map_err(err)
    }
}

/// Writes `path` atomically, readable by the user only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    // The mode only applies to a new file; a leftover temp file keeps its own.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes).and_then(|_| f.sync_all())?;
    std::fs::rename(&tmp, path)
}

/// The key for a provider: its environment variable first, then the key file.
pub fn resolve(env: &str, provider: &str, store: Option<&KeyStore>) -> Result<Option<ApiKey>, KeyStoreError> {
    if let Some(k) = std::env::var(env).ok().filter(|k| !k.trim().is_empty()) {
        return Ok(Some(ApiKey::new(k)));
    }
    match store {
        Some(s) => s.get(provider),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_in_a_user_only_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::at(dir.path().join("cfg/keys.json"));
        assert!(store.get("anthropic").expect("empty store").is_none());
        store.set("anthropic", Some(&ApiKey::new("sk-ant-123"))).expect("save");
        store.set("openai", Some(&ApiKey::new("sk-oai"))).expect("save");
        assert_eq!(store.get("anthropic").expect("read"), Some(ApiKey::new("sk-ant-123")));
        assert_eq!(store.providers().expect("list"), ["anthropic", "openai"]);
        store.set("openai", None).expect("forget");
        assert_eq!(store.providers().expect("list"), ["anthropic"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable only by the user");
        }
    }

    #[test]
    fn a_corrupt_key_file_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "{not json").expect("write");
        let store = KeyStore::at(&path);
        assert!(matches!(store.get("x"), Err(KeyStoreError::Corrupt { .. })));
        assert!(store.set("x", Some(&ApiKey::new("k"))).is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{not json", "left as it was");
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert_eq!(format!("{:?}", ApiKey::new("sk-secret")), "ApiKey(…)");
    }
}
