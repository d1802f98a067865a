// Markdown for the agent panel: the subset models write (paragraphs, headings, lists,
// fenced code, quotes, inline code, bold, italics, links). It builds DOM nodes and never
// parses HTML, so nothing a model (or a file it quotes) writes can inject markup. Called
// again on every streamed chunk, so it is one linear pass.

import { h } from './dom';

export interface MarkdownOptions {
  /** Called for a clicked http(s) link. */
  openLink?: (url: string) => void;
}

export function renderMarkdown(text: string, opts: MarkdownOptions = {}): DocumentFragment {
  const out = document.createDocumentFragment();
  const lines = text.split('\n');
  let i = 0;
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.append(h('p', {}, ...inline(para.join('\n'), opts)));
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i++; // the closing fence (absent while the block is still streaming)
      const code = h('code', fence[2] ? { class: `language-${fence[2]}` } : {}, body.join('\n'));
      const copy = h('button', { class: 'md-copy', title: 'Copy', 'aria-label': 'Copy code' }, 'Copy');
      copy.addEventListener('click', () => void navigator.clipboard?.writeText(body.join('\n')));
      out.append(h('div', { class: 'md-code' }, fence[2] ? h('span', { class: 'md-lang' }, fence[2]) : '', copy, h('pre', {}, code)));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1].length + 2, 6) as 3 | 4 | 5 | 6;
      out.append(h(`h${level}`, {}, ...inline(heading[2], opts)));
      i++;
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const list = h(ordered ? 'ol' : 'ul', {});
      while (i < lines.length) {
        const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (m && /\d/.test(m[1]) === ordered) list.append(h('li', {}, ...inline(m[2], opts)));
        else if (lines[i].startsWith('  ') && list.lastElementChild) list.lastElementChild.append(' ', ...inline(lines[i].trim(), opts));
        else break;
        i++;
      }
      out.append(list);
      continue;
    }
    if (line.startsWith('>')) {
      flush();
      const quote: string[] = [];
      while (i < lines.length && lines[i].startsWith('>')) quote.push(lines[i++].replace(/^>\s?/, ''));
      out.append(h('blockquote', {}, ...inline(quote.join('\n'), opts)));
      continue;
    }
    if (!line.trim()) flush();
    else para.push(line);
    i++;
  }
  flush();
  return out;
}

/** Inline code first (its content is literal), then links, bold and italics. */
function inline(text: string, opts: MarkdownOptions): (Node | string)[] {
  const out: (Node | string)[] = [];
  const re = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(h('code', {}, m[2]));
    else if (m[3]) {
      const url = m[4];
      const a = h('a', { href: url, title: url }, m[3]);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        opts.openLink?.(url);
      });
      out.push(a);
    } else if (m[5] ?? m[6]) out.push(h('strong', {}, ...inline(m[5] ?? m[6], opts)));
    else out.push(h('em', {}, m[7] ?? m[8]));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
