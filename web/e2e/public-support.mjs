// Support for the end-to-end tests of the observers' and public pages, on top of the shared
// harness (support/servers.mjs, support/fairtally.mjs): the viewports every page is looked
// at in, a check that a screenshot is not blank, and the end of a test file.

import { mkdirSync, rmSync } from 'node:fs';

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

/** Where to keep screenshots (`SCREENSHOTS=DIR`, created), or undefined. */
export function screenshotDir() {
  const dir = process.env.SCREENSHOTS;
  if (dir) mkdirSync(dir, { recursive: true });
  return dir;
}

/** Stops what a test file started: the browser, the server, and its temporary directory. */
export async function stopAll({ browser, server, dir }) {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
