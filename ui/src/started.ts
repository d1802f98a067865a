// When the bundle began to run: imported first by main.ts, so this module is evaluated
// before any other (ES modules run in import order). Against the start-up marks it splits
// fetching and parsing the bundle from running it.
export const bundleStarted = performance.now();
