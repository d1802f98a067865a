use super::*;

pub(crate) fn list(api: &Api, _stream: Option<Stream>) -> Result<Vec<weft_store::Checkpoint>> {
    Ok(api.store()?.store.list()?)
}

pub(crate) fn create(api: &Api, label: String, _stream: Option<Stream>) -> Result<weft_store::Created> {
    let c = api.store()?;
    let created = c.store.create(label.trim(), Origin::Manual, None)?;
    if created.new {
        c.announce(&created.checkpoint);
    }
    Ok(created)
}

pub(crate) fn changes(api: &Api, id: i64, _stream: Option<Stream>) -> Result<Vec<weft_store::FileChange>> {
    Ok(api.store()?.store.changes(id)?)
}

pub(crate) fn diff(api: &Api, from: Option<i64>, to: Option<i64>, _stream: Option<Stream>) -> Result<Vec<weft_store::FileChange>> {
    Ok(api.store()?.store.diff(side(from), side(to))?)
}

pub(crate) fn file(api: &Api, id: Option<i64>, path: String, _stream: Option<Stream>) -> Result<CheckpointFile> {
    Ok(checkpoint_file(&api.store()?.store, id, path)?)
}

pub(crate) fn preview(api: &Api, id: i64, paths: Option<Vec<String>>, _stream: Option<Stream>) -> Result<weft_store::RestorePlan> {
    Ok(api.store()?.store.preview(id, paths.as_deref())?)
}

pub(crate) fn restore(api: &Api, id: i64, paths: Option<Vec<String>>, _stream: Option<Stream>) -> Result<weft_store::RestoreReport> {
    let c = api.store()?;
    let before = c.store.latest()?;
    let report = c.store.restore(id, paths.as_deref())?;
    if Some(report.undo) != before {
        c.announce(&c.store.get(report.undo)?);
    }
    info!(id, undo = report.undo, failed = report.failed.len(), "checkpoint restored");
    Ok(report)
}

pub(crate) fn delete(api: &Api, ids: Vec<i64>, _stream: Option<Stream>) -> Result<weft_store::GcReport> {
    Ok(api.store()?.store.remove(&ids)?)
}

pub(crate) fn events(api: &Api, stream: Option<Stream>) -> Result<()> {
    let stream = stream.ok_or_else(|| ApiError::bad_request("checkpointEvents needs a stream"))?;
    api.store()?.subscribe(stream);
    Ok(())
}
