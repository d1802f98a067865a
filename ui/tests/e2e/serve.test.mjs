// End to end: the real UI in headless Chromium against the real Rust backend (`weft serve`)
// on a temporary folder. Every assertion checks what a user relies on: bytes on disk,
// what the editor shows, what the server refuses.

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startServe, launchBrowser } from './harness.mjs';

let ws, server, browser, page;

function write(rel, content) {
  mkdirSync(join(ws, rel, '..'), { recursive: true });
  writeFileSync(join(ws, rel), content);
}

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-ws-'));
  write('.gitignore', 'build/\n');
  write('src/main.rs', 'fn main() {\n    println!("hi");\n}\n');
  write('src/util.rs', 'pub fn helper() -> u32 {\n    42\n}\n\n// needle_in_haystack lives here\n');
  write('notes.md', '# Notes\n');
  write('build/out.txt', 'ignored output\n');
  writeFileSync(join(ws, 'crlf.txt'), 'one\r\ntwo\r\n');
  writeFileSync(join(ws, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  server = await startServe(ws);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(server.url);
  await page.waitForSelector('.tree-row[data-path="src"]');
});

afterEach(async (t) => {
  mkdirSync(join(import.meta.dirname, 'artifacts'), { recursive: true });
  if (t.name) await page.screenshot({ path: join(import.meta.dirname, 'artifacts', `${t.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  await page.close();
});

// The visible editor's text, line by line (the test files are small enough to be fully rendered).
const editorText = () => page.locator('.group .pane:not([hidden]) .cm-content').first().evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));

function upgradeStatus(path) {
  return new Promise((resolve, reject) => {
    const req = request(`${server.origin}${path}`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => resolve(res.statusCode));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

async function openFromTree(path) {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    const row = page.locator(`.tree-row[data-path="${dir}"]`);
    if (!(await row.evaluate((el) => el.classList.contains('expanded')))) await row.click();
  }
  await page.locator(`.tree-row[data-path="${path}"]`).click();
  await page.locator(`.tab.active[data-path="${path}"]`).waitFor();
}

async function waitFor(fn, what, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

test('requests without the token are refused', async () => {
  const res = await fetch(`${server.origin}/`);
  assert.equal(res.status, 401);
  const asset = await fetch(`${server.origin}/index.html`);
  assert.equal(asset.status, 401);
  assert.equal(await upgradeStatus('/ws'), 401);
  assert.equal(await upgradeStatus('/ws?token=not-the-token'), 401);
  assert.equal(await upgradeStatus(`/ws?token=${server.token}`), 101);
  const ok = await fetch(server.url);
  assert.equal(ok.status, 200);
});

test('the tree respects .gitignore and hides .git', async () => {
  const rows = await page.locator('.tree-list > .tree-row').evaluateAll((els) => els.map((e) => e.dataset.path));
  assert.deepEqual(rows, ['src', '.gitignore', 'crlf.txt', 'latin1.txt', 'notes.md']);
});

test('open a file from the tree, type, save: the bytes on disk match', async () => {
  await openFromTree('src/main.rs');
  assert.equal(await editorText(), 'fn main() {\n    println!("hi");\n}\n');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('// typed in weft\n');
  await page.locator('.tab.active.dirty').waitFor();
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.equal(readFileSync(join(ws, 'src/main.rs'), 'utf8'), '// typed in weft\nfn main() {\n    println!("hi");\n}\n');
});

test('CRLF and Latin-1 files keep their bytes through an edit and save', async () => {
  await openFromTree('crlf.txt');
  assert.equal(await page.locator('.status-item.eol').textContent(), 'CRLF');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('three');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.equal(readFileSync(join(ws, 'crlf.txt'), 'latin1'), 'one\r\ntwo\r\nthree\r\n');

  await openFromTree('latin1.txt');
  assert.equal(await page.locator('.status-item.enc').textContent(), 'ISO-8859-1');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('ok');
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.deepEqual([...readFileSync(join(ws, 'latin1.txt'))], [0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6f, 0x6b]);
});

test('a file changed on disk shows in the editor; with unsaved edits the user chooses', async () => {
  await openFromTree('notes.md');
  writeFileSync(join(ws, 'notes.md'), '# Notes\n\nwritten by another program\n');
  await waitFor(async () => (await editorText()).includes('written by another program'), 'the outside change in the editor');
  assert.equal(await page.locator('.tab.active.dirty').count(), 0, 'a silent reload must leave the tab clean');

  // Now with unsaved edits: nothing is lost, a banner asks.
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('my unsaved line');
  writeFileSync(join(ws, 'notes.md'), '# Notes\n\nchanged again outside\n');
  await page.locator('.banner.warn').waitFor();
  assert.ok((await editorText()).includes('my unsaved line'), 'unsaved edit lost');
  await page.getByRole('button', { name: 'Keep mine' }).click();
  assert.equal(await page.locator('.banner.warn').count(), 0);
  assert.ok((await editorText()).includes('my unsaved line'));
  assert.equal(await page.locator('.tab.active.dirty').count(), 1);
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.ok(readFileSync(join(ws, 'notes.md'), 'utf8').includes('my unsaved line'));
});

test('project search finds a string and jumps to it', async () => {
  await page.keyboard.press('Control+Shift+F');
  await page.getByLabel('Search', { exact: true }).fill('needle_in_haystack');
  const hit = page.locator('.search-line[data-path="src/util.rs"]');
  await hit.waitFor();
  assert.match(await page.locator('.search-status').textContent(), /1 result/);
  await hit.click();
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
  assert.equal(await page.locator('.status-item.pos').textContent().then((t) => t.split(',')[0]), 'Ln 5');
  // The match is selected: 18 characters, starting at column 4.
  assert.equal(await page.locator('.status-item.pos').textContent(), `Ln 5, Col ${3 + 18 + 1} (18 selected)`);
  // Ignored folders are not searched.
  await page.getByLabel('Search', { exact: true }).fill('ignored output');
  await waitFor(async () => (await page.locator('.search-status').textContent()) === 'No results', 'no results');
});

test('rename in the tree renames on disk', async () => {
  await page.locator('.tree-row[data-path="notes.md"]').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Rename…' }).click();
  const input = page.getByRole('dialog').locator('input');
  await input.fill('renamed-notes.md');
  await input.press('Enter');
  await page.locator('.tree-row[data-path="renamed-notes.md"]').waitFor();
  assert.ok(existsSync(join(ws, 'renamed-notes.md')));
  assert.ok(!existsSync(join(ws, 'notes.md')));
  // And back, through the same UI, to leave the fixture as it was.
  await page.locator('.tree-row[data-path="renamed-notes.md"]').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Rename…' }).click();
  await page.getByRole('dialog').locator('input').fill('notes.md');
  await page.getByRole('dialog').locator('input').press('Enter');
  await page.locator('.tree-row[data-path="notes.md"]').waitFor();
});

test('files created on disk appear in the tree without a reload', async () => {
  write('appeared.txt', 'hello');
  await page.locator('.tree-row[data-path="appeared.txt"]').waitFor({ timeout: 8000 });
  rmSync(join(ws, 'appeared.txt'));
  await page.locator('.tree-row[data-path="appeared.txt"]').waitFor({ state: 'detached', timeout: 8000 });
});

test('the fuzzy finder opens a file; reopening restores the tabs', async () => {
  await page.keyboard.press('Control+p');
  await page.getByRole('textbox', { name: 'Go to file' }).fill('utilrs');
  await page.locator('.palette-item[data-path="src/util.rs"]').waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
  // The session is saved shortly after tabs change; a reload reopens them.
  await page.waitForTimeout(700);
  await page.reload();
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
});

test('settings apply live and persist', async () => {
  assert.equal(await page.evaluate(() => document.body.dataset.theme), 'dark');
  await page.getByTitle('Toggle dark/light theme').click();
  await waitFor(async () => (await page.evaluate(() => document.body.dataset.theme)) === 'light', 'light theme');
  const settings = JSON.parse(readFileSync(join(server.appDir, 'config', 'settings.json'), 'utf8'));
  assert.equal(settings.theme, 'light');
  await page.getByTitle('Toggle dark/light theme').click();
  await waitFor(async () => (await page.evaluate(() => document.body.dataset.theme)) === 'dark', 'dark theme');
});
