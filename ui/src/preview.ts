// The preview pane: the app a run serves, beside the editor, in an iframe (the browser
// build and the desktop window alike; both pages' CSPs let frames load from localhost).
// A local app is shown through Weft's proxy to it (weft_run::proxy), which gives each page a
// script reporting its console and navigation here and obeying back, forward and reload;
// any other address is shown as it is. The pane reloads when a source file changes on disk,
// unless the app's dev server updates the page itself, and says when its server stops (and
// reloads when it listens again: a server restarting on a change, as uvicorn --reload or
// nodemon do).

import { h } from './dom';
import { BackendError, type Backend } from './backend';
import { toast, errorMessage } from './dialogs';

/** Files whose change can change the page. */
const SOURCE = /\.(html?|css|scss|sass|less|m?[jt]sx?|cjs|vue|svelte|astro|mdx?|py|rb|php|go|rs|erb|ejs|hbs|njk|twig|jinja2?|j2|tmpl|liquid)$/i;

function isSource(path: string): boolean {
  return SOURCE.test(path) && !/(^|\/)(\.git|\.weft|node_modules|dist|build|target|__pycache__)\//.test(path);
}

/** Sizes to check a layout at; "Fit" fills the pane. */
const DEVICES: [string, number, number][] = [['Fit', 0, 0], ['Phone 390×844', 390, 844], ['Tablet 820×1180', 820, 1180], ['Laptop 1366×768', 1366, 768]];

/** Console lines kept (the oldest go first). */
const CONSOLE_LINES = 500;

interface ConsoleLine {
  level: string;
  text: string;
}

export class PreviewPane {
  private frame: HTMLIFrameElement;
  private address: HTMLInputElement;
  private down: HTMLElement;
  private consoleEl: HTMLElement;
  private consoleList: HTMLElement;
  private consoleHead: HTMLElement;
  private lines: ConsoleLine[] = [];
  /** The port shown (from its URL), for the port events. */
  port: number | null = null;
  /** The page's own dev server pushes changes (Vite and the like): saves do not reload it. */
  hot = false;
  /** The proxy's origin while a local app is shown through it, and the app's own. */
  private proxied: { proxy: string; app: string } | null = null;
  private title = '';
  private wasDown = false;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private lastReload = -Infinity;

  /** Ports whose preview the session's guests may see (the host's side). */
  private shared = new Set<number>();
  private shareBtn: HTMLButtonElement | null = null;

  constructor(private host: HTMLElement, private backend: Backend, canShare = true) {
    this.frame = h('iframe', { class: 'preview-frame', title: 'Preview', 'data-testid': 'preview-frame' }) as HTMLIFrameElement;
    this.address = h('input', { class: 'preview-address', type: 'text', spellcheck: 'false', 'aria-label': 'Preview address' }) as HTMLInputElement;
    this.address.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.open(this.address.value.trim(), this.hot);
      e.stopPropagation();
    });
    const device = h('select', { class: 'run-select', title: 'Device size', 'aria-label': 'Device size' }, ...DEVICES.map(([name], i) => h('option', { value: String(i) }, name))) as HTMLSelectElement;
    device.addEventListener('change', () => this.size(DEVICES[Number(device.value)]));
    this.down = h('div', { class: 'preview-down', hidden: true });
    const btn = (label: string, title: string, run: () => void) => h('button', { class: 'run-btn', title, 'aria-label': title, onclick: run }, label);
    this.consoleHead = h('button', { class: 'preview-console-head', title: 'The page\'s console (also @preview for the agent)', onclick: () => this.consoleEl.classList.toggle('open') });
    this.consoleList = h('div', { class: 'preview-console-list', role: 'log', 'aria-label': 'Preview console' });
    this.consoleEl = h('div', { class: 'preview-console' },
      h('div', { class: 'preview-console-bar' }, this.consoleHead, btn('⌫', 'Clear the console', () => this.clearConsole())),
      this.consoleList);
    host.replaceChildren(
      h('div', { class: 'preview-bar' },
        btn('←', 'Back', () => this.go('back')),
        btn('→', 'Forward', () => this.go('forward')),
        btn('↻', 'Reload', () => this.reload()),
        this.address, device,
        btn('↗', 'Open in the system browser', () => void this.backend.openExternal(this.url())),
        (this.shareBtn = canShare ? btn('⇪', 'Share this preview with the session\'s guests (they see it through Weft)', () => void this.toggleShare()) as HTMLButtonElement : null) ?? '',
        btn('×', 'Close the preview', () => this.close())),
      h('div', { class: 'preview-stage' }, this.frame, this.down),
      this.consoleEl);
    this.renderConsoleHead();
    window.addEventListener('message', (e) => this.message(e));
  }

  get visible(): boolean {
    return !this.host.hidden;
  }

  /** The page's address as the user knows it (the app's, not the proxy's). */
  url(): string {
    return this.address.value.trim();
  }

  /** Shows `url` (a bare port or host:port gets http://). */
  async open(url: string, hot: boolean): Promise<void> {
    if (/^\d+$/.test(url)) url = `http://localhost:${url}/`;
    else if (!/^[a-z]+:\/\//i.test(url)) url = `http://${url}`;
    let port: number | null = null;
    let src = url;
    this.proxied = null;
    try {
      const u = new URL(url);
      port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
      // A local app comes through the proxy; anything else as it is.
      if (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && u.port) {
        const proxy = new URL(await this.backend.previewUrl(port));
        this.proxied = { proxy: proxy.origin, app: u.origin };
        src = `${proxy.origin}${u.pathname}${u.search}${u.hash}`;
      }
    } catch {}
    // Another app's console is not this one's.
    if (port !== this.port) this.clearConsole();
    this.port = port;
    this.hot = hot;
    this.address.value = url;
    this.down.hidden = true;
    this.wasDown = false;
    this.frame.src = src;
    this.host.hidden = false;
    this.renderShare();
  }

  /** Guests see (or stop seeing) the app on this port, through the host. */
  private async toggleShare(): Promise<void> {
    const port = this.port;
    if (!port || !this.proxied) {
      toast('Only a local app (localhost:PORT) can be shared with guests', 'error');
      return;
    }
    try {
      const s = this.shared.has(port) ? await this.backend.collabUnsharePreview(port) : await this.backend.collabSharePreview(port);
      this.shared = new Set(s.previews.map((p) => p.port));
      toast(this.shared.has(port) ? `Guests can see port ${port} (a read-only guest only looks)` : `Port ${port} is no longer shared`);
    } catch (e) {
      const code = e instanceof BackendError ? e.code : '';
      toast(code === 'not_sharing' ? 'Share the folder first (Share, top right): then its guests can see the preview' : `Sharing the preview: ${errorMessage(e)}`, 'error');
    }
    this.renderShare();
  }

  private renderShare(): void {
    if (!this.shareBtn) return;
    const on = this.port !== null && this.shared.has(this.port);
    this.shareBtn.classList.toggle('on', on);
    this.shareBtn.title = on ? 'Shared with the session\'s guests: click to stop' : 'Share this preview with the session\'s guests (they see it through Weft)';
  }

  reload(): void {
    if (!this.frame.src) return;
    this.down.hidden = true;
    // Setting the src attribute navigates even to the same address: a reload a
    // cross-origin frame cannot be asked for (the page's script could, but a page that
    // failed to load has none).
    this.frame.setAttribute('src', this.toProxy(this.url()) ?? this.frame.src);
  }

  close(): void {
    this.host.hidden = true;
    this.frame.src = 'about:blank';
    this.port = null;
  }

  private go(where: 'back' | 'forward'): void {
    this.frame.contentWindow?.postMessage({ weftPreview: 1, go: where }, '*');
  }

  private toProxy(url: string): string | null {
    return this.proxied && url.startsWith(this.proxied.app) ? this.proxied.proxy + url.slice(this.proxied.app.length) : null;
  }

  private message(e: MessageEvent): void {
    if (e.source !== this.frame.contentWindow || !this.proxied || e.origin !== this.proxied.proxy) return;
    const m = e.data as { weftPreview?: number; kind?: string; level?: string; text?: string; href?: string; title?: string };
    if (!m?.weftPreview) return;
    if (m.kind === 'loaded' && this.consoleList.childElementCount) {
      // Lines are kept across loads (as a browser's "preserve log"); each load is marked.
      this.consoleList.append(h('div', { class: 'preview-console-line load' }, `— loaded ${typeof m.href === 'string' ? m.href.replace(this.proxied.proxy, this.proxied.app) : ''}`));
    } else if (m.kind === 'location' && typeof m.href === 'string') {
      // The address bar follows the page's own navigation (links, the router).
      if (m.href.startsWith(this.proxied.proxy) && document.activeElement !== this.address) this.address.value = this.proxied.app + m.href.slice(this.proxied.proxy.length);
      this.title = m.title ?? '';
    } else if (m.kind === 'console' && typeof m.text === 'string') {
      this.lines.push({ level: m.level ?? 'log', text: m.text });
      if (this.lines.length > CONSOLE_LINES) this.lines.splice(0, this.lines.length - CONSOLE_LINES);
      const row = h('div', { class: `preview-console-line ${m.level ?? 'log'}` }, m.text);
      this.consoleList.append(row);
      while (this.consoleList.childElementCount > CONSOLE_LINES) this.consoleList.firstElementChild?.remove();
      row.scrollIntoView({ block: 'nearest' });
      if (m.level === 'error') this.consoleEl.classList.add('open');
      this.renderConsoleHead();
    }
  }

  private clearConsole(): void {
    this.lines = [];
    this.consoleList.replaceChildren();
    this.renderConsoleHead();
  }

  private renderConsoleHead(): void {
    const errors = this.lines.filter((l) => l.level === 'error').length;
    this.consoleHead.textContent = `Console ${this.lines.length}${errors ? ` · ⊘ ${errors}` : ''}`;
    this.consoleHead.classList.toggle('bad', errors > 0);
  }

  /** The page and its console, for the agent's @preview. */
  consoleText(): { title: string; text: string } | null {
    if (!this.visible) return null;
    const lines = this.lines.slice(-200).map((l) => `[${l.level}] ${l.text}`);
    return { title: this.url(), text: `Preview of ${this.url()}${this.title ? ` ("${this.title}")` : ''}\nConsole (${this.lines.length} lines, the last ${lines.length}):\n${lines.join('\n') || '(empty)'}` };
  }

  /**
   * Files changed on disk: the editor's saves, the agent's edits, a terminal's. Only source
   * files count (a server writing its log or database on each request must not reload the
   * page that made the request, for ever), and at most once a second.
   */
  changed(paths: string[], reloadOnSave: boolean): void {
    if (!this.visible || this.hot || !reloadOnSave || !paths.some(isSource)) return;
    // A burst (Save All, an agent's several edits) reloads once.
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    const wait = Math.max(40, 1000 - (performance.now() - this.lastReload));
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.lastReload = performance.now();
      this.reload();
    }, wait);
  }

  /** A terminal's port opened or closed. */
  portChanged(port: number, open: boolean, title: string): void {
    if (!this.visible || port !== this.port) return;
    if (!open) {
      this.wasDown = true;
      this.down.textContent = `${title || 'The server'} stopped listening on port ${port}. The preview reloads when it listens again.`;
      this.down.hidden = false;
    } else if (this.wasDown) {
      this.wasDown = false;
      this.reload();
    }
  }

  private size([, w, hgt]: [string, number, number]): void {
    this.frame.classList.toggle('device', w > 0);
    this.frame.style.width = w ? `${w}px` : '';
    this.frame.style.height = hgt ? `${hgt}px` : '';
  }
}
