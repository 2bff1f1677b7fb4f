// What scripts/measure.mjs times in headless Chromium: the booth's encryption of a whole
// ballot, and the tracker's check of a kept proof with its checkpoint's signatures.
import { verifyInclusion } from '../src/board/merkle.ts';
import { httpReader } from '../src/board/tiles.ts';
import { trackBallot } from '../src/board/tracker.ts';
import { verifyCheckpoint } from '../src/board/note.ts';
import { encryptBallot } from '../src/protocol/ballot.ts';
import { fromHex } from '../src/protocol/bytes.ts';
import { type ElectionFiles, loadElection } from '../src/protocol/election.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median milliseconds to encrypt and prove a ballot marking the first option of each contest. */
export function benchEncrypt(files: ElectionFiles, runs: number): { median: number; runs: number[]; options: number; contests: number } {
  const e = loadElection(files);
  const marks = e.manifest.contests.map((c) => c.options.map((_, j) => j < Math.max(1, c.min_selections)));
  const key = new Uint8Array(32).fill(9);
  encryptBallot(e, key, marks); // warm-up: the base point's table, the JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    encryptBallot(e, key, marks);
    times.push(performance.now() - t0);
  }
  return { median: median(times), runs: times, options: e.manifest.contests.reduce((n, c) => n + c.options.length, 0), contests: e.manifest.contests.length };
}

/**
 * Tracks `code` on the board at `boardUrl` once (as the tracker page does), then times the
 * check a later visit repeats: the checkpoint's signatures under the pinned policy and the
 * kept inclusion proof against its root.
 */
export async function benchTrack(boardUrl: string, code: string, fingerprint: string, runs: number): Promise<{ median: number; runs: number[]; size: number; proofLength: number }> {
  const report = await trackBallot({ read: httpReader(boardUrl), code, fingerprint, nowSecs: Date.now() / 1000 });
  const kept = report.keep;
  if (!kept || report.proof !== 'verified') throw new Error(`ballot ${code} not verified: ${report.status}`);
  const policy = report.election.parameters.board;
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const cp = verifyCheckpoint(kept.checkpoint.note, policy, Date.now() / 1000);
    const ok = verifyInclusion(kept.index, cp.size, fromHex(kept.leafHash, 32, 'leaf'), kept.proof.map((p) => fromHex(p, 32, 'proof')), cp.root);
    if (!ok) throw new Error('the proof does not verify');
    if (i > 0) times.push(performance.now() - t0);
  }
  return { median: median(times), runs: times, size: kept.checkpoint.size, proofLength: kept.proof.length };
}
