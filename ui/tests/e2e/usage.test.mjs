// The usage dashboard end to end: headless Chromium against `weft serve`, with a ledger
// seeded through `weft usage import` (the way ledgers from two machines are merged). The
// dashboard's totals, chart and tables must equal the figures worked out by hand from the
// seeded rows (below; not from Weft's own summary code), and its CSV export must hold
// every row.

import { test, afterEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServe, launchBrowser, weftBinary, waitFor as until, openPage, screenshot, assertNoPageErrors } from './harness.mjs';

let ws, server, browser, page, seeded;

// Worked out by hand from the five seeded rows (costs in nano-dollars).
const EXPECTED = {
  requests: 5,
  costNanos: 375_000_000 + 750_000_000 + 116_000_000 + 350_000 + 165_000_000, // 1_406_350_000
  savedNanos: 1_050_000 - 350_000,
  byModel: [['anthropic:claude-sonnet-4-5', 1_290_000_000, 3], ['openai:gpt-4.1', 116_000_000, 1], ['anthropic:claude-haiku-4-5', 350_000, 1]],
  byWorkspace: [['/home/me/api', 1_290_000_000, 3], ['/home/me/web', 116_350_000, 2]],
  byThread: [['t-a', 1_125_000_000, 2], ['t-c', 165_000_000, 1], ['t-b', 116_350_000, 2]],
  byTask: [['agent', 1_406_000_000, 4], ['title', 350_000, 1]],
};

/** A moment's local calendar day, as the dashboard names days. */
const localDay = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const HEADER = 'time_utc,at_ms,workspace,thread,task,provider,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,latency_ms,cost_usd,priced,baseline_usd';

function weft(args) {
  const env = { ...process.env, WEFT_CONFIG_DIR: join(server.appDir, 'config'), WEFT_DATA_DIR: join(server.appDir, 'data') };
  return execFileSync(weftBinary(), args, { env, encoding: 'utf8' });
}

const usd = (n) => (n !== 0 && Math.abs(n / 1e9) < 0.01 ? `$${(n / 1e9).toFixed(4)}` : `$${(n / 1e9).toFixed(2)}`);

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'weft-e2e-usage-'));
  writeFileSync(join(ws, 'README.md'), '# usage\n');
  server = await startServe(ws);
  const now = Date.now();
  const day = 86_400_000;
  const row = (at, wsPath, thread, task, provider, model, i, o, cost, baseline = cost) =>
    [new Date(at).toISOString(), at, wsPath, thread, task, provider, model, i, o, 0, 0, 800, cost, 1, baseline].join(',');
  seeded = [[now - 2 * day, 375_000_000], [now - day, 750_000_000], [now - day, 116_000_000], [now - 60_000, 350_000], [now - 30_000, 165_000_000]];
  const csv = [HEADER,
    row(now - 2 * day, '/home/me/api', 't-a', 'agent', 'anthropic', 'claude-sonnet-4-5', 100000, 5000, '0.375000000'),
    row(now - day, '/home/me/api', 't-a', 'agent', 'anthropic', 'claude-sonnet-4-5', 200000, 10000, '0.750000000'),
    row(now - day, '/home/me/web', 't-b', 'agent', 'openai', 'gpt-4.1', 50000, 2000, '0.116000000'),
    row(now - 60_000, '/home/me/web', 't-b', 'title', 'anthropic', 'claude-haiku-4-5', 300, 10, '0.000350000', '0.001050000'),
    row(now - 30_000, '/home/me/api', 't-c', 'agent', 'anthropic', 'claude-sonnet-4-5', 40000, 3000, '0.165000000'),
  ].join('\n') + '\n';
  writeFileSync(join(ws, 'seed.csv'), csv);
  assert.match(weft(['usage', 'import', join(ws, 'seed.csv')]), /imported 5 requests/);
  browser = await launchBrowser();
  page = await openPage(browser, server.url, '.tree-row[data-path="README.md"]', { width: 1280, height: 860 });
});

after(async () => {
  await screenshot(page, 'usage-dashboard');
  await browser?.close();
  await server?.stop();
  rmSync(ws, { recursive: true, force: true });
});


afterEach(() => assertNoPageErrors(page));

test('the dashboard shows the ledger: totals, cost per day, by model, workspace, thread and task; CSV export holds every row', async () => {
  // Today and the days, by the local calendar (two rows may fall on yesterday just after
  // midnight): summed here from the seeded rows.
  const now = Date.now();
  const todayNanos = seeded.filter(([at]) => localDay(at) === localDay(now)).reduce((a, [, c]) => a + c, 0);
  const days = [...new Set(seeded.map(([at]) => localDay(at)))].sort().map((d) => [d, seeded.filter(([at]) => localDay(at) === d).reduce((a, [, c]) => a + c, 0)]);
  const start = new Date(now);
  const since = localDay(new Date(start.getFullYear(), start.getMonth(), start.getDate() - 29).getTime());
  // The status bar meter shows today's spending.
  await until(async () => (await page.locator('.cost-meter').textContent())?.includes(`${usd(todayNanos)} today`), 'the cost meter');
  await page.locator('.cost-meter').click();
  const dash = page.locator('.usage-dash');
  await dash.locator('.usage-card.total').waitFor();
  assert.equal(await dash.locator('.usage-card.total .usage-card-value').textContent(), usd(EXPECTED.costNanos));
  assert.equal(await dash.locator('.usage-card.today .usage-card-value').textContent(), usd(todayNanos));
  assert.equal(await dash.locator('.usage-card.saved .usage-card-value').textContent(), usd(EXPECTED.savedNanos));
  // A bar for each day with requests, on a 30-day timeline; their costs add up to the total.
  assert.equal(await dash.locator('.usage-axis').first().textContent(), since);
  const bars = await dash.locator('.usage-bar').evaluateAll((els) => els.map((e) => [e.getAttribute('data-day'), Number(e.getAttribute('data-cost'))]));
  assert.deepEqual(bars, days);
  assert.equal(bars.reduce((a, [, c]) => a + c, 0), EXPECTED.costNanos);
  // The tables are the ledger's groups, most expensive first.
  const rows = async (title) => dash.locator('.usage-table', { hasText: title }).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-key'), tr.children[1].textContent, Number(tr.children[2].textContent)]));
  for (const [title, groups] of [['By model', EXPECTED.byModel], ['By workspace', EXPECTED.byWorkspace], ['By thread', EXPECTED.byThread], ['By task', EXPECTED.byTask]]) {
    assert.deepEqual(await rows(title), groups.map(([key, cost, n]) => [key, usd(cost), n]), title);
  }
  assert.equal((await rows('By model'))[0][0], 'anthropic:claude-sonnet-4-5');

  // The last 7 days is the same here; all time too (nothing older was seeded).
  await page.locator('.usage-range[aria-label="Range"]').selectOption('0');
  await until(async () => (await dash.locator('.usage-card.total .usage-card-value').textContent()) === usd(EXPECTED.costNanos), 'all time');

  // Export: the CSV has the header and one line per request.
  await page.getByRole('button', { name: 'Export CSV…' }).click();
  const input = page.locator('.modal-input');
  await input.fill('usage-export.csv');
  await input.press('Enter');
  await until(() => { try { return readFileSync(join(ws, 'usage-export.csv'), 'utf8'); } catch { return false; } }, 'the exported CSV');
  const lines = readFileSync(join(ws, 'usage-export.csv'), 'utf8').trim().split('\n');
  // The seed was written with the header from before failed requests were recorded; the
  // export has the error column (empty: all five answered).
  assert.equal(lines[0], `${HEADER},error`);
  assert.equal(lines.length, 6);
  assert.ok(lines.slice(1).every((l) => l.endsWith(',')), lines.join('\n'));
});
