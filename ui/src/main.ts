// The entry is small on purpose: it sends the first requests (the folder, the settings, the
// session and the root listing, then the restored files), draws the first frame from their
// replies (./firstframe.ts: the tree and the restored text, editable), and only then loads
// the workbench code (CodeMirror is most of it), which takes the frame over.
import { bundleStarted, mark, marks } from './marks';
import './style.css';
import { BackendError, connectBackend, type Backend } from './backend';
import { GuestBackend } from './backend/guestbackend';
import { guestInfo, type GuestInfo } from './workbench/guestinfo';
import { FirstFrame, activeGroup } from './firstframe';
import type { Preload } from './app';
import { h } from './dom';

async function main() {
  mark('parsed', bundleStarted);
  mark('script');
  const root = document.getElementById('app')!;
  // Loaded once the first frame is drawn: WebKit parses a module on the page's one
  // thread, and hands the replies over only after it (measured: the frame waited ~60 ms).
  const workbench = () => import('./app');
  try {
    const backend = await connectBackend();
    mark('connected');
    // In parallel: start-up latency is what a user feels first. The root listing goes with
    // them; without a folder it fails, and is not used.
    const listing = backend.listDir('');
    listing.catch(() => {});
    const guest = guestInfo();
    if (guest) return await startGuest(root, backend, guest, workbench());
    const [info, settings, session] = await Promise.all([backend.info(), backend.getSettings(), backend.getSession().catch(() => null)]);
    mark('fetched');
    let preload: Preload | null = null;
    if (info.workspace) {
      const restore = settings.settings.restoreTabs ? session : null;
      const files = restore?.groups.flatMap((g) => g.files) ?? [];
      // The active file's text comes with its reply, for the first frame.
      const active = activeGroup(restore)?.active;
      const docs = new Map(files.map((f) => [f, backend.docOpen(f, f === active)]));
      // Failures are reported where the replies are used; here they are only early.
      for (const p of docs.values()) p.result.catch(() => {});
      const first = await FirstFrame.show(root, backend, info, settings.settings, restore, listing, docs);
      mark('first-frame');
      void backend.uiReady(marks, true).catch(() => {});
      preload = { listing, docs, first };
    }
    const { App } = await workbench();
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
