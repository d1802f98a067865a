// Browser transport: a WebSocket to `weft serve`. Envelopes `{id, request, stream?}` go
// out; `{id, ok|error}` replies and `{stream, data}` frames come back (binary frames are
// `[u16 id length][id][bytes]`). The access token comes from the page URL once, then lives
// in sessionStorage so it does not linger in the address bar. The socket reconnects with
// backoff; calls in flight when it drops fail with code "disconnected".

import type { Request } from '../bindings/Request';
import type { ApiError } from '../bindings/ApiError';
import { BackendError, type Frame, type Transport } from './index';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: BackendError) => void;
}

export class WsTransport implements Transport {
  readonly kind = 'browser' as const;
  private ws!: WebSocket;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private streams = new Map<string, (f: Frame) => void>();
  private listeners: ((up: boolean) => void)[] = [];
  private backoff = 250;
  private up = false;

  private constructor(private readonly url: string) {}

  static async connect(): Promise<WsTransport> {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('token');
    if (fromUrl) {
      sessionStorage.setItem('weft-token', fromUrl);
      params.delete('token');
      const rest = params.toString();
      history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
    }
    const token = fromUrl ?? sessionStorage.getItem('weft-token') ?? '';
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const t = new WsTransport(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    await t.open();
    return t;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.backoff = 250;
        this.setUp(true);
        resolve();
      };
      ws.onmessage = (ev) => this.receive(ev.data);
      ws.onclose = () => {
        for (const p of this.pending.values()) p.reject(new BackendError('disconnected', 'the connection to weft serve was lost'));
        this.pending.clear();
        if (!opened) {
          reject(new BackendError('unauthorized', 'could not connect to weft serve (is the token in the URL right?)'));
          return;
        }
        this.setUp(false);
        const delay = this.backoff;
        this.backoff = Math.min(this.backoff * 2, 5000);
        setTimeout(() => void this.open().catch(() => {}), delay);
      };
    });
  }

  private setUp(up: boolean) {
    if (this.up === up) return;
    this.up = up;
    for (const l of this.listeners) l(up);
  }

  private receive(data: unknown) {
    if (data instanceof ArrayBuffer) {
      const view = new DataView(data);
      const len = view.getUint16(0);
      const id = new TextDecoder().decode(new Uint8Array(data, 2, len));
      this.streams.get(id)?.(new Uint8Array(data, 2 + len));
      return;
    }
    let msg: { id?: number; ok?: unknown; error?: ApiError; stream?: string; data?: unknown };
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (msg.stream !== undefined) {
      this.streams.get(msg.stream)?.(msg.data);
      return;
    }
    if (msg.id === undefined) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new BackendError(msg.error.code, msg.error.message));
    else p.resolve(msg.ok ?? null);
  }

  private send(request: Request, stream?: string): Promise<unknown> {
    if (this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new BackendError('disconnected', 'not connected to weft serve'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify(stream ? { id, request, stream } : { id, request }));
    });
  }

  call(request: Request): Promise<unknown> {
    if (request.method === 'cancel') this.streams.delete(request.params.stream);
    return this.send(request);
  }

  stream(id: string, request: Request, onFrame: (f: Frame) => void): Promise<unknown> {
    this.streams.set(id, onFrame);
    return this.send(request, id);
  }

  async pickFolder(): Promise<string | null> {
    return null;
  }

  openExternal(url: string): void {
    window.open(url, '_blank', 'noopener');
  }

  setTitle(title: string): void {
    document.title = title;
  }

  onCloseRequested(_confirmClose: () => Promise<boolean>): void {
    // A page may only ask the browser for its own generic prompt, and must decide
    // synchronously: the app keeps `data-dirty` on <body> current for this.
    window.addEventListener('beforeunload', (ev) => {
      if (document.body.dataset.dirty === 'true') ev.preventDefault();
    });
  }

  onConnection(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
    listener(this.up);
  }
}
