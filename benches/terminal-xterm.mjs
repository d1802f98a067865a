#!/usr/bin/env node --experimental-websocket
// Terminal output end to end into xterm.js: `cat` of a file in a Weft terminal (weft serve
// -> PTY -> WebSocket binary frames -> @xterm/headless, acknowledged as the UI does), against
// writing the same bytes (with the PTY's \n -> \r\n) straight into @xterm/headless, in
// the same run. Prints medians and the ratio; asserts nothing.
//
// The clock starts when the command is typed into a terminal already sitting at its
// prompt, as a user runs `cat`; the shell's start-up (~150 ms here, reading its rc files)
// is printed apart, since it is the cost of opening a terminal, not of its output.
//
// In a browser the WebSocket's frames are decoded by the network stack, off the page's
// thread; Node's WebSocket decodes them in JavaScript on its one thread. So xterm runs in
// a worker here, as it runs on the page's thread there, and the socket stays on the main
// thread, as the network stack does.
//
//   node --experimental-websocket benches/terminal-xterm.mjs [MIB] [RUNS]

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(repo, 'ui', 'package.json'));
const { Terminal } = require('@xterm/headless');
const mib = Number(process.argv[2] ?? 32);
const runs = Number(process.argv[3] ?? 3);
const weft = process.env.WEFT_BIN ?? join(repo, 'target', 'debug', 'weft');

// Printable lines of varying length, like build output.
const dir = mkdtempSync(join(tmpdir(), 'weft-xterm-bench-'));
const lines = [];
let size = 0;
let x = 0x9e3779b9;
while (size < mib << 20) {
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
  const len = 20 + (x % 100);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(32 + ((x >>> (i % 24)) + i) % 94);
  lines.push(s);
  size += len + 1;
}
const text = lines.join('\n') + '\n';
writeFileSync(join(dir, 'data.txt'), text);
const ptyBytes = Buffer.from(text.replaceAll('\n', '\r\n'));

function direct() {
  const term = new Terminal({ cols: 120, rows: 40, scrollback: 1000, allowProposedApi: true });
  const t0 = performance.now();
  return new Promise((res) => {
    for (let i = 0; i < ptyBytes.length; i += 65536) term.write(ptyBytes.subarray(i, i + 65536));
    term.write('', () => {
      res(performance.now() - t0);
      term.dispose();
    });
  });
}

const app = mkdtempSync(join(tmpdir(), 'weft-xterm-bench-app-'));
const env = { ...process.env, WEFT_CONFIG_DIR: join(app, 'c'), WEFT_DATA_DIR: join(app, 'd') };
delete env.WEFT_TOKEN;
const server = spawn(weft, ['serve', dir, '--ui', join(repo, 'ui', 'dist')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((res) => createInterface({ input: server.stdout }).on('line', (l) => l.includes('?token=') && res(new URL(l.trim()))));
const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`);
ws.binaryType = 'arraybuffer';
await new Promise((r) => (ws.onopen = r));
let nextId = 1;
const pending = new Map();
const streams = new Map();
ws.onmessage = (ev) => {
  if (ev.data instanceof ArrayBuffer) {
    const len = new DataView(ev.data).getUint16(0);
    const id = new TextDecoder().decode(new Uint8Array(ev.data, 2, len));
    streams.get(id)?.(new Uint8Array(ev.data, 2 + len));
    return;
  }
  const m = JSON.parse(ev.data);
  if (m.stream) streams.get(m.stream)?.(m.data);
  else pending.get(m.id)?.(m);
};
const call = (request, stream) => new Promise((res) => {
  const id = nextId++;
  pending.set(id, res);
  ws.send(JSON.stringify(stream ? { id, request, stream } : { id, request }));
});

// The "page": an xterm in a worker that reports what it has parsed, as the UI acks.
const pageSrc = `
const { parentPort, workerData } = require('node:worker_threads');
const { Terminal } = require(workerData.xterm);
let term = null;
parentPort.on('message', (m) => {
  if (m.type === 'reset') { term?.dispose(); term = new Terminal({ cols: 120, rows: 40, scrollback: 1000, allowProposedApi: true }); }
  else if (m.type === 'data') { const n = m.data.byteLength; term.write(new Uint8Array(m.data), () => parentPort.postMessage({ type: 'parsed', n })); }
  else if (m.type === 'flush') term.write('', () => parentPort.postMessage({ type: 'flushed' }));
});`;
const page = new Worker(pageSrc, { eval: true, workerData: { xterm: require.resolve('@xterm/headless') } });

async function throughWeft(run) {
  let termId = 0;
  let unacked = 0;
  let bytes = 0;
  let lastFrame = 0;
  const sid = `bench-${run}`;
  page.postMessage({ type: 'reset' });
  const spawned = performance.now();
  let t0 = spawned;
  const done = new Promise((res) => {
    const onPage = (m) => {
      if (m.type === 'parsed') {
        unacked += m.n;
        if (unacked >= 65536) {
          void call({ method: 'terminalAck', params: { id: termId, bytes: unacked } });
          unacked = 0;
        }
      } else if (m.type === 'flushed') {
        page.off('message', onPage);
        res(performance.now() - t0);
      }
    };
    page.on('message', onPage);
    streams.set(sid, (f) => {
      if (f instanceof Uint8Array) {
        const copy = f.slice();
        bytes += copy.length;
        lastFrame = performance.now();
        page.postMessage({ type: 'data', data: copy.buffer }, [copy.buffer]);
      } else if (f.type === 'exit') page.postMessage({ type: 'flush' });
    });
  });
  const reply = await call({ method: 'terminalSpawn', params: { cols: 120, rows: 40, flowControl: true } }, sid);
  termId = reply.ok.id;
  // At its prompt: it has printed something, then nothing for 200 ms.
  while (!lastFrame || performance.now() - lastFrame < 200) await new Promise((r) => setTimeout(r, 10));
  const startup = lastFrame - spawned;
  t0 = performance.now();
  bytes = 0;
  // exec: the command's echo is a few dozen bytes next to the file.
  await call({ method: 'terminalWrite', params: { id: termId, data: "stty -echo; exec cat data.txt\r" } });
  const ms = await done;
  return { ms, bytes, startup };
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const a = [], b = [], starts = [];
let weftBytes = 0;
for (let i = 0; i < runs; i++) {
  a.push(await direct());
  const r = await throughWeft(i);
  b.push(r.ms);
  starts.push(r.startup);
  weftBytes = r.bytes;
}
ws.close();
server.kill();
await page.terminate();
rmSync(dir, { recursive: true, force: true });
rmSync(app, { recursive: true, force: true });
const mbps = (n, ms) => n / ms / 1048.576;
console.log(`${mib} MiB of terminal output into @xterm/headless, ${runs} runs each, medians`);
console.log(`direct            ${med(a).toFixed(0).padStart(7)} ms  ${mbps(ptyBytes.length, med(a)).toFixed(1).padStart(6)} MiB/s  (${ptyBytes.length} bytes)`);
console.log(`through weft      ${med(b).toFixed(0).padStart(7)} ms  ${mbps(weftBytes, med(b)).toFixed(1).padStart(6)} MiB/s  (${weftBytes} bytes: the file plus the command's echo)`);
console.log(`(the terminal's shell started and printed its prompt in ${med(starts).toFixed(0)} ms before that)`);
// Each run's pair side by side, too: the two sides share two cores with whatever else runs.
const pairs = a.map((d, i) => (weftBytes / b[i]) / (ptyBytes.length / d));
console.log(`per run: ${pairs.map((r) => r.toFixed(2)).join(' ')}`);
console.log(`ratio weft/direct throughput: ${(mbps(weftBytes, med(b)) / mbps(ptyBytes.length, med(a))).toFixed(2)}x, median of the runs' ratios ${med(pairs).toFixed(2)}x (goal >= 0.8x)`);
