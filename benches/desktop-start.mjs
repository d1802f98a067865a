#!/usr/bin/env node
// Desktop warm start (a new process; the OS page cache is warm for both apps, as the
// runs are interleaved) to an interactive editor, and resident memory, for Weft (with a
// 10k-file folder open and a file restored in the editor) against a minimal Tauri window
// (benches/minimal-window) built in the same run. Prints medians and ratios; asserts
// nothing about time.
//
//   node benches/desktop-start.mjs [RUNS]          (needs Xvfb; builds both in release)
//   node benches/desktop-start.mjs [RUNS] --debug  (CI's smoke figure: the debug builds
//                                                   scripts/test.sh made; no build here)
//
// Start = from spawn to the page's "ready" call: the minimal window's text area is up;
// Weft's first frame is (ui/src/firstframe.ts: the tree listed and the restored file's text
// in an editable text area, before CodeMirror loads). When the whole workbench (CodeMirror,
// taking the first frame over) is up is printed too. Memory = PSS summed over the app and all
// its descendants (WebKitWebProcess, WebKitNetworkProcess), 1.5 s after ready. CPU before
// ready = the app process's own threads (Rust, GTK, WebKit's UI side; not the web process)
// on a CPU from spawn to ready, from /proc/PID/task/*/schedstat. Weft's start-up jobs (the
// work it queues until ready; see crates/weft-api/src/startup.rs) are listed with when
// they ran.

import { spawn, spawnSync, execSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const debug = process.argv.includes('--debug');
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
const profile = debug ? 'debug' : 'release';

if (!debug) {
  console.log('building weft-desktop and the minimal window (release, one build)…');
  const build = spawnSync('cargo', ['build', '--release', '-p', 'weft-desktop', '-p', 'weft-minimal-window',
    '--features', 'weft-desktop/custom-protocol,weft-minimal-window/custom-protocol'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}

// A 10k-file folder: 100 folders of 100 small Rust files.
const ws = mkdtempSync(join(tmpdir(), 'weft-bench-ws-'));
for (let d = 0; d < 100; d++) {
  mkdirSync(join(ws, `mod${d}`));
  for (let f = 0; f < 100; f++) writeFileSync(join(ws, `mod${d}`, `f${f}.rs`), `pub fn f${d}_${f}() -> u32 { ${f} }\n`);
}
writeFileSync(join(ws, 'main.rs'), 'fn main() {\n    println!("hello");\n}\n'.repeat(50));
const appDir = mkdtempSync(join(tmpdir(), 'weft-bench-app-'));
// Settings for Weft's runs, to measure what one subsystem costs: BENCH_SETTINGS='{"checkpointAuto":false}'.
if (process.env.BENCH_SETTINGS) {
  mkdirSync(join(appDir, 'config'), { recursive: true });
  writeFileSync(join(appDir, 'config', 'settings.json'), process.env.BENCH_SETTINGS);
}
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

/** ns the process's own threads have run, from the scheduler's accounting. */
function cpuNs(pid) {
  let total = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {}
    }
  } catch {}
  return total;
}

/** PSS of the app and its descendants: the total, and by process name. */
function pssKiB(pid) {
  let total = 0;
  const by = {};
  for (const p of descendants(pid)) {
    try {
      const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      if (m) {
        total += Number(m[1]);
        by[name] = (by[name] ?? 0) + Number(m[1]);
      }
    } catch {}
  }
  return { total, by };
}

async function once(bin, args) {
  const env = { ...process.env, DISPLAY: display, WEBKIT_DISABLE_DMABUF_RENDERER: '1', WEFT_REPORT_READY: '1',
    WEFT_CONFIG_DIR: join(appDir, 'config'), WEFT_DATA_DIR: join(appDir, 'data') };
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let buf = '';
  const { ms, marks, cpuMs, workbenchMs, workbenchMarks } = await new Promise((res, rej) => {
    let done = false;
    let ready = null;
    child.stderr.on('data', (d) => {
      buf += d;
      // Whole lines only: a read can end in the middle of one.
      const line = /weft-ready [\d.]+(?: page: (.*))?\n/.exec(buf);
      if (line && !ready) {
        ready = { cpuMs: cpuNs(child.pid) / 1e6, ms: Number(process.hrtime.bigint() - t0) / 1e6, marks: parseMarks(line[1]) };
      }
      // Weft's whole workbench (CodeMirror up), after its first frame: "weft-workbench".
      const whole = /weft-workbench [\d.]+(?: page: (.*))?\n/.exec(buf);
      if (ready && !done && (whole || !/weft-desktop/.test(bin))) {
        done = true;
        res({ ...ready, workbenchMs: whole ? Number(process.hrtime.bigint() - t0) / 1e6 : null, workbenchMarks: whole ? parseMarks(whole[1]) : {} });
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
  await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_MS ?? 1500)));
  const { total: kib, by: kibBy } = pssKiB(child.pid);
  killTree(child.pid);
  await new Promise((r) => setTimeout(r, 300));
  // Start-up jobs: "weft-job NAME FROM TO" (ms after the app started).
  const jobs = [...buf.matchAll(/weft-job (\S+(?: \S+)*?) ([\d.]+) ([\d.]+)\n/g)].map((m) => ({ name: m[1], from: Number(m[2]), to: Number(m[3]) }));
  return { ms, kib, kibBy, marks, cpuMs, jobs, workbenchMs, workbenchMarks };
}

/** The page's marks ("name ms, …"): ms since its navigation began. */
function parseMarks(text) {
  return Object.fromEntries((text ?? '').split(', ').filter(Boolean).map((m) => m.split(' ')).map(([k, v]) => [k, Number(v)]));
}

const weft = join(target, profile, 'weft-desktop');
const minimal = join(target, profile, 'weft-minimal-window');
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
console.log(`\n\n${runs} warm starts each (${profile} builds; page cache warm for both), interleaved, medians`);
console.log(`start to interactive   weft ${ms('weft').toFixed(0).padStart(6)} ms   minimal ${ms('minimal').toFixed(0).padStart(6)} ms   ratio ${(ms('weft') / ms('minimal')).toFixed(2)}x`);
console.log(`memory (PSS, all procs) weft ${mb('weft').toFixed(0).padStart(5)} MB   minimal ${mb('minimal').toFixed(0).padStart(6)} MB   ratio ${(mb('weft') / mb('minimal')).toFixed(2)}x`);
for (const k of ['minimal', 'weft']) {
  const names = [...new Set(results[k].flatMap((r) => Object.keys(r.kibBy)))];
  console.log(`  ${k.padEnd(8)} memory by process: ${names.map((n) => `${n} ${(med(results[k].map((r) => r.kibBy[n] ?? 0)) / 1024).toFixed(0)} MB`).join(', ')}`);
}
const whole = med(results.weft.map((r) => r.workbenchMs ?? NaN));
console.log(`  then the whole workbench (CodeMirror in, the first frame taken over) at ${whole.toFixed(0)} ms (${(whole / ms('minimal')).toFixed(2)}x the minimal window's ready)`);
// Where the time goes: page marks (ms since the page began loading), medians. The last
// mark of the ready line is when the page said ready.
const last = (marks) => Object.values(marks).at(-1) ?? 0;
for (const k of ['minimal', 'weft']) {
  const names = Object.keys(results[k][0].marks);
  const before = med(results[k].map((r) => r.ms - last(r.marks)));
  console.log(`  ${k.padEnd(8)} before the page ${before.toFixed(0)} ms; page: ${names.map((n) => `${n} ${med(results[k].map((r) => r.marks[n] ?? NaN)).toFixed(0)}`).join(', ')}`);
}
const wbNames = Object.keys(results.weft[0].workbenchMarks).filter((n) => !(n in results.weft[0].marks));
console.log(`  weft's workbench after it: ${wbNames.map((n) => `${n} ${med(results.weft.map((r) => r.workbenchMarks[n] ?? NaN)).toFixed(0)}`).join(', ')}`);
const cpu = (k) => med(results[k].map((r) => r.cpuMs));
console.log(`CPU before ready (the app process's threads) weft ${cpu('weft').toFixed(0)} ms   minimal ${cpu('minimal').toFixed(0)} ms`);
const jobNames = [...new Set(results.weft.flatMap((r) => r.jobs.map((j) => j.name)))];
for (const name of jobNames) {
  const of = results.weft.map((r) => r.jobs.find((j) => j.name === name)).filter(Boolean);
  console.log(`  weft start-up job "${name}": ran ${med(of.map((j) => j.from)).toFixed(0)}–${med(of.map((j) => j.to)).toFixed(0)} ms after start (ready at ${ms('weft').toFixed(0)} ms; ${of.length}/${runs} runs)`);
}
console.log('goal: <= 1.3x on both');
