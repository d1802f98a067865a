// The entry is small on purpose: it sends the first requests (the folder, the settings, the
// session and the root listing, then the restored files) and only then waits for the
// workbench code (CodeMirror is most of it). WebKit answers them while it parses that code
// and hands the replies over once it is done: no round trip waits for the parse any more.
import { bundleStarted, mark } from './marks';
import './style.css';
import { connectBackend } from './backend';
import type { Preload } from './app';
import { h } from './dom';

async function main() {
  mark('parsed', bundleStarted);
  mark('script');
  const root = document.getElementById('app')!;
  const workbench = import('./app');
  workbench.catch(() => {}); // reported below, once awaited
  try {
    const backend = await connectBackend();
    mark('connected');
    // In parallel: start-up latency is what a user feels first. The root listing goes with
    // them; without a folder it fails, and is not used.
    const listing = backend.listDir('');
    listing.catch(() => {});
    const [info, settings, session] = await Promise.all([backend.info(), backend.getSettings(), backend.getSession().catch(() => null)]);
    mark('fetched');
    let preload: Preload | null = null;
    if (info.workspace) {
      const files = settings.settings.restoreTabs ? (session?.groups.flatMap((g) => g.files) ?? []) : [];
      preload = { listing, docs: new Map(files.map((f) => [f, backend.docOpen(f)])) };
      // Failures are reported where the replies are used; here they are only early.
      for (const p of preload.docs.values()) p.result.catch(() => {});
    }
    const { App } = await workbench;
    mark('loaded');
    await new App(backend, info, settings.settings, settings.error, session, preload).start(root);
  } catch (e) {
    root.replaceChildren(h('div', { class: 'fatal' }, h('h1', {}, 'Weft could not start'), h('p', {}, e instanceof Error ? e.message : String(e))));
  }
}

void main();
