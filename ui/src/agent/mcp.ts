// MCP servers (the agent panel's MCP button and "MCP: Show Servers"): each configured server with
// where it comes from (the project's .mcp.json, or your mcpServers setting), what it runs,
// its state and tool count, and why it failed in its own words. A project's server runs
// only after Trust; Restart starts one again; Start All starts every trusted one now
// (otherwise they start with the agent's first turn).

import { h } from '../dom';
import type { Backend, McpServerStatus } from '../backend';
import { panelModal, toast, errorMessage } from '../dialogs';

const STATE: Record<McpServerStatus['state'], string> = {
  needsTrust: 'needs your trust',
  idle: 'not started',
  starting: 'starting…',
  running: 'running',
  failed: 'failed',
  needsSignIn: 'needs you to sign in',
};

export async function openMcpServers(backend: Backend): Promise<void> {
  const list = h('div', { class: 'mcp-list', role: 'list' });
  const busy = new Set<string>();
  // While a browser sign-in is under way, the list follows it until the server runs or
  // says why not (the backend gives up after ten minutes).
  const watchSignIn = async (name: string) => {
    for (let i = 0; i < 600 && list.isConnected; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await backend.mcpStatus().catch(() => null);
      if (!now) continue;
      render(now);
      const s = now.find((x) => x.name === name);
      if (!s || s.state === 'running' || s.state === 'failed' || (s.state === 'needsSignIn' && !s.message.startsWith('Waiting'))) return;
    }
  };
  const render = (servers: McpServerStatus[]) => {
    if (!servers.length) {
      list.replaceChildren(h('p', { class: 'dim' }, 'No MCP servers. Add them to .mcp.json in the folder (the mcpServers format Claude Code and Cursor read) or to the mcpServers setting for every folder.'));
      return;
    }
    list.replaceChildren(...servers.map((s) => {
      const actions: HTMLElement[] = [];
      const act = (label: string, run: () => Promise<unknown>, primary = false) => {
        const b = h('button', { class: `btn small${primary ? ' primary' : ''}`, 'data-action': label.toLowerCase() }, label);
        b.disabled = busy.has(s.name);
        b.addEventListener('click', async () => {
          busy.add(s.name);
          render(servers.map((x) => (x.name === s.name ? { ...x, state: 'starting' } : x)));
          try {
            await run();
          } catch (e) {
            toast(errorMessage(e), 'error');
          } finally {
            busy.delete(s.name);
            render(await backend.mcpStatus());
          }
        });
        return b;
      };
      if (s.state === 'needsTrust') actions.push(act('Trust', () => backend.mcpTrust(s.name), true));
      else if (s.state === 'needsSignIn') {
        // The server's own sign-in page, in the browser; the state changes when it comes back.
        actions.push(act('Sign In', async () => {
          backend.openExternal(await backend.mcpSignIn(s.name));
          toast(`Finish signing in to ${s.name} in your browser`, 'info');
          void watchSignIn(s.name);
        }, true));
      }
      else if (s.name !== '.mcp.json') actions.push(act(s.state === 'running' ? 'Restart' : 'Start', () => backend.mcpRestart(s.name)));
      if (s.signedIn && s.state !== 'needsSignIn') actions.push(act('Sign Out', () => backend.mcpSignOut(s.name)));
      return h('div', { class: `mcp-server mcp-${s.state}`, role: 'listitem', 'data-server': s.name },
        h('div', { class: 'mcp-row' },
          h('span', { class: 'mcp-name' }, s.name),
          h('span', { class: 'mcp-source dim' }, s.source === 'project' ? '.mcp.json' : 'your settings'),
          h('span', { class: 'mcp-state' }, STATE[s.state] + (s.state === 'running' ? ` · ${s.tools} tool${s.tools === 1 ? '' : 's'}` : '')),
          h('span', { class: 'spacer' }), ...actions),
        s.command ? h('code', { class: 'mcp-command' }, s.command) : '',
        s.message ? h('div', { class: `mcp-message${s.state === 'failed' ? ' error' : ' dim'}` }, s.message) : '');
    }));
  };
  const startAll = h('button', { class: 'btn' }, 'Start All');
  const close = h('button', { class: 'btn primary' }, 'Close');
  const body = h('div', { class: 'mcp-body' },
    h('p', { class: 'dim' }, 'Their tools are offered to the agent as mcp__server__tool and asked about before each use unless you allow them. Prompts are slash commands; resources can be @-mentioned.'),
    list);
  const modal = panelModal('MCP servers', body, [startAll, close], () => modal.remove());
  close.addEventListener('click', () => modal.remove());
  startAll.addEventListener('click', async () => {
    startAll.disabled = true;
    try {
      render(await backend.mcpStart());
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      startAll.disabled = false;
    }
  });
  try {
    render(await backend.mcpStatus());
  } catch (e) {
    list.replaceChildren(h('p', { class: 'error' }, errorMessage(e)));
  }
  close.focus();
}
