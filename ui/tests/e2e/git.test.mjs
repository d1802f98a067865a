// Git end to end: headless Chromium against `weft serve` on a real repository. An edit made
// in the editor shows in the Source Control panel and colours the tree and the tab; its
// diff opens side by side; staging and Ctrl+Enter commit it (`git log` has the commit);
// the gutter marks changed lines as you type, and stages or reverts one hunk;
// a file changed by another program shows up; a discard asks first, puts the file back
// and keeps what it held in a checkpoint; a new branch is switched to, renamed and deleted;
// a merge conflict is resolved in the editor with "Accept Both" and committed; History
// lists the commits, opens one's files and diff, and a file's own history; blame shows
// each line's commit in the gutter and opens it.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServe, launchBrowser, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page;
const git = (...args) => execFileSync('git', args, { cwd: ws, encoding: 'utf8' });

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-git-'));
  writeFileSync(join(ws, 'app.js'), 'let x = 1;\n');
  writeFileSync(join(ws, 'README.md'), '# Demo\n');
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Ada');
  git('config', 'user.email', 'ada@example.com');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  server = await startServe(ws);
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="app.js"]', { width: 1280, height: 800 });
});

after(async () => {
  await screenshot(page, 'git-panel');
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});

afterEach(() => assertNoPageErrors(page));

const panel = () => page.locator('.scm');
const row = (group, path) => panel().locator(`.scm-file[data-group="${group}"][data-path="${path}"]`);

test('edit, see it in the panel, tree and tab, diff it, stage it and commit with Ctrl+Enter', async () => {
  await page.locator('.tree-row[data-path="app.js"]').click();
  await page.locator('.tab.active[data-path="app.js"]').waitFor();
  await page.keyboard.press('Control+Shift+g');
  await panel().waitFor();
  await until(async () => /⎇ main/.test(await panel().locator('.scm-branch').textContent()), 'the branch shown');
  assert.equal(await panel().locator('.scm-clean').textContent(), 'No changes.');

  // Typed in the editor and saved: a change to a tracked file.
  await page.locator('.group .pane:not([hidden]) .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('let y = 2;\n');
  await page.keyboard.press('Control+s');
  await row('changes', 'app.js').waitFor();
  assert.equal(await row('changes', 'app.js').locator('.scm-letter').textContent(), 'M');
  await until(async () => (await page.locator('.tree-row[data-path="app.js"]').getAttribute('data-git')) === 'modified', 'the tree coloured');
  assert.equal(await page.locator('.tab[data-path="app.js"]').getAttribute('data-git'), 'modified');

  // The diff, side by side: the committed text and the file on disk.
  await row('changes', 'app.js').click();
  const merge = page.locator('.scm-diff .cm-mergeView');
  await merge.waitFor();
  const sides = await merge.evaluate((el) => [...el.querySelectorAll('.cm-editor')].map((e) => [...e.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n')));
  assert.deepEqual(sides, ['let x = 1;\n', 'let x = 1;\nlet y = 2;\n']);
  await screenshot(page, 'git-diff');
  await page.getByRole('button', { name: 'Close', exact: true }).click();

  // Another program adds a file: it shows as untracked.
  writeFileSync(join(ws, 'notes.txt'), 'from a terminal\n');
  await row('untracked', 'notes.txt').waitFor();

  // Stage app.js only, commit with Ctrl+Enter.
  await row('changes', 'app.js').hover();
  await row('changes', 'app.js').getByRole('button', { name: 'Stage', exact: true }).click();
  await row('staged', 'app.js').waitFor();
  assert.equal(await panel().locator('.scm-commit').textContent(), 'Commit');
  await panel().getByRole('textbox', { name: 'Commit message' }).fill('Add y');
  await panel().getByRole('textbox', { name: 'Commit message' }).press('Control+Enter');
  await until(async () => (await row('staged', 'app.js').count()) === 0, 'the staged change committed');
  assert.equal(git('log', '--format=%s').trim(), 'Add y\nfirst');
  assert.equal(git('show', 'HEAD:app.js'), 'let x = 1;\nlet y = 2;\n');
  assert.equal(await panel().getByRole('textbox', { name: 'Commit message' }).inputValue(), '', 'the box cleared');
  // notes.txt was not staged: still untracked, not committed.
  await row('untracked', 'notes.txt').waitFor();
  await until(async () => (await page.locator('.tree-row[data-path="app.js"]').getAttribute('data-git')) === null, 'the tree plain again');
});

test('the gutter marks changed lines as you type; one hunk is staged from it, another reverted', async () => {
  writeFileSync(join(ws, 'list.txt'), Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  git('add', 'list.txt');
  git('commit', '-q', '-m', 'list');
  await page.locator('.side-tab', { hasText: 'Explorer' }).click();
  await page.locator('.tree-row[data-path="list.txt"]').click();
  await page.locator('.tab.active[data-path="list.txt"]').waitFor();
  const pane = page.locator('.group .pane:not([hidden])');
  await pane.locator('.cm-git-gutter').waitFor();
  assert.equal(await pane.locator('.cm-git-mark').count(), 0, 'no marks on a clean file');
  // Two separate edits, unsaved: the gutter follows the editor, not the disk.
  await pane.locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('End');
  await page.keyboard.type(' changed');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('line 31\n');
  await until(async () => (await pane.locator('.cm-git-modified').count()) === 1 && (await pane.locator('.cm-git-added').count()) === 1, 'a changed and an added line marked');
  await screenshot(page, 'git-gutter');
  // Stage the first hunk from its popup: the index holds exactly that change.
  await pane.locator('.cm-git-modified').click();
  await page.locator('.cm-git-hunk').waitFor();
  assert.equal(await page.locator('.cm-git-old').textContent(), 'line 1');
  await page.locator('.cm-git-stage').click();
  await until(() => git('show', ':list.txt').startsWith('line 1 changed\n'), 'the hunk staged');
  assert.equal(git('show', ':list.txt'), git('show', 'HEAD:list.txt').replace('line 1\n', 'line 1 changed\n'), 'only that hunk');
  // The staged hunk is no longer marked; the added line still is. Revert it from its popup.
  await until(async () => (await pane.locator('.cm-git-modified').count()) === 0, 'the staged hunk unmarked');
  await pane.locator('.cm-git-added').click();
  await page.locator('.cm-git-revert').click();
  await until(async () => (await pane.locator('.cm-git-mark').count()) === 0, 'nothing left to mark');
  const text = await pane.locator('.cm-content').evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));
  assert.ok(!text.includes('line 31') && text.startsWith('line 1 changed'), text);
  // Undo brings the reverted line back (a revert is an edit like any other).
  await page.keyboard.press('Control+z');
  await until(async () => (await pane.locator('.cm-git-added').count()) === 1, 'the revert undone');
  await page.keyboard.press('Control+s');
  // Saved: staged (the first hunk) and changed (the line added) at once.
  await page.keyboard.press('Control+Shift+g');
  await row('changes', 'list.txt').waitFor();
  await row('staged', 'list.txt').waitFor();
});

test('a discard asks, puts the file back, and the checkpoint keeps what it held', async () => {
  await page.keyboard.press('Control+Shift+g');
  writeFileSync(join(ws, 'README.md'), '# Demo\nwork that will be discarded\n');
  await row('changes', 'README.md').waitFor();
  await row('changes', 'README.md').hover();
  await row('changes', 'README.md').getByRole('button', { name: 'Discard changes' }).click();
  // Cancel first: nothing happens.
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(readFileSync(join(ws, 'README.md'), 'utf8'), '# Demo\nwork that will be discarded\n');
  await row('changes', 'README.md').hover();
  await row('changes', 'README.md').getByRole('button', { name: 'Discard changes' }).click();
  await page.getByRole('button', { name: 'Discard', exact: true }).click();
  await until(async () => (await row('changes', 'README.md').count()) === 0, 'the change gone from the panel');
  assert.equal(readFileSync(join(ws, 'README.md'), 'utf8'), '# Demo\n');
  // The untracked file can go too (deleted).
  await row('untracked', 'notes.txt').hover();
  await row('untracked', 'notes.txt').getByRole('button', { name: 'Discard changes' }).click();
  await page.getByRole('button', { name: 'Discard', exact: true }).click();
  await until(() => !existsSync(join(ws, 'notes.txt')), 'the untracked file deleted');
  // The timeline has the checkpoint taken before the first discard.
  await page.locator('.side-tab', { hasText: 'Timeline' }).click();
  await page.locator('.cp-item .cp-title', { hasText: 'Before discarding the changes to README.md' }).waitFor();
});

test('a new branch from the branch menu is checked out', async () => {
  await page.keyboard.press('Control+Shift+g');
  await panel().locator('.scm-branch').click();
  await page.getByRole('menuitem', { name: '+ New branch…' }).click();
  await page.locator('.modal-input').fill('feature/x');
  await page.keyboard.press('Enter');
  await until(async () => /⎇ feature\/x/.test(await panel().locator('.scm-branch').textContent()), 'on the new branch');
  assert.equal(git('branch', '--show-current').trim(), 'feature/x');
  await panel().locator('.scm-branch').click();
  await page.locator('.scm-branches .scm-branch-row[data-branch="main"] .menu-item').click();
  await until(async () => /⎇ main/.test(await panel().locator('.scm-branch').textContent()), 'back on main');
});

test('publish, fetch and pull against a remote, from the panel', async () => {
  const remote = mkdtempSync(join(tmpdir(), 'weft-e2e-git-remote-'));
  const other = mkdtempSync(join(tmpdir(), 'weft-e2e-git-other-'));
  try {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    git('remote', 'add', 'origin', remote);
    await page.keyboard.press('Control+Shift+g');
    await until(async () => /no upstream/.test(await panel().locator('.scm-head').textContent()), 'no upstream yet');
    await panel().getByRole('button', { name: 'Publish the branch to origin' }).click();
    await until(async () => /↑0 ↓0/.test(await panel().locator('.scm-ab').textContent().catch(() => '')), 'published: tracking origin/main');
    assert.match(execFileSync('git', ['ls-remote', remote], { encoding: 'utf8' }), /refs\/heads\/main/);
    // Someone else pushes a commit; Fetch shows it waiting, Pull brings it.
    execFileSync('git', ['clone', '-q', remote, other]);
    writeFileSync(join(other, 'theirs.txt'), 'from elsewhere\n');
    execFileSync('git', ['-C', other, 'add', 'theirs.txt']);
    execFileSync('git', ['-C', other, '-c', 'user.name=Bo', '-c', 'user.email=bo@b', 'commit', '-q', '-m', 'theirs']);
    execFileSync('git', ['-C', other, 'push', '-q']);
    await panel().getByRole('button', { name: 'Fetch (see what the remote has)' }).click();
    await until(async () => /↑0 ↓1/.test(await panel().locator('.scm-ab').textContent()), 'one commit to pull');
    await panel().getByRole('button', { name: 'Pull from origin/main' }).click();
    await until(() => existsSync(join(ws, 'theirs.txt')), 'pulled');
    await until(async () => /↑0 ↓0/.test(await panel().locator('.scm-ab').textContent()), 'up to date');
  } finally {
    rmSync(remote, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('stash the changes, see the stash, pop it back', async () => {
  await page.keyboard.press('Control+Shift+g');
  writeFileSync(join(ws, 'README.md'), '# Demo\nto be stashed\n');
  await row('changes', 'README.md').waitFor();
  await panel().getByRole('button', { name: 'Stash the changes (untracked files too)' }).click();
  await page.locator('.modal-input').fill('halfway');
  await page.keyboard.press('Enter');
  const stash = panel().locator('.scm-stash');
  await stash.waitFor();
  assert.match(await stash.textContent(), /halfway/);
  assert.equal(readFileSync(join(ws, 'README.md'), 'utf8'), '# Demo\n');
  await stash.hover();
  await stash.getByRole('button', { name: 'Pop (apply and drop)' }).click();
  await until(() => readFileSync(join(ws, 'README.md'), 'utf8') === '# Demo\nto be stashed\n', 'popped back');
  await until(async () => (await panel().locator('.scm-stash').count()) === 0, 'the stash gone');
});

test('a branch is renamed and, unmerged, deleted only when forced', async () => {
  // The work in progress aside until the merge below has committed.
  git('stash', '-q', '-u');
  git('branch', 'topic');
  git('commit', '-q', '--allow-empty', '-m', 'only on main');
  git('switch', '-q', 'topic');
  git('commit', '-q', '--allow-empty', '-m', 'only on topic');
  git('switch', '-q', 'main');
  await page.keyboard.press('Control+Shift+g');
  await panel().locator('.scm-branch').click();
  const topic = page.locator('.scm-branches .scm-branch-row[data-branch="topic"]');
  await topic.hover();
  await topic.getByRole('button', { name: 'Rename topic' }).click();
  await page.locator('.modal-input').fill('renamed');
  await page.keyboard.press('Enter');
  await until(() => git('branch', '--list', 'renamed').trim() !== '', 'renamed');
  await panel().locator('.scm-branch').click();
  const renamed = page.locator('.scm-branches .scm-branch-row[data-branch="renamed"]');
  await renamed.hover();
  await renamed.getByRole('button', { name: 'Delete renamed' }).click();
  // Not merged: asked, with git's refusal behind the question.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await until(() => git('branch', '--list', 'renamed').trim() === '', 'deleted when forced');
});

test('a merge conflict shows Accept Current / Incoming / Both; Accept Both resolves it and the merge commits', async () => {
  git('switch', '-q', '-c', 'other');
  writeFileSync(join(ws, 'app.js'), 'let x = 1;\nlet y = 2;\nlet other = true;\n');
  git('commit', '-q', '-am', 'other side');
  git('switch', '-q', 'main');
  writeFileSync(join(ws, 'app.js'), 'let x = 1;\nlet y = 2;\nlet main = true;\n');
  git('commit', '-q', '-am', 'main side');
  assert.throws(() => execFileSync('git', ['merge', 'other'], { cwd: ws, stdio: 'ignore' }), 'the merge conflicts');
  await page.keyboard.press('Control+Shift+g');
  await row('conflicts', 'app.js').waitFor();
  assert.match(await panel().locator('.scm-state').textContent(), /Merging/);
  // The three-way view: current, base and incoming side by side.
  await row('conflicts', 'app.js').hover();
  await row('conflicts', 'app.js').getByRole('button', { name: 'Three-way view: current, base, incoming' }).click();
  const three = page.locator('.three-way');
  await three.waitFor();
  const cols = await three.locator('.three-way-pane').evaluateAll((els) => els.map((e) => [...e.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n')));
  assert.deepEqual(cols, ['let x = 1;\nlet y = 2;\nlet main = true;\n', 'let x = 1;\nlet y = 2;\n', 'let x = 1;\nlet y = 2;\nlet other = true;\n']);
  assert.equal(await three.locator('.cm-3way-changed').count(), 2, 'each side\'s changed line marked');
  await screenshot(page, 'git-three-way');
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await row('conflicts', 'app.js').click();
  const pane = page.locator('.group .pane:not([hidden])');
  await pane.locator('.cm-conflict-bar').waitFor();
  assert.equal(await pane.locator('.cm-conflict-ours').count(), 1);
  assert.equal(await pane.locator('.cm-conflict-theirs').count(), 1);
  await screenshot(page, 'git-conflict');
  await pane.locator('.cm-conflict-btn[data-take="both"]').click();
  await until(async () => (await pane.locator('.cm-conflict-bar').count()) === 0, 'no conflict left in the editor');
  const text = await pane.locator('.cm-content').evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));
  assert.equal(text, 'let x = 1;\nlet y = 2;\nlet main = true;\nlet other = true;\n');
  // An accept is an ordinary edit: undo brings the markers back.
  await page.keyboard.press('Control+z');
  await pane.locator('.cm-conflict-bar').waitFor();
  await pane.locator('.cm-conflict-btn[data-take="both"]').click();
  await until(async () => (await pane.locator('.cm-conflict-bar').count()) === 0, 'accepted again');
  await page.keyboard.press('Control+s');
  await until(() => readFileSync(join(ws, 'app.js'), 'utf8') === 'let x = 1;\nlet y = 2;\nlet main = true;\nlet other = true;\n', 'saved');
  // Mark resolved (stage), then commit the merge with Ctrl+Enter.
  await row('conflicts', 'app.js').hover();
  await row('conflicts', 'app.js').getByRole('button', { name: 'Mark resolved (stage)' }).click();
  await row('staged', 'app.js').waitFor();
  await panel().getByRole('textbox', { name: 'Commit message' }).fill('Merge other');
  await panel().getByRole('textbox', { name: 'Commit message' }).press('Control+Enter');
  await until(() => git('log', '-1', '--format=%s').trim() === 'Merge other', 'the merge committed');
  assert.equal(git('log', '-1', '--format=%P').trim().split(' ').length, 2, 'two parents');
  await until(async () => (await panel().locator('.scm-state').count()) === 0, 'no longer merging');
  git('stash', 'pop', '-q');
});

test('History lists commits; a commit shows its files and diff; a file has its own history', async () => {
  await page.keyboard.press('Control+Shift+g');
  await panel().locator('.scm-view-tab[data-view="history"]').click();
  const entries = panel().locator('.scm-log-entry');
  await entries.first().waitFor();
  const summaries = await entries.locator('.scm-summary').allTextContents();
  assert.deepEqual(summaries, git('log', '--format=%s', '-n', '100').trim().split('\n'), 'the log as git prints it');
  assert.match(await entries.first().locator('.scm-commit-head').textContent(), /● main/, 'where HEAD is');
  // The merge's change to app.js (against main's side): the other line added.
  await entries.first().locator('.scm-commit-head').click();
  const file = entries.first().locator('.scm-commit-file[data-path="app.js"]');
  await file.waitFor();
  await file.click();
  const merge = page.locator('.scm-diff .cm-mergeView');
  await merge.waitFor();
  const sides = await merge.evaluate((el) => [...el.querySelectorAll('.cm-editor')].map((e) => [...e.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n')));
  assert.deepEqual(sides, ['let x = 1;\nlet y = 2;\nlet main = true;\n', 'let x = 1;\nlet y = 2;\nlet main = true;\nlet other = true;\n']);
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  // A file's history, from the command palette.
  await page.locator('.tree-row[data-path="list.txt"]').click().catch(async () => {
    await page.locator('.side-tab', { hasText: 'Explorer' }).click();
    await page.locator('.tree-row[data-path="list.txt"]').click();
  });
  await page.locator('.tab.active[data-path="list.txt"]').waitFor();
  await page.keyboard.press('Control+Shift+p');
  await page.keyboard.type('Git: File History');
  await page.keyboard.press('Enter');
  await panel().locator('.scm-history-for').waitFor();
  await until(async () => (await panel().locator('.scm-log-entry .scm-summary').allTextContents()).join('|') === git('log', '--format=%s', '--follow', '--', 'list.txt').trim().split('\n').join('|'), 'list.txt\'s own commits');
});

test('blame shows each line\'s commit in the gutter, unsaved lines as not committed, and opens a commit', async () => {
  await page.locator('.tab[data-path="list.txt"]').click();
  const pane = page.locator('.group .pane:not([hidden])');
  await page.keyboard.press('Control+Shift+p');
  await page.keyboard.type('Git: Toggle Blame');
  await page.keyboard.press('Enter');
  await pane.locator('.cm-blame-entry').first().waitFor();
  const first = await pane.locator('.cm-blame-entry').first().textContent();
  const want = git('blame', '--porcelain', '-L', '1,1', '--', 'list.txt').split('\n')[0].slice(0, 7);
  assert.ok(first.startsWith(want) || first === 'Not committed yet', `${first} vs ${want}`);
  await screenshot(page, 'git-blame');
  // A new line typed at the top (not saved): blamed as not committed yet.
  await pane.locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('brand new\n');
  await until(async () => (await pane.locator('.cm-blame-entry').first().textContent()) === 'Not committed yet', 'the new line uncommitted');
  // A committed line's entry opens its commit in History.
  const committed = pane.locator('.cm-blame-entry:not(.uncommitted)').first();
  const hash = await committed.getAttribute('data-hash');
  await committed.click();
  await panel().locator(`.scm-log-entry[data-hash="${hash}"] .scm-commit-body`).waitFor();
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+Shift+p');
  await page.keyboard.type('Git: Toggle Blame');
  await page.keyboard.press('Enter');
  await until(async () => (await pane.locator('.cm-blame-gutter').count()) === 0, 'blame off');
});

test('Git: Stage Selected Lines puts only the selected line of a change in the index', async () => {
  writeFileSync(join(ws, 'lines.txt'), 'one\ntwo\nthree\nfour\n');
  git('add', 'lines.txt');
  git('commit', '-q', '-m', 'lines');
  await page.locator('.side-tab', { hasText: 'Explorer' }).click();
  await page.locator('.tree-row[data-path="lines.txt"]').click();
  await page.locator('.tab.active[data-path="lines.txt"]').waitFor();
  const pane = page.locator('.group .pane:not([hidden])');
  await pane.locator('.cm-git-gutter').waitFor();
  // Two lines changed next to each other: one hunk.
  await pane.locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.type(' 2');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.type(' 3');
  await until(async () => (await pane.locator('.cm-git-modified').count()) === 2, 'two changed lines');
  // The cursor on the second changed line only.
  await page.keyboard.press('Control+Shift+p');
  await page.keyboard.type('Git: Stage Selected Lines');
  await page.keyboard.press('Enter');
  await until(() => git('show', ':lines.txt') === 'one\ntwo\nthree 3\nfour\n', 'that line staged, the other not');
  await until(async () => (await pane.locator('.cm-git-modified').count()) === 1, 'one line still marked');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
});

test('the diffs stage a hunk, unstage it again, and unstage selected lines', async () => {
  writeFileSync(join(ws, 'hunks.txt'), 'one\ntwo\nthree\nfour\nfive\nsix\n');
  git('add', 'hunks.txt');
  git('commit', '-q', '-m', 'hunks', '--', 'hunks.txt');
  // Two hunks, apart: line 2 and line 5.
  writeFileSync(join(ws, 'hunks.txt'), 'one\nTWO\nthree\nfour\nFIVE\nsix\n');
  await page.keyboard.press('Control+Shift+g');
  // (The tests before may have left the panel on its History view.)
  await panel().locator('.scm-view-tab[data-view="changes"]').click();
  await row('changes', 'hunks.txt').waitFor();
  const cached = () => git('diff', '--cached', '-U0', '--', 'hunks.txt').split('\n').filter((l) => /^[-+][^-+]/.test(l));
  const merge = page.locator('.scm-diff .cm-mergeView');
  const close = () => page.getByRole('button', { name: 'Close', exact: true }).click();

  // The working tree's diff: Stage on the first hunk stages it alone.
  await row('changes', 'hunks.txt').click();
  await merge.waitFor();
  await merge.locator('.cm-merge-hunk-btn', { hasText: 'Stage' }).first().click();
  await until(() => cached().join('|') === '-two|+TWO', 'the first hunk staged');
  await close();

  // The staged diff: Unstage takes it out again.
  await row('staged', 'hunks.txt').click();
  await merge.waitFor();
  await merge.locator('.cm-merge-hunk-btn', { hasText: 'Unstage' }).first().click();
  await until(() => cached().length === 0, 'unstaged');
  await close();

  // Both staged (the panel's +), then the selected line 5 unstaged from the staged diff.
  await row('changes', 'hunks.txt').hover();
  await row('changes', 'hunks.txt').locator('button[title="Stage"]').click();
  await until(() => cached().join('|') === '-two|+TWO|-five|+FIVE', 'the file staged');
  await row('staged', 'hunks.txt').click();
  await merge.waitFor();
  const right = merge.locator('.cm-editor').nth(1).locator('.cm-line').nth(4);
  await right.click();
  await page.getByRole('button', { name: 'Unstage Selected Lines' }).click();
  await until(() => cached().join('|') === '-two|+TWO', 'line 5 unstaged, line 2 still staged');
  await screenshot(page, 'git-unstage-lines');
  await close();
  // The working tree kept both changes throughout.
  assert.equal(readFileSync(join(ws, 'hunks.txt'), 'utf8'), 'one\nTWO\nthree\nfour\nFIVE\nsix\n');
});
