// The folder's session: which files are open in which group, saved as tabs change and
// restored at start (the entry already asked Rust for those documents).

import { debounce } from '../dom';
import type { Session } from '../backend';
import { MAX_GROUPS } from './layout';
import type { Workbench } from './context';

export class SessionState {
  private restoring = false;
  private persist = debounce(() => void this.save(), 400);

  constructor(private wb: Workbench, private saved: Session | null) {}

  /** Tabs or groups changed: saved shortly (not while the saved ones are being reopened). */
  changed(): void {
    if (!this.restoring) this.persist();
  }

  private async save() {
    const { groups, activeGroup } = this.wb.layout;
    const out = groups.map((g) => ({ files: g.tabs.map((t) => t.doc.path), active: g.active?.doc.path ?? null }));
    await this.wb.backend.saveSession({ groups: out, activeGroup: Math.max(0, groups.indexOf(activeGroup)) }).catch(() => {});
  }

  async restore(): Promise<void> {
    const session = this.saved;
    if (!session?.groups.length) return;
    const layout = this.wb.layout;
    this.restoring = true;
    try {
      // Bind every file at once; then open the tabs in their saved order.
      await Promise.all(session.groups.flatMap((g) => g.files).map((f) => this.wb.docs.load(f)));
      for (const [i, gs] of session.groups.entries()) {
        if (!gs.files.length) continue;
        const group = i === 0 ? layout.groups[0] : layout.groups.length < MAX_GROUPS ? layout.addGroup() : layout.groups[layout.groups.length - 1];
        for (const f of gs.files) await this.wb.openFile(f, { group, focus: false });
        const active = gs.active ? group.find(gs.active) : undefined;
        if (active) group.activate(active, false);
      }
      const g = layout.groups[Math.min(session.activeGroup, layout.groups.length - 1)];
      if (g?.active) g.activate(g.active);
    } finally {
      this.restoring = false;
    }
  }
}
