// The parts of the workbench's frame that the start-up's first frame (../firstframe.ts)
// draws too, before the editor's code has loaded: built here once, so the two look the
// same and nothing moves when the workbench takes over. No CodeMirror here: this module is
// in the entry chunk.

import { h, basename } from '../dom';
import type { Settings } from '../backend';

/** The sidebar's view switcher (the Layout wires the buttons; the first frame shows them). */
export function sideTabs(guest: boolean) {
  const explorer = h('button', { class: 'side-tab active', title: 'Explorer (Ctrl+Shift+E)' }, 'Explorer');
  const search = h('button', { class: 'side-tab', title: 'Search (Ctrl+Shift+F)' }, 'Search');
  const timeline = h('button', { class: 'side-tab', title: 'Checkpoints: the timeline of every change' }, 'Timeline');
  const outline = h('button', { class: 'side-tab', title: 'Outline of the open file (Ctrl+Shift+O to jump)' }, 'Outline');
  const git = h('button', { class: 'side-tab', title: 'Source Control (Ctrl+Shift+G)' }, 'Git');
  const problems = h('button', { class: 'side-tab problems-tab', title: 'Problems found in the output of runs (builds, tests, linters)', 'aria-label': 'Problems', hidden: true }, '⊘');
  const el = h('div', { class: 'side-tabs' }, explorer, search, git, outline, guest ? null : timeline, problems);
  return { el, explorer, search, timeline, outline, git, problems };
}

/** The explorer's bar: the folder's name and the tree's buttons (wired by `actions`). */
export function explorerBar(name: string, root: string, actions: { newFile(): void; newFolder(): void; refresh(): void } | null, editable: boolean): HTMLElement {
  const click = (f: keyof NonNullable<typeof actions>) => () => actions?.[f]();
  return h('div', { class: 'side-toolbar' },
    h('span', { class: 'ws-name', title: root }, name),
    editable ? h('button', { class: 'icon-btn', title: 'New File', 'aria-label': 'New File', onclick: click('newFile') }, '+') : null,
    editable ? h('button', { class: 'icon-btn', title: 'New Folder', 'aria-label': 'New Folder', onclick: click('newFolder') }, '⊞') : null,
    h('button', { class: 'icon-btn', title: 'Refresh', 'aria-label': 'Refresh', onclick: click('refresh') }, '⟳'));
}

/** A tab in a group's strip, with its close button (the group wires both). */
export function tabElement(path: string): { tabEl: HTMLElement; closeBtn: HTMLElement } {
  const closeBtn = h('button', { class: 'tab-close', title: 'Close (Ctrl+W)', 'aria-label': `Close ${path}` }, '×');
  const tabEl = h('div', { class: 'tab', role: 'tab', title: path, 'data-path': path }, h('span', { class: 'tab-name' }, basename(path)), h('span', { class: 'tab-dirty', 'aria-hidden': 'true' }, '●'), closeBtn);
  return { tabEl, closeBtn };
}

/** A group's breadcrumbs: the file's path, then `more` (the symbols around the cursor). */
export function crumbs(path: string, more: HTMLElement[] = []): HTMLElement[] {
  const parts = [...path.split('/').map((p) => h('span', { class: 'crumb' }, p)), ...more];
  return parts.flatMap((p, i) => (i ? [h('span', { class: 'crumb-sep' }, '›'), p] : [p]));
}

/** What a group shows with no tab open. */
export function emptyEditor(): HTMLElement {
  return h('div', { class: 'empty-editor' }, 'Open a file from the tree, or press Ctrl+P');
}

/** The theme and the fonts (the first frame's, and again whenever the settings change). */
export function applyLook(settings: Settings, platform: string): void {
  document.body.dataset.theme = settings.theme;
  // Only families the platform has: every missing family in a stack is a font lookup
  // on first render (measured: ~50 ms of WebKitGTK start-up for a four-name stack).
  const ui = ({ macos: '-apple-system, sans-serif', windows: "'Segoe UI', sans-serif" } as Record<string, string>)[platform] ?? 'sans-serif';
  document.documentElement.style.setProperty('--ui-font', ui);
  document.documentElement.style.setProperty('--editor-font', settings.fontFamily);
}
