// The agent panel: a thread with the coding agent. Answers stream in as Markdown, tool
// calls are collapsible cards with their output, approval cards wait for the user, and
// what the turns changed is up for review hunk by hunk (a rejected hunk is reverted on
// disk) or side by side. Every turn can be restored: its code (from the checkpoint taken
// before its first change), its conversation, or both. Threads are saved per folder.

import { h, basename } from './dom';
import type { Backend, AgentFrame, AgentThread, FileReview, Message, Mention, Settings, StreamHandle, Usage, ProviderStatus } from './backend';
import { panelModal, toast, errorMessage, choose, promptText } from './dialogs';
import { renderMarkdown } from './markdown';
import { compact } from './usage';
import { openDiff } from './diffview';
import { fuzzyIndices } from './palette';

export interface AgentHost {
  settings(): Settings;
  /** Edits the settings file's JSON (keeping what the user wrote) and applies it. */
  patchSettings(edit: (obj: Record<string, unknown>) => void): Promise<void>;
  openFile(path: string): void;
  /** The active editor's selection, for @selection. */
  selection(): { path: string; fromLine: number; toLine: number; text: string } | null;
  /** The active editor's syntax errors as text, for @problems. */
  problems(): { path: string; text: string } | null;
  /** Recent output of the focused terminal, for @terminal. */
  terminalText(): Promise<{ title: string; text: string } | null>;
  /** Shows one of the agent's running commands in the terminal panel. */
  watchTerminal(id: number): void;
  /** The live cost of the running thread and of today (nano-dollars). */
  spent(threadNanos: number, todayNanos: number): void;
  /** A thread was opened or started (null: a new one): the meter follows it. */
  threadOpened(id: string | null): void;
  /** A tool call of the running turn wrote this file (it changed on disk). */
  wrote(path: string): void;
  /** The running turn ended. */
  turnEnded(): void;
}


interface Suggestion {
  token: string;
  hint: string;
  make: () => Promise<Mention | null>;
}

/** The mention a prompt's `@token` stands for. */
const CONTEXT_OPEN = '<context>';

function newThreadId(): string {
  const rand = globalThis.crypto?.randomUUID?.().slice(0, 8) ?? Math.random().toString(36).slice(2, 10);
  return `t-${Date.now().toString(36)}-${rand}`;
}


/** One assistant reply as it streams: text segments between tool cards. */
class TurnView {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private seg: HTMLElement | null = null;
  private buf = '';
  private step: HTMLElement[] = [];
  private frame = 0;
  readonly cards = new Map<string, HTMLDetailsElement>();
  readonly approvals = new Set<HTMLElement>();

  constructor(private panel: AgentPanel, turn: number, prompt: string) {
    this.body = h('div', { class: 'ag-reply' });
    this.el = h('div', { class: 'ag-turn', 'data-turn': String(turn) }, h('div', { class: 'ag-user' }, prompt), this.body);
  }

  /** The mentions sent with the prompt, as chips under it. */
  mentioned(labels: string[]) {
    if (labels.length) this.el.firstElementChild!.after(h('div', { class: 'ag-chips sent' }, ...labels.map((l) => h('span', { class: 'ag-chip' }, `@${l}`))));
  }

  text(t: string) {
    if (!this.seg) {
      this.seg = h('div', { class: 'ag-md' });
      this.buf = '';
      this.body.append(this.seg);
      this.step.push(this.seg);
    }
    this.buf += t;
    // Re-render at most once a frame: a fast stream sends many small pieces.
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.seg) this.seg.replaceChildren(renderMarkdown(this.buf, { openLink: (u) => this.panel.openLink(u) }));
    this.panel.scrollDown();
  }

  thinking(t: string) {
    let last = this.body.lastElementChild as HTMLDetailsElement | null;
    if (!last?.classList.contains('ag-thinking')) {
      this.endSegment();
      last = h('details', { class: 'ag-thinking' }, h('summary', {}, 'Thinking'), h('div', { class: 'ag-think-text' }));
      this.body.append(last);
      this.step.push(last);
    }
    last.querySelector('.ag-think-text')!.append(t);
  }

  endSegment() {
    if (this.seg) this.flush();
    this.seg = null;
  }

  tool(id: string, name: string, summary: string) {
    this.endSegment();
    let card = this.cards.get(id);
    if (!card) {
      card = h('details', { class: 'ag-tool running', 'data-id': id, 'data-tool': name },
        h('summary', {}, h('span', { class: 'ag-tool-state' }), h('span', { class: 'ag-tool-sum' }, summary || name)),
        h('pre', { class: 'ag-tool-out' }));
      this.cards.set(id, card);
      this.body.append(card);
      this.step.push(card);
    } else if (summary) card.querySelector('.ag-tool-sum')!.textContent = summary;
    this.panel.scrollDown();
  }

  /** The running command's terminal: the card offers to watch it until the command ends. */
  terminal(terminal: number) {
    const card = [...this.cards.values()].reverse().find((c) => c.dataset.tool === 'run_command' && c.classList.contains('running'));
    if (!card) return;
    card.dataset.terminal = String(terminal);
    const watch = h('button', { class: 'btn small ag-watch', title: 'Show this command in the terminal panel as it runs' }, 'Watch');
    watch.addEventListener('click', (e) => {
      e.preventDefault();
      this.panel.watchTerminal(terminal);
    });
    card.querySelector('summary')!.append(watch);
  }

  result(id: string, content: string, isError: boolean) {
    const card = this.cards.get(id);
    if (!card) return;
    card.querySelector('.ag-watch')?.remove();
    card.classList.remove('running');
    card.classList.add(isError ? 'failed' : 'ok');
    card.querySelector('.ag-tool-out')!.textContent = content;
  }

  note(text: string, cls = '') {
    this.endSegment();
    this.body.append(h('div', { class: `ag-note ${cls}` }, text));
    this.panel.scrollDown();
  }

  /** A failed attempt is retried: what it streamed is void. */
  retry(text: string) {
    for (const el of this.step) el.remove();
    for (const [id, card] of this.cards) if (!card.isConnected) this.cards.delete(id);
    this.step = [];
    this.seg = null;
    this.note(text, 'warn');
  }

  /** A model response ended: its content stays even if a later attempt is retried. */
  settle() {
    this.step = [];
  }

  approval(card: HTMLElement) {
    this.endSegment();
    this.approvals.add(card);
    this.body.append(card);
    this.panel.scrollDown();
  }

  append(el: HTMLElement) {
    this.body.append(el);
  }
}

export class AgentPanel {
  readonly el: HTMLElement;
  private log: HTMLElement;
  private input: HTMLTextAreaElement;
  private sendBtn: HTMLButtonElement;
  private picker: HTMLSelectElement;
  private usageEl: HTMLElement;
  private threadSel: HTMLSelectElement;
  private reviewEl: HTMLElement;
  private threadId = newThreadId();
  private thread: AgentThread | null = null;
  private running: { handle: StreamHandle; view: TurnView } | null = null;
  /** The checkpoint before the oldest change under review: the left side of its diffs. */
  private reviewBase: number | null = null;
  /** Tool call id -> the files it writes, told to the host once it succeeded. */
  private writes = new Map<string, string[]>();
  /** `@token` -> what it mentions, for the prompt being written. */
  private mentions = new Map<string, Mention>();
  private chips: HTMLElement;
  private popup: HTMLElement;
  private suggestions: Suggestion[] = [];
  private picked = 0;
  private suggestSeq = 0;
  /** The query `suggestions` answer, and the lookup for the query being typed. */
  private suggestedFor: string | null = null;
  private suggesting: Promise<void> = Promise.resolve();

  constructor(private backend: Backend, private host: AgentHost) {
    this.threadSel = h('select', { class: 'ag-threads', 'aria-label': 'Thread', title: 'Saved threads of this folder' });
    this.threadSel.addEventListener('change', () => void this.openThread(this.threadSel.value || null));
    const menu = h('div', { class: 'ag-head' },
      this.threadSel,
      h('button', { class: 'icon-btn', title: 'New thread', 'aria-label': 'New thread', onclick: () => void this.openThread(null) }, '+'),
      h('button', { class: 'icon-btn', title: 'Export the thread as Markdown', 'aria-label': 'Export', onclick: () => void this.export() }, '⤓'),
      h('button', { class: 'icon-btn', title: 'Delete this thread', 'aria-label': 'Delete thread', onclick: () => void this.deleteThread() }, '−'),
      h('button', { class: 'icon-btn', title: 'Suggest a commit message for the staged git changes', 'aria-label': 'Suggest a commit message', onclick: () => void this.commitMessage() }, '✎'),
      h('button', { class: 'icon-btn', title: 'AI providers, keys and models', 'aria-label': 'AI providers', onclick: () => void this.providers() }, '⚙'));
    this.log = h('div', { class: 'ag-log', role: 'log', 'aria-live': 'polite' });
    this.reviewEl = h('div', { class: 'ag-review', hidden: true });
    this.input = h('textarea', { class: 'ag-input', rows: 3, placeholder: 'Ask the agent to change, explain or fix something… @ mentions files, symbols, @selection, @terminal, @problems', spellcheck: 'false', 'aria-label': 'Prompt' });
    this.chips = h('div', { class: 'ag-chips' });
    this.popup = h('div', { class: 'ag-suggest', role: 'listbox', hidden: true });
    this.input.addEventListener('input', () => {
      this.suggesting = this.suggest();
    });
    this.input.addEventListener('blur', () => setTimeout(() => (this.popup.hidden = true), 150));
    this.input.addEventListener('keydown', (e) => {
      if (!this.popup.hidden && this.suggestions.length) {
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          this.picked = (this.picked + (e.key === 'ArrowDown' ? 1 : this.suggestions.length - 1)) % this.suggestions.length;
          this.renderSuggestions();
          return;
        }
        if (e.key === 'Enter' || e.key === 'Tab') {
          e.preventDefault();
          void this.pickCurrent();
          return;
        }
        if (e.key === 'Escape') {
          e.preventDefault();
          this.popup.hidden = true;
          return;
        }
      }
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send();
      }
    });
    this.picker = h('select', { class: 'ag-model', 'aria-label': 'Model', title: 'The model for the next turn' });
    this.sendBtn = h('button', { class: 'btn small primary ag-send', onclick: () => void (this.running ? this.stop() : this.send()) }, 'Send');
    this.usageEl = h('span', { class: 'ag-usage', title: 'Tokens used by this thread' });
    const composer = h('div', { class: 'ag-composer' }, this.popup, this.chips, this.input, h('div', { class: 'ag-bar' }, this.picker, this.usageEl, h('span', { class: 'spacer' }), this.sendBtn));
    this.el = h('aside', { class: 'agent-panel', 'aria-label': 'Agent' }, menu, this.log, this.reviewEl, composer);
    this.fillPicker();
  }

  async start() {
    try {
      const threads = await this.backend.agentThreads();
      this.fillThreads(threads.map((t) => [t.id, t.title]));
      if (threads.length) await this.openThread(threads[0].id);
      else this.renderEmpty();
    } catch (e) {
      this.renderEmpty();
      toast(`Agent threads: ${errorMessage(e)}`, 'error');
    }
  }

  focus() {
    this.input.focus();
  }

  settingsChanged() {
    this.fillPicker();
  }

  watchTerminal(id: number) {
    this.host.watchTerminal(id);
  }

  openLink(url: string) {
    this.backend.openExternal(url);
  }

  scrollDown() {
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
    if (nearBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  private fillPicker() {
    const s = this.host.settings();
    const current = this.picker.value;
    const models = [...new Set([s.agentModel, ...s.agentModels].filter(Boolean))];
    this.picker.replaceChildren(
      h('option', { value: '' }, s.agentModel ? `Default (${s.agentModel})` : 'Default model'),
      ...models.map((m) => h('option', { value: m }, m)));
    this.picker.value = models.includes(current) ? current : '';
  }

  private fillThreads(list: [string, string][]) {
    const has = list.some(([id]) => id === this.threadId);
    const opts = list.map(([id, title]) => h('option', { value: id }, title || 'Untitled'));
    if (!has) opts.unshift(h('option', { value: '' }, 'New thread'));
    this.threadSel.replaceChildren(...opts);
    this.threadSel.value = has ? this.threadId : '';
  }

  private async refreshThreads() {
    try {
      const threads = await this.backend.agentThreads();
      this.fillThreads(threads.map((t) => [t.id, t.title]));
    } catch {
      // The list is a convenience; the open thread stays usable.
    }
  }

  private renderEmpty() {
    this.log.replaceChildren(h('div', { class: 'ag-empty' },
      h('p', {}, 'The agent reads, edits and runs code in this folder.'),
      h('p', {}, 'It asks before running commands; every change is checkpointed and up for review.')));
    this.setUsage(null);
  }

  private async openThread(id: string | null) {
    if (this.running) {
      toast('Stop the running turn first');
      this.threadSel.value = this.threadId;
      return;
    }
    this.reviewBase = null;
    this.renderReview([]);
    this.host.threadOpened(id);
    if (!id) {
      this.threadId = newThreadId();
      this.thread = null;
      await this.refreshThreads();
      this.renderEmpty();
      this.input.focus();
      return;
    }
    try {
      this.thread = await this.backend.agentThread(id);
      this.threadId = id;
      this.renderThread(this.thread);
      await this.refreshThreads();
      const review = await this.backend.agentReview(id);
      this.reviewBase = this.thread.turns.find((t) => t.checkpoint !== null)?.checkpoint ?? null;
      this.renderReview(review);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  /** A saved thread: prompts, replies, tool cards with their results, turn controls. */
  private renderThread(t: AgentThread) {
    this.log.replaceChildren();
    if (!t.messages.length) this.renderEmpty();
    const starts = t.turns.map((r) => r.messagesBefore);
    let view: TurnView | null = null;
    t.messages.forEach((m: Message, i: number) => {
      const turn = starts.indexOf(i);
      if (turn >= 0 || !view) {
        const texts = m.role === 'user' ? m.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text) : [];
        const prompt = texts.filter((t) => !t.startsWith(CONTEXT_OPEN)).join('\n');
        if (view && turn > 0) this.log.append(this.turnActions(turn - 1));
        view = new TurnView(this, Math.max(turn, 0), prompt);
        view.mentioned(texts.filter((t) => t.startsWith(CONTEXT_OPEN)).flatMap((t) => [...t.matchAll(/<item label="([^"]*)">/g)].map((x) => x[1])));
        this.log.append(view.el);
        if (m.role === 'user') return;
      }
      for (const b of m.content) {
        if (b.type === 'text' && m.role === 'assistant') {
          view.text(b.text);
          view.endSegment();
        } else if (b.type === 'text') view.note(b.text, 'user');
        else if (b.type === 'thinking') view.thinking(b.thinking);
        else if (b.type === 'tool_use') view.tool(b.id, b.name, t.toolSummaries[b.id] ?? b.name);
        else if (b.type === 'tool_result') view.result(b.tool_use_id, b.content, b.is_error ?? false);
      }
    });
    if (view && t.turns.length) this.log.append(this.turnActions(t.turns.length - 1));
    this.setUsage(t.usage);
    this.log.scrollTop = this.log.scrollHeight;
  }

  private turnActions(turn: number): HTMLElement {
    const rec = this.thread?.turns[turn];
    const restore = (code: boolean, conversation: boolean) => void this.restore(turn, code, conversation);
    const endNote = rec && rec.end !== 'done' ? h('span', { class: 'ag-end' }, rec.end === 'stopped' ? 'Stopped' : rec.end === 'stepLimit' ? 'Gave up: too many steps' : rec.end === 'overBudget' ? 'Stopped at the budget' : 'Failed') : '';
    return h('div', { class: 'ag-turn-actions', 'data-turn': String(turn) }, endNote,
      h('span', { class: 'ag-model-used' }, rec?.model ?? ''),
      h('span', { class: 'spacer' }),
      h('span', {}, 'Restore:'),
      rec?.checkpoint != null ? h('button', { class: 'btn small', title: `Put the files back as they were before this turn (checkpoint #${rec.checkpoint}; undoable from the timeline)`, onclick: () => restore(true, false) }, 'Code') : '',
      h('button', { class: 'btn small', title: 'Forget this turn and everything after it', onclick: () => restore(false, true) }, 'Conversation'),
      rec?.checkpoint != null ? h('button', { class: 'btn small', title: 'Restore the code and the conversation', onclick: () => restore(true, true) }, 'Both') : '');
  }

  private async restore(turn: number, code: boolean, conversation: boolean) {
    const what = code && conversation ? 'the code and the conversation' : code ? 'the code' : 'the conversation';
    const ok = await choose(`Restore ${what} to before this turn?`,
      code ? 'The files go back to the checkpoint taken before the turn changed them. A checkpoint of the current files is taken first, so this can be undone from the timeline.' : 'This turn and every later one are removed from the thread.',
      [{ label: 'Restore', value: true }, { label: 'Cancel', value: false }]);
    if (!ok) return;
    try {
      const prompt = this.thread?.messages[this.thread.turns[turn]?.messagesBefore ?? -1];
      this.thread = await this.backend.agentRestore(this.threadId, turn, code, conversation);
      this.renderThread(this.thread);
      if (code) this.renderReview(await this.backend.agentReview(this.threadId));
      if (conversation && prompt && !this.input.value) {
        this.input.value = prompt.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n');
      }
      toast(`Restored ${what}`);
    } catch (e) {
      toast(`Restore failed: ${errorMessage(e)}`, 'error');
    }
  }

  private setUsage(u: Usage | null) {
    if (!u) {
      this.usageEl.textContent = '';
      return;
    }
    this.usageEl.textContent = `↑${compact(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens)} ↓${compact(u.outputTokens)}`;
    this.usageEl.title = `This thread: ${u.inputTokens} input, ${u.outputTokens} output, ${u.cacheReadTokens} cache read, ${u.cacheWriteTokens} cache write tokens`;
  }

  private async send() {
    const prompt = this.input.value.trim();
    if (!prompt || this.running) return;
    if (!this.log.querySelector('.ag-turn')) this.log.replaceChildren();
    const mentions = [...this.mentions].filter(([token]) => prompt.includes(`@${token}`)).map(([, m]) => m);
    const view = new TurnView(this, this.thread?.turns.length ?? 0, prompt);
    view.mentioned(mentions.map(label));
    this.log.append(view.el);
    this.log.scrollTop = this.log.scrollHeight;
    this.input.value = '';
    this.mentions.clear();
    this.renderChips();
    const handle = this.backend.agentSend(this.threadId, prompt, this.picker.value || null, mentions, (f) => this.onFrame(view, f));
    this.running = { handle, view };
    this.setRunning(true);
    handle.result.catch((e) => {
      // Refused before the turn began (no model configured, a turn already running…).
      view.note(errorMessage(e), 'error');
      this.input.value ||= prompt;
      this.running = null;
      this.setRunning(false);
    });
  }

  private setRunning(on: boolean) {
    this.sendBtn.textContent = on ? 'Stop' : 'Send';
    this.sendBtn.classList.toggle('danger', on);
    this.sendBtn.title = on ? 'Stop the agent: the model stream is cancelled and a running command killed' : 'Send (Enter)';
    this.el.classList.toggle('running', on);
  }

  private async stop() {
    try {
      await this.backend.agentStop(this.threadId);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private onFrame(view: TurnView, f: AgentFrame) {
    switch (f.type) {
      case 'start': break;
      case 'text': view.text(f.text); break;
      case 'thinking': view.thinking(f.text); break;
      case 'toolStart': view.tool(f.id, f.name, ''); break;
      case 'toolCall':
        view.tool(f.id, f.name, f.summary);
        this.writes.set(f.id, f.writes);
        break;
      case 'toolResult':
        view.result(f.id, f.content, f.isError);
        if (!f.isError) for (const p of this.writes.get(f.id) ?? []) this.host.wrote(p);
        this.writes.delete(f.id);
        break;
      case 'terminal': view.terminal(f.terminal); break;
      case 'approval': view.approval(this.approvalCard(f)); break;
      case 'checkpoint':
        this.reviewBase ??= f.id;
        view.note(`Checkpoint #${f.id} taken before the first change`, 'dim');
        break;
      case 'usage':
        view.settle();
        this.setUsage(f.thread);
        break;
      case 'retry': view.retry(`Retrying (attempt ${f.attempt}) in ${(f.delayMs / 1000).toFixed(1)} s: ${f.error}`); break;
      case 'fallback': view.note(`${f.from} failed (${f.error}); trying ${f.to}`, 'warn'); break;
      case 'cost': this.host.spent(f.threadNanos, f.todayNanos); break;
      case 'budgetAlert': toast(`Budget: ${f.message}`); view.note(`Budget: ${f.message}`, 'warn'); break;
      case 'title': void this.refreshThreads(); break;
      case 'compacted': view.note(`Older turns were summarised to fit the model's window (~${compact(f.tokensBefore)} → ~${compact(f.tokensAfter)} tokens)`, 'dim'); break;
      case 'done':
        this.writes.clear();
        this.host.turnEnded();
        void this.finished(view, f);
        break;
    }
  }

  private async finished(view: TurnView, f: Extract<AgentFrame, { type: 'done' }>) {
    view.endSegment();
    for (const card of view.approvals) {
      if (card.querySelector('button')) card.querySelector('.ag-approval-actions')!.replaceChildren(h('span', { class: 'ag-decided' }, 'Not answered: the turn ended'));
    }
    for (const card of view.cards.values()) if (card.classList.contains('running')) card.classList.replace('running', 'failed');
    if (f.end === 'stopped') view.note('Stopped.', 'warn');
    else if (f.end === 'stepLimit') view.note('Gave up: too many steps without finishing. Send a message to let it go on.', 'warn');
    else if (f.error) view.note(f.error.message, 'error');
    else if (f.stop && f.stop !== 'end_turn' && f.stop !== 'stop_sequence') view.note(`The model stopped early (${f.stop}).`, 'warn');
    this.running = null;
    this.setRunning(false);
    try {
      this.thread = await this.backend.agentThread(this.threadId);
      view.el.after(this.turnActions(this.thread.turns.length - 1));
      this.setUsage(this.thread.usage);
    } catch {
      // Shown as streamed; the saved copy is only needed for its turn controls.
    }
    this.renderReview(f.review);
    await this.refreshThreads();
  }

  private approvalCard(f: Extract<AgentFrame, { type: 'approval' }>): HTMLElement {
    const input = (f.input ?? {}) as Record<string, unknown>;
    const detail: HTMLElement[] = [];
    if (f.tool === 'run_command') detail.push(h('pre', { class: 'ag-cmd' }, String(input.command ?? '')));
    else if (f.tool === 'edit_file' && typeof input.old_string === 'string') {
      detail.push(h('pre', { class: 'ag-diff' },
        ...String(input.old_string).split('\n').map((l) => h('div', { class: 'del' }, `- ${l}`)),
        ...String(input.new_string ?? '').split('\n').map((l) => h('div', { class: 'add' }, `+ ${l}`))));
    } else if (f.tool === 'write_file' && typeof input.content === 'string') {
      detail.push(h('pre', { class: 'ag-diff' }, ...input.content.split('\n').slice(0, 40).map((l) => h('div', { class: 'add' }, `+ ${l}`))));
    }
    const actions = h('div', { class: 'ag-approval-actions' });
    const card = h('div', { class: 'ag-approval', role: 'group', 'aria-label': `Approve: ${f.summary}`, 'data-tool': f.tool },
      h('div', { class: 'ag-approval-q' }, h('strong', {}, 'Allow '), f.summary, '?'), ...detail, actions);
    const answer = async (a: 'once' | 'always' | 'deny', label: string) => {
      actions.querySelectorAll('button').forEach((b) => (b.disabled = true));
      try {
        await this.backend.agentApprove(f.id, a);
        actions.replaceChildren(h('span', { class: `ag-decided ${a}` }, label));
      } catch (e) {
        actions.replaceChildren(h('span', { class: 'ag-decided' }, errorMessage(e)));
      }
    };
    if (f.tool === 'budget') {
      card.querySelector('.ag-approval-q')!.replaceChildren(h('strong', {}, 'Over budget: '), String(input.reason ?? f.summary), '. Send the request anyway?');
      actions.append(
        h('button', { class: 'btn small', onclick: () => void answer('once', 'Sent past the cap') }, 'Send anyway'),
        h('button', { class: 'btn small primary', onclick: () => void answer('deny', 'Stopped at the cap') }, 'Stop'));
      return card;
    }
    actions.append(
      h('button', { class: 'btn small primary', onclick: () => void answer('once', 'Allowed once') }, 'Allow once'),
      h('button', { class: 'btn small', title: f.pattern ? `Allow commands matching \`${f.pattern}\` for the rest of this session` : `Allow ${f.tool} without asking for the rest of this session`, onclick: () => void answer('always', f.pattern ? `Always allowed: ${f.pattern}` : `Always allowed: ${f.tool}`) }, f.pattern ? `Always allow ${f.pattern}` : `Always allow ${f.tool}`),
      h('button', { class: 'btn small danger', onclick: () => void answer('deny', 'Denied') }, 'Deny'));
    queueMicrotask(() => (actions.firstElementChild as HTMLButtonElement | null)?.focus({ preventScroll: true }));
    return card;
  }

  // ---- @-mentions --------------------------------------------------------------------------

  /** The `@query` being typed just before the caret, if any. */
  private mentionQuery(): { start: number; query: string } | null {
    const upto = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const m = /(^|\s)@([^\s@]*)$/.exec(upto);
    return m ? { start: upto.length - m[2].length - 1, query: m[2] } : null;
  }

  private async suggest() {
    const q = this.mentionQuery();
    const seq = ++this.suggestSeq;
    if (!q) {
      this.popup.hidden = true;
      this.suggestedFor = null;
      return;
    }
    const query = q.query.toLowerCase();
    // Until the lookup answers, show only what still fits the text typed: a list left from
    // a shorter query (say @terminal for "@t") must not be what Enter takes for "@test.s".
    if (this.suggestedFor !== q.query) {
      this.suggestions = this.suggestions.filter((x) => fuzzyIndices(x.token, query) !== null);
      this.picked = 0;
      this.renderSuggestions();
    }
    const out: Suggestion[] = [];
    const sel = this.host.selection();
    const special: Suggestion[] = [
      { token: 'selection', hint: sel ? `${sel.path}:${sel.fromLine}-${sel.toLine}` : 'nothing selected', make: async () => {
        const s = this.host.selection();
        return s ? { kind: 'text', label: `selection in ${s.path}:${s.fromLine}-${s.toLine}`, text: s.text } : null;
      } },
      { token: 'terminal', hint: 'recent terminal output', make: async () => {
        const t = await this.host.terminalText();
        return t ? { kind: 'text', label: `terminal output (${t.title})`, text: t.text } : null;
      } },
      { token: 'problems', hint: 'syntax errors in the open file', make: async () => {
        const p = this.host.problems();
        return p ? { kind: 'text', label: `problems in ${p.path}`, text: p.text } : null;
      } },
    ];
    out.push(...special.filter((x) => x.token.startsWith(query)));
    try {
      const [files, symbols] = await Promise.all([
        this.backend.findFiles(q.query, 8),
        q.query.length >= 2 ? this.backend.symbolSearch(q.query, 5) : Promise.resolve([]),
      ]);
      if (seq !== this.suggestSeq) return;
      out.push(...files.map((f) => ({ token: f.path, hint: 'file', make: async () => ({ kind: 'file', path: f.path, startLine: null, endLine: null }) as Mention })));
      out.push(...symbols.map((s) => ({ token: s.name, hint: `${s.kind} · ${s.path}:${s.line}`, make: async () => ({ kind: 'symbol', name: s.name }) as Mention })));
    } catch {
      // Suggestions are a convenience: the specials still work.
    }
    this.suggestions = out.slice(0, 12);
    this.suggestedFor = q.query;
    this.picked = 0;
    this.renderSuggestions();
  }

  /** Enter or Tab in the list: the pick answers the text as typed, so a lookup still on its
   * way is waited for (a fast typist's Enter would otherwise take a stale row). */
  private async pickCurrent() {
    const q = this.mentionQuery();
    if (q && this.suggestedFor !== q.query) {
      await this.suggesting;
      if (this.mentionQuery()?.query !== q.query) return;
    }
    const x = this.suggestions[this.picked];
    if (x) await this.pick(x);
  }

  private renderSuggestions() {
    this.popup.hidden = !this.suggestions.length;
    this.popup.replaceChildren(...this.suggestions.map((x, i) => {
      const row = h('div', { class: `ag-sug${i === this.picked ? ' picked' : ''}`, role: 'option', 'aria-selected': String(i === this.picked) },
        h('span', { class: 'ag-sug-token' }, `@${x.token}`), h('span', { class: 'ag-sug-hint' }, x.hint));
      row.addEventListener('mousedown', (e) => {
        e.preventDefault();
        void this.pick(x);
      });
      return row;
    }));
  }

  private async pick(x: Suggestion) {
    this.popup.hidden = true;
    const q = this.mentionQuery();
    const mention = await x.make();
    if (!mention) {
      toast(`Nothing to mention for @${x.token} (${x.hint})`);
      return;
    }
    this.mentions.set(x.token, mention);
    if (q) {
      const v = this.input.value;
      const end = q.start + 1 + q.query.length;
      this.input.value = `${v.slice(0, q.start)}@${x.token} ${v.slice(end)}`;
      const caret = q.start + x.token.length + 2;
      this.input.setSelectionRange(caret, caret);
    }
    this.renderChips();
    this.input.focus();
  }

  private renderChips() {
    this.chips.replaceChildren(...[...this.mentions].map(([token, m]) => h('span', { class: 'ag-chip', title: label(m) }, `@${token}`,
      h('button', { class: 'ag-chip-x', 'aria-label': `Remove @${token}`, onclick: () => {
        this.mentions.delete(token);
        this.input.value = this.input.value.replace(`@${token} `, '').replace(`@${token}`, '');
        this.renderChips();
      } }, '×'))));
  }

  // ---- review ---------------------------------------------------------------------------

  private renderReview(files: FileReview[]) {
    if (!files.length) {
      this.reviewEl.hidden = true;
      this.reviewEl.replaceChildren();
      this.reviewBase = null;
      return;
    }
    const act = (action: Parameters<Backend['agentReviewAction']>[1]) => async () => {
      try {
        this.renderReview(await this.backend.agentReviewAction(this.threadId, action));
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
    };
    const rows = files.map((f) => {
      const hunks = f.hunks.map((hk, i) => h('div', { class: 'ag-hunk' },
        h('div', { class: 'ag-hunk-head' }, h('span', {}, `@@ −${hk.oldStart},${hk.oldLines.length} +${hk.newStart},${hk.newLines.length}`),
          h('button', { class: 'btn small', title: 'Put this hunk back as it was; the rest stays', onclick: act({ action: 'rejectHunk', path: f.path, hunk: i }) }, 'Reject hunk')),
        h('pre', { class: 'ag-diff' },
          ...hk.oldLines.map((l) => h('div', { class: 'del' }, `- ${l.replace(/\r?\n$/, '')}`)),
          ...hk.newLines.map((l) => h('div', { class: 'add' }, `+ ${l.replace(/\r?\n$/, '')}`)))));
      return h('details', { class: `ag-rfile ${f.status}`, 'data-path': f.path, open: files.length <= 3 },
        h('summary', {},
          h('span', { class: 'ag-rstatus' }, f.status[0].toUpperCase()),
          h('button', { class: 'ag-rpath', title: `Open ${f.path}`, onclick: (e: Event) => { e.preventDefault(); this.host.openFile(f.path); } }, basename(f.path)),
          h('span', { class: 'ag-rdir' }, f.path.slice(0, -basename(f.path).length)),
          h('span', { class: 'spacer' }),
          h('button', { class: 'btn small', title: 'Side-by-side diff', disabled: this.reviewBase === null, onclick: (e: Event) => { e.preventDefault(); void this.diff(f.path); } }, 'Diff'),
          h('button', { class: 'btn small', title: 'Keep this file as it is', onclick: (e: Event) => { e.preventDefault(); void act({ action: 'acceptFile', path: f.path })(); } }, 'Accept'),
          h('button', { class: 'btn small danger', title: 'Put the whole file back as it was', onclick: (e: Event) => { e.preventDefault(); void act({ action: 'rejectFile', path: f.path })(); } }, 'Reject')),
        f.hunks.length ? h('div', { class: 'ag-hunks' }, ...hunks)
          : h('div', { class: 'ag-note dim' }, f.status === 'deleted' ? 'Deleted.' : f.status === 'renamed' ? `Folder renamed from ${f.from ?? '?'} (Reject renames it back).` : 'Binary file.'));
    });
    this.reviewEl.replaceChildren(
      h('div', { class: 'ag-review-head' }, h('strong', {}, `Review: ${files.length} file${files.length === 1 ? '' : 's'} changed`), h('span', { class: 'spacer' }),
        h('button', { class: 'btn small primary', onclick: act({ action: 'acceptAll' }) }, 'Accept all'),
        h('button', { class: 'btn small danger', onclick: act({ action: 'rejectAll' }) }, 'Reject all')),
      h('div', { class: 'ag-review-files' }, ...rows));
    this.reviewEl.hidden = false;
  }

  private async diff(path: string) {
    try {
      const [a, b] = await Promise.all([this.backend.checkpointFile(this.reviewBase, path), this.backend.checkpointFile(null, path)]);
      const text = (f: typeof a) => (!f.exists ? '' : f.binary ? '(binary file)\n' : f.text ?? '');
      await openDiff(`${path}: the agent's changes`, { name: 'Before the agent', text: text(a) }, { name: 'Now', text: text(b) }, this.host.settings());
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  // ---- threads ----------------------------------------------------------------------------

  private async export() {
    if (!this.thread?.messages.length) {
      toast('Nothing to export yet');
      return;
    }
    try {
      const md = await this.backend.agentExport(this.threadId);
      const slug = (this.thread.title || 'agent-thread').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'agent-thread';
      const path = await promptText('Save the thread as Markdown (path in this folder)', `${slug}.md`, slug.length);
      if (!path) return;
      await this.backend.writeFile(path, md, 'utf8');
      toast(`Saved ${path}`);
      this.host.openFile(path);
    } catch (e) {
      toast(`Export failed: ${errorMessage(e)}`, 'error');
    }
  }

  private async deleteThread() {
    if (!this.thread) return;
    const ok = await choose(`Delete “${this.thread.title || 'Untitled'}”?`, 'The conversation is removed. Files and checkpoints are not touched.', [
      { label: 'Delete', value: true, danger: true },
      { label: 'Cancel', value: false },
    ]);
    if (!ok) return;
    try {
      await this.backend.agentDelete(this.threadId);
      await this.openThread(null);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  private async commitMessage() {
    toast('Writing a commit message…');
    try {
      const m = await this.backend.suggestCommitMessage();
      const text = h('textarea', { class: 'ag-input', rows: 8, spellcheck: 'false', 'aria-label': 'Commit message' });
      text.value = m.message;
      const copy = h('button', { class: 'btn primary' }, 'Copy');
      const close = h('button', { class: 'btn' }, 'Close');
      const modal = panelModal('Commit message', h('div', { class: 'ag-commit' }, h('p', { class: 'dim' }, `For the ${m.staged ? 'staged' : 'unstaged'} changes, by ${m.model}. Edit it, then copy it into your commit.`), text), [copy, close], () => modal.remove());
      close.addEventListener('click', () => modal.remove());
      copy.addEventListener('click', () => {
        void navigator.clipboard?.writeText(text.value).then(() => toast('Copied'), () => toast('Copy failed: select the text and copy it', 'error'));
      });
      text.focus();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  // ---- providers --------------------------------------------------------------------------

  private async providers() {
    let list: ProviderStatus[];
    try {
      list = await this.backend.agentProviders();
    } catch (e) {
      toast(errorMessage(e), 'error');
      return;
    }
    const s = this.host.settings();
    const rows = list.map((p) => {
      const url = h('input', { class: 'search-input', type: 'text', value: p.baseUrl, spellcheck: 'false', 'aria-label': `${p.name} base URL` });
      const key = h('input', { class: 'search-input', type: 'password', placeholder: p.key === 'env' ? `from ${p.keyEnv}` : p.key === 'keychain' ? '•••••••• (in the OS keychain)' : p.key === 'file' ? '•••••••• (saved)' : p.local ? 'no key needed' : 'API key', autocomplete: 'off', 'aria-label': `${p.name} API key` });
      const result = h('div', { class: 'ag-prov-result' });
      const save = async () => {
        try {
          if (url.value.trim() !== p.baseUrl) {
            await this.host.patchSettings((o) => {
              const urls = (o.agentBaseUrls ?? {}) as Record<string, string>;
              urls[p.name] = url.value.trim();
              o.agentBaseUrls = urls;
            });
          }
          if (key.value.trim()) await this.backend.agentSetKey(p.name, key.value.trim());
          key.value = '';
          return true;
        } catch (e) {
          result.replaceChildren(h('span', { class: 'error' }, errorMessage(e)));
          return false;
        }
      };
      const test = h('button', { class: 'btn small', onclick: async () => {
        if (!(await save())) return;
        result.replaceChildren('Connecting…');
        try {
          const models = await this.backend.agentModels(p.name);
          result.replaceChildren(h('span', { class: 'ok' }, `✓ Connected: ${models.length} model${models.length === 1 ? '' : 's'}`),
            h('div', { class: 'ag-prov-models' }, ...models.slice(0, 30).map((m) => h('button', { class: 'ag-chip', title: 'Use this model for the agent', onclick: () => void this.useModel(`${p.name}:${m}`) }, m))));
        } catch (e) {
          result.replaceChildren(h('span', { class: 'error' }, errorMessage(e)));
        }
      } }, 'Test connection');
      const forget = p.key === 'file' || p.key === 'keychain' ? h('button', { class: 'btn small', onclick: async () => {
        await this.backend.agentSetKey(p.name, null).catch((e) => toast(errorMessage(e), 'error'));
        forget?.remove();
        key.placeholder = 'API key';
      } }, 'Forget key') : null;
      return h('div', { class: 'ag-prov', 'data-provider': p.name },
        h('div', { class: 'ag-prov-name' }, h('strong', {}, p.name), h('span', { class: 'dim' }, p.kind === 'anthropic' ? ' Anthropic Messages' : ' OpenAI-compatible')),
        h('label', {}, 'Base URL', url), h('label', {}, 'Key', key),
        h('div', { class: 'ag-prov-actions' }, test, h('button', { class: 'btn small', onclick: async () => { if (await save()) result.replaceChildren(h('span', { class: 'ok' }, 'Saved')); } }, 'Save'), forget), result);
    });
    const body = h('div', { class: 'ag-providers' },
      h('p', { class: 'dim' }, `Model in use: ${s.agentModel || 'the default (the first cloud provider with a key)'}. Keys are stored in the OS keychain (else in a file only you can read) and never sent to collaborators; keys from the environment win.`),
      ...rows);
    const close = h('button', { class: 'btn' }, 'Close');
    const modal = panelModal('AI providers', body, [close], () => modal.remove());
    close.addEventListener('click', () => modal.remove());
  }

  private async useModel(model: string) {
    try {
      await this.host.patchSettings((o) => {
        o.agentModel = model;
        const models = (o.agentModels ?? this.host.settings().agentModels) as string[];
        if (!models.includes(model)) o.agentModels = [model, ...models];
      });
      this.fillPicker();
      toast(`The agent now uses ${model}`);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }

  dispose() {
    this.running?.handle.cancel();
  }
}

function label(m: Mention): string {
  switch (m.kind) {
    case 'file': return m.startLine ? `${m.path}:${m.startLine}-${m.endLine ?? ''}` : m.path;
    case 'symbol': return m.name;
    case 'text': return m.label;
  }
}
