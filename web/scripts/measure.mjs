// The performance figures of issue 11, measured in headless Chromium on this machine:
//   npm run build && node scripts/measure.mjs      (needs the fairtally binary)
// prints the median time to encrypt and prove the demo ballot (10 options in 2 contests), the
// median time of a tracker's check of a kept proof with its checkpoint's signature, and the
// booth's bundle size gzipped (every file /vote loads).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { build } from 'vite';

import { openElection, tempDir } from '../e2e/support/fairtally.mjs';
import { DIST, launchBrowser, startStatic } from '../e2e/support/servers.mjs';

const here = import.meta.dirname;
const RUNS = Number(process.env.RUNS ?? 21);
const VECTORS = resolve(here, '../../docs/vectors');

/**
 * The files the built page `name` loads when it opens (its HTML, and what that imports
 * statically), and their gzipped total; `later`: the files it fetches only on demand (a
 * dynamic `import()`, e.g. the booth's QR decoder), with theirs.
 */
function pageSize(name) {
  const html = readFileSync(join(DIST, `${name}.html`), 'utf8');
  const files = [`${name}.html`, ...[...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1])];
  const seen = new Set();
  const onDemand = new Set();
  const queue = [...files];
  while (queue.length) {
    const f = queue.shift();
    if (seen.has(f)) continue;
    seen.add(f);
    if (!f.endsWith('.js')) continue;
    for (const m of readFileSync(join(DIST, f), 'utf8').matchAll(/(import\(\s*)?["'`]\.\/([\w.-]+\.js)["'`]/g)) {
      const target = join(dirname(f), m[2]);
      if (m[1]) onDemand.add(target);
      else queue.push(target);
    }
  }
  const total = (set) => {
    let raw = 0;
    let gz = 0;
    for (const f of set) {
      const bytes = readFileSync(join(DIST, f));
      raw += bytes.length;
      gz += gzipSync(bytes, { level: 9 }).length;
    }
    return { files: [...set].sort(), raw, gzip: gz };
  };
  return { ...total(seen), later: total([...onDemand].filter((f) => !seen.has(f))) };
}

const benchDir = tempDir('fairtally-bench-');
await build({
  configFile: false,
  logLevel: 'warn',
  build: { outDir: benchDir, emptyOutDir: true, lib: { entry: resolve(here, 'bench-entry.ts'), formats: ['es'], fileName: 'bench' } },
});
const electionDir = tempDir();
const election = openElection(electionDir, 1);
const read = (f) => JSON.parse(readFileSync(join(election.record, f), 'utf8'));
const files = {
  manifest: read('manifest.json'),
  parameters: read('parameters.json'),
  context: read('context.json'),
  guardians: readFileSync(join(election.record, 'guardians.jsonl'), 'utf8').trim().split('\n'),
};
const expected = JSON.parse(readFileSync(join(VECTORS, 'expected.json'), 'utf8'));
const site = await startStatic({ '/': benchDir, '/board/': join(VECTORS, 'record/board') });
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${site.url}/bench.js`);
  const encrypt = await page.evaluate(
    async ([url, files, runs]) => (await import(url)).benchEncrypt(files, runs),
    [`${site.url}/bench.js`, files, RUNS],
  );
  const track = await page.evaluate(
    async ([url, board, code, fp, runs]) => (await import(url)).benchTrack(board, code, fp, runs),
    [`${site.url}/bench.js`, `${site.url}/board/`, expected.ballots.at(-1).code, expected.base_hash, RUNS * 5],
  );
  const booth = pageSize('vote');
  const tracker = pageSize('track');
  const fmt = (xs) => xs.map((x) => x.toFixed(1)).join(' ');
  console.log(`encrypt+prove the demo ballot (${encrypt.options} options in ${encrypt.contests} contests): median ${encrypt.median.toFixed(1)} ms over ${RUNS} runs (${fmt(encrypt.runs)})`);
  console.log(`tracker check (checkpoint signature + inclusion proof of ${track.proofLength} hashes, tree of ${track.size}): median ${track.median.toFixed(2)} ms over ${track.runs.length} runs`);
  console.log(`booth bundle (/vote): ${booth.files.length} files, ${(booth.raw / 1024).toFixed(1)} KiB, ${(booth.gzip / 1024).toFixed(1)} KiB gzipped`);
  const later = booth.later;
  if (later.files.length) console.log(`  fetched on demand (${later.files.join(', ')}): ${(later.raw / 1024).toFixed(1)} KiB, ${(later.gzip / 1024).toFixed(1)} KiB gzipped; with it ${((booth.gzip + later.gzip) / 1024).toFixed(1)} KiB gzipped`);
  console.log(`tracker bundle (/track): ${tracker.files.length} files, ${(tracker.raw / 1024).toFixed(1)} KiB, ${(tracker.gzip / 1024).toFixed(1)} KiB gzipped`);
} finally {
  await browser.close();
  await site.stop();
  rmSync(benchDir, { recursive: true, force: true });
  rmSync(electionDir, { recursive: true, force: true });
}
