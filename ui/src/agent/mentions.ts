// @-mentions in the prompt: a list of files, symbols and the specials (@selection,
// @terminal, @problems) as the user types, the picked ones as chips, and what each stands
// for when the prompt is sent.

import { h } from '../dom';
import type { Backend, Mention, SlashCommand } from '../backend';
import { toast } from '../dialogs';
import { fuzzyIndices } from '../palette';

interface Suggestion {
  token: string;
  hint: string;
  make: () => Promise<Mention | null>;
  /** A slash command (typed first in the prompt), not a mention. */
  slash?: boolean;
}

/** The slash command of an MCP server's prompt (the same name rule as its tools). */
export function mcpName(server: string, name: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `mcp__${clean(server)}__${clean(name)}`.slice(0, 64);
}

/** Where the specials come from. */
export interface MentionSources {
  selection(): { path: string; fromLine: number; toLine: number; text: string } | null;
  problems(): { path: string; text: string } | null;
  terminalText(): Promise<{ title: string; text: string } | null>;
  /** The preview's address and its console, for @preview. */
  previewText(): Promise<{ title: string; text: string } | null>;
}

export class MentionPicker {
  /** `@token` -> what it mentions, for the prompt being written. */
  private mentions = new Map<string, Mention>();
  readonly chips = h('div', { class: 'ag-chips' });
  readonly popup = h('div', { class: 'ag-suggest', role: 'listbox', hidden: true });
  private suggestions: Suggestion[] = [];
  private picked = 0;
  private suggestSeq = 0;
  /** The query `suggestions` answer, and the lookup for the query being typed. */
  private suggestedFor: string | null = null;
  private suggesting: Promise<void> = Promise.resolve();

  constructor(private input: HTMLTextAreaElement, private backend: Backend, private host: MentionSources) {
    input.addEventListener('input', () => {
      this.suggesting = this.suggest();
    });
    input.addEventListener('blur', () => setTimeout(() => (this.popup.hidden = true), 150));
  }

  /** Keys for the open list (arrows, Enter/Tab to pick, Escape); true when it took the key. */
  key(e: KeyboardEvent): boolean {
    if (this.popup.hidden || !this.suggestions.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.picked = (this.picked + (e.key === 'ArrowDown' ? 1 : this.suggestions.length - 1)) % this.suggestions.length;
      this.renderSuggestions();
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      void this.pickCurrent();
      return true;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      this.popup.hidden = true;
      return true;
    }
    return false;
  }

  /** The mentions `prompt` still names (a chip whose @token was deleted goes). */
  take(prompt: string): Mention[] {
    const out = [...this.mentions].filter(([token]) => prompt.includes(`@${token}`)).map(([, m]) => m);
    this.mentions.clear();
    this.renderChips();
    return out;
  }

  /** The `@query` being typed just before the caret, if any. */
  private mentionQuery(): { start: number; query: string } | null {
    const upto = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const m = /(^|\s)@([^\s@]*)$/.exec(upto);
    return m ? { start: upto.length - m[2].length - 1, query: m[2] } : null;
  }

  /** The `/command` being typed at the very start of the prompt, if any. */
  private commandQuery(): string | null {
    const upto = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    return /^\/([\w-]*)$/.exec(upto)?.[1] ?? null;
  }

  /** The slash commands, asked once per picker (the library rarely changes mid-prompt). */
  private commands: Promise<SlashCommand[]> | null = null;

  /** MCP servers' prompts and resources: asked once per picker, never waited on by the
   * rest (asking starts the folder's trusted servers). */
  private mcpPrompts: Promise<SlashCommand[]> | null = null;
  private mcpResources: Promise<Suggestion[]> | null = null;

  private async suggestCommands(query: string, seq: number) {
    this.mcpPrompts ??= this.backend.mcpPrompts().then(
      (list) => list.map((p) => ({ name: mcpName(p.server, p.prompt.name), description: `${p.prompt.description ?? p.prompt.name}${p.prompt.arguments.length ? ` (${p.prompt.arguments.join(', ')})` : ''}`, source: `MCP server ${p.server}`, model: null })),
      () => [],
    );
    this.commands ??= Promise.all([this.backend.agentPrompts().catch(() => []), this.mcpPrompts]).then(([a, b]) => [...a, ...b]);
    const all = await this.commands;
    if (seq !== this.suggestSeq) return;
    this.suggestions = all
      .filter((c) => c.name.startsWith(query.toLowerCase()))
      .map((c) => ({ token: c.name, hint: `${c.description} · ${c.source}`, slash: true, make: async () => null }));
    this.suggestedFor = `/${query}`;
    this.picked = 0;
    this.renderSuggestions();
  }

  private async suggest() {
    const seq = ++this.suggestSeq;
    const command = this.commandQuery();
    if (command !== null) return this.suggestCommands(command, seq);
    const q = this.mentionQuery();
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
      { token: 'preview', hint: 'the preview\'s page and its console', make: async () => {
        const p = await this.host.previewText();
        return p ? { kind: 'text', label: `preview ${p.title}`, text: p.text } : null;
      } },
      { token: 'problems', hint: 'syntax errors in the open file', make: async () => {
        const p = this.host.problems();
        return p ? { kind: 'text', label: `problems in ${p.path}`, text: p.text } : null;
      } },
    ];
    out.push(...special.filter((x) => x.token.startsWith(query)));
    this.mcpResources ??= this.backend.mcpResources().then(
      (list) => list.map((r) => ({
        token: r.resource.name || r.resource.uri,
        hint: `${r.resource.uri} · MCP server ${r.server}`,
        make: async () => ({ kind: 'text', label: `${r.resource.uri} (MCP server ${r.server})`, text: await this.backend.mcpReadResource(r.server, r.resource.uri) }) as Mention,
      })),
      () => [],
    );
    // Resources only when they have already arrived: a slow server never holds up files.
    const resources = await Promise.race([this.mcpResources, new Promise<Suggestion[]>((r) => setTimeout(() => r([]), 0))]);
    out.push(...resources.filter((x) => fuzzyIndices(x.token, query) !== null).slice(0, 4));
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
    if (this.commandQuery() !== null) {
      await this.suggesting;
      const x = this.suggestions[this.picked];
      if (x?.slash) void this.pick(x);
      return;
    }
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
        h('span', { class: 'ag-sug-token' }, `${x.slash ? '/' : '@'}${x.token}`), h('span', { class: 'ag-sug-hint' }, x.hint));
      row.addEventListener('mousedown', (e) => {
        e.preventDefault();
        void this.pick(x);
      });
      return row;
    }));
  }

  private async pick(x: Suggestion) {
    this.popup.hidden = true;
    if (x.slash) {
      // The command's name replaces what was typed of it; arguments follow.
      const v = this.input.value;
      const rest = v.replace(/^\/[\w-]*\s?/, '');
      this.input.value = `/${x.token} ${rest}`;
      const caret = x.token.length + 2;
      this.input.setSelectionRange(caret, caret);
      this.input.focus();
      return;
    }
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
}

export function label(m: Mention): string {
  switch (m.kind) {
    case 'file': return m.startLine ? `${m.path}:${m.startLine}-${m.endLine ?? ''}` : m.path;
    case 'symbol': return m.name;
    case 'text': return m.label;
  }
}
