// AI providers: base URLs, keys (stored in the OS keychain, never shown), "Test connection"
// with the models the provider lists, and picking one as the agent's model.

import { h } from '../dom';
import type { Backend, ProviderStatus, Settings } from '../backend';
import { panelModal, toast, errorMessage } from '../dialogs';

export interface ProvidersHost {
  settings(): Settings;
  patchSettings(edit: (obj: Record<string, unknown>) => void): Promise<void>;
}

export class Providers {
  /** `onModel`: the agent's model changed (the panel's picker lists it). */
  constructor(private backend: Backend, private host: ProvidersHost, private onModel: () => void) {}

  async open() {
    let list: ProviderStatus[];
    try {
      list = await this.backend.agentProviders();
    } catch (e) {
      toast(errorMessage(e), 'error');
      return;
    }
    const s = this.host.settings();
    const rows = list.map((p) => {
      const bedrock = p.kind === 'bedrock';
      const url = h('input', { class: 'search-input', type: 'text', value: p.baseUrl, placeholder: bedrock ? "the region's endpoint" : '', spellcheck: 'false', 'aria-label': `${p.name} base URL` });
      const key = h('input', { class: 'search-input', type: 'password', placeholder: p.key === 'env' ? `from ${p.keyEnv}` : p.key === 'keychain' ? '•••••••• (in the OS keychain)' : p.key === 'file' ? '•••••••• (saved)' : p.local ? 'no key needed' : bedrock ? 'optional Bedrock API key (else your AWS credentials)' : 'API key', autocomplete: 'off', 'aria-label': `${p.name} API key` });
      // Bedrock signs with the AWS credential chain: the region and profile are settings.
      const region = bedrock ? h('input', { class: 'search-input', type: 'text', value: s.bedrockRegion, placeholder: 'from AWS_REGION or the profile', spellcheck: 'false', 'aria-label': 'Bedrock region' }) : null;
      const profile = bedrock ? h('input', { class: 'search-input', type: 'text', value: s.bedrockProfile, placeholder: 'from AWS_PROFILE, else default', spellcheck: 'false', 'aria-label': 'AWS profile' }) : null;
      const result = h('div', { class: 'ag-prov-result' });
      const save = async () => {
        try {
          if (region && profile && (region.value.trim() !== s.bedrockRegion || profile.value.trim() !== s.bedrockProfile)) {
            await this.host.patchSettings((o) => {
              o.bedrockRegion = region.value.trim();
              o.bedrockProfile = profile.value.trim();
            });
          }
          if (url.value.trim() !== p.baseUrl) {
            await this.host.patchSettings((o) => {
              const urls = (o.agentBaseUrls ?? {}) as Record<string, string>;
              urls[p.name] = url.value.trim();
              o.agentBaseUrls = urls;
            });
          }
          if (key.value.trim()) await this.backend.agentSetKey(p.name, key.value.trim());
          key.value = '';
          return true;
        } catch (e) {
          result.replaceChildren(h('span', { class: 'error' }, errorMessage(e)));
          return false;
        }
      };
      const test = h('button', { class: 'btn small', onclick: async () => {
        if (!(await save())) return;
        result.replaceChildren('Connecting…');
        try {
          const models = await this.backend.agentModels(p.name);
          result.replaceChildren(h('span', { class: 'ok' }, `✓ Connected: ${models.length} model${models.length === 1 ? '' : 's'}`),
            h('div', { class: 'ag-prov-models' }, ...models.slice(0, 30).map((m) => h('button', { class: 'ag-chip', title: 'Use this model for the agent', onclick: () => void this.useModel(`${p.name}:${m}`) }, m))));
        } catch (e) {
          result.replaceChildren(h('span', { class: 'error' }, errorMessage(e)));
        }
      } }, 'Test connection');
      const forget = p.key === 'file' || p.key === 'keychain' ? h('button', { class: 'btn small', onclick: async () => {
        await this.backend.agentSetKey(p.name, null).catch((e) => toast(errorMessage(e), 'error'));
        forget?.remove();
        key.placeholder = 'API key';
      } }, 'Forget key') : null;
      return h('div', { class: 'ag-prov', 'data-provider': p.name },
        h('div', { class: 'ag-prov-name' }, h('strong', {}, p.name), h('span', { class: 'dim' }, p.kind === 'anthropic' ? ' Anthropic Messages' : p.kind === 'gemini' ? ' Google Gemini' : bedrock ? ' Amazon Bedrock (AWS credentials)' : ' OpenAI-compatible')),
        h('label', {}, bedrock ? 'Endpoint' : 'Base URL', url), h('label', {}, 'Key', key),
        ...(region && profile ? [h('label', {}, 'Region', region), h('label', {}, 'Profile', profile)] : []),
        h('div', { class: 'ag-prov-actions' }, test, h('button', { class: 'btn small', onclick: async () => { if (await save()) result.replaceChildren(h('span', { class: 'ok' }, 'Saved')); } }, 'Save'), forget), result);
    });
    const body = h('div', { class: 'ag-providers' },
      h('p', { class: 'dim' }, `Model in use: ${s.agentModel || 'the default (the first cloud provider with a key)'}. Keys are stored in the OS keychain (else in a file only you can read) and never sent to collaborators; keys from the environment win.`),
      ...rows);
    const close = h('button', { class: 'btn' }, 'Close');
    const modal = panelModal('AI providers', body, [close], () => modal.remove());
    close.addEventListener('click', () => modal.remove());
  }

  private async useModel(model: string) {
    try {
      await this.host.patchSettings((o) => {
        o.agentModel = model;
        const models = (o.agentModels ?? this.host.settings().agentModels) as string[];
        if (!models.includes(model)) o.agentModels = [model, ...models];
      });
      this.onModel();
      toast(`The agent now uses ${model}`);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  }
}
