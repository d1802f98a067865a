// The workbench's commands: one registry (id, title, default key, handler) behind the
// keymap and the command palette (Ctrl/Cmd+Shift+P). Keys are CodeMirror-style strings
// ("Mod-Shift-p": Mod is Cmd on macOS, Ctrl elsewhere); the `keybindings` setting maps a
// command id to another key, or to "" to take its key away. Editor keys (undo, find…)
// stay CodeMirror's own.

export interface Command {
  id: string;
  title: string;
  /** The default key, if any. */
  key?: string;
  /** Also taken while a terminal has focus (most keys belong to the shell there). */
  inTerminal?: boolean;
  run(): void;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** The key an event names, in the registry's terms ("Mod-Shift-p", "Mod-`"). */
export function eventKey(e: KeyboardEvent): string | null {
  const mod = isMac ? e.metaKey : e.ctrlKey;
  const ctrl = isMac && e.ctrlKey;
  // Letters and digits by their position (Alt and Shift change `key`, not `code`).
  let key = /^Key[A-Z]$/.test(e.code) ? e.code.slice(3).toLowerCase() : /^Digit\d$/.test(e.code) ? e.code.slice(5) : e.key;
  if (e.code === 'Backquote') key = '`';
  if (e.code === 'Backslash') key = '\\';
  if (e.code === 'Comma') key = ',';
  if (['Control', 'Meta', 'Shift', 'Alt'].includes(key)) return null;
  if (key.length === 1) key = key.toLowerCase();
  return [mod ? 'Mod' : '', ctrl ? 'Ctrl' : '', e.altKey ? 'Alt' : '', e.shiftKey ? 'Shift' : '', key].filter(Boolean).join('-');
}

/**
 * The terminal's own copy and paste keys: Ctrl+Shift+C / Ctrl+Shift+V on Linux and Windows
 * (plain Ctrl+C is the shell's interrupt). None on macOS: there ⌘C and ⌘V are the system's
 * copy and paste, which xterm.js takes, and every Ctrl key belongs to the shell.
 */
export function terminalClipboardKey(e: KeyboardEvent, mac = isMac): 'copy' | 'paste' | null {
  if (mac || e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey) return null;
  const key = e.code === 'KeyC' ? 'c' : e.code === 'KeyV' ? 'v' : e.key.toLowerCase();
  return key === 'c' ? 'copy' : key === 'v' ? 'paste' : null;
}

/** A key string in the registry's order of modifiers ("Shift-Mod-P" -> "Mod-Shift-p"). */
export function normalizeKey(k: string): string {
  const parts = k.endsWith('--') ? [...k.slice(0, -2).split('-').filter(Boolean), '-'] : k.split('-');
  const key = parts.pop() ?? '';
  const has = (m: string) => parts.some((p) => p.toLowerCase() === m.toLowerCase());
  const mod = has('Mod') || (isMac ? has('Cmd') || has('Meta') : has('Ctrl'));
  const ctrl = isMac && has('Ctrl');
  return [mod ? 'Mod' : '', ctrl ? 'Ctrl' : '', has('Alt') ? 'Alt' : '', has('Shift') ? 'Shift' : '', key.length === 1 ? key.toLowerCase() : key].filter(Boolean).join('-');
}

/** A key as people read it on this system ("Ctrl+Shift+P", "⌘⇧P"). */
export function showKey(k: string): string {
  const parts = normalizeKey(k).split('-');
  const key = parts.pop() ?? '';
  const names: Record<string, string> = isMac ? { Mod: '⌘', Ctrl: '⌃', Alt: '⌥', Shift: '⇧' } : { Mod: 'Ctrl', Ctrl: 'Ctrl', Alt: 'Alt', Shift: 'Shift' };
  const shown = [...parts.map((p) => names[p] ?? p), key.length === 1 ? key.toUpperCase() : key];
  return shown.join(isMac ? '' : '+');
}

export class Commands {
  private commands = new Map<string, Command>();
  private keys = new Map<string, string>();
  private user: Record<string, string> = {};

  register(...cs: Command[]): void {
    for (const c of cs) this.commands.set(c.id, c);
    this.rebind();
  }

  /** The user's keybindings (command id -> key, "" for none); returns the ids it does not know. */
  setUserKeys(user: Record<string, string>): string[] {
    this.user = user;
    this.rebind();
    return Object.keys(user).filter((id) => !this.commands.has(id));
  }

  /** The key a command answers to now. */
  keyOf(id: string): string | undefined {
    const k = id in this.user ? this.user[id] : this.commands.get(id)?.key;
    return k ? normalizeKey(k) : undefined;
  }

  list(): Command[] {
    return [...this.commands.values()];
  }

  run(id: string): boolean {
    const c = this.commands.get(id);
    c?.run();
    return !!c;
  }

  /** Runs the command bound to the event's key; true when one ran. */
  handle(e: KeyboardEvent, inTerminal: boolean): boolean {
    const k = eventKey(e);
    const id = k ? this.keys.get(k) : undefined;
    const c = id ? this.commands.get(id) : undefined;
    if (!c || (inTerminal && !c.inTerminal)) return false;
    e.preventDefault();
    e.stopPropagation();
    c.run();
    return true;
  }

  /** Defaults first, then the user's bindings over them: a key the user gave a command is
   * that command's, whichever registered first with it as its default. */
  private rebind(): void {
    this.keys.clear();
    const user = (id: string) => id in this.user;
    for (const pass of [false, true]) {
      for (const c of this.commands.values()) {
        if (user(c.id) !== pass) continue;
        const k = this.keyOf(c.id);
        if (k) this.keys.set(k, c.id);
      }
    }
  }
}
