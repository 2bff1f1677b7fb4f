// What the observation page reads: `summary.json` and `flagged.csv` as `fairtally observe
// compare` / `report` write them (crates/observe/src/compare.rs), and a stations file with
// each station's region, coordinates and whether it has an official protocol (docs/WEB.md).
// Shapes are checked here; the findings are the Rust comparison's, shown as they are.

import { DataError, csvRecords } from './data';

/** One figure compared over the stations that have both (`ItemComparison`). */
export interface ItemComparison {
  item: string;
  compared: number;
  flagged: number;
  official_total: number;
  other_total: number;
  excess_total: number;
}

/** One arithmetic check over one source's protocols (`CheckSummary`). */
export interface CheckSummary {
  source: string;
  check: string;
  rule: string;
  applied: number;
  failed: number;
}

/** `summary.json`. */
export interface Summary {
  election: string;
  options: { id: string; name: string }[];
  stations: number;
  stations_with_official: number;
  stations_with_observers: number;
  stations_with_voters: number;
  confirmed_exceeds_official: ItemComparison[];
  reported_exceeds_official: ItemComparison[];
  observed_vs_official: ItemComparison[];
  checks: CheckSummary[];
  flagged_stations: number;
  flagged_by_region: Record<string, number>;
  flagged_by_reason: Record<string, number>;
}

/** One finding of `flagged.csv`. */
export interface Flag {
  station: string;
  region: string;
  reason: string;
  item: string;
  official: string;
  other: string;
  source: string;
  detail: string;
}

/** One station of the stations file. */
export interface StationPlace {
  id: string;
  region: string | null;
  latitude: number;
  longitude: number;
  /** The station has an official protocol, so it could be compared. */
  official: boolean;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function counts(value: unknown, url: string, what: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every(isCount)) {
    throw new DataError(url, `${what} is not a table of counts`);
  }
  return value as Record<string, number>;
}

function comparisons(value: unknown, url: string, what: string): ItemComparison[] {
  const fields = ['compared', 'flagged', 'official_total', 'other_total', 'excess_total'] as const;
  if (!Array.isArray(value)) throw new DataError(url, `${what} is not a list`);
  for (const c of value as Record<string, unknown>[]) {
    if (typeof c?.item !== 'string' || !fields.every((f) => isCount(c[f]))) {
      throw new DataError(url, `${what}: a comparison is malformed`);
    }
  }
  return value as ItemComparison[];
}

/** Checks `summary.json`'s shape. */
export function readSummary(value: unknown, url: string): Summary {
  if (typeof value !== 'object' || value === null) throw new DataError(url, 'not a summary');
  const s = value as Record<string, unknown>;
  if (typeof s.election !== 'string') throw new DataError(url, 'no election name');
  if (!Array.isArray(s.options) || !s.options.every((o: Record<string, unknown>) => typeof o?.id === 'string' && typeof o.name === 'string')) {
    throw new DataError(url, 'options are malformed');
  }
  for (const f of ['stations', 'stations_with_official', 'stations_with_observers', 'stations_with_voters', 'flagged_stations']) {
    if (!isCount(s[f])) throw new DataError(url, `${f} is not a count`);
  }
  if (!Array.isArray(s.checks)) throw new DataError(url, 'checks is not a list');
  for (const c of s.checks as Record<string, unknown>[]) {
    if (typeof c?.source !== 'string' || typeof c.check !== 'string' || !isCount(c.applied) || !isCount(c.failed)) {
      throw new DataError(url, 'a check is malformed');
    }
  }
  return {
    ...(s as unknown as Summary),
    confirmed_exceeds_official: comparisons(s.confirmed_exceeds_official, url, 'confirmed_exceeds_official'),
    reported_exceeds_official: comparisons(s.reported_exceeds_official, url, 'reported_exceeds_official'),
    observed_vs_official: comparisons(s.observed_vs_official, url, 'observed_vs_official'),
    flagged_by_region: counts(s.flagged_by_region, url, 'flagged_by_region'),
    flagged_by_reason: counts(s.flagged_by_reason, url, 'flagged_by_reason'),
  };
}

/** Reads `flagged.csv`. */
export function readFlags(text: string, url: string): Flag[] {
  const columns = ['station', 'region', 'reason', 'item', 'official', 'other', 'source', 'detail'];
  return csvRecords(text, url, columns) as unknown as Flag[];
}

/** The format tag of a stations file. */
export const STATIONS_FORMAT = 'fairtally-stations/1';

/** Reads a stations file; stations without usable coordinates are left out. */
export function readStations(value: unknown, url: string): StationPlace[] {
  const v = value as Record<string, unknown> | null;
  if (v?.format !== STATIONS_FORMAT || !Array.isArray(v.stations)) {
    throw new DataError(url, `not a stations file (format ${STATIONS_FORMAT})`);
  }
  return (v.stations as Record<string, unknown>[]).flatMap((s) => {
    const { id, region, latitude, longitude, official } = s ?? {};
    const ok =
      typeof id === 'string' &&
      (region === null || typeof region === 'string') &&
      typeof latitude === 'number' && Math.abs(latitude) <= 90 &&
      typeof longitude === 'number' && Math.abs(longitude) <= 180 &&
      typeof official === 'boolean';
    return ok ? [{ id, region, latitude, longitude, official } as StationPlace] : [];
  });
}

/** One row of the per-region table. */
export interface RegionRow {
  region: string;
  /** Stations of the region in the stations file (undefined without one). */
  stations?: number;
  /** Of them, with an official protocol. */
  withOfficial?: number;
  /** Flagged stations (summary.json). */
  flagged: number;
  /** flagged / withOfficial, when there is a denominator. */
  rate?: number;
}

/** The per-region table: every region of the summary or of the stations, in name order. */
export function regionRows(summary: Summary, stations: StationPlace[] | undefined, unknown: string): RegionRow[] {
  const names = new Set(Object.keys(summary.flagged_by_region));
  const per = new Map<string, { stations: number; withOfficial: number }>();
  for (const s of stations ?? []) {
    const r = s.region ?? unknown;
    names.add(r);
    const row = per.get(r) ?? { stations: 0, withOfficial: 0 };
    row.stations++;
    if (s.official) row.withOfficial++;
    per.set(r, row);
  }
  return [...names].sort().map((region) => {
    const flagged = summary.flagged_by_region[region] ?? 0;
    const p = per.get(region);
    if (!stations) return { region, flagged };
    const withOfficial = p?.withOfficial ?? 0;
    return {
      region,
      stations: p?.stations ?? 0,
      withOfficial,
      flagged,
      rate: withOfficial > 0 ? flagged / withOfficial : undefined,
    };
  });
}

/** The findings grouped by station, stations in the order of their first finding. */
export function flagsByStation(flags: Flag[]): Map<string, Flag[]> {
  const by = new Map<string, Flag[]>();
  for (const f of flags) by.set(f.station, [...(by.get(f.station) ?? []), f]);
  return by;
}
