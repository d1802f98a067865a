// Share from the app: in headless Chromium against `weft serve`, the host starts sharing
// and invites a guest; the guest — the real yjs + y-websocket packages — edits the open
// file, the edit is saved to the host's disk and shows in the host's editor; made
// read-only, the guest's edits are refused; removed, the guest is disconnected.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-share-'));
  writeFileSync(join(ws, 'notes.md'), '# Notes\n');
  server = await startServe(ws);
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="notes.md"]');
});

after(async () => {
  await screenshot(page, 'share');
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const editorText = () => page.locator('.group .pane:not([hidden]) .cm-content').first().evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));


afterEach(() => assertNoPageErrors(page));

test('share, invite, a guest edits the open file, read-only refuses, remove disconnects', async () => {
  await page.locator('.tree-row[data-path="notes.md"]').click();
  await page.locator('.tab.active[data-path="notes.md"]').waitFor();
  await page.locator('.share-btn').click();
  // Plain ws:// on loopback, for the Node Yjs client (the encrypted mode is in live.test).
  await page.locator('.share-local').check();
  await page.locator('.share-start').click();
  const url = await page.locator('.share-url').textContent();
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  await page.locator('.share-invite input[type="text"]').fill('Ada');
  await page.locator('.share-invite').getByRole('button', { name: 'Invite' }).click();
  const row = page.locator('.share-guest[data-name="Ada"]');
  await row.waitFor();
  const token = await row.locator('.share-token').textContent();
  assert.equal(await page.locator('.share-btn').textContent(), 'Sharing');

  const doc = new Y.Doc();
  const text = doc.getText('content');
  const guest = new WebsocketProvider(url, 'file/notes.md', doc, { params: { token }, WebSocketPolyfill: WebSocket, disableBc: true });
  try {
    await until(() => guest.synced, 'the guest synced');
    assert.equal(text.toString(), '# Notes\n');
    text.insert(text.length, 'Written by Ada.\n');
    // Saved to the host's disk, and shown in the host's editor.
    await until(() => readFileSync(join(ws, 'notes.md'), 'utf8') === '# Notes\nWritten by Ada.\n', 'the save on disk', 15000);
    await until(async () => (await editorText()) === '# Notes\nWritten by Ada.\n', 'the edit in the host editor', 15000);

    // Read-only: the host refuses the guest's edits.
    await row.getByRole('combobox').selectOption('ro');
    await until(async () => (await row.getByRole('combobox').inputValue()) === 'ro', 'the role change');
    // Another participant watches: the guest's presence, sent after the edit on the same
    // connection, reaches it once the host has handled the edit.
    const watchDoc = new Y.Doc();
    const watcher = new WebsocketProvider(url, 'file/notes.md', watchDoc, { params: { token }, WebSocketPolyfill: WebSocket, disableBc: true });
    try {
      await until(() => watcher.synced, 'the watcher synced');
      text.insert(0, 'SNEAKY ');
      guest.awareness.setLocalStateField('user', { name: 'after-sneaky' });
      await until(() => [...watcher.awareness.getStates().values()].some((s) => s.user?.name === 'after-sneaky'), 'the marker at the watcher');
      assert.equal(watchDoc.getText('content').toString(), '# Notes\nWritten by Ada.\n', 'the host took a read-only edit');
      assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), '# Notes\nWritten by Ada.\n');
    } finally {
      watcher.destroy();
      watchDoc.destroy();
    }

    // Removed: the connection closes and the token no longer works.
    let closed = false;
    guest.on('connection-close', () => (closed = true));
    await row.getByRole('button', { name: 'Remove' }).click();
    await until(() => closed, 'the guest disconnected');
    await page.locator('.share-guest[data-name="Ada"]').waitFor({ state: 'detached' });
  } finally {
    // The doc owns the awareness timer: destroying it lets the process exit.
    guest.destroy();
    doc.destroy();
  }
});
