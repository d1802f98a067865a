// One turn as it streams: the prompt, the reply's Markdown between tool cards, thinking,
// notes, approval cards. A retried attempt's output is dropped.

import { h } from '../dom';
import { renderMarkdown } from '../markdown';
import type { ImageSource } from '../backend';
import { thumbnail } from './images';

/** What a turn's view asks of the panel. */
export interface TurnHost {
  openLink(url: string): void;
  scrollDown(): void;
  /** Shows a running command of the agent's in the terminal panel. */
  watchTerminal(id: number): void;
}

/** One assistant reply as it streams: text segments between tool cards. */
export class TurnView {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private seg: HTMLElement | null = null;
  private buf = '';
  private step: HTMLElement[] = [];
  private frame = 0;
  readonly cards = new Map<string, HTMLDetailsElement>();
  readonly approvals = new Set<HTMLElement>();

  constructor(private host: TurnHost, turn: number, prompt: string) {
    this.body = h('div', { class: 'ag-reply' });
    this.el = h('div', { class: 'ag-turn', 'data-turn': String(turn) }, h('div', { class: 'ag-user' }, prompt), this.body);
  }

  /** The mentions sent with the prompt, as chips under it. */
  mentioned(labels: string[]) {
    if (labels.length) this.el.firstElementChild!.after(h('div', { class: 'ag-chips sent' }, ...labels.map((l) => h('span', { class: 'ag-chip' }, `@${l}`))));
  }

  /** The pictures sent with the prompt, under it. */
  images(list: ImageSource[]) {
    if (list.length) this.el.querySelector('.ag-user')!.after(h('div', { class: 'ag-images sent' }, ...list.map((i, k) => thumbnail(i, `Image ${k + 1}`))));
  }

  /** Pictures a tool returned (a screenshot), in its card: `id`'s, or the last finished. */
  resultImages(list: ImageSource[], id?: string) {
    if (!list.length) return;
    const card = id ? this.cards.get(id) : [...this.cards.values()].reverse().find((c) => c.dataset.tool === 'preview_screenshot' || c.dataset.tool?.startsWith('mcp__'));
    if (!card) return;
    card.querySelector('.ag-tool-out')!.before(h('div', { class: 'ag-images' }, ...list.map((i) => thumbnail(i, 'What the tool returned'))));
    card.open = true;
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
    if (this.seg) this.seg.replaceChildren(renderMarkdown(this.buf, { openLink: (u) => this.host.openLink(u) }));
    this.host.scrollDown();
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
    this.host.scrollDown();
  }

  /** The running command's terminal: the card offers to watch it until the command ends. */
  terminal(terminal: number) {
    const card = [...this.cards.values()].reverse().find((c) => c.dataset.tool === 'run_command' && c.classList.contains('running'));
    if (!card) return;
    card.dataset.terminal = String(terminal);
    const watch = h('button', { class: 'btn small ag-watch', title: 'Show this command in the terminal panel as it runs' }, 'Watch');
    watch.addEventListener('click', (e) => {
      e.preventDefault();
      this.host.watchTerminal(terminal);
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
    this.host.scrollDown();
  }

  /** The instruction files the agent followed; a project file opens in the editor. */
  instructions(files: string[], open: (path: string) => void) {
    this.endSegment();
    const items = files.flatMap((f, i) => {
      const sep = i ? [', '] : [];
      // The user's own file lives in the config folder, not in the project.
      if (f === 'your instructions') return [...sep, f];
      const a = h('a', { href: '#', class: 'ag-instr', title: `Open ${f}` }, f);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        open(f);
      });
      return [...sep, a];
    });
    this.body.append(h('div', { class: 'ag-note dim' }, 'Following ', ...items));
    this.host.scrollDown();
  }

  /** A failed attempt is retried, or another model takes over: what it streamed is void. */
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
    this.host.scrollDown();
  }

  append(el: HTMLElement) {
    this.body.append(el);
  }
}

