#!/usr/bin/env node
// Which xterm.js renderer keeps the real desktop window (WebKitGTK under Xvfb) responsive?
// For each renderer, a terminal floods output (`yes | head -c 40000000`) while the page
// records its animation frames for 4 s: long gaps between frames are what makes typing lag.
// Prints frame-gap percentiles per renderer; asserts nothing. Needs Xvfb, tauri-driver and
// a built target/debug/weft-desktop (scripts/test.sh builds both).
//
//   xvfb-run -a -s '-screen 0 1280x800x24' node benches/terminal-renderer.mjs

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = process.env.WEFT_DESKTOP_BIN ?? join(repo, 'target', 'debug', 'weft-desktop');
const driverBin = process.env.TAURI_DRIVER ?? join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'tauri-driver');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

async function run(renderer) {
  const port = 4900 + Math.floor(Math.random() * 90);
  const base = `http://127.0.0.1:${port}`;
  const ws = mkdtempSync(join(tmpdir(), 'weft-render-ws-'));
  const cfg = mkdtempSync(join(tmpdir(), 'weft-render-cfg-'));
  mkdirSync(join(cfg, 'c'));
  if (!process.env.NO_SETTINGS) writeFileSync(join(cfg, 'c', 'settings.json'), JSON.stringify({ terminalRenderer: renderer }));
  writeFileSync(join(ws, 'a.txt'), 'x\n');
  const driver = spawn(driverBin, ['--port', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, WEBKIT_DISABLE_DMABUF_RENDERER: '1', WEFT_CONFIG_DIR: join(cfg, 'c'), WEFT_DATA_DIR: join(cfg, 'd') },
  });
  const wd = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(JSON.stringify(j.value));
    return j.value;
  };
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/status`)).ok) break; } catch {}
    if (i > 100) throw new Error('tauri-driver did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const { sessionId: s } = await wd('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app, args: [ws] } } } });
  const find = async (css) => {
    for (let i = 0; ; i++) {
      try { return (await wd('POST', `/session/${s}/element`, { using: 'css selector', value: css }))[ELEMENT]; } catch (e) { if (i > 150) throw e; }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await find('.tree-row');
    await wd('POST', `/session/${s}/element/${await find('button[title^="Toggle Terminal"]')}/click`, {});
    await find('.term-view[data-terminal-id]');
    const used = await wd('POST', `/session/${s}/execute/sync`, { script: "return document.querySelector('.term-view').dataset.renderer", args: [] });
    await new Promise((r) => setTimeout(r, 500));
    const input = await find('.xterm-helper-textarea');
    await wd('POST', `/session/${s}/element/${input}/value`, { text: 'yes weft-renderer-bench | head -c 40000000\uE007' });
    const frames = await wd('POST', `/session/${s}/execute/async`, {
      script: `const done = arguments[arguments.length - 1]; const t = []; const start = performance.now();
        const f = (ts) => { t.push(ts); if (ts - start < 4000) requestAnimationFrame(f); else done(t); }; requestAnimationFrame(f);`,
      args: [],
    });
    const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
    const pct = (p) => gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * p))];
    return { renderer, used, frames: frames.length, p50: pct(0.5), p95: pct(0.95), max: gaps[gaps.length - 1] };
  } catch (e) {
    const body = await wd('POST', `/session/${s}/execute/sync`, { script: 'return document.readyState + " " + location.href + " " + document.body.innerText.slice(0, 300)', args: [] }).catch(() => '?');
    const shot = await wd('GET', `/session/${s}/screenshot`).catch(() => null);
    if (shot) writeFileSync('/tmp/renderer-fail.png', Buffer.from(shot, 'base64'));
    throw new Error(`${e.message}; the page shows: ${body}`);
  } finally {
    await wd('DELETE', `/session/${s}`).catch(() => {});
    driver.kill();
    rmSync(ws, { recursive: true, force: true });
    rmSync(cfg, { recursive: true, force: true });
  }
}

const results = [];
for (const r of ['dom', 'webgl', 'dom', 'webgl']) results.push(await run(r));
console.log('frame gaps in the desktop window (WebKitGTK) during a 40 MB terminal flood, 4 s each');
for (const r of results) {
  console.log(`${r.renderer.padEnd(6)} (in use: ${r.used.padEnd(5)})  frames ${String(r.frames).padStart(4)}   gap p50 ${r.p50.toFixed(0).padStart(4)} ms   p95 ${r.p95.toFixed(0).padStart(5)} ms   max ${r.max.toFixed(0).padStart(5)} ms`);
}
console.log('fewer frames and longer gaps = a window that lags while you type; "auto" uses DOM here.');
