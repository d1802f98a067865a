// The entry is small on purpose: it sends the first requests (the folder, the settings, the
// session and the root listing, then the restored files) and only then waits for the
// workbench code (CodeMirror is most of it). WebKit answers them while it parses that code
// and hands the replies over once it is done: no round trip waits for the parse any more.
import { bundleStarted, mark } from './marks';
import './style.css';
import { BackendError, connectBackend, type Backend } from './backend';
import { GuestBackend } from './backend/guestbackend';
import { guestInfo, type GuestInfo } from './workbench/guestinfo';
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
    const guest = guestInfo();
    if (guest) return await startGuest(root, backend, guest, workbench);
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

/**
 * A guest's page (joined from the Join dialog, which reloads into this): the workbench on
 * the host's folder. The guest's Weft keeps the session across the reload; if it was
 * restarted meanwhile, the page joins again from the link.
 */
async function startGuest(root: HTMLElement, local: Backend, guest: GuestInfo, workbench: Promise<typeof import('./app')>) {
  const backend = new GuestBackend(local);
  let listing = backend.listDir('');
  try {
    await listing;
  } catch (e) {
    if (!(e instanceof BackendError && e.code === 'not_joined')) throw e;
    await local.collabJoin(guest.link);
    listing = backend.listDir('');
  }
  const [localInfo, settings] = await Promise.all([local.info(), local.getSettings()]);
  const info = { ...localInfo, workspace: { name: guest.title, root: guest.title }, canOpenFolders: false };
  const { App } = await workbench;
  await new App(backend, info, settings.settings, settings.error, null, { listing, docs: new Map() }, { info: guest, backend }).start(root);
}

void main();
