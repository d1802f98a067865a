// The agent panel end to end: headless Chromium against `weft serve`, with the scripted
// model server speaking Anthropic's streaming wire format. A user sends a prompt, watches
// the answer stream in, approves the edit and the test command, sees the open file change
// in the editor, reviews the change hunk by hunk and rejects it, and finds the thread
// saved after a reload.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, llm, server, browser, page;
const BROKEN = 'echo $(($1 - $2))\n';
const FIXED = 'echo $(($1 + $2))\n';

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-agent-'));
  writeFileSync(join(ws, 'add.sh'), BROKEN);
  writeFileSync(join(ws, 'test.sh'), '[ "$(sh add.sh 2 3)" = 5 ] && echo PASS-add || { echo FAIL-add; exit 1; }\n');
  // Prints, then waits for the test to say go: a command still running while it is watched.
  writeFileSync(join(ws, 'watch.sh'), 'echo first-part\nwhile [ ! -e go ]; do sleep 0.05; done\necho second-part\n');
  llm = await startFakeLlm({
    format: 'anthropic',
    paceMs: 15,
    replies: [
      { text: 'The test fails because `add.sh` **subtracts**. Fixing it:', tools: [{ id: 'tu_1', name: 'edit_file', input: { path: 'add.sh', old_string: '$1 - $2', new_string: '$1 + $2' } }] },
      { tools: [{ id: 'tu_2', name: 'run_command', input: { command: 'sh test.sh' } }] },
      { text: 'Fixed. The test passes now:\n\n```sh\nsh test.sh\n```' },
      { tools: [{ id: 'tu_3', name: 'run_command', input: { command: 'sh watch.sh' } }] },
      { text: 'It printed both parts.' },
    ],
  });
  server = await startServe(ws, {
    settings: { agentModel: 'anthropic:claude-test', agentTools: { edit_file: 'ask' }, agentAllowCommands: ['sh watch.sh*'], checkpointQuietMs: 300, terminalRenderer: 'dom' },
    env: { ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'sk-fake-e2e' },
  });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="add.sh"]', { width: 1400, height: 860 });
});

after(async () => {
  await screenshot(page, 'agent-panel');
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(ws, { recursive: true, force: true });
});

// The text, without the agent's cursor widget (its "Agent" label).
const editorText = () => page.locator('.group .pane:not([hidden]) .cm-content').first().evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => {
  const c = l.cloneNode(true);
  c.querySelectorAll('.cm-agentCaret, .cm-ySelectionCaret').forEach((w) => w.remove());
  return c.textContent;
}).join('\n'));
const onDisk = () => readFileSync(join(ws, 'add.sh'), 'utf8');


afterEach(() => assertNoPageErrors(page));

test('a prompt streams, an approved edit shows in the editor, the test runs, and a rejected hunk is reverted', async () => {
  await page.locator('.tree-row[data-path="add.sh"]').click();
  await page.locator('.tab.active[data-path="add.sh"]').waitFor();
  await page.locator('.agent-btn').click();
  const panel = page.locator('.agent-panel');
  await panel.waitFor();
  // Mention a file with @: the picker suggests it, Enter takes it. Typed as a fast typist
  // does: Enter comes before the lookup for the full text has answered, while the list
  // still holds the rows for "@t" (@terminal first); Enter must take the file typed.
  await panel.locator('.ag-input').fill('make ');
  await panel.locator('.ag-input').pressSequentially('@t');
  await panel.locator('.ag-sug', { hasText: '@terminal' }).waitFor();
  await panel.locator('.ag-input').pressSequentially('est.s');
  assert.equal(await panel.locator('.ag-sug', { hasText: '@terminal' }).count(), 0, 'rows that no longer fit the text are gone at once');
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-input').inputValue()) === 'make @test.sh ', 'the picked mention in the prompt', 5000);
  await panel.locator('.ag-input').pressSequentially('pass');
  await panel.locator('.ag-input').press('Enter');
  assert.equal(await panel.locator('.ag-user').first().textContent(), 'make @test.sh pass');
  assert.equal(await panel.locator('.ag-chips.sent .ag-chip').textContent(), '@test.sh');
  assert.equal(await panel.locator('.ag-send').textContent(), 'Stop', 'while the turn runs, Send becomes Stop');

  // The answer streams in as Markdown (inline code and bold rendered, not raw).
  await until(async () => (await panel.locator('.ag-md').first().textContent())?.includes('subtracts. Fixing it:'), 'the streamed text', 20000);
  assert.equal(await panel.locator('.ag-md code').first().textContent(), 'add.sh');
  assert.equal(await panel.locator('.ag-md strong').first().textContent(), 'subtracts');

  // The edit asks first, showing what it will change; nothing changes before the answer.
  const ask = panel.locator('.ag-approval[data-tool="edit_file"]');
  await ask.waitFor();
  assert.match(await ask.locator('.ag-approval-q').textContent(), /edit add\.sh/);
  assert.match(await ask.locator('.ag-diff .del').textContent(), /- \$1 - \$2/);
  assert.equal(onDisk(), BROKEN);
  await ask.getByRole('button', { name: 'Allow once' }).click();

  // The file changes on disk and in the open editor.
  await until(() => onDisk() === FIXED, 'the edit on disk', 20000);
  await until(async () => (await editorText()) === FIXED, 'the edit in the editor', 20000);
  // Marked as the agent's: its named cursor (a participant of the document, as a guest's
  // would be) sits at the end of the change while the turn runs.
  const caret = page.locator('.group .pane:not([hidden]) .cm-ySelectionCaret', { hasText: 'Agent' });
  await caret.waitFor();
  // On the changed line, right after the change.
  const around = await caret.evaluate((c) => {
    const line = c.closest('.cm-line');
    const before = document.createRange();
    before.setStartBefore(line);
    before.setEndBefore(c);
    return before.toString().replace(/\u2060/g, '');
  });
  assert.equal(around, 'echo $(($1 +');
  await screenshot(page, 'agent-edit-in-editor');

  // The command asks too; once allowed it runs in a real shell and passes.
  const run = panel.locator('.ag-approval[data-tool="run_command"]');
  await run.waitFor();
  assert.match(await run.locator('.ag-cmd').textContent(), /sh test\.sh/);
  assert.match(await run.getByRole('button', { name: /Always allow/ }).textContent(), /sh test\.sh\*/);
  await run.getByRole('button', { name: 'Allow once' }).click();
  const card = panel.locator('.ag-tool[data-id="tu_2"]');
  await until(async () => (await card.getAttribute('class'))?.includes('ok'), 'the command card to finish', 20000);
  assert.match(await card.locator('.ag-tool-out').textContent(), /PASS-add/);

  // The turn ends: Send is back, the code block rendered, tokens counted, turn controls offered.
  await until(async () => (await panel.locator('.ag-send').textContent()) === 'Send', 'the end of the turn', 20000);
  await caret.waitFor({ state: 'detached' });
  assert.equal(await panel.locator('.md-code code').last().textContent(), 'sh test.sh');
  assert.match(await panel.locator('.ag-usage').textContent(), /↑\d+ ↓\d+/);
  // The mentioned file went to the model with the prompt, and the repo map in the system prompt.
  const first = llm.requests()[0];
  assert.match(first.messages[0].content[0].text, /<item label="test.sh">\n\[ "\$\(sh add.sh 2 3\)" = 5 \]/);
  assert.equal(first.messages[0].content[1].text, 'make @test.sh pass');
  await panel.locator('.ag-turn-actions').getByRole('button', { name: 'Code', exact: true }).waitFor();

  // Review: one file, one hunk; rejecting it puts the old line back on disk and in the editor.
  const file = panel.locator('.ag-rfile[data-path="add.sh"]');
  await file.waitFor();
  assert.match(await panel.locator('.ag-review-head').textContent(), /1 file changed/);
  assert.match(await file.locator('.ag-diff .add').textContent(), /\$1 \+ \$2/);
  await screenshot(page, 'agent-review');
  await file.getByRole('button', { name: 'Reject hunk' }).click();
  await until(() => onDisk() === BROKEN, 'the rejected hunk reverted on disk', 20000);
  await until(async () => (await editorText()) === BROKEN, 'the reverted text in the editor', 20000);
  await until(async () => await panel.locator('.ag-review').isHidden(), 'the settled review to close', 20000);

  // The thread was saved: after a reload it is listed and reopens with its tool cards.
  await page.reload();
  await page.locator('.agent-btn').click();
  await until(async () => (await page.locator('.ag-threads option:checked').textContent()) === 'make @test.sh pass', 'the saved thread', 20000);
  assert.equal(await page.locator('.ag-user').first().textContent(), 'make @test.sh pass', 'the context block is not shown as the prompt');
  assert.equal(await page.locator('.ag-chips.sent .ag-chip').textContent(), '@test.sh');
  await page.locator('.ag-tool[data-id="tu_2"].ok').waitFor();
  assert.match(await page.locator('.ag-tool[data-id="tu_2"] .ag-tool-sum').textContent(), /run `sh test\.sh`/);
});

test("a running command of the agent's can be watched in the terminal panel", async () => {
  await page.locator('.agent-panel').getByRole('button', { name: 'New thread' }).click();
  const panel = page.locator('.agent-panel');
  await panel.locator('.ag-input').fill('run watch.sh');
  await panel.locator('.ag-input').press('Enter');
  const card = panel.locator('.ag-tool[data-id="tu_3"]');
  await card.locator('.ag-watch').click();
  const view = page.locator('.term-view[data-terminal-id]');
  await view.waitFor();
  const text = () => page.locator('.term-split:not([hidden]) .xterm-rows').first().evaluate((el) => [...el.children].map((r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n'));
  await until(async () => (await text()).includes('first-part'), 'the output so far in the terminal panel', 20000);
  assert.equal(await page.locator('.term-tab.active').textContent(), 'agent: sh watch.sh');
  assert.equal(await view.locator('.term-close').getAttribute('title'), 'Stop Watching', 'closing only stops watching');
  await screenshot(page, 'agent-command-watched');
  writeFileSync(join(ws, 'go'), '');
  await until(async () => (await text()).includes('second-part'), 'the rest of the output, live', 20000);
  await until(async () => (await text()).includes("[the agent's command exited with code 0]"), 'the end of the command', 20000);
  // The agent read all of it, and the card no longer offers to watch.
  await until(async () => (await card.getAttribute('class'))?.includes('ok'), 'the command card to finish', 20000);
  assert.match(await card.locator('.ag-tool-out').textContent(), /first-part\nsecond-part/);
  assert.equal(await card.locator('.ag-watch').count(), 0);
  // Closing the watched view kills nothing and asks nothing.
  await view.locator('.term-close').click();
  await view.waitFor({ state: 'detached' });
});
