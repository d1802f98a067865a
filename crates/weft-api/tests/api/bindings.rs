//! Writes the TypeScript bindings the UI imports (ui/src/bindings). CI runs this and then
//! fails if git sees a difference, so the UI never drifts from the Rust DTOs.

use ts_rs::TS;
use weft_api::*;

#[test]
fn export_typescript_bindings() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    Request::export_all_to(&dir).expect("Request");
    weft_api::CollabEvent::export_all_to(&dir).expect("CollabEvent");
    weft_api::DocEvent::export_all_to(&dir).expect("DocEvent");
    weft_api::DocInfo::export_all_to(&dir).expect("DocInfo");
    weft_api::DocSaved::export_all_to(&dir).expect("DocSaved");
    CollabJoined::export_all_to(&dir).expect("CollabJoined");
    Analysis::export_all_to(&dir).expect("Analysis");
    SymbolHit::export_all_to(&dir).expect("SymbolHit");
    RepoMap::export_all_to(&dir).expect("RepoMap");
    AppInfo::export_all_to(&dir).expect("AppInfo");
    RecentWorkspace::export_all_to(&dir).expect("RecentWorkspace");
    FileDto::export_all_to(&dir).expect("FileDto");
    SaveResult::export_all_to(&dir).expect("SaveResult");
    SearchEvent::export_all_to(&dir).expect("SearchEvent");
    WatchEvent::export_all_to(&dir).expect("WatchEvent");
    SettingsDto::export_all_to(&dir).expect("SettingsDto");
    Session::export_all_to(&dir).expect("Session");
    ApiError::export_all_to(&dir).expect("ApiError");
    TerminalEvent::export_all_to(&dir).expect("TerminalEvent");
    weft_pty::TerminalInfo::export_all_to(&dir).expect("TerminalInfo");
    weft_fs::TreeEntry::export_all_to(&dir).expect("TreeEntry");
    weft_fs::FinderMatch::export_all_to(&dir).expect("FinderMatch");
    weft_fs::ReplaceOutcome::export_all_to(&dir).expect("ReplaceOutcome");
    CheckpointFile::export_all_to(&dir).expect("CheckpointFile");
    Checkpoint::export_all_to(&dir).expect("Checkpoint");
    Created::export_all_to(&dir).expect("Created");
    FileChange::export_all_to(&dir).expect("FileChange");
    RestorePlan::export_all_to(&dir).expect("RestorePlan");
    RestoreReport::export_all_to(&dir).expect("RestoreReport");
    GcReport::export_all_to(&dir).expect("GcReport");
    AgentFrame::export_all_to(&dir).expect("AgentFrame");
    AgentThread::export_all_to(&dir).expect("AgentThread");
    ThreadSummary::export_all_to(&dir).expect("ThreadSummary");
    ProviderStatus::export_all_to(&dir).expect("ProviderStatus");
    weft_agent::Mention::export_all_to(&dir).expect("Mention");
    UsageSummary::export_all_to(&dir).expect("UsageSummary");
    UsageMeter::export_all_to(&dir).expect("UsageMeter");
    PriceList::export_all_to(&dir).expect("PriceList");
    CommitMessage::export_all_to(&dir).expect("CommitMessage");
    CollabStatus::export_all_to(&dir).expect("CollabStatus");
}
