// Source Control (Ctrl+Shift+G): the branch with its upstream and ahead/behind counts, an
// operation in progress, the commit box (Ctrl+Enter commits; the AI message one click
// away; amend, sign-off), and the changed files as conflicts, staged, changed and
// untracked, each with its actions (stage, unstage, discard, open) and a click for its
// diff. Git itself runs in Rust (crates/weft-git); the status is the workbench's
// (./workbench/git.ts). Loaded when first shown.

import { h, basename, dirname } from './dom';
import type { Backend, GitFileStatus, GitStatus, Settings } from './backend';
import { choose, toast, errorMessage, promptText } from './dialogs';
import { openDiff, openThreeWay, type DiffHunks } from './diffview';
import { stagedWithLines, unstagedWithLines } from './editor/gitgutter';
import { markOf, type GitState } from './workbench/git';
import { HistoryView } from './scmhistory';

export interface ScmHooks {
  settings(): Settings;
  openFile(path: string): void;
  /** Open documents with unsaved edits: a commit takes files as they are on disk. */
  unsaved(): string[];
  saveAll(): Promise<boolean>;
  /** A guest's view of the host's repository: status and diffs, nothing that changes it. */
  readOnly?: boolean;
}

const LETTER: Record<string, string> = { conflicted: '!', added: 'A', modified: 'M', deleted: 'D', untracked: 'U', renamed: 'R' };

export class ScmPanel {
  readonly el: HTMLElement;
  private headEl = h('div', { class: 'scm-head' });
  private message: HTMLTextAreaElement;
  private amend: HTMLInputElement;
  private signoff: HTMLInputElement;
  private commitBtn: HTMLButtonElement;
  private listEl = h('div', { class: 'scm-list', role: 'tree', 'aria-label': 'Changes' });
  private changesEl: HTMLElement;
  private historyView: HistoryView | null;
  private view: 'changes' | 'history' = 'changes';
  private shownHead: string | null | undefined;
  private busy = false;
  /** The stashes, asked again whenever the status changes. */
  private stashes: { index: number; message: string }[] = [];
  private stashAsk = 0;
  /** A fetch, pull or push under way: its name and git's latest progress line. */
  private syncing: { op: string; line: string } | null = null;

  constructor(private backend: Backend, private git: GitState, private hooks: ScmHooks) {
    this.message = h('textarea', { class: 'scm-message', rows: '3', placeholder: 'Message (Ctrl+Enter to commit)', 'aria-label': 'Commit message', spellcheck: 'true' });
    this.message.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        e.stopPropagation();
        void this.commit();
      }
    });
    this.amend = h('input', { type: 'checkbox', class: 'scm-amend', 'aria-label': 'Amend the last commit' });
    this.signoff = h('input', { type: 'checkbox', class: 'scm-signoff', 'aria-label': 'Sign off' });
    this.amend.addEventListener('change', () => this.render());
    this.commitBtn = h('button', { class: 'btn small primary scm-commit', onclick: () => void this.commit() }, 'Commit');
    const suggest = h('button', { class: 'btn small scm-suggest', title: 'Write the message for the staged changes (the commit-message model)', 'aria-label': 'Suggest a message', onclick: () => void this.suggest(suggest) }, '✦');
    const ro = !!hooks.readOnly;
    this.changesEl = h('div', { class: 'scm-changes' },
      ro ? h('p', { class: 'dim scm-ro' }, 'The host\'s repository, as it is now: read-only.') : '',
      ro ? '' : h('div', { class: 'scm-box' }, this.message,
        h('div', { class: 'scm-row' }, this.commitBtn, suggest, h('span', { class: 'spacer' }),
          h('label', { class: 'dim', title: 'Replace the last commit' }, this.amend, ' amend'),
          h('label', { class: 'dim', title: 'Add a Signed-off-by line' }, this.signoff, ' sign-off'))),
      this.listEl);
    // History is the host's to read: not offered to guests (their allow-list has status only).
    this.historyView = ro ? null : new HistoryView(backend, hooks.settings, hooks.openFile);
    const tab = (label: string, which: 'changes' | 'history') =>
      h('button', { class: `scm-view-tab${which === 'changes' ? ' active' : ''}`, 'data-view': which, onclick: () => void this.showView(which) }, label);
    this.el = h('div', { class: 'scm', 'aria-label': 'Source Control' },
      this.headEl,
      this.historyView ? h('div', { class: 'scm-view-tabs', role: 'tablist' }, tab('Changes', 'changes'), tab('History', 'history')) : '',
      this.changesEl,
      this.historyView?.el ?? '');
    if (this.historyView) this.historyView.el.hidden = true;
    git.onChange(() => {
      this.render();
      void this.loadStashes();
      // A commit, pull or switch changes the log; shown again only when on screen.
      if (this.view === 'history' && this.git.status?.head !== this.shownHead) void this.historyView?.show();
      this.shownHead = this.git.status?.head;
    });
    this.render();
    void this.loadStashes();
  }

  focus(): void {
    if (this.view === 'changes') this.message.focus();
    void this.git.refresh();
  }

  /** Changes, or History (of the repository, or of `path` through its renames). */
  async showView(which: 'changes' | 'history', path?: string | null): Promise<void> {
    if (!this.historyView) return;
    const first = this.view !== which || path !== undefined;
    this.view = which;
    this.changesEl.hidden = which !== 'changes';
    this.historyView.el.hidden = which !== 'history';
    for (const t of this.el.querySelectorAll<HTMLElement>('.scm-view-tab')) t.classList.toggle('active', t.dataset.view === which);
    if (which === 'history' && first) await this.historyView.show(path);
  }

  /** Opens a commit in History (blame's "open this line's commit"). */
  async revealCommit(hash: string): Promise<void> {
    if (!this.historyView) return;
    if (this.view !== 'history') await this.showView('history', null);
    await this.historyView.reveal(hash);
  }

  private render(): void {
    const st = this.git.status;
    if (!st) {
      this.headEl.replaceChildren(h('span', { class: 'dim' }, 'This folder is not in a git repository.'));
      this.listEl.replaceChildren();
      this.commitBtn.disabled = true;
      return;
    }
    this.renderHead(st);
    const groups: [string, string, GitFileStatus[]][] = [
      ['conflicts', 'Merge Conflicts', st.files.filter((f) => f.conflicted)],
      ['staged', 'Staged Changes', st.files.filter((f) => f.staged)],
      ['changes', 'Changes', st.files.filter((f) => f.unstaged)],
      ['untracked', 'Untracked', st.files.filter((f) => f.untracked)],
    ];
    const staged = groups[1][2].length;
    this.commitBtn.disabled = this.busy || (!staged && !this.amend.checked && !st.files.some((f) => f.unstaged));
    this.commitBtn.textContent = this.amend.checked ? 'Amend' : staged ? 'Commit' : 'Commit All';
    this.commitBtn.title = staged ? `Commit the ${staged} staged file${staged > 1 ? 's' : ''} (Ctrl+Enter)` : 'Nothing is staged: commit every change to tracked files (Ctrl+Enter)';
    const out: HTMLElement[] = [];
    for (const [id, title, files] of groups) {
      if (!files.length) continue;
      const paths = files.map((f) => f.path);
      const actions: HTMLElement[] = [];
      if (this.hooks.readOnly) {
        // Nothing that changes the host's repository.
      } else if (id === 'staged') actions.push(this.action('−', 'Unstage all', () => this.run(() => this.backend.gitUnstage(paths))));
      else actions.push(this.action('+', id === 'conflicts' ? 'Mark all resolved (stage)' : 'Stage all', () => this.run(() => this.backend.gitStage(paths))));
      if (id === 'changes' || id === 'untracked') actions.unshift(this.action('↺', 'Discard all', () => void this.discard(paths)));
      out.push(h('div', { class: 'scm-group', 'data-group': id }, h('span', { class: 'scm-group-title' }, `${title}`), h('span', { class: 'scm-count' }, String(files.length)), h('span', { class: 'spacer' }), ...actions));
      for (const f of files) out.push(this.row(f, id));
    }
    if (!out.length) out.push(h('div', { class: 'dim scm-clean' }, 'No changes.'));
    if (this.stashes.length) {
      out.push(h('div', { class: 'scm-group', 'data-group': 'stashes' }, h('span', { class: 'scm-group-title' }, 'Stashes'), h('span', { class: 'scm-count' }, String(this.stashes.length))));
      for (const s of this.stashes) {
        out.push(h('div', { class: 'scm-file scm-stash', 'data-index': String(s.index), title: s.message },
          h('span', { class: 'scm-name' }, s.message), h('span', { class: 'spacer' }),
          this.action('⤴', 'Pop (apply and drop)', () => this.run(() => this.backend.gitStash('pop', { index: s.index }))),
          this.action('⇥', 'Apply (keep the stash)', () => this.run(() => this.backend.gitStash('apply', { index: s.index }))),
          this.action('✕', 'Drop', () => void this.dropStash(s.index, s.message))));
      }
    }
    this.listEl.replaceChildren(...out);
  }

  private renderHead(st: GitStatus) {
    const branch = h('button', { class: 'scm-branch', title: 'Switch or create a branch' }, `⎇ ${st.branch ?? `detached at ${st.head?.slice(0, 7) ?? '?'}`}`);
    if (this.hooks.readOnly) branch.disabled = true;
    else branch.addEventListener('click', () => void this.branchMenu(branch));
    const bits: (HTMLElement | string)[] = [branch];
    if (st.upstream) bits.push(h('span', { class: 'scm-ab', title: `Against ${st.upstream}: commits to push and to pull` }, `↑${st.ahead} ↓${st.behind}`));
    else if (st.branch) bits.push(h('span', { class: 'dim', title: 'No upstream branch is set' }, 'no upstream'));
    if (st.state !== 'clean') bits.push(h('span', { class: 'scm-state' }, { merging: 'Merging', rebasing: 'Rebasing', cherryPicking: 'Cherry-picking', reverting: 'Reverting', bisecting: 'Bisecting' }[st.state]));
    bits.push(h('span', { class: 'spacer' }));
    if (this.hooks.readOnly) {
      // The host fetches, pulls, pushes and stashes.
    } else if (this.syncing) {
      bits.push(h('span', { class: 'scm-progress', role: 'status', title: this.syncing.line }, `${this.syncing.op}… ${this.syncing.line.replace(/^remote:\s*/, '')}`));
    } else {
      const behind = st.behind ? ` ${st.behind}` : '';
      const ahead = st.ahead ? ` ${st.ahead}` : '';
      bits.push(
        this.action('⇣', 'Fetch (see what the remote has)', () => void this.sync('fetch')),
        this.action(`↓${behind}`, st.upstream ? `Pull from ${st.upstream}` : 'Pull (no upstream yet)', () => void this.sync('pull')),
        this.action(`↑${ahead}`, st.upstream ? `Push to ${st.upstream}` : 'Publish the branch to origin', () => void this.sync('push')),
      );
    }
    if (st.files.length && !this.hooks.readOnly) bits.push(this.action('⊟', 'Stash the changes (untracked files too)', () => void this.stash()));
    bits.push(this.action('⟳', 'Refresh (every file)', () => void this.git.refresh(true)));
    this.headEl.replaceChildren(...bits);
  }

  private action(label: string, title: string, run: () => void): HTMLElement {
    return h('button', { class: 'icon-btn scm-action', title, 'aria-label': title, onclick: (e: Event) => { e.stopPropagation(); run(); } }, label);
  }

  private row(f: GitFileStatus, group: string): HTMLElement {
    const mark = group === 'staged' ? markOf({ ...f, unstaged: null }) : markOf(f);
    const actions: HTMLElement[] = [this.action('↗', 'Open the file', () => this.hooks.openFile(f.path))];
    if (this.hooks.readOnly) {
      // Open only.
    } else if (group === 'staged') actions.push(this.action('−', 'Unstage', () => this.run(() => this.backend.gitUnstage([f.path]))));
    else {
      if (group !== 'conflicts') actions.push(this.action('↺', 'Discard changes', () => void this.discard([f.path])));
      else {
        actions.push(this.action('⫴', 'Three-way view: current, base, incoming', () => void this.threeWay(f.path)));
        actions.push(this.action('⇄', 'Resolve every conflict in the file one way…', () => void this.resolveAll(f.path)));
      }
      actions.push(this.action('+', group === 'conflicts' ? 'Mark resolved (stage)' : 'Stage', () => this.run(() => this.backend.gitStage([f.path]))));
    }
    const dir = dirname(f.path);
    const row = h('div', { class: `scm-file git-${mark}`, role: 'treeitem', 'data-path': f.path, 'data-group': group, title: f.origPath ? `${f.origPath} → ${f.path}` : f.path },
      h('span', { class: 'scm-name' }, basename(f.path)), dir ? h('span', { class: 'scm-dir' }, dir) : '', h('span', { class: 'spacer' }), ...actions, h('span', { class: 'scm-letter' }, LETTER[mark]));
    // A guest opens the file (the host's diffs are the host's).
    row.addEventListener('click', () => (this.hooks.readOnly || group === 'conflicts' || group === 'untracked' ? this.hooks.openFile(f.path) : void this.diff(f, group === 'staged')));
    return row;
  }

  /** A git action; its answer is the new status. */
  private async run(action: () => Promise<GitStatus>): Promise<void> {
    try {
      this.git.set(await action());
    } catch (e) {
      toast(errorMessage(e), 'error');
      void this.git.refresh();
    }
  }

  private async loadStashes() {
    const ask = ++this.stashAsk;
    const list = this.git.status && !this.hooks.readOnly ? await this.backend.gitStashes().catch(() => []) : [];
    if (ask !== this.stashAsk) return;
    const changed = JSON.stringify(list) !== JSON.stringify(this.stashes);
    this.stashes = list;
    if (changed) this.render();
  }

  private async stash() {
    const message = await promptText('Stash the changes (a message, or leave it empty)');
    if (message === null) return;
    await this.run(() => this.backend.gitStash('push', { message, untracked: true }));
  }

  private async dropStash(index: number, message: string) {
    const answer = await choose('Drop stash', `Drop "${message}"? Its changes are gone for good.`, [
      { label: 'Drop', value: 'drop', danger: true },
      { label: 'Cancel', value: 'cancel', primary: true },
    ]);
    if (answer === 'drop') await this.run(() => this.backend.gitStash('drop', { index }));
  }

  /** Fetch, pull or push, with git's progress in the header and its message if it fails. */
  private async sync(op: 'fetch' | 'pull' | 'push') {
    if (this.syncing) return;
    const name = { fetch: 'Fetching', pull: 'Pulling', push: 'Pushing' }[op];
    this.syncing = { op: name, line: '' };
    this.render();
    const handle = this.backend.gitSync(op, (line) => {
      if (!this.syncing) return;
      this.syncing.line = line;
      const p = this.headEl.querySelector('.scm-progress');
      if (p) p.textContent = `${name}… ${line.replace(/^remote:\s*/, '')}`;
    });
    try {
      const st = await handle.result;
      this.syncing = null;
      this.git.set(st);
      toast({ fetch: 'Fetched', pull: 'Pulled', push: 'Pushed' }[op]);
    } catch (e) {
      this.syncing = null;
      toast(errorMessage(e), 'error');
      void this.git.refresh();
    }
  }

  private async diff(f: GitFileStatus, staged: boolean) {
    try {
      const v = await this.backend.gitVersions(f.path, staged);
      const left = staged ? 'HEAD' : 'Staged / HEAD';
      const right = staged ? 'Staged' : 'Working tree';
      // Hunks and selected lines move between the sides: staged from the working tree's
      // diff, unstaged (back to HEAD's) from the staged one; a deleted file's diff is whole.
      const path = f.path;
      const hunks: DiffHunks | undefined = this.hooks.readOnly || v.left === null || v.right === null ? undefined : staged
        ? { direction: 'a-to-b', label: 'Unstage', title: 'Take this hunk out of the index', changed: (text) => this.run(() => this.backend.gitStageText(path, text)), lines: { label: 'Unstage Selected Lines', text: (a, b, chunks, ranges) => unstagedWithLines(a, b, chunks, ranges) } }
        : { direction: 'b-to-a', label: 'Stage', title: 'Stage this hunk', changed: (text) => this.run(() => this.backend.gitStageText(path, text)), lines: { label: 'Stage Selected Lines', text: (a, b, chunks, ranges) => stagedWithLines(a, b, chunks, ranges) } };
      await openDiff(`${f.path} (${staged ? 'staged' : 'changes'})`, { name: `${f.origPath ?? f.path} · ${left}`, text: v.left ?? '' }, { name: `${f.path} · ${right}`, text: v.right ?? '' }, this.hooks.settings(), 'scm-diff', hunks);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private async discard(paths: string[]) {
    const what = paths.length === 1 ? paths[0] : `${paths.length} files`;
    const answer = await choose('Discard changes', `Discard the changes to ${what}? Untracked files are deleted. What they hold now is kept in a checkpoint (the Timeline restores it).`, [
      { label: 'Discard', value: 'discard', danger: true },
      { label: 'Cancel', value: 'cancel', primary: true },
    ]);
    if (answer === 'discard') await this.run(() => this.backend.gitDiscard(paths));
  }

  private async commit() {
    if (this.busy) return;
    const st = this.git.status;
    if (!st) return;
    const message = this.message.value;
    if (!message.trim() && !this.amend.checked) {
      toast('Write a commit message first (✦ Message suggests one)', 'error');
      this.message.focus();
      return;
    }
    const staged = st.files.some((f) => f.staged);
    if (!staged && !this.amend.checked && !st.files.some((f) => f.unstaged)) {
      toast('Nothing to commit: stage changes first', 'error');
      return;
    }
    const unsaved = this.hooks.unsaved();
    if (unsaved.length) {
      const answer = await choose('Unsaved changes', `${unsaved.join(', ')} ha${unsaved.length > 1 ? 've' : 's'} unsaved changes, which a commit does not include. Save first?`, [
        { label: 'Save All and Commit', value: 'save', primary: true },
        { label: 'Commit without them', value: 'go' },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer === 'cancel') return;
      if (answer === 'save' && !(await this.hooks.saveAll())) return;
    }
    this.busy = true;
    this.render();
    try {
      const done = await this.backend.gitCommit(message, { amend: this.amend.checked, signoff: this.signoff.checked, all: !staged && !this.amend.checked });
      this.message.value = '';
      this.amend.checked = false;
      toast(`Committed ${done.head.slice(0, 7)}: ${done.summary}`);
    } catch (e) {
      // A hook's refusal: its words, whole.
      toast(errorMessage(e), 'error');
    } finally {
      this.busy = false;
      await this.git.refresh();
    }
  }

  private async suggest(btn: HTMLButtonElement) {
    btn.disabled = true;
    const label = btn.textContent;
    btn.textContent = '…';
    try {
      const m = await this.backend.suggestCommitMessage();
      this.message.value = m.message;
      this.message.focus();
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      btn.disabled = false;
      btn.textContent = label;
    }
  }

  private async branchMenu(anchor: HTMLElement) {
    document.querySelector('.context-menu')?.remove();
    let branches;
    try {
      branches = await this.backend.gitBranches();
    } catch (e) {
      return toast(errorMessage(e), 'error');
    }
    const r = anchor.getBoundingClientRect();
    const menu = h('div', { class: 'context-menu scm-branches', role: 'menu', style: `left:${r.left}px;top:${r.bottom + 2}px` });
    const close = () => {
      menu.remove();
      document.removeEventListener('mousedown', away, true);
    };
    const away = (ev: Event) => !menu.contains(ev.target as Node) && close();
    menu.append(h('button', { class: 'menu-item', role: 'menuitem', onclick: () => { close(); void this.newBranch(); } }, '+ New branch…'));
    for (const b of branches) {
      const item = h('div', { class: 'scm-branch-row', 'data-branch': b.name },
        h('button', { class: `menu-item${b.current ? ' current' : ''}`, role: 'menuitem', title: b.subject, onclick: () => { close(); if (!b.current) void this.switchTo(b.name); } }, `${b.current ? '● ' : ''}${b.name}`),
        this.action('✎', `Rename ${b.name}`, () => { close(); void this.renameBranch(b.name); }));
      if (!b.current) item.append(this.action('✕', `Delete ${b.name}`, () => { close(); void this.deleteBranch(b.name); }));
      menu.append(item);
    }
    document.body.append(menu);
    document.addEventListener('mousedown', away, true);
  }

  private async threeWay(path: string) {
    try {
      const v = await this.backend.gitConflictVersions(path);
      const take = (label: string, how: 'ours' | 'theirs' | 'both') => {
        const b = h('button', { class: 'btn', 'data-take': how }, label);
        b.addEventListener('click', () => void this.run(() => this.backend.gitResolve(path, how)));
        return b;
      };
      await openThreeWay(`${path}: merge conflict`, v, ['Current (checked out)', 'Base (common ancestor)', 'Incoming (being merged)'], this.hooks.settings(),
        [take('Accept All Current', 'ours'), take('Accept All Incoming', 'theirs'), take('Accept All Both', 'both')]);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private async resolveAll(path: string) {
    const take = await choose('Resolve conflicts', `Resolve every conflict in ${path} the same way, and mark it resolved? What it holds now is kept in a checkpoint. To choose conflict by conflict, open the file.`, [
      { label: 'Accept All Current', value: 'ours' },
      { label: 'Accept All Incoming', value: 'theirs' },
      { label: 'Accept All Both', value: 'both' },
      { label: 'Cancel', value: 'cancel', primary: true },
    ]);
    if (take === 'ours' || take === 'theirs' || take === 'both') await this.run(() => this.backend.gitResolve(path, take));
  }

  /** Switches; when git refuses because changes would be overwritten, offers to stash them. */
  private async switchTo(name: string) {
    try {
      this.git.set(await this.backend.gitSwitch(name));
    } catch (e) {
      const message = errorMessage(e);
      if (!/would be overwritten/.test(message)) {
        toast(message, 'error');
        return void this.git.refresh();
      }
      const answer = await choose('Switch branch', `Your changes would be overwritten by switching to ${name}:\n\n${message}`, [
        { label: 'Stash and Switch', value: 'stash', primary: true },
        { label: 'Cancel', value: 'cancel' },
      ]);
      if (answer !== 'stash') return;
      await this.run(async () => {
        await this.backend.gitStash('push', { message: `Before switching to ${name}`, untracked: true });
        return this.backend.gitSwitch(name);
      });
      toast(`Switched to ${name}; your changes are in the stash "Before switching to ${name}"`);
    }
  }

  private async renameBranch(name: string) {
    const to = (await promptText(`Rename ${name} to`, name))?.trim();
    if (!to || to === name) return;
    try {
      await this.backend.gitBranch('rename', name, { to });
      await this.git.refresh();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private async deleteBranch(name: string) {
    try {
      await this.backend.gitBranch('delete', name);
      toast(`Deleted ${name}`);
    } catch (e) {
      const message = errorMessage(e);
      if (!/not fully merged/.test(message)) return toast(message, 'error');
      const answer = await choose('Delete branch', `${name} has commits no other branch has. Delete it anyway? Its commits stay reachable only through the reflog.`, [
        { label: 'Delete', value: 'force', danger: true },
        { label: 'Cancel', value: 'cancel', primary: true },
      ]);
      if (answer !== 'force') return;
      try {
        await this.backend.gitBranch('delete', name, { force: true });
        toast(`Deleted ${name}`);
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    }
  }

  private async newBranch() {
    const name = await promptText('New branch (from the current commit)');
    if (name?.trim()) await this.run(() => this.backend.gitSwitch(name.trim(), true));
  }
}
