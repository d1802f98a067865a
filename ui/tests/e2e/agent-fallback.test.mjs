// A model fails mid-answer and the route falls back to the next model: what the failed
// attempt streamed leaves the panel (regression: it stayed, above the answer that counts),
// and the thread saved for later holds only the answer. The turn also names the project's
// instruction file it followed, which opens in the editor.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, llm, server, browser, page;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-fallback-'));
  writeFileSync(join(ws, 'notes.md'), '# Notes\n');
  writeFileSync(join(ws, 'AGENTS.md'), 'Keep answers short.\n');
  mkdirSync(join(ws, '.weft', 'prompts'), { recursive: true });
  writeFileSync(join(ws, '.weft', 'prompts', 'review.md'), '---\ndescription: Review one file\n---\nReview $1 for typos.\n');
  // Each attempt of the first model streams a little and is cut off; after its retries the
  // route falls back to the second model, which answers.
  const cut = { text: 'PARTIAL-FROM-A-FAILED-ATTEMPT and more', dropLast: 3 };
  llm = await startFakeLlm({ format: 'anthropic', paceMs: 5, replies: [cut, cut, cut, cut, { text: 'The answer from the backup model.' }, { text: 'No typos.' }, { text: 'Thought about it.' }] });
  server = await startServe(ws, {
    settings: { agentModel: 'anthropic:claude-test', agentFallbackModels: ['anthropic:claude-backup'] },
    env: { ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'sk-fake-e2e' },
  });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="notes.md"]');
});

after(async () => {
  await screenshot(page, 'agent-fallback');
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(ws, { recursive: true, force: true });
});

test('a fallback after a failed attempt replaces what the failed attempt streamed', async () => {
  await page.locator('.agent-btn').click();
  const panel = page.locator('.agent-panel');
  await panel.waitFor();
  await panel.locator('.ag-input').fill('say something');
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-reply').last().textContent())?.includes('The answer from the backup model.'), 'the backup model\'s answer', 30000);
  await panel.locator('.ag-note', { hasText: 'trying anthropic:claude-backup' }).waitFor();
  const reply = await panel.locator('.ag-reply').last().textContent();
  assert.ok(!reply.includes('PARTIAL-FROM-A-FAILED-ATTEMPT'), `the failed attempt's text is gone: ${reply}`);
  assert.equal(llm.requests().length, 5, 'four attempts of the first model, one of the backup');
  assert.match(JSON.stringify(llm.requests()[4].system), /Keep answers short\./, 'AGENTS.md is in the system prompt');
  await panel.locator('.ag-instr', { hasText: 'AGENTS.md' }).click();
  await page.locator('.tab.active[data-path="AGENTS.md"]').waitFor();
  // Reloaded from the saved thread: the answer only.
  await page.reload();
  await page.locator('.agent-btn').click();
  await until(async () => (await page.locator('.agent-panel .ag-reply').last().textContent())?.includes('The answer from the backup model.'), 'the thread reloaded', 15000);
  assert.ok(!(await page.locator('.agent-panel .ag-reply').last().textContent()).includes('PARTIAL-FROM-A-FAILED-ATTEMPT'));
  await assertNoPageErrors(page);
});

test('a slash command from the project\'s prompt library is offered, picked and sent expanded', async () => {
  const panel = page.locator('.agent-panel');
  await panel.locator('.ag-input').fill('');
  await panel.locator('.ag-input').pressSequentially('/re');
  await panel.locator('.ag-sug', { hasText: '/review' }).waitFor();
  assert.match(await panel.locator('.ag-sug', { hasText: '/review' }).textContent(), /Review one file/);
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-input').inputValue()) === '/review ', 'the command picked');
  await panel.locator('.ag-input').pressSequentially('notes.md');
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-reply').last().textContent())?.includes('No typos.'), 'the answer', 15000);
  assert.match(JSON.stringify(llm.requests()[5].messages), /Review notes\.md for typos\./);
  await assertNoPageErrors(page);
});

test('the turn controls send thinking with its budget and an output limit', async () => {
  const panel = page.locator('.agent-panel');
  await panel.locator('.ag-ctl-btn').click();
  await panel.locator('.ag-ctl-thinking').check();
  await panel.locator('.ag-ctl-budget').fill('2048');
  await panel.locator('.ag-ctl-budget').dispatchEvent('change');
  await panel.locator('.ag-ctl-max').fill('4096');
  await panel.locator('.ag-ctl-max').dispatchEvent('change');
  assert.equal(await panel.locator('.ag-ctl-btn').textContent(), 'thinking 2048 · max 4096');
  assert.ok(await panel.locator('.ag-ctl-temperature').isDisabled(), 'no temperature with thinking');
  await panel.locator('.ag-input').fill('think first');
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-reply').last().textContent())?.includes('Thought about it.'), 'the answer', 15000);
  const body = llm.requests()[6];
  assert.equal(body.max_tokens, 4096);
  assert.equal(body.thinking?.budget_tokens, 2048);
  await assertNoPageErrors(page);
});
