// The public results page (/results): the verified result with the election fingerprint, and
// how to verify it without trusting this page.
//
// Data (docs/WEB.md): `?verification=URL` (default `verification.json`), the output of
// `fairtally verify RECORD --json`; `?record=URL` (default `record/`), the public record
// directory, for the manifest's titles, the parameters and result.json.

import { startPage } from '../i18n/i18n';
import { dataUrl, el, fetchText, parseJson, renderPage, section, table } from './data';
import { fingerprint, loadElection } from '../protocol/election';
import { PUBLIC_STRINGS, type PublicKey } from './strings';
import { fetchVerification, readTally, sameTally, type Verification, verdictTone } from './verification';

const { language, t } = startPage(PUBLIC_STRINGS);

interface Manifest {
  title?: string;
  contests?: { id: string; title?: string; options?: { id: string; title?: string }[] }[];
}

interface Parameters {
  guardians?: number;
  threshold?: number;
  board?: { operator?: string; witnesses?: unknown[]; quorum?: number };
}

async function optionalJson(url: URL): Promise<unknown> {
  const text = await fetchText(url, true);
  return text === undefined ? undefined : parseJson(text, url.href);
}

const percent = new Intl.NumberFormat(language, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const number = new Intl.NumberFormat(language);

/**
 * The fingerprint this page recomputes from the record's own files (manifest, parameters,
 * guardians, context), with the browser's implementation of docs/PROTOCOL.md; undefined when
 * the record's files are not published next to the verification; an Error when they do not
 * add up.
 */
async function recomputedFingerprint(recordUrl: URL, manifest: unknown, parameters: unknown): Promise<string | Error | undefined> {
  const [context, guardians] = await Promise.all([
    fetchText(new URL('context.json', recordUrl), true),
    fetchText(new URL('guardians.jsonl', recordUrl), true),
  ]);
  if (manifest === undefined || parameters === undefined || context === undefined) return undefined;
  try {
    const election = loadElection({
      manifest,
      parameters,
      context: parseJson(context, new URL('context.json', recordUrl).href),
      guardians: guardians?.split('\n').filter((l) => l !== ''),
    });
    return fingerprint(election);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** What the page says while there is no verification record to show (voting still open). */
function notYetSection(verificationUrl: URL): HTMLElement {
  const s = section('verdict-heading', t('verdictHeading'));
  const p = el('p', t('noVerification', { file: verificationUrl.pathname.split('/').pop() ?? '' }), 'verdict warn');
  p.dataset.testid = 'no-verification';
  p.setAttribute('role', 'status');
  s.append(p);
  return s;
}

function verdictSection(v: Verification, mismatch: boolean, recomputed: string | Error | undefined): HTMLElement {
  const s = section('verdict-heading', t('verdictHeading'));
  const known = ['verified', 'verified-not-pinned', 'not-verified'].includes(v.result);
  const verdict = el(
    'p',
    known ? t(`verdict_${v.result}` as PublicKey) : t('verdictUnknown', { result: v.result }),
    `verdict ${mismatch ? 'bad' : verdictTone(v)}`,
  );
  verdict.dataset.testid = 'verdict';
  verdict.dataset.result = v.result;
  s.append(verdict);
  if (mismatch) {
    const warn = el('p', t('resultMismatch'), 'verdict bad');
    warn.setAttribute('role', 'alert');
    s.append(warn);
  }
  s.append(el('h3', t('fingerprint')));
  if (v.fingerprint) {
    const fp = el('p', v.fingerprint.replace(/(.{8})(?=.)/g, '$1 '), 'mono fingerprint');
    fp.dataset.testid = 'fingerprint';
    fp.setAttribute('aria-label', `${t('fingerprint')}: ${v.fingerprint}`);
    s.append(fp);
    if (recomputed !== undefined) {
      const same = recomputed === v.fingerprint;
      const check = el(
        'p',
        same ? t('fingerprintRecomputed') : t('fingerprintDiffers', { reason: recomputed instanceof Error ? recomputed.message : recomputed }),
        same ? 'ok' : 'verdict bad',
      );
      check.dataset.testid = 'fingerprint-check';
      if (!same) check.setAttribute('role', 'alert');
      s.append(check);
    }
    s.append(el('p', t('fingerprintNote')));
  } else {
    s.append(el('p', t('noFingerprint'), 'error'));
  }
  if (v.checkpoint) {
    s.append(el('h3', t('checkpoint')), el('pre', v.checkpoint.text), el('p', t('checkpointNote')));
  }
  return s;
}

function resultSection(tally: Verification['tally'], manifest: Manifest | undefined): HTMLElement {
  const s = section('result-heading', t('resultHeading'));
  if (!tally) return s;
  s.append(el('p', t('counted', { counted: number.format(tally.counted) })));
  for (const c of tally.contests) {
    const m = manifest?.contests?.find((x) => x.id === c.contest);
    const rows = c.options.map((o) => {
      const title = m?.options?.find((x) => x.id === o.option)?.title ?? o.option;
      const share = tally.counted > 0 ? o.votes / tally.counted : 0;
      return [title, number.format(o.votes), percent.format(share)];
    });
    const wrap = table(m?.title ?? c.contest, [t('option'), t('votes'), t('share')], rows, [false, true, true]);
    // A bar per option, drawn from the share (for sighted readers; the figures are in the cells).
    wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
      const o = c.options[i];
      const cell = tr.lastElementChild;
      if (!o || !cell || tally.counted === 0) return;
      const bar = el('span', undefined, 'bar-cell');
      bar.style.width = `${Math.round((o.votes / tally.counted) * 8 * 10) / 10}rem`;
      bar.setAttribute('aria-hidden', 'true');
      cell.prepend(bar);
    });
    s.append(wrap);
  }
  return s;
}

function ballotsAndChecks(v: Verification): HTMLElement[] {
  const b = v.ballots;
  const ballots = section('ballots-heading', t('ballotsHeading'));
  ballots.append(
    table(
      t('ballotsHeading'),
      [t('ballotsHeading'), t('number')],
      [
        [t('ballotsTotal'), number.format(b.total)],
        [t('ballotsCast'), number.format(b.cast)],
        [t('ballotsChallenged'), number.format(b.challenged)],
        [t('ballotsSuperseded'), number.format(b.superseded)],
        [t('ballotsCounted'), number.format(b.counted)],
      ],
      [false, true],
    ),
  );
  const checks = section('checks-heading', t('checksHeading'));
  checks.append(
    table(
      t('checksHeading'),
      [t('check'), t('passed'), t('failed')],
      v.checks.map((c) => [c.name, number.format(c.passed), number.format(c.failed)]),
      [false, true, true],
    ),
  );
  for (const c of v.checks.filter((c) => c.failures.length > 0)) {
    const list = el('ul', undefined, 'problems');
    for (const f of c.failures.slice(0, 100)) list.append(el('li', `${c.name}: ${f.item}: ${f.reason}`));
    checks.append(list);
  }
  return [ballots, checks];
}

function parametersSection(p: Parameters | undefined): HTMLElement | undefined {
  if (!p) return undefined;
  const s = section('parameters-heading', t('parametersHeading'));
  const list = el('ul');
  if (p.guardians !== undefined) list.append(el('li', t('guardians', { guardians: p.guardians, threshold: p.threshold ?? '?' })));
  if (p.board?.operator) {
    const li = el('li', `${t('boardOperator')}: `);
    li.append(el('code', p.board.operator));
    list.append(li);
  }
  if (p.board) list.append(el('li', t('witnesses', { count: p.board.witnesses?.length ?? 0, quorum: p.board.quorum ?? 0 })));
  s.append(list);
  return s;
}

function howSection(recordUrl: URL, v: Verification): HTMLElement {
  const s = section('how-heading', t('howHeading'));
  s.append(el('p', t('how1')));
  const steps = el('ol');
  const download = el('li');
  const [before, after] = t('how2', { record: '\u0000' }).split('\u0000');
  const link = el('a', recordUrl.href);
  link.href = recordUrl.href;
  download.append(before ?? '', link, after ?? '');
  const run = el('li', t('how4'));
  const fp = v.fingerprint ?? 'FINGERPRINT';
  run.append(el('pre', `fairtally verify record --expect ${fp} --board-policy policy`));
  steps.append(download, el('li', t('how3')), run, el('li', t('how5')));
  s.append(steps, el('p', t('verifiedAt', { seconds: v.seconds.toFixed(2), format: v.format })));
  return s;
}

void renderPage(async () => {
  const verificationUrl = dataUrl('verification', 'verification.json');
  const recordUrl = dataUrl('record', 'record/');
  const v = await fetchVerification(verificationUrl);
  if (!v) return { title: t('resultsTitle'), sections: [notYetSection(verificationUrl)] };
  const [manifest, parameters, result] = await Promise.all(
    ['manifest.json', 'parameters.json', 'result.json'].map((f) => optionalJson(new URL(f, recordUrl)).catch(() => undefined)),
  );
  const m = manifest as Manifest | undefined;
  const published = result === undefined ? undefined : readTally(result, new URL('result.json', recordUrl).href, 'result.json');
  const mismatch = !!(published && v.tally && !sameTally(published, v.tally));
  const recomputed = await recomputedFingerprint(recordUrl, manifest, parameters);
  const sections = [
    verdictSection(v, mismatch, recomputed),
    resultSection(v.tally, m),
    ...ballotsAndChecks(v),
    parametersSection(parameters as Parameters | undefined),
    howSection(recordUrl, v),
  ];
  return {
    title: m?.title ? `${m.title}: ${t('resultsTitle')}` : t('resultsTitle'),
    sections: sections.filter((p): p is HTMLElement => p !== undefined),
  };
});
