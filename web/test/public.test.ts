import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

import { LANGUAGES, chooseLanguage, translator } from '../src/i18n/i18n';
import { OBSERVE_STRINGS } from '../src/observe/strings';
import { csvRecords, dataUrl, parseCsv } from '../src/public/data';
import { type Dot, extentOf, projection } from '../src/public/map';
import { readFlags, readSummary, regionRows } from '../src/public/observation-data';
import { PUBLIC_STRINGS } from '../src/public/strings';
import { fetchVerification, readTally, readVerification, sameTally, verdictTone } from '../src/public/verification';

describe('data files', () => {
  it('finds inputs by query parameter relative to the page, else next to it', () => {
    const page = new URL('https://example.org/e/observation?summary=by/summary.json');
    expect(dataUrl('summary', 'summary.json', page).href).toBe('https://example.org/e/by/summary.json');
    expect(dataUrl('flagged', 'flagged.csv', page).href).toBe('https://example.org/e/flagged.csv');
  });

  it('parses CSV with quotes, doubled quotes, commas and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n\n1,\n')).toEqual([['a', 'b'], ['x, y', 'say "hi"'], [''], ['1', '']]);
    expect(csvRecords('id,v\n1,2\n', 'f.csv', ['id'])).toEqual([{ id: '1', v: '2' }]);
    expect(() => csvRecords('id\n1\n', 'f.csv', ['id', 'v'])).toThrow('f.csv: no column v');
  });
});

const summary = {
  election: 'E',
  options: [{ id: 'a', name: 'A' }],
  stations: 5,
  stations_with_official: 4,
  stations_with_observers: 0,
  stations_with_voters: 5,
  confirmed_exceeds_official: [{ item: 'votes:a', compared: 4, flagged: 2, official_total: 10, other_total: 14, excess_total: 4 }],
  reported_exceeds_official: [],
  observed_vs_official: [],
  observers_disagree: {},
  checks: [{ source: 'official', check: 'counted_at_most_issued', rule: 'r', applied: 4, failed: 1 }],
  flagged_stations: 3,
  flagged_by_region: { '01': 2, '02': 1 },
  flagged_by_reason: { confirmed_exceeds_official: 2, inconsistent_protocol: 1 },
  stations_by_region: { '01': 4, '02': 1 },
  stations_with_findings: 1,
  findings_by_kind: { 'observers not let in': 1 },
  map: [
    { id: 's1', region: '01', coordinates: { latitude: 53.9, longitude: 27.5 }, reasons: ['confirmed_exceeds_official'] },
    { id: 's2', region: '01', coordinates: { latitude: 52.1, longitude: 23.7 }, reasons: [], findings: [{ source: 'Zubr', finding: 'observers not let in' }] },
    { id: 's3', region: '02', reasons: ['inconsistent_protocol'] },
  ],
};

describe('the observation summary', () => {
  it('reads a summary and computes the regions with their rates', () => {
    const s = readSummary(structuredClone(summary), 'summary.json');
    expect(regionRows(s)).toEqual([
      { region: '01', stations: 4, flagged: 2, rate: 0.5, withFindings: 1 },
      { region: '02', stations: 1, flagged: 1, rate: 1, withFindings: 0 },
    ]);
  });

  it('reads an older summary without map or station counts: no rates', () => {
    const { map: _m, stations_by_region: _s, ...old } = structuredClone(summary);
    const s = readSummary(old, 'summary.json');
    expect(s.map).toEqual([]);
    expect(regionRows(s)[0]).toEqual({ region: '01', stations: undefined, flagged: 2, rate: undefined, withFindings: 0 });
  });

  it('refuses malformed summaries, naming the file and the part', () => {
    const broken = (change: (s: Record<string, unknown>) => void) => {
      const s: Record<string, unknown> = structuredClone(summary);
      change(s);
      return () => readSummary(s, 'by/summary.json');
    };
    expect(broken((s) => (s.flagged_by_region = { '01': -1 }))).toThrow('by/summary.json: flagged_by_region is not a table of counts');
    expect(broken((s) => (s.stations = '5'))).toThrow('stations is not a count');
    expect(broken((s) => ((s.map as { coordinates?: unknown }[])[0]!.coordinates = { latitude: 91, longitude: 0 }))).toThrow('map, station 1: coordinates out of range');
    expect(broken((s) => ((s.confirmed_exceeds_official as { flagged: unknown }[])[0]!.flagged = null))).toThrow('a comparison is malformed');
  });

  it('reads flagged.csv as fairtally observe compare writes it', () => {
    const flags = readFlags(
      'station,region,reason,item,official,other,source,detail\n01-1,01,confirmed_exceeds_official,votes:a,127,194,voters,"194 voters showed a photo, official 127"\n',
      'flagged.csv',
    );
    expect(flags[0]).toMatchObject({ station: '01-1', item: 'votes:a', official: '127', detail: '194 voters showed a photo, official 127' });
    expect(() => readFlags('station,region\n', 'flagged.csv')).toThrow('no column reason');
  });
});

describe('the map projection', () => {
  const dot = (latitude: number, longitude: number): Dot => ({ id: `${latitude},${longitude}`, latitude, longitude, kind: 'other' });

  it('keeps the bulk of the stations and leaves far-away ones out', () => {
    const dots = [...Array.from({ length: 200 }, (_, i) => dot(52 + (i % 20) / 5, 24 + Math.floor(i / 20) / 2)), dot(40.4, 49.9)];
    const e = extentOf(dots);
    expect(e.minLat).toBeGreaterThan(51);
    expect(e.maxLon).toBeLessThan(30);
    const { project, height } = projection(e, 800);
    const [x0, y0] = project(e.maxLat, e.minLon);
    const [x1, y1] = project(e.minLat, e.maxLon);
    expect([x0, y0]).toEqual([0, 0]);
    expect(x1).toBeCloseTo(800);
    expect(y1).toBeCloseTo(height);
    // North is up, and a degree of longitude is shorter than one of latitude at 54° N.
    expect(project(55, 27)[1]).toBeLessThan(project(53, 27)[1]);
    expect(project(53, 28)[0] - project(53, 27)[0]).toBeLessThan(project(53, 27)[1] - project(54, 27)[1]);
  });
});

describe('verification records', () => {
  const tally = JSON.parse(readFileSync('../docs/vectors/record/result.json', 'utf8'));
  const record = {
    format: 'fairtally-verification/1',
    record: 'r',
    result: 'verified-not-pinned',
    valid: true,
    pinned: { fingerprint: false, board_policy: false },
    fingerprint: 'ab'.repeat(32),
    checkpoint: { origin: 'o', size: 1, root: '00', text: 'o\n1\nAA==\n' },
    checks: [{ name: 'manifest', passed: 1, failed: 0, failures: [] }],
    ballots: { total: 1, cast: 1, challenged: 0, superseded: 0, counted: 1 },
    tally,
    seconds: 0.5,
  };

  it('reads the record and compares tallies', () => {
    const v = readVerification(structuredClone(record), 'v.json');
    expect(verdictTone(v)).toBe('warn');
    expect(verdictTone({ ...v, result: 'verified' })).toBe('good');
    expect(verdictTone({ ...v, valid: false, result: 'not-verified' })).toBe('bad');
    const published = readTally(tally, 'result.json');
    expect(sameTally(published, v.tally!)).toBe(true);
    const changed = structuredClone(tally);
    changed.contests[1].options[0].votes += 1;
    expect(sameTally(readTally(changed, 'result.json'), v.tally!)).toBe(false);
  });

  it('fetches the record; a 404 is no record yet (voting open), other failures name the file', async () => {
    const answers: Record<string, Response> = {
      '/ok.json': new Response(JSON.stringify(record)),
      '/missing.json': new Response('not found', { status: 404 }),
      '/broken.json': new Response('oops', { status: 500 }),
    };
    vi.stubGlobal('fetch', async (url: URL) => answers[url.pathname] ?? new Response('', { status: 404 }));
    try {
      const base = 'http://board.example/';
      expect((await fetchVerification(new URL('ok.json', base)))?.fingerprint).toBe(record.fingerprint);
      expect(await fetchVerification(new URL('missing.json', base))).toBeUndefined();
      await expect(fetchVerification(new URL('broken.json', base))).rejects.toThrow('broken.json: the server answered 500');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('says in every language that there is no verified result yet', () => {
    const messages = LANGUAGES.map(({ code }) => translator(PUBLIC_STRINGS, code)('noVerification', { file: 'verification.json' }));
    expect(messages[0]).toMatch(/no verified result yet: voting is still open/);
    expect(new Set(messages).size).toBe(LANGUAGES.length);
    for (const m of messages) expect(m).toContain('verification.json');
  });

  it('refuses another format, a bad fingerprint, a malformed tally', () => {
    expect(() => readVerification({ ...record, format: 'x/2' }, 'v.json')).toThrow('v.json: format "x/2"');
    expect(() => readVerification({ ...record, fingerprint: 'AB' }, 'v.json')).toThrow('fingerprint');
    expect(() => readVerification({ ...record, tally: { counted: 1, contests: [{ contest: 'c', options: [{ option: 'o', votes: -1 }] }] } }, 'v.json')).toThrow('malformed option');
  });
});

describe('translations', () => {
  it('chooses a shipped language, else English', () => {
    expect(chooseLanguage('ru', ['en-GB'])).toBe('ru');
    expect(chooseLanguage(null, ['uk-UA', 'ru-RU'])).toBe('ru');
    expect(chooseLanguage('xx', ['de'])).toBe('en');
  });

  it('fills placeholders and falls back to English for a missing string', () => {
    const t = translator({ en: { a: 'A {n}', b: 'B' }, ru: { a: 'А {n}' } }, 'ru');
    expect(t('a', { n: 3 })).toBe('А 3');
    expect(t('b')).toBe('B');
  });

  it('every Russian string keeps the placeholders of its English original', () => {
    for (const catalogues of [OBSERVE_STRINGS, PUBLIC_STRINGS] as Record<string, Record<string, string>>[]) {
      for (const [key, ru] of Object.entries(catalogues.ru ?? {})) {
        const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(names(ru), key).toEqual(names(catalogues.en?.[key] ?? ''));
      }
      const missing = Object.keys(catalogues.en ?? {}).filter((k) => !(k in (catalogues.ru ?? {})));
      expect(missing).toEqual([]);
    }
  });
});
