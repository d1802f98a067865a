// A live collaboration session in the workbench, for the host and its guests alike: who is
// here (the `tree` room's presence: each participant's name, colour and open file), follow
// mode, the connection's state, and for a guest the shared files' changes, their role and
// the shared terminals. The editors themselves are the workbench's: a guest's documents
// are the rooms of the host's files (../backend/guestbackend.ts), the host's are its own
// documents, which the host serves to its guests directly.
//
// A guest's workbench is the whole page: joining reloads the page into it (the guest's
// own folder's documents stay in its Weft), leaving reloads it back.

import * as Y from 'yjs';
import { EditorView } from '@codemirror/view';
import { h, basename } from '../dom';
import type { Backend, FsChange, StreamHandle } from '../backend';
import type { GuestBackend, RoomStatus } from '../backend/guestbackend';
import { YSync, colorFor } from '../editor/ysync';
import { panelModal, toast, errorMessage } from '../dialogs';
import type { Tab } from '../editor/group';
import type { Workbench } from './context';
import { GUEST_KEY, type GuestInfo } from './guestinfo';

export type { GuestInfo } from './guestinfo';

interface Presence {
  user?: { name: string; color: string; colorLight?: string };
  /** The file the participant has in front of them (tree room only). */
  file?: string | null;
  cursor?: { anchor: unknown; head: unknown } | null;
}

/** One room, synced with the local Weft's replica by y-sync messages. */
export class LiveRoom {
  private sync: YSync;
  readonly doc: Y.Doc;
  readonly awareness: YSync['awareness'];
  readonly synced: Promise<void>;
  private handle: StreamHandle;

  constructor(backend: Backend, readonly room: string, onStatus: (s: RoomStatus) => void) {
    let resolve = () => {};
    this.synced = new Promise((r) => (resolve = r));
    this.sync = new YSync((data) => backend.collabPush(room, data), (e) => toast(errorMessage(e), 'error'));
    this.doc = this.sync.doc;
    this.awareness = this.sync.awareness;
    // Synced: the room holds the host's document (or, offline, what was kept here).
    this.handle = backend.collabOpen(room, (m) => this.sync.receive(m), (e) => {
      if (e.kind === 'synced') return resolve();
      if (e.status.state === 'offline') resolve();
      onStatus(e.status);
    });
    this.handle.result.catch((e) => toast(`${room}: ${errorMessage(e)}`, 'error'));
  }

  /** Others' presence, by awareness client id. */
  others(): Map<number, Presence> {
    const out = new Map<number, Presence>();
    for (const [id, st] of this.awareness.getStates()) if (id !== this.doc.clientID && (st as Presence).user) out.set(id, st as Presence);
    return out;
  }

  close() {
    // Tell the others we left before the stream goes.
    this.sync.leave();
    this.handle.cancel();
    this.sync.destroy();
  }
}

/** A shared terminal as the tree room lists it. */
export interface TerminalMeta {
  title: string;
  writable: boolean;
  cols: number;
  rows: number;
}

export class LiveSession {
  /** The session's bar (in the top bar): state, participants, Leave. */
  readonly el: HTMLElement;
  readonly tree: LiveRoom;
  private statusEl = h('span', { class: 'live-status', role: 'status' }, 'Connecting…');
  private peopleEl = h('div', { class: 'live-people', 'aria-label': 'Participants' });
  private following: number | null = null;
  /** A file follow mode is opening (not the user's own navigation). */
  private followOpening: string | null = null;
  private statuses = new Map<string, RoomStatus>();
  private readOnly = false;
  private me: { name: string; color: string; colorLight: string };
  private activeTab: Tab | null = null;
  private activePath: string | null = null;
  /** The active document's presence listener, while there is one. */
  private unfollowDoc: (() => void) | null = null;
  private terminalsPanel: Promise<import('./liveterminals').LiveTerminals> | null = null;

  /**
   * `local`: the participant's own Weft (the rooms are there). `guest`: this page is a
   * guest's workbench (null: the host's, while it shares).
   */
  private previewsEl = h('span', { class: 'live-previews', 'aria-label': 'Shared previews' });
  constructor(private wb: Workbench, private local: Backend, name: string, title: string, private guest: GuestBackend | null) {
    const color = colorFor(name);
    this.me = { name, color, colorLight: `${color}33` };
    const end = guest
      ? h('button', { class: 'btn small live-leave', title: 'Leave the session' }, 'Leave')
      : h('span', { class: 'dim' }, 'hosting');
    if (guest) end.addEventListener('click', () => void this.leave());
    this.el = h('div', { class: 'live-bar', role: 'region', 'aria-label': 'Live session' },
      h('b', {}, 'Live'), h('span', { class: 'live-title', title }, title), this.statusEl, this.peopleEl, this.previewsEl, end);
    this.tree = new LiveRoom(local, 'tree', (s) => this.roomStatus('tree', s));
    this.tree.awareness.setLocalState({ user: this.me, file: wb.layout.active?.doc.path ?? null });
    this.tree.awareness.on('change', () => this.peopleChanged());
    if (guest) {
      guest.roomEvents = { status: (room, s) => this.roomStatus(room, s), closed: (room) => this.roomClosed(room) };
      guest.watchFiles = (onEvent) => this.watchFiles(onEvent);
      // The host shares a terminal, stops, or lets guests type: the panel follows.
      this.tree.doc.getMap<string>('terminals').observe(() => void this.terminalsPanel?.then((p) => p.refresh()));
      // The host shares its running app: a button here opens it in the preview.
      this.tree.doc.getMap<string>('previews').observe(() => this.renderPreviews());
    }
    this.peopleChanged();
  }

  /** The host's shared previews, as buttons that open them (a guest's bar). */
  private renderPreviews(): void {
    const buttons = [...this.tree.doc.getMap<string>('previews').entries()].flatMap(([port, v]) => {
      let title = `port ${port}`;
      try {
        title = (JSON.parse(v) as { title?: string }).title || title;
      } catch {
        // Not ours to fail on: another client's entry we cannot read.
      }
      return [h('button', { class: 'btn small live-preview', title: `Preview the host's ${title} (port ${port})`, onclick: () => this.wb.openSharedPreview(Number(port)) }, `▶ ${title}`)];
    });
    this.previewsEl.replaceChildren(...buttons);
  }

  /** A room's connection changed (the guest's backend reports its documents' rooms here). */
  roomStatus(room: string, s: RoomStatus): void {
    // The role is the guest's, not a room's: read-only once told so, until told otherwise.
    if (s.state === 'online' && this.statuses.get(room)?.state === 'readOnly') return;
    this.statuses.set(room, s);
    const rank = ['refused', 'removed', 'offline', 'connecting', 'readOnly', 'online'];
    const all = [...this.statuses.values()];
    const shown = all.reduce((a, b) => (rank.indexOf(b.state) < rank.indexOf(a.state) ? b : a));
    this.showStatus(shown, all.some((x) => x.state === 'readOnly'));
  }

  /** A room closed (its document's last tab): its state no longer counts. */
  roomClosed(room: string): void {
    this.statuses.delete(room);
  }

  private showStatus(s: RoomStatus, ro: boolean) {
    const text: Record<string, string> = { connecting: 'Connecting…', online: 'Online', readOnly: 'Read-only', removed: 'Removed by the host' };
    this.statusEl.className = `live-status ${s.state}`;
    this.statusEl.title = '';
    if (s.state === 'offline') {
      this.statusEl.textContent = `Offline — your edits are kept and merge when the connection is back (retrying in ${Math.ceil(s.retryMs / 1000)} s)`;
      this.statusEl.title = s.error;
    } else if (s.state === 'refused') {
      this.statusEl.textContent = `Refused: ${s.reason}`;
    } else {
      this.statusEl.textContent = text[s.state] ?? s.state;
    }
    if (this.guest && ro !== this.readOnly) {
      this.readOnly = ro;
      this.wb.docs.setReadOnly(ro);
    }
  }

  /** Whether a guest may type (documents opened later start that way). */
  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /**
   * The shared files' changes as watch events, from the tree room's list (a guest cannot
   * watch the host's disk): files that came or went, and the folders above them, so the
   * tree re-lists what it shows.
   */
  private watchFiles(onEvent: (e: { changes: FsChange[] }) => void): StreamHandle {
    const files = this.tree.doc.getMap('files');
    const observer = (e: Y.YMapEvent<unknown>) => {
      const changes: FsChange[] = [];
      for (const [path, change] of e.changes.keys) {
        if (change.action === 'update') continue;
        const kind = change.action === 'add' ? 'created' : 'removed';
        changes.push({ path, kind, isDir: false });
        // A new folder shows in its parent's listing.
        for (let d = path.lastIndexOf('/'); d > 0; d = path.lastIndexOf('/', d - 1)) changes.push({ path: path.slice(0, d), kind, isDir: true });
      }
      if (changes.length) onEvent({ changes });
    };
    files.observe(observer);
    return { id: 'tree', result: Promise.resolve(null), cancel: () => files.unobserve(observer) };
  }

  /** The user's active editor changed: the others see which file, and following stops if the user went elsewhere. */
  activeChanged(tab: Tab | null): void {
    // Called on every focus and click in a group: only a change of editor matters.
    if (tab === this.activeTab && tab?.doc.path === this.activePath) return;
    this.activeTab = tab;
    this.activePath = tab?.doc.path ?? null;
    const path = tab?.doc.path ?? null;
    // Before telling the others: that redraws the participants, which would take a
    // follower straight back to the followed file.
    if (this.following !== null && path !== null && path !== this.followOpening) {
      const followed = this.tree.others().get(this.following);
      if (followed?.file !== path) this.following = null;
    }
    this.tree.awareness.setLocalStateField('file', path);
    this.peopleChanged();
    this.unfollowDoc?.();
    this.unfollowDoc = null;
    const bound = tab?.doc.bound;
    if (tab && bound) {
      // Others' moves only, after the current update: the cursor plugin sets our own
      // cursor from inside an editor update, and a dispatch there would crash it.
      const onChange = (_: unknown, origin: unknown) => {
        if (origin !== 'local') queueMicrotask(() => this.followCursor(tab));
      };
      bound.sync.awareness.on('change', onChange);
      this.unfollowDoc = () => bound.sync.awareness.off('change', onChange);
    }
  }

  /** The participant list, and following someone to their file. */
  private peopleChanged() {
    const others = this.tree.others();
    const chips = [...others].map(([id, p]) => {
      const chip = h('button', {
        class: `live-person${this.following === id ? ' following' : ''}`, 'data-name': p.user!.name,
        title: `${p.user!.name}${p.file ? ` — ${p.file}` : ''}. Click to ${this.following === id ? 'stop following' : 'follow'}.`,
      }, h('span', { class: 'dot', style: `background:${p.user!.color}` }), p.user!.name, p.file ? h('span', { class: 'dim' }, ` · ${basename(p.file)}`) : '');
      chip.addEventListener('click', () => {
        this.following = this.following === id ? null : id;
        this.peopleChanged();
      });
      return chip;
    });
    const meChip = h('span', { class: 'live-person me', title: 'You' }, h('span', { class: 'dot', style: `background:${this.me.color}` }), `${this.me.name} (you)`);
    this.peopleEl.replaceChildren(meChip, ...chips);
    if (this.following === null) return;
    const f = others.get(this.following);
    if (!f) this.following = null;
    else if (f.file && f.file !== this.wb.layout.active?.doc.path) void this.followTo(f.file);
  }

  private async followTo(path: string) {
    this.followOpening = path;
    try {
      await this.wb.openFile(path);
    } finally {
      if (this.followOpening === path) this.followOpening = null;
    }
  }

  /** In follow mode, keeps the followed participant's cursor in view. */
  private followCursor(tab: Tab) {
    const bound = tab.doc.bound;
    if (this.following === null || !bound || this.wb.layout.active !== tab) return;
    const followed = this.tree.awareness.getStates().get(this.following) as Presence | undefined;
    let them: Presence | undefined;
    for (const [id, st] of bound.sync.awareness.getStates()) {
      if (id !== bound.sync.doc.clientID && (st as Presence).user?.name === followed?.user?.name) them = st as Presence;
    }
    if (!them?.cursor) return;
    const pos = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(them.cursor.head), bound.sync.doc);
    if (pos) tab.view.dispatch({ effects: EditorView.scrollIntoView(Math.min(pos.index, tab.view.state.doc.length), { y: 'center' }) });
  }

  /** The shared terminals (a guest's terminal panel). */
  terminals(): Map<string, TerminalMeta> {
    const out = new Map<string, TerminalMeta>();
    for (const [id, v] of this.tree.doc.getMap<string>('terminals').entries()) {
      try {
        out.set(id, JSON.parse(v) as TerminalMeta);
      } catch {
        // Not ours to fail on: another client's entry we cannot read.
      }
    }
    return out;
  }

  /** A guest's terminal panel: the host's shared terminals, loaded on first use. */
  terminalPanel(host: HTMLElement): Promise<import('./liveterminals').LiveTerminals> {
    this.terminalsPanel ??= import('./liveterminals').then(({ LiveTerminals }) => {
      const panel = new LiveTerminals(this.local, this, () => this.wb.settings());
      host.replaceWith(panel.el);
      return panel;
    });
    return this.terminalsPanel;
  }

  /** Back to the guest's own folder. */
  async leave(): Promise<void> {
    this.tree.close();
    sessionStorage.removeItem(GUEST_KEY);
    await this.local.collabLeave().catch(() => {});
    location.reload();
  }

  /** The host stopped sharing: the bar goes. */
  close(): void {
    this.unfollowDoc?.();
    this.tree.close();
    this.el.remove();
  }
}

/**
 * Asks for an invite link and a name, then joins: the page reloads into the host's folder.
 * `beforeJoin`: the questions about unsaved edits (false: stay).
 */
export function joinDialog(backend: Backend, beforeJoin: () => Promise<boolean>) {
  if (document.querySelector('.join-panel')) return;
  const link = h('input', { class: 'modal-input join-link', type: 'text', placeholder: 'ws://HOST:PORT/?token=…', 'aria-label': 'Invite link' });
  const name = h('input', { class: 'modal-input join-name', type: 'text', placeholder: 'Your name', 'aria-label': 'Your name' });
  name.value = localStorage.getItem('weft.collab.name') ?? '';
  const error = h('p', { class: 'error' });
  const body = h('div', { class: 'join-panel' }, h('p', { class: 'dim' }, 'Paste the invite link the host gave you.'), link, name, error);
  const cancel = h('button', { class: 'btn' }, 'Cancel');
  const join = h('button', { class: 'btn primary' }, 'Join');
  const modal = panelModal('Join a live session', body, [cancel, join], () => modal.remove());
  cancel.addEventListener('click', () => modal.remove());
  const go = async () => {
    const who = name.value.trim() || 'Guest';
    const url = link.value.trim();
    try {
      // The link is checked (and the host's address known) before anything is asked or closed.
      await backend.collabJoin(url);
    } catch (e) {
      error.textContent = errorMessage(e);
      return;
    }
    if (!(await beforeJoin())) {
      await backend.collabLeave().catch(() => {});
      return;
    }
    localStorage.setItem('weft.collab.name', who);
    const info: GuestInfo = { link: url, name: who, title: url.replace(/\/?\?.*$/, '') };
    sessionStorage.setItem(GUEST_KEY, JSON.stringify(info));
    modal.remove();
    location.reload();
  };
  join.addEventListener('click', () => void go());
  for (const i of [link, name]) i.addEventListener('keydown', (e) => e.key === 'Enter' && void go());
  link.focus();
}
