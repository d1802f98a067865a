// The real desktop window (WebKitGTK) under Xvfb, driven over WebDriver through
// tauri-driver + WebKitWebDriver. Plain WebDriver over fetch; no client library needed.
// Each `launch` is its own tauri-driver and app, with its own environment.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const appBinary = process.env.WEFT_DESKTOP_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'weft-desktop');
const driverBin = process.env.TAURI_DRIVER ?? join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'tauri-driver');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** Starts the app on `args` with `env` added; resolves to a driven window. */
export async function launch({ args = [], env = {} } = {}) {
  // tauri-driver's port and the native WebKitWebDriver's beside it, both chosen here: left
  // to its default (4445) the native driver collided once with a random pick of 4445 and
  // the run hung.
  const port = 20000 + 2 * Math.floor(Math.random() * 5000);
  const base = `http://127.0.0.1:${port}`;
  const appDir = mkdtempSync(join(tmpdir(), 'weft-desktop-app-'));
  // Its own process group (tauri-driver, WebKitWebDriver, the app and WebKit's helpers), so
  // `close` ends all of them: an app left running holds this file's stderr open and the
  // test runner waits on it for ever (seen once in CI after the updater test).
  const driver = spawn(driverBin, ['--port', String(port), '--native-port', String(port + 1)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WEBKIT_DISABLE_DMABUF_RENDERER: '1', WEFT_CONFIG_DIR: join(appDir, 'c'), WEFT_DATA_DIR: join(appDir, 'd'), ...env },
  });
  async function wd(method, path, body) {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }
  const end = Date.now() + 20000;
  for (;;) {
    try {
      if ((await fetch(`${base}/status`)).ok) break;
    } catch {}
    if (Date.now() > end) throw new Error('tauri-driver did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const { sessionId: session } = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: appBinary, args } } },
  });
  const s = (path) => `/session/${session}${path}`;
  return {
    wd: (method, path, body) => wd(method, s(path), body),
    /** The first element matching `css`, waiting up to `ms` for it. */
    async find(css, ms = 15000) {
      const until = Date.now() + ms;
      for (;;) {
        try {
          return (await wd('POST', s('/element'), { using: 'css selector', value: css }))[ELEMENT];
        } catch (e) {
          if (Date.now() > until) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async click(css) {
      await wd('POST', s(`/element/${await this.find(css)}/click`), {});
    },
    script: (src, ...scriptArgs) => wd('POST', s('/execute/sync'), { script: src, args: scriptArgs }),
    async close() {
      await wd('DELETE', s('')).catch(() => {});
      await endGroup(driver);
      rmSync(appDir, { recursive: true, force: true });
    },
  };
}

/** Ends `child`'s whole process group: politely, then for certain after 3 s. */
async function endGroup(child) {
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!signal('SIGTERM')) return;
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    if (!signal(0)) return;
  }
  signal('SIGKILL');
}
