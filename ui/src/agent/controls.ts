// The next turn's model controls: extended thinking and its budget, temperature, and the
// output limit, behind a button beside the model picker. Kept in this browser's storage
// for the turns after; a value the provider would refuse is refused by Rust with the reason.

import { h } from '../dom';
import type { TurnOptions } from '../backend';

const KEY = 'weft.agent.turnOptions';

export class TurnControls {
  readonly button: HTMLButtonElement;
  readonly panel: HTMLElement;
  private thinking = h('input', { type: 'checkbox', class: 'ag-ctl-thinking', 'aria-label': 'Extended thinking' });
  private budget = h('input', { type: 'number', class: 'ag-ctl-budget', min: '1024', step: '1024', value: '4096', 'aria-label': 'Thinking budget (tokens)' });
  private temperature = h('input', { type: 'number', class: 'ag-ctl-temperature', min: '0', max: '2', step: '0.1', placeholder: 'default', 'aria-label': 'Temperature' });
  private maxTokens = h('input', { type: 'number', class: 'ag-ctl-max', min: '1', step: '1024', placeholder: '8192', 'aria-label': 'Output limit (tokens)' });

  constructor() {
    this.button = h('button', { class: 'btn small ag-ctl-btn', title: 'Thinking, temperature and output limit for the next turns', 'aria-expanded': 'false' }, 'Controls');
    this.panel = h('div', { class: 'ag-ctl', hidden: true },
      h('label', {}, this.thinking, ' Thinking, budget ', this.budget),
      h('label', {}, 'Temperature ', this.temperature),
      h('label', {}, 'Output limit ', this.maxTokens));
    this.button.addEventListener('click', () => {
      this.panel.hidden = !this.panel.hidden;
      this.button.setAttribute('aria-expanded', String(!this.panel.hidden));
    });
    this.restore();
    for (const i of [this.thinking, this.budget, this.temperature, this.maxTokens]) i.addEventListener('change', () => this.changed());
    this.label();
  }

  /** What the next turn asks for; null: every default. */
  options(): TurnOptions | null {
    const num = (i: HTMLInputElement) => (i.value.trim() === '' ? null : Number(i.value));
    const o: TurnOptions = {
      // Off is said explicitly only when the user turned it on once: 0 means "off".
      thinkingBudget: this.thinking.checked ? num(this.budget) : null,
      temperature: this.thinking.checked ? null : num(this.temperature),
      maxTokens: num(this.maxTokens),
    };
    return o.thinkingBudget === null && o.temperature === null && o.maxTokens === null ? null : o;
  }

  private changed() {
    // Anthropic refuses a temperature with thinking: the field says so.
    this.temperature.disabled = this.thinking.checked;
    localStorage.setItem(KEY, JSON.stringify({ thinking: this.thinking.checked, budget: this.budget.value, temperature: this.temperature.value, maxTokens: this.maxTokens.value }));
    this.label();
  }

  private restore() {
    try {
      const s = JSON.parse(localStorage.getItem(KEY) ?? 'null');
      if (!s) return;
      this.thinking.checked = !!s.thinking;
      this.budget.value = String(s.budget ?? '4096');
      this.temperature.value = String(s.temperature ?? '');
      this.maxTokens.value = String(s.maxTokens ?? '');
      this.temperature.disabled = this.thinking.checked;
    } catch {
      // A damaged entry: the defaults.
    }
  }

  private label() {
    const o = this.options();
    const parts = [o?.thinkingBudget ? `thinking ${o.thinkingBudget}` : '', o?.temperature != null ? `temp ${o.temperature}` : '', o?.maxTokens ? `max ${o.maxTokens}` : ''].filter(Boolean);
    this.button.textContent = parts.length ? parts.join(' · ') : 'Controls';
  }
}
