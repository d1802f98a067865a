// Starts a real `weft serve` on a temporary folder and a real headless Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../../..');

export function weftBinary() {
  return process.env.WEFT_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'weft');
}

export async function startServe(workspace, { settings, env: extraEnv } = {}) {
  const app = mkdtempSync(join(tmpdir(), 'weft-e2e-app-'));
  if (settings) {
    mkdirSync(join(app, 'config'), { recursive: true });
    writeFileSync(join(app, 'config', 'settings.json'), JSON.stringify(settings));
  }
  // Terminals and the agent's commands get a scratch home with a marker in it: a command
  // that reaches `~` reaches this folder, never the real one, and stop() checks the marker.
  const home = join(app, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'weft-test-marker'), 'still here');
  const env = { ...process.env, HOME: home, USERPROFILE: home, ...extraEnv, WEFT_CONFIG_DIR: join(app, 'config'), WEFT_DATA_DIR: join(app, 'data') };
  delete env.WEFT_TOKEN; // a fresh random token, as a user gets
  const child = spawn(weftBinary(), ['serve', workspace, '--ui', join(repo, 'ui', 'dist')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      if (line.includes('?token=')) res(line.trim());
    });
    child.on('exit', (code) => rej(new Error(`weft serve exited with ${code}`)));
    setTimeout(() => rej(new Error('weft serve did not print its URL')), 15000);
  });
  return {
    url,
    origin: new URL(url).origin,
    token: new URL(url).searchParams.get('token'),
    appDir: app,
    async stop() {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      child.kill();
      // Its terminals' shells write their history into the scratch home as they go: the
      // folder is removed once the server is gone (and again if a shell was still writing).
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      const marker = existsSync(join(home, 'weft-test-marker'));
      // A second run of a failed file (scripts/test.sh) shows what the server logged.
      if (process.env.WEFT_E2E_LOGS) {
        const logs = join(app, 'data', 'logs');
        for (const f of existsSync(logs) ? readdirSync(logs) : []) {
          console.log(`--- weft serve log ${f}:\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-60).join('\n')}`);
        }
      }
      rmSync(app, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      if (!marker) throw new Error('a command run by weft serve deleted the scratch home folder');
    },
  };
}

/** The scripted model server (crates/weft-llm's weft-fake-llm) on a script of replies. */
export async function startFakeLlm(script) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-e2e-llm-'));
  writeFileSync(join(dir, 'script.json'), JSON.stringify(script));
  const bin = process.env.WEFT_FAKE_LLM_BIN ?? join(dirname(weftBinary()), 'weft-fake-llm');
  const log = join(dir, 'requests.jsonl');
  const child = spawn(bin, [join(dir, 'script.json'), log], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((res, rej) => {
    createInterface({ input: child.stdout }).once('line', (line) => res(line.trim()));
    child.on('error', (e) => rej(new Error(`${bin}: ${e.message} (build it with: cargo build -p weft-llm --features fake --bin weft-fake-llm)`)));
    child.on('exit', (code) => rej(new Error(`weft-fake-llm exited with ${code}`)));
  });
  return {
    url,
    /** The request bodies the server has received so far. */
    requests: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []),
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}


/** Records the page's uncaught errors, for `assertNoPageErrors` after each test. */
export function watchErrors(page) {
  page.weftErrors = [];
  page.on('pageerror', (e) => {
    console.error('pageerror:', e.message);
    page.weftErrors.push(e.message);
  });
  return page;
}

/** A page on the app, ready when `ready` (a selector) shows; its errors are recorded. */
export async function openPage(browser, url, ready, viewport = { width: 1280, height: 800 }) {
  const page = watchErrors(await browser.newPage({ viewport }));
  await page.goto(url);
  await page.waitForSelector(ready);
  return page;
}

/** An uncaught error in the page fails the test it happened in (then starts afresh). */
export function assertNoPageErrors(...pages) {
  const errors = pages.filter(Boolean).flatMap((p) => (p.weftErrors ?? []).splice(0));
  assert.deepEqual(errors, [], 'uncaught errors in the page');
}

/** The last look at a test, for people: tests/e2e/artifacts/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(join(here, 'artifacts'), { recursive: true });
  await page?.screenshot({ path: join(here, 'artifacts', `${name}.png`) }).catch(() => {});
}

/** Polls `fn` until it returns something truthy (and returns that), or fails the test. */
export async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
