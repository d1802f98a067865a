// Two agent threads at once, in the panel: the first waits on its approval while a second
// thread is started and asks too; the thread list marks both as waiting; each is answered in
// its own thread (switching back to the first shows its running turn, card and all); both
// finish, both edits land, each thread's review holds only its own change.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, llm, server, browser, page;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-parallel-'));
  writeFileSync(join(ws, 'a.txt'), 'alpha\n');
  writeFileSync(join(ws, 'b.txt'), 'beta\n');
  llm = await startFakeLlm({
    format: 'anthropic',
    replies: [
      { tools: [{ id: 'ta', name: 'edit_file', input: { path: 'a.txt', old_string: 'alpha', new_string: 'ALPHA' } }] },
      { tools: [{ id: 'tb', name: 'edit_file', input: { path: 'b.txt', old_string: 'beta', new_string: 'BETA' } }] },
      { text: 'Done with this one.' },
      { text: 'Done with this one.' },
    ],
  });
  server = await startServe(ws, {
    settings: { agentModel: 'anthropic:claude-test', agentTools: { edit_file: 'ask' } },
    env: { ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'sk-fake-e2e' },
  });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="a.txt"]', { width: 1400, height: 860 });
});

after(async () => {
  await screenshot(page, 'agent-parallel');
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(ws, { recursive: true, force: true });
});

test('two threads run at once, each asks and finishes in its own thread', async () => {
  await page.locator('.agent-btn').click();
  const panel = page.locator('.agent-panel');
  const input = panel.locator('.ag-input');
  await input.fill('uppercase a.txt');
  await input.press('Enter');
  await panel.locator('.ag-approval', { hasText: 'edit a.txt' }).waitFor();
  await until(async () => (await panel.locator('.ag-threads').inputValue()) !== '', 'the running thread listed', 10000);
  const first = await panel.locator('.ag-threads').inputValue();

  // A second thread while the first waits.
  await panel.getByRole('button', { name: 'New thread' }).click();
  assert.equal(await panel.locator('.ag-approval').count(), 0, 'the new thread starts empty');
  assert.equal(await panel.locator('.ag-send').textContent(), 'Send', 'the new thread is not running');
  await input.fill('uppercase b.txt');
  await input.press('Enter');
  await panel.locator('.ag-approval', { hasText: 'edit b.txt' }).waitFor();
  const options = panel.locator('.ag-threads option');
  await until(async () => (await options.allTextContents()).filter((t) => t.startsWith('⏸')).length === 2, 'both threads marked waiting', 10000);

  // Answer the second here; it finishes while the first still waits.
  await panel.locator('.ag-approval button', { hasText: 'Allow once' }).click();
  await panel.locator('.ag-reply', { hasText: 'Done with this one.' }).waitFor({ timeout: 15000 });
  assert.equal(readFileSync(join(ws, 'b.txt'), 'utf8'), 'BETA\n');
  assert.equal(readFileSync(join(ws, 'a.txt'), 'utf8'), 'alpha\n', 'the first thread still waits for its answer');
  // The review comes with the turn's end, a moment after its last words.
  const review = panel.locator('.ag-review');
  await until(async () => (await review.count()) > 0 && (await review.textContent()).includes('.txt'), "the second thread's review", 10000);
  const secondReview = await review.textContent();
  assert.ok(secondReview.includes('b.txt') && !secondReview.includes('a.txt'), `the second thread's review: ${secondReview}`);

  // Back to the first: its running turn, with its question, is there to answer.
  await panel.locator('.ag-threads').selectOption(first);
  const card = panel.locator('.ag-approval', { hasText: 'edit a.txt' });
  await card.waitFor();
  assert.equal(await panel.locator('.ag-send').textContent(), 'Stop', 'its turn runs');
  await card.locator('button', { hasText: 'Allow once' }).click();
  await until(async () => (await panel.locator('.ag-send').textContent()) === 'Send', 'the first thread done', 15000);
  assert.equal(readFileSync(join(ws, 'a.txt'), 'utf8'), 'ALPHA\n');
  await until(async () => (await review.count()) > 0 && (await review.textContent()).includes('a.txt'), "the first thread's review", 10000);
  const firstReview = await review.textContent();
  assert.ok(firstReview.includes('a.txt') && !firstReview.includes('b.txt'), `the first thread's review: ${firstReview}`);
  await until(async () => (await options.allTextContents()).every((t) => !/^[●⏸]/.test(t)), 'no thread marked running', 10000);
  assertNoPageErrors(page);
});
