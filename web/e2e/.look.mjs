import { serve, launch, VIEWPORTS } from './public-support.mjs';
const server = await serve('/tmp/ow/dist', { mounts: { '/by/': '/tmp/ow/by', '/demo/': '/tmp/ow/demo' } });
const browser = await launch();
const [url, name, ...rest] = process.argv.slice(2);
for (const [vp, opts] of Object.entries(VIEWPORTS)) {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(server.url + url);
  await page.waitForTimeout(1500);
  console.log(vp, 'loaded in', Date.now() - t0, 'ms');
  const h = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0, i = 0; y < Math.min(h, 6000); y += 1800, i++) {
    await page.screenshot({ path: `/tmp/ow/look/${name}-${vp}-${i}.png`, clip: { x: 0, y, width: opts.viewport.width, height: Math.min(1800, h - y) }, fullPage: true });
  }
  await ctx.close();
}
await browser.close(); await server.close();
