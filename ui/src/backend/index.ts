// The one door from the UI to Rust. Everything outside ui/src/backend/ talks to the
// `Backend` class below and never learns whether it runs in the Tauri window (IPC) or in
// a browser against `weft serve` (WebSocket); the two transports carry the same JSON
// requests, results, error codes and stream frames.

import type { Request } from '../bindings/Request';
import type { LspCompletion } from '../bindings/LspCompletion';
import { client, streams, type Client, type Streams } from '../bindings/client';
import type { AppInfo } from '../bindings/AppInfo';
import type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
import type { RecentWorkspace } from '../bindings/RecentWorkspace';
import type { TreeEntry } from '../bindings/TreeEntry';
import type { FileDto } from '../bindings/FileDto';
import type { Encoding } from '../bindings/Encoding';
import type { FinderMatch } from '../bindings/FinderMatch';
import type { SearchOptions } from '../bindings/SearchOptions';
import type { SearchEvent } from '../bindings/SearchEvent';
import type { RunEvent } from '../bindings/RunEvent';
import type { Template } from '../bindings/Template';
import type { TemplateProgress } from '../bindings/TemplateProgress';
import type { TemplateCreated } from '../bindings/TemplateCreated';
import type { RunSnapshot } from '../bindings/RunSnapshot';
import type { SearchSummary } from '../bindings/SearchSummary';
import type { ReplaceOutcome } from '../bindings/ReplaceOutcome';
import type { WatchEvent } from '../bindings/WatchEvent';
import type { SettingsDto } from '../bindings/SettingsDto';
import type { Session } from '../bindings/Session';
import type { Checkpoint } from '../bindings/Checkpoint';
import type { Created } from '../bindings/Created';
import type { FileChange } from '../bindings/FileChange';
import type { CheckpointFile } from '../bindings/CheckpointFile';
import type { RestorePlan } from '../bindings/RestorePlan';
import type { RestoreReport } from '../bindings/RestoreReport';
import type { GcReport } from '../bindings/GcReport';
import type { Analysis } from '../bindings/Analysis';
import type { Change } from '../bindings/Change';
import type { Span } from '../bindings/Span';
import type { Symbol as OutlineSymbol } from '../bindings/Symbol';
import type { SymbolHit } from '../bindings/SymbolHit';
import type { RepoMap } from '../bindings/RepoMap';
import type { Diagnostic } from '../bindings/Diagnostic';
import type { AgentFrame } from '../bindings/AgentFrame';
import type { AgentThread } from '../bindings/AgentThread';
import type { ThreadSummary } from '../bindings/ThreadSummary';
import type { ProviderStatus } from '../bindings/ProviderStatus';
import type { FileReview } from '../bindings/FileReview';
import type { ReviewAction } from '../bindings/ReviewAction';
import type { Message } from '../bindings/Message';
import type { ImageSource } from '../bindings/ImageSource';
import type { Usage } from '../bindings/Usage';
import type { Mention } from '../bindings/Mention';
import type { SlashCommand } from '../bindings/SlashCommand';
import type { TurnOptions } from '../bindings/TurnOptions';
import type { UsageSummary } from '../bindings/UsageSummary';
import type { UsageMeter } from '../bindings/UsageMeter';
import type { Totals } from '../bindings/Totals';
import type { Group } from '../bindings/Group';
import type { PriceList } from '../bindings/PriceList';
import type { CollabStatus } from '../bindings/CollabStatus';
import type { CollabEvent } from '../bindings/CollabEvent';
import type { CollabJoined } from '../bindings/CollabJoined';
import type { DocInfo } from '../bindings/DocInfo';
import type { DocEvent } from '../bindings/DocEvent';
import type { DocSaved } from '../bindings/DocSaved';
import type { DocConflict } from '../bindings/DocConflict';
import type { ErrorCode } from '../bindings/ErrorCode';

export type {
  AppInfo, WorkspaceInfo, RecentWorkspace, TreeEntry, FileDto, Encoding, FinderMatch, SearchOptions,
  SearchEvent, SearchSummary, ReplaceOutcome, WatchEvent, SettingsDto, Session,
  Checkpoint, Created, FileChange, CheckpointFile, RestorePlan, RestoreReport, GcReport,
  Analysis, Change, Span, OutlineSymbol, SymbolHit, RepoMap, Diagnostic,
  AgentFrame, AgentThread, ThreadSummary, ProviderStatus, FileReview, ReviewAction, Message, Usage, Mention, SlashCommand, TurnOptions, ImageSource,
  UsageSummary, UsageMeter, Totals, Group, PriceList, CollabStatus, CollabEvent, CollabJoined,
  DocInfo, DocEvent, DocSaved, DocConflict, ErrorCode,
};
import { TauriTransport } from './tauri';
import { WsTransport } from './ws';
import { GuestTransport } from './guest';

export type { Settings } from '../bindings/Settings';
export type { TerminalInfo } from '../bindings/TerminalInfo';
import type { TerminalEvent } from '../bindings/TerminalEvent';
export type { TerminalEvent };
export type { FsChange } from '../bindings/FsChange';
export type { SearchHit } from '../bindings/SearchHit';
import type { GitStatus } from '../bindings/GitStatus';
export type { GitStatus };
export type { LspDiagnostic } from '../bindings/LspDiagnostic';
export type { LspLocation } from '../bindings/LspLocation';
import type { LspFileEdit } from '../bindings/LspFileEdit';
export type { LspFileEdit };
import type { LspEvent } from '../bindings/LspEvent';
export type { LspEvent };
export type { GitFileStatus } from '../bindings/GitFileStatus';
export type { GitBranch } from '../bindings/GitBranch';
export type { GitLogEntry } from '../bindings/GitLogEntry';
export type { McpServerStatus } from '../bindings/McpServerStatus';
export type { RunConfig } from '../bindings/RunConfig';
export type { EnvVar } from '../bindings/EnvVar';
export type { Template, TemplateProgress, TemplateCreated };
export type { RunProblem } from '../bindings/RunProblem';
export type { PortInfo } from '../bindings/PortInfo';
export type { RunEvent, RunSnapshot };
import type { IndexProgress } from '../bindings/IndexProgress';
export type { IndexProgress };
export type { GitCommitDetail } from '../bindings/GitCommitDetail';
export type { GitBlame } from '../bindings/GitBlame';
import type { GitTake } from '../bindings/GitTake';
export type { GitTake };

/** Why a call failed: Rust's codes, and the transports' own. */
export type FailureCode = ErrorCode | 'ipc' | 'disconnected' | 'unauthorized';

/** A failed call: `code` is stable (switch on it), `message` is for people. */
export class BackendError extends Error {
  constructor(public code: FailureCode, message: string) {
    super(message);
  }
}

/**
 * JSON frames arrive as parsed values; raw byte frames (terminals, y-sync) as Uint8Array.
 * Each streaming method's frames are typed by the method table (see `Frames` in
 * ../bindings/client.ts); a transport only moves them.
 */
export type Frame = unknown;

/** An editor's binding to an open document (see Backend.docOpen). */
export interface DocStream {
  result: Promise<DocInfo>;
  /** A shared folder's document (a guest's): the host saves it as everyone types. */
  shared?: boolean;
  /** Delivers the frames kept so far, then each as it comes. */
  listen(onMessage: (m: Uint8Array) => void, onEvent: (e: DocEvent) => void): void;
}

export interface StreamHandle<R = unknown> {
  id: string;
  /** The call's own result (for long-lived streams such as watch: right after subscribing). */
  result: Promise<R>;
  cancel(): void;
}

/** An available update, as the desktop app's updater reports it. */
export interface UpdateInfo {
  version: string;
  currentVersion: string;
  date: string | null;
  notes: string | null;
}

/** The desktop app's updater (src-tauri/src/updates.rs); absent in the browser. */
export interface Updater {
  /** null: this is the newest version. Rejects when the server cannot be reached. */
  check(): Promise<UpdateInfo | null>;
  /** Downloads the update the last check found; rejects when its signature does not hold. */
  download(onProgress: (received: number, total: number | null) => void): Promise<void>;
  /** Installs the verified download and restarts into it. */
  install(): Promise<void>;
}

/** What a transport must provide. Implemented by ./tauri.ts and ./ws.ts only. */
export interface Transport {
  readonly kind: 'desktop' | 'browser';
  call(request: Request): Promise<unknown>;
  stream(id: string, request: Request, onFrame: (frame: Frame) => void): Promise<unknown>;
  /** Opens a web link in the user's browser. */
  openExternal(url: string): void;
  /** Native folder picker; null when cancelled or not available. */
  pickFolder(): Promise<string | null>;
  setTitle(title: string): void;
  /** `confirmClose` resolves false to keep the window open. */
  onCloseRequested(confirmClose: () => Promise<boolean>): void;
  /** Connection up/down (the WebSocket may drop; IPC never does). */
  onConnection(listener: (up: boolean) => void): void;
  readonly updater?: Updater;
  /** The macOS menu bar's commands (a command id per click); the browser has none. */
  onMenu?(listener: (command: string) => void): void;
  /** Closes the window as its close button does (the close prompt runs first). */
  closeWindow?(): void;
}

let streamCounter = 0;
function mintStreamId(): string {
  const rand = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `s${++streamCounter}-${rand}`;
}

export class Backend {
  constructor(private readonly t: Transport) {}

  get kind() {
    return this.t.kind;
  }

  /** A typed function per request, generated from Rust's method table. */
  private readonly api: Client = client((request) => this.t.call(request));
  /** A typed function per streaming request: its frames and its result. */
  private readonly streams: Streams = streams((request, onFrame) => this.stream(request, onFrame));

  /** Starts a streaming call; the id is minted here, before the call, so no frame is missed. */
  stream(request: Request, onFrame: (frame: Frame) => void): StreamHandle {
    const id = mintStreamId();
    const result = this.t.stream(id, request, onFrame);
    return {
      id,
      result,
      cancel: () => void this.t.call({ method: 'cancel', params: { stream: id } }).catch(() => {}),
    };
  }

  info() { return this.api.info(); }
  openWorkspace(path: string) { return this.api.openWorkspace({ path }); }
  recentWorkspaces() { return this.api.recentWorkspaces(); }
  listDir(path: string) { return this.api.listDir({ path }); }
  readFile(path: string) { return this.api.readFile({ path }); }
  writeFile(path: string, text: string, encoding: Encoding) {
    return this.api.writeFile({ path, text, encoding });
  }
  createFile(path: string) { return this.api.createFile({ path }); }
  createDir(path: string) { return this.api.createDir({ path }); }
  rename(from: string, to: string) { return this.api.rename({ from, to }); }
  delete(path: string, permanent = false) { return this.api.delete({ path, permanent }); }
  findFiles(query: string, limit = 50) { return this.api.findFiles({ query, limit }); }
  syntaxOpen(doc: string, path: string, text: string) { return this.api.syntaxOpen({ doc, path, text }); }
  syntaxEdit(doc: string, changes: Change[], length: number) { return this.api.syntaxEdit({ doc, changes, length }); }
  syntaxClose(doc: string) { return this.api.syntaxClose({ doc }); }
  syntaxExpand(doc: string, from: number, to: number) { return this.api.syntaxExpand({ doc, from, to }); }
  symbolSearch(query: string, limit = 100) { return this.api.symbolSearch({ query, limit }); }
  repoMap(tokens: number, focus: string[] = []) { return this.api.repoMap({ tokens, focus }); }
  replace(options: SearchOptions, replacement: string, paths: string[] | null, apply: boolean) {
    return this.api.replace({ options, replacement, paths, apply });
  }
  getSettings() { return this.api.getSettings(); }
  setSettings(text: string) { return this.api.setSettings({ text }); }
  getSession() { return this.api.getSession(); }
  saveSession(session: Session) { return this.api.saveSession({ session }); }
  /** `firstFrame`: only the start-up's first frame is up (../firstframe.ts); without it, the whole workbench. */
  uiReady(marks: [string, number][], firstFrame = false) { return this.api.uiReady({ marks, firstFrame }); }

  search(options: SearchOptions, onEvent: (e: SearchEvent) => void): StreamHandle {
    return this.streams.search({ options }, onEvent);
  }
  watch(onEvent: (e: WatchEvent) => void): StreamHandle {
    return this.streams.watch(onEvent);
  }

  /** Output arrives as Uint8Array frames, the exit as a TerminalEvent. */
  terminalSpawn(cols: number, rows: number, onFrame: (f: Uint8Array | TerminalEvent) => void) {
    return this.streams.terminalSpawn({ cols, rows, flowControl: true }, onFrame);
  }
  terminalAttach(id: number, onFrame: (f: Uint8Array | TerminalEvent) => void) {
    return this.streams.terminalAttach({ id, flowControl: true }, onFrame);
  }
  terminalWrite(id: number, data: string) { return this.api.terminalWrite({ id, data }); }
  terminalResize(id: number, cols: number, rows: number) { return this.api.terminalResize({ id, cols, rows }); }
  terminalAck(id: number, bytes: number) { return this.api.terminalAck({ id, bytes }); }
  terminalChildren(id: number) { return this.api.terminalChildren({ id }); }
  terminalClose(id: number) { return this.api.terminalClose({ id }); }
  terminalList() { return this.api.terminalList(); }

  /** The project's variables (values shown) and secrets (names only). */
  envList() { return this.api.envList(); }
  envSet(name: string, value: string, secret: boolean) { return this.api.envSet({ name, value, secret }); }
  envRemove(name: string) { return this.api.envRemove({ name }); }
  /** Reads a .env file of the project into secrets; the names imported. */
  envImport(path: string) { return this.api.envImport({ path }); }

  /** The template gallery (built in and the user's own). */
  templateList() { return this.api.templateList(); }
  /** Makes a project in the new folder parent/name; steps and output stream as they come. */
  templateCreate(template: string, parent: string, name: string, onProgress: (p: TemplateProgress) => void): StreamHandle<TemplateCreated> {
    return this.streams.templateCreate({ template, parent, name }, onProgress) as StreamHandle<TemplateCreated>;
  }
  templateAdd(url: string, onProgress: (p: TemplateProgress) => void): StreamHandle<Template> {
    return this.streams.templateAdd({ url }, onProgress) as StreamHandle<Template>;
  }
  /** Unpacks an archive into the new folder parent/name; resolves to its path. */
  projectImport(archive: string, parent: string, name: string, onProgress: (p: TemplateProgress) => void): StreamHandle<string> {
    return this.streams.projectImport({ archive, parent, name }, onProgress) as StreamHandle<string>;
  }
  /** Clones into the new folder parent/name; resolves to its path. */
  gitClone(url: string, parent: string, name: string, onLine: (line: string) => void): StreamHandle<string> {
    return this.streams.gitClone({ url, parent, name }, onLine) as StreamHandle<string>;
  }

  /** The folder's run configurations (detected and .weft/run.json's), and what could not be read. */
  runConfigs() { return this.api.runConfigs(); }
  /** Starts a configuration after what it depends on; resolves with its terminal. */
  runStart(name: string) { return this.api.runStart({ name }); }
  runStop(terminal: number) { return this.api.runStop({ terminal }); }
  /** Where the preview loads a local port's pages from (Weft's proxy to it). */
  previewUrl(port: number) { return this.api.previewUrl({ port }); }
  /** A PNG of a page a program started in Weft serves (port 0: the newest). */
  previewScreenshot(port: number, path: string | null = null) { return this.api.previewScreenshot({ port, path }); }
  /** Runs starting and ending, their problems, and every terminal's ports; resolves to now. */
  runEvents(onEvent: (e: RunEvent) => void): StreamHandle<RunSnapshot> { return this.streams.runEvents(onEvent) as StreamHandle<RunSnapshot>; }

  checkpointList() { return this.api.checkpointList(); }
  checkpointCreate(label: string) { return this.api.checkpointCreate({ label }); }
  checkpointChanges(id: number) { return this.api.checkpointChanges({ id }); }
  /** `null` is the files on disk now. */
  checkpointDiff(from: number | null, to: number | null) { return this.api.checkpointDiff({ from, to }); }
  checkpointFile(id: number | null, path: string) { return this.api.checkpointFile({ id, path }); }
  checkpointPreview(id: number, paths: string[] | null) { return this.api.checkpointPreview({ id, paths }); }
  checkpointRestore(id: number, paths: string[] | null) { return this.api.checkpointRestore({ id, paths }); }
  checkpointDelete(ids: number[]) { return this.api.checkpointDelete({ ids }); }
  checkpointEvents(onCheckpoint: (c: Checkpoint) => void): StreamHandle {
    return this.streams.checkpointEvents(onCheckpoint);
  }

  agentProviders() { return this.api.agentProviders(); }
  /** `null` forgets the stored key. */
  agentSetKey(provider: string, key: string | null) { return this.api.agentSetKey({ provider, key }); }
  agentModels(provider: string) { return this.api.agentModels({ provider }); }
  agentThreads() { return this.api.agentThreads(); }
  /** The slash commands: built in, the project's prompt library, the user's. */
  agentPrompts() { return this.api.agentPrompts(); }

  /** The folder's MCP servers and their states (nothing is started). */
  mcpStatus() { return this.api.mcpStatus(); }
  /** Starts every trusted server not running; the states after. */
  mcpStart() { return this.api.mcpStart(); }
  mcpTrust(name: string) { return this.api.mcpTrust({ name }); }
  mcpRestart(name: string) { return this.api.mcpRestart({ name }); }
  /** Starts signing in to a remote server (OAuth): the page to open in the browser. */
  mcpSignIn(name: string) { return this.api.mcpSignIn({ name }); }
  mcpSignOut(name: string) { return this.api.mcpSignOut({ name }); }
  mcpResources() { return this.api.mcpResources(); }
  mcpPrompts() { return this.api.mcpPrompts(); }
  mcpReadResource(server: string, uri: string) { return this.api.mcpReadResource({ server, uri }); }
  agentThread(thread: string) { return this.api.agentThread({ thread }); }
  /** Returns at once; the turn's frames follow, the last being `done`. */
  agentSend(thread: string, prompt: string, model: string | null, mentions: Mention[], onFrame: (f: AgentFrame) => void, options: TurnOptions | null = null, images: ImageSource[] = []): StreamHandle {
    return this.streams.agentSend({ thread, prompt, model, mentions, options, images }, onFrame);
  }
  agentApprove(request: string, answer: 'once' | 'always' | 'deny') { return this.api.agentApprove({ request, answer }); }
  agentStop(thread: string) { return this.api.agentStop({ thread }); }
  agentReview(thread: string) { return this.api.agentReview({ thread }); }
  agentReviewAction(thread: string, action: ReviewAction) { return this.api.agentReviewAction({ thread, action }); }
  agentRestore(thread: string, turn: number, code: boolean, conversation: boolean) {
    return this.api.agentRestore({ thread, turn, code, conversation });
  }
  agentExport(thread: string) { return this.api.agentExport({ thread }); }
  agentDelete(thread: string) { return this.api.agentDelete({ thread }); }

  /** `days` 0 is all time. */
  usageSummary(days: number) { return this.api.usageSummary({ days }); }
  usageMeter(thread: string | null) { return this.api.usageMeter({ thread }); }
  usageExport(days: number) { return this.api.usageExport({ days }); }
  usagePrices() { return this.api.usagePrices(); }
  usageSetPrices(text: string) { return this.api.usageSetPrices({ text }); }
  suggestCommitMessage() { return this.api.suggestCommitMessage(); }

  async lspHover(path: string, line: number, character: number) { await this.pushed(); return this.api.lspHover({ path, line, character }); }
  async lspLocations(path: string, kind: 'definition' | 'typeDefinition' | 'implementation' | 'references', line: number, character: number) {
    await this.pushed();
    return this.api.lspLocations({ path, kind, line, character });
  }
  /**
   * Completion at a position. With the editor's state vector `sv`, the request goes at
   * once and Rust answers once its document holds those edits (instead of waiting here for
   * the edits' own round trip, which ends only when the keystroke's rendering does).
   */
  async lspCompletion(path: string, line: number, character: number, sv?: Uint8Array | null) {
    if (!sv) await this.pushed();
    const request = { method: 'lspCompletion', params: { path, line, character }, ...(sv ? { sv: Array.from(sv) } : {}) };
    return (await this.t.call(request as Request)) as LspCompletion[];
  }
  async lspRename(path: string, line: number, character: number, newName: string) { await this.pushed(); return this.api.lspRename({ path, line, character, newName }); }
  lspResolveCompletion(path: string, item: unknown) { return this.api.lspResolveCompletion({ path, item }); }
  async lspSignatureHelp(path: string, line: number, character: number) { await this.pushed(); return this.api.lspSignatureHelp({ path, line, character }); }
  async lspFormat(path: string, tabSize: number, insertSpaces: boolean) { await this.pushed(); return this.api.lspFormat({ path, tabSize, insertSpaces }); }
  async lspHighlights(path: string, line: number, character: number) { await this.pushed(); return this.api.lspHighlights({ path, line, character }); }
  async lspCodeActions(path: string, from: { line: number; character: number }, to: { line: number; character: number }) {
    await this.pushed();
    return this.api.lspCodeActions({ path, line: from.line, character: from.character, endLine: to.line, endCharacter: to.character });
  }
  async lspInlayHints(path: string, line: number, endLine: number) { await this.pushed(); return this.api.lspInlayHints({ path, line, endLine }); }
  async lspSemanticTokens(path: string) { await this.pushed(); return this.api.lspSemanticTokens({ path }); }
  lspApplyEdits(files: LspFileEdit[], label: string) { return this.api.lspApplyEdits({ files, label }); }
  lspStatus(onEvent: (e: LspEvent) => void): StreamHandle<LspEvent[]> { return this.streams.lspStatus(onEvent) as StreamHandle<LspEvent[]>; }
  /** The symbol index build's progress as it goes; resolves to where it is now. */
  symbolIndexStatus(onProgress: (p: IndexProgress) => void): StreamHandle<IndexProgress> {
    const handle = this.streams.symbolIndexStatus((p: IndexProgress) => {
      this.indexNow = p;
      onProgress(p);
    }) as StreamHandle<IndexProgress>;
    void handle.result.then((p) => (this.indexNow = p), () => {});
    return handle;
  }
  symbolIndexStop() { return this.api.symbolIndexStop(); }
  /** The symbol index as last reported (null until someone follows it: the workbench does). */
  indexNow: IndexProgress | null = null;
  /** Where the symbol index is now (built or not), without starting anything. */
  async symbolIndexProgress(): Promise<IndexProgress | null> { return this.indexNow; }

  /** `whole`: git looks at every file, not only those the watcher saw change. */
  gitStatus(whole = false) { return whole ? this.api.gitRescan() : this.api.gitStatus(); }
  gitStage(paths: string[]) { return this.api.gitStage({ paths }); }
  gitStageText(path: string, text: string) { return this.api.gitStageText({ path, text }); }
  gitUnstage(paths: string[]) { return this.api.gitUnstage({ paths }); }
  gitDiscard(paths: string[]) { return this.api.gitDiscard({ paths }); }
  gitCommit(message: string, opts: { amend?: boolean; signoff?: boolean; all?: boolean } = {}) {
    return this.api.gitCommit({ message, amend: opts.amend ?? false, signoff: opts.signoff ?? false, all: opts.all ?? false });
  }
  gitVersions(path: string, staged: boolean) { return this.api.gitVersions({ path, staged, rev: null, from: null }); }
  /** A commit's change to a file: its first parent's text (`from`: the old name) and its own. */
  gitCommitVersions(rev: string, path: string, from: string | null = null) { return this.api.gitVersions({ path, staged: false, rev, from }); }
  gitLog(opts: { path?: string; skip?: number; limit?: number } = {}) { return this.api.gitLog({ path: opts.path ?? null, skip: opts.skip ?? 0, limit: opts.limit ?? 100 }); }
  gitCommitDetail(rev: string) { return this.api.gitCommitDetail({ rev }); }
  gitBlame(path: string) { return this.api.gitBlame({ path }); }
  gitBranch(action: 'rename' | 'delete', name: string, opts: { to?: string; force?: boolean } = {}) {
    return this.api.gitBranch({ action, name, to: opts.to ?? '', force: opts.force ?? false });
  }
  gitResolve(path: string, take: GitTake) { return this.api.gitResolve({ path, take }); }
  /** A conflicted file's base, ours and theirs. */
  gitConflictVersions(path: string) { return this.api.gitConflictVersions({ path }); }
  gitBranches() { return this.api.gitBranches(); }
  gitStashes() { return this.api.gitStashes(); }
  gitStash(action: 'push' | 'pop' | 'apply' | 'drop', opts: { index?: number; message?: string; untracked?: boolean } = {}) {
    return this.api.gitStash({ action, index: opts.index ?? 0, message: opts.message ?? '', untracked: opts.untracked ?? false });
  }
  /** Fetch, pull or push: git's progress lines as they come; resolves to the new status. */
  gitSync(op: 'fetch' | 'pull' | 'push', onProgress: (line: string) => void): StreamHandle<GitStatus> {
    return this.streams.gitSync({ op }, onProgress) as StreamHandle<GitStatus>;
  }
  gitSwitch(name: string, create = false) { return this.api.gitSwitch({ name, create }); }

  /** On the network over TLS, or `local`: plain ws:// on 127.0.0.1 only. */
  collabShare(port = 0, local = false) { return this.api.collabShare({ port, local, address: null }); }
  collabStatus() { return this.api.collabStatus(); }
  collabInvite(name: string, readOnly: boolean) { return this.api.collabInvite({ name, readOnly }); }
  collabSetRole(token: string, readOnly: boolean) { return this.api.collabSetRole({ token, readOnly }); }
  collabRemove(token: string) { return this.api.collabRemove({ token }); }
  collabStop() { return this.api.collabStop(); }
  /** Shares a terminal with guests; `writable` lets guests with write access type. */
  collabShareTerminal(id: number, writable: boolean) { return this.api.collabShareTerminal({ id, writable }); }
  collabUnshareTerminal(id: number) { return this.api.collabUnshareTerminal({ id }); }
  /** Lets the session's guests see the preview of a local port (through this app). */
  collabSharePreview(port: number) { return this.api.collabSharePreview({ port }); }
  collabUnsharePreview(port: number) { return this.api.collabUnsharePreview({ port }); }
  /** A guest's local address for the host's shared `port`. */
  guestPreviewUrl(port: number) { return this.api.guestPreviewUrl({ port }); }
  /** Joins a session from its invite link; rooms connect when opened. */
  collabJoin(link: string) { return this.api.collabJoin({ link }); }
  /** A room as y-sync messages (Uint8Array frames) and status events (JSON frames). */
  collabOpen(room: string, onMessage: (m: Uint8Array) => void, onEvent: (e: CollabEvent) => void): StreamHandle {
    return this.streams.collabOpen({ room }, (f) => (f instanceof Uint8Array ? onMessage(f) : onEvent(f)));
  }
  /** y-sync messages from the editor; resolves to the replies for it. */
  async collabPush(room: string, data: Uint8Array): Promise<Uint8Array[]> {
    const replies = await this.api.collabPush({ room, data: Array.from(data) });
    return replies.map((r) => Uint8Array.from(r));
  }
  collabLeave() { return this.api.collabLeave(); }
  /** A request of the joined session's host (what it lets guests do); see ./guest.ts. */
  collabRequest(request: Request) { return this.api.collabRequest({ request }); }
  /** The joined session's host as a Backend of its own (./guest.ts). */
  host(): Backend { return new Backend(new GuestTransport(this)); }

  /**
   * Binds to the open document of `path` (the one copy of its text, in Rust): y-sync
   * messages (Uint8Array frames, the whole text first) and DocEvent frames; the handle's
   * result is the DocInfo (with the text when `withText`). Fails with `large_file` over the
   * large-file limit.
   */
  docOpen(path: string, withText = false): DocStream {
    // Frames are kept until someone listens: the entry opens restored files before the
    // editor's code (and Yjs) has loaded.
    type DocFrame = Uint8Array | DocEvent;
    const kept: DocFrame[] = [];
    let sink: ((f: DocFrame) => void) | null = null;
    const h = this.streams.docOpen({ path, withText }, (f) => (sink ? sink(f) : kept.push(f)));
    return {
      result: h.result,
      listen(onMessage, onEvent) {
        sink = (f) => (f instanceof Uint8Array ? onMessage(f) : onEvent(f));
        for (const f of kept.splice(0)) sink(f);
      },
    };
  }
  /** The analysis of `path`'s document for a view not bound by docOpen (a guest's). */
  docAnalysis(path: string, onEvent: (e: DocEvent) => void): StreamHandle {
    return this.streams.docAnalysis({ path }, onEvent);
  }
  /** y-sync messages from an editor bound by docOpen; resolves to the replies for it. */
  async docPush(conn: number, data: Uint8Array): Promise<Uint8Array[]> {
    const replies = await this.tracked(this.api.docPush({ conn, data: Array.from(data) }));
    return replies.map((r) => Uint8Array.from(r));
  }
  /** `sent` (edits on their way to Rust's documents) is waited for by {@link pushed}. */
  protected tracked<T>(sent: Promise<T>): Promise<T> {
    const done = sent.then(() => {}, () => {});
    this.pushing.add(done);
    void done.then(() => this.pushing.delete(done));
    return sent;
  }
  /** Edits on their way to Rust's documents. */
  private pushing = new Set<Promise<void>>();
  /** Resolves once every edit sent so far is in Rust's documents: a question about a
   * position (completion after `.`, signature help after `(`) must see the text it asks about. */
  async pushed(): Promise<void> {
    await Promise.all([...this.pushing]);
  }
  /** Writes the document to its file; resolves to whether it wrote. */
  docSave(path: string) { return this.api.docSave({ path }); }
  docClose(conn: number, discard = false) { return this.api.docClose({ conn, discard }); }
  docTakeDisk(path: string) { return this.api.docTakeDisk({ path }); }
  docKeepMine(path: string) { return this.api.docKeepMine({ path }); }
  /** Writes every open document with unsaved edits. */
  docSaveAll() { return this.api.docSaveAll(); }

  pickFolder() { return this.t.pickFolder(); }
  onMenu(listener: (command: string) => void) { this.t.onMenu?.(listener); }
  /** False where there is no window of our own to close (the browser). */
  closeWindow(): boolean {
    if (!this.t.closeWindow) return false;
    this.t.closeWindow();
    return true;
  }
  /** Only the desktop app updates itself. */
  get updater(): Updater | undefined { return this.t.updater; }
  openExternal(url: string) { if (/^(https?|mailto):/i.test(url)) this.t.openExternal(url); }
  setTitle(title: string) { this.t.setTitle(title); }
  onCloseRequested(confirmClose: () => Promise<boolean>) { this.t.onCloseRequested(confirmClose); }
  onConnection(listener: (up: boolean) => void) { this.t.onConnection(listener); }
}

/**
 * Picks the transport for where the UI is running. Both are imported statically: a
 * dynamic import here would be one more fetch on the start-up critical path.
 */
export async function connectBackend(): Promise<Backend> {
  if ('__TAURI_INTERNALS__' in window) return new Backend(new TauriTransport());
  return new Backend(await WsTransport.connect());
}
