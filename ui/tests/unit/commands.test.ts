import { describe, expect, test } from 'vitest';
import { Commands, eventKey, normalizeKey, showKey, terminalClipboardKey } from '../../src/commands';

/** Enough of a KeyboardEvent for the registry. */
function key(code: string, mods: { ctrl?: boolean; shift?: boolean; alt?: boolean } = {}, k = code.replace(/^Key/, '').toLowerCase()) {
  let stopped = false;
  return {
    ev: { code, key: k, ctrlKey: !!mods.ctrl, metaKey: false, shiftKey: !!mods.shift, altKey: !!mods.alt, preventDefault() {}, stopPropagation() { stopped = true; } } as unknown as KeyboardEvent,
    stopped: () => stopped,
  };
}

function registry() {
  const ran: string[] = [];
  const c = new Commands();
  c.register(
    { id: 'palette', title: 'Command Palette', key: 'Mod-Shift-p', run: () => ran.push('palette') },
    { id: 'sidebar', title: 'Toggle Sidebar', key: 'Mod-b', run: () => ran.push('sidebar') },
    { id: 'terminal', title: 'Toggle Terminal', key: 'Mod-`', inTerminal: true, run: () => ran.push('terminal') },
    { id: 'save-all', title: 'Save All', run: () => ran.push('save-all') },
  );
  return { c, ran };
}

describe('key strings', () => {
  test('modifiers are put in one order and the key lower-cased', () => {
    expect(normalizeKey('Shift-Mod-P')).toBe('Mod-Shift-p');
    expect(normalizeKey('Ctrl-Alt-x')).toBe('Mod-Alt-x');
    expect(normalizeKey('Mod-F5')).toBe('Mod-F5');
    expect(normalizeKey('Mod--')).toBe('Mod--');
  });

  test('an event names its key by position, whatever Shift or Alt make of it', () => {
    expect(eventKey(key('KeyP', { ctrl: true, shift: true }, 'P').ev)).toBe('Mod-Shift-p');
    expect(eventKey(key('Digit1', { alt: true }, '¡').ev)).toBe('Alt-1');
    expect(eventKey(key('Backquote', { ctrl: true }, '`').ev)).toBe('Mod-`');
    expect(eventKey(key('ShiftLeft', { shift: true }, 'Shift').ev)).toBeNull();
  });

  test('keys are shown as people read them', () => {
    expect(showKey('Mod-Shift-p')).toBe('Ctrl+Shift+P');
  });
});

describe("the terminal's copy and paste keys", () => {
  const down = (code: string, mods: { ctrl?: boolean; shift?: boolean }) => ({ ...key(code, mods).ev, type: 'keydown' }) as KeyboardEvent;
  test("Ctrl+Shift+C and Ctrl+Shift+V on Linux and Windows; plain Ctrl+C stays the shell's", () => {
    expect(terminalClipboardKey(down('KeyC', { ctrl: true, shift: true }), false)).toBe('copy');
    expect(terminalClipboardKey(down('KeyV', { ctrl: true, shift: true }), false)).toBe('paste');
    expect(terminalClipboardKey(down('KeyC', { ctrl: true }), false)).toBeNull();
  });
  test("on macOS every Ctrl key belongs to the shell (⌘C and ⌘V are the system's)", () => {
    expect(terminalClipboardKey(down('KeyC', { ctrl: true, shift: true }), true)).toBeNull();
    expect(terminalClipboardKey(down('KeyV', { ctrl: true, shift: true }), true)).toBeNull();
  });
});

describe('the registry', () => {
  test('a key runs its command, and only commands that say so run inside a terminal', () => {
    const { c, ran } = registry();
    const k = key('KeyB', { ctrl: true });
    expect(c.handle(k.ev, false)).toBe(true);
    expect(k.stopped()).toBe(true);
    expect(c.handle(key('KeyB', { ctrl: true }).ev, true)).toBe(false);
    expect(c.handle(key('Backquote', { ctrl: true }, '`').ev, true)).toBe(true);
    expect(c.handle(key('KeyQ', { ctrl: true }).ev, false)).toBe(false);
    expect(ran).toEqual(['sidebar', 'terminal']);
  });

  test('user keybindings remap, unbind and bind, and unknown ids are reported', () => {
    const { c, ran } = registry();
    expect(c.setUserKeys({ sidebar: 'Ctrl-Shift-e', palette: '', 'save-all': 'Ctrl-Alt-s', 'no.such': 'Ctrl-k' })).toEqual(['no.such']);
    expect(c.handle(key('KeyB', { ctrl: true }).ev, false)).toBe(false);
    expect(c.handle(key('KeyP', { ctrl: true, shift: true }, 'P').ev, false)).toBe(false);
    c.handle(key('KeyE', { ctrl: true, shift: true }, 'E').ev, false);
    c.handle(key('KeyS', { ctrl: true, alt: true }).ev, false);
    expect(ran).toEqual(['sidebar', 'save-all']);
    expect(c.keyOf('sidebar')).toBe('Mod-Shift-e');
    expect(c.keyOf('palette')).toBeUndefined();
  });

  test("a key the user gives one command is that command's, even when another has it by default", () => {
    const { c, ran } = registry();
    // Registered after 'sidebar' or before it, the user's word wins.
    c.setUserKeys({ 'save-all': 'Mod-b' });
    c.handle(key('KeyB', { ctrl: true }).ev, false);
    c.register({ id: 'late', title: 'Late', key: 'Mod-b', run: () => ran.push('late') });
    c.handle(key('KeyB', { ctrl: true }).ev, false);
    expect(ran).toEqual(['save-all', 'save-all']);
  });
});
