// One multi-page build: each page of fairtally's web front end is its own entry, so a voter's
// booth loads only what the booth needs. `fairtally serve` serves `web/dist`.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const PAGES = ['vote', 'track', 'observe', 'results', 'observation'];
const page = (name: string) => resolve(import.meta.dirname, `${name}.html`);

export default defineConfig({
  // Relative asset URLs, so the built bundle works from any static host or a USB stick.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      // Every page that exists in this checkout (the pages arrive from different branches).
      input: Object.fromEntries(PAGES.filter((name) => existsSync(page(name))).map((name) => [name, page(name)])),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
  },
});
