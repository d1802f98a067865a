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
      { tools: [{ id: 'tu_s1', name: 'preview_screenshot', input: { path: '/todos' } }] },
      { tools: [{ id: 'tu_s2', name: 'preview_screenshot', input: { path: '/' } }] },
      { text: 'The list is empty and the home page greets.' },
      { text: 'A single pixel, and your app.' },
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

/** The image blocks of a request's last message. */
const lastImages = (req) => req.messages.at(-1).content.filter((b) => b.type === 'image');

test('the agent looks at the running app; a page showing a secret is not sent as a picture', async () => {
  const input = page.locator('.ag-input');
  await input.fill('look at the todo list and the home page');
  await page.keyboard.press('Enter');
  const shots = page.locator('.ag-tool[data-tool="preview_screenshot"]');
  await until(async () => (await shots.count()) === 2 && !(await page.locator('.agent-panel.running').count()), 'both screenshots taken and the turn over', 40000);
  // The JSON page: its picture is in the card and went to the model.
  await shots.first().locator('img.ag-thumb').waitFor();
  const reqs = llm.requests();
  const afterFirst = reqs.find((r) => JSON.stringify(r.messages.at(-1)).includes('tu_s1'));
  assert.equal(lastImages(afterFirst).length, 1, 'the screenshot of /todos reached the model');
  assert.equal(lastImages(afterFirst)[0].source.media_type, 'image/png');
  // The greeting shows the secret: no picture, and the model is told why.
  assert.equal(await shots.nth(1).locator('img.ag-thumb').count(), 0);
  assert.match(await shots.nth(1).locator('.ag-tool-out').textContent(), /The picture was not sent: the page shows one of the project's secrets/);
  const afterSecond = reqs.find((r) => JSON.stringify(r.messages.at(-1)).includes('tu_s2'));
  assert.equal(lastImages(afterSecond).length, 0);
  assert.ok(!JSON.stringify(reqs).includes(SECRET));
  assertNoPageErrors(page);
});

test('a pasted image and a screenshot of the preview go with the prompt', async () => {
  const input = page.locator('.ag-input');
  await input.fill('what are these?');
  // A real PNG pasted from the clipboard.
  await input.evaluate((el) => {
    const bytes = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'pixel.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  const tray = page.locator('.ag-composer .ag-images');
  await tray.locator('img.ag-thumb').first().waitFor();
  await page.locator('button[aria-label="Attach a screenshot of the preview"]').click();
  await until(async () => (await tray.locator('img.ag-thumb').count()) === 2, 'the preview\'s screenshot in the tray', 30000);
  // One removed and put back by attaching again: × works.
  await tray.locator('.ag-image-x').nth(1).click();
  assert.equal(await tray.locator('img.ag-thumb').count(), 1);
  await page.locator('button[aria-label="Attach a screenshot of the preview"]').click();
  await until(async () => (await tray.locator('img.ag-thumb').count()) === 2, 'attached again', 30000);
  const before = llm.requests().length;
  await input.press('Enter');
  await until(async () => !(await page.locator('.agent-panel.running').count()) && llm.requests().length > before, 'the answer', 20000);
  assert.ok(await tray.isHidden(), 'the tray is emptied by sending');
  assert.equal(await page.locator('.ag-turn').last().locator('.ag-images.sent img').count(), 2, 'the sent turn shows its pictures');
  const sent = llm.requests().at(-1).messages.at(-1).content;
  assert.deepEqual(sent.map((b) => b.type), ['text', 'image', 'image']);
  assert.equal(sent[1].source.data, 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==');
  assert.ok(sent[2].source.data.length > 1000, 'a real screenshot');
  assertNoPageErrors(page);
});
