// The tracker in real Chromium: it verifies a ballot from a static copy of the board with no
// fairtally server at all, and a device that kept a proof catches a fork that removed it.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cast, encrypt, fillBallot, shownFingerprint } from './support/booth.mjs';
import { openElection } from './support/fairtally.mjs';
import { forkWithout } from './support/fork.mjs';
import { DIST, collectErrors, startServe, startStatic, testBed } from './support/servers.mjs';

const bed = testBed({ before, after });

/** Casts one ballot through the booth; returns its code, the fingerprint and the board's index. */
async function castOne(dir, election) {
  const server = await startServe(dir);
  try {
    const page = await bed.browser.newPage();
    await page.goto(`${server.url}/vote`);
    await fillBallot(page, election.voters[0], ['Eva Evans', 'Public transit']);
    const code = await encrypt(page);
    const fingerprint = await shownFingerprint(page);
    await cast(page);
    const index = Number((await page.locator('#receipt-verdict').textContent()).match(/position (\d+)/)[1]);
    await page.close();
    return { code, fingerprint, index };
  } finally {
    await server.stop();
  }
}

test('the tracker verifies a cast ballot from a static copy of the board with the server stopped', async () => {
  const dir = bed.dir();
  const election = openElection(dir, 1);
  const { code, fingerprint } = await castOne(dir, election);
  // The server is stopped: a plain static host (a USB stick would do) has the bundle and the board.
  const copy = join(dir, 'mirror');
  cpSync(join(election.board, 'public'), copy, { recursive: true });
  const site = await startStatic({ '/': DIST, '/mirror/': copy });
  try {
    const context = await bed.browser.newContext(); // another device: nothing kept
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${site.url}/track?code=${code.toLowerCase()}&board=${encodeURIComponent(`${site.url}/mirror/`)}&fingerprint=${fingerprint}`);
    await page.getByTestId('proof-status').filter({ hasText: 'verified' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('ballot-status').textContent(), 'cast');
    assert.equal(await page.locator('#pinned').textContent(), '');
    // Only the 404 of the absent ballot API (no fairtally server here) may be logged.
    assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
    await context.close();
  } finally {
    await site.stop();
  }
});

test('the tracker detects a ballot removed from a forked log', async () => {
  const dir = bed.dir();
  const election = openElection(dir, 1);
  const { code, fingerprint, index } = await castOne(dir, election);
  const honest = join(dir, 'honest');
  cpSync(join(election.board, 'public'), honest, { recursive: true });
  const site = await startStatic({ '/': DIST, '/board/': honest });
  try {
    const context = await bed.browser.newContext();
    const page = await context.newPage();
    const url = `${site.url}/track?code=${code}&fingerprint=${fingerprint}`;
    await page.goto(url);
    await page.getByTestId('proof-status').filter({ hasText: 'verified' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-alarm]').count(), 0);
    // The operator now publishes a log of the same size without the ballot, signed by its key.
    const fork = join(dir, 'fork');
    forkWithout(honest, index, join(election.board, 'operator.key'), fork);
    site.mount('/board/', fork);
    await page.goto(url);
    await page.locator('[data-alarm="removed"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-alarm="forked"]').count(), 1);
    assert.match(await page.locator('#alarms').textContent(), /no longer on it/);
    assert.equal(await page.getByTestId('ballot-status').textContent(), 'not-found');
    // The device keeps the proof it had, so the warning stays on every later visit.
    await page.goto(url);
    await page.locator('[data-alarm="removed"]').waitFor({ timeout: 30_000 });
    await context.close();
  } finally {
    await site.stop();
  }
});
