// Support for the end-to-end tests of the observers' and public pages, on top of the shared
// harness (support/servers.mjs, support/fairtally.mjs): the viewports every page is looked
// at in, a check that a screenshot is not blank, and a stand-in for the observations endpoint.

import { createServer } from 'node:http';

import { DIST, startStatic } from './support/servers.mjs';

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

/**
 * The built pages and `mounts` on one loopback origin, with a stand-in for
 * `POST /api/v1/observations` as docs/API.md describes it: 201 and `{"board_index"}`, the same
 * bytes always at the same index. `received.posts` holds every body that arrived, in order.
 */
export async function startObservations(mounts = {}) {
  const files = await startStatic({ '/': DIST, ...mounts });
  const received = { posts: [], board: [] };
  const server = createServer(async (req, res) => {
    if (req.url === '/api/v1/observations' && req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks);
      received.posts.push(body);
      let index = received.board.findIndex((b) => b.equals(body));
      if (index < 0) index = received.board.push(body) - 1;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ board_index: index }));
      return;
    }
    // Everything else from the static files, as they are.
    const upstream = await fetch(files.url + req.url, { method: req.method });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await files.stop();
    },
  };
}
