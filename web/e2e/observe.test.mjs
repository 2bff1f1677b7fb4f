// End to end, in Chromium against `fairtally serve`: an accredited observer enters a station's
// protocol while offline (Playwright's setOffline), the page checks its arithmetic while they
// type, signs it and queues it in IndexedDB; the page is reloaded offline (the service worker
// serves it, the outbox is still there); when the network returns the protocol reaches
// POST /api/v1/observations exactly once (the server's own request counter) and the board
// grows by exactly one entry. SCREENSHOTS=DIR keeps screenshots of the page.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { VIEWPORTS, inkShare, screenshotDir, stopAll } from './public-support.mjs';
import { fairtally, openElection, tempDir } from './support/fairtally.mjs';
import { collectErrors, launchBrowser, startServe } from './support/servers.mjs';

const REPO = resolve(import.meta.dirname, '../..');
const tmp = tempDir('fairtally-observe-');
const MAPPING = join(REPO, 'mappings/belarus-2020-voice.toml');
const shots = screenshotDir();
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let server;
let browser;
let org;

before(async () => {
  org = fairtally(['observe', 'keygen', '--out', join(tmp, 'org.key')]).trim();
  openElection(tmp, 1);
  // The server takes photos only from observers of an organisation it trusts.
  server = await startServe(tmp, { extra: ['--trust', org] });
  browser = await launchBrowser();
});

after(() => stopAll({ browser, server, dir: tmp }));

/** Sets the page up: a key made on the device, accredited by the organisation with the binary. */
async function accredit(page) {
  await page.getByRole('button', { name: 'Create a key' }).click();
  await page.getByTestId('public-key').filter({ hasText: /^[0-9a-f]{64}$/ }).waitFor();
  const observer = (await page.getByTestId('public-key').textContent()).trim();
  assert.match(observer, /^[0-9a-f]{64}$/);
  const accreditationPath = fairtally([
    'observe', 'accredit', '--org-key', join(tmp, 'org.key'), '--observer', observer,
    '--name', 'Ann', '--map', MAPPING, '--outbox', join(tmp, 'accreditations'),
  ]).trim();
  await page.getByLabel('Accreditation', { exact: true }).fill(readFileSync(accreditationPath, 'utf8'));
  await page.getByRole('button', { name: 'Use this accreditation' }).click();
  await page.getByTestId('accredited').waitFor();
  await page.getByLabel("Load the election's mapping (TOML)").setInputFiles(MAPPING);
  await page.getByLabel('Station', { exact: true }).waitFor();
}

/** Requests that reached POST /api/v1/observations, by the server's own count (/metrics). */
async function observationRequests() {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('fairtally_http_requests_total{') && l.includes('route="/api/v1/observations"'))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

/** The number of entries of the board's latest checkpoint. */
async function boardSize() {
  return Number((await (await fetch(`${server.url}/board/checkpoint`)).text()).split('\n')[1]);
}

/** Fills the figures of station 01-010-0001 as its official protocol gives them. */
async function fillProtocol(page) {
  await page.getByLabel('Station', { exact: true }).fill('01-010-0001');
  await page.getByLabel('Ballots issued', { exact: true }).fill('1656');
  await page.getByLabel('Ballots counted', { exact: true }).fill('1319');
  await page.getByLabel('Valid ballots', { exact: true }).fill('1314');
  await page.getByLabel('Invalid ballots', { exact: true }).fill('5');
  const votes = { 'Alexander Lukashenko': 464, 'Sviatlana Tsikhanouskaya': 701, 'Andrei Dmitriyeu': 21, 'Hanna Kanapatskaya': 16, 'Siarhei Cherachen': 16, 'Against all': 96 };
  for (const [name, n] of Object.entries(votes)) await page.getByLabel(name, { exact: true }).fill(String(n));
}

test('an observer submits a protocol offline; it arrives exactly once after reconnecting', async () => {
  const context = await browser.newContext(VIEWPORTS.phone);
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${server.url}/observe`);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

  await accredit(page);
  // The service worker has the page and its assets before the network goes.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

  // Every request to the endpoint that left the browser and was answered, from any tab
  // (attempts while offline fail inside the browser).
  const sent = [];
  const photoPosts = [];
  context.on('requestfinished', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/observations')) sent.push(r.postDataBuffer());
    if (r.method() === 'POST' && r.url().includes('/api/v1/photos')) photoPosts.push({ url: r.url(), body: r.postDataBuffer() });
  });
  const sizeBefore = await boardSize();
  await context.setOffline(true);
  await page.getByText('Offline:').waitFor();
  await fillProtocol(page);
  // A mistyped figure is caught while typing, and the field is marked.
  await page.getByLabel('Invalid ballots', { exact: true }).fill('6');
  await page.getByTestId('protocol-checks').getByText('counted 1319 ≠ valid 1314 + invalid 6').waitFor();
  assert.equal(await page.getByLabel('Invalid ballots', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Invalid ballots', { exact: true }).fill('5');
  await page.getByTestId('protocol-checks').getByText('The figures add up.').waitFor();
  // A JPEG by its first bytes (the server takes JPEG, PNG and WebP only).
  const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a photo of the protocol, as bytes')]);
  await page.getByLabel('Photos of the protocol', { exact: true }).setInputFiles({ name: 'protocol.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.getByText(`SHA-256 ${sha256(photo).slice(0, 12)}`).waitFor();
  await page.getByRole('button', { name: 'Sign and queue' }).click();
  await page.getByText('Signed and queued: protocol of station 01-010-0001.').waitFor();
  await page.getByTestId('outbox-summary').getByText('1 waiting, 0 on the board').waitFor();
  const photoState = page.locator(`li[data-photo="${sha256(photo)}"]`);
  assert.equal(await photoState.getAttribute('data-state'), 'waiting');
  if (shots) writeFileSync(join(shots, 'observe-phone-offline.png'), await page.screenshot({ fullPage: true }));
  if (shots) writeFileSync(join(shots, 'observe-outbox-waiting.png'), await page.locator('#outbox').screenshot());

  // Still offline: the page comes back from the service worker, the outbox from IndexedDB.
  await page.reload();
  await page.getByTestId('outbox-summary').getByText('1 waiting, 0 on the board').waitFor();
  await page.getByRole('button', { name: 'Send now' }).click();
  await page.waitForTimeout(500);
  assert.equal(await observationRequests(), 0, 'nothing can leave while offline');

  await context.setOffline(false);
  await page.getByTestId('outbox-summary').getByText('0 waiting, 1 on the board').waitFor({ timeout: 30_000 });
  await page.getByText(/on the board, entry \d+/).waitFor();
  const boardIndex = Number(/entry (\d+)/.exec(await page.getByText(/on the board, entry \d+/).textContent())[1]);
  // Its photo follows it, once its board index is known.
  await page.locator(`li[data-photo="${sha256(photo)}"][data-state="uploaded"]`).waitFor({ timeout: 30_000 });
  if (shots) writeFileSync(join(shots, 'observe-outbox-uploaded.png'), await page.locator('#outbox').screenshot());
  // More chances to send it twice: another round, another tab, a reload.
  await page.getByRole('button', { name: 'Send now' }).click();
  const second = await context.newPage();
  await second.goto(`${server.url}/observe`);
  await second.getByTestId('outbox-summary').getByText('0 waiting, 1 on the board').waitFor();
  await page.reload();
  await page.getByTestId('outbox-summary').getByText('0 waiting, 1 on the board').waitFor();
  await page.waitForTimeout(1500);
  assert.equal(await observationRequests(), 1, 'the protocol arrives exactly once');
  assert.equal(sent.length, 1, 'the browser sent it once');
  assert.equal(await boardSize(), sizeBefore + 1, 'the board holds it once');
  assert.equal(photoPosts.length, 1, 'the photo was uploaded once');
  assert.match(photoPosts[0].url, new RegExp(`/api/v1/photos\\?entry=${boardIndex}$`));
  // Attempts to send while offline are logged by the browser; nothing else may be.
  assert.deepEqual(errors.filter((e) => !e.includes('net::ERR_INTERNET_DISCONNECTED')), []);

  // What was sent is a protocol the Rust side accepts, naming the photo by its hash.
  const [body] = sent;
  const item = JSON.parse(body.toString('utf8'));
  assert.equal(item.type, 'protocol');
  assert.equal(item.body.station, '01-010-0001');
  assert.deepEqual(item.body.protocol.votes, [464, 701, 21, 16, 16, 96]);
  assert.deepEqual(item.body.photos, [sha256(photo)]);
  // The server has the photo under the hash the signed protocol names, and its bytes hash to it.
  const stored = await fetch(`${server.url}/api/v1/photos/${item.body.photos[0]}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.headers.get('content-type'), 'image/jpeg');
  assert.equal(stored.headers.get('x-content-type-options'), 'nosniff');
  assert.match(stored.headers.get('cache-control'), /immutable/);
  assert.equal(sha256(Buffer.from(await stored.arrayBuffer())), item.body.photos[0]);
  const store = join(tmp, 'accreditations');
  writeFileSync(join(store, 'items', `${sha256(body)}.json`), body);
  const verified = fairtally(['observe', 'verify', store, '--trust', org]);
  assert.match(verified, new RegExp(`${sha256(body)} observe/protocol/v1 station 01-010-0001: ok`));

  if (shots) {
    for (const [name, p] of [['observe-phone', page]]) writeFileSync(join(shots, `${name}.png`), await p.screenshot({ fullPage: true }));
  }
  const png = await page.screenshot({ fullPage: true });
  assert.ok((await inkShare(browser, png)) > 0.03, 'the observer page is not blank');
  await context.close();
});

test('the protocol can be entered and signed with the keyboard alone', async () => {
  const context = await browser.newContext(VIEWPORTS.desktop);
  const page = await context.newPage();
  await page.goto(`${server.url}/observe`);
  await accredit(page);
  const before = await observationRequests();
  // From the top of the page, Tab reaches the station field; then one Tab per field.
  for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.id)) !== 'station'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'station');
  const typed = ['02-020-0002', '', '', '900', '', '850', '840', '10', '500', '300', '10', '10', '10', '10'];
  for (const [i, text] of typed.entries()) {
    if (i > 0) await page.keyboard.press('Tab');
    if (text) await page.keyboard.type(text);
  }
  await page.getByTestId('protocol-checks').getByText('The figures add up.').waitFor();
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/observations'));
  await page.keyboard.press('Enter');
  await page.getByText('Signed and queued: protocol of station 02-020-0002.').waitFor();
  await page.getByText(/on the board, entry \d+/).first().waitFor();
  const item = JSON.parse((await posted).postDataBuffer().toString('utf8'));
  assert.equal(await observationRequests(), before + 1);
  assert.deepEqual(
    [item.body.station, item.body.protocol.ballots_issued, item.body.protocol.valid, item.body.protocol.votes],
    ['02-020-0002', 900, 840, [500, 300, 10, 10, 10, 10]],
  );
  if (shots) writeFileSync(join(shots, 'observe-desktop-signed.png'), await page.screenshot({ fullPage: true }));
  // The focused control is visibly marked.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await context.close();
});

test('the observer page is installable: manifest, icons, service worker', async () => {
  const manifest = JSON.parse(await (await fetch(`${server.url}/observe.webmanifest`)).text());
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const res = await fetch(new URL(icon.src, `${server.url}/observe.webmanifest`));
    assert.equal(res.status, 200, icon.src);
  }
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'));
  const context = await browser.newContext(VIEWPORTS.desktop);
  const page = await context.newPage();
  await page.goto(`${server.url}/observe`);
  const scope = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
  assert.equal(scope, `${server.url}/`);
  if (shots) writeFileSync(join(shots, 'observe-desktop.png'), await page.screenshot({ fullPage: true }));
  await context.close();
});

test('the file pickers speak the page’s language, not the browser’s', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${server.url}/observe?lang=be`);
  const picker = page.locator('label.file', { hasText: 'Загрузіць файл ключа' });
  assert.equal(await picker.locator('.file-choose').textContent(), 'Выбраць файл');
  assert.equal(await picker.locator('.file-chosen').textContent(), 'Файл не выбраны');
  // The input behind the button still takes the file, and the line names it.
  const key = join(tmp, 'observer.key');
  fairtally(['observe', 'keygen', '--out', key]);
  await picker.locator('input[type=file]').setInputFiles(key);
  assert.equal(await picker.locator('.file-chosen').textContent(), 'observer.key');
  await context.close();
});
