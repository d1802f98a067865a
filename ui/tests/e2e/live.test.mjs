// Two Weft processes on loopback, each in its own browser page: the host shares a folder
// and goes on in its own workbench; the guest — another `weft serve` with nothing of the
// host's folder — joins from the invite link and gets the same workbench on the host's
// files (tree, tabs, splits, search, outline, syntax errors), opens one, and both type at
// once. Both converge, each sees the other's named cursor, the participant lists show
// both, follow mode brings the guest to the host's file, and the guest's typing lands on
// the host's disk.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let hostDir, guestDir, host, guest, browser, hp, gp;
const errors = [];

before(async () => {
  hostDir = mkdtempSync(join(tmpdir(), 'weft-e2e-live-host-'));
  guestDir = mkdtempSync(join(tmpdir(), 'weft-e2e-live-guest-'));
  writeFileSync(join(hostDir, 'notes.md'), '# Notes\n');
  mkdirSync(join(hostDir, 'src'));
  writeFileSync(join(hostDir, 'src', 'main.rs'), 'fn main() {}\n');
  writeFileSync(join(hostDir, '.gitignore'), 'secret.env\n');
  writeFileSync(join(hostDir, 'secret.env'), 'KEY=1\n');
  host = await startServe(hostDir);
  guest = await startServe(guestDir);
  browser = await launchBrowser();
  hp = await openPage(browser, host.url, '.tree-row[data-path="notes.md"]');
  gp = await openPage(browser, guest.url, '.topbar');
  // A crashed editor plugin only logs: fail on it.
  for (const p of [hp, gp]) p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
});

after(async () => {
  if (gp) await screenshot(gp, 'live-guest');
  if (hp) await screenshot(hp, 'live-host');
  await browser?.close();
  await host?.stop();
  await guest?.stop();
  rmSync(hostDir, { recursive: true, force: true });
  rmSync(guestDir, { recursive: true, force: true });
});

/** Waits until the live editor of `page` shows `want`; on failure says what it showed. */
async function textIs(page, want, what) {
  await until(async () => (await liveText(page)) === want, what, 15000).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await liveText(page))}`);
  });
}

/** The active editor (one group in these tests). */
const editor = (page) => page.locator('.group .pane:not([hidden]) .cm-content');

// The document's text: each line without the remote carets' widgets (name labels).
const liveText = (page) => editor(page).evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => {
  const c = l.cloneNode(true);
  c.querySelectorAll('.cm-ySelectionCaret').forEach((w) => w.remove());
  return c.textContent;
}).join('\n'));


afterEach(() => assertNoPageErrors(hp, gp));

test('a guest joins from the invite link into the workbench, both edit live, cursors show, the save lands on the host', async () => {
  // Host: its file open in its own editor; share, invite.
  await hp.evaluate(() => localStorage.setItem('weft.collab.name', 'Ada'));
  await hp.locator('.tree-row[data-path="notes.md"]').click();
  await hp.locator('.tab.active[data-path="notes.md"]').waitFor();
  await hp.locator('.share-btn').click();
  await hp.locator('.share-start').click();
  await hp.locator('.share-invite input[type="text"]').fill('Bo');
  await hp.locator('.share-invite').getByRole('button', { name: 'Invite' }).click();
  const row = hp.locator('.share-guest[data-name="Bo"]');
  await row.waitFor();
  const link = await row.getByRole('button', { name: 'Copy invite link' }).getAttribute('title');
  // On the network, encrypted: the link pins the host's certificate.
  const fp = await hp.locator('.share-fp').textContent();
  assert.match(link, new RegExp(`^wss://[0-9.]+:\\d+/\\?token=[0-9a-f]{48}&fp=${fp}$`));
  await hp.getByRole('button', { name: 'Close', exact: true }).click();
  // The host's workbench is the session's: its bar shows who is here.
  await hp.locator('.live-bar .live-person.me').waitFor();

  // Guest: a bad link is refused with a reason; the real one joins.
  await gp.locator('.join-btn').click();
  await gp.locator('.join-link').fill('http://nope');
  await gp.locator('.join-name').fill('Bo');
  await gp.getByRole('button', { name: 'Join', exact: true }).click();
  await until(async () => /invite link/.test(await gp.locator('.join-panel .error').textContent()), 'the bad link refused');
  await gp.locator('.join-link').fill(link);
  await gp.getByRole('button', { name: 'Join', exact: true }).click();
  // The page becomes the workbench on the host's folder: its tree, folders first and
  // closed, without the ignored file; nothing of the host's alone (agent, timeline, share).
  await gp.locator('.live-bar .live-leave').waitFor();
  await gp.locator('.tree-row[data-path="notes.md"]').waitFor();
  const rows = () => gp.locator('.tree-row').evaluateAll((els) => els.map((e) => e.classList.contains('dir') ? `${e.dataset.path}/` : e.dataset.path));
  assert.deepEqual(await rows(), ['src/', '.gitignore', 'notes.md']);
  await gp.locator('.tree-row[data-path="src"]').click();
  await gp.locator('.tree-row[data-path="src/main.rs"]').waitFor();
  assert.deepEqual(await rows(), ['src/', 'src/main.rs', '.gitignore', 'notes.md']);
  for (const gone of ['.share-btn', '.join-btn', '.agent-btn']) assert.equal(await gp.locator(gone).count(), 0, `${gone} is the host's`);
  assert.equal(await gp.locator('.side-tab', { hasText: 'Timeline' }).count(), 0);
  await until(async () => (await gp.locator('.live-status').textContent()) === 'Online', 'the guest online');

  // The participant lists show each other, with the host's open file.
  await gp.locator('.live-person[data-name="Ada"]').waitFor();
  await hp.locator('.live-person[data-name="Bo"]').waitFor();
  // Follow the host: the guest is taken to the host's file.
  await gp.locator('.live-person[data-name="Ada"]').click();
  await gp.locator('.tab.active[data-path="notes.md"]').waitFor();
  await textIs(gp, '# Notes\n', 'the guest sees the text');

  // Typing at once, at both ends of the document.
  await editor(hp).click();
  await hp.keyboard.press('Control+End');
  await editor(gp).click();
  await gp.keyboard.press('Control+Home');
  await Promise.all([hp.keyboard.type('Host line.\n', { delay: 15 }), gp.keyboard.type('Bo was here. ', { delay: 15 })]);
  const want = 'Bo was here. # Notes\nHost line.\n';
  await textIs(hp, want, 'the host converged');
  await textIs(gp, want, 'the guest converged');

  // Each sees the other's named cursor. A participant publishes its cursor while its
  // editor has focus, and one browser focuses one page at a time.
  await gp.bringToFront();
  await editor(gp).click();
  await until(async () => (await hp.locator('.cm-ySelectionInfo').allTextContents()).includes('Bo'), 'Bo\'s cursor at the host');
  await hp.bringToFront();
  await editor(hp).click();
  await until(async () => (await gp.locator('.cm-ySelectionInfo').allTextContents()).includes('Ada'), 'Ada\'s cursor at the guest');
  await screenshot(gp, 'live-guest-editing');
  await screenshot(hp, 'live-host-editing');

  // Saved on the host's disk by the host.
  await until(() => readFileSync(join(hostDir, 'notes.md'), 'utf8') === want, 'the edits on the host\'s disk', 15000);
  // A guest's Ctrl+S says where the saving happens (no local copy is written), and a
  // guest's tab is never marked unsaved.
  await gp.bringToFront();
  await editor(gp).click();
  await gp.keyboard.press('Control+s');
  await gp.getByText('Saved: the host writes shared files').waitFor();
  assert.equal(await gp.locator('.tab.dirty').count(), 0);
  // A split shows the same document, live.
  await gp.keyboard.press('Control+\\');
  await until(async () => (await gp.locator('.group').count()) === 2, 'two groups');
  await gp.keyboard.type('x');
  await until(async () => {
    const texts = await gp.locator('.group .pane:not([hidden]) .cm-content').allTextContents();
    return texts.length === 2 && texts[0] === texts[1] && texts[0].includes('x');
  }, 'both groups show the edit');
  await gp.keyboard.press('Backspace');
  await gp.keyboard.press('Control+w');
  await until(async () => (await gp.locator('.group').count()) === 1, 'back to one group');
  await textIs(hp, want, 'the host has the text without the x');
  assert.deepEqual(errors.filter((e) => /plugin crashed|Uncaught/.test(e)), [], 'no editor errors');
});

test('the guest searches the host\'s files: a hit opens at the match, ignored files never show', async () => {
  await gp.bringToFront();
  const panel = gp.locator('.search-panel');
  await editor(gp).click();
  await gp.keyboard.press('Control+Shift+f');
  await panel.waitFor();
  // Search only: replacing is the host's.
  assert.equal(await panel.getByRole('button', { name: 'Replace…' }).count(), 0);
  const status = panel.locator('.search-status');
  await panel.getByRole('textbox', { name: 'Search' }).fill('fn main');
  await until(async () => (await status.textContent()) === '1 result in 1 file', 'the host\'s hit');
  assert.deepEqual(await panel.locator('.search-file-name').evaluateAll((els) => els.map((e) => e.title)), ['src/main.rs']);
  // The host's ignored file is not searched for a guest, even when named.
  await panel.getByRole('textbox', { name: 'Search' }).fill('KEY');
  await panel.getByRole('textbox', { name: 'Files to include' }).fill('*.env');
  await until(async () => (await status.textContent()) === 'No results', 'nothing from the ignored file');
  await panel.getByRole('textbox', { name: 'Files to include' }).fill('');
  await panel.getByRole('textbox', { name: 'Search' }).fill('main');
  await panel.locator('.search-line[data-path="src/main.rs"]').click();
  await gp.locator('.tab.active[data-path="src/main.rs"]').waitFor();
  // The editor has focus and mirrors its selection in the page's.
  const selected = () => gp.evaluate(() => window.getSelection()?.toString());
  await until(async () => (await selected()) === 'main', 'the match selected').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await selected())}`);
  });
  // The host's tree-sitter errors show in the guest's editor, and follow its typing.
  writeFileSync(join(hostDir, 'src', 'broken.rs'), 'fn broken( {\n');
  await panel.getByRole('textbox', { name: 'Search' }).fill('broken');
  await panel.locator('.search-line[data-path="src/broken.rs"]').click();
  await gp.locator('.tab.active[data-path="src/broken.rs"]').waitFor();
  await gp.locator('.pane:not([hidden]) .cm-lint-marker-error').first().waitFor();
  await screenshot(gp, 'live-guest-search');
  await gp.keyboard.press('Control+a');
  await gp.keyboard.type('fn fixed() {}\n');
  await until(async () => (await gp.locator('.pane:not([hidden]) .cm-lint-marker-error').count()) === 0, 'the error gone once fixed');
  await until(() => readFileSync(join(hostDir, 'src', 'broken.rs'), 'utf8') === 'fn fixed() {}\n', 'the fix on the host\'s disk', 15000);
  // The outline follows the document: the function typed a moment ago, and a click goes there.
  await gp.locator('.side-tab', { hasText: 'Outline' }).click();
  await gp.locator('.outline-item[data-name="fixed"]').waitFor();
  await editor(gp).click();
  await gp.keyboard.press('Control+End');
  await gp.keyboard.type('fn later() {}\n');
  await gp.locator('.outline-item[data-name="later"]').waitFor();
  await gp.locator('.outline-item[data-name="fixed"]').click();
  await until(async () => (await gp.locator('.outline-item.current').getAttribute('data-name')) === 'fixed', 'the cursor on fixed');
  await screenshot(gp, 'live-guest-outline');
  // The problems count in the status bar is the host's analysis too.
  assert.equal(await gp.locator('.status-item.problems').textContent(), '');
  // Go to symbol in the workspace (Ctrl+T) and to a file (Ctrl+P): the host's index and list.
  await gp.keyboard.press('Control+t');
  await gp.locator('.palette-input').fill('main');
  await gp.locator('.palette-item[data-label="main"]').waitFor();
  await gp.keyboard.press('Enter');
  await gp.locator('.tab.active[data-path="src/main.rs"]').waitFor();
  await gp.keyboard.press('Control+p');
  await gp.locator('.palette-input').fill('broken');
  await gp.locator('.palette-item[data-label="src/broken.rs"]').waitFor();
  await gp.keyboard.press('Escape');
  // The host's git status, read-only: the tree coloured, the panel without a commit box.
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: hostDir });
  await gp.keyboard.press('Control+Shift+g');
  await gp.locator('.scm-file[data-path="notes.md"][data-group="untracked"]').waitFor();
  assert.equal(await gp.locator('.scm-message').count(), 0, 'no commit box for a guest');
  assert.equal(await gp.locator('.scm-file[data-path="secret.env"]').count(), 0, 'ignored: not shared');
  // Back to the files and to notes.md for the tests after this one.
  await gp.locator('.side-tab', { hasText: 'Explorer' }).click();
  await until(async () => (await gp.locator('.tree-row[data-path="notes.md"]').getAttribute('data-git')) === 'untracked', 'the guest\'s tree coloured');
  await gp.locator('.tree-row[data-path="notes.md"]').click();
  await gp.locator('.tab.active[data-path="notes.md"]').waitFor();
});

test('a sed on the host while both type: the host, the guest and the file end with the same text, nothing twice', async () => {
  const file = join(hostDir, 'notes.md');
  await hp.bringToFront();
  await editor(hp).click();
  await hp.keyboard.press('Control+End');
  await editor(gp).click();
  await gp.keyboard.press('Control+Home');
  // Another program rewrites the file while both type (and before the host's quiet save).
  const sed = (async () => {
    await new Promise((r) => setTimeout(r, 120));
    execFileSync('sed', ['-i', 's/# Notes/# Notes (by sed)/', file]);
  })();
  await Promise.all([hp.keyboard.type('Host again.\n', { delay: 20 }), gp.keyboard.type('Bo again. ', { delay: 20 }), sed]);
  await until(async () => {
    const [h, g, disk] = [await liveText(hp), await liveText(gp), readFileSync(file, 'utf8')];
    return h === g && g === disk && disk.includes('(by sed)') ? disk : false;
  }, 'host, guest and disk agree', 20000).catch(async (e) => {
    throw new Error(`${e.message}: host ${JSON.stringify(await liveText(hp))}, guest ${JSON.stringify(await liveText(gp))}, disk ${JSON.stringify(readFileSync(file, 'utf8'))}`);
  });
  const text = readFileSync(file, 'utf8');
  for (const typed of ['Host again.\n', 'Bo again. ', '(by sed)', 'Host line.\n', 'Bo was here. ']) {
    assert.equal(text.split(typed).length - 1, 1, `${JSON.stringify(typed)} once in ${JSON.stringify(text)}`);
  }
});

// The guest's view of a shared terminal (xterm's DOM rows).
const guestTerminal = () => gp.locator('.live-terminals .xterm-rows').evaluate((el) => [...el.children].map((r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n'));

test('the host shares a terminal: the guest watches it, and types once allowed', async () => {
  await hp.bringToFront();
  await hp.keyboard.press('Control+Backquote');
  await hp.locator('.term-view[data-terminal-id]').waitFor();
  await hp.locator('.share-btn').click();
  const share = hp.locator('.share-terminal').first();
  await share.locator('.share-term').check();
  await until(async () => await share.locator('.share-term-write').isEnabled(), 'the terminal shared');
  await hp.getByRole('button', { name: 'Close', exact: true }).click();

  // The guest's terminal panel lists it, read-only; opened, it shows what runs in it.
  await gp.bringToFront();
  await gp.locator('.statusbar').getByRole('button', { name: /Terminal/ }).click();
  const row = gp.locator('.live-term');
  await row.waitFor();
  assert.match(await row.textContent(), /read-only/);
  await row.click();
  const tab = gp.locator('.live-terminals .term-tab');
  await tab.waitFor();
  assert.match(await tab.textContent(), /read-only/);
  await gp.locator('.live-terminals .xterm-rows').waitFor();
  await hp.bringToFront();
  await hp.locator('.terminal-panel .xterm').click();
  await hp.keyboard.type('echo from-host-$((6*7))');
  await hp.keyboard.press('Enter');
  await until(async () => (await guestTerminal()).includes('from-host-42'), 'the host\'s output at the guest', 15000);

  // Read-only: the guest's typing goes nowhere.
  await gp.bringToFront();
  await gp.locator('.live-terminals .xterm').click();
  await gp.keyboard.type('echo nope-$((1+1))');
  await gp.keyboard.press('Enter');
  // Then the host runs a command; once its output reached the guest, anything the guest's
  // keys had run would have printed first.
  await hp.bringToFront();
  await hp.locator('.terminal-panel .xterm').click();
  await hp.keyboard.type('echo hostmark-$((5+5))');
  await hp.keyboard.press('Enter');
  await until(async () => (await guestTerminal()).includes('hostmark-10'), 'the host\'s marker at the guest', 15000);
  assert.ok(!(await guestTerminal()).includes('nope-2'), 'a read-only terminal took the guest\'s keys');
  await gp.bringToFront();

  // Allowed to type: the guest's command runs in the host's shell.
  await hp.locator('.share-btn').click();
  await hp.locator('.share-terminal .share-term-write').first().check();
  await hp.getByRole('button', { name: 'Close', exact: true }).click();
  await until(async () => !/read-only/.test(await tab.textContent()), 'the guest told it may type');
  await gp.locator('.live-terminals .xterm').click();
  await gp.keyboard.type('echo from-guest-$((2+3))');
  await gp.keyboard.press('Enter');
  await until(async () => (await guestTerminal()).includes('from-guest-5'), 'the guest\'s command ran', 15000);
  await screenshot(gp, 'live-guest-terminal');
});

test('the host shares its running app: the guest previews it through the host', async () => {
  // The host's app: a page on a local port of the host's machine.
  const app = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<title>shop</title><h1 id="hello">Hello from the host's app</h1><p id="path">${req.method} ${req.url}</p>`);
  });
  await new Promise((res) => app.listen(0, '127.0.0.1', res));
  const port = app.address().port;
  try {
    await hp.bringToFront();
    await hp.keyboard.press('Control+Shift+p');
    await hp.locator('.palette-input').fill('Preview: Open');
    await hp.keyboard.press('Enter');
    await hp.locator('.palette-input').fill(`http://localhost:${port}/`);
    await hp.keyboard.press('Enter');
    const hostFrame = hp.frameLocator('[data-testid="preview-frame"]');
    await until(async () => (await hostFrame.locator('#hello').textContent({ timeout: 1000 }).catch(() => null)) === "Hello from the host's app", 'the host\'s preview', 15000);
    await hp.locator('button[aria-label^="Share this preview"]').click();
    await until(async () => (await hp.locator('.preview-bar .run-btn.on').count()) === 1, 'the share button on', 5000);

    // The guest's bar offers it; opened, the page comes through the guest's own app and the
    // session, never from the host's port directly.
    await gp.bringToFront();
    const offer = gp.locator('.live-preview');
    await offer.waitFor({ timeout: 10000 });
    assert.match(await offer.textContent(), new RegExp(`port ${port}`));
    await offer.click();
    const guestFrame = gp.frameLocator('[data-testid="preview-frame"]');
    await until(async () => (await guestFrame.locator('#hello').textContent({ timeout: 1000 }).catch(() => null)) === "Hello from the host's app", 'the host\'s app in the guest\'s preview', 15000);
    const src = await gp.locator('[data-testid="preview-frame"]').getAttribute('src');
    assert.ok(!src.includes(`:${port}/`), `relayed by the guest's app, not the host's port: ${src}`);
    assert.equal(await gp.locator('.preview-address').inputValue(), `http://localhost:${port}/`);
    await screenshot(gp, 'live-guest-preview');

    // Unshared: the guest's preview says so on its next load.
    await hp.bringToFront();
    await hp.locator('button[aria-label^="Share this preview"]').click();
    await until(async () => (await hp.locator('.preview-bar .run-btn.on').count()) === 0, 'the share button off', 5000);
    await gp.bringToFront();
    await offer.waitFor({ state: 'detached', timeout: 10000 });
    await gp.locator('.preview-bar button[aria-label="Reload"]').click();
    await until(async () => /not shared with guests/.test((await guestFrame.locator('body').textContent({ timeout: 1000 }).catch(() => '')) ?? ''), 'the guest told it is no longer shared', 15000);
    await gp.locator('.preview-bar button[aria-label="Close the preview"]').click();
    await hp.bringToFront();
    await hp.locator('.preview-bar button[aria-label="Close the preview"]').click();
  } finally {
    app.close();
  }
});

test('a read-only guest cannot type; a removed guest is told', async () => {
  const row = hp.locator('.share-guest[data-name="Bo"]');
  // The host left its live view in the test before; the share panel is in its workbench.
  await hp.bringToFront();
  await hp.locator('.share-btn').click();
  await row.getByRole('combobox').selectOption('ro');
  await until(async () => (await row.getByRole('combobox').inputValue()) === 'ro', 'the role change');
  // The guest's next connection is told it is read-only: leave (back to its own folder)
  // and join again.
  await gp.locator('.live-bar .live-leave').click();
  await gp.locator('.join-btn').click();
  await gp.locator('.join-link').fill(await row.getByRole('button', { name: 'Copy invite link' }).getAttribute('title'));
  await gp.getByRole('button', { name: 'Join', exact: true }).click();
  await gp.locator('.tree-row[data-path="notes.md"]').click();
  await until(async () => (await gp.locator('.live-status').textContent()) === 'Read-only', 'told it is read-only');
  const before = readFileSync(join(hostDir, 'notes.md'), 'utf8');
  // The reopened room fills in from the host as its connection comes up.
  await textIs(gp, before, 'the guest has the text again');
  await editor(gp).click();
  await gp.keyboard.type('nope');
  assert.equal(await liveText(gp), before, 'the editor refused the typing');

  await row.getByRole('button', { name: 'Remove' }).click();
  await until(async () => (await gp.locator('.live-status').textContent()) === 'Removed by the host', 'told it was removed');
});
