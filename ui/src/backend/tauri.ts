// Desktop transport: Tauri IPC. One `call` command carries every request; streams ride a
// Tauri Channel (ordered, and raw bytes stay raw), created here before the invoke.

import { invoke, Channel } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import { open } from '@tauri-apps/plugin-dialog';
import { openUrl } from '@tauri-apps/plugin-opener';
import type { Request } from '../bindings/Request';
import { BackendError, type ErrorCode, type Frame, type Transport, type UpdateInfo, type Updater } from './index';

function toError(e: unknown): BackendError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return new BackendError(String((e as { code: unknown }).code) as ErrorCode, String((e as { message: unknown }).message));
  }
  return new BackendError('ipc', String(e));
}

export class TauriTransport implements Transport {
  readonly kind = 'desktop' as const;

  async call(request: Request): Promise<unknown> {
    try {
      return await invoke('call', { request });
    } catch (e) {
      throw toError(e);
    }
  }

  async stream(id: string, request: Request, onFrame: (frame: Frame) => void): Promise<unknown> {
    const channel = new Channel<unknown>();
    channel.onmessage = (m) => onFrame(m instanceof ArrayBuffer ? new Uint8Array(m) : m);
    try {
      return await invoke('call_stream', { request, stream: id, channel });
    } catch (e) {
      throw toError(e);
    }
  }

  async pickFolder(): Promise<string | null> {
    const picked = await open({ directory: true, multiple: false, title: 'Open Folder' });
    return typeof picked === 'string' ? picked : null;
  }

  openExternal(url: string): void {
    void openUrl(url).catch(() => {});
  }

  setTitle(title: string): void {
    document.title = title;
    void getCurrentWindow().setTitle(title).catch(() => {});
  }

  onCloseRequested(confirmClose: () => Promise<boolean>): void {
    void getCurrentWindow().onCloseRequested(async (event) => {
      if (!(await confirmClose())) event.preventDefault();
    });
  }

  onConnection(listener: (up: boolean) => void): void {
    listener(true);
  }

  onMenu(listener: (command: string) => void): void {
    void listen<string>('weft://menu', (e) => listener(e.payload));
  }

  closeWindow(): void {
    void getCurrentWindow().close().catch(() => {});
  }

  readonly updater: Updater = {
    check: () => invoke<UpdateInfo | null>('update_check').catch((e) => { throw toError(e); }),
    download: (onProgress) => {
      const progress = new Channel<{ received: number; total: number | null }>();
      progress.onmessage = (p) => onProgress(p.received, p.total);
      return invoke<void>('update_download', { progress }).catch((e) => { throw toError(e); });
    },
    install: () => invoke<void>('update_install').catch((e) => { throw toError(e); }),
  };
}
