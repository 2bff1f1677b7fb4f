// The public observation page (/observation): official against observed, the flagged
// stations with the reason in words, per-region tables with rates, and a map of stations.
//
// Data (docs/WEB.md): `?summary=URL` (default `summary.json`) and `?flagged=URL` (default
// `flagged.csv`), as `fairtally observe compare` writes them; the map and the regions' station
// counts come from the summary's `map` and `stations_by_region`.

import { startPage } from '../i18n/i18n';
import { dataUrl, el, fetchText, parseJson, renderPage, section, table } from './data';
import { COLOURS, type Dot, drawMap } from './map';
import {
  type Flag,
  type ItemComparison,
  type Summary,
  flagsByStation,
  readFlags,
  readSummary,
  regionRows,
} from './observation-data';
import { PUBLIC_STRINGS, type PublicKey } from './strings';

const { language, t } = startPage(PUBLIC_STRINGS);

const number = new Intl.NumberFormat(language);
const percent = new Intl.NumberFormat(language, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
/** Findings listed before "Show all". */
const FIRST_FINDINGS = 300;

/** A figure's name in words: `votes:ID` is the option's votes, else a result-sheet field. */
function itemName(item: string, summary: Summary): string {
  if (item.startsWith('votes:')) {
    const id = item.slice(6);
    return t('votesFor', { option: summary.options.find((o) => o.id === id)?.name ?? id });
  }
  const field = `field_${item}` as PublicKey;
  return field in PUBLIC_STRINGS.en ? t(field) : item;
}

/** Why a station is flagged, in words. */
function reasonText(f: Flag, summary: Summary): string {
  const key = `reason_${f.reason}` as PublicKey;
  if (!(key in PUBLIC_STRINGS.en)) return f.reason;
  const check = `check_${f.item}` as PublicKey;
  const item = f.reason === 'inconsistent_protocol' && check in PUBLIC_STRINGS.en ? t(check) : itemName(f.item, summary);
  const source = f.source === 'official' ? t('sourceOfficial') : f.source === 'voters' ? t('sourceVoters') : t('sourceObserver');
  return t(key, { item, source });
}

function overview(summary: Summary): HTMLElement {
  const s = section('overview-heading', t('overviewHeading'));
  s.append(
    el('p', t('overview', {
      stations: number.format(summary.stations),
      official: number.format(summary.stations_with_official),
      observers: number.format(summary.stations_with_observers),
      voters: number.format(summary.stations_with_voters),
    })),
  );
  const flagged = el('p', t('flaggedOverview', { flagged: number.format(summary.flagged_stations) }), 'verdict warn');
  flagged.dataset.testid = 'flagged-stations';
  s.append(flagged);
  return s;
}

function comparisons(summary: Summary): HTMLElement {
  const s = section('comparison-heading', t('comparisonHeading'));
  const kinds = ['confirmed_exceeds_official', 'reported_exceeds_official', 'observed_vs_official'] as const;
  for (const kind of kinds) {
    const rows: ItemComparison[] = summary[kind];
    if (rows.length === 0 && kind === 'observed_vs_official' && summary.stations_with_observers === 0) continue;
    const caption = t(`comparison_${kind}` as PublicKey);
    if (rows.length === 0) {
      s.append(el('h3', caption), el('p', t('noComparison')));
      continue;
    }
    s.append(
      table(
        caption,
        [t('item'), t('compared'), t('flaggedStations'), t('officialTotal'), t('otherTotal'), t('excessTotal')],
        rows.map((r) => [itemName(r.item, summary), ...[r.compared, r.flagged, r.official_total, r.other_total, r.excess_total].map((n) => number.format(n))]),
        [false, true, true, true, true, true],
      ),
    );
  }
  if (summary.checks.length > 0) {
    const sourceName = (x: string) => (x === 'official' ? t('sourceOfficial') : x === 'voters' ? t('sourceVoters') : t('sourceObserver'));
    s.append(
      table(
        t('checksTitle'),
        [t('source'), t('rule'), t('applied'), t('failed')],
        summary.checks.map((c) => {
          const rule = `check_${c.check}` as PublicKey;
          return [sourceName(c.source), rule in PUBLIC_STRINGS.en ? t(rule) : c.rule, number.format(c.applied), number.format(c.failed)];
        }),
        [false, false, true, true],
      ),
    );
  }
  return s;
}

function regions(summary: Summary): HTMLElement {
  const s = section('regions-heading', t('regionsHeading'));
  const rows = regionRows(summary);
  const counted = Object.keys(summary.stations_by_region).length > 0;
  const networks = summary.stations_with_findings > 0;
  const headers = [t('region'), ...(counted ? [t('stationsInRegion')] : []), t('flaggedInRegion'), ...(counted ? [t('rate')] : []), ...(networks ? [t('withFindings')] : [])];
  const body = rows.map((r) => [
    r.region,
    ...(counted ? [number.format(r.stations ?? 0)] : []),
    number.format(r.flagged),
    ...(counted ? [r.rate === undefined ? '—' : percent.format(r.rate)] : []),
    ...(networks ? [number.format(r.withFindings)] : []),
  ]);
  const wrap = table(t('regionsHeading'), headers, body, headers.map((_, i) => i > 0), 'regions-heading');
  wrap.dataset.testid = 'regions';
  s.append(wrap);
  const kinds = Object.entries(summary.findings_by_kind).sort((a, b) => b[1] - a[1]);
  if (kinds.length > 0) {
    const sources = [...new Set(summary.map.flatMap((m) => (m.findings ?? []).map((f) => f.source)))].join(', ');
    s.append(
      table(
        t('networkFindings', { sources }),
        [t('finding'), t('stationsWithFinding')],
        kinds.map(([kind, n]) => [kind, number.format(n)]),
        [false, true],
      ),
    );
  }
  return s;
}

function mapSection(summary: Summary): HTMLElement {
  const s = section('map-heading', t('mapHeading'));
  const placed = summary.map.filter((m) => m.coordinates);
  if (placed.length === 0) {
    s.append(el('p', t('noCoordinates')));
    return s;
  }
  const dots: Dot[] = placed.map((m) => ({
    id: m.id,
    latitude: m.coordinates?.latitude ?? 0,
    longitude: m.coordinates?.longitude ?? 0,
    kind: m.reasons.length > 0 ? 'flagged' : m.findings?.length ? 'finding' : 'other',
  }));
  const n = (k: Dot['kind']) => number.format(dots.filter((d) => d.kind === k).length);
  const description = t('mapDescription', { shown: number.format(dots.length), flagged: n('flagged'), finding: n('finding'), other: n('other') });
  const { element, outside } = drawMap(dots, t('mapHeading'), description);
  const legend = el('ul', undefined, 'legend');
  for (const [kind, label] of [['flagged', 'legendFlagged'], ['finding', 'legendFinding'], ['other', 'legendOther']] as const) {
    const li = el('li');
    const dot = el('span', undefined, 'dot');
    dot.style.background = COLOURS[kind];
    dot.setAttribute('aria-hidden', 'true');
    li.append(dot, t(label));
    legend.append(li);
  }
  const details = el('details');
  details.append(el('summary', t('mapTableSummary')));
  details.append(
    table(
      t('mapTableSummary'),
      [t('station'), t('region'), t('latitude'), t('longitude'), t('reason')],
      placed
        .filter((m) => m.reasons.length > 0)
        .map((m) => [
          m.id,
          m.region ?? '',
          m.coordinates?.latitude.toFixed(4) ?? '',
          m.coordinates?.longitude.toFixed(4) ?? '',
          m.reasons.map((r) => t(`reasonShort_${r}` as PublicKey)).join('; '),
        ]),
      [false, false, true, true, false],
    ),
  );
  s.append(element, legend, el('p', description));
  if (outside > 0) s.append(el('p', t('outsideMap', { outside: number.format(outside) })));
  s.append(el('p', t('mapNote')), details);
  return s;
}

function findings(summary: Summary, flags: Flag[]): HTMLElement {
  const s = section('flags-heading', t('flagsHeading'));
  const byStation = flagsByStation(flags);
  const render = (limit: number) => {
    const rows: string[][] = [];
    for (const [station, list] of byStation) {
      for (const f of list) {
        if (rows.length >= limit) break;
        const figures =
          f.official !== '' || f.other !== '' ? t('officialAndOther', { official: f.official || '—', other: f.other || '—' }) : f.detail;
        rows.push([station, f.region, reasonText(f, summary), figures]);
      }
    }
    return rows;
  };
  const holder = el('div');
  const show = (limit: number) => {
    const rows = render(limit);
    const wrap = table(t('flagsHeading'), [t('station'), t('region'), t('reason'), t('detail')], rows, [], 'flags-heading');
    wrap.querySelectorAll('tbody td:first-child').forEach((td) => td.classList.add('id'));
    wrap.dataset.testid = 'findings';
    holder.replaceChildren(wrap, el('p', t('showing', { shown: number.format(rows.length), total: number.format(flags.length) })));
    if (rows.length < flags.length) {
      const more = el('button', t('showAll'));
      more.type = 'button';
      more.addEventListener('click', () => show(flags.length));
      holder.append(more);
    }
  };
  show(FIRST_FINDINGS);
  s.append(holder);
  return s;
}

void renderPage(async () => {
  const summaryUrl = dataUrl('summary', 'summary.json');
  const flaggedUrl = dataUrl('flagged', 'flagged.csv');
  const [summaryText, flaggedText] = await Promise.all([fetchText(summaryUrl), fetchText(flaggedUrl)]);
  const summary = readSummary(parseJson(summaryText ?? '', summaryUrl.href), summaryUrl.href);
  const flags = readFlags(flaggedText ?? '', flaggedUrl.href);
  return {
    title: `${summary.election}: ${t('observationTitle')}`,
    sections: [
      overview(summary),
      comparisons(summary),
      regions(summary),
      mapSection(summary),
      findings(summary, flags),
      el('p', t('sourcesNote', { summary: summaryUrl.href, flagged: flaggedUrl.href })),
    ],
  };
});
