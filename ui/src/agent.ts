// The agent panel: a thread with the coding agent. Answers stream in as Markdown, tool
// calls are collapsible cards with their output, approval cards wait for the user, and
// what the turns changed is up for review hunk by hunk (a rejected hunk is reverted on
// disk) or side by side. Every turn can be restored: its code (from the checkpoint taken
// before its first change), its conversation, or both. Threads are saved per folder.
// Its parts: ./agent/turn (a streaming turn), approvals, mentions (the @ picker), review,
// providers; this file is the thread list, the composer and the turn's frames.

import { h } from './dom';
import type { Backend, AgentFrame, AgentThread, Message, Settings, StreamHandle, ThreadSummary, Usage } from './backend';
import { panelModal, toast, errorMessage, choose, promptText } from './dialogs';
import { compact } from './usage';
import { TurnView } from './agent/turn';
import { approvalCard } from './agent/approvals';
import { TurnControls } from './agent/controls';
import { MentionPicker, label } from './agent/mentions';
import { ReviewView } from './agent/review';
import { Providers } from './agent/providers';
import { ImageTray } from './agent/images';

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
  /** The preview's address and console, for @preview. */
  previewText(): Promise<{ title: string; text: string } | null>;
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

/** The mention a prompt's `@token` stands for. */
const CONTEXT_OPEN = '<context>';

function newThreadId(): string {
  const rand = globalThis.crypto?.randomUUID?.().slice(0, 8) ?? Math.random().toString(36).slice(2, 10);
  return `t-${Date.now().toString(36)}-${rand}`;
}


export class AgentPanel {
  readonly el: HTMLElement;
  private log: HTMLElement;
  private input: HTMLTextAreaElement;
  private sendBtn: HTMLButtonElement;
  private picker: HTMLSelectElement;
  /** Thinking, temperature and output limit for the next turns. */
  private controls = new TurnControls();
  private usageEl: HTMLElement;
  private threadSel: HTMLSelectElement;
  private review: ReviewView;
  private mentions: MentionPicker;
  private providers: Providers;
  private images: ImageTray;
  private threadId = newThreadId();
  private thread: AgentThread | null = null;
  /** Turns running, by thread: threads run at once; the log shows the open one's. */
  private runs = new Map<string, { handle: StreamHandle; view: TurnView }>();
  /** The open thread's running turn. */
  private get running(): { handle: StreamHandle; view: TurnView } | null {
    return this.runs.get(this.threadId) ?? null;
  }
  /** Tool call id -> the files it writes, told to the host once it succeeded. */
  private writes = new Map<string, string[]>();

  constructor(private backend: Backend, private host: AgentHost) {
    this.threadSel = h('select', { class: 'ag-threads', 'aria-label': 'Thread', title: 'Saved threads of this folder' });
    this.threadSel.addEventListener('change', () => void this.openThread(this.threadSel.value || null));
    const menu = h('div', { class: 'ag-head' },
      this.threadSel,
      h('button', { class: 'icon-btn', title: 'New thread', 'aria-label': 'New thread', onclick: () => void this.openThread(null) }, '+'),
      h('button', { class: 'icon-btn', title: 'Export the thread as Markdown', 'aria-label': 'Export', onclick: () => void this.export() }, '⤓'),
      h('button', { class: 'icon-btn', title: 'Delete this thread', 'aria-label': 'Delete thread', onclick: () => void this.deleteThread() }, '−'),
      h('button', { class: 'icon-btn', title: 'Suggest a commit message for the staged git changes', 'aria-label': 'Suggest a commit message', onclick: () => void this.commitMessage() }, '✎'),
      h('button', { class: 'icon-btn', title: 'MCP servers: their tools, trust and state', 'aria-label': 'MCP servers', onclick: () => void import('./agent/mcp').then((m) => m.openMcpServers(backend)) }, 'MCP'),
      h('button', { class: 'icon-btn', title: 'AI providers, keys and models', 'aria-label': 'AI providers', onclick: () => void this.providers.open() }, '⚙'));
    this.log = h('div', { class: 'ag-log', role: 'log', 'aria-live': 'polite' });
    this.review = new ReviewView(backend, host, () => this.threadId);
    this.providers = new Providers(backend, host, () => this.fillPicker());
    this.input = h('textarea', { class: 'ag-input', rows: 3, placeholder: 'Ask the agent to change, explain or fix something… @ mentions files, symbols, @selection, @terminal, @problems; /init writes a first AGENTS.md', spellcheck: 'false', 'aria-label': 'Prompt' });
    this.mentions = new MentionPicker(this.input, backend, host);
    this.input.addEventListener('keydown', (e) => {
      if (this.mentions.key(e)) return;
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send();
      }
    });
    this.picker = h('select', { class: 'ag-model', 'aria-label': 'Model', title: 'The model for the next turn' });
    this.sendBtn = h('button', { class: 'btn small primary ag-send', onclick: () => void (this.running ? this.stop() : this.send()) }, 'Send');
    this.usageEl = h('span', { class: 'ag-usage', title: 'Tokens used by this thread' });
    const composer = h('div', { class: 'ag-composer' });
    this.images = new ImageTray(backend, composer, this.input);
    composer.append(this.mentions.popup, this.mentions.chips, this.images.el, this.input, this.controls.panel, h('div', { class: 'ag-bar' }, this.picker, this.controls.button, ...this.images.buttons, this.usageEl, h('span', { class: 'spacer' }), this.sendBtn));
    this.el = h('aside', { class: 'agent-panel', 'aria-label': 'Agent' }, menu, this.log, this.review.el, composer);
    this.fillPicker();
  }

  async start() {
    // Drawn at once: a prompt sent before the list arrives keeps its turn on screen (drawing
    // the empty state after the fetch wiped it, and its answer streamed into nothing).
    this.renderEmpty();
    try {
      const threads = await this.backend.agentThreads();
      this.fillThreads(threads);
      if (threads.length && !this.running) await this.openThread(threads[0].id);
    } catch (e) {
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

  /** The folder's threads (one whose first turn runs is listed before it is saved), each
   * marked running (●) or waiting for an approval (⏸). */
  private fillThreads(list: ThreadSummary[]) {
    const mark = (t: { running: boolean; waiting: boolean }) => (t.waiting ? '⏸ ' : t.running ? '● ' : '');
    const state = (t: { running: boolean; waiting: boolean }) => (t.waiting ? 'waiting for your approval' : t.running ? 'running' : '');
    const opts = list.map((t) => h('option', { value: t.id, title: state(t) }, `${mark(t)}${t.title || 'Untitled'}`));
    const has = list.some((t) => t.id === this.threadId);
    if (!has) opts.unshift(h('option', { value: '' }, 'New thread'));
    this.threadSel.replaceChildren(...opts);
    this.threadSel.value = has ? this.threadId : '';
  }

  private async refreshThreads() {
    try {
      this.fillThreads(await this.backend.agentThreads());
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
    // A thread whose turn runs goes on in the background: its frames still reach its view.
    this.review.base = null;
    this.review.render([]);
    this.host.threadOpened(id);
    if (!id) {
      this.threadId = newThreadId();
      this.thread = null;
      this.setRunning(false);
      // Drawn before the list is fetched: a prompt sent meanwhile keeps its turn on screen
      // (drawing after the fetch wiped it, and its answer streamed into nothing).
      this.renderEmpty();
      this.input.focus();
      await this.refreshThreads();
      return;
    }
    try {
      const thread = await this.backend.agentThread(id);
      // A turn started in the open thread while this one loaded is the one on screen.
      if (this.running && this.threadId !== id) return;
      this.thread = thread;
      this.threadId = id;
      this.renderThread(this.thread);
      // Its running turn (not saved until it ends) streams on below the saved ones.
      const live = this.runs.get(id);
      if (live) {
        this.log.querySelector('.ag-empty')?.remove();
        this.log.append(live.view.el);
        this.log.scrollTop = this.log.scrollHeight;
      }
      this.setRunning(!!live);
      await this.refreshThreads();
      const review = await this.backend.agentReview(id);
      this.review.base = this.thread.turns.find((t) => t.checkpoint !== null)?.checkpoint ?? null;
      this.review.render(review);
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
        if (m.role === 'user') view.images(m.content.flatMap((b) => (b.type === 'image' ? [b.source] : [])));
        this.log.append(view.el);
        if (m.role === 'user') return;
      }
      for (const b of m.content) {
        if (b.type === 'text' && m.role === 'assistant') {
          view.text(b.text);
          view.endSegment();
        } else if (b.type === 'text') view.note(b.text, 'user');
        else if (b.type === 'thinking' && b.thinking) view.thinking(b.thinking); // a signature alone (Gemini's) shows nothing
        else if (b.type === 'tool_use') view.tool(b.id, b.name, t.toolSummaries[b.id] ?? b.name);
        else if (b.type === 'tool_result') view.result(b.tool_use_id, b.content, b.is_error ?? false);
        // A tool's picture follows the results: shown in the last card that returned one.
        else if (b.type === 'image') view.resultImages([b.source]);
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
      if (code) this.review.render(await this.backend.agentReview(this.threadId));
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
    const mentions = this.mentions.take(prompt);
    const images = this.images.take();
    const view = new TurnView(this, this.thread?.turns.length ?? 0, prompt);
    view.mentioned(mentions.map(label));
    view.images(images);
    this.log.append(view.el);
    this.log.scrollTop = this.log.scrollHeight;
    this.input.value = '';
    const thread = this.threadId;
    const handle = this.backend.agentSend(thread, prompt, this.picker.value || null, mentions, (f) => this.onFrame(view, f, thread), this.controls.options(), images);
    this.runs.set(thread, { handle, view });
    this.setRunning(true);
    // Listed once the turn has begun (agentSend answers then).
    void handle.result.then(() => this.refreshThreads(), (e) => {
      // Refused before the turn began (no model configured, a turn already running…).
      view.note(errorMessage(e), 'error');
      this.runs.delete(thread);
      if (this.threadId !== thread) return;
      this.input.value ||= prompt;
      this.images.restore(images);
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

  private onFrame(view: TurnView, f: AgentFrame, thread: string) {
    const shown = thread === this.threadId;
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
        view.resultImages(f.images, f.id);
        if (!f.isError) for (const p of this.writes.get(f.id) ?? []) this.host.wrote(p);
        this.writes.delete(f.id);
        break;
      case 'terminal': view.terminal(f.terminal); break;
      case 'approval':
        view.approval(approvalCard(this.backend, f, () => void this.refreshThreads()));
        // Another thread's question: the list marks it as waiting for you.
        if (!shown) toast('A thread in the background waits for your approval');
        void this.refreshThreads();
        break;
      case 'checkpoint':
        this.review.base ??= f.id;
        view.note(`Checkpoint #${f.id} taken before the first change`, 'dim');
        break;
      case 'usage':
        view.settle();
        this.setUsage(f.thread);
        break;
      case 'retry': view.retry(`Retrying (attempt ${f.attempt}) in ${(f.delayMs / 1000).toFixed(1)} s: ${f.error}`); break;
      // The failed model's partial answer is void, as a retried attempt's is.
      case 'fallback': view.retry(`${f.from} failed (${f.error}); trying ${f.to}`); break;
      case 'cost': if (shown) this.host.spent(f.threadNanos, f.todayNanos); break;
      case 'instructions': view.instructions(f.files, (p) => this.host.openFile(p)); break;
      case 'budgetAlert': toast(`Budget: ${f.message}`); view.note(`Budget: ${f.message}`, 'warn'); break;
      case 'title': void this.refreshThreads(); break;
      case 'compacted': view.note(`Older turns were summarised to fit the model's window (~${compact(f.tokensBefore)} → ~${compact(f.tokensAfter)} tokens)`, 'dim'); break;
      case 'done':
        this.host.turnEnded();
        void this.finished(view, f, thread);
        break;
    }
  }

  private async finished(view: TurnView, f: Extract<AgentFrame, { type: 'done' }>, thread: string) {
    view.endSegment();
    for (const card of view.approvals) {
      if (card.querySelector('button')) card.querySelector('.ag-approval-actions')!.replaceChildren(h('span', { class: 'ag-decided' }, 'Not answered: the turn ended'));
    }
    for (const card of view.cards.values()) if (card.classList.contains('running')) card.classList.replace('running', 'failed');
    if (f.end === 'stopped') view.note('Stopped.', 'warn');
    else if (f.end === 'stepLimit') view.note('Gave up: too many steps without finishing. Send a message to let it go on.', 'warn');
    else if (f.error) view.note(f.error.message, 'error');
    else if (f.stop && f.stop !== 'end_turn' && f.stop !== 'stop_sequence') view.note(`The model stopped early (${f.stop}).`, 'warn');
    this.runs.delete(thread);
    if (thread !== this.threadId) {
      // Finished in the background: shown as it is when its thread is opened again.
      await this.refreshThreads();
      return;
    }
    this.setRunning(false);
    try {
      this.thread = await this.backend.agentThread(this.threadId);
      view.el.after(this.turnActions(this.thread.turns.length - 1));
      this.setUsage(this.thread.usage);
    } catch {
      // Shown as streamed; the saved copy is only needed for its turn controls.
    }
    this.review.render(f.review);
    await this.refreshThreads();
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

  dispose() {
    for (const r of this.runs.values()) r.handle.cancel();
  }
}
