// What this device keeps about the voter's ballots between visits: the code, the election's
// files and fingerprint, the inclusion proof and the checkpoint it was checked under
// (localStorage, on this device only; nothing secret is in it).
import type { KeptBallot } from '../board/tracker.ts';

const KEY = 'fairtally-kept-ballots';

function all(): Record<string, KeptBallot> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, KeptBallot>;
  } catch {
    return {};
  }
}

/** The kept record of `code`, if any. */
export function keptBallot(code: string): KeptBallot | undefined {
  return all()[code];
}

/** Keeps (or replaces) the record of a ballot. */
export function keepBallot(kept: KeptBallot): void {
  const records = all();
  records[kept.code] = kept;
  localStorage.setItem(KEY, JSON.stringify(records));
}

/** Every code this device keeps, newest last. */
export function keptCodes(): string[] {
  return Object.keys(all());
}

/** Keeps the signed checkpoints of an alarm as evidence, beside the ballot's record. */
export function keepEvidence(code: string, notes: string[]): void {
  const key = `${KEY}-evidence-${code}`;
  const old = JSON.parse(localStorage.getItem(key) ?? '[]') as string[];
  localStorage.setItem(key, JSON.stringify([...new Set([...old, ...notes])]));
}
