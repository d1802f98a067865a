// The folder's git status, kept for the whole workbench: the tree and the tabs are
// coloured by it, and the Source Control panel (../scm.ts) draws it. Asked after start-up
// (never on its path), again when files change (debounced), when the window regains
// focus (a commit in another program), and after each git action. A folder outside any
// repository asks again only when files change (a `git init`).

import { debounce } from '../dom';
import type { GitFileStatus, GitStatus } from '../backend';
import type { Workbench } from './context';

/** How a path shows: the strongest of its changes. */
export type GitMark = 'conflicted' | 'added' | 'modified' | 'deleted' | 'untracked' | 'renamed';

export function markOf(f: GitFileStatus): GitMark {
  if (f.conflicted) return 'conflicted';
  if (f.untracked) return 'untracked';
  const c = f.unstaged ?? f.staged;
  if (c === 'added' || c === 'copied') return 'added';
  if (c === 'deleted') return 'deleted';
  if (c === 'renamed') return 'renamed';
  return 'modified';
}

export class GitState {
  status: GitStatus | null = null;
  /** Each changed file's mark, and each folder above one ('modified'). */
  marks = new Map<string, GitMark>();
  private listeners = new Set<() => void>();
  private asking = false;
  private again = false;
  readonly refreshSoon = debounce(() => void this.refresh(), 300);

  constructor(private wb: Workbench) {
    window.addEventListener('focus', () => this.refreshSoon());
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks git now (one request at a time; a change meanwhile asks once more after). */
  async refresh(): Promise<void> {
    if (this.asking) {
      this.again = true;
      return;
    }
    this.asking = true;
    try {
      this.set(await this.wb.backend.gitStatus());
    } catch {
      // git missing or failing: the panel says so when opened; the tree stays plain.
      this.set(null);
    } finally {
      this.asking = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  /** A git action answered with the new status. */
  set(status: GitStatus | null): void {
    this.status = status;
    const marks = new Map<string, GitMark>();
    for (const f of status?.files ?? []) {
      marks.set(f.path, markOf(f));
      for (let i = f.path.lastIndexOf('/'); i > 0; i = f.path.lastIndexOf('/', i - 1)) {
        const dir = f.path.slice(0, i);
        if (!marks.has(dir)) marks.set(dir, f.conflicted ? 'conflicted' : 'modified');
      }
    }
    this.marks = marks;
    for (const l of this.listeners) l();
  }
}
