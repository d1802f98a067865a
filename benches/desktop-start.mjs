#!/usr/bin/env node
// Desktop warm start (a new process; the OS page cache is warm for both apps, as the
// runs are interleaved) to an interactive editor, and resident memory, for Weft (with a
// 10k-file folder open and a file restored in the editor) against a minimal Tauri window
// (benches/minimal-window) built in the same run. Prints medians and ratios; asserts
// nothing about time.
//
//   node benches/desktop-start.mjs [RUNS]        (needs Xvfb; builds both in release)
//
// Start = from spawn to the page's "ready" call (Weft: the workbench is up, the tree
// listed and the restored file in an editor). Memory = PSS summed over the app and all
// its descendants (WebKitWebProcess, WebKitNetworkProcess), 1.5 s after ready.

import { spawn, spawnSync, execSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');

console.log('building weft-desktop and the minimal window (release, one build)…');
const build = spawnSync('cargo', ['build', '--release', '-p', 'weft-desktop', '-p', 'weft-minimal-window',
  '--features', 'weft-desktop/custom-protocol,weft-minimal-window/custom-protocol'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

// A 10k-file folder: 100 folders of 100 small Rust files.
const ws = mkdtempSync(join(tmpdir(), 'weft-bench-ws-'));
for (let d = 0; d < 100; d++) {
  mkdirSync(join(ws, `mod${d}`));
  for (let f = 0; f < 100; f++) writeFileSync(join(ws, `mod${d}`, `f${f}.rs`), `pub fn f${d}_${f}() -> u32 { ${f} }\n`);
}
writeFileSync(join(ws, 'main.rs'), 'fn main() {\n    println!("hello");\n}\n'.repeat(50));
const appDir = mkdtempSync(join(tmpdir(), 'weft-bench-app-'));
// Restore main.rs in the editor, as reopening a folder does (the session file is named
// by FNV-1a of the canonical folder path, as weft-api does).
let hash = 0xcbf29ce484222325n;
for (const b of Buffer.from(realpathSync(ws))) hash = BigInt.asUintN(64, (hash ^ BigInt(b)) * 0x100000001b3n);
mkdirSync(join(appDir, 'data', 'sessions'), { recursive: true });
writeFileSync(join(appDir, 'data', 'sessions', `${hash.toString(16).padStart(16, '0')}.json`),
  JSON.stringify({ groups: [{ files: ['main.rs'], active: 'main.rs' }], activeGroup: 0 }));

const display = `:${90 + Math.floor(Math.random() * 9)}`;
const xvfb = spawn('Xvfb', [display, '-screen', '0', '1280x800x24'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 800));

function descendants(pid) {
  const children = new Map();
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {}
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

function killTree(pid) {
  for (const p of descendants(pid).reverse()) try { process.kill(p, 'SIGKILL'); } catch {}
}

function pssKiB(pid) {
  let total = 0;
  for (const p of descendants(pid)) {
    try {
      const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {}
  }
  return total;
}

async function once(bin, args) {
  const env = { ...process.env, DISPLAY: display, WEBKIT_DISABLE_DMABUF_RENDERER: '1', WEFT_REPORT_READY: '1',
    WEFT_CONFIG_DIR: join(appDir, 'config'), WEFT_DATA_DIR: join(appDir, 'data') };
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const { ms, marks } = await new Promise((res, rej) => {
    let buf = '';
    child.stderr.on('data', (d) => {
      buf += d;
      // Whole lines only: a read can end in the middle of one.
      const line = /weft-ready [\d.]+(?: page: (.*))?\n/.exec(buf);
      if (line) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        // The page's marks are ms since its navigation began; what came before is the
        // process and the web view starting.
        const marks = Object.fromEntries((line[1] ?? '').split(', ').filter(Boolean).map((m) => m.split(' ')).map(([k, v]) => [k, Number(v)]));
        res({ ms, marks });
      }
    });
    child.on('exit', (c) => rej(new Error(`${bin} exited (${c}) before ready:\n${buf}`)));
    setTimeout(() => rej(new Error(`${bin}: no ready line in 30 s\n${buf}`)), 30000);
  }).catch((e) => {
    // Leave no window or web process behind: they would skew every later run.
    killTree(child.pid);
    xvfb.kill();
    throw e;
  });
  await new Promise((r) => setTimeout(r, 1500));
  const kib = pssKiB(child.pid);
  killTree(child.pid);
  await new Promise((r) => setTimeout(r, 300));
  return { ms, kib, marks };
}

const weft = join(target, 'release', 'weft-desktop');
const minimal = join(target, 'release', 'weft-minimal-window');
const results = { weft: [], minimal: [] };
await once(minimal, []); // warm the page cache for both
await once(weft, [ws]);
for (let i = 0; i < runs; i++) {
  results.minimal.push(await once(minimal, []));
  results.weft.push(await once(weft, [ws]));
  process.stdout.write('.');
}
xvfb.kill();
rmSync(ws, { recursive: true, force: true });
rmSync(appDir, { recursive: true, force: true });

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (k) => med(results[k].map((r) => r.ms));
const mb = (k) => med(results[k].map((r) => r.kib)) / 1024;
console.log(`\n\n${runs} warm starts each (page cache warm for both), interleaved, medians`);
console.log(`start to interactive   weft ${ms('weft').toFixed(0).padStart(6)} ms   minimal ${ms('minimal').toFixed(0).padStart(6)} ms   ratio ${(ms('weft') / ms('minimal')).toFixed(2)}x`);
console.log(`memory (PSS, all procs) weft ${mb('weft').toFixed(0).padStart(5)} MB   minimal ${mb('minimal').toFixed(0).padStart(6)} MB   ratio ${(mb('weft') / mb('minimal')).toFixed(2)}x`);
// Where the time goes: page marks (ms since the page began loading), medians.
for (const k of ['minimal', 'weft']) {
  const names = Object.keys(results[k][0].marks);
  const before = med(results[k].map((r) => r.ms - (r.marks.ready ?? 0)));
  console.log(`  ${k.padEnd(8)} before the page ${before.toFixed(0)} ms; page: ${names.map((n) => `${n} ${med(results[k].map((r) => r.marks[n] ?? NaN)).toFixed(0)}`).join(', ')}`);
}
console.log('goal: <= 1.3x on both');
