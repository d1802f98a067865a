// The one door from the UI to Rust. Everything outside ui/src/backend/ talks to the
// `Backend` class below and never learns whether it runs in the Tauri window (IPC) or in
// a browser against `weft serve` (WebSocket); the two transports carry the same JSON
// requests, results, error codes and stream frames.

import type { Request } from '../bindings/Request';
import type { AppInfo } from '../bindings/AppInfo';
import type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
import type { RecentWorkspace } from '../bindings/RecentWorkspace';
import type { TreeEntry } from '../bindings/TreeEntry';
import type { FileDto } from '../bindings/FileDto';
import type { SaveResult } from '../bindings/SaveResult';
import type { Encoding } from '../bindings/Encoding';
import type { FinderMatch } from '../bindings/FinderMatch';
import type { SearchOptions } from '../bindings/SearchOptions';
import type { SearchEvent } from '../bindings/SearchEvent';
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
import type { Usage } from '../bindings/Usage';
import type { Mention } from '../bindings/Mention';
import type { UsageSummary } from '../bindings/UsageSummary';
import type { UsageMeter } from '../bindings/UsageMeter';
import type { Totals } from '../bindings/Totals';
import type { Group } from '../bindings/Group';
import type { PriceList } from '../bindings/PriceList';
import type { CommitMessage } from '../bindings/CommitMessage';
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
  AgentFrame, AgentThread, ThreadSummary, ProviderStatus, FileReview, ReviewAction, Message, Usage, Mention,
  UsageSummary, UsageMeter, Totals, Group, PriceList, CollabStatus, CollabEvent, CollabJoined,
  DocInfo, DocEvent, DocSaved, DocConflict, ErrorCode,
};
import { TauriTransport } from './tauri';
import { WsTransport } from './ws';

export type { Settings } from '../bindings/Settings';
export type { TerminalInfo } from '../bindings/TerminalInfo';
export type { TerminalEvent } from '../bindings/TerminalEvent';
import type { TerminalInfo } from '../bindings/TerminalInfo';
export type { FsChange } from '../bindings/FsChange';
export type { SearchHit } from '../bindings/SearchHit';

/** Why a call failed: Rust's codes, and the transports' own. */
export type FailureCode = ErrorCode | 'ipc' | 'disconnected' | 'unauthorized';

/** A failed call: `code` is stable (switch on it), `message` is for people. */
export class BackendError extends Error {
  constructor(public code: FailureCode, message: string) {
    super(message);
  }
}

/** JSON frames arrive as parsed values; raw byte frames (terminals) as Uint8Array. */
export type Frame = unknown;

/** An editor's binding to an open document (see Backend.docOpen). */
export interface DocStream {
  result: Promise<DocInfo>;
  /** Delivers the frames kept so far, then each as it comes. */
  listen(onMessage: (m: Uint8Array) => void, onEvent: (e: DocEvent) => void): void;
}

export interface StreamHandle {
  id: string;
  /** The call's own result (for long-lived streams such as watch: right after subscribing). */
  result: Promise<unknown>;
  cancel(): void;
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

  private async call<T>(request: Request): Promise<T> {
    return (await this.t.call(request)) as T;
  }

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

  info() { return this.call<AppInfo>({ method: 'info' }); }
  openWorkspace(path: string) { return this.call<WorkspaceInfo>({ method: 'openWorkspace', params: { path } }); }
  recentWorkspaces() { return this.call<RecentWorkspace[]>({ method: 'recentWorkspaces' }); }
  listDir(path: string) { return this.call<TreeEntry[]>({ method: 'listDir', params: { path } }); }
  readFile(path: string) { return this.call<FileDto>({ method: 'readFile', params: { path } }); }
  writeFile(path: string, text: string, encoding: Encoding) {
    return this.call<SaveResult>({ method: 'writeFile', params: { path, text, encoding } });
  }
  createFile(path: string) { return this.call<null>({ method: 'createFile', params: { path } }); }
  createDir(path: string) { return this.call<null>({ method: 'createDir', params: { path } }); }
  rename(from: string, to: string) { return this.call<null>({ method: 'rename', params: { from, to } }); }
  delete(path: string, permanent = false) { return this.call<null>({ method: 'delete', params: { path, permanent } }); }
  findFiles(query: string, limit = 50) { return this.call<FinderMatch[]>({ method: 'findFiles', params: { query, limit } }); }
  syntaxOpen(doc: string, path: string, text: string) { return this.call<Analysis>({ method: 'syntaxOpen', params: { doc, path, text } }); }
  syntaxEdit(doc: string, changes: Change[], length: number) { return this.call<Analysis>({ method: 'syntaxEdit', params: { doc, changes, length } }); }
  syntaxClose(doc: string) { return this.call<null>({ method: 'syntaxClose', params: { doc } }); }
  syntaxExpand(doc: string, from: number, to: number) { return this.call<Span | null>({ method: 'syntaxExpand', params: { doc, from, to } }); }
  symbolSearch(query: string, limit = 100) { return this.call<SymbolHit[]>({ method: 'symbolSearch', params: { query, limit } }); }
  repoMap(tokens: number, focus: string[] = []) { return this.call<RepoMap>({ method: 'repoMap', params: { tokens, focus } }); }
  replace(options: SearchOptions, replacement: string, paths: string[] | null, apply: boolean) {
    return this.call<ReplaceOutcome[]>({ method: 'replace', params: { options, replacement, paths, apply } });
  }
  getSettings() { return this.call<SettingsDto>({ method: 'getSettings' }); }
  setSettings(text: string) { return this.call<SettingsDto>({ method: 'setSettings', params: { text } }); }
  getSession() { return this.call<Session>({ method: 'getSession' }); }
  saveSession(session: Session) { return this.call<null>({ method: 'saveSession', params: { session } }); }
  uiReady(marks: [string, number][]) { return this.call<null>({ method: 'uiReady', params: { marks } }); }

  search(options: SearchOptions, onEvent: (e: SearchEvent) => void): StreamHandle {
    return this.stream({ method: 'search', params: { options } }, (f) => onEvent(f as SearchEvent));
  }
  watch(onEvent: (e: WatchEvent) => void): StreamHandle {
    return this.stream({ method: 'watch' }, (f) => onEvent(f as WatchEvent));
  }

  /** Output arrives as Uint8Array frames, the exit as a TerminalEvent. */
  terminalSpawn(cols: number, rows: number, onFrame: (f: Frame) => void): StreamHandle {
    return this.stream({ method: 'terminalSpawn', params: { cols, rows, flowControl: true } }, onFrame);
  }
  terminalAttach(id: number, onFrame: (f: Frame) => void): StreamHandle {
    return this.stream({ method: 'terminalAttach', params: { id, flowControl: true } }, onFrame);
  }
  terminalWrite(id: number, data: string) { return this.call<null>({ method: 'terminalWrite', params: { id, data } }); }
  terminalResize(id: number, cols: number, rows: number) { return this.call<null>({ method: 'terminalResize', params: { id, cols, rows } }); }
  terminalAck(id: number, bytes: number) { return this.call<null>({ method: 'terminalAck', params: { id, bytes } }); }
  terminalChildren(id: number) { return this.call<number[]>({ method: 'terminalChildren', params: { id } }); }
  terminalClose(id: number) { return this.call<null>({ method: 'terminalClose', params: { id } }); }
  terminalList() { return this.call<TerminalInfo[]>({ method: 'terminalList' }); }

  checkpointList() { return this.call<Checkpoint[]>({ method: 'checkpointList' }); }
  checkpointCreate(label: string) { return this.call<Created>({ method: 'checkpointCreate', params: { label } }); }
  checkpointChanges(id: number) { return this.call<FileChange[]>({ method: 'checkpointChanges', params: { id } }); }
  /** `null` is the files on disk now. */
  checkpointDiff(from: number | null, to: number | null) { return this.call<FileChange[]>({ method: 'checkpointDiff', params: { from, to } }); }
  checkpointFile(id: number | null, path: string) { return this.call<CheckpointFile>({ method: 'checkpointFile', params: { id, path } }); }
  checkpointPreview(id: number, paths: string[] | null) { return this.call<RestorePlan>({ method: 'checkpointPreview', params: { id, paths } }); }
  checkpointRestore(id: number, paths: string[] | null) { return this.call<RestoreReport>({ method: 'checkpointRestore', params: { id, paths } }); }
  checkpointDelete(ids: number[]) { return this.call<GcReport>({ method: 'checkpointDelete', params: { ids } }); }
  checkpointEvents(onCheckpoint: (c: Checkpoint) => void): StreamHandle {
    return this.stream({ method: 'checkpointEvents' }, (f) => onCheckpoint(f as Checkpoint));
  }

  agentProviders() { return this.call<ProviderStatus[]>({ method: 'agentProviders' }); }
  /** `null` forgets the stored key. */
  agentSetKey(provider: string, key: string | null) { return this.call<null>({ method: 'agentSetKey', params: { provider, key } }); }
  agentModels(provider: string) { return this.call<string[]>({ method: 'agentModels', params: { provider } }); }
  agentThreads() { return this.call<ThreadSummary[]>({ method: 'agentThreads' }); }
  agentThread(thread: string) { return this.call<AgentThread>({ method: 'agentThread', params: { thread } }); }
  /** Returns at once; the turn's frames follow, the last being `done`. */
  agentSend(thread: string, prompt: string, model: string | null, mentions: Mention[], onFrame: (f: AgentFrame) => void): StreamHandle {
    return this.stream({ method: 'agentSend', params: { thread, prompt, model, mentions } }, (f) => onFrame(f as AgentFrame));
  }
  agentApprove(request: string, answer: 'once' | 'always' | 'deny') { return this.call<null>({ method: 'agentApprove', params: { request, answer } }); }
  agentStop(thread: string) { return this.call<boolean>({ method: 'agentStop', params: { thread } }); }
  agentReview(thread: string) { return this.call<FileReview[]>({ method: 'agentReview', params: { thread } }); }
  agentReviewAction(thread: string, action: ReviewAction) { return this.call<FileReview[]>({ method: 'agentReviewAction', params: { thread, action } }); }
  agentRestore(thread: string, turn: number, code: boolean, conversation: boolean) {
    return this.call<AgentThread>({ method: 'agentRestore', params: { thread, turn, code, conversation } });
  }
  agentExport(thread: string) { return this.call<string>({ method: 'agentExport', params: { thread } }); }
  agentDelete(thread: string) { return this.call<null>({ method: 'agentDelete', params: { thread } }); }

  /** `days` 0 is all time. */
  usageSummary(days: number) { return this.call<UsageSummary>({ method: 'usageSummary', params: { days } }); }
  usageMeter(thread: string | null) { return this.call<UsageMeter>({ method: 'usageMeter', params: { thread } }); }
  usageExport(days: number) { return this.call<string>({ method: 'usageExport', params: { days } }); }
  usagePrices() { return this.call<PriceList>({ method: 'usagePrices' }); }
  usageSetPrices(text: string) { return this.call<PriceList>({ method: 'usageSetPrices', params: { text } }); }
  suggestCommitMessage() { return this.call<CommitMessage>({ method: 'suggestCommitMessage' }); }

  /** On the network over TLS, or `local`: plain ws:// on 127.0.0.1 only. */
  collabShare(port = 0, local = false) { return this.call<CollabStatus>({ method: 'collabShare', params: { port, local } }); }
  collabStatus() { return this.call<CollabStatus>({ method: 'collabStatus' }); }
  collabInvite(name: string, readOnly: boolean) { return this.call<CollabStatus>({ method: 'collabInvite', params: { name, readOnly } }); }
  collabSetRole(token: string, readOnly: boolean) { return this.call<CollabStatus>({ method: 'collabSetRole', params: { token, readOnly } }); }
  collabRemove(token: string) { return this.call<CollabStatus>({ method: 'collabRemove', params: { token } }); }
  collabStop() { return this.call<CollabStatus>({ method: 'collabStop' }); }
  /** Shares a terminal with guests; `writable` lets guests with write access type. */
  collabShareTerminal(id: number, writable: boolean) { return this.call<CollabStatus>({ method: 'collabShareTerminal', params: { id, writable } }); }
  collabUnshareTerminal(id: number) { return this.call<CollabStatus>({ method: 'collabUnshareTerminal', params: { id } }); }
  /** Joins a session from its invite link; rooms connect when opened. */
  collabJoin(link: string) { return this.call<CollabJoined>({ method: 'collabJoin', params: { link } }); }
  /** A room as y-sync messages (Uint8Array frames) and status events (JSON frames). */
  collabOpen(room: string, onMessage: (m: Uint8Array) => void, onEvent: (e: CollabEvent) => void): StreamHandle {
    return this.stream({ method: 'collabOpen', params: { room } }, (f) => (f instanceof Uint8Array ? onMessage(f) : onEvent(f as CollabEvent)));
  }
  /** y-sync messages from the editor; resolves to the replies for it. */
  async collabPush(room: string, data: Uint8Array): Promise<Uint8Array[]> {
    const replies = await this.call<number[][]>({ method: 'collabPush', params: { room, data: Array.from(data) } });
    return replies.map((r) => Uint8Array.from(r));
  }
  collabLeave() { return this.call<null>({ method: 'collabLeave' }); }

  /**
   * Binds to the open document of `path` (the one copy of its text, in Rust): y-sync
   * messages (Uint8Array frames, the whole text first) and DocEvent frames; the handle's
   * result is the DocInfo. Fails with `large_file` over the large-file limit.
   */
  docOpen(path: string): DocStream {
    // Frames are kept until someone listens: the entry opens restored files before the
    // editor's code (and Yjs) has loaded.
    const kept: Frame[] = [];
    let sink: ((f: Frame) => void) | null = null;
    const h = this.stream({ method: 'docOpen', params: { path } }, (f) => (sink ? sink(f) : kept.push(f)));
    return {
      result: h.result as Promise<DocInfo>,
      listen(onMessage, onEvent) {
        sink = (f) => (f instanceof Uint8Array ? onMessage(f) : onEvent(f as DocEvent));
        for (const f of kept.splice(0)) sink(f);
      },
    };
  }
  /** y-sync messages from an editor bound by docOpen; resolves to the replies for it. */
  async docPush(conn: number, data: Uint8Array): Promise<Uint8Array[]> {
    const replies = await this.call<number[][]>({ method: 'docPush', params: { conn, data: Array.from(data) } });
    return replies.map((r) => Uint8Array.from(r));
  }
  /** Writes the document to its file; resolves to whether it wrote. */
  docSave(path: string) { return this.call<DocSaved>({ method: 'docSave', params: { path } }); }
  docClose(conn: number, discard = false) { return this.call<null>({ method: 'docClose', params: { conn, discard } }); }
  docTakeDisk(path: string) { return this.call<null>({ method: 'docTakeDisk', params: { path } }); }
  docKeepMine(path: string) { return this.call<null>({ method: 'docKeepMine', params: { path } }); }

  pickFolder() { return this.t.pickFolder(); }
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
