// `path:line[:column]` in terminal output (compiler errors, test failures, grep -n): found
// with either separator, so `src\main.rs:3` from a Windows tool and `src/main.rs:3` both
// link, and made relative to the workspace when they are inside it (a Windows root's drive
// letter in either case).

export interface PathLink {
  /** Where the match starts in the line (0-based) and its length. */
  index: number;
  length: number;
  /** Workspace-relative with `/` when inside the workspace; else as printed, with `/`. */
  path: string;
  line: number;
  column: number;
}

const RE = /((?:[A-Za-z]:[\\/]|[\\/])?(?:[\w.@~+-]+[\\/])*[\w.@~+-]+\.[A-Za-z0-9]+):(\d+)(?::(\d+))?/g;

export function findPathLinks(text: string, workspaceRoot: string): PathLink[] {
  const slash = (p: string) => p.replace(/\\/g, '/');
  let root = slash(workspaceRoot).replace(/\/$/, '') + '/';
  const driveRoot = /^[A-Za-z]:\//.test(root);
  if (driveRoot) root = root.toLowerCase();
  const links: PathLink[] = [];
  for (const m of text.matchAll(RE)) {
    let path = slash(m[1]);
    if ((driveRoot ? path.toLowerCase() : path).startsWith(root)) path = path.slice(root.length);
    if (path.startsWith('./')) path = path.slice(2);
    links.push({ index: m.index ?? 0, length: m[0].length, path, line: Number(m[2]), column: Number(m[3] ?? 1) });
  }
  return links;
}
