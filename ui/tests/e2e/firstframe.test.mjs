// The start-up's first frame (src/firstframe.ts): the tree and the restored file's text are
// usable before the editor's code has loaded, and nothing done there is lost when the
// workbench takes over. The workbench's code is held back (its chunk's request waits) so
// the test can act in the first frame as long as it likes, then let it load.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, launchBrowser, waitFor, watchErrors, assertNoPageErrors, screenshot } from './harness.mjs';

let ws, server, browser;

function write(rel, content) {
  mkdirSync(join(ws, rel, '..'), { recursive: true });
  writeFileSync(join(ws, rel), content);
}

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-ws-'));
  write('src/main.rs', 'fn main() {\n    println!("hi");\n}\n');
  write('src/util.rs', 'pub fn helper() -> u32 {\n    42\n}\n');
  write('notes.md', '# Notes\n');
  server = await startServe(ws);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

/** A page whose workbench chunk is held until `release()`. */
async function heldPage() {
  const page = watchErrors(await browser.newPage({ viewport: { width: 1280, height: 800 } }));
  let release;
  const released = new Promise((r) => (release = r));
  await page.route(/\/assets\/app-[^/]*\.js$/, async (route) => {
    await released;
    await route.continue();
  });
  return { page, release };
}

const editorText = (page) => page.locator('.group .pane:not([hidden]) .cm-content').first().evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));

test('typing, a tree click and a command key in the first frame all reach the workbench', async () => {
  // A session with main.rs open (as the workbench saves it).
  {
    const page = watchErrors(await browser.newPage({ viewport: { width: 1280, height: 800 } }));
    await page.goto(server.url);
    await page.locator('.workbench:not(.first-frame) .tree-row[data-path="src"]').click();
    await page.locator('.tree-row[data-path="src/main.rs"]').click();
    await page.locator('.cm-content').waitFor();
    const sessions = join(server.appDir, 'data', 'sessions');
    // (A file can be renamed between the listing and the read: the session is written atomically.)
    const holds = (f) => { try { return readFileSync(join(sessions, f), 'utf8').includes('src/main.rs'); } catch { return false; } };
    await waitFor(() => existsSync(sessions) && readdirSync(sessions).some(holds), 'the session saved');
    await page.close();
    assertNoPageErrors(page);
  }
  const { page, release } = await heldPage();
  await page.goto(server.url);
  // The first frame: the folder's tree, main.rs's tab and its text, editable.
  const text = page.locator('.first-frame textarea.first-text');
  await text.waitFor();
  assert.equal(await text.inputValue(), 'fn main() {\n    println!("hi");\n}\n');
  await page.locator('.first-frame .tab.active[data-path="src/main.rs"]').waitFor();
  assert.equal(await page.locator('.cm-editor').count(), 0, 'CodeMirror has not loaded');
  await screenshot(page, 'first-frame');
  // Typed at the end of line 2 (the text area has the focus, the cursor at the start).
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('first-text')), true);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.type(' // early');
  // The real tree: a folder expands, and a file clicked opens once the workbench is up.
  await page.locator('.first-frame .tree-row[data-path="src"]').click();
  await page.locator('.first-frame .tree-row[data-path="src/util.rs"]').waitFor();
  // A command key (Save) pressed now runs once the workbench has its commands.
  await page.keyboard.press('Control+s');
  // The tree on screen is this one, clickable, at every moment of the take-over (not a
  // copy standing in while the workbench builds: a click on that would be lost).
  await page.evaluate(() => {
    const tree = document.querySelector('.tree');
    window.treeGone = 0;
    new MutationObserver(() => (window.treeGone += document.querySelector('.tree') === tree ? 0 : 1)).observe(document.body, { childList: true, subtree: true });
  });
  release();
  await page.locator('.workbench:not(.first-frame) .cm-content').waitFor();
  assert.equal(await page.locator('.first-frame').count(), 0, 'the first frame was taken over');
  assert.equal(await page.evaluate(() => window.treeGone), 0, 'the tree was never replaced on screen');
  assert.equal(await editorText(page), 'fn main() {\n    println!("hi"); // early\n}\n');
  // Saved by the replayed Ctrl+S: the typing is in the document and on disk.
  await waitFor(() => readFileSync(join(ws, 'src/main.rs'), 'utf8').includes('// early'), 'the early typing saved');
  assert.equal(readFileSync(join(ws, 'src/main.rs'), 'utf8'), 'fn main() {\n    println!("hi"); // early\n}\n');
  // The cursor is where the typing left it: more typing goes on after it.
  await page.keyboard.type('!');
  await waitFor(async () => (await editorText(page)).includes('// early!'), 'typing continues at the cursor');
  // The tree kept its expanded folder; clicking a file in it opens it.
  await page.locator('.tree-row.expanded[data-path="src"]').waitFor();
  await page.locator('.tree-row[data-path="src/util.rs"]').click();
  await page.locator('.tab.active[data-path="src/util.rs"]').waitFor();
  // Ctrl+Z in main.rs takes back the typing after the take-over, then the early typing.
  await page.locator('.tab[data-path="src/main.rs"]').click();
  await page.locator('.cm-content').first().waitFor();
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await editorText(page)) === 'fn main() {\n    println!("hi"); // early\n}\n', 'undo the late typing');
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await editorText(page)) === 'fn main() {\n    println!("hi");\n}\n', 'undo the early typing');
  await screenshot(page, 'first-frame-taken-over');
  await page.close();
  assertNoPageErrors(page);
});

test('a tree click in the first frame opens the file once the workbench is up', async () => {
  const { page, release } = await heldPage();
  await page.goto(server.url);
  await page.locator('.first-frame .tree-row[data-path="notes.md"]').click();
  release();
  await page.locator('.workbench:not(.first-frame) .tab.active[data-path="notes.md"]').waitFor();
  await waitFor(async () => (await editorText(page)) === '# Notes\n', 'notes.md in the editor');
  await page.close();
  assertNoPageErrors(page);
});
