// Any standard Yjs client can join: the real `yjs` + `y-websocket` packages (as a web app
// would use them) against `weft collab host`. Edits go both ways through the host, the
// host refuses a read-only guest's edits, presence reaches the others, and a wrong token
// gets no document. Guests' edits are saved to the host's disk, and a change made there by
// another program reaches every guest.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { weftBinary, waitFor } from './harness.mjs';

let ws, app, host, base, tokens = {};

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-collab-'));
  mkdirSync(join(ws, 'src'));
  writeFileSync(join(ws, 'src/main.rs'), 'fn main() {}\n');
  writeFileSync(join(ws, '.gitignore'), 'secret.env\n');
  writeFileSync(join(ws, 'secret.env'), 'TOKEN=1\n');
  app = mkdtempSync(join(tmpdir(), 'weft-e2e-collab-app-'));
  const env = { ...process.env, WEFT_DATA_DIR: join(app, 'data'), WEFT_CONFIG_DIR: join(app, 'config') };
  host = spawn(weftBinary(), ['collab', 'host', ws, '--local', '--guest', 'ada', '--guest', 'bo:ro'], { stdio: ['ignore', 'pipe', 'inherit'], env });
  await new Promise((res, rej) => {
    const rl = createInterface({ input: host.stdout });
    rl.on('line', (line) => {
      const m = /^invite (\w+) \([\w-]+\): (ws:\/\/[^/]+)\/\?token=(\w+)$/.exec(line);
      if (m) {
        base = m[2];
        tokens[m[1]] = m[3];
        if (tokens.ada && tokens.bo) res();
      }
    });
    host.on('exit', (c) => rej(new Error(`weft collab host exited with ${c}`)));
  });
});

after(() => {
  host?.kill();
  rmSync(ws, { recursive: true, force: true });
  rmSync(app, { recursive: true, force: true });
});

function join_(room, token) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(base, room, doc, { params: { token }, WebSocketPolyfill: WebSocket, disableBc: true });
  return { doc, provider, text: doc.getText('content') };
}

test('yjs + y-websocket clients edit a file room together through the host', async () => {
  const a = join_('file/src/main.rs', tokens.ada);
  const b = join_('file/src/main.rs', tokens.bo);
  try {
    await waitFor(() => a.provider.synced && b.provider.synced, 'both synced');
    assert.equal(a.text.toString(), 'fn main() {}\n', 'the room starts as the file');
    assert.equal(b.text.toString(), 'fn main() {}\n');

    a.text.insert(11, ' println!("hi"); ');
    await waitFor(() => b.text.toString() === 'fn main() { println!("hi"); }\n', 'the edit at the read-only guest');

    // Bo is read-only: his edit stays local; Ada never sees it. Bo's presence, sent after
    // the edit on the same connection, marks when the host has handled it.
    b.text.insert(0, '// bo was here\n');
    b.provider.awareness.setLocalStateField('user', { name: 'bo-after-edit' });
    await waitFor(() => [...a.provider.awareness.getStates().values()].some((s) => s.user?.name === 'bo-after-edit'), 'the marker at Ada');
    assert.equal(a.text.toString(), 'fn main() { println!("hi"); }\n');

    // Saved to the host's disk once the room is quiet.
    await waitFor(() => readFileSync(join(ws, 'src/main.rs'), 'utf8') === 'fn main() { println!("hi"); }\n', 'the save on disk');
    // Another program changes the file on the host: the change reaches every guest.
    writeFileSync(join(ws, 'src/main.rs'), 'fn main() { println!("hi"); }\n// edited on the host\n');
    await waitFor(() => a.text.toString().endsWith('// edited on the host\n'), 'the disk change at Ada');
    await waitFor(() => b.text.toString().endsWith('// edited on the host\n'), 'the disk change at Bo');

    // Presence: Ada's name and cursor reach Bo.
    a.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#f80' });
    await waitFor(() => [...b.provider.awareness.getStates().values()].some((s) => s.user?.name === 'Ada'), "Ada's presence");
  } finally {
    // The doc owns the awareness timer: destroying it lets the process exit.
    for (const p of [a, b]) {
      p.provider.destroy();
      p.doc.destroy();
    }
  }
});

test('a wrong token or an ignored file gets no document', async () => {
  for (const [room, token] of [['file/src/main.rs', 'nope'], ['file/secret.env', tokens.ada], ['file/../etc/passwd', tokens.ada]]) {
    const c = join_(room, token);
    let refused = false;
    c.provider.on('connection-close', () => (refused = true));
    c.provider.on('connection-error', () => (refused = true));
    try {
      // The host answered (and refused), rather than "nothing happened yet".
      await waitFor(() => refused, `${room} refused`);
      assert.equal(c.provider.synced, false, `${room} with ${token}`);
      assert.equal(c.text.toString(), '');
    } finally {
      c.provider.destroy();
      c.doc.destroy();
    }
  }
});
