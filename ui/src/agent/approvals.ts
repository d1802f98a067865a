// Approval cards: what the agent wants to do (the command, the edit as a diff), and the
// answers: once, always (the pattern it would allow), deny; a budget's hard cap asks too.

import { h } from '../dom';
import type { AgentFrame, Backend } from '../backend';
import { errorMessage } from '../dialogs';

export function approvalCard(backend: Backend, f: Extract<AgentFrame, { type: 'approval' }>, answered: () => void = () => {}): HTMLElement {
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
      await backend.agentApprove(f.id, a);
      actions.replaceChildren(h('span', { class: `ag-decided ${a}` }, label));
      answered();
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
