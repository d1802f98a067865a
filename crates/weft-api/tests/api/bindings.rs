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
    weft_api::IndexProgress::export_all_to(&dir).expect("IndexProgress");
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
    weft_git::Status::export_all_to(&dir).expect("GitStatus");
    weft_git::Branch::export_all_to(&dir).expect("GitBranch");
    weft_git::Stash::export_all_to(&dir).expect("GitStash");
    weft_git::Committed::export_all_to(&dir).expect("GitCommitted");
    weft_git::LogEntry::export_all_to(&dir).expect("GitLogEntry");
    weft_run::Detected::export_all_to(&dir).expect("RunDetected");
    weft_api::EnvVar::export_all_to(&dir).expect("EnvVar");
    weft_template::Template::export_all_to(&dir).expect("Template");
    weft_template::Progress::export_all_to(&dir).expect("TemplateProgress");
    weft_template::Created::export_all_to(&dir).expect("TemplateCreated");
    weft_api::RunSnapshot::export_all_to(&dir).expect("RunSnapshot");
    weft_api::RunEvent::export_all_to(&dir).expect("RunEvent");
    weft_api::PreviewResponse::export_all_to(&dir).expect("PreviewResponse");
    weft_mcp::ServerStatus::export_all_to(&dir).expect("McpServerStatus");
    weft_api::McpResourceDto::export_all_to(&dir).expect("McpResourceDto");
    weft_api::McpPromptDto::export_all_to(&dir).expect("McpPromptDto");
    weft_git::CommitDetail::export_all_to(&dir).expect("GitCommitDetail");
    weft_git::Blame::export_all_to(&dir).expect("GitBlame");
    weft_git::conflict::Take::export_all_to(&dir).expect("GitTake");
    weft_api::GitVersions::export_all_to(&dir).expect("GitVersions");
    weft_api::GitConflictVersions::export_all_to(&dir).expect("GitConflictVersions");
    weft_lsp::LspEvent::export_all_to(&dir).expect("LspEvent");
    weft_lsp::Location::export_all_to(&dir).expect("LspLocation");
    weft_lsp::Completion::export_all_to(&dir).expect("LspCompletion");
    weft_lsp::Signature::export_all_to(&dir).expect("LspSignature");
    weft_lsp::CodeAction::export_all_to(&dir).expect("LspCodeAction");
    weft_lsp::FileEdit::export_all_to(&dir).expect("LspFileEdit");
    weft_lsp::InlayHint::export_all_to(&dir).expect("LspInlayHint");
    weft_lsp::SemanticTokens::export_all_to(&dir).expect("LspSemanticTokens");
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
    weft_agent::prompts::SlashCommand::export_all_to(&dir).expect("SlashCommand");
    UsageSummary::export_all_to(&dir).expect("UsageSummary");
    UsageMeter::export_all_to(&dir).expect("UsageMeter");
    PriceList::export_all_to(&dir).expect("PriceList");
    CommitMessage::export_all_to(&dir).expect("CommitMessage");
    CollabStatus::export_all_to(&dir).expect("CollabStatus");
    Bytes::export_all_to(&dir).expect("Bytes");
    weft_api::Json::export_all_to(&dir).expect("Json");
    SavedAll::export_all_to(&dir).expect("SavedAll");
    write_client(&dir);
}

/// ui/src/bindings/client.ts: a typed function per method, from the method table, so
/// `backend.readFile(...)` is typed end to end (its parameters from `Request`, its result
/// from the handler's declared type).
fn write_client(dir: &std::path::Path) {
    let methods = weft_api::method_results();
    // The generated files the result types name (not what those files import in turn).
    let named: Vec<&str> = methods.iter().flat_map(|m| [Some(&m.ts), m.frames.as_ref()]).flatten().flat_map(|t| t.split(|c: char| !c.is_alphanumeric() && c != '_')).collect();
    // Every binding written above is a candidate (a Vec's element type is not among its
    // dependencies in ts-rs).
    let mut imports = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(dir).expect("bindings dir").flatten() {
        let name = e.file_name().to_string_lossy().trim_end_matches(".ts").to_owned();
        if name != "client" && named.contains(&name.as_str()) {
            imports.insert(name);
        }
    }
    let mut out = String::from("// Generated from the method table (crates/weft-api/src/api/handlers/mod.rs) by\n// crates/weft-api/tests/api/bindings.rs: do not edit.\n\n");
    out += "import type { Request } from './Request';\n";
    for i in &imports {
        out += &format!("import type {{ {i} }} from './{i}';\n");
    }
    out += "\n/** What each method resolves to. */\nexport interface Results {\n";
    for m in &methods {
        out += &format!("  {}: {};\n", m.method, m.ts);
    }
    out += "}\n\nexport type Method = Request['method'];\n";
    out += "/** A method's parameters. */\nexport type Params<M extends Method> = Extract<Request, { method: M }> extends { params: infer P } ? P : never;\n\n";
    out += "\n/** What each streaming method sends, besides its result. */\nexport interface Frames {\n";
    for m in &methods {
        if let Some(f) = &m.frames {
            out += &format!("  {}: {f};\n", m.method);
        }
    }
    out += "}\n\n/** A started stream: its id, the call's own result, and how to stop it. */\nexport interface Streaming<R> {\n  id: string;\n  result: Promise<R>;\n  cancel(): void;\n}\n\n";
    out += "/** A typed function per request-response method over a transport's call. */\nexport function client(call: (request: Request) => Promise<unknown>) {\n  return {\n";
    for m in methods.iter().filter(|m| m.frames.is_none()) {
        let name = &m.method;
        if m.params {
            out += &format!("    {name}: (params: Params<'{name}'>) => call({{ method: '{name}', params }}) as Promise<Results['{name}']>,\n");
        } else {
            out += &format!("    {name}: () => call({{ method: '{name}' }}) as Promise<Results['{name}']>,\n");
        }
    }
    out += "  };\n}\n\nexport type Client = ReturnType<typeof client>;\n\n";
    // The transport cannot check a frame's shape: the method table is the contract.
    out += "/** A typed function per streaming method: its frames and its result. */\n";
    out += "// eslint-disable-next-line @typescript-eslint/no-explicit-any\nexport function streams(stream: (request: Request, onFrame: (frame: any) => void) => Streaming<unknown>) {\n  return {\n";
    for m in methods.iter().filter(|m| m.frames.is_some()) {
        let name = &m.method;
        let request = if m.params { format!("{{ method: '{name}', params }}") } else { format!("{{ method: '{name}' }}") };
        let params = if m.params { format!("params: Params<'{name}'>, ") } else { String::new() };
        out += &format!("    {name}: ({params}onFrame: (frame: Frames['{name}']) => void) => stream({request}, onFrame) as Streaming<Results['{name}']>,\n");
    }
    out += "  };\n}\n\nexport type Streams = ReturnType<typeof streams>;\n";
    std::fs::write(dir.join("client.ts"), out).expect("client.ts");
}
