// The three ways a shared file's text used to be duplicated or reverted, each against the
// real `weft collab host` with the real `yjs` + `y-websocket` packages as guests (as any
// web app would join): an outside rewrite that already holds a guest's unsaved edit, the
// host's own saves coming back through the watcher while a guest types, and a file
// changed while the host was down. At the end the file and every guest hold the same text,
// each typed run of text once.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { weftBinary, waitFor } from './harness.mjs';

const dirs = [];
const hosts = [];
const guests = [];

after(() => {
  for (const g of guests) g.provider.destroy();
  for (const h of hosts) h.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(name) {
  const d = mkdtempSync(join(tmpdir(), `weft-e2e-disk-${name}-`));
  dirs.push(d);
  return d;
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts `weft collab host` on `folder`; resolves to the process, the base URL and ada's token. */
async function startHost(folder, app, port) {
  const env = { ...process.env, WEFT_DATA_DIR: join(app, 'data'), WEFT_CONFIG_DIR: join(app, 'config') };
  const child = spawn(weftBinary(), ['collab', 'host', folder, '--local', '--port', String(port), '--guest', 'ada'], { stdio: ['ignore', 'pipe', 'inherit'], env });
  hosts.push(child);
  const { base, token } = await new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /^invite ada \([\w-]+\): (ws:\/\/[^/]+)\/\?token=(\w+)$/.exec(line);
      if (m) res({ base: m[1], token: m[2] });
    });
    child.on('exit', (c) => rej(new Error(`weft collab host exited with ${c}`)));
  });
  return { child, base, token };
}

function guest(base, token, path) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(base, `file/${path}`, doc, { params: { token }, WebSocketPolyfill: WebSocket, disableBc: true });
  const g = { doc, provider, text: doc.getText('content') };
  guests.push(g);
  return g;
}

const read = (f) => readFileSync(f, 'utf8');
const count = (hay, needle) => hay.split(needle).length - 1;

test('an outside rewrite that already holds a guest\'s unsaved edit: the edit is in the file once', async () => {
  const folder = tmp('rewrite');
  const file = join(folder, 'notes.md');
  writeFileSync(file, 'line one\nline two\n');
  const { base, token } = await startHost(folder, tmp('rewrite-app'), await freePort());
  const a = guest(base, token, 'notes.md');
  const b = guest(base, token, 'notes.md');
  await waitFor(() => a.provider.synced && b.provider.synced && a.text.toString() === 'line one\nline two\n', 'both synced');
  a.text.insert(9, 'guest line\n');
  await waitFor(() => b.text.toString() === 'line one\nguest line\nline two\n', 'the edit relayed');
  // At once, inside the host's quiet-before-save window: a formatter rewrites the file with
  // the guest's edit already in it, and a change of its own.
  assert.equal(read(file), 'line one\nline two\n', 'the rewrite must race the host\'s save');
  writeFileSync(file, 'LINE ONE\nguest line\nline two\n');
  const want = 'LINE ONE\nguest line\nline two\n';
  await waitFor(() => a.text.toString() === want && b.text.toString() === want && read(file) === want, 'disk and guests with the rewrite, the edit once', 20000);
});

test('the host\'s own saves coming back while a guest types change nothing', async () => {
  const folder = tmp('saves');
  const file = join(folder, 'big.txt');
  // ~6 MB: a save takes long enough for typing to land while it is written.
  let body = '';
  for (let i = 0; i < 150000; i++) body += `line ${String(i).padStart(6, '0')} of the large file\n`;
  writeFileSync(file, body);
  const { base, token } = await startHost(folder, tmp('saves-app'), await freePort());
  const a = guest(base, token, 'big.txt');
  await waitFor(() => a.provider.synced && a.text.length === body.length, 'synced', 30000);
  const typed = [];
  // The host saves once the room was quiet for a 400 ms tick: pauses drawn from 380–820 ms
  // (seeded) make some bursts land while a save is being written.
  let seed = 0x2545f491;
  for (let burst = 0; burst < 20; burst++) {
    for (let k = 0; k < 2; k++) {
      const t = `<t${burst}.${k}>\n`;
      a.text.insert(0, t);
      typed.push(t);
      await new Promise((r) => setTimeout(r, 10));
    }
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    await new Promise((r) => setTimeout(r, 380 + (seed % 440)));
  }
  const want = [...typed].reverse().join('') + body;
  await waitFor(() => a.text.toString() === want && read(file) === want, 'the guest and the disk with exactly what was typed', 30000);
  for (const t of typed) assert.equal(count(read(file), t), 1, `${t.trim()} once on disk`);
});

test('a file changed while the host was down is merged on restart, not overwritten', async () => {
  const folder = tmp('restart');
  const app = tmp('restart-app');
  const file = join(folder, 'notes.md');
  writeFileSync(file, '# Notes\nsecond\n');
  const port = await freePort();
  const first = await startHost(folder, app, port);
  const a = guest(first.base, first.token, 'notes.md');
  await waitFor(() => a.provider.synced && a.text.toString() === '# Notes\nsecond\n', 'synced');
  a.text.insert(8, 'from ada\n');
  // Acknowledged (logged) by the host: the edit is in the room before it goes down.
  const b = guest(first.base, first.token, 'notes.md');
  await waitFor(() => b.text.toString() === '# Notes\nfrom ada\nsecond\n', 'the edit relayed');
  b.provider.destroy();
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  // While the host is down another program appends to the file.
  writeFileSync(file, read(file) + 'appended while the host was down\n');

  await startHost(folder, app, port);
  const want = '# Notes\nfrom ada\nsecond\nappended while the host was down\n';
  // Ada's provider reconnects by itself (same link, same port).
  await waitFor(() => a.text.toString() === want, 'ada with the merged text', 30000);
  await waitFor(() => read(file) === want, 'the merge saved', 20000);
});
