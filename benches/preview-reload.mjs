#!/usr/bin/env node
// The preview's reload after a save: from the file written (a save, the agent's edit) to
// the new page in Weft's preview pane (headless Chromium against `weft serve`, the page
// through Weft's proxy), against the same change seen by reloading a plain browser tab on
// the same dev server by hand, at once (the fastest a person could). Both wait for the new
// text in the page the same way. Prints medians and p90s; asserts nothing.
//
//   cargo build -p weft-cli && (cd ui && npx vite build) && node benches/preview-reload.mjs [ROUNDS]
//
// What the Weft figure holds that the peer's does not: the watcher noticing the write, the
// event reaching the page, and the pane's debounce (40 ms, so a burst of saves reloads once).

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startServe, launchBrowser, waitFor } = await import(pathToFileURL(join(repo, 'ui/tests/e2e/harness.mjs')).href);
const rounds = Number(process.argv[2] ?? 15);

const ws = mkdtempSync(join(tmpdir(), 'weft-preview-bench-'));
writeFileSync(join(ws, 'index.html'), '<h1 id="v">v0</h1>\n');
writeFileSync(join(ws, 'server.js'), `require('http').createServer((q, s) => { s.setHeader('content-type', 'text/html'); s.end(require('fs').readFileSync(__dirname + '/index.html')); })
  .listen(0, '127.0.0.1', function () { console.log('Listening on http://localhost:' + this.address().port + '/'); });\n`);
writeFileSync(join(ws, 'package.json'), JSON.stringify({ scripts: { start: 'node server.js' } }));

const server = await startServe(ws);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(server.url);
  await page.waitForSelector('.tree-row[data-path="index.html"]');
  const select = page.locator('.run-select[aria-label="Run configuration"]');
  await waitFor(async () => (await select.locator('option').allTextContents()).includes('npm: start'), 'the start script', 15000);
  await select.selectOption('npm: start');
  await page.locator('.run-btn[aria-label="Run"]').click();
  const offer = page.locator('.port-offer');
  await offer.waitFor({ timeout: 20000 });
  const port = Number((await offer.textContent()).match(/port (\d+)/)[1]);
  await offer.locator('button', { hasText: 'Open Preview' }).click();
  const frameOf = async () => {
    for (;;) {
      const f = page.frames().find((fr) => fr.parentFrame() && /^http:\/\/localhost:\d+\//.test(fr.url()));
      if (f) return f;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor(async () => (await (await frameOf()).locator('#v').textContent().catch(() => '')) === 'v0', 'the page in the preview', 15000);
  const tab = await browser.newPage();
  await tab.goto(`http://localhost:${port}/`);

  const seen = async (getFrame, text) => {
    for (;;) {
      try {
        const f = await getFrame();
        if ((await f.evaluate(() => document.getElementById('v')?.textContent)) === text) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const weft = [];
  const byHand = [];
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    // Weft: the file changes; the preview notices and reloads.
    let text = `v${++n}`;
    let t = performance.now();
    writeFileSync(join(ws, 'index.html'), `<h1 id="v">${text}</h1>\n`);
    await seen(frameOf, text);
    weft.push(performance.now() - t);
    // Past the pane's once-a-second guard, so each round is a first reload.
    await new Promise((r) => setTimeout(r, 1100));
    // By hand: the same change, then the tab reloaded at once.
    text = `v${++n}`;
    t = performance.now();
    writeFileSync(join(ws, 'index.html'), `<h1 id="v">${text}</h1>\n`);
    await tab.reload();
    await seen(async () => tab.mainFrame(), text);
    byHand.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 1100));
  }
  const q = (v, p) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.round((v.length - 1) * p))];
  console.log(`preview reload after a file is written (${rounds} rounds each, interleaved)`);
  console.log(`  Weft's preview pane:        median ${q(weft, 0.5).toFixed(0)} ms   p90 ${q(weft, 0.9).toFixed(0)} ms`);
  console.log(`  a browser tab reloaded by hand at once: median ${q(byHand, 0.5).toFixed(0)} ms   p90 ${q(byHand, 0.9).toFixed(0)} ms`);
  console.log(`  ratio (medians): ${(q(weft, 0.5) / q(byHand, 0.5)).toFixed(1)}×`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(ws, { recursive: true, force: true });
}
