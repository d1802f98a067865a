// The updater in the real window: a manifest and a signed bundle served on 127.0.0.1
// (fixtures/update: signed once with the test key whose public half is in tauri.conf.json).
// The automatic check finds the update; the download checks its signature; a signature of
// other bytes is refused; and with no server at all nothing is shown.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './driver.mjs';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'update');
const bundle = readFileSync(join(fixtures, 'weft-0.2.0-update.bin'));
const signatures = {
  good: readFileSync(join(fixtures, 'weft-0.2.0-update.bin.sig'), 'utf8'),
  other: readFileSync(join(fixtures, 'not-this-bundle.sig'), 'utf8'),
};

let server, base, ws;
let signature = signatures.good;
const served = [];

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-update-ws-'));
  writeFileSync(join(ws, 'a.txt'), 'a\n');
  server = createServer((req, res) => {
    served.push(req.url);
    if (req.url === '/manifest.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        version: '0.2.0',
        notes: 'Faster start-up.',
        pub_date: '2026-12-01T00:00:00Z',
        platforms: { 'linux-x86_64': { url: `${base}/weft-0.2.0-update.bin`, signature } },
      }));
    } else if (req.url === '/weft-0.2.0-update.bin') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(bundle);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server?.close();
  rmSync(ws, { recursive: true, force: true });
});

/** Clicks the modal button labelled `label`. */
async function press(app, label) {
  await app.find('.modal .btn');
  const clicked = await app.script(
    "const b = [...document.querySelectorAll('.modal .btn')].find((b) => b.textContent === arguments[0]); if (b) b.click(); return !!b;",
    label,
  );
  assert.ok(clicked, `a "${label}" button`);
}

test('an update is found after start, downloaded with its signature checked, and a wrong signature is refused', async () => {
  const app = await launch({ args: [ws], env: { WEFT_UPDATE_URL: `${base}/manifest.json` } });
  try {
    // The quiet check after start-up.
    await app.find('.status-item.update[data-update="available"]', 20000);
    assert.equal(await app.script("return document.querySelector('.status-item.update').textContent"), '⬆ Weft 0.2.0');
    await app.click('.status-item.update');
    await app.find('.modal');
    const offer = await app.script("return document.querySelector('.modal').textContent");
    assert.match(offer, /Weft 0\.2\.0 is available.*You have 0\.1\.0\..*Faster start-up\./s);
    await press(app, 'Download and Install');
    await app.find('.status-item.update[data-update="ready"]');
    assert.ok(served.includes('/weft-0.2.0-update.bin'));
    await app.find('.modal h2');
    assert.match(await app.script("return document.querySelector('.modal h2').textContent"), /Weft 0\.2\.0 is ready/);
    await press(app, 'Later');

    // The same version announced with a valid signature of other bytes: refused, said so.
    signature = signatures.other;
    await app.script("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'P', code: 'KeyP', ctrlKey: true, shiftKey: true, bubbles: true }))");
    const input = await app.find('.palette-input');
    await app.wd('POST', `/element/${input}/value`, { text: 'Check for Updates' });
    await app.click('.palette-item[data-label="Check for Updates…"]');
    await press(app, 'Download and Install');
    await app.find('.status-item.update[data-update="refused"]');
    const error = await app.script("return [...document.querySelectorAll('.toast.error')].map((t) => t.textContent).join('\\n')");
    assert.match(error, /Weft 0\.2\.0 was not installed: the update's signature does not match Weft's key/);
  } finally {
    signature = signatures.good;
    await app.close();
  }
});

test('with no update server, the check at start shows nothing', async () => {
  // A port nothing listens on: the connection is refused at once.
  const closed = createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const app = await launch({ args: [ws], env: { WEFT_UPDATE_URL: `http://127.0.0.1:${port}/manifest.json` } });
  try {
    await app.find('.status-item.update[data-update="unreachable"]', 20000);
    const shown = await app.script("return { modals: document.querySelectorAll('.modal').length, errors: [...document.querySelectorAll('.toast')].map((t) => t.textContent), item: document.querySelector('.status-item.update').textContent }");
    assert.deepEqual(shown, { modals: 0, errors: [], item: '' });
  } finally {
    await app.close();
  }
});
