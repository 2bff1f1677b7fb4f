// Support for the end-to-end tests of the observers' and public pages: a build of those pages,
// a loopback server that serves them as `fairtally serve` does (/observe, /results,
// /observation) with extra routes, Debian's Chromium, and the fairtally binary.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import { build } from 'vite';

export const WEB = resolve(import.meta.dirname, '..');
export const REPO = resolve(WEB, '..');
export const BIN = process.env.FAIRTALLY_BIN ?? resolve(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'release/fairtally');
export const DATA = resolve(REPO, '../shared/data');

/** Runs the fairtally binary; returns stdout. */
export function fairtally(...args) {
  if (!existsSync(BIN)) throw new Error(`no ${BIN}: run cargo build --release -p fairtally, or set FAIRTALLY_BIN`);
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds the observers' and public pages into `outDir` (the pages only: nothing else is needed). */
export async function buildPages(outDir) {
  const pages = ['observe', 'results', 'observation'];
  await build({
    root: WEB,
    configFile: false,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, rollupOptions: { input: Object.fromEntries(pages.map((p) => [p, join(WEB, `${p}.html`)])) } },
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.toml': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` on 127.0.0.1 (any free port): `/observe` is `observe.html` and so on, files
 * under `mounts` (URL prefix → directory) are served from there, and `handle(req, res, body)`
 * answers first when it returns true.
 */
export async function serve(root, { mounts = {}, handle } = {}) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (handle && (await handle(req, res, body))) return;
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = join(root, ['/observe', '/results', '/observation'].includes(path) ? `${path}.html` : path);
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (path.startsWith(prefix)) file = join(dir, path.slice(prefix.length));
    }
    if (!file.startsWith('/') || file.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/** Debian's Chromium, headless. */
export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Viewports every page is looked at in. */
export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

/**
 * The share of a PNG screenshot's pixels that are not (near) white, measured by decoding it
 * in a blank page of `browser`: a page that rendered nothing scores about 0.
 */
export async function inkShare(browser, png) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = new OffscreenCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) ink++;
      return ink / (data.length / 4);
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}
