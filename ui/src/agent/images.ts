// Pictures sent with a prompt: pasted, dropped, picked from disk, or a screenshot of the
// running app's preview. Shown as thumbnails above the prompt until sent. The backend
// checks them again (format by signature, 5 MB); here they are refused early with a toast.

import { h } from '../dom';
import type { Backend, ImageSource } from '../backend';
import { toast, errorMessage } from '../dialogs';

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const MAX_BYTES = 5 * 1024 * 1024;
/** Per prompt: a handful is what a person means; more is usually a drop gone wrong. */
const MAX_IMAGES = 8;

export function imageUrl(i: ImageSource): string {
  return `data:${i.media_type};base64,${i.data}`;
}

/** A thumbnail that opens the picture full size in a new tab. */
export function thumbnail(i: ImageSource, title = 'Image'): HTMLElement {
  const img = h('img', { class: 'ag-thumb', src: imageUrl(i), alt: title, title: `${title} (click to open)` });
  img.addEventListener('click', () => {
    const w = window.open();
    if (w) w.document.body.append(Object.assign(w.document.createElement('img'), { src: imageUrl(i) }));
  });
  return img;
}

function readFile(f: File, mediaType: string): Promise<ImageSource> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      resolve({ type: 'base64', media_type: mediaType, data: url.slice(url.indexOf(',') + 1) });
    };
    r.onerror = () => reject(r.error ?? new Error('unreadable'));
    r.readAsDataURL(f);
  });
}

export class ImageTray {
  readonly el: HTMLElement;
  /** ▨ (from disk) and ◉ (the preview), for the composer's bar: symbols every font has. */
  readonly buttons: HTMLElement[];
  private images: ImageSource[] = [];
  private picker: HTMLInputElement;

  constructor(private backend: Backend, dropZone: HTMLElement, input: HTMLTextAreaElement) {
    this.el = h('div', { class: 'ag-images', 'aria-label': 'Attached images' });
    this.picker = h('input', { type: 'file', accept: IMAGE_TYPES.join(','), multiple: true, hidden: true });
    this.picker.addEventListener('change', () => {
      void this.addFiles([...(this.picker.files ?? [])]);
      this.picker.value = '';
    });
    this.buttons = [
      h('button', { class: 'icon-btn', title: 'Attach an image (or paste or drop one into the prompt)', 'aria-label': 'Attach image', onclick: () => this.picker.click() }, '▨'),
      h('button', { class: 'icon-btn', title: 'Attach a screenshot of the running app (the preview)', 'aria-label': 'Attach a screenshot of the preview', onclick: () => void this.screenshot() }, '◉'),
      this.picker,
    ];
    input.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      if (!files.length) return;
      e.preventDefault();
      void this.addFiles(files);
    });
    dropZone.addEventListener('dragover', (e) => {
      if ([...(e.dataTransfer?.items ?? [])].some((i) => i.kind === 'file')) e.preventDefault();
    });
    dropZone.addEventListener('drop', (e) => {
      const files = [...(e.dataTransfer?.files ?? [])];
      if (!files.length) return;
      e.preventDefault();
      void this.addFiles(files);
    });
    this.render();
  }

  async addFiles(files: File[]) {
    for (const f of files) {
      const type = f.type === 'image/jpg' ? 'image/jpeg' : f.type;
      if (!IMAGE_TYPES.includes(type)) toast(`${f.name}: ${f.type || 'this file'} is not an image models take (PNG, JPEG, GIF or WebP)`, 'error');
      else if (f.size > MAX_BYTES) toast(`${f.name} is ${(f.size / 1048576).toFixed(1)} MB; models take at most 5 MB per image`, 'error');
      else {
        try {
          this.add(await readFile(f, type));
        } catch (e) {
          toast(`${f.name}: ${errorMessage(e)}`, 'error');
        }
      }
    }
  }

  add(i: ImageSource) {
    if (this.images.length >= MAX_IMAGES) {
      toast(`At most ${MAX_IMAGES} images per prompt`, 'error');
      return;
    }
    this.images.push(i);
    this.render();
  }

  async screenshot() {
    toast('Taking a screenshot of the preview…');
    try {
      this.add(await this.backend.previewScreenshot(0));
    } catch (e) {
      toast(`Screenshot: ${errorMessage(e)}`, 'error');
    }
  }

  /** The images to send, and the tray emptied. */
  take(): ImageSource[] {
    const all = this.images;
    this.images = [];
    this.render();
    return all;
  }

  /** Put back after a refused send. */
  restore(images: ImageSource[]) {
    if (!this.images.length) this.images = images;
    this.render();
  }

  private render() {
    this.el.hidden = !this.images.length;
    this.el.replaceChildren(...this.images.map((img, k) => h('span', { class: 'ag-image' },
      thumbnail(img, `Image ${k + 1}`),
      h('button', { class: 'ag-image-x', title: 'Remove', 'aria-label': `Remove image ${k + 1}`, onclick: () => { this.images.splice(k, 1); this.render(); } }, '×'))));
  }
}
