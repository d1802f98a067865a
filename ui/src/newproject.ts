// New Project (a template of the gallery) and Clone Repository, in the desktop app: each
// makes a new folder where the user chooses, shows the steps' output as they run, and opens
// the folder when it is made. (`weft serve` serves one folder; `weft new` and `weft clone`
// are there for the command line.)

import { h } from './dom';
import type { Backend, Template } from './backend';
import { panelModal, toast, errorMessage } from './dialogs';

interface Place {
  parent: HTMLInputElement;
  name: HTMLInputElement;
  el: HTMLElement;
}

/** The parent folder (with a Choose… button) and the new folder's name. */
function placeInputs(backend: Backend, name: string): Place {
  const parent = h('input', { class: 'env-input np-parent', type: 'text', spellcheck: 'false', placeholder: '/path/to/projects', 'aria-label': 'Parent folder' }) as HTMLInputElement;
  parent.value = localStorage.getItem('weft.newProject.parent') ?? '';
  const nameInput = h('input', { class: 'env-input', type: 'text', spellcheck: 'false', value: name, 'aria-label': 'Folder name' }) as HTMLInputElement;
  const choose = h('button', { class: 'btn', onclick: async () => {
    const p = await backend.pickFolder();
    if (p) parent.value = p;
  } }, 'Choose…');
  for (const i of [parent, nameInput]) i.addEventListener('keydown', (e) => e.stopPropagation());
  const el = h('div', { class: 'np-place' }, h('label', {}, 'In ', parent, choose), h('label', {}, 'Folder ', nameInput));
  return { parent, name: nameInput, el };
}

/** Runs `make` with a log under it; offers to open what it made. */
async function withLog(body: HTMLElement, buttons: HTMLButtonElement[], make: (log: (line: string) => void) => Promise<string>, open: (path: string) => void): Promise<void> {
  const log = h('pre', { class: 'np-log', 'aria-label': 'Progress' });
  body.append(log);
  for (const b of buttons) b.disabled = true;
  const add = (line: string) => {
    log.textContent += `${line}\n`;
    log.scrollTop = log.scrollHeight;
  };
  try {
    const path = await make(add);
    add(`\nMade ${path}.`);
    const openBtn = h('button', { class: 'btn primary', onclick: () => open(path) }, 'Open Folder') as HTMLButtonElement;
    buttons[0].replaceWith(openBtn);
    openBtn.focus();
  } catch (e) {
    add(`\n${errorMessage(e)}`);
    toast(errorMessage(e), 'error');
    for (const b of buttons) b.disabled = false;
  }
}

export async function openNewProject(backend: Backend, open: (path: string) => void): Promise<void> {
  let templates: Template[] = [];
  try {
    templates = await backend.templateList();
  } catch (e) {
    return toast(errorMessage(e), 'error');
  }
  let chosen: Template | undefined = templates.find((t) => !t.missing.length);
  const place = placeInputs(backend, 'my-app');
  const cards = h('div', { class: 'np-gallery', role: 'listbox', 'aria-label': 'Templates' });
  const render = () => cards.replaceChildren(...templates.map((t) => {
    const card = h('button', { class: `np-card${t === chosen ? ' chosen' : ''}`, role: 'option', 'aria-selected': String(t === chosen), 'data-id': t.id, disabled: t.missing.length > 0, title: t.missing.length ? `Needs ${t.missing.join(', ')}, not installed here` : t.description },
      h('b', {}, t.name), h('span', {}, t.description), t.missing.length ? h('span', { class: 'np-missing' }, `needs ${t.missing.join(', ')}`) : null, t.builtIn ? null : h('span', { class: 'np-own' }, 'your template'));
    card.addEventListener('click', () => {
      chosen = t;
      render();
    });
    return card;
  }));
  render();
  const body = h('div', { class: 'np-body' }, cards, place.el);
  const create = h('button', { class: 'btn primary' }, 'Create') as HTMLButtonElement;
  const close = h('button', { class: 'btn' }, 'Close') as HTMLButtonElement;
  const modal = panelModal('New Project', body, [create, close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  create.addEventListener('click', () => {
    const t = chosen;
    if (!t) return;
    localStorage.setItem('weft.newProject.parent', place.parent.value.trim());
    void withLog(body, [create], async (log) => {
      const handle = backend.templateCreate(t.id, place.parent.value.trim(), place.name.value.trim(), (p) => log(p.kind === 'step' ? `== ${p.title}` : p.line));
      const made = await handle.result;
      log(`Run it with: ${made.run}`);
      return made.path;
    }, open);
  });
}

/** A source (an archive's path, a repository's URL) made into a new folder: the modal both share. */
function fromSource(backend: Backend, open: (path: string) => void, o: {
  title: string; label: string; placeholder: string; note: string; button: string;
  /** The new folder's name the source suggests. */
  name(source: string): string;
  make(source: string, parent: string, name: string, log: (line: string) => void): Promise<string>;
}): void {
  const source = h('input', { class: 'env-input np-url', type: 'text', spellcheck: 'false', placeholder: o.placeholder, 'aria-label': o.label }) as HTMLInputElement;
  const place = placeInputs(backend, '');
  source.addEventListener('input', () => (place.name.value = o.name(source.value.trim())));
  source.addEventListener('keydown', (e) => e.stopPropagation());
  const body = h('div', { class: 'np-body' }, h('label', { class: 'np-url-row' }, `${o.label} `, source), place.el, h('p', { class: 'env-note' }, o.note));
  const go = h('button', { class: 'btn primary' }, o.button) as HTMLButtonElement;
  const close = h('button', { class: 'btn' }, 'Close') as HTMLButtonElement;
  const modal = panelModal(o.title, body, [go, close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  go.addEventListener('click', () => {
    localStorage.setItem('weft.newProject.parent', place.parent.value.trim());
    void withLog(body, [go], (log) => o.make(source.value.trim(), place.parent.value.trim(), place.name.value.trim(), log), open);
  });
  source.focus();
}

export function openImportArchive(backend: Backend, open: (path: string) => void): void {
  fromSource(backend, open, {
    title: 'Import Archive', label: 'Archive', button: 'Import',
    placeholder: '/path/to/project.zip (.zip, .tar, .tar.gz, .tgz)',
    note: 'A lone top folder (as in a forge\'s download) is left out. An archive with an entry reaching outside its folder, or a link, is refused whole.',
    name: (s) => (s.split(/[/\\]/).pop() ?? '').replace(/\.(zip|tar\.gz|tgz|tar)$/i, ''),
    make: (s, parent, name, log) => backend.projectImport(s, parent, name, (p) => log(p.kind === 'step' ? `== ${p.title}` : p.line)).result,
  });
}

export function openCloneRepository(backend: Backend, open: (path: string) => void): void {
  fromSource(backend, open, {
    title: 'Clone Repository', label: 'Repository', button: 'Clone',
    placeholder: 'https://github.com/owner/repo.git or git@host:owner/repo.git',
    note: 'Cloned with your own git credentials (ssh agent, credential helpers); Weft never stores them.',
    name: (s) => s.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop() ?? '',
    make: (s, parent, name, log) => backend.gitClone(s, parent, name, log).result,
  });
}
