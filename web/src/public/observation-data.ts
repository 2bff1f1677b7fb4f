// What the observation page reads: `summary.json` and `flagged.csv` as `fairtally observe
// compare` / `report` write them (crates/observe/src/compare.rs; docs/OBSERVE.md). Shapes are
// checked here; the flags are the Rust comparison's, shown as they are.

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

/** What an observer network found at a station, in words, and who found it. */
export interface Finding {
  source: string;
  finding: string;
}

/** One station of the summary's `map`: every station with coordinates, a flag or a finding. */
export interface MapStation {
  id: string;
  region: string | null;
  coordinates?: { latitude: number; longitude: number };
  /** Why fairtally flags it; empty when it is not flagged. */
  reasons: string[];
  findings?: Finding[];
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
  /** Stations per region: the denominators of the rates (absent from older summaries). */
  stations_by_region: Record<string, number>;
  stations_with_findings: number;
  findings_by_kind: Record<string, number>;
  map: MapStation[];
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
    stations_by_region: counts(s.stations_by_region ?? {}, url, 'stations_by_region'),
    stations_with_findings: isCount(s.stations_with_findings) ? (s.stations_with_findings as number) : 0,
    findings_by_kind: counts(s.findings_by_kind ?? {}, url, 'findings_by_kind'),
    map: mapStations(s.map ?? [], url),
  };
}

const isText = (v: unknown) => typeof v === 'string';

/** Checks the summary's `map`; a station with coordinates out of range is refused. */
function mapStations(value: unknown, url: string): MapStation[] {
  if (!Array.isArray(value)) throw new DataError(url, 'map is not a list');
  for (const [i, m] of (value as Record<string, unknown>[]).entries()) {
    const bad = (why: string) => new DataError(url, `map, station ${i + 1}: ${why}`);
    if (typeof m !== 'object' || m === null || !isText(m.id)) throw bad('no id');
    if (m.region !== null && !isText(m.region)) throw bad('region is not text');
    if (!Array.isArray(m.reasons) || !m.reasons.every(isText)) throw bad('reasons are not a list of names');
    if (m.coordinates !== undefined) {
      const c = m.coordinates as Record<string, unknown> | null;
      const { latitude, longitude } = c ?? {};
      if (typeof latitude !== 'number' || typeof longitude !== 'number' || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
        throw bad('coordinates out of range');
      }
    }
    if (m.findings !== undefined && !(Array.isArray(m.findings) && m.findings.every((f: Record<string, unknown>) => isText(f?.source) && isText(f?.finding)))) {
      throw bad('findings are malformed');
    }
  }
  return value as MapStation[];
}

/** Reads `flagged.csv`. */
export function readFlags(text: string, url: string): Flag[] {
  const columns = ['station', 'region', 'reason', 'item', 'official', 'other', 'source', 'detail'];
  return csvRecords(text, url, columns) as unknown as Flag[];
}

/** One row of the per-region table. */
export interface RegionRow {
  region: string;
  /** Stations of the region (undefined when the summary does not say). */
  stations?: number;
  /** Flagged stations. */
  flagged: number;
  /** flagged / stations. */
  rate?: number;
  /** Stations with a finding of an observer network. */
  withFindings: number;
}

/** The per-region table: every region of the summary, in name order. */
export function regionRows(summary: Summary): RegionRow[] {
  const names = new Set([...Object.keys(summary.flagged_by_region), ...Object.keys(summary.stations_by_region)]);
  const findings = new Map<string, number>();
  for (const m of summary.map) {
    if (!m.findings?.length) continue;
    const r = m.region ?? '(unknown)';
    findings.set(r, (findings.get(r) ?? 0) + 1);
  }
  return [...names].sort().map((region) => {
    const flagged = summary.flagged_by_region[region] ?? 0;
    const stations = summary.stations_by_region[region];
    return {
      region,
      stations,
      flagged,
      rate: stations ? flagged / stations : undefined,
      withFindings: findings.get(region) ?? 0,
    };
  });
}

/** The findings grouped by station, stations in the order of their first finding. */
export function flagsByStation(flags: Flag[]): Map<string, Flag[]> {
  const by = new Map<string, Flag[]>();
  for (const f of flags) by.set(f.station, [...(by.get(f.station) ?? []), f]);
  return by;
}
