// A map of stations drawn from their coordinates alone: an equirectangular projection
// corrected for the latitude (x = longitude · cos(mid-latitude), y = −latitude), a graticule,
// and one dot per station coloured by its status. No tiles, no network: a page that shows it
// works from a USB stick.

/** A station to draw: where, and in which class (the order of classes is the drawing order). */
export interface Dot {
  id: string;
  latitude: number;
  longitude: number;
  kind: 'other' | 'finding' | 'flagged';
}

/** The part of the world the map shows. */
export interface Extent {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i] ?? 0;
}

/**
 * The extent that holds the bulk of the stations: from the 1st to the 99th percentile of each
 * coordinate, widened by a margin, so that a few stations far away (embassies abroad) do not
 * shrink the country to a dot. Stations outside it are counted, not drawn.
 */
export function extentOf(dots: Dot[]): Extent {
  const lats = dots.map((d) => d.latitude).sort((a, b) => a - b);
  const lons = dots.map((d) => d.longitude).sort((a, b) => a - b);
  const [a, b] = [quantile(lats, 0.01), quantile(lats, 0.99)];
  const [c, d] = [quantile(lons, 0.01), quantile(lons, 0.99)];
  const mLat = Math.max(0.2, (b - a) * 0.08);
  const mLon = Math.max(0.2, (d - c) * 0.08);
  return { minLat: a - mLat, maxLat: b + mLat, minLon: c - mLon, maxLon: d + mLon };
}

/** Projects into a box `width` wide; returns the point and the box's height. */
export function projection(extent: Extent, width: number): { project: (lat: number, lon: number) => [number, number]; height: number } {
  const k = Math.cos((((extent.minLat + extent.maxLat) / 2) * Math.PI) / 180);
  const scale = width / ((extent.maxLon - extent.minLon) * k);
  const height = (extent.maxLat - extent.minLat) * scale;
  return {
    project: (lat, lon) => [(lon - extent.minLon) * k * scale, (extent.maxLat - lat) * scale],
    height,
  };
}

/** Colours of the classes: red for flagged, amber for an observer network's finding, blue-grey for the others. */
export const COLOURS: Record<Dot['kind'], string> = { flagged: '#c62828', finding: '#e09100', other: '#7b8a9a' };

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  return e;
}

/** The map as an SVG element, with a title and description for screen readers. */
export function drawMap(dots: Dot[], title: string, description: string): { element: SVGSVGElement; outside: number } {
  const width = 800;
  const extent = extentOf(dots);
  const { project, height } = projection(extent, width);
  const root = svg('svg', { viewBox: `0 0 ${width} ${Math.round(height)}`, role: 'img', class: 'map', 'aria-labelledby': 'map-title map-desc' });
  const t = svg('title', { id: 'map-title' });
  t.textContent = title;
  const d = svg('desc', { id: 'map-desc' });
  d.textContent = description;
  root.append(t, d);
  const grid = svg('g', { stroke: '#d6dde4', 'stroke-width': 1, fill: '#6b7785', 'font-size': 11 });
  for (let lat = Math.ceil(extent.minLat); lat <= extent.maxLat; lat++) {
    const [, y] = project(lat, extent.minLon);
    grid.append(svg('line', { x1: 0, x2: width, y1: y, y2: y }));
    const label = svg('text', { x: 4, y: y - 3, stroke: 'none' });
    label.textContent = `${lat}°N`;
    grid.append(label);
  }
  for (let lon = Math.ceil(extent.minLon); lon <= extent.maxLon; lon++) {
    const [x] = project(extent.minLat, lon);
    grid.append(svg('line', { x1: x, x2: x, y1: 0, y2: height }));
    const label = svg('text', { x: x + 3, y: height - 4, stroke: 'none' });
    label.textContent = `${lon}°E`;
    grid.append(label);
  }
  root.append(grid);
  let outside = 0;
  for (const kind of ['other', 'finding', 'flagged'] as const) {
    const g = svg('g', { fill: COLOURS[kind], 'fill-opacity': kind === 'other' ? 0.5 : 0.85 });
    g.dataset.kind = kind;
    for (const dot of dots.filter((x) => x.kind === kind)) {
      const inside =
        dot.latitude >= extent.minLat && dot.latitude <= extent.maxLat && dot.longitude >= extent.minLon && dot.longitude <= extent.maxLon;
      if (!inside) {
        outside++;
        continue;
      }
      const [x, y] = project(dot.latitude, dot.longitude);
      const c = svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: kind === 'flagged' ? 3.5 : 2.2 });
      const tip = svg('title', {});
      tip.textContent = dot.id;
      c.append(tip);
      g.append(c);
    }
    root.append(g);
  }
  return { element: root, outside };
}
