// The guest's workbench's Backend: the host's folder (list, find, search, analyses)
// through a GuestTransport, each open file's document from its room (`file/<path>`) in
// the guest's own Weft, which keeps the edits made offline and merges them when the
// connection is back, and the guest's own settings. So the workbench that edits a local
// folder runs unchanged on a shared one: tabs, splits, search, outline, syntax errors.

import type { CollabEvent } from '../bindings/CollabEvent';
import type { DocEvent } from '../bindings/DocEvent';
import type { WatchEvent } from '../bindings/WatchEvent';
import { Backend, BackendError, type DocStream, type StreamHandle } from './index';
import { GuestTransport } from './guest';

export type RoomStatus = Extract<CollabEvent, { kind: 'status' }>['status'];

/** A document's room as the guest's workbench holds it. */
interface OpenRoom {
  room: string;
  handle: StreamHandle;
  analysis: StreamHandle;
}

export class GuestBackend extends Backend {
  private rooms = new Map<number, OpenRoom>();
  private nextConn = 1;
  /** The shared files' changes, from the session's tree room (see ../workbench/live.ts). */
  watchFiles: ((onEvent: (e: WatchEvent) => void) => StreamHandle) | null = null;

  /** The session's view of its rooms (../workbench/live.ts sets it). */
  roomEvents: { status(room: string, status: RoomStatus): void; closed(room: string): void } = { status() {}, closed() {} };

  constructor(readonly local: Backend) {
    super(new GuestTransport(local));
  }

  /** A guest's preview of `localhost:PORT` is the host's app, relayed by the guest's own
   * app over the session (only ports the host shares). */
  override previewUrl(port: number): Promise<string> {
    return this.local.guestPreviewUrl(port);
  }

  /**
   * A shared file's document: its room's y-sync messages, and the host's analysis of it
   * (each frame carries the state vector it belongs to, so the editor shows it once it
   * holds those edits). Shared documents are saved by the host as everyone types.
   */
  override docOpen(path: string): DocStream {
    const room = `file/${path}`;
    type DocFrame = Uint8Array | DocEvent;
    const kept: DocFrame[] = [];
    let sink: ((f: DocFrame) => void) | null = null;
    const deliver = (f: DocFrame) => (sink ? sink(f) : kept.push(f));
    // Open once the room holds the host's text (a search hit's line must exist), or shows
    // what was kept here while the host is out of reach; a refusal is the open's error.
    let ready: (ok: boolean, why?: string) => void = () => {};
    const held = new Promise<void>((resolve, reject) => {
      ready = (ok, why) => (ok ? resolve() : reject(new BackendError('collab', why ?? 'refused')));
    });
    const handle = this.local.collabOpen(room, deliver, (e) => {
      if (e.kind === 'synced') return ready(true);
      this.roomEvents.status(room, e.status);
      if (e.status.state === 'offline') ready(true);
      else if (e.status.state === 'refused') ready(false, `${path}: ${e.status.reason}`);
      else if (e.status.state === 'removed') ready(false, 'removed from the session by the host');
    });
    handle.result.catch((e) => ready(false, e instanceof Error ? e.message : String(e)));
    // A host too old to analyse, or a file it does not: the editor works without.
    const analysis = this.docAnalysis(path, (e) => e.kind === 'analysis' && deliver(e));
    analysis.result.catch(() => {});
    const conn = this.nextConn++;
    this.rooms.set(conn, { room, handle, analysis });
    const result = Promise.all([handle.result, held]).then(() => ({
      conn, encoding: 'utf8' as const, encodingLabel: 'UTF-8', lineEnding: 'lf' as const, readonly: false, syntax: '', text: null,
    }));
    result.catch(() => this.docClose(conn));
    return {
      result,
      shared: true,
      listen(onMessage, onEvent) {
        sink = (f) => (f instanceof Uint8Array ? onMessage(f) : onEvent(f));
        for (const f of kept.splice(0)) sink(f);
      },
    };
  }
  override async docPush(conn: number, data: Uint8Array): Promise<Uint8Array[]> {
    const open = this.rooms.get(conn);
    if (!open) return [];
    // Tracked: a language request waits for it, and the guest's Rust peer sends the host
    // its replica's state vector with the request (the host answers once it holds as much).
    return this.tracked(this.local.collabPush(open.room, data));
  }
  override async docClose(conn: number): Promise<null> {
    const open = this.rooms.get(conn);
    this.rooms.delete(conn);
    open?.handle.cancel();
    open?.analysis.cancel();
    if (open) this.roomEvents.closed(open.room);
    return null;
  }
  override watch(onEvent: (e: WatchEvent) => void): StreamHandle {
    if (this.watchFiles) return this.watchFiles(onEvent);
    return { id: 'none', result: Promise.resolve(null), cancel() {} };
  }

  // The guest's own: its settings and recent folders. Its session (open tabs) belongs to
  // its own folder and is left alone.
  /** Guests may ask for the host's status only (its allow-list); never a rescan. */
  override gitStatus() { return super.gitStatus(false); }
  override getSettings() { return this.local.getSettings(); }
  override setSettings(text: string) { return this.local.setSettings(text); }
  override recentWorkspaces() { return this.local.recentWorkspaces(); }
  override async getSession() { return { groups: [], activeGroup: 0 }; }
  override async saveSession() { return null; }
  override async uiReady() { return null; }
  override async terminalList() { return []; }
}
