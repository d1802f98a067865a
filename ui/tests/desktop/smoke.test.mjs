// The real desktop window (WebKitGTK) under Xvfb, driven over WebDriver through
// tauri-driver + WebKitWebDriver (./driver.mjs): it opens on a folder, shows the tree, opens a
// file, runs a terminal.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './driver.mjs';

let app, ws;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-desktop-ws-'));
  mkdirSync(join(ws, 'src'));
  writeFileSync(join(ws, 'src', 'lib.rs'), 'pub fn answer() -> u32 {\n    42\n}\n');
  writeFileSync(join(ws, 'README.md'), '# Smoke\n');
  writeFileSync(join(ws, '.gitignore'), 'target/\n');
  mkdirSync(join(ws, 'target'));
  // No update server in this test: the automatic check must not reach out.
  app = await launch({ args: [ws], env: { WEFT_UPDATE_URL: 'http://127.0.0.1:9/none.json' } });
});

after(async () => {
  await app?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('the desktop window opens on a folder, shows its tree and opens a file', async () => {
  // The whole workbench, not the start-up's first frame (whose tree is the same one: a
  // WebDriver click on it right after it showed was lost in 1 of ~10 runs of the .deb, not
  // yet explained; the first frame's own test is ../e2e/firstframe.test.mjs).
  await app.find('.workbench:not(.first-frame) .tree-row[data-path="src"]');
  const rows = await app.script("return [...document.querySelectorAll('.tree-list > .tree-row')].map(e => e.dataset.path)");
  assert.deepEqual(rows, ['src', '.gitignore', 'README.md'], 'gitignored target/ must be hidden');
  await app.wd('POST', `/element/${await app.find('.tree-row[data-path="src"]')}/click`, {});
  await app.wd('POST', `/element/${await app.find('.tree-row[data-path="src/lib.rs"]')}/click`, {});
  await app.find('.tab.active[data-path="src/lib.rs"]');
  const text = await app.script("return [...document.querySelectorAll('.pane:not([hidden]) .cm-line')].map(l => l.textContent).join('\\n')");
  assert.equal(text, 'pub fn answer() -> u32 {\n    42\n}\n');
  const lang = await app.script("return document.querySelector('.status-item.lang').textContent");
  assert.equal(lang, 'Rust');
  // The window title follows the open file and folder.
  const title = await app.wd('GET', '/title');
  assert.match(title, /lib\.rs — weft-desktop-ws-\w+ — Weft/);
  // To look at the real window: WEFT_SCREENSHOT=/tmp/desktop.png
  if (process.env.WEFT_SCREENSHOT) writeFileSync(process.env.WEFT_SCREENSHOT, Buffer.from(await app.wd('GET', '/screenshot'), 'base64'));
});

test('the desktop terminal runs a shell over the IPC channel, with the DOM renderer on Linux', async () => {
  await app.wd('POST', `/element/${await app.find('button[title^="Toggle Terminal"]')}/click`, {});
  await app.find('.term-view[data-terminal-id]');
  const renderer = await app.script("return document.querySelector('.term-view').dataset.renderer");
  assert.equal(renderer, 'dom', 'WebKitGTK should get the DOM renderer');
  const input = await app.find('.xterm-helper-textarea');
  // Typed fast, with shifted characters mixed in: every key must reach the shell in order.
  await app.wd('POST', `/element/${input}/value`, { text: 'echo desk-$((40+2))-{a,b}-"Q(x)"\uE007' });
  const end = Date.now() + 15000;
  let text = '';
  while (Date.now() < end) {
    text = await app.script("return [...document.querySelectorAll('.xterm-rows > div')].map(r => r.textContent).join('\\n')");
    if (/desk-42-a-Q\(x\) desk-42-b-Q\(x\)/.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(text, /desk-42-a-Q\(x\) desk-42-b-Q\(x\)/);
});

test('the preview shows a local app in the desktop window, through the proxy, with its console', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<title>desk</title><h1 id="hello">Hello, desktop preview</h1><script>console.log("from-the-page", 6 * 7)</script>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  try {
    // The palette's Preview: Open…, as a user types it.
    const key = async (text) => app.wd('POST', `/element/${await app.find('body')}/value`, { text });
    await app.script("document.activeElement?.blur()");
    await key('\uE009\uE008p\uE000');
    const input = await app.find('.palette-input');
    await app.wd('POST', `/element/${input}/value`, { text: 'Preview: Open\uE007' });
    await new Promise((r) => setTimeout(r, 300));
    await app.wd('POST', `/element/${await app.find('.palette-input')}/value`, { text: `http://localhost:${port}/\uE007` });
    const frame = await app.find('[data-testid="preview-frame"]');
    const src = await app.script("return document.querySelector('[data-testid=preview-frame]').src");
    assert.ok(!src.includes(`:${port}/`), `through the preview's proxy: ${src}`);
    // Inside the frame: the app's page.
    await app.wd('POST', '/frame', { id: { 'element-6066-11e4-a52e-4f735466cecf': frame } });
    let hello = null;
    const end = Date.now() + 15000;
    while (Date.now() < end && hello !== 'Hello, desktop preview') {
      hello = await app.script("return document.querySelector('#hello')?.textContent ?? null").catch(() => null);
      if (hello !== 'Hello, desktop preview') await new Promise((r) => setTimeout(r, 200));
    }
    await app.wd('POST', '/frame', { id: null });
    assert.equal(hello, 'Hello, desktop preview');
    // The page's console reached the pane (the proxy's script, posting to the window).
    let consoleText = '';
    const until = Date.now() + 10000;
    while (Date.now() < until && !consoleText.includes('from-the-page 42')) {
      consoleText = await app.script("return document.querySelector('.preview-console-list')?.textContent ?? ''");
      if (!consoleText.includes('from-the-page 42')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(consoleText, /from-the-page 42/);
    if (process.env.WEFT_SCREENSHOT) writeFileSync(process.env.WEFT_SCREENSHOT.replace(/\.png$/, '-preview.png'), Buffer.from(await app.wd('GET', '/screenshot'), 'base64'));
  } finally {
    server.close();
  }
});
