// What the workbench's parts share: the backend, what the app is, and each other. The App
// (../app.ts) builds the parts and is this context; a part reaches another only through it.

import type { AppInfo, Backend, Settings } from '../backend';
import type { Tab, EditorGroup } from '../editor/group';
import type { TerminalPanel } from '../terminal';
import type { AgentPanel } from '../agent';
import type { Documents } from './documents';
import type { Layout } from './layout';
import type { SessionState } from './session';
import type { Preferences } from './settings';
import type { LiveSession } from './live';
import type { GitState } from './git';

export interface OpenAt {
  line?: number;
  from?: number;
  to?: number;
  group?: EditorGroup;
  focus?: boolean;
}

export interface Workbench {
  readonly backend: Backend;
  readonly info: AppInfo;
  /** The settings in force (they change when the user saves them). */
  settings(): Settings;
  readonly docs: Documents;
  readonly layout: Layout;
  readonly session: SessionState;
  readonly prefs: Preferences;
  /** Set when this page is a guest's workbench on the host's folder. */
  readonly guest: object | null;
  /** The live session's bar (a guest's session, or the host's while it shares). */
  readonly live: LiveSession | null;
  /** The folder's git status (none for a guest). */
  readonly git: GitState | null;
  /** The host started (its own link) or stopped (null) sharing. */
  sharingChanged(selfLink: string | null): Promise<void>;
  openFile(path: string, at?: OpenAt): Promise<Tab | null>;
  closeTab(group: EditorGroup, tab: Tab): Promise<void>;
  /** The terminal panel, loaded on first use. */
  terminals(): Promise<TerminalPanel>;
  /** The agent panel if it has been opened. */
  agentLoaded(): Promise<AgentPanel> | null;
  terminalsLoaded(): Promise<TerminalPanel> | null;
  /** A guest opens the preview of a port the host shares (relayed by the session). */
  openSharedPreview(port: number): void;
}
