// The booth's "Scan QR code" in real Chromium with a fake camera: the camera films the QR code
// the registrar wrote beside a voter's credential file (voter-00001.svg), as a y4m video made
// here from that very SVG; the booth decodes it, the Credential field holds the file's
// content byte for byte, the camera is stopped, and the ballot cast with it is counted.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cast, encrypt } from './support/booth.mjs';
import { finishAndVerify, openElection } from './support/fairtally.mjs';
import { collectErrors, launchBrowser, startServe, testBed } from './support/servers.mjs';

const bed = testBed({ before, after });
const shots = process.env.SCREENSHOTS;

const W = 640;
const H = 480;

/**
 * The grey levels (W×H, one byte a pixel) of the SVG drawn in the middle of a white frame, as
 * a camera held in front of a printout would see it.
 */
async function rasterise(browser, svg) {
  const page = await browser.newPage();
  try {
    return Buffer.from(
      await page.evaluate(
        async ({ svg, w, h }) => {
          const img = new Image();
          img.src = `data:image/svg+xml;base64,${btoa(svg)}`;
          await img.decode();
          const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
          const ctx = canvas.getContext('2d');
          ctx.fillStyle = '#fff';
          ctx.fillRect(0, 0, w, h);
          const side = Math.round(h * 0.9);
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(img, (w - side) / 2, (h - side) / 2, side, side);
          const rgba = ctx.getImageData(0, 0, w, h).data;
          const grey = new Array(w * h);
          for (let i = 0; i < w * h; i++) grey[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
          return grey;
        },
        { svg, w: W, h: H },
      ),
    );
  } finally {
    await page.close();
  }
}

/** A y4m video (4:2:0, grey: chroma planes at 128) of `frames` copies of the grey picture. */
function y4m(grey, frames = 2) {
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`);
  const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), grey, chroma]);
  return Buffer.concat([header, ...Array(frames).fill(frame)]);
}

test('the booth scans the registrar’s QR code of a credential, and the ballot cast with it is counted', async () => {
  const dir = bed.dir();
  const election = openElection(dir, 1);
  const file = join(dir, 'private/voters/voter-00001.json');
  const credential = readFileSync(file, 'utf8');
  assert.equal(credential, election.voters[0]);
  const video = join(dir, 'qr.y4m');
  writeFileSync(video, y4m(await rasterise(bed.browser, readFileSync(join(dir, 'private/voters/voter-00001.svg'), 'utf8'))));

  const camera = await launchBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
  const server = await startServe(dir);
  try {
    const page = await camera.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}/vote`);
    const field = page.getByLabel('Credential', { exact: true });
    await field.waitFor();
    // The decoder is not part of the booth's first load.
    const loaded = () => page.evaluate(() => performance.getEntriesByType('resource').some((r) => /jsQR/.test(r.name)));
    assert.equal(await loaded(), false);
    await page.getByRole('button', { name: 'Scan QR code' }).click();
    await page.locator('#scan-status').filter({ hasText: 'QR code read; the camera is off.' }).waitFor({ timeout: 30_000 });
    assert.equal(await loaded(), true);
    assert.equal(await field.inputValue(), credential, 'the field holds the file, byte for byte');
    assert.match(await page.locator('#credential-message').textContent(), /^Credential read: [0-9a-f]{16}…$/);
    // The camera is off: no stream on the video element, the scanner hidden.
    assert.equal(await page.evaluate(() => document.getElementById('scan-video').srcObject), null);
    assert.equal(await page.locator('#scanner').isHidden(), true);
    if (shots) writeFileSync(join(shots, 'booth-scanned.png'), await page.screenshot({ fullPage: true }));
    for (const title of ['Chen Li', 'Parks']) await page.getByLabel(title, { exact: true }).check();
    await encrypt(page);
    await cast(page);
    assert.deepEqual(errors, []);
  } finally {
    await server.stop();
    await camera.close();
  }
  const verified = finishAndVerify(election);
  assert.equal(verified.valid, true, JSON.stringify(verified.checks?.filter((c) => c.failed)));
  assert.equal(verified.ballots.counted, 1);
});

test('without a camera the booth says so in words, and pasting still works', async () => {
  const dir = bed.dir();
  const election = openElection(dir, 1);
  const server = await startServe(dir);
  try {
    // The usual headless browser: no camera device, and no one to grant the permission.
    const page = await bed.browser.newPage();
    await page.goto(`${server.url}/vote`);
    await page.getByLabel('Credential', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Scan QR code' }).click();
    const status = page.locator('#scan-status.error');
    await status.waitFor({ timeout: 15_000 });
    assert.match(await status.textContent(), /^(No camera was found on this device|Permission to use the camera was refused)\b.*Paste or load the file instead\.$/);
    assert.equal(await page.getByRole('button', { name: 'Scan QR code' }).isVisible(), true);
    if (shots) writeFileSync(join(shots, 'booth-no-camera.png'), await page.screenshot({ fullPage: true }));
    await page.getByLabel('Credential', { exact: true }).fill(election.voters[0]);
    await page.getByLabel('Credential', { exact: true }).blur();
    await page.locator('#credential-message.ok').waitFor();
    await page.close();
  } finally {
    await server.stop();
  }
});
