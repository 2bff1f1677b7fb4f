// The fairtally binary for the tests: an election left open for voting, laid out as
// `fairtally serve` and `fairtally demo --open` lay it out (DIR/record, DIR/board,
// DIR/private/voter-*.json), and the steps that finish it and verify the record.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const here = import.meta.dirname;
/** The binary: FAIRTALLY_BIN, else the release build in CARGO_TARGET_DIR or ../target. */
export const BIN = process.env.FAIRTALLY_BIN ?? resolve(process.env.CARGO_TARGET_DIR ?? resolve(here, '../../../target'), 'release/fairtally');

/** Runs the binary; returns stdout, or throws with its stderr. */
export function fairtally(args, options = {}) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'fairtally-web-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * An election open for voting in `dir`: 3 guardians (2 to decrypt), `voters` credentials in
 * DIR/private, the default manifest, a board of its own.
 */
export function openElection(dir, voters = 3) {
  const record = join(dir, 'record');
  const board = join(dir, 'board');
  const work = join(dir, 'private');
  mkdirSync(work, { recursive: true });
  fairtally(['board', 'init', board, '--origin', 'board.example.org/web-test', '-q']);
  fairtally(['authority', 'create', '--record', record, '--board', board, '--guardians', '3', '--threshold', '2', '-q']);
  const g = [1, 2, 3];
  for (const i of g) {
    fairtally(['guardian', 'generate', '--record', record, '--index', String(i), '--name', `Guardian ${i}`, '--secret', join(work, `g${i}.secret.json`), '--public', join(work, `g${i}.public.json`), '-q']);
  }
  fairtally(['authority', 'add-guardians', '--record', record, ...g.map((i) => join(work, `g${i}.public.json`)), '-q']);
  for (const i of g) fairtally(['guardian', 'send-shares', '--record', record, '--secret', join(work, `g${i}.secret.json`), '--out', join(work, `shares-${i}.json`), '-q']);
  const shares = g.map((i) => join(work, `shares-${i}.json`));
  fairtally(['authority', 'add-ceremony', '--record', record, '--shares', ...shares, '-q']);
  for (const i of g) {
    fairtally(['guardian', 'receive-shares', '--record', record, '--secret', join(work, `g${i}.secret.json`), '--shares', ...shares, '--key-share', join(work, `g${i}.key-share.json`), '--complaints', join(work, `g${i}.complaints.json`), '-q']);
  }
  fairtally(['registrar', 'issue', '--record', record, '--voters', String(voters), '--out-dir', join(work, 'voters'), '-q']);
  fairtally(['authority', 'open', '--record', record, '--board', board, '-q']);
  return { dir, record, board, voters: credentials(dir) };
}

/**
 * An election left open by `fairtally demo --open` in `dir` (5 guardians, `voters`
 * credentials in DIR/private/credentials.jsonl); `fairtally demo --finish` closes it.
 */
export function demoOpen(dir, voters = 2) {
  fairtally(['demo', '--open', '--voters', String(voters), '--out', dir, '-q']);
  return { dir, record: join(dir, 'record'), board: join(dir, 'board'), voters: credentials(dir) };
}

/** `fairtally demo --finish`, then the record's verification (JSON). */
export function demoFinish(election) {
  fairtally(['demo', '--finish', election.dir, '-q']);
  return verify(election.record);
}

/**
 * The voters' credentials of an election directory, each as the registrar's file for that
 * voter holds it: a voter-N.json file, or one line of the demo's credentials.jsonl.
 */
export function credentials(dir) {
  try {
    return readFileSync(join(dir, 'private/credentials.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    // not a demo: the registrar's one file per voter
  }
  for (const sub of ['private/voters', 'private']) {
    try {
      const files = readdirSync(join(dir, sub)).filter((f) => /^voter-\d+\.json$/.test(f)).sort();
      if (files.length) return files.map((f) => readFileSync(join(dir, sub, f), 'utf8'));
    } catch {
      // try the next layout
    }
  }
  throw new Error(`no voter credentials in ${dir}/private`);
}

/** Puts ballot lines (JSON values) in the ballot box with `fairtally authority accept`. */
export function accept(election, lines) {
  const files = lines.map((line, i) => {
    const file = join(election.dir, 'private', `ballot-${Date.now()}-${i}.json`);
    writeFileSync(file, JSON.stringify(line));
    return file;
  });
  return fairtally(['authority', 'accept', '--record', election.record, '--board', election.board, ...files, '-q']);
}

/** Closes voting, decrypts with guardians 1 and 3, publishes, posts, and verifies (JSON). */
export function finishAndVerify(election) {
  const { record, board } = election;
  const work = join(election.dir, 'private');
  fairtally(['authority', 'close', '--record', record, '--board', board, '-q']);
  for (const i of [1, 3]) fairtally(['guardian', 'decrypt', '--record', record, '--key-share', join(work, `g${i}.key-share.json`), '--out', join(work, `g${i}.decryption.json`), '-q']);
  fairtally(['authority', 'add-share', '--record', record, '--board', board, join(work, 'g1.decryption.json'), join(work, 'g3.decryption.json'), '-q']);
  fairtally(['authority', 'publish', '--record', record, '--board', board, '-q']);
  fairtally(['authority', 'post', '--record', record, '--board', board, '-q']);
  return verify(record);
}

/** `fairtally verify RECORD --json`, whatever its exit status. */
export function verify(record) {
  try {
    return JSON.parse(fairtally(['verify', record, '--json', '--quiet']));
  } catch (e) {
    if (e.stdout) return JSON.parse(e.stdout);
    throw e;
  }
}
