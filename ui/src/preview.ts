// The preview pane: the app a run serves, beside the editor, in an iframe (the browser
// build and the desktop window alike; the desktop's CSP lets frames load from localhost).
// It reloads after a save unless the app's dev server updates the page itself, and says so
// when the server stops (and reloads when it listens again: a server restarting on a
// change, as uvicorn --reload or nodemon do).

import { h } from './dom';
import type { Backend } from './backend';

/** Files whose change can change the page. */
const SOURCE = /\.(html?|css|scss|sass|less|m?[jt]sx?|cjs|vue|svelte|astro|mdx?|py|rb|php|go|rs|erb|ejs|hbs|njk|twig|jinja2?|j2|tmpl|liquid)$/i;

function isSource(path: string): boolean {
  return SOURCE.test(path) && !/(^|\/)(\.git|\.weft|node_modules|dist|build|target|__pycache__)\//.test(path);
}

/** Sizes to check a layout at; "Fit" fills the pane. */
const DEVICES: [string, number, number][] = [['Fit', 0, 0], ['Phone 390×844', 390, 844], ['Tablet 820×1180', 820, 1180], ['Laptop 1366×768', 1366, 768]];

export class PreviewPane {
  private frame: HTMLIFrameElement;
  private address: HTMLInputElement;
  private down: HTMLElement;
  /** The port shown (from its URL), for the port events. */
  port: number | null = null;
  /** The page's own dev server pushes changes (Vite and the like): saves do not reload it. */
  hot = false;
  private wasDown = false;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private host: HTMLElement, private backend: Backend) {
    this.frame = h('iframe', { class: 'preview-frame', title: 'Preview', 'data-testid': 'preview-frame' }) as HTMLIFrameElement;
    this.address = h('input', { class: 'preview-address', type: 'text', spellcheck: 'false', 'aria-label': 'Preview address' }) as HTMLInputElement;
    this.address.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.open(this.address.value.trim(), this.hot);
      e.stopPropagation();
    });
    const device = h('select', { class: 'run-select', title: 'Device size', 'aria-label': 'Device size' }, ...DEVICES.map(([name], i) => h('option', { value: String(i) }, name))) as HTMLSelectElement;
    device.addEventListener('change', () => this.size(DEVICES[Number(device.value)]));
    this.down = h('div', { class: 'preview-down', hidden: true });
    const btn = (label: string, title: string, run: () => void) => h('button', { class: 'run-btn', title, 'aria-label': title, onclick: run }, label);
    host.replaceChildren(
      h('div', { class: 'preview-bar' },
        btn('↻', 'Reload', () => this.reload()),
        this.address, device,
        btn('↗', 'Open in the system browser', () => void this.backend.openExternal(this.url())),
        btn('×', 'Close the preview', () => this.close())),
      h('div', { class: 'preview-stage' }, this.frame, this.down));
  }

  get visible(): boolean {
    return !this.host.hidden;
  }

  url(): string {
    return this.address.value.trim();
  }

  /** Shows `url` (a bare port or host:port gets http://). */
  open(url: string, hot: boolean): void {
    if (/^\d+$/.test(url)) url = `http://localhost:${url}/`;
    else if (!/^[a-z]+:\/\//i.test(url)) url = `http://${url}`;
    let port: number | null = null;
    try {
      const u = new URL(url);
      port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    } catch {}
    this.port = port;
    this.hot = hot;
    this.address.value = url;
    this.down.hidden = true;
    this.wasDown = false;
    this.frame.src = url;
    this.host.hidden = false;
  }

  reload(): void {
    if (!this.frame.src) return;
    this.down.hidden = true;
    // Setting the src attribute navigates even to the same address: a reload a
    // cross-origin frame cannot be asked for.
    this.frame.setAttribute('src', this.frame.src);
  }

  close(): void {
    this.host.hidden = true;
    this.frame.src = 'about:blank';
    this.port = null;
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
    const wait = Math.max(150, 1000 - (performance.now() - this.lastReload));
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.lastReload = performance.now();
      this.reload();
    }, wait);
  }

  private lastReload = -Infinity;

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
