// End to end: the real UI in headless Chromium against the real Rust backend (`weft serve`)
// on a temporary folder. Every assertion checks what a user relies on: bytes on disk,
// what the editor shows, what the server refuses.

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startServe, launchBrowser, waitFor, watchErrors, assertNoPageErrors } from './harness.mjs';

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
  // Each test starts with no restored tabs: sessions from earlier tests must not leak in.
  rmSync(join(server.appDir, 'data', 'sessions'), { recursive: true, force: true });
  page = watchErrors(await browser.newPage({ viewport: { width: 1280, height: 800 } }));
  await page.goto(server.url);
  await page.waitForSelector('.tree-row[data-path="src"]');
});

afterEach(async (t) => {
  mkdirSync(join(import.meta.dirname, 'artifacts'), { recursive: true });
  if (t.name) await page.screenshot({ path: join(import.meta.dirname, 'artifacts', `${t.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  await page.close();
  assertNoPageErrors(page);
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

/** Types at the end of the visible editor (then Enter, if asked), saves, waits until clean. */
async function appendAndSave(text, enter = false) {
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
  if (enter) await page.keyboard.press('Enter');
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
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
  await appendAndSave('three', true);
  assert.equal(readFileSync(join(ws, 'crlf.txt'), 'latin1'), 'one\r\ntwo\r\nthree\r\n');

  await openFromTree('latin1.txt');
  assert.equal(await page.locator('.status-item.enc').textContent(), 'ISO-8859-1');
  await appendAndSave('ok');
  assert.deepEqual([...readFileSync(join(ws, 'latin1.txt'))], [0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6f, 0x6b]);
});

test('a file changed on disk: merged into the editor, unsaved edits kept; a clash keeps mine and asks', async () => {
  const notes = join(ws, 'notes.md');
  await openFromTree('notes.md');
  writeFileSync(notes, '# Notes\n\nwritten by another program\n');
  await waitFor(async () => (await editorText()).includes('written by another program'), 'the outside change in the editor');
  assert.equal(await page.locator('.tab.active.dirty').count(), 0, 'a clean editor must stay clean');

  // Unsaved edits elsewhere in the file: the outside change is merged in, both kept, once.
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('Top line\n');
  writeFileSync(notes, '# Notes\n\nwritten by another program\nappended outside\n');
  await waitFor(async () => (await editorText()) === 'Top line\n# Notes\n\nwritten by another program\nappended outside\n', 'the merge in the editor');
  assert.equal(await page.locator('.tab.active.dirty').count(), 1, 'the unsaved line is still unsaved');
  assert.equal(await page.locator('.banner.warn').count(), 0, 'nothing to ask');

  // The same line changed both ways: the editor keeps its text and asks.
  await page.keyboard.press('Control+End');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('End');
  await page.keyboard.type(' (mine)');
  writeFileSync(notes, '# Notes\n\nwritten by another program\nappended outside (theirs)\n');
  await page.locator('.banner.warn').waitFor();
  assert.equal(await editorText(), 'Top line\n# Notes\n\nwritten by another program\nappended outside (mine)\n', 'unsaved edit lost');
  await page.getByRole('button', { name: 'Keep mine' }).click();
  await waitFor(async () => (await page.locator('.banner.warn').count()) === 0, 'the banner to go');
  assert.equal(await page.locator('.tab.active.dirty').count(), 1);
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.equal(readFileSync(notes, 'utf8'), 'Top line\n# Notes\n\nwritten by another program\nappended outside (mine)\n');
});

test('a file deleted on disk while open: the editor keeps the text, and saving asks first', async () => {
  const gone = join(ws, 'doomed.txt');
  writeFileSync(gone, 'keep me\n');
  await page.locator('.tree-row[data-path="doomed.txt"]').waitFor();
  await openFromTree('doomed.txt');
  rmSync(gone);
  await waitFor(async () => /deleted on disk/.test((await page.locator('.pane:not([hidden]) .banner').textContent().catch(() => '')) ?? ''), 'the deleted banner');
  assert.equal(await editorText(), 'keep me\n', 'the text stays in the editor');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+s');
  await page.getByText('was deleted on disk. Save it again?').waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(existsSync(gone), false, 'Cancel must not write it');
  await page.keyboard.press('Control+s');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await waitFor(() => existsSync(gone) && readFileSync(gone, 'utf8') === 'keep me\n', 'the file written again');
  await waitFor(async () => (await page.locator('.pane:not([hidden]) .banner').count()) === 0, 'the banner to go');
});

test('a file moved by another program: the tab follows with its unsaved edits', async () => {
  writeFileSync(join(ws, 'wander.txt'), 'from here\n');
  await page.locator('.tree-row[data-path="wander.txt"]').waitFor();
  await openFromTree('wander.txt');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('typed before the move');
  renameSync(join(ws, 'wander.txt'), join(ws, 'wandered.txt'));
  await page.locator('.tab.active[data-path="wandered.txt"]').waitFor();
  assert.equal(await page.locator('.tab.active.dirty').count(), 1, 'still unsaved');
  await page.keyboard.press('Control+s');
  await page.locator('.tab.active:not(.dirty)').waitFor();
  assert.equal(readFileSync(join(ws, 'wandered.txt'), 'utf8'), 'from here\ntyped before the move');
  assert.equal(existsSync(join(ws, 'wander.txt')), false, 'the old name came back');
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

test('a file added on disk is inserted into the tree without moving the rows already there', async () => {
  // A row taken out and put back loses a click under way on it (WebKit forgets a pressed
  // element that leaves the document): the desktop smoke test lost its first click so.
  await page.evaluate(() => {
    window.rowsMoved = [];
    new MutationObserver((ms) => {
      for (const m of ms) for (const n of m.removedNodes) if (n.classList?.contains('tree-row')) window.rowsMoved.push(n.dataset.path);
    }).observe(document.querySelector('.tree'), { childList: true, subtree: true });
  });
  write('inserted.txt', 'new');
  await page.locator('.tree-row[data-path="inserted.txt"]').waitFor({ timeout: 8000 });
  assert.deepEqual(await page.evaluate(() => window.rowsMoved), []);
  rmSync(join(ws, 'inserted.txt'));
  await page.locator('.tree-row[data-path="inserted.txt"]').waitFor({ state: 'detached', timeout: 8000 });
  assert.deepEqual(await page.evaluate(() => window.rowsMoved), ['inserted.txt'], 'only the deleted file\'s row left');
});

test('the fuzzy finder opens a file; reopening restores the tabs', async () => {
  await page.keyboard.press('Control+p');
  await page.getByRole('textbox', { name: 'Go to file' }).fill('utilrs');
  await page.locator('.palette-item[data-label="src/util.rs"]').waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
  // The session is saved shortly after tabs change (wait for the file, not a time); a
  // reload reopens them.
  const sessions = join(server.appDir, 'data', 'sessions');
  await waitFor(() => existsSync(sessions) && readdirSync(sessions).some((f) => readFileSync(join(sessions, f), 'utf8').includes('src/util.rs')), 'the session saved');
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

test('closing a tab with unsaved changes asks, and Cancel / Don\'t Save do what they say', async () => {
  await openFromTree('src/main.rs');
  const before = readFileSync(join(ws, 'src/main.rs'), 'utf8');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.type('unsaved ');
  await page.keyboard.press('Control+w');
  await page.getByRole('dialog', { name: 'Unsaved changes' }).waitFor();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.equal(await page.locator('.tab[data-path="src/main.rs"]').count(), 1, 'Cancel closed the tab');
  assert.ok((await editorText()).includes('unsaved '), 'Cancel lost the edit');
  await page.keyboard.press('Control+w');
  await page.getByRole('button', { name: "Don't Save" }).click();
  await page.locator('.tab[data-path="src/main.rs"]').waitFor({ state: 'detached' });
  assert.equal(readFileSync(join(ws, 'src/main.rs'), 'utf8'), before, "Don't Save wrote the file");
});

test('split panes show the same document, and edits in one appear in the other', async () => {
  await openFromTree('src/util.rs');
  await page.keyboard.press('Control+Backslash');
  await page.locator('.group').nth(1).locator('.tab.active[data-path="src/util.rs"]').waitFor();
  await page.locator('.group').nth(1).locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('/* right pane */ ');
  const left = await page.locator('.group').nth(0).locator('.pane:not([hidden]) .cm-line').first().textContent();
  assert.equal(left, '/* right pane */ pub fn helper() -> u32 {');
  assert.equal(await page.locator('.tab.dirty[data-path="src/util.rs"]').count(), 2, 'both tabs show the dirty marker');
  // Undo in the right pane restores the saved text: both markers clear.
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await page.locator('.tab.dirty').count()) === 0, 'dirty markers to clear after undo');
});

test('a large file opens read-only without highlighting; a binary file is refused', async () => {
  const line = 'x'.repeat(99) + '\n';
  writeFileSync(join(ws, 'big.log'), line.repeat(Math.ceil((21 * 1024 * 1024) / line.length)));
  writeFileSync(join(ws, 'blob.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]));
  await page.locator('.tree-row[data-path="big.log"]').waitFor();
  await page.locator('.tree-row[data-path="big.log"]').click();
  await page.locator('.tab.active[data-path="big.log"]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('.pane:not([hidden]) .banner').textContent(), /read-only/);
  assert.equal(await page.locator('.status-item.lang').textContent(), 'Plain Text (large file)');
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.type('typed');
  assert.equal(await page.locator('.tab.active.dirty').count(), 0, 'a large file must not take edits');
  await page.locator('.tree-row[data-path="blob.bin"]').click();
  await page.locator('.toast.error', { hasText: 'binary' }).waitFor();
  assert.equal(await page.locator('.tab[data-path="blob.bin"]').count(), 0);
  rmSync(join(ws, 'big.log'));
  rmSync(join(ws, 'blob.bin'));
});

test('replace in files shows a preview, then writes only the chosen files', async () => {
  write('r/a.txt', 'color color\n');
  write('r/b.txt', 'color\n');
  await page.keyboard.press('Control+Shift+F');
  await page.getByLabel('Search', { exact: true }).fill('color');
  await page.getByLabel('Files to include').fill('r');
  await page.locator('.search-line[data-path="r/b.txt"]').waitFor();
  await page.getByLabel('Replace', { exact: true }).fill('colour');
  await page.getByRole('button', { name: 'Replace…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace preview' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /r\/a\.txt \(2\)/);
  assert.equal(readFileSync(join(ws, 'r/a.txt'), 'utf8'), 'color color\n', 'the preview wrote');
  await dialog.getByLabel('Replace in r/b.txt').uncheck();
  await dialog.getByRole('button', { name: /Replace 3 in 2 files/ }).click();
  await waitFor(() => readFileSync(join(ws, 'r/a.txt'), 'utf8') === 'colour colour\n', 'a.txt replaced');
  assert.equal(readFileSync(join(ws, 'r/b.txt'), 'utf8'), 'color\n', 'an unchecked file changed');
  rmSync(join(ws, 'r'), { recursive: true });
});

test('drag a file onto a folder moves it on disk', async () => {
  write('drag-me.txt', 'moving');
  await page.locator('.tree-row[data-path="drag-me.txt"]').waitFor();
  await page.locator('.tree-row[data-path="drag-me.txt"]').dragTo(page.locator('.tree-row[data-path="src"]'));
  await waitFor(() => existsSync(join(ws, 'src/drag-me.txt')), 'the file in src/');
  assert.ok(!existsSync(join(ws, 'drag-me.txt')));
  rmSync(join(ws, 'src/drag-me.txt'));
});

test('Vim mode, turned on in the settings editor, takes Vim commands live', async () => {
  await openFromTree('src/util.rs');
  await page.keyboard.press('Control+Comma');
  const editor = page.locator('.settings-editor .cm-content');
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('{"vimMode": true');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('.toast', { hasText: 'Settings saved' }).waitFor();
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  assert.match(await page.locator('.status-item.mode').textContent(), /Vim/);
  const first = await editorText();
  await page.locator('.pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('g');
  await page.keyboard.press('g');
  await page.keyboard.press('d');
  await page.keyboard.press('d');
  assert.equal(await editorText(), first.split('\n').slice(1).join('\n'), '"ggdd" did not delete the first line');
  await page.keyboard.press('u');
  assert.equal(await editorText(), first);
  writeFileSync(join(server.appDir, 'config', 'settings.json'), '{}\n');
});

// The DOM renderer puts terminal rows in the page, which is what these tests read; the
// renderer choice itself is covered by the benchmark. Settings apply on page load.
async function withDomTerminal() {
  mkdirSync(join(server.appDir, 'config'), { recursive: true });
  writeFileSync(join(server.appDir, 'config', 'settings.json'), '{"terminalRenderer": "dom"}\n');
  await page.reload();
  await page.waitForSelector('.tree-row[data-path="src"]');
}
const terminalText = () => page.locator('.term-split:not([hidden]) .xterm-rows').first().evaluate((el) => [...el.children].map((r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n'));

test('the command palette lists commands with their keys and runs them; the keybindings setting remaps keys', async () => {
  await openFromTree('src/main.rs');
  await page.keyboard.press('Control+Shift+P');
  await page.locator('.palette-input').fill('split right');
  const row = page.locator('.palette-item.active');
  await waitFor(async () => /Split Editor Right/.test((await row.textContent()) ?? ''), 'the command found');
  assert.match(await row.textContent(), /Ctrl\+\\/, 'its key is shown');
  await page.screenshot({ path: join(import.meta.dirname, 'artifacts', 'command-palette.png') });
  await page.keyboard.press('Enter');
  await waitFor(async () => (await page.locator('.group').count()) === 2, 'the editor split');

  // Toggle Sidebar moves to Ctrl+Alt+B: Ctrl+B no longer does it, the new key does.
  mkdirSync(join(server.appDir, 'config'), { recursive: true });
  writeFileSync(join(server.appDir, 'config', 'settings.json'), '{"keybindings": {"view.toggleSidebar": "Mod-Alt-b"}}\n');
  try {
    await page.reload();
    await page.waitForSelector('.tree-row[data-path="src"]');
    await page.keyboard.press('Control+b');
    await page.keyboard.press('Control+Shift+P');
    await page.locator('.palette-input').fill('toggle sidebar');
    await waitFor(async () => /Ctrl\+Alt\+B/.test((await page.locator('.palette-item.active').textContent()) ?? ''), 'the new key in the palette');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.sidebar').isVisible(), true, 'Ctrl+B still toggled the sidebar');
    await page.keyboard.press('Control+Alt+b');
    await waitFor(async () => !(await page.locator('.sidebar').isVisible()), 'the sidebar hidden by the new key');
  } finally {
    writeFileSync(join(server.appDir, 'config', 'settings.json'), '{}\n');
  }
});

test('the terminal runs a real shell: type echo hello-weft, see it', async () => {
  await withDomTerminal();
  await page.keyboard.press('Control+Backquote');
  await page.locator('.terminal-panel .xterm-rows').waitFor();
  await page.locator('.term-view[data-terminal-id]').waitFor();
  await page.locator('.terminal-panel .xterm').click();
  await page.keyboard.type('echo hello-weft');
  await page.keyboard.press('Enter');
  // Once in the echoed command line, once as the output.
  await waitFor(async () => (await terminalText()).split('hello-weft').length - 1 >= 2, 'hello-weft printed by the shell');

  // Output with path:line opens the file there.
  await page.keyboard.type('echo "see src/util.rs:5:4"');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await terminalText()).split('src/util.rs:5:4').length - 1 >= 2, 'the path in the output');
  const rows = page.locator('.term-split:not([hidden]) .xterm-rows > div');
  const row = rows.filter({ hasText: /^see src\/util\.rs:5:4/ }).last();
  const box = await row.boundingBox();
  await page.mouse.move(box.x + 60, box.y + box.height / 2);
  await page.mouse.click(box.x + 60, box.y + box.height / 2);
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
  assert.equal(await page.locator('.status-item.pos').textContent().then((t) => t.split(',')[0]), 'Ln 5');

  // A reload re-attaches to the running shell, with its scrollback.
  await page.reload();
  await page.locator('.terminal-panel .xterm-rows').waitFor();
  await waitFor(async () => (await terminalText()).includes('hello-weft'), 'scrollback after reload');
  await page.locator('.terminal-panel .xterm').click();
  await page.keyboard.type('echo still-$((20+1))');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await terminalText()).includes('still-21'), 'the same shell after reload');
  writeFileSync(join(server.appDir, 'config', 'settings.json'), '{}\n');
});
