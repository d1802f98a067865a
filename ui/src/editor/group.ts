// An editor group: a tab strip over a stack of CodeMirror views (one per open tab, kept
// alive so undo history and scroll survive switching). Split panes are several groups.

import { EditorState, EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { h } from '../dom';
import type { Settings } from '../backend';
import { baseExtensions, compartments, sharedUndo } from './extensions';
import type { Doc } from './doc';
import { languageFor } from '../languages';
import { syntaxExtensions } from './syntax';
import { agentCursor } from './agentcursor';
import { emptyEditor, tabElement } from '../workbench/chrome';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import { Prec, type Extension } from '@codemirror/state';
import { keymap } from '@codemirror/view';

export interface Tab {
  doc: Doc;
  view: EditorView;
  tabEl: HTMLElement;
  paneEl: HTMLElement;
  language: string;
  unsubscribe: () => void;
}

export interface GroupHooks {
  settings(): Settings;
  onActivate(group: EditorGroup, tab: Tab | null): void;
  onCursor(tab: Tab): void;
  requestClose(group: EditorGroup, tab: Tab): void;
  onTabsChanged(): void;
  banner(tab: Tab): HTMLElement | null;
  /** More for a document's editor (its language server's features). */
  extensions?(doc: Doc): Extension;
}

export class EditorGroup {
  readonly el: HTMLElement;
  private tabsEl: HTMLElement;
  /** Breadcrumbs of the active tab: its path and the symbols around the cursor. */
  readonly crumbsEl: HTMLElement;
  private bodyEl: HTMLElement;
  tabs: Tab[] = [];
  active: Tab | null = null;
  private scrollPending = false;

  constructor(private hooks: GroupHooks) {
    this.tabsEl = h('div', { class: 'tabs', role: 'tablist' });
    this.bodyEl = h('div', { class: 'group-body' }, emptyEditor());
    this.crumbsEl = h('div', { class: 'crumbs', 'aria-label': 'Breadcrumbs' });
    this.el = h('div', { class: 'group' }, this.tabsEl, this.crumbsEl, this.bodyEl);
    this.el.addEventListener('focusin', () => this.hooks.onActivate(this, this.active));
    this.el.addEventListener('mousedown', () => this.hooks.onActivate(this, this.active));
  }

  find(path: string): Tab | undefined {
    return this.tabs.find((t) => t.doc.path === path);
  }

  open(doc: Doc, focus = true): Tab {
    const existing = this.find(doc.path);
    if (existing) {
      this.activate(existing, focus);
      return existing;
    }
    const s = this.hooks.settings();
    const text = doc.bound ? doc.bound.text.toString() : doc.primary ? doc.primary.state.doc : doc.initialText;
    const paneEl = h('div', { class: 'pane' });
    const tab = { doc, paneEl, language: 'Plain Text' } as unknown as Tab;
    const view = new EditorView({
      parent: paneEl,
      state: EditorState.create({
        doc: text,
        extensions: [
          // A document's undo is Yjs's, per user: Ctrl+Z never takes back a guest's or the
          // agent's typing. Their cursors show through the same binding.
          baseExtensions(s, { large: doc.large, readOnly: doc.readonly, lineSeparator: doc.separator, history: !doc.bound }),
          doc.bound ? [yCollab(doc.bound.text, doc.bound.sync.awareness, { undoManager: doc.bound.undo }), Prec.high(keymap.of(yUndoManagerKeymap))] : [],
          doc.large ? [] : syntaxExtensions(() => doc.syntax),
          agentCursor(),
          this.hooks.extensions?.(doc) ?? [],
          EditorView.updateListener.of((u) => {
            doc.viewUpdated(u.view, u);
            if (u.selectionSet || u.docChanged) this.hooks.onCursor(tab);
          }),
          EditorView.contentAttributes.of({ 'aria-label': `Editor: ${doc.path}` }),
        ],
      }),
    });
    tab.view = view;
    if (doc.bound) sharedUndo.set(view, doc.bound.undo);
    doc.views.add(view);
    doc.saved ??= view.state.doc;
    doc.syntax?.viewAdded(view);
    const { tabEl, closeBtn } = tabElement(doc.path);
    closeBtn.addEventListener('click', (e) => {
      e.stopPropagation();
      this.hooks.requestClose(this, tab);
    });
    tab.tabEl = tabEl;
    tab.tabEl.addEventListener('mousedown', (e) => {
      if (e.button === 1) {
        e.preventDefault();
        this.hooks.requestClose(this, tab);
      }
    });
    tab.tabEl.addEventListener('click', () => this.activate(tab));
    tab.unsubscribe = doc.onChange(() => this.renderTab(tab));
    this.tabs.push(tab);
    this.tabsEl.append(tab.tabEl);
    this.bodyEl.querySelector('.empty-editor')?.remove();
    this.bodyEl.append(paneEl);
    this.renderTab(tab);
    this.activate(tab, focus);
    this.hooks.onTabsChanged();
    if (!doc.large) void this.loadLanguage(tab);
    return tab;
  }

  private async loadLanguage(tab: Tab) {
    const lang = languageFor(tab.doc.path, tab.view.state.doc.line(1).text);
    if (!lang) return;
    tab.language = lang.name;
    const ext = await lang.load();
    tab.view.dispatch({ effects: compartments.language.reconfigure(ext) });
    if (tab === this.active) this.hooks.onCursor(tab);
  }

  renderTab(tab: Tab) {
    tab.tabEl.classList.toggle('dirty', tab.doc.dirty);
    tab.tabEl.classList.toggle('active', tab === this.active);
    tab.tabEl.classList.toggle('deleted', tab.doc.deletedOnDisk);
    tab.tabEl.setAttribute('aria-selected', String(tab === this.active));
    const old = tab.paneEl.querySelector('.banner');
    const banner = this.hooks.banner(tab);
    if (old) old.remove();
    if (banner) tab.paneEl.prepend(banner);
  }

  activate(tab: Tab, focus = true) {
    this.active = tab;
    for (const t of this.tabs) {
      t.paneEl.hidden = t !== tab;
      this.renderTab(t);
    }
    // Before the next frame, not now: scrolling lays the page out at once, and restoring a
    // session activates tabs several times before anything is painted.
    if (!this.scrollPending) {
      this.scrollPending = true;
      requestAnimationFrame(() => {
        this.scrollPending = false;
        this.active?.tabEl.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      });
    }
    if (focus) tab.view.focus();
    this.hooks.onActivate(this, tab);
  }

  /** Moves the cursor to a 1-based line and optional 0-based column range, and scrolls there. */
  reveal(tab: Tab, line: number, from?: number, to?: number) {
    const doc = tab.view.state.doc;
    const l = doc.line(Math.max(1, Math.min(line, doc.lines)));
    const a = Math.min(l.from + (from ?? 0), l.to);
    const b = Math.min(l.from + (to ?? from ?? 0), l.to);
    tab.view.dispatch({ selection: EditorSelection.range(a, b), effects: EditorView.scrollIntoView(a, { y: 'center' }), userEvent: 'select' });
    tab.view.focus();
  }

  /** Removes a tab without asking (the caller asked). */
  close(tab: Tab) {
    const i = this.tabs.indexOf(tab);
    if (i < 0) return;
    this.tabs.splice(i, 1);
    tab.unsubscribe();
    tab.doc.views.delete(tab.view);
    tab.view.destroy();
    tab.tabEl.remove();
    tab.paneEl.remove();
    if (this.active === tab) {
      this.active = null;
      const next = this.tabs[i] ?? this.tabs[i - 1];
      if (next) this.activate(next);
      else {
        this.bodyEl.append(emptyEditor());
        this.hooks.onActivate(this, null);
      }
    }
    this.hooks.onTabsChanged();
  }
}
