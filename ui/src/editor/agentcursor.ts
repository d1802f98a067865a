// The agent's cursor in an editor: where its last edit to this file ended, labelled
// "Agent", until its turn is over — so a change that lands in an open file is seen as the
// agent's, not as text appearing from nowhere. Positions follow later edits.

import { StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view';

/** Shows the agent's cursor at a position, or (null) removes it. */
export const setAgentCursor = StateEffect.define<number | null>();

class AgentCaret extends WidgetType {
  eq() {
    return true;
  }
  toDOM() {
    const el = document.createElement('span');
    el.className = 'cm-agentCaret';
    el.setAttribute('aria-label', 'Agent');
    const label = document.createElement('span');
    label.className = 'cm-agentCaretLabel';
    label.textContent = 'Agent';
    el.append(label);
    return el;
  }
  ignoreEvent() {
    return true;
  }
}

const field = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setAgentCursor)) {
        deco = e.value === null ? Decoration.none : Decoration.set([Decoration.widget({ widget: new AgentCaret(), side: 1 }).range(Math.min(e.value, tr.state.doc.length))]);
      }
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const theme = EditorView.baseTheme({
  '.cm-agentCaret': { position: 'relative', borderLeft: '2px solid #c678dd', marginLeft: '-1px', marginRight: '-1px' },
  '.cm-agentCaretLabel': {
    position: 'absolute', top: '-1.2em', left: '-2px', fontSize: '10px', lineHeight: '1.2em', padding: '0 3px',
    background: '#c678dd', color: '#fff', borderRadius: '2px', whiteSpace: 'nowrap', fontFamily: 'sans-serif', pointerEvents: 'none',
  },
});

export function agentCursor(): Extension {
  return [field, theme];
}
