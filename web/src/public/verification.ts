// The verification record `fairtally verify RECORD --json` prints (docs/PROTOCOL.md, 9.1),
// checked for shape before a page shows any of it. The verdict is the verifier's; the page
// shows it whole and adds one cross-check of its own: the record's result.json must be the
// tally the verifier computed, or someone changed the file after verification.

import { DataError, fetchText, parseJson } from './data';

/** One contest's votes, as in result.json. */
export interface ContestTally {
  contest: string;
  options: { option: string; votes: number }[];
}

/** A tally: ballots counted and the votes per contest. */
export interface Tally {
  counted: number;
  contests: ContestTally[];
}

/** The parts of a verification record the results page shows. */
export interface Verification {
  format: string;
  result: string;
  valid: boolean;
  pinned: { fingerprint: boolean; board_policy: boolean };
  fingerprint: string | null;
  checkpoint: { origin: string; size: number; root: string; text: string } | null;
  checks: { name: string; passed: number; failed: number; failures: { item: string; reason: string }[] }[];
  ballots: { total: number; cast: number; challenged: number; superseded: number; counted: number };
  tally: Tally | null;
  seconds: number;
}

type Shape = 'string' | 'number' | 'boolean' | 'object' | 'array';

function is(value: unknown, shape: Shape): boolean {
  if (shape === 'array') return Array.isArray(value);
  if (shape === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (shape === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === shape;
}

function need(url: string, value: unknown, shape: Shape, what: string): void {
  if (!is(value, shape)) throw new DataError(url, `${what} is not ${shape === 'array' || shape === 'object' ? 'an' : 'a'} ${shape}`);
}

const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a tally's shape (result.json, or a verification record's `tally`). */
export function readTally(value: unknown, url: string, what = 'the tally'): Tally {
  need(url, value, 'object', what);
  const t = value as Record<string, unknown>;
  if (!count(t.counted)) throw new DataError(url, `${what}: counted is not a count`);
  need(url, t.contests, 'array', `${what}: contests`);
  for (const [i, c] of (t.contests as unknown[]).entries()) {
    const contest = c as Record<string, unknown>;
    need(url, c, 'object', `${what}: contest ${i + 1}`);
    need(url, contest.contest, 'string', `${what}: contest ${i + 1} id`);
    need(url, contest.options, 'array', `${what}: contest ${i + 1} options`);
    for (const o of contest.options as Record<string, unknown>[]) {
      if (!is(o, 'object') || typeof o.option !== 'string' || !count(o.votes)) {
        throw new DataError(url, `${what}: contest ${String(contest.contest)} has a malformed option`);
      }
    }
  }
  return t as unknown as Tally;
}

/**
 * The verification record at `url`, read and checked; `undefined` when the server has none
 * (404): no record has been verified and published there yet, as while voting is still open.
 * Any other failure is an error naming the file.
 */
export async function fetchVerification(url: URL): Promise<Verification | undefined> {
  const text = await fetchText(url, true);
  return text === undefined ? undefined : readVerification(parseJson(text, url.href), url.href);
}

/** Checks a verification record's shape; refuses another format. */
export function readVerification(value: unknown, url: string): Verification {
  need(url, value, 'object', 'the verification record');
  const v = value as Record<string, unknown>;
  if (v.format !== 'fairtally-verification/1') {
    throw new DataError(url, `format ${JSON.stringify(v.format)} is not fairtally-verification/1`);
  }
  need(url, v.result, 'string', 'result');
  need(url, v.valid, 'boolean', 'valid');
  need(url, v.pinned, 'object', 'pinned');
  if (v.fingerprint !== null && !(typeof v.fingerprint === 'string' && /^[0-9a-f]{64}$/.test(v.fingerprint))) {
    throw new DataError(url, 'fingerprint is not 64 hexadecimal digits');
  }
  if (v.checkpoint !== null) {
    need(url, v.checkpoint, 'object', 'checkpoint');
    const c = v.checkpoint as Record<string, unknown>;
    need(url, c.text, 'string', 'checkpoint text');
  }
  need(url, v.checks, 'array', 'checks');
  for (const c of v.checks as Record<string, unknown>[]) {
    if (!is(c, 'object') || typeof c.name !== 'string' || !count(c.passed) || !count(c.failed) || !Array.isArray(c.failures)) {
      throw new DataError(url, 'a check is malformed');
    }
  }
  need(url, v.ballots, 'object', 'ballots');
  const tally = v.tally === null ? null : readTally(v.tally, url);
  need(url, v.seconds, 'number', 'seconds');
  return { ...(v as unknown as Verification), tally };
}

/** True when two tallies hold the same counts for the same contests and options, in order. */
export function sameTally(a: Tally, b: Tally): boolean {
  return (
    a.counted === b.counted &&
    a.contests.length === b.contests.length &&
    a.contests.every((c, i) => {
      const d = b.contests[i];
      return (
        d !== undefined &&
        c.contest === d.contest &&
        c.options.length === d.options.length &&
        c.options.every((o, j) => o.option === d.options[j]?.option && o.votes === d.options[j]?.votes)
      );
    })
  );
}

/** How a page should present a verdict: good, a warning, or bad. */
export function verdictTone(v: Verification): 'good' | 'warn' | 'bad' {
  if (!v.valid || v.result === 'not-verified') return 'bad';
  if (v.result === 'verified') return 'good';
  return 'warn';
}
