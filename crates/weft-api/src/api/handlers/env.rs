//! The project's variables and secrets (see ../../env.rs).

use super::*;

pub(crate) fn list(api: &Api, _stream: Option<Stream>) -> Result<Vec<crate::EnvVar>> {
    api.open()?.env.list()
}

pub(crate) fn set(api: &Api, name: String, value: String, secret: bool, _stream: Option<Stream>) -> Result<Vec<crate::EnvVar>> {
    let open = api.open()?;
    open.env.set(&name, &value, secret)?;
    open.env.list()
}

pub(crate) fn remove(api: &Api, name: String, _stream: Option<Stream>) -> Result<Vec<crate::EnvVar>> {
    let open = api.open()?;
    if !open.env.remove(&name)? {
        return Err(ApiError::new(crate::ErrorCode::NotFound, format!("no variable named {name}")));
    }
    open.env.list()
}

/// A `.env` file of the project read into secrets; the names imported.
pub(crate) fn import(api: &Api, path: String, _stream: Option<Stream>) -> Result<Vec<String>> {
    let open = api.open()?;
    open.ws.resolve(&path)?;
    open.env.import_dotenv(&path)
}
