// Language support chosen by file name, extension or shebang. Grammars load on demand, so
// start-up pays only for the languages actually opened.

import type { Extension } from '@codemirror/state';

export interface LanguageInfo {
  name: string;
  load: () => Promise<Extension>;
}

const legacy = (load: () => Promise<Parameters<typeof import('@codemirror/language').StreamLanguage.define>[0]>) => async () => {
  const [{ StreamLanguage }, mode] = await Promise.all([import('@codemirror/language'), load()]);
  return StreamLanguage.define(mode);
};

const rust: LanguageInfo = { name: 'Rust', load: () => import('@codemirror/lang-rust').then((m) => m.rust()) };
const python: LanguageInfo = { name: 'Python', load: () => import('@codemirror/lang-python').then((m) => m.python()) };
const js = (name: string, jsx: boolean, typescript: boolean): LanguageInfo => ({
  name,
  load: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ jsx, typescript })),
});
const cpp = (name: string): LanguageInfo => ({ name, load: () => import('@codemirror/lang-cpp').then((m) => m.cpp()) });
const shell: LanguageInfo = { name: 'Shell', load: legacy(() => import('@codemirror/legacy-modes/mode/shell').then((m) => m.shell)) };

const byExtension: Record<string, LanguageInfo> = {
  rs: rust,
  py: python, pyi: python, pyw: python,
  js: js('JavaScript', false, false), mjs: js('JavaScript', false, false), cjs: js('JavaScript', false, false),
  jsx: js('JSX', true, false),
  ts: js('TypeScript', false, true), mts: js('TypeScript', false, true), cts: js('TypeScript', false, true),
  tsx: js('TSX', true, true),
  go: { name: 'Go', load: () => import('@codemirror/lang-go').then((m) => m.go()) },
  c: cpp('C'), h: cpp('C'),
  cc: cpp('C++'), cpp: cpp('C++'), cxx: cpp('C++'), hpp: cpp('C++'), hh: cpp('C++'), hxx: cpp('C++'),
  java: { name: 'Java', load: () => import('@codemirror/lang-java').then((m) => m.java()) },
  json: { name: 'JSON', load: () => import('@codemirror/lang-json').then((m) => m.json()) },
  jsonc: { name: 'JSON', load: () => import('@codemirror/lang-json').then((m) => m.json()) },
  toml: { name: 'TOML', load: legacy(() => import('@codemirror/legacy-modes/mode/toml').then((m) => m.toml)) },
  yaml: { name: 'YAML', load: () => import('@codemirror/lang-yaml').then((m) => m.yaml()) },
  yml: { name: 'YAML', load: () => import('@codemirror/lang-yaml').then((m) => m.yaml()) },
  md: { name: 'Markdown', load: () => import('@codemirror/lang-markdown').then((m) => m.markdown()) },
  markdown: { name: 'Markdown', load: () => import('@codemirror/lang-markdown').then((m) => m.markdown()) },
  html: { name: 'HTML', load: () => import('@codemirror/lang-html').then((m) => m.html()) },
  htm: { name: 'HTML', load: () => import('@codemirror/lang-html').then((m) => m.html()) },
  css: { name: 'CSS', load: () => import('@codemirror/lang-css').then((m) => m.css()) },
  sh: shell, bash: shell, zsh: shell,
};

const byName: Record<string, LanguageInfo> = {
  'Cargo.lock': byExtension.toml,
  '.bashrc': shell, '.zshrc': shell, '.profile': shell, '.bash_profile': shell,
};

export function languageFor(path: string, firstLine: string): LanguageInfo | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (byName[name]) return byName[name];
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const lang = byExtension[name.slice(dot + 1).toLowerCase()];
    if (lang) return lang;
  }
  const shebang = /^#!\s*(?:\S*\/)?(?:env\s+)?(\S+)/.exec(firstLine)?.[1] ?? '';
  if (/^(ba|z|da|k)?sh$/.test(shebang)) return shell;
  if (/^python/.test(shebang)) return python;
  if (/^(node|deno|bun)$/.test(shebang)) return byExtension.js;
  return null;
}
