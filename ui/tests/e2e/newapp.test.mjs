// The app-building loop end to end, as the run-and-preview issue's "done when" puts it: a
// project made from a template (`weft new node-express`, its npm install included), a secret
// given to it (`weft env set`, from stdin), run from the UI against `weft serve`, seen in the
// preview, changed through the agent (the scripted model server edits app.js), and the
// change seen: node --watch restarts the server, the preview notices the port come back and
// shows the new page, which reads the secret from its environment.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { startServe, startFakeLlm, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors, weftBinary } from './harness.mjs';

let parent, ws, llm, server, browser, page, port;
const SECRET = 'greeting-from-the-keychain-3f9c';

const freePort = () => new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});

before(async () => {
  parent = mkdtempSync(join(tmpdir(), 'weft-e2e-newapp-'));
  const cfg = join(parent, 'cli-config');
  execFileSync(weftBinary(), ['new', 'node-express', 'shop'], { cwd: parent, env: { ...process.env, WEFT_CONFIG_DIR: cfg }, stdio: ['ignore', 'ignore', 'inherit'] });
  ws = join(parent, 'shop');
  llm = await startFakeLlm({
    format: 'anthropic',
    replies: [
      { text: 'Adding a home page that greets with GREETING.', tools: [{ id: 'tu_1', name: 'edit_file', input: { path: 'app.js', old_string: 'const todos = [];', new_string: "app.get('/', (_req, res) => res.send(`<h1>Hello, ${process.env.GREETING}</h1>`));\n\nconst todos = [];" } }] },
      { text: 'Done: `/` greets you.' },
    ],
  });
  server = await startServe(ws, {
    settings: { agentModel: 'anthropic:claude-test', checkpointQuietMs: 300 },
    env: { ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'sk-fake-e2e' },
  });
  // The secret and the port, from the command line, into the store the server reads.
  port = await freePort();
  const env = { ...process.env, WEFT_CONFIG_DIR: join(server.appDir, 'config'), WEFT_DATA_DIR: join(server.appDir, 'data') };
  execFileSync(weftBinary(), ['env', '-C', ws, 'set', 'GREETING'], { env, input: `${SECRET}\n` });
  execFileSync(weftBinary(), ['env', '-C', ws, 'set', '--plain', 'PORT'], { env, input: String(port) });
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="app.js"]', { width: 1400, height: 860 });
});

after(async () => {
  await screenshot(page, 'newapp');
  await browser?.close();
  await server?.stop();
  llm?.stop();
  rmSync(parent, { recursive: true, force: true });
});

const frame = () => page.frameLocator('[data-testid="preview-frame"]');
const frameText = () => frame().locator('body').textContent({ timeout: 2000 }).catch(() => null);

test('made from a template, run, previewed, changed by the agent, seen changed, with its secret', async () => {
  const select = page.locator('.run-select[aria-label="Run configuration"]');
  await until(async () => (await select.locator('option').allTextContents()).includes('npm: start'), 'the template\'s start script');
  await select.selectOption('npm: start');
  await page.locator('.run-btn[aria-label="Run"]').click();
  const offer = page.locator('.port-offer');
  await offer.waitFor({ timeout: 20000 });
  assert.match(await offer.textContent(), new RegExp(`port ${port}`), 'the port from the project\'s environment');
  await offer.locator('button', { hasText: 'Open Preview' }).click();
  // Express has no page at / yet.
  await until(async () => /Cannot GET \//.test((await frameText()) ?? ''), 'Express\'s own 404 in the preview', 15000);

  await page.keyboard.press('Control+Alt+i');
  const input = page.locator('.ag-input');
  await input.waitFor();
  await input.fill('add a home page that greets with GREETING');
  await page.keyboard.press('Enter');
  await until(() => readFileSync(join(ws, 'app.js'), 'utf8').includes("app.get('/'"), 'the agent\'s edit on disk', 20000);
  // node --watch restarts the server; the preview reloads when it listens again.
  await until(async () => (await frame().locator('h1').textContent({ timeout: 1000 }).catch(() => null)) === `Hello, ${SECRET}`, 'the new page, with the secret, in the preview', 30000);
  // The model never saw the secret.
  assert.ok(!JSON.stringify(llm.requests()).includes(SECRET));
  assertNoPageErrors(page);
});
