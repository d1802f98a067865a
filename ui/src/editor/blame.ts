// Blame in the gutter (Git: Toggle Blame): beside the first line of each run of lines from
// one commit, its short hash, author and age; the summary and date on hover; a click opens
// the commit in History. Lines the editor has and git does not are "Not committed yet".
// Asked again (debounced) as the text changes, since Rust blames the document's text.

import { StateEffect, StateField, RangeSetBuilder, type Extension } from '@codemirror/state';
import { EditorView, GutterMarker, gutter } from '@codemirror/view';
import { h } from '../dom';
import type { GitBlame } from '../backend';
import { ago } from '../scmhistory';

export interface BlameHooks {
  /** The text changed: ask for the blame again (the caller debounces). */
  changed(): void;
  /** Open this commit (History). */
  open(hash: string): void;
}

export const setBlame = StateEffect.define<GitBlame | null>();

const blameField = StateField.define<GitBlame | null>({
  create: () => null,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setBlame)) return e.value;
    return v;
  },
});

class Entry extends GutterMarker {
  constructor(readonly hash: string, readonly label: string, readonly title: string, readonly uncommitted: boolean) {
    super();
  }
  eq(o: Entry) {
    return o.hash === this.hash && o.label === this.label;
  }
  toDOM() {
    return h('div', { class: `cm-blame-entry${this.uncommitted ? ' uncommitted' : ''}`, title: this.title, 'data-hash': this.hash }, this.label);
  }
}

export function blameGutter(hooks: BlameHooks): Extension {
  return [
    blameField,
    gutter({
      class: 'cm-blame-gutter',
      markers(view) {
        const blame = view.state.field(blameField);
        const b = new RangeSetBuilder<GutterMarker>();
        if (!blame) return b.finish();
        const doc = view.state.doc;
        const now = Date.now() / 1000;
        let last = -1;
        const n = Math.min(doc.lines, blame.lines.length);
        for (let i = 0; i < n; i++) {
          const at = blame.lines[i];
          if (at === last) continue;
          last = at;
          const c = blame.commits[at];
          if (!c) continue;
          const label = c.uncommitted ? 'Not committed yet' : `${c.hash.slice(0, 7)} ${c.author}, ${ago(c.time, now)}`;
          const title = c.uncommitted ? 'Changed in the editor or the work tree, not committed' : `${c.summary}\n${c.author}, ${new Date(c.time * 1000).toLocaleString()}\n(click: open the commit)`;
          const line = doc.line(i + 1);
          b.add(line.from, line.from, new Entry(c.hash, label, title, c.uncommitted));
        }
        return b.finish();
      },
      domEventHandlers: {
        click(_view, _line, event) {
          const hash = (event.target as HTMLElement).closest<HTMLElement>('.cm-blame-entry')?.dataset.hash;
          if (!hash || /^0+$/.test(hash)) return false;
          hooks.open(hash);
          return true;
        },
      },
    }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) hooks.changed();
    }),
    EditorView.baseTheme({
      '.cm-blame-gutter': { width: '26ch', fontSize: '11px', color: 'var(--dim, #888)', cursor: 'pointer' },
      '.cm-blame-entry': { overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis', paddingRight: '6px' },
      '.cm-blame-entry.uncommitted': { fontStyle: 'italic' },
    }),
  ];
}

/** The blame the editor shows: per line, the label drawn (tests). */
export function blameOf(view: EditorView): GitBlame | null {
  return view.state.field(blameField, false) ?? null;
}
