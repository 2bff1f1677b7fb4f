// The encoder against the Rust implementation: ballots encrypted, proved and signed here are
// accepted by `fairtally authority accept`, counted, and the finished record passes
// `fairtally verify`; the tracker then finds each of them on the record's board. Needs the
// binary (`cargo build --release -p fairtally`, or FAIRTALLY_BIN=path).
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { trackBallot } from '../src/board/tracker.ts';
import type { FileReader } from '../src/board/tiles.ts';
import { castBallot, challengeBallot, encryptBallot } from '../src/protocol/ballot.ts';
import { parseCredential } from '../src/protocol/credential.ts';
import { type Election, fingerprint, loadElection } from '../src/protocol/election.ts';
// @ts-expect-error: plain JavaScript shared with the end-to-end tests
import { BIN, accept, fairtally, finishAndVerify, openElection, tempDir } from '../e2e/support/fairtally.mjs';
// @ts-expect-error: plain JavaScript shared with the end-to-end tests
import { forkWithout } from '../e2e/support/fork.mjs';

const dir: string = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readDir =
  (root: string): FileReader =>
  async (path, limit) => {
    const file = join(root, path);
    if (!existsSync(file)) return null;
    if (statSync(file).size > limit) throw new Error(`${path} too large`);
    return new Uint8Array(readFileSync(file));
  };

function marksFor(e: Election, choices: Record<string, string[]>): boolean[][] {
  return e.manifest.contests.map((c) => c.options.map((o) => (choices[c.id] ?? []).includes(o.id)));
}

describe('ballots from this encoder in the Rust ballot box', () => {
  it('finds the binary', () => {
    expect(existsSync(BIN), `no fairtally binary at ${BIN}`).toBe(true);
  });

  it('are accepted, counted and verified, and tracked on the finished board', async () => {
    const election = openElection(dir, 3);
    const record = (f: string) => JSON.parse(readFileSync(join(election.record, f), 'utf8'));
    const guardians = readFileSync(join(election.record, 'guardians.jsonl'), 'utf8').trim().split('\n');
    const e = loadElection({ manifest: record('manifest.json'), parameters: record('parameters.json'), context: record('context.json'), guardians });
    expect(fingerprint(e)).toBe(record('context.json').base_hash);
    const [v1, v2, v3] = (election.voters as string[]).map(parseCredential);
    const ballot = (c: typeof v1, choices: Record<string, string[]>) => encryptBallot(e, c!.public, marksFor(e, choices));
    const first = ballot(v1, { president: ['adams'], 'referendum-priorities': ['parks'] });
    const challenged = ballot(v2, { president: ['baker'], 'referendum-priorities': [] });
    const challengedLine = challengeBallot(challenged, v2!);
    const second = ballot(v2, { president: ['chen'], 'referendum-priorities': ['schools', 'housing'] });
    const revote = ballot(v1, { president: ['chen'], 'referendum-priorities': ['transit'] });
    const third = ballot(v3, { president: ['against-all'], 'referendum-priorities': [] });
    const lines = [castBallot(first, v1!), challengedLine, castBallot(second, v2!), castBallot(revote, v1!), castBallot(third, v3!)];
    accept(election, lines);
    const lookup = (code: string) => JSON.parse(fairtally(['voter', 'lookup', '--record', election.record, '--code', code, '--json']));
    expect(lookup(first.code).status).toBe('superseded');
    expect(lookup(challenged.code).status).toBe('challenged');
    expect(lookup(revote.code).status).toBe('cast');

    const verified = finishAndVerify(election);
    expect(verified.valid, JSON.stringify(verified.checks.filter((c: { failed: number }) => c.failed > 0))).toBe(true);
    expect(verified.ballots).toMatchObject({ total: 5, cast: 4, challenged: 1, superseded: 1, counted: 3 });
    const votes = Object.fromEntries(
      verified.tally.contests.flatMap((c: { contest: string; options: { option: string; votes: number }[] }) => c.options.map((o) => [`${c.contest}/${o.option}`, o.votes])),
    );
    expect(votes).toMatchObject({ 'president/chen': 2, 'president/against-all': 1, 'president/adams': 0, 'president/baker': 0, 'referendum-priorities/transit': 1, 'referendum-priorities/schools': 1, 'referendum-priorities/housing': 1, 'referendum-priorities/parks': 0 });

    const read = readDir(join(election.record, 'board'));
    const statuses = [];
    for (const code of [first.code, challenged.code, second.code, revote.code, third.code]) {
      const report = await trackBallot({ read, code, fingerprint: fingerprint(e), nowSecs: Date.now() / 1000 });
      expect(report.proof).toBe('verified');
      statuses.push(report.status);
    }
    expect(statuses).toEqual(['superseded', 'challenged', 'cast', 'cast', 'cast']);

    // The operator forks the log without the re-vote: a device that kept its proof says so.
    const board = join(election.record, 'board');
    const kept = (await trackBallot({ read, code: revote.code, fingerprint: fingerprint(e), nowSecs: Date.now() / 1000 })).keep!;
    const forkDir = join(dir, 'fork');
    forkWithout(board, kept.index, join(election.board, 'operator.key'), forkDir);
    const forked = await trackBallot({ read: readDir(forkDir), code: revote.code, kept, nowSecs: Date.now() / 1000 });
    expect(forked.alarms.map((a) => a.kind).sort()).toEqual(['forked', 'removed']);
    expect(forked.status).toBe('not-found');
    expect(forked.keep).toEqual(kept);
    // A device that never saw the ballot finds the fork self-consistent: only a kept proof tells.
    const fresh = await trackBallot({ read: readDir(forkDir), code: third.code, fingerprint: fingerprint(e), nowSecs: Date.now() / 1000 });
    expect([fresh.status, fresh.proof, fresh.alarms]).toEqual(['cast', 'verified', []]);
  }, 120_000);
});
