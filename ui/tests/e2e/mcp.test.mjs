// MCP end to end: headless Chromium against `weft serve`, the folder's .mcp.json naming
// the official test server (@modelcontextprotocol/server-everything), and the scripted
// model server. The project's server waits for trust; trusted, it runs with its tools;
// the model's call of one is asked about, runs, and its result shows; the server's prompt
// is offered as a slash command.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

const everything = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/mcp-servers/node_modules/.bin/mcp-server-everything');
let ws, llm, server, browser, page;

before(async () => {
  assert.ok(existsSync(everything), 'the test server is installed by scripts/setup.sh with WEFT_SETUP_TESTS=1');
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-mcp-'));
  writeFileSync(join(ws, 'notes.md'), '# Notes\n');
  writeFileSync(join(ws, '.mcp.json'), JSON.stringify({ mcpServers: { everything: { command: everything, args: ['stdio'] } } }, null, 2));
  llm = await startFakeLlm({
    format: 'anthropic',
    paceMs: 5,
    replies: [
      { tools: [{ id: 'mc_1', name: 'mcp__everything__echo', input: { message: 'hello through MCP' } }] },
      { text: 'The server echoed it.' },
    ],
  });
  server = await startServe(ws, {
    settings: { agentModel: 'anthropic:claude-test' },
    env: { ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'sk-fake-e2e' },
  });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="notes.md"]', { width: 1400, height: 860 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(ws, { recursive: true, force: true });
});

afterEach(() => assertNoPageErrors(page));

test('a project\'s server is trusted, its tool is asked about and called, its prompt is a slash command', async () => {
  await page.locator('.agent-btn').click();
  const panel = page.locator('.agent-panel');
  await panel.waitFor();
  await panel.getByRole('button', { name: 'MCP servers' }).click();
  const row = page.locator('.mcp-server[data-server="everything"]');
  await row.waitFor();
  assert.match(await row.locator('.mcp-state').textContent(), /needs your trust/);
  assert.match(await row.locator('.mcp-command').textContent(), /mcp-server-everything stdio/);
  await screenshot(page, 'mcp-trust');
  await row.getByRole('button', { name: 'Trust' }).click();
  await until(async () => /running · \d+ tools/.test(await row.locator('.mcp-state').textContent()), 'running with its tools', 30000);
  await screenshot(page, 'mcp-servers');
  await page.getByRole('button', { name: 'Close', exact: true }).click();

  // The model calls the server's tool: asked first (MCP tools ask by default).
  await panel.locator('.ag-input').fill('echo something');
  await panel.locator('.ag-input').press('Enter');
  const ask = panel.locator('.ag-approval[data-tool="mcp__everything__echo"]');
  await ask.waitFor({ timeout: 30000 });
  assert.match(await ask.locator('.ag-approval-q').textContent(), /echo \(MCP server everything\)/);
  await ask.getByRole('button', { name: 'Allow once' }).click();
  const card = panel.locator('.ag-tool[data-id="mc_1"]');
  await until(async () => /hello through MCP/.test((await card.locator('.ag-tool-out').textContent().catch(() => '')) ?? ''), 'the tool\'s result', 30000);
  await panel.locator('.ag-md', { hasText: 'The server echoed it.' }).waitFor();
  await screenshot(page, 'mcp-tool');

  // Its prompts are slash commands.
  await panel.locator('.ag-input').fill('');
  await panel.locator('.ag-input').pressSequentially('/mcp__every');
  await panel.locator('.ag-sug', { hasText: '/mcp__everything__simple-prompt' }).waitFor();
  assert.match(await panel.locator('.ag-sug', { hasText: '/mcp__everything__args-prompt' }).textContent(), /MCP server everything/);
});
