// Share: the host side of a collaboration session. Starts the host for the open folder,
// invites guests (read-write or read-only), changes a guest's role, removes a guest (their
// connection closes and the token stops working), and stops sharing. Each invite gives
// the server address and the guest's token; any Yjs client joins a file's room,
// `file/<path>`, whose text is the Y.Text `content`.

import { h } from './dom';
import type { Backend, CollabStatus } from './backend';
import { panelModal, toast, errorMessage } from './dialogs';

/** `onStatus`: sharing (the host's own link, for the session's bar) or not (null). */
export async function openShare(backend: Backend, onStatus: (selfLink: string | null) => void) {
  if (document.querySelector('.share-panel')) return;
  const body = h('div', { class: 'share-panel' });
  const close = h('button', { class: 'btn' }, 'Close');
  const modal = panelModal('Share this folder', body, [close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  const act = (f: () => Promise<CollabStatus>) => async () => {
    try {
      render(await f());
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };
  const copy = (text: string, what: string) => void navigator.clipboard?.writeText(text).then(() => toast(`${what} copied`), () => toast(`Select the ${what.toLowerCase()} and copy it`, 'error'));
  const render = (s: CollabStatus) => void terminalsThen(s);
  // The host's terminals, each shareable (read-only, or guests may type).
  const terminalsThen = async (s: CollabStatus) => {
    const terms = s.url === null ? [] : await backend.terminalList().catch(() => []);
    draw(s, terms.map((t) => {
      const shared = s.terminals.find((x) => x.id === t.id);
      const on = h('input', { type: 'checkbox', class: 'share-term', 'aria-label': `Share ${t.title}` });
      const typing = h('input', { type: 'checkbox', class: 'share-term-write', 'aria-label': `Guests may type in ${t.title}` });
      on.checked = !!shared;
      typing.checked = !!shared?.writable;
      typing.disabled = !shared;
      on.addEventListener('change', act(() => (on.checked ? backend.collabShareTerminal(t.id, typing.checked) : backend.collabUnshareTerminal(t.id))));
      typing.addEventListener('change', act(() => backend.collabShareTerminal(t.id, typing.checked)));
      return h('div', { class: 'share-terminal', 'data-id': String(t.id) }, h('label', {}, on, ` ${t.title}`), h('label', { class: 'dim' }, typing, ' guests may type'));
    }));
  };
  const draw = (s: CollabStatus, terminals: HTMLElement[]) => {
    onStatus(s.url !== null ? s.selfLink : null);
    if (s.url === null) {
      const local = h('input', { type: 'checkbox', class: 'share-local', 'aria-label': 'This machine only' });
      body.replaceChildren(
        h('p', { class: 'dim' }, 'Guests edit the files of this folder live with you. Your Weft is the server: no account, no vendor service. Connections are encrypted; each invite link carries your certificate\'s fingerprint, and Weft refuses any other certificate.'),
        h('label', { class: 'dim' }, local, ' This machine only (plain ws:// on 127.0.0.1, for local Yjs tools)'),
        h('button', { class: 'btn primary share-start', onclick: act(() => backend.collabShare(0, local.checked)) }, 'Start sharing'));
      return;
    }
    const url = s.url;
    const name = h('input', { class: 'search-input', type: 'text', placeholder: 'Guest name', 'aria-label': 'Guest name' });
    const ro = h('input', { type: 'checkbox', 'aria-label': 'Read-only' });
    const invite = act(async () => {
      const st = await backend.collabInvite(name.value, ro.checked);
      name.value = '';
      return st;
    });
    name.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void invite();
    });
    const rows = s.guests.map((g) => {
      const role = h('select', { 'aria-label': `${g.name}'s access` }, h('option', { value: 'rw' }, 'Can edit'), h('option', { value: 'ro' }, 'Read-only'));
      role.value = g.readOnly ? 'ro' : 'rw';
      role.addEventListener('change', act(() => backend.collabSetRole(g.token, role.value === 'ro')));
      return h('tr', { class: 'share-guest', 'data-name': g.name },
        h('td', {}, g.name), h('td', {}, role),
        h('td', {}, h('code', { class: 'share-token', title: 'The guest\'s token' }, g.token)),
        h('td', {}, h('button', { class: 'btn small', title: g.link, onclick: () => copy(g.link, 'Invite link') }, 'Copy invite link'),
          h('button', { class: 'btn small danger', onclick: act(() => backend.collabRemove(g.token)) }, 'Remove')));
    });
    body.replaceChildren(
      s.fingerprint ? h('p', { class: 'dim' }, 'Certificate fingerprint (SHA-256): ', h('code', { class: 'share-fp' }, s.fingerprint)) : '',
      h('p', {}, 'Sharing at ', h('code', { class: 'share-url' }, url), '. Give each guest their invite link: in Weft they paste it into Join…; any Yjs client joins a file\'s room ', h('code', {}, `${url}/file/<path>?token=TOKEN`), ' (its text: the Y.Text ', h('code', {}, 'content'), ').'),
      h('div', { class: 'share-invite' }, name, h('label', {}, ro, ' read-only'), h('button', { class: 'btn small primary', onclick: () => void invite() }, 'Invite')),
      s.guests.length ? h('table', { class: 'share-guests' }, h('tbody', {}, ...rows)) : h('p', { class: 'dim' }, 'No guests yet.'),
      h('div', { class: 'share-terminals' }, h('b', {}, 'Terminals'), ...(terminals.length ? terminals : [h('span', { class: 'dim' }, ' none open')])),
      h('p', { class: 'dim' }, 'Your editors are the session\'s: guests see your files, cursors and edits as you work, and you see theirs.'),
      h('div', { class: 'share-actions' },
        h('button', { class: 'btn danger', onclick: act(() => backend.collabStop()) }, 'Stop sharing')));
    name.focus();
  };
  try {
    render(await backend.collabStatus());
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, errorMessage(e)));
  }
}
