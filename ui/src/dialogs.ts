// Modal dialogs and toasts, in-page (the desktop webview has no window.prompt).

import { h } from './dom';

let layer: HTMLElement | null = null;
function overlay(): HTMLElement {
  layer ??= document.body.appendChild(h('div', { class: 'modal-layer' }));
  return layer;
}

export interface Choice<T> {
  label: string;
  value: T;
  primary?: boolean;
  danger?: boolean;
}

/** Shows a message with buttons; Escape picks the last choice (by convention, Cancel). */
export function choose<T>(title: string, message: string, choices: Choice<T>[]): Promise<T> {
  return new Promise((resolve) => {
    const buttons = choices.map((c) =>
      h('button', { class: `btn${c.primary ? ' primary' : ''}${c.danger ? ' danger' : ''}`, onclick: () => done(c.value) }, c.label),
    );
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-label': title },
      h('h2', {}, title), h('p', { class: 'modal-message' }, message), h('div', { class: 'modal-buttons' }, ...buttons));
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') done(choices[choices.length - 1].value);
    };
    function done(v: T) {
      box.remove();
      document.removeEventListener('keydown', onKey, true);
      resolve(v);
    }
    document.addEventListener('keydown', onKey, true);
    overlay().append(box);
    (buttons.find((_, i) => choices[i].primary) ?? buttons[0])?.focus();
  });
}

/** Asks for a line of text; resolves null on cancel. `selectTo` pre-selects a prefix (a name without its extension). */
export function promptText(title: string, initial = '', selectTo?: number): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { class: 'modal-input', type: 'text', spellcheck: 'false', 'aria-label': title });
    input.value = initial;
    const ok = h('button', { class: 'btn primary', onclick: () => done(input.value.trim() || null) }, 'OK');
    const cancel = h('button', { class: 'btn', onclick: () => done(null) }, 'Cancel');
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-label': title }, h('h2', {}, title), input, h('div', { class: 'modal-buttons' }, ok, cancel));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') done(input.value.trim() || null);
      if (e.key === 'Escape') done(null);
      e.stopPropagation();
    });
    function done(v: string | null) {
      box.remove();
      resolve(v);
    }
    overlay().append(box);
    input.focus();
    input.setSelectionRange(0, selectTo ?? initial.length);
  });
}

/** A large modal for custom content (settings, compare, replace preview). */
export function panelModal(title: string, body: HTMLElement, buttons: HTMLElement[], onEscape: () => void): HTMLElement {
  const box = h('div', { class: 'modal wide', role: 'dialog', 'aria-label': title }, h('h2', {}, title), body, h('div', { class: 'modal-buttons' }, ...buttons));
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onEscape();
    }
  });
  overlay().append(box);
  return box;
}

let toasts: HTMLElement | null = null;
export function toast(message: string, kind: 'info' | 'error' = 'info', ms = kind === 'error' ? 8000 : 3000): void {
  toasts ??= document.body.appendChild(h('div', { class: 'toasts', role: 'status' }));
  const t = h('div', { class: `toast ${kind}` }, message);
  t.addEventListener('click', () => t.remove());
  toasts.append(t);
  setTimeout(() => t.remove(), ms);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
