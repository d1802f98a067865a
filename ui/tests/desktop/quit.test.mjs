// Quit goes through the unsaved-changes prompt and then ends the app: the path the macOS
// menu's Quit (and the Dock's, held back in Rust and handed to the UI) takes, run here from
// the command palette in the real window.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './driver.mjs';

let ws;
before(() => {
  ws = mkdtempSync(join(tmpdir(), 'weft-quit-ws-'));
  writeFileSync(join(ws, 'notes.txt'), 'first line\n');
});
after(() => rmSync(ws, { recursive: true, force: true }));

/** Whether a process of the app opened on this test's folder is running. */
function appRunning() {
  try {
    return execFileSync('pgrep', ['-f', `weft-desktop ${ws}`], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

async function palette(app, label) {
  await app.script("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'P', code: 'KeyP', ctrlKey: true, shiftKey: true, bubbles: true }))");
  const input = await app.find('.palette-input');
  await app.wd('POST', `/element/${input}/value`, { text: label });
  await app.click(`.palette-item[data-label="${label}"]`);
}

async function press(app, label) {
  await app.find('.modal .btn');
  const clicked = await app.script("const b = [...document.querySelectorAll('.modal .btn')].find((b) => b.textContent === arguments[0]); if (b) b.click(); return !!b;", label);
  assert.ok(clicked, `a "${label}" button`);
}

test('Quit asks about unsaved edits, Cancel keeps the window, Save All saves and ends the app', async () => {
  const app = await launch({ args: [ws], env: { WEFT_UPDATE_URL: 'http://127.0.0.1:9/none.json' } });
  try {
    await app.click('.tree-row[data-path="notes.txt"]');
    await app.find('.tab.active[data-path="notes.txt"]');
    const content = await app.find('.pane:not([hidden]) .cm-content');
    await app.wd('POST', `/element/${content}/value`, { text: 'typed ' });
    await app.find('.tab.active.dirty[data-path="notes.txt"]');
    assert.ok(appRunning(), 'the app runs (and pgrep finds it)');

    await palette(app, 'Quit Weft');
    await app.find('.modal');
    assert.match(await app.script("return document.querySelector('.modal').textContent"), /Unsaved changes.*notes\.txt.*Save before closing Weft\?/s);
    await press(app, 'Cancel');
    await app.find('.tab.active.dirty[data-path="notes.txt"]');
    assert.ok(appRunning());

    await palette(app, 'Quit Weft');
    await press(app, 'Save All');
    const end = Date.now() + 15000;
    while (appRunning() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!appRunning(), 'the app ended after the window closed');
    assert.equal(readFileSync(join(ws, 'notes.txt'), 'utf8'), 'typed first line\n');
  } finally {
    await app.close();
  }
});
