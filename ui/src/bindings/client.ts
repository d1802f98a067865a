// Generated from the method table (crates/weft-api/src/api/handlers/mod.rs) by
// crates/weft-api/tests/api/bindings.rs: do not edit.

import type { Request } from './Request';
import type { AgentFrame } from './AgentFrame';
import type { AgentThread } from './AgentThread';
import type { Analysis } from './Analysis';
import type { AppInfo } from './AppInfo';
import type { Bytes } from './Bytes';
import type { Checkpoint } from './Checkpoint';
import type { CheckpointFile } from './CheckpointFile';
import type { CollabEvent } from './CollabEvent';
import type { CollabJoined } from './CollabJoined';
import type { CollabStatus } from './CollabStatus';
import type { CommitMessage } from './CommitMessage';
import type { Created } from './Created';
import type { DocEvent } from './DocEvent';
import type { DocInfo } from './DocInfo';
import type { DocSaved } from './DocSaved';
import type { EnvVar } from './EnvVar';
import type { FileChange } from './FileChange';
import type { FileDto } from './FileDto';
import type { FileReview } from './FileReview';
import type { FinderMatch } from './FinderMatch';
import type { GcReport } from './GcReport';
import type { GitBlame } from './GitBlame';
import type { GitBranch } from './GitBranch';
import type { GitCommitDetail } from './GitCommitDetail';
import type { GitCommitted } from './GitCommitted';
import type { GitConflictVersions } from './GitConflictVersions';
import type { GitLogEntry } from './GitLogEntry';
import type { GitStash } from './GitStash';
import type { GitStatus } from './GitStatus';
import type { GitVersions } from './GitVersions';
import type { ImageSource } from './ImageSource';
import type { IndexProgress } from './IndexProgress';
import type { Json } from './Json';
import type { LspCodeAction } from './LspCodeAction';
import type { LspCompletion } from './LspCompletion';
import type { LspEvent } from './LspEvent';
import type { LspFileEdit } from './LspFileEdit';
import type { LspInlayHint } from './LspInlayHint';
import type { LspLocation } from './LspLocation';
import type { LspSemanticTokens } from './LspSemanticTokens';
import type { LspSignature } from './LspSignature';
import type { LspTextEdit } from './LspTextEdit';
import type { McpPromptDto } from './McpPromptDto';
import type { McpResourceDto } from './McpResourceDto';
import type { McpServerStatus } from './McpServerStatus';
import type { PreviewResponse } from './PreviewResponse';
import type { PriceList } from './PriceList';
import type { ProviderStatus } from './ProviderStatus';
import type { RecentWorkspace } from './RecentWorkspace';
import type { ReplaceOutcome } from './ReplaceOutcome';
import type { RepoMap } from './RepoMap';
import type { RestorePlan } from './RestorePlan';
import type { RestoreReport } from './RestoreReport';
import type { RunDetected } from './RunDetected';
import type { RunEvent } from './RunEvent';
import type { RunSnapshot } from './RunSnapshot';
import type { SaveResult } from './SaveResult';
import type { SavedAll } from './SavedAll';
import type { SearchEvent } from './SearchEvent';
import type { SearchSummary } from './SearchSummary';
import type { Session } from './Session';
import type { SettingsDto } from './SettingsDto';
import type { SlashCommand } from './SlashCommand';
import type { Span } from './Span';
import type { SymbolHit } from './SymbolHit';
import type { Template } from './Template';
import type { TemplateCreated } from './TemplateCreated';
import type { TemplateProgress } from './TemplateProgress';
import type { TerminalEvent } from './TerminalEvent';
import type { TerminalInfo } from './TerminalInfo';
import type { ThreadSummary } from './ThreadSummary';
import type { TreeEntry } from './TreeEntry';
import type { UsageMeter } from './UsageMeter';
import type { UsageSummary } from './UsageSummary';
import type { WatchEvent } from './WatchEvent';
import type { WorkspaceInfo } from './WorkspaceInfo';

/** What each method resolves to. */
export interface Results {
  info: AppInfo;
  openWorkspace: WorkspaceInfo;
  recentWorkspaces: Array<RecentWorkspace>;
  listDir: Array<TreeEntry>;
  readFile: FileDto;
  writeFile: SaveResult;
  createFile: null;
  createDir: null;
  rename: null;
  delete: null;
  findFiles: Array<FinderMatch>;
  search: SearchSummary;
  replace: Array<ReplaceOutcome>;
  watch: null;
  cancel: null;
  syntaxOpen: Analysis;
  syntaxEdit: Analysis;
  syntaxClose: null;
  syntaxExpand: Span | null;
  symbolSearch: Array<SymbolHit>;
  repoMap: RepoMap;
  symbolIndexStatus: IndexProgress;
  symbolIndexStop: boolean;
  getSettings: SettingsDto;
  setSettings: SettingsDto;
  getSession: Session;
  saveSession: null;
  terminalSpawn: TerminalInfo;
  terminalAttach: TerminalInfo;
  terminalWrite: null;
  terminalResize: null;
  terminalAck: null;
  terminalChildren: Array<number>;
  terminalClose: null;
  terminalList: Array<TerminalInfo>;
  envList: Array<EnvVar>;
  envSet: Array<EnvVar>;
  envRemove: Array<EnvVar>;
  envImport: Array<string>;
  templateList: Array<Template>;
  templateCreate: TemplateCreated;
  templateAdd: Template;
  projectImport: string;
  gitClone: string;
  runConfigs: RunDetected;
  runStart: TerminalInfo;
  runStop: null;
  previewUrl: string;
  previewScreenshot: ImageSource;
  runEvents: RunSnapshot;
  checkpointList: Array<Checkpoint>;
  checkpointCreate: Created;
  checkpointChanges: Array<FileChange>;
  checkpointDiff: Array<FileChange>;
  checkpointFile: CheckpointFile;
  checkpointPreview: RestorePlan;
  checkpointRestore: RestoreReport;
  checkpointDelete: GcReport;
  checkpointEvents: null;
  agentProviders: Array<ProviderStatus>;
  agentSetKey: null;
  agentModels: Array<string>;
  agentThreads: Array<ThreadSummary>;
  agentPrompts: Array<SlashCommand>;
  agentThread: AgentThread;
  agentSend: null;
  agentApprove: null;
  agentStop: boolean;
  agentReview: Array<FileReview>;
  agentReviewAction: Array<FileReview>;
  agentRestore: AgentThread;
  agentExport: string;
  agentDelete: null;
  usageSummary: UsageSummary;
  usageMeter: UsageMeter;
  usageExport: string;
  usagePrices: PriceList;
  usageSetPrices: PriceList;
  suggestCommitMessage: CommitMessage;
  gitStatus: GitStatus | null;
  gitRescan: GitStatus | null;
  gitStage: GitStatus;
  gitStageText: GitStatus;
  gitUnstage: GitStatus;
  gitDiscard: GitStatus;
  gitCommit: GitCommitted;
  gitVersions: GitVersions;
  gitLog: Array<GitLogEntry>;
  gitCommitDetail: GitCommitDetail;
  gitBlame: GitBlame;
  gitBranch: Array<GitBranch>;
  gitResolve: GitStatus;
  gitConflictVersions: GitConflictVersions;
  gitBranches: Array<GitBranch>;
  gitStashes: Array<GitStash>;
  gitStash: GitStatus;
  gitSync: GitStatus;
  lspHover: string | null;
  lspLocations: Array<LspLocation>;
  lspCompletion: Array<LspCompletion>;
  lspResolveCompletion: LspCompletion;
  lspSignatureHelp: LspSignature | null;
  lspFormat: Array<LspTextEdit>;
  lspHighlights: Array<LspLocation>;
  lspCodeActions: Array<LspCodeAction>;
  lspInlayHints: Array<LspInlayHint>;
  lspSemanticTokens: LspSemanticTokens | null;
  lspRename: Array<LspFileEdit>;
  lspApplyEdits: number;
  lspStatus: Array<LspEvent>;
  mcpStatus: Array<McpServerStatus>;
  mcpStart: Array<McpServerStatus>;
  mcpTrust: McpServerStatus;
  mcpRestart: McpServerStatus;
  mcpSignIn: string;
  mcpSignOut: McpServerStatus;
  mcpResources: Array<McpResourceDto>;
  mcpPrompts: Array<McpPromptDto>;
  mcpReadResource: string;
  gitSwitch: GitStatus;
  collabShare: CollabStatus;
  collabStatus: CollabStatus;
  collabInvite: CollabStatus;
  collabSetRole: CollabStatus;
  collabRemove: CollabStatus;
  collabStop: CollabStatus;
  collabShareTerminal: CollabStatus;
  collabUnshareTerminal: CollabStatus;
  collabSharePreview: CollabStatus;
  collabUnsharePreview: CollabStatus;
  previewFetch: PreviewResponse;
  guestPreviewUrl: string;
  collabJoin: CollabJoined;
  collabOpen: null;
  collabPush: Array<Array<number>>;
  collabRequest: Json;
  collabStream: Json;
  collabLeave: null;
  docOpen: DocInfo;
  docAnalysis: null;
  docPush: Array<Array<number>>;
  docSave: DocSaved;
  docSaveAll: SavedAll;
  docClose: null;
  docTakeDisk: null;
  docKeepMine: null;
  uiReady: null;
}

export type Method = Request['method'];
/** A method's parameters. */
export type Params<M extends Method> = Extract<Request, { method: M }> extends { params: infer P } ? P : never;


/** What each streaming method sends, besides its result. */
export interface Frames {
  search: SearchEvent;
  watch: WatchEvent;
  symbolIndexStatus: IndexProgress;
  terminalSpawn: Bytes | TerminalEvent;
  terminalAttach: Bytes | TerminalEvent;
  templateCreate: TemplateProgress;
  templateAdd: TemplateProgress;
  projectImport: TemplateProgress;
  gitClone: string;
  runEvents: RunEvent;
  checkpointEvents: Checkpoint;
  agentSend: AgentFrame;
  gitSync: string;
  lspStatus: LspEvent;
  collabOpen: Bytes | CollabEvent;
  collabStream: Bytes | Json;
  docOpen: Bytes | DocEvent;
  docAnalysis: DocEvent;
}

/** A started stream: its id, the call's own result, and how to stop it. */
export interface Streaming<R> {
  id: string;
  result: Promise<R>;
  cancel(): void;
}

/** A typed function per request-response method over a transport's call. */
export function client(call: (request: Request) => Promise<unknown>) {
  return {
    info: () => call({ method: 'info' }) as Promise<Results['info']>,
    openWorkspace: (params: Params<'openWorkspace'>) => call({ method: 'openWorkspace', params }) as Promise<Results['openWorkspace']>,
    recentWorkspaces: () => call({ method: 'recentWorkspaces' }) as Promise<Results['recentWorkspaces']>,
    listDir: (params: Params<'listDir'>) => call({ method: 'listDir', params }) as Promise<Results['listDir']>,
    readFile: (params: Params<'readFile'>) => call({ method: 'readFile', params }) as Promise<Results['readFile']>,
    writeFile: (params: Params<'writeFile'>) => call({ method: 'writeFile', params }) as Promise<Results['writeFile']>,
    createFile: (params: Params<'createFile'>) => call({ method: 'createFile', params }) as Promise<Results['createFile']>,
    createDir: (params: Params<'createDir'>) => call({ method: 'createDir', params }) as Promise<Results['createDir']>,
    rename: (params: Params<'rename'>) => call({ method: 'rename', params }) as Promise<Results['rename']>,
    delete: (params: Params<'delete'>) => call({ method: 'delete', params }) as Promise<Results['delete']>,
    findFiles: (params: Params<'findFiles'>) => call({ method: 'findFiles', params }) as Promise<Results['findFiles']>,
    replace: (params: Params<'replace'>) => call({ method: 'replace', params }) as Promise<Results['replace']>,
    cancel: (params: Params<'cancel'>) => call({ method: 'cancel', params }) as Promise<Results['cancel']>,
    syntaxOpen: (params: Params<'syntaxOpen'>) => call({ method: 'syntaxOpen', params }) as Promise<Results['syntaxOpen']>,
    syntaxEdit: (params: Params<'syntaxEdit'>) => call({ method: 'syntaxEdit', params }) as Promise<Results['syntaxEdit']>,
    syntaxClose: (params: Params<'syntaxClose'>) => call({ method: 'syntaxClose', params }) as Promise<Results['syntaxClose']>,
    syntaxExpand: (params: Params<'syntaxExpand'>) => call({ method: 'syntaxExpand', params }) as Promise<Results['syntaxExpand']>,
    symbolSearch: (params: Params<'symbolSearch'>) => call({ method: 'symbolSearch', params }) as Promise<Results['symbolSearch']>,
    repoMap: (params: Params<'repoMap'>) => call({ method: 'repoMap', params }) as Promise<Results['repoMap']>,
    symbolIndexStop: () => call({ method: 'symbolIndexStop' }) as Promise<Results['symbolIndexStop']>,
    getSettings: () => call({ method: 'getSettings' }) as Promise<Results['getSettings']>,
    setSettings: (params: Params<'setSettings'>) => call({ method: 'setSettings', params }) as Promise<Results['setSettings']>,
    getSession: () => call({ method: 'getSession' }) as Promise<Results['getSession']>,
    saveSession: (params: Params<'saveSession'>) => call({ method: 'saveSession', params }) as Promise<Results['saveSession']>,
    terminalWrite: (params: Params<'terminalWrite'>) => call({ method: 'terminalWrite', params }) as Promise<Results['terminalWrite']>,
    terminalResize: (params: Params<'terminalResize'>) => call({ method: 'terminalResize', params }) as Promise<Results['terminalResize']>,
    terminalAck: (params: Params<'terminalAck'>) => call({ method: 'terminalAck', params }) as Promise<Results['terminalAck']>,
    terminalChildren: (params: Params<'terminalChildren'>) => call({ method: 'terminalChildren', params }) as Promise<Results['terminalChildren']>,
    terminalClose: (params: Params<'terminalClose'>) => call({ method: 'terminalClose', params }) as Promise<Results['terminalClose']>,
    terminalList: () => call({ method: 'terminalList' }) as Promise<Results['terminalList']>,
    envList: () => call({ method: 'envList' }) as Promise<Results['envList']>,
    envSet: (params: Params<'envSet'>) => call({ method: 'envSet', params }) as Promise<Results['envSet']>,
    envRemove: (params: Params<'envRemove'>) => call({ method: 'envRemove', params }) as Promise<Results['envRemove']>,
    envImport: (params: Params<'envImport'>) => call({ method: 'envImport', params }) as Promise<Results['envImport']>,
    templateList: () => call({ method: 'templateList' }) as Promise<Results['templateList']>,
    runConfigs: () => call({ method: 'runConfigs' }) as Promise<Results['runConfigs']>,
    runStart: (params: Params<'runStart'>) => call({ method: 'runStart', params }) as Promise<Results['runStart']>,
    runStop: (params: Params<'runStop'>) => call({ method: 'runStop', params }) as Promise<Results['runStop']>,
    previewUrl: (params: Params<'previewUrl'>) => call({ method: 'previewUrl', params }) as Promise<Results['previewUrl']>,
    previewScreenshot: (params: Params<'previewScreenshot'>) => call({ method: 'previewScreenshot', params }) as Promise<Results['previewScreenshot']>,
    checkpointList: () => call({ method: 'checkpointList' }) as Promise<Results['checkpointList']>,
    checkpointCreate: (params: Params<'checkpointCreate'>) => call({ method: 'checkpointCreate', params }) as Promise<Results['checkpointCreate']>,
    checkpointChanges: (params: Params<'checkpointChanges'>) => call({ method: 'checkpointChanges', params }) as Promise<Results['checkpointChanges']>,
    checkpointDiff: (params: Params<'checkpointDiff'>) => call({ method: 'checkpointDiff', params }) as Promise<Results['checkpointDiff']>,
    checkpointFile: (params: Params<'checkpointFile'>) => call({ method: 'checkpointFile', params }) as Promise<Results['checkpointFile']>,
    checkpointPreview: (params: Params<'checkpointPreview'>) => call({ method: 'checkpointPreview', params }) as Promise<Results['checkpointPreview']>,
    checkpointRestore: (params: Params<'checkpointRestore'>) => call({ method: 'checkpointRestore', params }) as Promise<Results['checkpointRestore']>,
    checkpointDelete: (params: Params<'checkpointDelete'>) => call({ method: 'checkpointDelete', params }) as Promise<Results['checkpointDelete']>,
    agentProviders: () => call({ method: 'agentProviders' }) as Promise<Results['agentProviders']>,
    agentSetKey: (params: Params<'agentSetKey'>) => call({ method: 'agentSetKey', params }) as Promise<Results['agentSetKey']>,
    agentModels: (params: Params<'agentModels'>) => call({ method: 'agentModels', params }) as Promise<Results['agentModels']>,
    agentThreads: () => call({ method: 'agentThreads' }) as Promise<Results['agentThreads']>,
    agentPrompts: () => call({ method: 'agentPrompts' }) as Promise<Results['agentPrompts']>,
    agentThread: (params: Params<'agentThread'>) => call({ method: 'agentThread', params }) as Promise<Results['agentThread']>,
    agentApprove: (params: Params<'agentApprove'>) => call({ method: 'agentApprove', params }) as Promise<Results['agentApprove']>,
    agentStop: (params: Params<'agentStop'>) => call({ method: 'agentStop', params }) as Promise<Results['agentStop']>,
    agentReview: (params: Params<'agentReview'>) => call({ method: 'agentReview', params }) as Promise<Results['agentReview']>,
    agentReviewAction: (params: Params<'agentReviewAction'>) => call({ method: 'agentReviewAction', params }) as Promise<Results['agentReviewAction']>,
    agentRestore: (params: Params<'agentRestore'>) => call({ method: 'agentRestore', params }) as Promise<Results['agentRestore']>,
    agentExport: (params: Params<'agentExport'>) => call({ method: 'agentExport', params }) as Promise<Results['agentExport']>,
    agentDelete: (params: Params<'agentDelete'>) => call({ method: 'agentDelete', params }) as Promise<Results['agentDelete']>,
    usageSummary: (params: Params<'usageSummary'>) => call({ method: 'usageSummary', params }) as Promise<Results['usageSummary']>,
    usageMeter: (params: Params<'usageMeter'>) => call({ method: 'usageMeter', params }) as Promise<Results['usageMeter']>,
    usageExport: (params: Params<'usageExport'>) => call({ method: 'usageExport', params }) as Promise<Results['usageExport']>,
    usagePrices: () => call({ method: 'usagePrices' }) as Promise<Results['usagePrices']>,
    usageSetPrices: (params: Params<'usageSetPrices'>) => call({ method: 'usageSetPrices', params }) as Promise<Results['usageSetPrices']>,
    suggestCommitMessage: () => call({ method: 'suggestCommitMessage' }) as Promise<Results['suggestCommitMessage']>,
    gitStatus: () => call({ method: 'gitStatus' }) as Promise<Results['gitStatus']>,
    gitRescan: () => call({ method: 'gitRescan' }) as Promise<Results['gitRescan']>,
    gitStage: (params: Params<'gitStage'>) => call({ method: 'gitStage', params }) as Promise<Results['gitStage']>,
    gitStageText: (params: Params<'gitStageText'>) => call({ method: 'gitStageText', params }) as Promise<Results['gitStageText']>,
    gitUnstage: (params: Params<'gitUnstage'>) => call({ method: 'gitUnstage', params }) as Promise<Results['gitUnstage']>,
    gitDiscard: (params: Params<'gitDiscard'>) => call({ method: 'gitDiscard', params }) as Promise<Results['gitDiscard']>,
    gitCommit: (params: Params<'gitCommit'>) => call({ method: 'gitCommit', params }) as Promise<Results['gitCommit']>,
    gitVersions: (params: Params<'gitVersions'>) => call({ method: 'gitVersions', params }) as Promise<Results['gitVersions']>,
    gitLog: (params: Params<'gitLog'>) => call({ method: 'gitLog', params }) as Promise<Results['gitLog']>,
    gitCommitDetail: (params: Params<'gitCommitDetail'>) => call({ method: 'gitCommitDetail', params }) as Promise<Results['gitCommitDetail']>,
    gitBlame: (params: Params<'gitBlame'>) => call({ method: 'gitBlame', params }) as Promise<Results['gitBlame']>,
    gitBranch: (params: Params<'gitBranch'>) => call({ method: 'gitBranch', params }) as Promise<Results['gitBranch']>,
    gitResolve: (params: Params<'gitResolve'>) => call({ method: 'gitResolve', params }) as Promise<Results['gitResolve']>,
    gitConflictVersions: (params: Params<'gitConflictVersions'>) => call({ method: 'gitConflictVersions', params }) as Promise<Results['gitConflictVersions']>,
    gitBranches: () => call({ method: 'gitBranches' }) as Promise<Results['gitBranches']>,
    gitStashes: () => call({ method: 'gitStashes' }) as Promise<Results['gitStashes']>,
    gitStash: (params: Params<'gitStash'>) => call({ method: 'gitStash', params }) as Promise<Results['gitStash']>,
    lspHover: (params: Params<'lspHover'>) => call({ method: 'lspHover', params }) as Promise<Results['lspHover']>,
    lspLocations: (params: Params<'lspLocations'>) => call({ method: 'lspLocations', params }) as Promise<Results['lspLocations']>,
    lspCompletion: (params: Params<'lspCompletion'>) => call({ method: 'lspCompletion', params }) as Promise<Results['lspCompletion']>,
    lspResolveCompletion: (params: Params<'lspResolveCompletion'>) => call({ method: 'lspResolveCompletion', params }) as Promise<Results['lspResolveCompletion']>,
    lspSignatureHelp: (params: Params<'lspSignatureHelp'>) => call({ method: 'lspSignatureHelp', params }) as Promise<Results['lspSignatureHelp']>,
    lspFormat: (params: Params<'lspFormat'>) => call({ method: 'lspFormat', params }) as Promise<Results['lspFormat']>,
    lspHighlights: (params: Params<'lspHighlights'>) => call({ method: 'lspHighlights', params }) as Promise<Results['lspHighlights']>,
    lspCodeActions: (params: Params<'lspCodeActions'>) => call({ method: 'lspCodeActions', params }) as Promise<Results['lspCodeActions']>,
    lspInlayHints: (params: Params<'lspInlayHints'>) => call({ method: 'lspInlayHints', params }) as Promise<Results['lspInlayHints']>,
    lspSemanticTokens: (params: Params<'lspSemanticTokens'>) => call({ method: 'lspSemanticTokens', params }) as Promise<Results['lspSemanticTokens']>,
    lspRename: (params: Params<'lspRename'>) => call({ method: 'lspRename', params }) as Promise<Results['lspRename']>,
    lspApplyEdits: (params: Params<'lspApplyEdits'>) => call({ method: 'lspApplyEdits', params }) as Promise<Results['lspApplyEdits']>,
    mcpStatus: () => call({ method: 'mcpStatus' }) as Promise<Results['mcpStatus']>,
    mcpStart: () => call({ method: 'mcpStart' }) as Promise<Results['mcpStart']>,
    mcpTrust: (params: Params<'mcpTrust'>) => call({ method: 'mcpTrust', params }) as Promise<Results['mcpTrust']>,
    mcpRestart: (params: Params<'mcpRestart'>) => call({ method: 'mcpRestart', params }) as Promise<Results['mcpRestart']>,
    mcpSignIn: (params: Params<'mcpSignIn'>) => call({ method: 'mcpSignIn', params }) as Promise<Results['mcpSignIn']>,
    mcpSignOut: (params: Params<'mcpSignOut'>) => call({ method: 'mcpSignOut', params }) as Promise<Results['mcpSignOut']>,
    mcpResources: () => call({ method: 'mcpResources' }) as Promise<Results['mcpResources']>,
    mcpPrompts: () => call({ method: 'mcpPrompts' }) as Promise<Results['mcpPrompts']>,
    mcpReadResource: (params: Params<'mcpReadResource'>) => call({ method: 'mcpReadResource', params }) as Promise<Results['mcpReadResource']>,
    gitSwitch: (params: Params<'gitSwitch'>) => call({ method: 'gitSwitch', params }) as Promise<Results['gitSwitch']>,
    collabShare: (params: Params<'collabShare'>) => call({ method: 'collabShare', params }) as Promise<Results['collabShare']>,
    collabStatus: () => call({ method: 'collabStatus' }) as Promise<Results['collabStatus']>,
    collabInvite: (params: Params<'collabInvite'>) => call({ method: 'collabInvite', params }) as Promise<Results['collabInvite']>,
    collabSetRole: (params: Params<'collabSetRole'>) => call({ method: 'collabSetRole', params }) as Promise<Results['collabSetRole']>,
    collabRemove: (params: Params<'collabRemove'>) => call({ method: 'collabRemove', params }) as Promise<Results['collabRemove']>,
    collabStop: () => call({ method: 'collabStop' }) as Promise<Results['collabStop']>,
    collabShareTerminal: (params: Params<'collabShareTerminal'>) => call({ method: 'collabShareTerminal', params }) as Promise<Results['collabShareTerminal']>,
    collabUnshareTerminal: (params: Params<'collabUnshareTerminal'>) => call({ method: 'collabUnshareTerminal', params }) as Promise<Results['collabUnshareTerminal']>,
    collabSharePreview: (params: Params<'collabSharePreview'>) => call({ method: 'collabSharePreview', params }) as Promise<Results['collabSharePreview']>,
    collabUnsharePreview: (params: Params<'collabUnsharePreview'>) => call({ method: 'collabUnsharePreview', params }) as Promise<Results['collabUnsharePreview']>,
    previewFetch: (params: Params<'previewFetch'>) => call({ method: 'previewFetch', params }) as Promise<Results['previewFetch']>,
    guestPreviewUrl: (params: Params<'guestPreviewUrl'>) => call({ method: 'guestPreviewUrl', params }) as Promise<Results['guestPreviewUrl']>,
    collabJoin: (params: Params<'collabJoin'>) => call({ method: 'collabJoin', params }) as Promise<Results['collabJoin']>,
    collabPush: (params: Params<'collabPush'>) => call({ method: 'collabPush', params }) as Promise<Results['collabPush']>,
    collabRequest: (params: Params<'collabRequest'>) => call({ method: 'collabRequest', params }) as Promise<Results['collabRequest']>,
    collabLeave: () => call({ method: 'collabLeave' }) as Promise<Results['collabLeave']>,
    docPush: (params: Params<'docPush'>) => call({ method: 'docPush', params }) as Promise<Results['docPush']>,
    docSave: (params: Params<'docSave'>) => call({ method: 'docSave', params }) as Promise<Results['docSave']>,
    docSaveAll: () => call({ method: 'docSaveAll' }) as Promise<Results['docSaveAll']>,
    docClose: (params: Params<'docClose'>) => call({ method: 'docClose', params }) as Promise<Results['docClose']>,
    docTakeDisk: (params: Params<'docTakeDisk'>) => call({ method: 'docTakeDisk', params }) as Promise<Results['docTakeDisk']>,
    docKeepMine: (params: Params<'docKeepMine'>) => call({ method: 'docKeepMine', params }) as Promise<Results['docKeepMine']>,
    uiReady: (params: Params<'uiReady'>) => call({ method: 'uiReady', params }) as Promise<Results['uiReady']>,
  };
}

export type Client = ReturnType<typeof client>;

/** A typed function per streaming method: its frames and its result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function streams(stream: (request: Request, onFrame: (frame: any) => void) => Streaming<unknown>) {
  return {
    search: (params: Params<'search'>, onFrame: (frame: Frames['search']) => void) => stream({ method: 'search', params }, onFrame) as Streaming<Results['search']>,
    watch: (onFrame: (frame: Frames['watch']) => void) => stream({ method: 'watch' }, onFrame) as Streaming<Results['watch']>,
    symbolIndexStatus: (onFrame: (frame: Frames['symbolIndexStatus']) => void) => stream({ method: 'symbolIndexStatus' }, onFrame) as Streaming<Results['symbolIndexStatus']>,
    terminalSpawn: (params: Params<'terminalSpawn'>, onFrame: (frame: Frames['terminalSpawn']) => void) => stream({ method: 'terminalSpawn', params }, onFrame) as Streaming<Results['terminalSpawn']>,
    terminalAttach: (params: Params<'terminalAttach'>, onFrame: (frame: Frames['terminalAttach']) => void) => stream({ method: 'terminalAttach', params }, onFrame) as Streaming<Results['terminalAttach']>,
    templateCreate: (params: Params<'templateCreate'>, onFrame: (frame: Frames['templateCreate']) => void) => stream({ method: 'templateCreate', params }, onFrame) as Streaming<Results['templateCreate']>,
    templateAdd: (params: Params<'templateAdd'>, onFrame: (frame: Frames['templateAdd']) => void) => stream({ method: 'templateAdd', params }, onFrame) as Streaming<Results['templateAdd']>,
    projectImport: (params: Params<'projectImport'>, onFrame: (frame: Frames['projectImport']) => void) => stream({ method: 'projectImport', params }, onFrame) as Streaming<Results['projectImport']>,
    gitClone: (params: Params<'gitClone'>, onFrame: (frame: Frames['gitClone']) => void) => stream({ method: 'gitClone', params }, onFrame) as Streaming<Results['gitClone']>,
    runEvents: (onFrame: (frame: Frames['runEvents']) => void) => stream({ method: 'runEvents' }, onFrame) as Streaming<Results['runEvents']>,
    checkpointEvents: (onFrame: (frame: Frames['checkpointEvents']) => void) => stream({ method: 'checkpointEvents' }, onFrame) as Streaming<Results['checkpointEvents']>,
    agentSend: (params: Params<'agentSend'>, onFrame: (frame: Frames['agentSend']) => void) => stream({ method: 'agentSend', params }, onFrame) as Streaming<Results['agentSend']>,
    gitSync: (params: Params<'gitSync'>, onFrame: (frame: Frames['gitSync']) => void) => stream({ method: 'gitSync', params }, onFrame) as Streaming<Results['gitSync']>,
    lspStatus: (onFrame: (frame: Frames['lspStatus']) => void) => stream({ method: 'lspStatus' }, onFrame) as Streaming<Results['lspStatus']>,
    collabOpen: (params: Params<'collabOpen'>, onFrame: (frame: Frames['collabOpen']) => void) => stream({ method: 'collabOpen', params }, onFrame) as Streaming<Results['collabOpen']>,
    collabStream: (params: Params<'collabStream'>, onFrame: (frame: Frames['collabStream']) => void) => stream({ method: 'collabStream', params }, onFrame) as Streaming<Results['collabStream']>,
    docOpen: (params: Params<'docOpen'>, onFrame: (frame: Frames['docOpen']) => void) => stream({ method: 'docOpen', params }, onFrame) as Streaming<Results['docOpen']>,
    docAnalysis: (params: Params<'docAnalysis'>, onFrame: (frame: Frames['docAnalysis']) => void) => stream({ method: 'docAnalysis', params }, onFrame) as Streaming<Results['docAnalysis']>,
  };
}

export type Streams = ReturnType<typeof streams>;
