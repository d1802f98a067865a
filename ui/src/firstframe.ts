// The start-up's first frame: the workbench's frame, the folder's tree and the restored
// file's text, drawn by the entry before the editor's code loads. CodeMirror, Yjs and the
// workbench are most of the page's start-up (measured on WebKitGTK: ~75 ms to load and run
// that code, ~60 ms more to build the editor and lay it out, against 15–20 ms for a bare
// window's whole page). This frame needs none of it, so the window is usable at once: the
// tree is the real one (the workbench adopts it, with what was expanded or clicked), and
// the text is editable in a plain text area. When the workbench is ready it takes over
// (`take`): what was typed here goes into the document as one edit, mapped over anything
// that changed it meanwhile, with the cursor and the scroll position.

import { h } from './dom';
import { mark } from './marks';
import { languageFor } from './languages';
import type { AppInfo, Backend, DocStream, Session, Settings, TreeEntry } from './backend';
import { FileTree, type TreeHooks } from './tree';
import { applyLook, crumbs, emptyEditor, explorerBar, sideTabs, tabElement } from './workbench/chrome';

/** What the first frame's text area held when the workbench took over. */
export interface FirstText {
  path: string;
  /** The document's text the frame showed. */
  base: string;
  /** The text area's text (differs from `base` when typed into). */
  value: string;
  selectionStart: number;
  selectionEnd: number;
  scrollTop: number;
  scrollLeft: number;
}

const TEXT_KEYS = /^([acvxyzACVXYZ]|Arrow\w+|Home|End|Backspace|Delete)$/;

export class FirstFrame {
  /** The tree's actions before the workbench binds its own (replayed then, in order). */
  private pending: ((hooks: TreeHooks) => void)[] = [];
  private text: HTMLTextAreaElement | null = null;
  private base = '';
  readonly tree: FileTree;

  /** Command keys pressed before the workbench had its commands (replayed then). */
  private keys: KeyboardEvent[] = [];

  private constructor(backend: Backend, private active: string | null) {
    this.tree = new FileTree(backend, {
      open: (p) => void this.pending.push((hk) => hk.open(p)),
      renamed: (from, to) => void this.pending.push((hk) => hk.renamed(from, to)),
      deleted: (p) => void this.pending.push((hk) => hk.deleted(p)),
    });
    document.addEventListener('keydown', this.onKey, true);
    document.addEventListener('pointerdown', this.onPointer, true);
    document.addEventListener('pointerup', this.onPointer, true);
    document.addEventListener('pointercancel', this.onPointer, true);
  }

  /** A mouse button is down (a click under way). */
  private pressed = false;
  private released: (() => void) | null = null;

  private onPointer = (e: PointerEvent) => {
    this.pressed = e.type === 'pointerdown';
    // The click event comes after pointerup, in a task of its own: resolve after it.
    if (!this.pressed && this.released) setTimeout(this.released, 0);
  };

  /**
   * Resolves when no click is under way. The take-over moves the tree: WebKit drops a click
   * whose pressed element left the document before the button came up, so a click that
   * spans the take-over would be lost (it was, in the desktop smoke test).
   */
  settled(): Promise<void> {
    if (!this.pressed) return Promise.resolve();
    return new Promise((r) => {
      this.released = () => {
        this.released = null;
        r();
      };
      // A button let go outside the window may never say so here.
      setTimeout(() => this.released?.(), 1000);
    });
  }

  private onKey = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey || e.altKey;
    if (!mod && !/^(F\d+|Escape)$/.test(e.key)) return; // typing: the text area's
    // The text area's own editing keys (copy, paste, undo, select, move by word) stay its.
    if (e.target === this.text && !e.altKey && TEXT_KEYS.test(e.key)) return;
    e.preventDefault();
    // Not the workbench's own listener either, which may be there while it builds.
    e.stopImmediatePropagation();
    this.keys.push(e);
  };

  /** Sends the command keys pressed meanwhile to the workbench (after `take`). */
  replayKeys(): void {
    for (const e of this.keys.splice(0)) {
      const { key, code, ctrlKey, shiftKey, altKey, metaKey } = e;
      (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent('keydown', { key, code, ctrlKey, shiftKey, altKey, metaKey, bubbles: true, cancelable: true }));
    }
  }

  /**
   * Draws the frame into `root` once the tree is listed and the active file's text is here
   * (its docOpen asked `withText`). Never fails: a file that did not open leaves the empty
   * editor (the workbench reports why when it opens the file itself).
   */
  static async show(root: HTMLElement, backend: Backend, info: AppInfo, settings: Settings, session: Session | null, listing: Promise<TreeEntry[]>, docs: Map<string, DocStream>): Promise<FirstFrame> {
    applyLook(settings, info.platform);
    const group = activeGroup(session);
    const active = group?.active && docs.has(group.active) ? group.active : null;
    const frame = new FirstFrame(backend, active);
    const opened = active ? docs.get(active)!.result.then((d) => (mark('text'), d), () => null) : Promise.resolve(null);
    const [, doc] = await Promise.all([frame.tree.load(listing).then(() => mark('listed')), opened]);
    let pane: HTMLElement = emptyEditor();
    if (active && doc?.text != null) {
      const lines = doc.text.split('\n');
      // Where CodeMirror's gutters will put the text (measured): line numbers at least
      // 12 px wide, the fold gutter's 16 px once a language is known, 44 px of padding.
      const gutter = `max(${String(lines.length).length}ch, 12px) + ${languageFor(active, lines[0]) ? 60 : 44}px`;
      frame.base = doc.text;
      frame.text = h('textarea', {
        class: 'first-text', spellcheck: 'false', wrap: settings.wordWrap ? 'soft' : 'off', 'aria-label': `Editor: ${active}`,
        style: `font-size:${settings.fontSize}px;tab-size:${settings.tabSize};padding-left:calc(${gutter})`,
      });
      frame.text.value = doc.text;
      frame.text.readOnly = doc.readonly;
      frame.text.setSelectionRange(0, 0);
      pane = h('div', { class: 'pane' }, frame.text);
    }
    const tabs = (group?.files ?? []).filter((f) => docs.has(f)).map((f) => {
      const { tabEl } = tabElement(f);
      tabEl.classList.toggle('active', f === active);
      return tabEl;
    });
    const ws = info.workspace!;
    root.replaceChildren(h('div', { class: 'workbench first-frame' },
      h('header', { class: 'topbar' }, h('span', { class: 'logo' }, 'Weft')),
      h('div', { class: 'main' },
        h('aside', { class: 'sidebar' }, sideTabs(false).el, h('div', { class: 'side-view explorer' }, explorerBar(ws.name, ws.root, null, true), frame.tree.el)),
        h('div', { class: 'editor-area' }, h('div', { class: 'editor-row' }, h('div', { class: 'groups' },
          h('div', { class: 'group active-group' }, h('div', { class: 'tabs', role: 'tablist' }, ...tabs),
            h('div', { class: 'crumbs' }, ...(active ? crumbs(active) : [])), h('div', { class: 'group-body' }, pane)))))),
      h('footer', { class: 'statusbar' }, h('span', { class: 'status-item file' }, active ?? ''))));
    frame.text?.focus();
    // Laid out, as the workbench's ready is.
    void root.offsetHeight;
    return frame;
  }

  /**
   * The workbench adopts the tree: its hooks from now on, and what was clicked meanwhile.
   * The tree stays in this frame, clickable, until the workbench shows and moves it in.
   */
  adoptTree(hooks: TreeHooks): FileTree {
    this.tree.rebind(hooks);
    for (const call of this.pending.splice(0)) call(hooks);
    return this.tree;
  }

  /**
   * The text area's state, for the editor taking over (then it takes no more input). Call
   * it in the same task that replaces the frame, so no keystroke falls between.
   */
  take(): FirstText | null {
    document.removeEventListener('keydown', this.onKey, true);
    for (const t of ['pointerdown', 'pointerup', 'pointercancel']) document.removeEventListener(t, this.onPointer as EventListener, true);
    const t = this.text;
    if (!t || !this.active) return null;
    t.readOnly = true;
    return {
      path: this.active, base: this.base, value: t.value, selectionStart: t.selectionStart, selectionEnd: t.selectionEnd,
      scrollTop: t.scrollTop, scrollLeft: t.scrollLeft,
    };
  }
}

/** The session's active editor group (its saved index can outlive a group). */
export function activeGroup(session: Session | null): Session['groups'][number] | undefined {
  return session?.groups[Math.min(session.activeGroup, session.groups.length - 1)];
}
