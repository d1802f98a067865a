import { defineConfig } from 'vite';

// The same bundle runs in the Tauri window and in a browser against `weft serve`.
export default defineConfig({
  clearScreen: false,
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { port: 1420, strictPort: true },
});
