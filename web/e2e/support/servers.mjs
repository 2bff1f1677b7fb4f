// What the end-to-end tests start, and stop again: `fairtally serve` on a free loopback port,
// a plain static file server (the "no fairtally server" case), and headless Chromium.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

import { chromium } from 'playwright-core';

import { BIN, tempDir } from './fairtally.mjs';

/** The built front end (`npm run build`). */
export const DIST = resolve(import.meta.dirname, '../../dist');

/**
 * `fairtally serve DIR` on 127.0.0.1, port 0, serving the built pages; resolves once it
 * prints its address. `stop()` sends SIGTERM and waits for a clean shutdown (bounded).
 */
export async function startServe(electionDir, { checkpointInterval = 0.2, extra = [] } = {}) {
  if (!existsSync(join(DIST, 'vote.html'))) throw new Error(`the front end is not built: run npm run build in web/ (no ${DIST}/vote.html)`);
  const child = spawn(BIN, ['serve', electionDir, '--listen', '127.0.0.1:0', '--web', DIST, '--checkpoint-interval', String(checkpointInterval), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`fairtally serve did not start in 30 s:\n${output}`)), 30_000);
    const look = (chunk) => {
      output += chunk;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fairtally serve exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.webmanifest': 'application/manifest+json' };

/**
 * A static file server on 127.0.0.1 (port 0): `mounts` maps a URL prefix ("/" or "/board/")
 * to a directory; `/vote` and `/track` are their pages, as any static host can be set up.
 * `mount(prefix, dir)` changes what a prefix serves (a mirror that is replaced).
 */
export async function startStatic(mounts) {
  const table = new Map(Object.entries(mounts));
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const prefix = [...table.keys()].filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    let rest = prefix === undefined ? null : normalize(path.slice(prefix.length));
    if (rest !== null && /^[a-z]+$/.test(rest) && prefix === '/') rest += '.html';
    const file = rest === null || rest.startsWith('..') ? null : join(table.get(prefix), rest);
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size, 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    mount: (prefix, dir) => table.set(prefix, dir),
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Headless Debian chromium through playwright-core, with `extraArgs` after the usual flags. */
export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs],
  });
}

/** Fails the test with the page's console errors, which otherwise go unseen. */
export function collectErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url ?? ''}`.trim()));
  return errors;
}

/**
 * The shared set-up of a test file: one browser for its tests, and temporary directories,
 * all removed after the file's last test. `bed.browser` is set once the tests start.
 */
export function testBed({ before, after }) {
  const dirs = [];
  const bed = {
    browser: null,
    dir() {
      const d = tempDir();
      dirs.push(d);
      return d;
    },
  };
  before(async () => {
    bed.browser = await launchBrowser();
  });
  after(async () => {
    await bed.browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return bed;
}
