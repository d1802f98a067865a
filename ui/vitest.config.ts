import { defineConfig } from 'vitest/config';

// Unit tests of the UI's logic (no browser): tests/unit. The browser suites are
// tests/e2e and tests/desktop, run with node --test.
export default defineConfig({
  test: { include: ['tests/unit/**/*.test.ts'], environment: 'node' },
});
