// Screenshots of the booth and the tracker in headless Chromium, desktop and phone:
//   npm run build && node scripts/screenshots.mjs OUTDIR
// The booth is shown with a ballot encrypted (an election made with the fairtally binary, its
// board served statically); the tracker checks a ballot of the vector record's board.
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { cast, encrypt, fillBallot } from '../e2e/support/booth.mjs';
import { openElection, tempDir } from '../e2e/support/fairtally.mjs';
import { DIST, launchBrowser, startServe, startStatic } from '../e2e/support/servers.mjs';

const out = resolve(process.argv[2] ?? 'screenshots');
const VECTORS = resolve(import.meta.dirname, '../../docs/vectors');
const expected = JSON.parse(readFileSync(join(VECTORS, 'expected.json'), 'utf8'));
const dir = tempDir();
const election = openElection(dir, 2);
const site = await startStatic({ '/': DIST, '/board/': join(election.board, 'public'), '/vectors/': join(VECTORS, 'record/board') });
const browser = await launchBrowser();
const viewports = { desktop: { viewport: { width: 1280, height: 900 } }, phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } };
try {
  for (const [name, options] of Object.entries(viewports)) {
    for (const lang of ['en', 'ru']) {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      await page.goto(`${site.url}/vote?lang=${lang}`);
      await page.locator('#booth').waitFor();
      await page.screenshot({ path: join(out, `booth-${name}-${lang}.png`), fullPage: true });
      if (lang === 'en') {
        await fillBallot(page, election.voters[0], ['Chen Li', 'Parks']);
        await encrypt(page);
        await page.screenshot({ path: join(out, `booth-encrypted-${name}.png`), fullPage: true });
      }
      const code = expected.ballots.at(-1).code;
      await page.goto(`${site.url}/track?lang=${lang}&code=${code}&fingerprint=${expected.base_hash}&board=${encodeURIComponent(`${site.url}/vectors/`)}`);
      await page.getByTestId('proof-status').filter({ hasText: 'verified' }).waitFor();
      await page.screenshot({ path: join(out, `tracker-${name}-${lang}.png`), fullPage: true });
      await context.close();
    }
  }
  // Under fairtally serve: a challenge with its check, then a cast ballot's receipt.
  const server = await startServe(dir);
  try {
    for (const [name, options] of Object.entries(viewports)) {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      await page.goto(`${server.url}/vote`);
      await fillBallot(page, election.voters[name === 'desktop' ? 0 : 1], ['Ana Adams', 'Schools']);
      await encrypt(page);
      await page.getByRole('button', { name: 'Challenge ballot' }).click();
      await page.locator('#challenge-verdict').filter({ hasText: 'checked' }).waitFor();
      await page.screenshot({ path: join(out, `booth-challenged-${name}.png`), fullPage: true });
      await page.getByRole('button', { name: 'Vote again' }).click();
      await encrypt(page);
      await cast(page);
      await page.screenshot({ path: join(out, `booth-cast-${name}.png`), fullPage: true });
      await context.close();
    }
  } finally {
    await server.stop();
  }
} finally {
  await browser.close();
  await site.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`screenshots in ${out}`);
