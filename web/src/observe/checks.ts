// The arithmetic every honest result sheet satisfies, as crates/observe/src/checks.rs states
// it, so the observer sees a mistyped figure while typing rather than after signing. The
// server's verdict stays the Rust one; these are the same rules shown early.

import type { StationProtocol } from './signed';

/** One arithmetic rule of a result sheet (`Check`), by its name in JSON and CSV output. */
export type Check =
  | 'counted_is_valid_plus_invalid'
  | 'votes_sum_to_valid'
  | 'issued_at_most_received'
  | 'issued_plus_cancelled_at_most_received'
  | 'turnout_at_most_100'
  | 'counted_at_most_issued'
  | 'option_at_most_valid';

/** A rule the protocol breaks, with the figures that break it and the fields involved. */
export interface Failure {
  check: Check;
  /** The figures, as the Rust checks spell them (`counted 1590 ≠ valid 1571 + invalid 20`). */
  detail: string;
  /** Form fields to mark: figure names, or `votes:<index>` for an option's votes. */
  fields: string[];
}

/** Every rule `protocol` breaks; a rule applies only when every figure it needs is given. */
export function checkProtocol(p: StationProtocol): Failure[] {
  const failures: Failure[] = [];
  const fail = (check: Check, detail: string, fields: string[]) =>
    failures.push({ check, detail, fields });
  const { ballots_counted: c, valid: v, invalid: inv, ballots_issued: i } = p;
  const r = p.ballots_received;
  if (c !== null && v !== null && inv !== null && v + inv !== c) {
    fail('counted_is_valid_plus_invalid', `counted ${c} ≠ valid ${v} + invalid ${inv}`, [
      'ballots_counted',
      'valid',
      'invalid',
    ]);
  }
  const allVotes = p.votes.every((x) => x !== null)
    ? p.votes.reduce<number>((s, x) => s + (x ?? 0), 0)
    : null;
  if (allVotes !== null && v !== null && allVotes !== v) {
    fail('votes_sum_to_valid', `votes ${allVotes} ≠ valid ${v}`, [
      'valid',
      ...p.votes.map((_, o) => `votes:${o}`),
    ]);
  }
  if (i !== null && r !== null) {
    if (i > r) {
      fail('issued_at_most_received', `issued ${i} > received ${r}`, [
        'ballots_issued',
        'ballots_received',
      ]);
    }
    const cancelled = p.ballots_cancelled;
    if (cancelled !== null && i + cancelled > r) {
      fail(
        'issued_plus_cancelled_at_most_received',
        `issued ${i} + cancelled ${cancelled} > received ${r}`,
        ['ballots_issued', 'ballots_cancelled', 'ballots_received'],
      );
    }
  }
  if (i !== null && p.registered !== null && i > p.registered) {
    fail('turnout_at_most_100', `issued ${i} > registered ${p.registered}`, [
      'ballots_issued',
      'registered',
    ]);
  }
  if (c !== null && i !== null && c > i) {
    fail('counted_at_most_issued', `counted ${c} > issued ${i}`, [
      'ballots_counted',
      'ballots_issued',
    ]);
  }
  if (v !== null && p.votes.some((x) => x !== null)) {
    const over = p.votes.flatMap((n, o) => (n !== null && n > v ? [o] : []));
    if (over.length > 0) {
      fail(
        'option_at_most_valid',
        `${over.map((o) => `option ${o}: ${p.votes[o]}`).join(', ')} > valid ${v}`,
        ['valid', ...over.map((o) => `votes:${o}`)],
      );
    }
  }
  return failures;
}

/** Options without a vote figure when others have one (`Submission::concerns`). */
export function missingVotes(p: StationProtocol): number[] {
  const missing = p.votes.flatMap((x, o) => (x === null ? [o] : []));
  return missing.length > 0 && missing.length < p.votes.length ? missing : [];
}

/** True when the protocol holds no figure at all: nothing to sign. */
export function isEmptyProtocol(p: StationProtocol): boolean {
  const { votes, ...figures } = p;
  return Object.values(figures).every((x) => x === null) && votes.every((x) => x === null);
}
