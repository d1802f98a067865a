// Start-up marks: ms since the page began loading, reported to the log when the workbench is
// ready. Imported first by main.ts, so this module is evaluated before any other (ES modules
// run in import order): `bundleStarted` splits fetching and parsing the bundle from running it.

export const bundleStarted = performance.now();

export const marks: [string, number][] = [];

export function mark(name: string, at = performance.now()): void {
  marks.push([name, Math.round(at)]);
}
