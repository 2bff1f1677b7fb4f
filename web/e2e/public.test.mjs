// End to end, in Chromium: the public pages render real data. /observation shows the Belarus
// 2020 comparison (`fairtally observe compare` on voice.csv; the mapping joins the stations'
// coordinates from geo-categorized.csv and the Zubr observers' findings); /results shows a demo election verified by `fairtally verify --json`,
// and, served by `fairtally serve` while voting is open, that there is no verified result yet.
// Each page is looked at on a desktop and a phone viewport; its screenshot must not be blank.
// SCREENSHOTS=DIR keeps the screenshots.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { VIEWPORTS, inkShare, screenshotDir, stopAll } from './public-support.mjs';
import { demoOpen, fairtally, tempDir } from './support/fairtally.mjs';
import { DIST, collectErrors, launchBrowser, startServe, startStatic } from './support/servers.mjs';

const REPO = resolve(import.meta.dirname, '../..');
const DATA = resolve(REPO, '../shared/data');
const tmp = tempDir('fairtally-public-');
const shots = screenshotDir();
let server;
let browser;

before(async () => {
  const by = join(tmp, 'by');
  fairtally(['observe', 'compare', join(DATA, 'belarus-2020/voice.csv'), '--map', join(REPO, 'mappings/belarus-2020-voice.toml'), '--out', by]);
  // A demo election and its verification record.
  const demo = join(tmp, 'demo');
  fairtally(['demo', '--voters', '60', '--out', demo, '--quiet']);
  writeFileSync(join(demo, 'verification.json'), fairtally(['verify', join(demo, 'record'), '--json', '--quiet']));
  server = await startStatic({ '/': DIST, '/by/': by, '/demo/': demo });
  browser = await launchBrowser();
});

after(() => stopAll({ browser, server, dir: tmp }));

/**
 * Looks at `url` in every viewport: `ready` waits for and checks the content; no errors in the
 * page (but the 404s of the files in `missing`, the browser's log of a file the page expects
 * may not be there), no request to other hosts, controls named, nothing too wide, not blank.
 */
async function look(name, url, ready, { missing = [] } = {}) {
  for (const [viewport, options] of Object.entries(VIEWPORTS)) {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const offsite = [];
    page.on('request', (r) => {
      if (new URL(r.url()).origin !== new URL(url).origin) offsite.push(r.url());
    });
    await page.goto(url);
    await ready(page);
    const expected = (e) => missing.some((file) => e.startsWith('Failed to load resource: the server responded with a status of 404') && e.endsWith(new URL(file, url).href));
    assert.deepEqual(errors.filter((e) => !expected(e)), [], `${name} (${viewport}): errors in the page`);
    assert.deepEqual(offsite, [], `${name} (${viewport}): requests to other hosts`);
    assert.ok(await page.evaluate(() => document.documentElement.lang), 'lang is set');
    // Every control has an accessible name.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, select, input, textarea, a[href]')]
        .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, [], `${name}: controls without a name`);
    // Nothing wider than the phone's screen, but tables, which scroll in their own box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${name} (${viewport}): the page is ${overflow}px wider than the viewport`);
    const png = await page.screenshot({ fullPage: true });
    if (shots) writeFileSync(join(shots, `${name}-${viewport}.png`), png);
    const ink = await inkShare(browser, png);
    assert.ok(ink > 0.03, `${name} (${viewport}): screenshot is nearly blank (${(ink * 100).toFixed(1)} % ink)`);
    await context.close();
  }
}

test('/observation renders Belarus 2020: comparison, regions with rates, map, findings in words', async () => {
  await look('observation', `${server.url}/observation?summary=by/summary.json&flagged=by/flagged.csv`, async (page) => {
    await page.getByTestId('findings').waitFor();
    assert.match(await page.getByTestId('flagged-stations').textContent(), /448/);
    const regions = await page.getByTestId('regions').locator('tbody tr').count();
    assert.equal(regions, 7);
    // Minsk city (region 07, named by the mapping): 283 of its 731 stations flagged.
    const minsk = await page.getByTestId('regions').locator('tbody tr').filter({ hasText: /^Minsk city/ }).locator('td').allTextContents();
    assert.deepEqual(minsk.slice(0, 4), ['Minsk city', '731', '283', '38.7%']);
    assert.match(await page.locator('main').textContent(), /More votes for Sviatlana Tsikhanouskaya are proved by voters’ photos of their ballots than the official protocol counts/);
    assert.match(await page.locator('main').textContent(), /breaks its own arithmetic: no more ballots in the boxes than were issued/);
    // Every flagged station is on the map (none of them is abroad).
    assert.equal(await page.locator('svg.map g[data-kind=flagged] circle').count(), 448);
    assert.ok((await page.locator('svg.map g[data-kind=finding] circle').count()) > 1000);
    assert.match(await page.locator('main').textContent(), /Findings of observer networks \(Zubr observers\)/);
    assert.equal(await page.getByRole('img', { name: 'Map of stations' }).count(), 1);
  });
});

test('/observation: all findings with the keyboard', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/observation?summary=by/summary.json&flagged=by/flagged.csv`);
  const rows = page.getByTestId('findings').locator('tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 300);
  const total = readFileSync(join(tmp, 'by/flagged.csv'), 'utf8').trim().split('\n').length - 1;
  for (let i = 0; i < 200 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Show all'; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=findings] tbody tr').length === n, total);
  await context.close();
});

test('/observation in Russian', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/observation?lang=ru&summary=by/summary.json&flagged=by/flagged.csv`);
  await page.getByTestId('findings').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru');
  assert.match(await page.locator('main').textContent(), /Отмеченные участки по областям/);
  await context.close();
});

test('/results renders the verified demo result with its fingerprint', async () => {
  const verification = JSON.parse(readFileSync(join(tmp, 'demo/verification.json'), 'utf8'));
  await look('results', `${server.url}/results?verification=demo/verification.json&record=demo/record/`, async (page) => {
    await page.getByTestId('verdict').waitFor();
    assert.equal(await page.getByTestId('verdict').getAttribute('data-result'), 'verified-not-pinned');
    const fp = (await page.getByTestId('fingerprint').textContent()).replace(/\s/g, '');
    assert.equal(fp, verification.fingerprint);
    assert.match(await page.getByTestId('fingerprint-check').textContent(), /recomputed it from the record’s manifest, parameters, guardians and context: the same/);
    assert.match(await page.locator('main').textContent(), /Ana Adams/);
    assert.match(await page.locator('main').textContent(), new RegExp(`fairtally verify record --expect ${verification.fingerprint}`));
  });
});

test('/results warns when result.json is not the verified tally', async () => {
  const record = join(tmp, 'demo/record');
  const original = readFileSync(join(record, 'result.json'), 'utf8');
  const changed = JSON.parse(original);
  changed.contests[0].options[0].votes += 1000;
  writeFileSync(join(record, 'result.json'), JSON.stringify(changed));
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/results?verification=demo/verification.json&record=demo/record/`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /differs from the result the verifier computed/);
    await context.close();
  } finally {
    writeFileSync(join(record, 'result.json'), original);
  }
});

test('/results while voting is open: no verified result yet, in words, in every language', async () => {
  const election = demoOpen(join(tmp, 'open'), 20);
  const serve = await startServe(election.dir);
  try {
    await look('results-open', `${serve.url}/results`, async (page) => {
      await page.getByTestId('no-verification').waitFor();
      const said = await page.getByTestId('no-verification').textContent();
      assert.match(said, /There is no verified result yet: voting is still open, or the election record is not published yet/);
      assert.match(said, /verification\.json/);
      assert.doesNotMatch(await page.locator('main').textContent(), /answered 404/);
    }, { missing: ['verification.json'] });
    for (const [lang, words] of [['ru', /Проверенного результата пока нет: голосование ещё идёт/], ['be', /Праверанага выніку пакуль няма: галасаванне яшчэ ідзе/]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${serve.url}/results?lang=${lang}`);
      await page.getByTestId('no-verification').waitFor();
      assert.match(await page.getByTestId('no-verification').textContent(), words);
      await context.close();
    }
  } finally {
    await serve.stop();
  }
});
