import { expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { YSync } from '../../src/editor/ysync';

/** Rust's side, as an ordinary y-sync peer: answers each message, as docPush does. */
function rustSide(doc: Y.Doc) {
  return async (m: Uint8Array): Promise<Uint8Array[]> => {
    const dec = decoding.createDecoder(m);
    if (decoding.readVarUint(dec) !== 0) return [];
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 0);
    syncProtocol.readSyncMessage(dec, enc, doc, 'editor');
    return encoding.length(enc) > 1 ? [encoding.toUint8Array(enc)] : [];
  };
}

function step1(doc: Y.Doc): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, 0);
  syncProtocol.writeSyncStep1(enc, doc);
  return encoding.toUint8Array(enc);
}

function update(u: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, 0);
  syncProtocol.writeUpdate(enc, u);
  return encoding.toUint8Array(enc);
}

test('a replica takes the document, sends its typing, and takes others\' edits once', async () => {
  const rust = new Y.Doc();
  rust.getText('content').insert(0, 'hello\n');
  const errors = vi.fn();
  const ed = new YSync(rustSide(rust), errors);
  // Rust opens with the whole text, then asks what the replica has (nothing new).
  ed.receive(update(Y.encodeStateAsUpdate(rust)));
  ed.receive(step1(rust));
  await vi.waitFor(() => expect(ed.doc.getText('content').toString()).toBe('hello\n'));

  // Typing here reaches Rust.
  ed.doc.getText('content').insert(5, ', world');
  await vi.waitFor(() => expect(rust.getText('content').toString()).toBe('hello, world\n'));

  // Another participant's edit, relayed twice (a reconnect), applies once.
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(rust));
  let u: Uint8Array | null = null;
  other.on('update', (x: Uint8Array) => (u = x));
  other.getText('content').insert(0, '> ');
  Y.applyUpdate(rust, u!);
  ed.receive(update(u!));
  ed.receive(update(u!));
  expect(ed.doc.getText('content').toString()).toBe('> hello, world\n');
  expect(rust.getText('content').toString()).toBe('> hello, world\n');
  expect(errors).not.toHaveBeenCalled();
});

test('after destroy nothing is applied or sent, and a failed push is reported', async () => {
  const errors = vi.fn();
  let pushes = 0;
  const ed = new YSync(async () => {
    pushes++;
    throw new Error('gone');
  }, errors);
  ed.doc.getText('content').insert(0, 'x');
  await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(1));
  ed.destroy();
  const sent = pushes;
  const rust = new Y.Doc();
  rust.getText('content').insert(0, 'late');
  ed.receive(update(Y.encodeStateAsUpdate(rust)));
  expect(pushes).toBe(sent);
  expect(errors).toHaveBeenCalledTimes(1);
});
