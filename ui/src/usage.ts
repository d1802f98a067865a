// What the AI costs: the live meter in the status bar (this thread, today) and the usage
// dashboard — cost and tokens per day as a chart, then by model, workspace, thread and
// task, with what routing saved, and the ledger as CSV.

import { h } from './dom';
import type { Backend, Group, Totals, UsageSummary } from './backend';
import { panelModal, toast, errorMessage, promptText } from './dialogs';

export function usd(nanos: number): string {
  const d = nanos / 1e9;
  if (d !== 0 && Math.abs(d) < 0.01) return `$${d.toFixed(4)}`;
  return `$${d.toFixed(2)}`;
}

export function tokenCount(t: Totals): number {
  const u = t.usage;
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

/** 1234 -> 1.2k, for token counts. */
export function compact(n: number): string {
  return n < 1000 ? String(n) : n < 1_000_000 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1_000_000).toFixed(2)}M`;
}

/** Breakdown for a tooltip. */
export function breakdown(label: string, t: Totals): string {
  const u = t.usage;
  const unpriced = t.unpriced ? `, ${t.unpriced} without a price` : '';
  const failed = t.failed ? `, ${t.failed} failed (${Math.round((100 * (t.requests - t.failed)) / t.requests)}% answered)` : '';
  return `${label}: ${usd(t.costNanos)} for ${t.requests} request${t.requests === 1 ? '' : 's'}${failed}${unpriced}\n  ${u.inputTokens} input, ${u.outputTokens} output, ${u.cacheReadTokens} cache read, ${u.cacheWriteTokens} cache write tokens`;
}

/** The status bar meter: this thread's cost (when a thread is open) and today's. */
export class CostMeter {
  readonly el: HTMLButtonElement;
  private thread: Totals | null = null;
  private threadNanos: number | null = null;
  private todayNanos = 0;
  private today: Totals | null = null;

  constructor(private backend: Backend) {
    this.el = h('button', { class: 'status-btn cost-meter', title: 'AI usage: click for the dashboard', onclick: () => void openDashboard(this.backend) });
  }

  /** Reads the ledger (at start-up, when a thread opens). */
  async refresh(thread: string | null) {
    try {
      const m = await this.backend.usageMeter(thread);
      this.thread = m.thread;
      this.threadNanos = m.thread?.costNanos ?? null;
      this.today = m.today;
      this.todayNanos = m.today.costNanos;
      this.render();
    } catch {
      // No ledger yet (or unreadable): the meter stays quiet; the dashboard says why.
    }
  }

  /** Live, after each request of a running turn. */
  spent(threadNanos: number, todayNanos: number) {
    this.threadNanos = threadNanos;
    this.todayNanos = todayNanos;
    this.thread = null;
    this.today = null;
    this.render();
  }

  private render() {
    const parts = [this.threadNanos !== null ? `${usd(this.threadNanos)} thread` : '', `${usd(this.todayNanos)} today`].filter(Boolean);
    this.el.textContent = `◔ ${parts.join(' · ')}`;
    const lines = [this.thread ? breakdown('This thread', this.thread) : this.threadNanos !== null ? `This thread: ${usd(this.threadNanos)}` : '',
      this.today ? breakdown('Today', this.today) : `Today: ${usd(this.todayNanos)}`, 'Click for the usage dashboard'];
    this.el.title = lines.filter(Boolean).join('\n');
  }
}

const RANGES: [number, string][] = [[7, 'Last 7 days'], [30, 'Last 30 days'], [90, 'Last 90 days'], [0, 'All time']];

export async function openDashboard(backend: Backend, days = 30) {
  if (document.querySelector('.usage-dash')) return;
  const range = h('select', { class: 'usage-range', 'aria-label': 'Range' }, ...RANGES.map(([d, l]) => h('option', { value: String(d) }, l)));
  range.value = String(days);
  const body = h('div', { class: 'usage-dash' }, h('div', { class: 'usage-empty' }, 'Loading…'));
  const exportBtn = h('button', { class: 'btn', onclick: () => void exportCsv(backend, Number(range.value)) }, 'Export CSV…');
  const pricesBtn = h('button', { class: 'btn', onclick: () => void openPrices(backend) }, 'Prices…');
  const close = h('button', { class: 'btn' }, 'Close');
  const metric = h('select', { class: 'usage-range', 'aria-label': 'Chart' }, h('option', { value: 'cost' }, 'Cost per day'), h('option', { value: 'tokens' }, 'Tokens per day'));
  const modal = panelModal('AI usage', h('div', {}, h('div', { class: 'usage-toolbar' }, metric, range), body), [pricesBtn, exportBtn, close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  const load = async () => {
    try {
      render(body, await backend.usageSummary(Number(range.value)), metric.value === 'tokens');
    } catch (e) {
      body.replaceChildren(h('div', { class: 'usage-empty error' }, errorMessage(e)));
    }
  };
  range.addEventListener('change', () => void load());
  metric.addEventListener('change', () => void load());
  await load();
  close.focus();
}

async function exportCsv(backend: Backend, days: number) {
  try {
    const csv = await backend.usageExport(days);
    const name = `weft-usage-${new Date().toISOString().slice(0, 10)}.csv`;
    const path = await promptText('Save the usage ledger as CSV (path in this folder)', name, name.length - 4);
    if (!path) return;
    await backend.writeFile(path, csv, 'utf8');
    toast(`Saved ${path} (${csv.trim().split('\n').length - 1} requests)`);
  } catch (e) {
    toast(`Export failed: ${errorMessage(e)}`, 'error');
  }
}

function card(label: string, value: string, sub: string, cls: string): HTMLElement {
  return h('div', { class: `usage-card ${cls}` }, h('div', { class: 'usage-card-label' }, label), h('div', { class: 'usage-card-value' }, value), h('div', { class: 'usage-card-sub' }, sub));
}

function render(body: HTMLElement, s: UsageSummary, tokens: boolean) {
  if (!s.total.requests) {
    body.replaceChildren(h('div', { class: 'usage-empty' }, 'No model requests in this range yet. Every request the agent makes is recorded here with its tokens and cost.'));
    return;
  }
  const sub = (t: Totals) => `${t.requests} req${t.failed ? ` (${t.failed} failed)` : ''} · ${compact(tokenCount(t))} tokens`;
  body.replaceChildren(
    h('div', { class: 'usage-cards' },
      card('Total', usd(s.total.costNanos), sub(s.total), 'total'),
      card('Today', usd(s.today.costNanos), sub(s.today), 'today'),
      card('This month', usd(s.thisMonth.costNanos), sub(s.thisMonth), 'month'),
      card('Saved by routing', usd(s.total.savedNanos), 'cheaper models for titles and summaries', 'saved')),
    s.total.unpriced ? h('div', { class: 'usage-note' }, `${s.total.unpriced} request(s) went to models without a price; they count as $0. Add them to prices.json.`) : '',
    chart(s.since, s.byDay, tokens),
    h('div', { class: 'usage-tables' },
      table('By model', s.byModel), table('By workspace', s.byWorkspace, (k) => k.split('/').filter(Boolean).pop() ?? k),
      table('By thread', s.byThread), table('By task', s.byTask)));
}

/** Every local day from `first` to today, so the chart is a timeline with gaps as gaps. */
function daysFrom(first: string): string[] {
  const out: string[] = [];
  const [y, m, d] = first.split('-').map(Number);
  const day = new Date(y, m - 1, d, 12);
  const today = new Date();
  today.setHours(12, 0, 0, 0);
  while (day <= today && out.length < 366) {
    out.push(`${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`);
    day.setDate(day.getDate() + 1);
  }
  return out;
}

/** Cost per day as bars (requests and tokens in the tooltip). */
function chart(since: string, groups: Group[], tokens: boolean): HTMLElement {
  const value = (t: Totals) => (tokens ? tokenCount(t) : t.costNanos);
  const show = (n: number) => (tokens ? `${compact(n)} tokens` : usd(n));
  const byKey = new Map(groups.map((g) => [g.key, g.totals]));
  const first = since || groups[0]?.key;
  const days = first ? daysFrom(first) : [];
  // A ledger row dated after "today" (another machine's clock) still shows.
  for (const g of groups) if (!days.includes(g.key)) days.push(g.key);
  days.sort();
  const max = Math.max(...groups.map((d) => value(d.totals)), 1);
  const w = 720, hgt = 140, gap = 2;
  const bw = Math.min(48, Math.max(1, (w - gap * days.length) / Math.max(days.length, 1)));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt + 18}`);
  svg.setAttribute('class', 'usage-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Cost per day');
  const el = (tag: string, attrs: Record<string, string | number>) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };
  days.forEach((key, i) => {
    const t = byKey.get(key);
    if (!t) return;
    const bh = Math.max(1, Math.round((value(t) / max) * hgt));
    const rect = el('rect', { x: i * (bw + gap), y: hgt - bh, width: bw, height: bh, class: 'usage-bar', 'data-day': key, 'data-cost': t.costNanos });
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${key}: ${usd(t.costNanos)}, ${t.requests} requests, ${compact(tokenCount(t))} tokens`;
    rect.append(title);
    svg.append(rect);
  });
  svg.append(el('line', { x1: 0, x2: w, y1: hgt + 0.5, y2: hgt + 0.5, class: 'usage-baseline' }));
  if (days.length) {
    const a = el('text', { x: 0, y: hgt + 14, class: 'usage-axis' });
    a.textContent = days[0];
    const b = el('text', { x: Math.min(w, days.length * (bw + gap) - gap), y: hgt + 14, class: 'usage-axis', 'text-anchor': 'end' });
    b.textContent = days.length > 1 ? days[days.length - 1] : '';
    svg.append(a, b);
  }
  return h('div', { class: 'usage-chart-wrap' }, h('div', { class: 'usage-sub' }, `${tokens ? 'Tokens' : 'Cost'} per day (highest ${show(max)})`), svg as unknown as HTMLElement);
}

function table(title: string, groups: Group[], short?: (key: string) => string): HTMLElement {
  return h('div', { class: 'usage-table' }, h('div', { class: 'usage-sub' }, title),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Cost'), h('th', {}, 'Requests'), h('th', {}, 'Tokens'))),
      h('tbody', {}, ...groups.slice(0, 12).map((g) => h('tr', { 'data-key': g.key },
        h('td', { title: g.detail ? `${g.key} (${g.detail})` : g.key }, short ? short(g.key) : g.key),
        h('td', { class: 'num' }, usd(g.totals.costNanos) + (g.totals.unpriced ? '*' : '')),
        h('td', { class: 'num' }, String(g.totals.requests)),
        h('td', { class: 'num' }, compact(tokenCount(g.totals))))))));
}

/** The price table in force, and the user's prices.json to add or override models. */
async function openPrices(backend: Backend) {
  let list;
  try {
    list = await backend.usagePrices();
  } catch (e) {
    toast(errorMessage(e), 'error');
    return;
  }
  const rows = Object.entries(list.prices).flatMap(([model, p]) => (p ? [h('tr', {}, h('td', {}, model),
    ...[p.input, p.output, p.cacheRead, p.cacheWrite].map((v) => h('td', { class: 'num' }, `$${v}`)))] : []));
  const text = h('textarea', { class: 'ag-input usage-prices-text', rows: 6, spellcheck: 'false', 'aria-label': 'prices.json' });
  text.value = list.text;
  const error = h('div', { class: 'settings-error', role: 'alert' });
  const body = h('div', { class: 'usage-prices' },
    h('p', { class: 'dim' }, `$ per million tokens. Local providers (${list.localProviders.join(', ') || 'none'}) cost nothing. Your additions and overrides, in ${list.path}:`),
    text, error,
    h('div', { class: 'usage-table' }, h('table', {}, h('thead', {}, h('tr', {}, ...['Model', 'Input', 'Output', 'Cache read', 'Cache write'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows))));
  const save = h('button', { class: 'btn primary' }, 'Save');
  const close = h('button', { class: 'btn' }, 'Close');
  const modal = panelModal('Prices', body, [save, close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  save.addEventListener('click', async () => {
    try {
      await backend.usageSetPrices(text.value);
      modal.remove();
      toast('Prices saved; they apply to requests from now on');
    } catch (e) {
      error.textContent = errorMessage(e);
    }
  });
}
