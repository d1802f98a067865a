//! Where API keys live when they are not in the environment: a JSON file in the user's
//! config directory that only the user can read (0600 on Unix, written atomically).
//!
//! The environment wins over the file, as every provider SDK does, so a key exported for
//! one shell session overrides the saved one without changing it.

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
}

impl KeyStore {
    /// `<config dir>/weft/keys.json`.
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("weft").join("keys.json"))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        KeyStore { path: path.into() }
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
        Ok(self.load()?.get(provider).map(|k| ApiKey::new(k.as_str())))
    }

    /// Which providers have a saved key (never the keys themselves).
    pub fn providers(&self) -> Result<Vec<String>, KeyStoreError> {
        Ok(self.load()?.into_keys().collect())
    }

    /// Saves (or with `None`, forgets) a provider's key.
    pub fn set(&self, provider: &str, key: Option<&ApiKey>) -> Result<(), KeyStoreError> {
        let mut all = self.load()?;
        match key {
            Some(k) => all.insert(provider.to_owned(), k.expose().to_owned()),
            None => all.remove(provider),
        };
        let err = |source| KeyStoreError::Write { path: self.path.clone(), source };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = self.path.with_extension("json.tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(err)?;
        // The mode only applies to a new file; a leftover temp file keeps its own.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        }
        let json = serde_json::to_vec_pretty(&all).unwrap_or_default();
        f.write_all(&json).and_then(|_| f.sync_all()).map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)
    }
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
