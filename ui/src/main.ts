// First, so its clock reads when the bundle starts to run (fetched and parsed by then).
import { bundleStarted } from './started';
import './style.css';
import { connectBackend } from './backend';
import { App, mark } from './app';
import { h } from './dom';

async function main() {
  mark('parsed', bundleStarted);
  mark('script');
  const root = document.getElementById('app')!;
  try {
    const backend = await connectBackend();
    mark('connected');
    // One round of requests, in parallel: start-up latency is what a user feels first.
    const [info, settings, session] = await Promise.all([backend.info(), backend.getSettings(), backend.getSession().catch(() => null)]);
    mark('fetched');
    await new App(backend, info, settings.settings, settings.error, session).start(root);
  } catch (e) {
    root.replaceChildren(h('div', { class: 'fatal' }, h('h1', {}, 'Weft could not start'), h('p', {}, e instanceof Error ? e.message : String(e))));
  }
}

void main();
