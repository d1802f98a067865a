// A new user with only a Gemini key, end to end: headless Chromium against `weft serve`
// with no key anywhere, the scripted model server speaking Gemini's wire format. The key is
// entered in the AI providers list (and never shown again), the agent's default becomes
// Gemini, the turn's thoughts and answer stream in, and the request went to Gemini's API
// shape. The Bedrock row takes a region and a profile into the settings.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, llm, server, browser, page;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-gemini-'));
  writeFileSync(join(ws, 'README.md'), '# demo\n');
  llm = await startFakeLlm({ format: 'gemini', paceMs: 10, replies: [{ thinking: 'The user says hello.', text: 'Hello from **Gemini**.' }] });
  server = await startServe(ws, {
    env: { GEMINI_BASE_URL: llm.url, WEFT_NO_KEYCHAIN: '1', ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', GEMINI_API_KEY: '', AWS_BEARER_TOKEN_BEDROCK: '' },
  });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="README.md"]', { width: 1400, height: 860 });
});

after(async () => {
  await screenshot(page, 'agent-gemini');
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(ws, { recursive: true, force: true });
});

afterEach(() => assertNoPageErrors(page));

test('a Gemini key entered in the providers list runs the agent on Gemini', async () => {
  await page.locator('.agent-btn').click();
  const panel = page.locator('.agent-panel');
  await panel.waitFor();
  await panel.getByRole('button', { name: 'AI providers' }).click();
  const row = page.locator('.ag-prov[data-provider="gemini"]');
  await row.waitFor();
  assert.match(await row.locator('.ag-prov-name').textContent(), /Google Gemini/);
  await row.getByLabel('gemini API key').fill('AIza-e2e-key');
  await row.getByRole('button', { name: 'Save' }).click();
  await row.locator('.ag-prov-result .ok').waitFor();
  // Bedrock takes a region and a profile instead of a key.
  const bedrock = page.locator('.ag-prov[data-provider="bedrock"]');
  assert.match(await bedrock.locator('.ag-prov-name').textContent(), /Amazon Bedrock/);
  await bedrock.getByLabel('Bedrock region').fill('eu-west-3');
  await bedrock.getByLabel('AWS profile').fill('work');
  await bedrock.getByRole('button', { name: 'Save' }).click();
  await bedrock.locator('.ag-prov-result .ok').waitFor();
  await screenshot(page, 'agent-providers');
  const settings = JSON.parse(readFileSync(join(server.appDir, 'config', 'settings.json'), 'utf8'));
  assert.equal(settings.bedrockRegion, 'eu-west-3');
  assert.equal(settings.bedrockProfile, 'work');
  await page.getByRole('button', { name: 'Close' }).click();

  // Reopened, the key shows as saved, never as its text.
  await panel.getByRole('button', { name: 'AI providers' }).click();
  const again = page.locator('.ag-prov[data-provider="gemini"]');
  assert.equal(await again.getByLabel('gemini API key').inputValue(), '');
  assert.match(await again.getByLabel('gemini API key').getAttribute('placeholder'), /saved|keychain/);
  await page.getByRole('button', { name: 'Close' }).click();

  // With only that key, the default model is Gemini's.
  await panel.locator('.ag-input').fill('say hello');
  await panel.locator('.ag-input').press('Enter');
  await until(async () => (await panel.locator('.ag-md').last().textContent())?.includes('Hello from Gemini.'), 'the streamed answer', 20000);
  assert.equal(await panel.locator('.ag-md strong').last().textContent(), 'Gemini');
  await until(async () => (await panel.locator('.ag-thinking .ag-think-text').last().textContent()) === 'The user says hello.', 'the thoughts shown', 5000);
  const [sent] = llm.requests();
  assert.deepEqual(sent.contents.at(-1), { role: 'user', parts: [{ text: 'say hello' }] }, 'Gemini’s request shape');
  assert.ok(sent.systemInstruction.parts[0].text.length > 0);
  assert.ok(sent.tools[0].functionDeclarations.some((d) => d.name === 'edit_file'));
});
