// A Yjs replica kept in step with a document in Rust by y-sync messages: what Rust sends
// is applied here, and local changes (the editor's typing, our presence) go back as
// updates. Used by the editor (documents of the open folder) and by the live view (rooms
// of a session joined as a guest): both are ordinary Yjs clients of their own Weft.

import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

const COLORS = ['#e06c75', '#61afef', '#98c379', '#c678dd', '#e5c07b', '#56b6c2', '#d19a66', '#be5046'];

/** A participant's colour, the same for a name everywhere. */
export function colorFor(name: string): string {
  let hsh = 0;
  for (const c of name) hsh = (hsh * 31 + c.codePointAt(0)!) >>> 0;
  return COLORS[hsh % COLORS.length];
}

/** How this user appears to others (cursor label and colour). */
export function localUser(): { name: string; color: string; colorLight: string } {
  const name = localStorage.getItem('weft.collab.name') || 'Host';
  const color = colorFor(name);
  return { name, color, colorLight: `${color}33` };
}

const MSG_SYNC = 0;
const MSG_AWARENESS = 1;

export class YSync {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  private closed = false;

  /** `push` sends y-sync messages to Rust and resolves to its replies. */
  constructor(private push: (data: Uint8Array) => Promise<Uint8Array[]>, private onError: (e: unknown) => void) {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MSG_SYNC);
      syncProtocol.writeUpdate(enc, update);
      this.send(encoding.toUint8Array(enc));
    });
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin !== 'local') return;
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MSG_AWARENESS);
      encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed]));
      this.send(encoding.toUint8Array(enc));
    });
  }

  /** One message from Rust. */
  receive(m: Uint8Array) {
    if (this.closed) return;
    const dec = decoding.createDecoder(m);
    const type = decoding.readVarUint(dec);
    if (type === MSG_SYNC) {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MSG_SYNC);
      syncProtocol.readSyncMessage(dec, enc, this.doc, this);
      if (encoding.length(enc) > 1) this.send(encoding.toUint8Array(enc));
    } else if (type === MSG_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(dec), this);
    }
  }

  private send(data: Uint8Array) {
    if (this.closed) return;
    this.push(data).then((replies) => replies.forEach((r) => this.receive(r)), (e) => {
      // Closed while its last messages were on the way: nothing to tell anyone.
      if (!this.closed) this.onError(e);
    });
  }

  /** Tells the others we left (the caller sends that before closing its stream). */
  leave() {
    this.awareness.setLocalState(null);
  }

  destroy() {
    this.closed = true;
    this.awareness.destroy();
    this.doc.destroy();
  }
}
