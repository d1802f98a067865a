// The README's screenshot (docs/screenshot.png): Weft on its own repository, at HEAD in a
// worktree with some work in progress, the Source Control panel and the git gutter.
//   cargo build -p weft-cli && (cd ui && npx vite build && node tests/e2e/readme-screenshot.mjs)
import { writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { startServe, launchBrowser, openPage } from './harness.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ws = join(mkdtempSync(join(tmpdir(), 'weft-shot-')), 'weft');
execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', ws, 'HEAD'], { stdio: 'ignore' });
const git = (...a) => execFileSync('git', a, { cwd: ws, encoding: 'utf8' });
// Work in progress: a staged change, an edit in the file on screen, a new file.
const lib = readFileSync(`${ws}/crates/weft-git/src/lib.rs`, 'utf8');
writeFileSync(`${ws}/crates/weft-git/src/lib.rs`, lib.replace('/// A local branch.', '/// A local branch, as `git branch` lists it.').replace('    pub subject: String,\n}', '    pub subject: String,\n    /// When its last commit was made (seconds since 1970).\n    pub committed: i64,\n}'));
git('add', 'crates/weft-git/src/lib.rs');
const t = readFileSync(`${ws}/crates/weft-git/src/lib.rs`, 'utf8');
writeFileSync(`${ws}/crates/weft-git/src/lib.rs`, t.replace('    /// Runs git with `args`; its standard output, or its message when it fails.\n', '    /// Runs git with `args` (never a pager, never a prompt); its standard output, or its\n    /// message when it fails.\n').replace('        self.with_paths(&["add", "-A"], paths).map(drop)\n', '        self.with_paths(&["add", "-A", "--ignore-errors"], paths).map(drop)\n'));
writeFileSync(`${ws}/crates/weft-git/src/stash.rs`, '//! Stashes: list, push, pop.\n');
const readme = readFileSync(`${ws}/README.md`, 'utf8');
writeFileSync(`${ws}/README.md`, readme.replace('**Git** (the *Git* tab', '**Git** — the *Git* tab'));
const server = await startServe(ws, { settings: { restoreTabs: false } });
const browser = await launchBrowser();
const page = await openPage(browser, server.url, '.tree-row[data-path="crates"]', { width: 1440, height: 860 });
await page.keyboard.press('Control+p');
await page.locator('.palette-input').fill('weft-git/src/lib.rs');
await page.locator('.palette-item').first().waitFor();
await page.keyboard.press('Enter');
await page.locator('.tab.active[data-path="crates/weft-git/src/lib.rs"]').waitFor();
await page.keyboard.press('Control+Shift+g');
await page.locator('.scm-file[data-group="staged"]').waitFor();
// Scroll the editor to the changed lines.
await page.locator('.group .pane:not([hidden]) .cm-content').click();
await page.keyboard.press('Control+Home');
for (let i = 0; i < 360; i++) await page.keyboard.press('ArrowDown');
await page.locator('.group .pane:not([hidden]) .cm-git-mark').first().waitFor();
await page.locator('.scm-message').fill('weft-git: never a pager or a prompt; stage what can be staged');
await page.waitForTimeout(600);
await page.screenshot({ path: join(repo, 'docs', 'screenshot.png') });
await browser.close();
await server.stop();
execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', ws]);
rmSync(dirname(ws), { recursive: true, force: true });
console.log('docs/screenshot.png written');
