import './style.css';
import { connectBackend } from './backend';
import { App } from './app';
import { h } from './dom';

async function main() {
  const root = document.getElementById('app')!;
  try {
    const backend = await connectBackend();
    const [info, settings] = await Promise.all([backend.info(), backend.getSettings()]);
    await new App(backend, info, settings.settings, settings.error).start(root);
  } catch (e) {
    root.replaceChildren(h('div', { class: 'fatal' }, h('h1', {}, 'Weft could not start'), h('p', {}, e instanceof Error ? e.message : String(e))));
  }
}

void main();
