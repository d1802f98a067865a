//! New projects: from a template of the gallery, or cloned from a git repository, each
//! into a new folder the user chose (so the desktop's only: `weft serve` serves one folder
//! and makes none elsewhere). The UI opens the folder once it is made.

use super::*;

/// The user's own templates: folders in the config directory.
fn user_templates(api: &Api) -> std::path::PathBuf {
    api.inner.paths.config_dir.join("templates")
}

fn template_err(e: weft_template::TemplateError) -> ApiError {
    use weft_template::TemplateError as T;
    let code = match &e {
        T::Unknown(_) => crate::ErrorCode::NotFound,
        T::Exists(_) => crate::ErrorCode::AlreadyExists,
        T::BadName(_) | T::Manifest(_) => crate::ErrorCode::BadRequest,
        T::Missing(_) | T::Step { .. } => crate::ErrorCode::ProjectFailed,
        T::Io(_) => crate::ErrorCode::Io,
    };
    ApiError::new(code, e.to_string())
}

pub(crate) fn list(api: &Api, _stream: Option<Stream>) -> Result<Vec<weft_template::Template>> {
    Ok(weft_template::list(Some(&user_templates(api))))
}

/// Progress frames to the caller's stream, if it opened one.
fn to_stream(stream: &Option<Stream>) -> impl Fn(weft_template::Progress) + '_ {
    move |p| {
        if let Some(s) = stream {
            s.json(&p);
        }
    }
}

/// The new folder: `parent/name`, both given by the user (a folder dialog and a name).
fn destination(parent: &str, name: &str) -> Result<std::path::PathBuf> {
    let parent = std::path::Path::new(parent);
    if !parent.is_absolute() || !parent.is_dir() {
        return Err(ApiError::bad_request(format!("{} is not a folder", parent.display())));
    }
    let name = name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(ApiError::bad_request(format!("{name:?} is not a folder name")));
    }
    Ok(parent.join(name))
}

/// Makes a project; the steps' titles and output stream as TemplateProgress frames.
pub(crate) fn create(api: &Api, template: String, parent: String, name: String, stream: Option<Stream>) -> Result<weft_template::Created> {
    let dest = destination(&parent, &name)?;
    let progress = to_stream(&stream);
    weft_template::create(&template, &dest, Some(&user_templates(api)), &progress).map_err(template_err)
}

/// Adds a template from a git repository to the user's own.
pub(crate) fn add(api: &Api, url: String, stream: Option<Stream>) -> Result<weft_template::Template> {
    let progress = to_stream(&stream);
    weft_template::add_from_git(&url, &user_templates(api), &progress).map_err(template_err)
}

/// Unpacks a .zip or tarball into the new folder `parent/name`; progress as TemplateProgress.
pub(crate) fn import(_api: &Api, archive: String, parent: String, name: String, stream: Option<Stream>) -> Result<String> {
    let dest = destination(&parent, &name)?;
    let archive = std::path::Path::new(&archive);
    if !archive.is_absolute() || !archive.is_file() {
        return Err(ApiError::new(crate::ErrorCode::NotFound, format!("{} is not a file", archive.display())));
    }
    let progress = to_stream(&stream);
    weft_template::import_archive(archive, &dest, &progress).map_err(template_err)?;
    Ok(dest.display().to_string())
}

/// Clones a repository into `parent/name`; git's progress lines stream as strings.
pub(crate) fn clone(_api: &Api, url: String, parent: String, name: String, stream: Option<Stream>) -> Result<String> {
    let dest = destination(&parent, &name)?;
    if dest.exists() && std::fs::read_dir(&dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(ApiError::new(crate::ErrorCode::AlreadyExists, format!("{} already exists and is not empty", dest.display())));
    }
    weft_git::clone(&url, &dest, |line| {
        if let Some(s) = &stream {
            s.json(line);
        }
    })
    .map_err(|e| ApiError::new(crate::ErrorCode::Git, e.to_string()))?;
    Ok(dest.display().to_string())
}
