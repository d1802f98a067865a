// Run and preview end to end: headless Chromium against `weft serve` on a small Node
// project. The package.json script is detected; Run starts it in a terminal tab of its own;
// the port it listens on is noticed and offered; the preview shows the page; saving the
// page's file in the editor reloads the preview; Stop ends the server (its port is free);
// a check's compiler output becomes problems that open the file at their line; a secret
// set in the Environment and Secrets panel reaches the app through its environment.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page;

// The page is read on every request: what the preview shows after a reload is what was saved.
const SERVER = `const http = require('http');
const fs = require('fs');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/html');
  if (req.url === '/about') return res.end('<title>About</title><h1>About page</h1><script>console.error("about failed: " + 42)</script>');
  res.end(fs.readFileSync(__dirname + '/index.html') + '<p id="env">' + process.env.SITE_NAME + '</p><a id="about" href="/about">about</a><script>console.log("page loaded", { v: 1 })</script>');
});
server.listen(0, '127.0.0.1', () => console.log('Server listening on http://localhost:' + server.address().port + '/'));
`;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-run-'));
  writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'site', scripts: { start: 'node server.js' } }, null, 2));
  writeFileSync(join(ws, 'server.js'), SERVER);
  writeFileSync(join(ws, 'index.html'), '<h1>Hello v1</h1>\n');
  mkdirSync(join(ws, 'src'));
  writeFileSync(join(ws, 'src', 'app.ts'), 'export const a = 1;\nconst n: number = "x";\n');
  mkdirSync(join(ws, '.weft'));
  // tsc's own format, printed by a check (the machine's tsc is the UI's; this keeps the
  // test about Weft's side of it).
  writeFileSync(join(ws, '.weft', 'run.json'), JSON.stringify([
    { name: 'check', command: `printf '%s\\n' "src/app.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'."; exit 2`, group: 'test' },
  ]));
  server = await startServe(ws);
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="index.html"]', { width: 1400, height: 860 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

afterEach(() => assertNoPageErrors(page));

const select = () => page.locator('.run-select[aria-label="Run configuration"]');
const frameText = () => page.frameLocator('[data-testid="preview-frame"]').locator('h1').textContent({ timeout: 2000 }).catch(() => null);
const accepts = (port) => new Promise((res) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); res(true); });
  s.once('error', () => res(false));
});

let port;

test('a secret set in the Environment and Secrets panel is stored by name only', async () => {
  await page.keyboard.press('Control+Shift+p');
  await page.locator('.palette-input').fill('Environment and Secrets');
  await page.keyboard.press('Enter');
  const panel = page.locator('.modal[aria-label="Environment and Secrets"]');
  await panel.waitFor();
  await panel.locator('input[aria-label="Variable name"]').fill('SITE_NAME');
  await panel.locator('input[aria-label="Value"]').fill('Weft Demo Site');
  await panel.locator('button', { hasText: 'Set' }).click();
  await panel.locator('.env-row[data-name="SITE_NAME"]').waitFor();
  assert.equal(await panel.locator('.env-row[data-name="SITE_NAME"] .env-val').textContent(), '•••••• (secret)');
  await panel.locator('button', { hasText: 'Close' }).click();
});

test('the detected script runs in its own tab, its port is offered and previewed', async () => {
  await until(async () => (await select().locator('option').allTextContents()).includes('npm: start'), 'the npm script detected');
  const options = await select().locator('option').allTextContents();
  assert.ok(options.includes('check'), `the user's configuration too: ${options}`);
  await select().selectOption('npm: start');
  await page.locator('.run-btn[aria-label="Run"]').click();
  await page.locator('.term-tab', { hasText: 'npm: start' }).waitFor();
  const offer = page.locator('.port-offer');
  await offer.waitFor({ timeout: 20000 });
  port = Number((await offer.textContent()).match(/port (\d+)/)[1]);
  assert.match(await offer.textContent(), /npm: start is listening on port \d+/);
  await offer.locator('button', { hasText: 'Open Preview' }).click();
  await until(async () => (await frameText()) === 'Hello v1', 'the page in the preview', 15000);
  // The app read the secret from its environment.
  assert.equal(await page.frameLocator('[data-testid="preview-frame"]').locator('#env').textContent(), 'Weft Demo Site');
  assert.equal(await page.locator('.preview-address').inputValue(), `http://localhost:${port}/`);
  // The button restarts what runs.
  assert.equal(await page.locator('.run-btn[aria-label="Run"]').textContent(), '↻');
});

test('saving the page in the editor reloads the preview', async () => {
  await page.locator('.tree-row[data-path="index.html"]').click();
  await page.locator('.tab.active[data-path="index.html"]').waitFor();
  const editor = page.locator('.group .pane:not([hidden]) .cm-content');
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('<h1>Hello v2</h1>\n');
  // Not before the save: the server reads the file, and the preview reloads on save.
  assert.equal(await frameText(), 'Hello v1');
  await page.keyboard.press('Control+s');
  await until(async () => (await frameText()) === 'Hello v2', 'the saved page in the preview', 15000);
  await screenshot(page, 'run-preview');
});

test('a change written by another program (the agent, a terminal) reloads it too', async () => {
  writeFileSync(join(ws, 'index.html'), '<h1>Hello v3</h1>\n');
  await until(async () => (await frameText()) === 'Hello v3', 'the page changed on disk, in the preview', 15000);
});

test("the page's console is shown, its links move the address bar, back returns", async () => {
  const head = page.locator('.preview-console-head');
  await until(async () => /^Console \d+/.test(await head.textContent()) && (await page.locator('.preview-console-line').allTextContents()).includes('page loaded {"v":1}'), 'the page\'s console.log in the pane');
  await page.frameLocator('[data-testid="preview-frame"]').locator('#about').click();
  await until(async () => (await page.locator('.preview-address').inputValue()) === `http://localhost:${port}/about`, 'the address bar following the link');
  // An error opens the console and counts.
  await until(async () => (await page.locator('.preview-console-line.error').allTextContents()).includes('about failed: 42'), 'the error in the console');
  assert.match(await head.textContent(), /⊘ 1/);
  await page.locator('.preview-bar button[aria-label="Back"]').click();
  await until(async () => (await page.locator('.preview-address').inputValue()) === `http://localhost:${port}/`, 'back to the first page');
  await until(async () => (await frameText()) === 'Hello v3', 'the first page again');
  await screenshot(page, 'run-console');
});

test('Stop ends the server: the preview says so and the port is free', async () => {
  assert.ok(await accepts(port), 'listening before');
  await page.locator('.run-btn[aria-label="Stop"]').click();
  await page.locator('.preview-down:not([hidden])').waitFor({ timeout: 15000 });
  assert.match(await page.locator('.preview-down').textContent(), new RegExp(`stopped listening on port ${port}`));
  assert.equal(await accepts(port), false, 'the port is free after Stop');
  await page.locator('.term-tab', { hasText: 'npm: start (exited)' }).waitFor();
  assert.equal(await page.locator('.run-btn[aria-label="Run"]').textContent(), '▶');
});

test('a configuration added to .weft/run.json appears in the picker without asking', async () => {
  writeFileSync(join(ws, '.weft', 'run.json'), JSON.stringify([
    { name: 'check', command: `printf '%s\\n' "src/app.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'."; exit 2`, group: 'test' },
    { name: 'lint', command: 'true', group: 'test' },
  ]));
  await until(async () => (await select().locator('option').allTextContents()).includes('lint'), 'the new configuration in the picker');
});

test("a check's compiler errors are problems that open the file at their place", async () => {
  await select().selectOption('check');
  await page.keyboard.press('F5');
  const row = page.locator('.problems-view .problem-row');
  await row.first().waitFor({ timeout: 15000 });
  assert.equal(await page.locator('.side-tab[aria-label="Problems"]').textContent(), '⊘ 1');
  // A run opens its own tab, not a shell's.
  await until(async () => (await page.locator('.term-tab').allTextContents()).join() === 'npm: start (exited),check (exited)', 'the two runs\' tabs, and no other');
  await page.locator('.term-view[data-exited="2"]').waitFor();
  assert.match(await row.first().textContent(), /Type 'string' is not assignable to type 'number'\.src\/app\.ts:2:7/);
  await row.first().click();
  await page.locator('.tab.active[data-path="src/app.ts"]').waitFor();
  await until(async () => (await page.locator('.statusbar .pos').textContent()).includes('Ln 2, Col 7'), 'the cursor at the problem');
  await screenshot(page, 'run-problems');
});
