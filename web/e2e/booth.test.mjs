// The booth in real Chromium against `fairtally serve`: a cast ballot is counted in the
// finished record, and a challenge ends with a re-vote. SCREENSHOTS=DIR keeps a screenshot of
// the booth in Russian with a credential file loaded.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cast, encrypt, fillBallot } from './support/booth.mjs';
import { demoFinish, demoOpen, finishAndVerify, openElection } from './support/fairtally.mjs';
import { screenshotDir } from './public-support.mjs';
import { collectErrors, startServe, testBed } from './support/servers.mjs';

const bed = testBed({ before, after });

function votes(verified) {
  return Object.fromEntries(verified.tally.contests.flatMap((c) => c.options.map((o) => [`${c.contest}/${o.option}`, o.votes])));
}

test('a voter casts a ballot in the booth, and the finished record verifies with it counted', async () => {
  const dir = bed.dir();
  const election = demoOpen(dir, 2);
  const server = await startServe(dir);
  try {
    const page = await bed.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}/vote`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await fillBallot(page, election.voters[0], ['Chen Li', 'Parks', 'Housing']);
    const code = await encrypt(page);
    await cast(page);
    // The device kept the code and its proof: the tracker, on the same device, checks it.
    await page.goto(`${server.url}/track?code=${code}`);
    await page.getByTestId('proof-status').filter({ hasText: 'verified' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('ballot-status').textContent(), 'cast');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
  const verified = demoFinish(election);
  assert.equal(verified.valid, true, JSON.stringify(verified.checks.filter((c) => c.failed)));
  assert.equal(verified.ballots.counted, 1);
  assert.equal(votes(verified)['president/chen'], 1);
  assert.equal(votes(verified)['referendum-priorities/parks'], 1);
  assert.equal(votes(verified)['referendum-priorities/housing'], 1);
  assert.equal(votes(verified)['referendum-priorities/schools'], 0);
});

test('a challenge flow ends with a re-vote', async () => {
  const dir = bed.dir();
  const election = openElection(dir, 2);
  const server = await startServe(dir);
  let challengedCode;
  try {
    const page = await bed.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}/vote`);
    await fillBallot(page, election.voters[1], ['Boris Baker', 'Schools']);
    challengedCode = await encrypt(page);
    await page.getByRole('button', { name: 'Challenge ballot' }).click();
    const verdict = page.locator('#challenge-verdict');
    await verdict.filter({ hasText: 'This device checked the opening' }).waitFor();
    const shown = await page.locator('#challenge-choices').textContent();
    assert.match(shown, /Boris Baker/);
    assert.match(shown, /Schools/);
    assert.match(await page.locator('#challenge-second').textContent(), new RegExp(challengedCode));
    await page.getByRole('button', { name: 'Vote again' }).click();
    // The voter changes their mind, encrypts afresh (a new code) and casts.
    await page.getByLabel('Diallo Mamadou', { exact: true }).check();
    await page.getByLabel('Schools', { exact: true }).uncheck();
    const code = await encrypt(page);
    assert.notEqual(code, challengedCode);
    await cast(page);
    await page.goto(`${server.url}/track?code=${challengedCode}`);
    await page.getByTestId('proof-status').filter({ hasText: 'verified' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('ballot-status').textContent(), 'challenged');
    assert.deepEqual(errors, []);
    // A second device reads the challenged ballot from the board and checks its opening itself.
    const other = await bed.browser.newContext();
    const second = await other.newPage();
    await second.goto(`${server.url}/track?code=${challengedCode}`);
    await second.getByTestId('opened').filter({ hasText: 'Boris Baker' }).waitFor({ timeout: 30_000 });
    assert.match(await second.getByTestId('opened').textContent(), /Schools/);
    await other.close();
    await page.close();
  } finally {
    await server.stop();
  }
  const verified = finishAndVerify(election);
  assert.equal(verified.valid, true, JSON.stringify(verified.checks.filter((c) => c.failed)));
  assert.equal(verified.ballots.challenged, 1);
  assert.equal(verified.ballots.counted, 1);
  assert.equal(votes(verified)['president/diallo'], 1);
  assert.equal(votes(verified)['president/baker'], 0);
  assert.equal(votes(verified)['referendum-priorities/schools'], 0);
});

test('the booth refuses a choice beyond a contest\'s limit and says why', async () => {
  const dir = bed.dir();
  openElection(dir, 1);
  const server = await startServe(dir);
  try {
    const page = await bed.browser.newPage();
    await page.goto(`${server.url}/vote?lang=ru`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    await page.goto(`${server.url}/vote?lang=en`);
    for (const title of ['Public transit', 'Schools']) await page.getByLabel(title, { exact: true }).check();
    await page.getByLabel('Parks', { exact: true }).click();
    assert.equal(await page.getByLabel('Parks', { exact: true }).isChecked(), false);
    assert.match(await page.locator('#choice-message').textContent(), /at most 2/);
    // Keyboard only: the credential field, then the radio group, reachable with Tab.
    await page.getByLabel('Credential', { exact: true }).focus();
    await page.keyboard.type('not a credential');
    await page.getByRole('button', { name: 'Encrypt ballot' }).press('Enter');
    assert.match(await page.locator('#credential-message').textContent(), /not a usable credential/);
    await page.close();
  } finally {
    await server.stop();
  }
});

test('the credential file picker speaks the page’s language, not the browser’s, and loads the file', async () => {
  const dir = bed.dir();
  const election = demoOpen(dir, 1);
  const server = await startServe(dir);
  try {
    const context = await bed.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}/vote?lang=ru`);
    const picker = page.locator('label.file', { hasText: 'Или загрузите файл от регистратора' });
    assert.equal(await picker.locator('.file-choose').textContent(), 'Выбрать файл');
    assert.equal(await picker.locator('.file-chosen').textContent(), 'Файл не выбран');
    // The input behind the button still takes the file: the line names it, the field holds it.
    const file = join(dir, 'voter-1.json');
    writeFileSync(file, election.voters[0]);
    await picker.locator('input[type=file]').setInputFiles(file);
    assert.equal(await picker.locator('.file-chosen').textContent(), 'voter-1.json');
    await page.waitForFunction(() => document.querySelector('#credential').value !== '');
    assert.equal(await page.locator('#credential').inputValue(), election.voters[0]);
    const shots = screenshotDir();
    if (shots) writeFileSync(join(shots, 'vote-file-picker-ru.png'), await page.screenshot({ fullPage: true }));
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await server.stop();
  }
});
