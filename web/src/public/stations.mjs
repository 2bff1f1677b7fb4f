#!/usr/bin/env node
// Derives the stations file of the observation page (docs/WEB.md) from the imported results
// (`fairtally observe import ... --out results.json`: each station's region, and whether it
// has an official protocol) and a CSV of coordinates with columns id, latitude, longitude
// (such as ../shared/data/belarus-2020/geo-categorized.csv):
//
//   node web/src/public/stations.mjs results.json geo.csv > stations.json
//
// Stations without coordinates are left out and counted on stderr.

import { readFileSync } from 'node:fs';

const [resultsPath, geoPath] = process.argv.slice(2);
if (!resultsPath || !geoPath) {
  console.error('usage: node stations.mjs RESULTS.json COORDINATES.csv > stations.json');
  process.exit(64);
}
const results = JSON.parse(readFileSync(resultsPath, 'utf8'));
const [header, ...rows] = readFileSync(geoPath, 'utf8').trim().split(/\r?\n/).map((l) => l.split(','));
const col = (name) => {
  const i = header.indexOf(name);
  if (i < 0) {
    console.error(`${geoPath}: no column ${name}`);
    process.exit(2);
  }
  return i;
};
const [id, lat, lon] = [col('id'), col('latitude'), col('longitude')];
const places = new Map(rows.map((r) => [r[id], [Number(r[lat]), Number(r[lon])]]));
let missing = 0;
const stations = [];
for (const s of results.stations) {
  const place = places.get(s.station.id);
  if (!place || !place.every(Number.isFinite)) {
    missing++;
    continue;
  }
  stations.push({
    id: s.station.id,
    region: s.station.region ?? null,
    latitude: place[0],
    longitude: place[1],
    official: s.reports.some((r) => r.source.kind === 'official'),
  });
}
process.stdout.write(JSON.stringify({ format: 'fairtally-stations/1', stations }) + '\n');
console.error(`${stations.length} stations placed, ${missing} without coordinates`);
