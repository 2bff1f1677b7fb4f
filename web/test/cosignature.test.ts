// Witness cosignatures made by the fairtally binary (`board keygen`, `board witness`,
// `board cosign`) verify here under a policy that demands them, and only then.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseVkey, verifyCheckpoint } from '../src/board/note.ts';
// @ts-expect-error: plain JavaScript shared with the end-to-end tests
import { fairtally, tempDir } from '../e2e/support/fairtally.mjs';

const dir: string = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints cosigned by witnesses', () => {
  it('verify with the quorum, and fail without it or with a tampered cosignature', () => {
    const board = join(dir, 'board');
    fairtally(['board', 'init', board, '--origin', 'board.example.org/cosign-test', '-q']);
    const operator = readFileSync(join(board, 'public/policy'), 'utf8').match(/^operator (\S+)$/m)![1]!;
    const witness = fairtally(['board', 'keygen', 'observers.example.org/witness', '--out', join(dir, 'witness.key'), '-q']).trim().split('\n').at(-1)!.trim();
    expect(parseVkey(witness).role).toBe('witness');
    fairtally(['board', 'policy', board, '--witness', witness, '--quorum', '1', '-q']);
    const lines = join(dir, 'lines.txt');
    writeFileSync(lines, 'one\ntwo\nthree\n');
    fairtally(['board', 'append', board, '--kind', 'test/line', '--lines', lines, '-q']);
    fairtally(['board', 'witness', join(board, 'public'), '--key', join(dir, 'witness.key'), '--state', join(dir, 'witness.state'), '--policy', join(board, 'public/policy'), '--out', join(dir, 'cosigned.txt'), '-q']);
    fairtally(['board', 'cosign', board, join(dir, 'cosigned.txt'), '-q']);
    const note = readFileSync(join(board, 'public/checkpoint'), 'utf8');
    const now = Date.now() / 1000;
    const policy = { operator, witnesses: [witness], quorum: 1 };
    const cp = verifyCheckpoint(note, policy, now);
    expect(cp.size).toBe(3);
    expect(cp.signers).toEqual(['board.example.org/cosign-test', 'observers.example.org/witness']);
    expect(() => verifyCheckpoint(note, { ...policy, quorum: 2 }, now)).toThrow(/1 witnesses cosigned/);
    expect(() => verifyCheckpoint(note, { operator, witnesses: [], quorum: 1 }, now)).toThrow(/0 witnesses cosigned/);
    // Dated more than ten minutes ahead of this device's clock: refused.
    expect(() => verifyCheckpoint(note, policy, now - 3600)).toThrow(/ahead of this device's clock/);
    const lastLine = note.trimEnd().split('\n').at(-1)!;
    const sig = lastLine.split(' ').at(-1)!;
    const flipped = sig.slice(0, 20) + (sig[20] === 'A' ? 'B' : 'A') + sig.slice(21);
    expect(() => verifyCheckpoint(note.replace(sig, flipped), policy, now)).toThrow(/does not verify/);
  });
});
