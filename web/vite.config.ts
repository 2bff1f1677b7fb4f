// One multi-page build: each page of fairtally's web front end is its own entry, so a voter's
// booth loads only what the booth needs. `fairtally serve` serves `web/dist`.
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const page = (name: string) => resolve(import.meta.dirname, `${name}.html`);

export default defineConfig({
  // Relative asset URLs, so the built bundle works from any static host or a USB stick.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        vote: page('vote'),
        track: page('track'),
        observe: page('observe'),
        results: page('results'),
        observation: page('observation'),
      },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
  },
});
