// The checkpoint timeline end to end: headless Chromium against `weft serve`. A change
// made outside the editor is captured by an automatic checkpoint, its diff is shown side
// by side, a restore is previewed and applied to disk and the open editor, and undone.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-cp-'));
  writeFileSync(join(ws, 'app.js'), 'let x = 1;\n');
  writeFileSync(join(ws, 'README.md'), '# Demo\n');
  server = await startServe(ws, { settings: { checkpointQuietMs: 300 } });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="app.js"]', { width: 1280, height: 800 });
});

after(async () => {
  await screenshot(page, 'checkpoint-timeline');
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const editorText = () => page.locator('.group .pane:not([hidden]) .cm-content').first().evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));


afterEach(() => assertNoPageErrors(page));

test('an outside change is captured, diffed, restored from a preview, and the restore undone', async () => {
  await page.locator('.tree-row[data-path="app.js"]').click();
  await page.locator('.tab.active[data-path="app.js"]').waitFor();
  await page.locator('.side-tab', { hasText: 'Timeline' }).click();
  // The baseline taken when the folder opened.
  await page.locator('.cp-item').first().waitFor();
  const baseline = Number(await page.locator('.cp-item').last().getAttribute('data-id'));
  assert.equal(await page.locator('.cp-item').last().locator('.cp-title').textContent(), 'Folder opened');

  // Another program (a build script, `sed -i` in a terminal) changes the files.
  writeFileSync(join(ws, 'app.js'), 'let x = 2;\nlet y = 3;\n');
  writeFileSync(join(ws, 'gen.txt'), 'generated\n');
  // The automatic checkpoint arrives live, with its summary.
  await until(async () => (await page.locator('.cp-item').count()) === 2, 'the activity checkpoint');
  const top = page.locator('.cp-item').first();
  assert.match(await top.locator('.cp-origin').textContent(), /Activity/);
  assert.match(await top.locator('.cp-meta').textContent(), /2 files \+3 −1/);

  // Its changed files, and the side-by-side diff of one of them.
  await top.locator('.cp-head').click();
  await top.locator('.cp-file[data-path="gen.txt"]').waitFor();
  assert.equal(await top.locator('.cp-file.modified .cp-path').textContent(), 'app.js');
  await top.locator('.cp-file[data-path="app.js"]').click();
  const merge = page.locator('.cp-diff .cm-mergeView');
  await merge.waitFor();
  const sides = await merge.evaluate((el) => [...el.querySelectorAll('.cm-editor')].map((e) => [...e.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n')));
  assert.deepEqual(sides, ['let x = 1;\n', 'let x = 2;\nlet y = 3;\n']);
  await page.locator('.modal button', { hasText: 'Close' }).click();

  // Restore the baseline: the preview says exactly what will change.
  const first = page.locator(`.cp-item[data-id="${baseline}"]`);
  await first.locator('.cp-head').click();
  await first.locator('button', { hasText: 'Restore…' }).click();
  await page.locator('.cp-plan').first().waitFor();
  const plan = await page.locator('.cp-plan').evaluateAll((els) => els.map((e) => e.textContent));
  assert.deepEqual(plan, ['modifyapp.js', 'deletegen.txt']);
  await page.locator('.modal button', { hasText: /^Restore$/ }).click();
  await page.locator('.cp-notice:not([hidden])').waitFor();
  assert.equal(readFileSync(join(ws, 'app.js'), 'utf8'), 'let x = 1;\n');
  assert.equal(existsSync(join(ws, 'gen.txt')), false);
  // The open editor follows the restored file.
  await until(async () => (await editorText()) === 'let x = 1;\n', 'the editor to show the restored text');
  assert.match(await page.locator('.cp-notice').textContent(), new RegExp(`Restored #${baseline}: 2 files changed`));

  // One click undoes it.
  await page.locator('.cp-notice button', { hasText: 'Undo restore' }).click();
  await until(() => existsSync(join(ws, 'gen.txt')), 'gen.txt to come back');
  assert.equal(readFileSync(join(ws, 'app.js'), 'utf8'), 'let x = 2;\nlet y = 3;\n');
  await until(async () => (await editorText()) === 'let x = 2;\nlet y = 3;\n', 'the editor to show the undone restore');

  // A checkpoint deleted from the timeline is gone; the files on disk are untouched.
  await page.locator(`.cp-item[data-id="${baseline}"] .cp-actions button`, { hasText: 'Delete' }).click();
  await page.locator('.modal button.danger', { hasText: 'Delete' }).click();
  await until(async () => (await page.locator(`.cp-item[data-id="${baseline}"]`).count()) === 0, 'the deleted checkpoint to leave the timeline');
  assert.equal(readFileSync(join(ws, 'app.js'), 'utf8'), 'let x = 2;\nlet y = 3;\n');
});
