// The file tree: one level is listed when a folder is expanded, so a huge repository opens
// at once. Outside changes arrive as watch batches; only the affected folders are re-listed.

import { h, basename, dirname, joinPath, debounce } from './dom';
import type { Backend, TreeEntry } from './backend';
import { choose, promptText, toast, errorMessage } from './dialogs';

interface Node {
  entry: TreeEntry;
  row: HTMLElement;
  children: HTMLElement | null;
  expanded: boolean;
}

export interface TreeHooks {
  open(path: string): void;
  renamed(from: string, to: string): void;
  deleted(path: string): void;
  /** False for a guest: the files are the host's to create, move and delete. */
  editable?: boolean;
  /** A path's git status, for its colour. */
  mark?(path: string): string | undefined;
}

export class FileTree {
  readonly el: HTMLElement;
  private rootList: HTMLElement;
  private nodes = new Map<string, Node>();
  private expanded = new Set<string>();
  private selected: string | null = null;
  private staleDirs = new Set<string>();
  private flush = debounce(() => void this.refreshStale(), 60);

  constructor(private backend: Backend, private hooks: TreeHooks) {
    this.rootList = h('div', { class: 'tree-list', role: 'tree' });
    this.el = h('div', { class: 'tree', tabindex: '0' }, this.rootList);
    this.el.addEventListener('contextmenu', (e) => {
      if (hooks.editable === false) return;
      if (e.target === this.el || e.target === this.rootList) {
        e.preventDefault();
        this.menu(e, null);
      }
    });
    // Dropping on empty space moves to the root.
    this.el.addEventListener('dragover', (e) => e.preventDefault());
    this.el.addEventListener('drop', (e) => {
      if (e.target === this.el || e.target === this.rootList) void this.drop(e, '');
    });
  }

  /** The workbench takes over a tree the start-up's first frame drew (../firstframe.ts). */
  rebind(hooks: TreeHooks): void {
    this.hooks = hooks;
    this.markAll();
  }

  /** Lists the root; `listing` is one already asked for (at start-up, before this code loaded). */
  async load(listing?: Promise<TreeEntry[]>): Promise<void> {
    await this.fill(this.rootList, '', 0, listing);
  }

  private async fill(container: HTMLElement, dir: string, depth: number, listing?: Promise<TreeEntry[]>): Promise<void> {
    let entries: TreeEntry[];
    try {
      entries = await (listing ?? this.backend.listDir(dir));
    } catch (e) {
      container.replaceChildren(h('div', { class: 'tree-error' }, errorMessage(e)));
      return;
    }
    const rows: HTMLElement[] = [];
    for (const entry of entries) {
      const old = this.nodes.get(entry.path);
      const node = old && old.entry.kind === entry.kind ? old : this.makeNode(entry, depth);
      node.entry = entry;
      this.nodes.set(entry.path, node);
      rows.push(node.row);
      if (node.children) rows.push(node.children);
    }
    // Forget nodes of entries that disappeared from this folder.
    const present = new Set(entries.map((e) => e.path));
    for (const [path, node] of this.nodes) {
      if (dirname(path) === dir && !present.has(path)) {
        this.nodes.delete(path);
        this.expanded.delete(path);
        node.row.remove();
        node.children?.remove();
      }
    }
    place(container, rows);
    for (const entry of entries) {
      const node = this.nodes.get(entry.path);
      if (node && entry.kind === 'dir' && this.expanded.has(entry.path) && node.children) await this.fill(node.children, entry.path, depth + 1);
    }
  }

  private makeNode(entry: TreeEntry, depth: number): Node {
    const isDir = entry.kind === 'dir';
    const row = h('div', {
      class: `tree-row ${isDir ? 'dir' : 'file'}`, role: 'treeitem', draggable: String(this.hooks.editable !== false), 'data-path': entry.path,
      style: `padding-left:${8 + depth * 14}px`, title: entry.path,
    }, h('span', { class: 'twisty' }, isDir ? '▸' : ''), h('span', { class: 'tree-name' }, entry.name + (entry.symlink ? ' ↪' : '')));
    const node: Node = { entry, row, children: isDir ? h('div', { class: 'tree-children', role: 'group', hidden: true }) : null, expanded: false };
    row.addEventListener('click', () => {
      this.select(node.entry.path);
      if (node.entry.kind === 'dir') void this.toggle(node);
      else this.hooks.open(node.entry.path);
    });
    row.addEventListener('contextmenu', (e) => {
      if (this.hooks.editable === false) return;
      e.preventDefault();
      e.stopPropagation();
      this.select(node.entry.path);
      this.menu(e, node);
    });
    row.addEventListener('dragstart', (e) => {
      e.dataTransfer?.setData('text/x-weft-path', node.entry.path);
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    });
    row.addEventListener('dragover', (e) => {
      e.preventDefault();
      row.classList.add('drop-target');
    });
    row.addEventListener('dragleave', () => row.classList.remove('drop-target'));
    row.addEventListener('drop', (e) => {
      e.stopPropagation();
      row.classList.remove('drop-target');
      void this.drop(e, node.entry.kind === 'dir' ? node.entry.path : dirname(node.entry.path));
    });
    this.markRow(row, entry.path);
    if (isDir && this.expanded.has(entry.path)) {
      node.expanded = true;
      if (node.children) node.children.hidden = false;
      row.classList.add('expanded');
    }
    return node;
  }

  private markRow(row: HTMLElement, path: string) {
    const mark = this.hooks.mark?.(path);
    if (mark) row.dataset.git = mark;
    else delete row.dataset.git;
  }

  /** The git status changed: every row shown takes its new colour. */
  markAll(): void {
    for (const [path, node] of this.nodes) this.markRow(node.row, path);
  }

  private async toggle(node: Node, expand = !node.expanded): Promise<void> {
    if (!node.children) return;
    node.expanded = expand;
    node.row.classList.toggle('expanded', expand);
    node.children.hidden = !expand;
    if (expand) {
      this.expanded.add(node.entry.path);
      await this.fill(node.children, node.entry.path, this.depth(node.entry.path) + 1);
    } else {
      this.expanded.delete(node.entry.path);
    }
  }

  private depth(path: string): number {
    return path.split('/').length - 1;
  }

  private revealing: string | null = null;

  private select(path: string | null) {
    if (this.selected) this.nodes.get(this.selected)?.row.classList.remove('selected');
    this.selected = path;
    if (path) this.nodes.get(path)?.row.classList.add('selected');
  }

  /** Expands the folders above `path` and highlights it (following the active editor). */
  async reveal(path: string): Promise<void> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const node = this.nodes.get(dir);
      if (node && !node.expanded) await this.toggle(node, true);
    }
    this.select(path);
    // Before the next frame rather than now (scrolling lays the page out at once), and
    // only for the last path asked: opening several editors reveals each.
    this.revealing = path;
    requestAnimationFrame(() => {
      if (this.revealing !== path) return;
      this.revealing = null;
      this.nodes.get(path)?.row.scrollIntoView({ block: 'nearest' });
    });
  }

  /** A watch batch: re-list the parent folders of what changed (if they are shown). */
  changed(paths: string[], rescan: boolean): void {
    if (rescan) this.staleDirs.add('');
    for (const p of paths) {
      const dir = dirname(p);
      if (dir === '' || this.expanded.has(dir)) this.staleDirs.add(dir);
    }
    if (this.staleDirs.size) this.flush();
  }

  private async refreshStale() {
    const dirs = [...this.staleDirs].sort((a, b) => a.length - b.length);
    this.staleDirs.clear();
    for (const dir of dirs) {
      if (dir === '') await this.fill(this.rootList, '', 0);
      else {
        const node = this.nodes.get(dir);
        if (node?.children && node.expanded) await this.fill(node.children, dir, this.depth(dir) + 1);
      }
    }
    if (this.selected) this.nodes.get(this.selected)?.row.classList.add('selected');
  }

  private async drop(e: DragEvent, targetDir: string) {
    e.preventDefault();
    const from = e.dataTransfer?.getData('text/x-weft-path');
    if (!from) return;
    const to = joinPath(targetDir, basename(from));
    if (to === from || targetDir === from || targetDir.startsWith(from + '/')) return;
    await this.rename(from, to);
  }

  private async rename(from: string, to: string) {
    try {
      await this.backend.rename(from, to);
      this.hooks.renamed(from, to);
      this.changed([from, to], false);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private menu(e: MouseEvent, node: Node | null) {
    document.querySelector('.context-menu')?.remove();
    const dir = node ? (node.entry.kind === 'dir' ? node.entry.path : dirname(node.entry.path)) : '';
    const item = (label: string, action: () => void) =>
      h('button', { class: 'menu-item', role: 'menuitem', onclick: () => { menu.remove(); action(); } }, label);
    const items = [item('New File…', () => void this.newEntry(dir, false)), item('New Folder…', () => void this.newEntry(dir, true))];
    if (node) {
      items.push(item('Rename…', () => void this.renamePrompt(node.entry.path)));
      items.push(item('Delete', () => void this.deletePrompt(node.entry.path)));
    }
    const menu = h('div', { class: 'context-menu', role: 'menu', style: `left:${e.clientX}px;top:${e.clientY}px` }, ...items);
    document.body.append(menu);
    const away = (ev: Event) => {
      if (!menu.contains(ev.target as globalThis.Node)) {
        menu.remove();
        document.removeEventListener('mousedown', away, true);
      }
    };
    document.addEventListener('mousedown', away, true);
  }

  async newEntry(dir: string, folder: boolean) {
    const name = await promptText(folder ? 'New folder name' : 'New file name');
    if (!name) return;
    const path = joinPath(dir, name);
    try {
      if (folder) await this.backend.createDir(path);
      else await this.backend.createFile(path);
      if (dir) {
        const node = this.nodes.get(dir);
        if (node && !node.expanded) await this.toggle(node, true);
      }
      this.changed([path], false);
      if (!folder) this.hooks.open(path);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  async renamePrompt(path: string) {
    const name = basename(path);
    const dot = name.lastIndexOf('.');
    const next = await promptText(`Rename ${name}`, name, dot > 0 ? dot : name.length);
    if (!next || next === name) return;
    await this.rename(path, joinPath(dirname(path), next));
  }

  async deletePrompt(path: string) {
    const ok = await choose('Delete', `Move "${path}" to the trash?`, [
      { label: 'Move to Trash', value: true, danger: true },
      { label: 'Cancel', value: false },
    ]);
    if (!ok) return;
    try {
      await this.backend.delete(path);
    } catch (e) {
      const err = e as { code?: string };
      if (err.code !== 'trash_failed') return toast(errorMessage(e), 'error');
      const permanent = await choose('No trash available', `${errorMessage(e)}\n\nDelete "${path}" permanently? This cannot be undone.`, [
        { label: 'Delete Permanently', value: true, danger: true },
        { label: 'Cancel', value: false },
      ]);
      if (!permanent) return;
      try {
        await this.backend.delete(path, true);
      } catch (e2) {
        return toast(errorMessage(e2), 'error');
      }
    }
    this.hooks.deleted(path);
    this.changed([path], false);
  }

  get selectedPath(): string | null {
    return this.selected;
  }
}

/**
 * Puts `rows` in `container` in order, moving only what is out of place: a row taken out
 * of the page and put back, even in the same task, loses a click under way on it (WebKit
 * forgets a pressed element that leaves the document), and a refresh comes at any time
 * (one comes right after start-up).
 */
function place(container: HTMLElement, rows: HTMLElement[]): void {
  let at = container.firstElementChild;
  for (const row of rows) {
    if (row === at) at = at.nextElementSibling;
    else container.insertBefore(row, at);
  }
  while (at) {
    const next = at.nextElementSibling;
    at.remove();
    at = next;
  }
}
