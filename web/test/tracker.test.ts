// The tracker against the vector record's board: every ballot's status and proof, pinning,
// and the consistency checks against what a device kept.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { type KeptBallot, trackBallot } from '../src/board/tracker.ts';
import { type NodeSource, consistencyProof, inclusionProof, leafHash, nodeHash, subtreeHash, verifyConsistency, verifyInclusion } from '../src/board/merkle.ts';
import { verifyCheckpoint } from '../src/board/note.ts';
import { type FileReader, Tiles, tilePath } from '../src/board/tiles.ts';

const RECORD = resolve(import.meta.dirname, '../../docs/vectors/record');
const expected = JSON.parse(readFileSync(resolve(RECORD, '../expected.json'), 'utf8'));
const parameters = JSON.parse(readFileSync(resolve(RECORD, 'parameters.json'), 'utf8'));
const now = Math.floor(Date.now() / 1000);

const fileReader =
  (dir: string): FileReader =>
  async (path, limit) => {
    const file = resolve(dir, path);
    try {
      if (statSync(file).size > limit) throw new Error(`${path} too large`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return new Uint8Array(readFileSync(file));
  };
const read = fileReader(resolve(RECORD, 'board'));

/** Statuses by the rule of PROTOCOL.md 5.3, from ballots.jsonl. */
function statuses(): string[] {
  const lines = readFileSync(resolve(RECORD, 'ballots.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.map((b, i) => {
    if (b.intent === 'challenge') return 'challenged';
    const later = lines.slice(i + 1).some((o) => o.intent === 'cast' && o.ballot.credential === b.ballot.credential);
    return later ? 'superseded' : 'cast';
  });
}

describe('RFC 9162 proofs', () => {
  // Complete subtrees straight from the leaves: the definition, with no tiles involved.
  const leaves = Array.from({ length: 70 }, (_, i) => leafHash(new Uint8Array([i])));
  const memo = new Map<string, Uint8Array>();
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leaves[lo]!;
    const key = `${lo}-${hi}`;
    if (!memo.has(key)) {
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      memo.set(key, nodeHash(mth(lo, lo + k), mth(lo + k, hi)));
    }
    return memo.get(key)!;
  };
  const src: NodeSource = { node: async (level, index) => mth(index * 2 ** level, (index + 1) * 2 ** level) };

  it('inclusion and consistency hold for every size up to 70 and fail for a wrong root', async () => {
    for (let n = 1; n <= 70; n++) {
      const root = mth(0, n);
      expect(await subtreeHash(src, 0, n)).toEqual(root);
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(src, i, n);
        expect(verifyInclusion(i, n, leaves[i]!, proof, root)).toBe(true);
        expect(verifyInclusion(i, n, leaves[(i + 1) % 70]!, proof, root)).toBe(false);
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(src, m, n);
        expect(verifyConsistency(m, n, mth(0, m), root, proof)).toBe(true);
        if (m < n) expect(verifyConsistency(m, n, mth(1, m + 1), root, proof)).toBe(false);
      }
    }
  }, 60_000);
});

describe('tiles and proofs', () => {
  it('spells tile paths as tlog-tiles does', () => {
    expect(tilePath(0, 1234067, 256)).toBe('tile/0/x001/x234/067');
    expect(tilePath('entries', 0, 17)).toBe('tile/entries/000.p/17');
  });

  it('proves every archived checkpoint consistent with the latest, and refuses a wrong root', async () => {
    const latest = verifyCheckpoint(readFileSync(resolve(RECORD, 'board/checkpoint'), 'utf8'), parameters.board, now);
    const tiles = new Tiles(read, latest.size);
    for (const size of [17, 26, 27, 28, 29]) {
      const old = verifyCheckpoint(readFileSync(resolve(RECORD, `board/checkpoints/${size}`), 'utf8'), parameters.board, now);
      const proof = await consistencyProof(tiles, old.size, latest.size);
      expect(verifyConsistency(old.size, latest.size, old.root, latest.root, proof)).toBe(true);
      expect(verifyConsistency(old.size, latest.size, latest.root, latest.root, proof)).toBe(false);
    }
    for (let i = 0; i < latest.size; i++) {
      const proof = await inclusionProof(tiles, i, latest.size);
      const leaf = (await tiles.bundle(0))[i]!.leafHash;
      expect(verifyInclusion(i, latest.size, leaf, proof, latest.root)).toBe(true);
      expect(verifyInclusion((i + 1) % latest.size, latest.size, leaf, proof, latest.root)).toBe(false);
    }
  });

  it('refuses a checkpoint under another policy or with a forged signature', () => {
    const note = readFileSync(resolve(RECORD, 'board/checkpoint'), 'utf8');
    expect(() => verifyCheckpoint(note, { ...parameters.board, quorum: 1 }, now)).toThrow(/witnesses cosigned/);
    const forged = note.replace(/\n30\n/, '\n29\n');
    expect(() => verifyCheckpoint(forged, parameters.board, now)).toThrow(/does not verify/);
  });
});

describe('tracking the vector ballots', () => {
  const want = statuses();

  it('finds every ballot with its status and a verified proof, from the board alone', async () => {
    for (const [i, b] of expected.ballots.entries()) {
      const report = await trackBallot({ read, code: b.code, fingerprint: expected.base_hash, nowSecs: now });
      expect(report.status).toBe(want[i]);
      expect(report.proof).toBe('verified');
      expect(report.pinned).toBe(true);
      expect(report.alarms).toEqual([]);
      if (want[i] === 'challenged') expect(Array.isArray(report.opened)).toBe(true);
      else expect(report.opened).toBeUndefined();
    }
  });

  it('refuses a board for another election, and says when nothing is pinned', async () => {
    const code = expected.ballots[0].code;
    await expect(trackBallot({ read, code, fingerprint: '00'.repeat(32), nowSecs: now })).rejects.toThrow(/another election/);
    expect((await trackBallot({ read, code, nowSecs: now })).pinned).toBe(false);
  });

  it('refuses a copy whose entry bundle was doctored, rather than say "not found"', async () => {
    const doctored: FileReader = async (path, limit) => {
      const bytes = await read(path, limit);
      if (bytes && path.startsWith('tile/entries/')) bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1;
      return bytes;
    };
    await expect(trackBallot({ read: doctored, code: expected.ballots.at(-1).code, fingerprint: expected.base_hash, nowSecs: now })).rejects.toThrow(/not the entry of its hash tile/);
    const tiles: FileReader = async (path, limit) => {
      const bytes = await read(path, limit);
      if (bytes && path.startsWith('tile/0/')) bytes[40] = bytes[40]! ^ 1;
      return bytes;
    };
    await expect(trackBallot({ read: tiles, code: expected.ballots.at(-1).code, fingerprint: expected.base_hash, nowSecs: now })).rejects.toThrow(/signed checkpoint|hash tile/);
  });

  it('reports an unknown code as not found', async () => {
    const report = await trackBallot({ read, code: '0000-0000-0000-0000-0000-0000-0000', fingerprint: expected.base_hash, nowSecs: now });
    expect(report.status).toBe('not-found');
    expect(report.proof).toBe('not-verified');
  });

  it('a later visit checks consistency with what was kept, and alarms on a fork or a removal', async () => {
    const code = expected.ballots.at(-1).code;
    const first = await trackBallot({ read, code, fingerprint: expected.base_hash, nowSecs: now });
    const kept = first.keep!;
    // The device saw the board at checkpoint 29 (a smaller tree): the board still extends it.
    const at29 = verifyCheckpoint(readFileSync(resolve(RECORD, 'board/checkpoints/29'), 'utf8'), parameters.board, now);
    const older: KeptBallot = { ...kept, checkpoint: { note: at29.note, size: 29, root: Buffer.from(at29.root).toString('hex') } };
    expect((await trackBallot({ read, code, kept: older, nowSecs: now })).alarms).toEqual([]);
    // Kept a root the board never had at that size: forked.
    const forked: KeptBallot = { ...older, checkpoint: { ...older.checkpoint, root: kept.checkpoint.root } };
    expect((await trackBallot({ read, code, kept: forked, nowSecs: now })).alarms.map((a) => a.kind)).toEqual(['forked']);
    // Kept a leaf the board no longer holds at its index: removed.
    const removed: KeptBallot = { ...kept, leafHash: '11'.repeat(32) };
    const report = await trackBallot({ read, code, kept: removed, nowSecs: now });
    expect(report.alarms.map((a) => a.kind)).toEqual(['removed']);
    expect(report.keep).toEqual(removed);
    // A device that saw a larger tree than the board shows now: rolled back.
    const bigger: KeptBallot = { ...kept, checkpoint: { ...kept.checkpoint, size: kept.checkpoint.size + 1 } };
    expect((await trackBallot({ read, code, kept: bigger, nowSecs: now })).alarms.map((a) => a.kind)).toContain('rolled-back');
  });
});
