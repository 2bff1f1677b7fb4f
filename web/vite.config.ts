// One multi-page build: each page of fairtally's web front end is its own entry, so a voter's
// booth loads only what the booth needs. `fairtally serve` serves `web/dist`.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const PAGES = ['vote', 'track', 'observe', 'results', 'observation'];
const page = (name: string) => resolve(import.meta.dirname, `${name}.html`);

/**
 * What every page shares, written once here instead of in each page's HTML: the head's
 * character set, viewport and style sheet, and the language picker in the page's header bar
 * (after its title). A page's own HTML keeps only its title, icon and content.
 */
const sharedPage: Plugin = {
  name: 'fairtally-shared-page',
  transformIndexHtml: {
    // Before Vite's own processing, so that the style sheet is bundled as if written in the page.
    order: 'pre',
    handler: (html, { filename }) => {
      const bar = /(<header class="bar">\s*<h1[^>]*>[^<]*<\/h1>)/;
      if (!bar.test(html)) throw new Error(`${filename}: no <header class="bar"> with its <h1> for the language picker`);
      return {
        html: html.replace(bar, '$1\n      <label class="lang"><span data-i18n="language">Language</span> <select id="language"></select></label>'),
        tags: [
          { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
          { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' }, injectTo: 'head-prepend' },
          { tag: 'link', attrs: { rel: 'stylesheet', href: './src/public/pages.css' }, injectTo: 'head-prepend' },
        ],
      };
    },
  },
};

export default defineConfig({
  plugins: [sharedPage],
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
