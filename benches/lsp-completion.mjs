#!/usr/bin/env node
// Completion latency with the real TypeScript server: from the keystroke (`.` after an
// object, in headless Chromium against `weft serve`) to the completion list drawn (the
// frame after it enters the page), against the server's own time on the same request
// (weft-lsp logs each answer's round trip on the server's pipe: `lsp_timing`). Weft's
// overhead per keystroke is the difference: the page, the socket, the API, the document
// handed to the server first, the list filtered and shaped. Prints p50/p99 of all three;
// asserts nothing.
//
//   cargo build -p weft-cli && (cd ui && npx vite build) && node benches/lsp-completion.mjs [KEYSTROKES]
//
// Needs the test servers (scripts/setup.sh with WEFT_SETUP_TESTS=1).

import { writeFileSync, mkdtempSync, rmSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startServe, launchBrowser, waitFor } = await import(pathToFileURL(join(repo, 'ui/tests/e2e/harness.mjs')).href);
const n = Number(process.argv[2] ?? 60);
const servers = join(repo, 'scripts/language-servers/node_modules/.bin');
if (!existsSync(join(servers, 'typescript-language-server'))) throw new Error(`the test servers are not installed (${servers}): run scripts/setup.sh with WEFT_SETUP_TESTS=1`);

// A small project: a class with members, and a file that uses it.
const ws = mkdtempSync(join(tmpdir(), 'weft-completion-bench-'));
writeFileSync(join(ws, 'tsconfig.json'), '{"compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs"}}\n');
const members = Array.from({ length: 40 }, (_, i) => `  member${i}(x: number): number { return x + ${i}; }`).join('\n');
writeFileSync(join(ws, 'shapes.ts'), `export class Shape {\n  constructor(readonly side: number) {}\n${members}\n}\n`);
writeFileSync(join(ws, 'main.ts'), 'import { Shape } from "./shapes";\nconst s = new Shape(2);\ns\n');

const server = await startServe(ws, { env: { PATH: `${servers}:${process.env.PATH}`, WEFT_LOG: 'info,lsp_timing=debug' } });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // When each completion request leaves the page (the API's WebSocket), to split the time.
  await page.addInitScript(() => {
    window.__sent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (d) {
      if (typeof d === 'string' && d.includes('"method":"lspCompletion"')) window.__sent.push(performance.now());
      return send.call(this, d);
    };
  });
  await page.goto(server.url);
  await page.locator('.tree-row[data-path="main.ts"]').click();
  const content = page.locator('.group .pane:not([hidden]) .cm-content');
  await content.waitFor();
  await waitFor(async () => (await page.locator('.status-item').allTextContents()).some((t) => /typescript-language-server/.test(t) && !/starting/i.test(t)) || (await content.textContent()).includes('Shape'), 'the editor', 30000);
  // The end of line 3 (`s`), then a warm-up until the server answers with members.
  await content.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('End');
  const list = page.locator('.cm-tooltip-autocomplete');
  await waitFor(async () => {
    await page.keyboard.press('.');
    const shown = await list.waitFor({ timeout: 3000 }).then(() => true, () => false);
    const members = shown && (await list.textContent()).includes('member1');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    return members;
  }, 'the server answering with members', 60000);

  // The page times each keystroke: keydown to the first frame after the list is in the DOM.
  await page.evaluate(() => {
    window.__times = [];
    window.__parts = [];
    let t0 = 0;
    document.addEventListener('keydown', (e) => { if (e.key === '.') { t0 = performance.now(); window.__sent = []; } }, true);
    new MutationObserver(() => {
      const el = document.querySelector('.cm-tooltip-autocomplete li');
      if (!el || !t0) return;
      const start = t0;
      const inDom = performance.now();
      const sent = window.__sent[0] ?? start;
      t0 = 0;
      requestAnimationFrame(() => {
        const drawn = performance.now();
        window.__times.push(drawn - start);
        window.__parts.push({ out: sent - start, back: inDom - sent, frame: drawn - inDom });
      });
    }).observe(document.body, { childList: true, subtree: true });
  });
  const logs = join(server.appDir, 'data', 'logs');
  const serverTimes = () => readdirSync(logs).flatMap((f) => readFileSync(join(logs, f), 'utf8').split('\n'))
    .filter((l) => l.includes('lsp_timing') && l.includes('textDocument/completion'))
    .map((l) => Number(l.match(/us=(\d+)/)?.[1]) / 1000);
  const before = serverTimes().length;
  for (let i = 0; i < n; i++) {
    const had = await page.evaluate(() => window.__times.length);
    await page.keyboard.press('.');
    await waitFor(async () => (await page.evaluate(() => window.__times.length)) > had, 'the list', 10000);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    // A pause as between real keystrokes; the idle requests (highlights, tokens) settle.
    await new Promise((r) => setTimeout(r, 120));
  }
  const total = await page.evaluate(() => window.__times);
  const parts = await page.evaluate(() => window.__parts);
  // The log is written by a background writer: wait for every answer's line.
  await waitFor(() => serverTimes().length - before >= n, 'the server timings in the log', 10000);
  const asked = serverTimes().length - before;
  if (asked !== n) console.log(`note: ${asked} completion requests for ${n} keystrokes; paired in order`);
  const srv = serverTimes().slice(before, before + n);
  const overhead = total.map((t, i) => t - srv[i]);
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]; };
  const row = (name, xs) => console.log(`${name.padEnd(52)} p50 ${pct(xs, 50).toFixed(2).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms`);
  console.log(`completion after '.', typescript-language-server, ${n} keystrokes, 41 members listed`);
  row('keystroke to list drawn (Weft)', total);
  row("the server's own answer", srv);
  row("Weft's overhead (difference)", overhead);
  console.log('where the overhead goes:');
  row('  keystroke to the request leaving', parts.map((p) => p.out));
  row('  request out to list in the page, less the server', parts.map((p, i) => p.back - srv[i]));
  row('  list in the page to drawn (a frame)', parts.map((p) => p.frame));
  console.log(`goal: p99 overhead <= 5 ms over the server (measured ${pct(overhead, 99).toFixed(2)} ms)`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(ws, { recursive: true, force: true });
}
