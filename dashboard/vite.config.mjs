// Vite needs a default export here; this file is not TypeScript (the root lint and type-check skip *.mjs).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  // relative asset URLs: the page works at /, /dashboard and behind a path prefix
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      // .mjs: the root eslint config skips *.mjs, so `eslint .` does not lint the bundle under dashboard/dist
      output: { entryFileNames: 'assets/[name]-[hash].mjs', chunkFileNames: 'assets/[name]-[hash].mjs' },
    },
  },
  // `npx vite --config dashboard/vite.config.mjs` serves the page with hot reload against a running engine
  server: {
    proxy: { '/v1': process.env.DASHBOARD_API ?? 'http://127.0.0.1:3000' },
  },
});
