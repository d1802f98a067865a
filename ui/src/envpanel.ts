// Project: Environment and Secrets. The project's variables (in .weft/env.json, which may be
// committed) and secrets (in the OS keychain, never in the folder: their values are never
// shown again, only replaced). Runs, new terminals and the agent's commands get both.

import { h } from './dom';
import type { Backend, EnvVar } from './backend';
import { panelModal, toast, errorMessage, choose } from './dialogs';

export async function openEnvPanel(backend: Backend): Promise<void> {
  let vars: EnvVar[] = [];
  const list = h('div', { class: 'env-list' });
  const name = h('input', { class: 'env-input', type: 'text', placeholder: 'NAME', spellcheck: 'false', 'aria-label': 'Variable name' }) as HTMLInputElement;
  const value = h('input', { class: 'env-input env-value', type: 'password', placeholder: 'value', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Value' }) as HTMLInputElement;
  const secret = h('input', { type: 'checkbox', checked: true, 'aria-label': 'Secret' }) as HTMLInputElement;
  secret.addEventListener('change', () => (value.type = secret.checked ? 'password' : 'text'));
  const render = () => {
    list.replaceChildren(
      ...(vars.length ? [] : [h('div', { class: 'env-empty' }, 'No variables yet.')]),
      ...vars.map((v) => h('div', { class: 'env-row', 'data-name': v.name },
        h('span', { class: 'env-name' }, v.name),
        h('span', { class: `env-val${v.secret ? ' secret' : ''}` }, v.secret ? '•••••• (secret)' : v.value ?? ''),
        h('button', { class: 'run-btn', title: `Change ${v.name}`, onclick: () => edit(v) }, '✎'),
        h('button', { class: 'run-btn', title: `Remove ${v.name}`, 'aria-label': `Remove ${v.name}`, onclick: () => void remove(v) }, '×'))));
  };
  const edit = (v: EnvVar) => {
    name.value = v.name;
    secret.checked = v.secret;
    value.type = v.secret ? 'password' : 'text';
    value.value = v.secret ? '' : v.value ?? '';
    value.placeholder = v.secret ? 'new value (the old one is not shown)' : 'value';
    value.focus();
  };
  const remove = async (v: EnvVar) => {
    const ok = await choose('Remove variable', `Remove ${v.name}${v.secret ? ' and its stored value' : ''}?`, [{ label: 'Remove', value: true, danger: true }, { label: 'Cancel', value: false }]);
    if (!ok) return;
    vars = await backend.envRemove(v.name).catch((e) => (toast(errorMessage(e), 'error'), vars));
    render();
  };
  const save = async () => {
    const n = name.value.trim();
    if (!n) return name.focus();
    try {
      vars = await backend.envSet(n, value.value, secret.checked);
      name.value = '';
      value.value = '';
      value.placeholder = 'value';
      render();
      name.focus();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };
  for (const input of [name, value]) input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void save();
    e.stopPropagation();
  });
  const body = h('div', { class: 'env-panel' },
    h('p', { class: 'env-note' }, 'Given to runs, new terminals and the agent\'s commands. Secrets are kept in your OS keychain, never in the project folder, and are masked in output shown to guests or sent to a model. Plain variables are saved in .weft/env.json.'),
    list,
    h('div', { class: 'env-add' }, name, value, h('label', { class: 'env-secret' }, secret, ' secret'), h('button', { class: 'btn primary', onclick: () => void save() }, 'Set')));
  const close = h('button', { class: 'btn' }, 'Close');
  const modal = panelModal('Environment and Secrets', body, [close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  try {
    vars = await backend.envList();
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  render();
  name.focus();
}

/** A .env file in the folder: offered once for import into secrets (a notice, not a modal). */
export async function offerDotenvImport(backend: Backend, root: string): Promise<void> {
  const key = `weft.dotenv.offered:${root}`;
  if (localStorage.getItem(key)) return;
  const entries = await backend.listDir('').catch(() => []);
  if (!entries.some((e) => e.path === '.env')) return;
  localStorage.setItem(key, '1');
  const importIt = async () => {
    el.remove();
    try {
      const names = await backend.envImport('.env');
      toast(`Imported ${names.length} secret${names.length === 1 ? '' : 's'} from .env: ${names.join(', ')}`);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };
  const el = h('div', { class: 'port-offer', role: 'status', title: 'Secrets are kept in your OS keychain, given to runs, terminals and the agent, and masked where others could see them. The file is left as it is, and kept out of checkpoints and collaboration.' },
    h('span', {}, 'This folder has a .env file. Import its values as secrets?'),
    h('button', { class: 'btn primary', onclick: () => void importIt() }, 'Import'),
    h('button', { class: 'run-btn', title: 'Not now', 'aria-label': 'Not now', onclick: () => el.remove() }, '×'));
  document.body.append(el);
  setTimeout(() => el.remove(), 30000);
}
