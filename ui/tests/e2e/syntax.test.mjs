// Code intelligence end to end: headless Chromium against `weft serve`, tree-sitter in the
// real Rust backend. The outline follows the cursor, typing a syntax error marks it and
// fixing it clears it, breadcrumbs name the symbol, folding comes from the tree, and
// Go to symbol finds a function in another file, even one written by another program.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page;

const LIB = `use std::collections::HashMap;

pub struct Ledger {
    entries: HashMap<String, i64>,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger { entries: HashMap::new() }
    }

    pub fn post(&mut self, account: &str, amount: i64) {
        *self.entries.entry(account.to_string()).or_insert(0) += amount;
    }

    pub fn balance(&self, account: &str) -> i64 {
        self.entries.get(account).copied().unwrap_or(0)
    }
}
`;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-syntax-'));
  mkdirSync(join(ws, 'src'));
  writeFileSync(join(ws, 'src/lib.rs'), LIB);
  writeFileSync(join(ws, 'src/report.py'), 'def monthly_report(ledger):\n    return ledger\n');
  server = await startServe(ws);
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="src"]', { width: 1280, height: 800 });
});

after(async () => {
  await screenshot(page, 'syntax');
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const editor = () => page.locator('.group .pane:not([hidden]) .cm-content').first();
const lineOf = (n) => page.locator('.group .pane:not([hidden]) .cm-line').nth(n - 1);


afterEach(() => assertNoPageErrors(page));

test('outline, breadcrumbs, syntax errors and folding follow the editor', async () => {
  await page.locator('.tree-row[data-path="src"]').click();
  await page.locator('.tree-row[data-path="src/lib.rs"]').click();
  await page.locator('.tab.active[data-path="src/lib.rs"]').waitFor();

  await page.locator('.side-tab', { hasText: 'Outline' }).click();
  await page.locator('.outline-item[data-name="balance"]').waitFor();
  const names = await page.locator('.outline-item').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  assert.deepEqual(names, ['Ledger', 'entries', 'impl Ledger', 'new', 'post', 'balance']);

  // Clicking a symbol moves the cursor there; the outline and breadcrumbs follow it.
  await page.locator('.outline-item[data-name="post"]').click();
  await until(async () => (await page.locator('.outline-item.current').getAttribute('data-name')) === 'post', 'post is current');
  await until(async () => /lib\.rs›.impl Ledger›.post$/.test(await page.locator('.group .crumbs').textContent()), 'breadcrumbs name the method');
  assert.match(await page.locator('.status-item.pos').textContent(), /^Ln 12,/);

  // Break the code as a user would, by typing: delete the `)` of `balance(&self, …)`.
  await lineOf(16).click();
  await page.keyboard.press('End');
  for (let i = 0; i < '-> i64 {'.length + 1; i++) await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Backspace');
  await page.locator('.cm-lintRange-error').first().waitFor();
  await until(async () => /⊘ \d/.test(await page.locator('.status-item.problems').textContent()), 'the problem count');
  assert.match(await page.locator('.outline-status').textContent(), /syntax error/);
  // The problems list names the line.
  await page.locator('.status-item.problems').click();
  await page.locator('.cm-panel.cm-panel-lint li').first().waitFor();
  await page.keyboard.press('Escape');

  // Fix it: the marks and the count go away.
  await editor().click();
  await page.keyboard.press('Control+z');
  await until(async () => (await page.locator('.cm-lintRange-error').count()) === 0, 'errors cleared after the fix');
  assert.equal(await page.locator('.status-item.problems').textContent(), '');

  // Fold the impl from its gutter marker: its methods disappear from view.
  const implLine = lineOf(7);
  assert.equal(await implLine.textContent(), 'impl Ledger {');
  const box = await implLine.boundingBox();
  const marker = page.locator('.cm-foldGutter .cm-gutterElement').filter({ hasText: '⌄' });
  await until(async () => (await marker.count()) > 0, 'fold markers');
  let folded = false;
  for (const m of await marker.all()) {
    const b = await m.boundingBox();
    if (b && Math.abs(b.y - box.y) < 4) {
      await m.click();
      folded = true;
      break;
    }
  }
  assert.ok(folded, 'the impl line has a fold marker');
  await page.locator('.cm-foldPlaceholder').waitFor();
  assert.equal(await page.getByText('pub fn balance').count(), 0, 'the folded methods are hidden');
  await page.locator('.cm-foldPlaceholder').click();
});

test('go to symbol in the file and in the workspace, including a file written outside', async () => {
  await editor().click();
  await page.keyboard.press('Control+Shift+O');
  await page.locator('.palette-input').fill('bal');
  await page.locator('.palette-item.active[data-label="balance"]').waitFor();
  await page.keyboard.press('Enter');
  await until(async () => /^Ln 16,/.test(await page.locator('.status-item.pos').textContent()), 'the cursor on balance');

  // Another program writes a new file; Ctrl+T finds its function.
  writeFileSync(join(ws, 'src/audit.rs'), 'pub fn reconcile_accounts() {}\n');
  await until(async () => {
    await page.keyboard.press('Control+t');
    await page.locator('.palette-input').fill('reconcile');
    const found = await page.locator('.palette-item[data-label="reconcile_accounts"]').waitFor({ timeout: 1500 }).then(() => true, () => false);
    if (!found) await page.keyboard.press('Escape');
    return found;
  }, 'the new function in the workspace symbols');
  await page.keyboard.press('Enter');
  await page.locator('.tab.active[data-path="src/audit.rs"]').waitFor();

  // The repo map ranks the ledger, used nowhere else, among the rest and keeps to its budget.
  await page.locator('.side-tab', { hasText: 'Outline' }).click();
  await page.locator('.outline .icon-btn', { hasText: 'Repo map' }).click();
  await until(async () => /tokens/.test(await page.locator('.repomap-stats').textContent()), 'the repo map');
  const text = await page.locator('.repomap-text').textContent();
  assert.match(text, /src\/lib\.rs:\n/);
  assert.match(text, /│    pub fn balance\(&self, account: &str\) -> i64/);
  assert.match(text, /def monthly_report\(ledger\)/);
  await page.screenshot({ path: join(import.meta.dirname, 'artifacts', 'repomap.png') });
  await page.keyboard.press('Escape');
});
