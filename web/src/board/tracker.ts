// The ballot tracker's verdict, from the board's static files alone: find the ballot, prove
// it is under a checkpoint signed as the election's pinned policy demands, say its status,
// and check that the board still extends what this device saw on earlier visits.
import { type OpenedChoices, ballotHash, checkChallenged } from '../protocol/ballot.ts';
import { ProtocolError, bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { confirmationCode } from '../protocol/code.ts';
import { type Election, type ElectionFiles, fingerprint, loadElection } from '../protocol/election.ts';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './merkle.ts';
import { type Checkpoint, sameTree, verifyCheckpoint } from './note.ts';
import { type Entry, type FileReader, Tiles } from './tiles.ts';

/** What the device keeps about a ballot between visits (localStorage). */
export interface KeptBallot {
  code: string;
  fingerprint: string;
  /** The election's files as the device saw them (so no scan is needed to pin the keys). */
  election: { manifest: unknown; parameters: unknown; context: unknown };
  index: number;
  leafHash: string;
  proof: string[];
  /** The last checkpoint this device verified the ballot under: note, size and root. */
  checkpoint: { note: string; size: number; root: string };
}

/** A loud warning: the board no longer shows what this device saw. */
export interface Alarm {
  kind: 'removed' | 'forked' | 'rolled-back';
  /** The signed checkpoint this device kept and the one the board shows now: evidence. */
  kept: string;
  shown: string;
}

/** The tracker's answer. */
export interface TrackReport {
  code: string;
  status: 'cast' | 'superseded' | 'challenged' | 'not-found';
  /** "verified" when the ballot's inclusion proof checks under the verified checkpoint. */
  proof: 'verified' | 'not-verified';
  index: number | null;
  checkpoint: Checkpoint;
  fingerprint: string;
  /** Whether the fingerprint was compared with one the voter holds (kept, or given). */
  pinned: boolean;
  election: Election;
  /** For a challenged ballot: what its published opening shows it encrypts, checked here. */
  opened?: OpenedChoices | { error: string };
  alarms: Alarm[];
  /** What to keep for the next visit (the old state when an alarm rang: it is the evidence). */
  keep: KeptBallot | null;
}

/** Inputs of one visit. */
export interface TrackRequest {
  read: FileReader;
  code: string;
  /** The fingerprint the voter was told (URL or kept); without one the answer is not pinned. */
  fingerprint?: string;
  kept?: KeptBallot;
  /** The election's files, if the page has them (the booth's, a server's): else scanned. */
  election?: ElectionFiles;
  /** Where the server says the ballot is; checked like any other claim. */
  indexHint?: number;
  nowSecs: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function json(entry: Entry): unknown {
  try {
    return JSON.parse(decoder.decode(entry.body));
  } catch {
    throw new ProtocolError(`a board entry of kind ${entry.kind} is not JSON`);
  }
}

/** The size a checkpoint note claims, before it can be verified (to read the tiles). */
export function claimedSize(note: string): number {
  const size = Number(note.split('\n')[1]);
  if (!Number.isSafeInteger(size) || size < 0) throw new ProtocolError('checkpoint: no tree size');
  return size;
}

/** Reads the election's set-up from the board's first entries (they precede every ballot). */
export async function electionFromBoard(tiles: Tiles): Promise<ElectionFiles> {
  const found: Record<string, unknown> = {};
  const guardians: string[] = [];
  for (let b = 0; 256 * b < tiles.size; b++) {
    for (const entry of await tiles.bundle(b)) {
      if (entry.kind === 'election/guardian') guardians.push(decoder.decode(entry.body));
      else if (['election/manifest', 'election/parameters', 'election/context'].includes(entry.kind)) found[entry.kind.slice(9)] = json(entry);
      if (entry.kind === 'election/context') return { manifest: found.manifest, parameters: found.parameters, context: found.context, guardians };
    }
  }
  throw new ProtocolError('the board holds no election context');
}

interface BallotAt {
  index: number;
  entry: Entry;
  credential: string;
  intent: string;
}

function readBallot(index: number, entry: Entry): BallotAt | null {
  if (entry.kind !== 'election/ballot') return null;
  const line = json(entry) as { ballot?: { credential?: unknown }; intent?: unknown };
  return { index, entry, credential: String(line.ballot?.credential), intent: String(line.intent) };
}

function codeOf(entry: Entry): string {
  return confirmationCode(ballotHash((json(entry) as { ballot: never }).ballot));
}

async function proveEntry(tiles: Tiles, cp: Checkpoint, index: number, leaf: Uint8Array): Promise<Uint8Array[] | null> {
  const proof = await inclusionProof(tiles, index, cp.size);
  return verifyInclusion(index, cp.size, leaf, proof, cp.root) ? proof : null;
}

/**
 * The entries of bundle `b`, each checked against the signed tree: their leaf hashes must be
 * the level-0 tile's, and the inclusion proof of the bundle's first leaf (whose lower eight
 * siblings are computed from that same tile, so it covers every leaf of it) must lead to the
 * checkpoint's root. A copy can then neither hide nor swap an entry the scan reads.
 */
async function verifiedBundle(tiles: Tiles, cp: Checkpoint, b: number): Promise<Entry[]> {
  const entries = await tiles.bundle(b);
  for (const [i, entry] of entries.entries()) {
    if (!bytesEqual(entry.leafHash, await tiles.node(0, 256 * b + i))) {
      throw new ProtocolError(`entry ${256 * b + i} of the board's files is not the entry of its hash tile`);
    }
  }
  if (!(await proveEntry(tiles, cp, 256 * b, entries[0]!.leafHash))) {
    throw new ProtocolError(`the board's files for entries ${256 * b}… do not lead to the signed checkpoint`);
  }
  return entries;
}

async function entryAt(tiles: Tiles, index: number): Promise<Entry> {
  return (await tiles.bundle(Math.floor(index / 256)))[index % 256]!;
}

/** One visit of the tracker; see the module comment. */
export async function trackBallot(req: TrackRequest): Promise<TrackReport> {
  const note = await Tiles.checkpointNote(req.read);
  const tiles = new Tiles(req.read, claimedSize(note));
  const files = req.kept?.election ?? req.election ?? (await electionFromBoard(tiles));
  const election = loadElection(files);
  const fp = fingerprint(election);
  if (req.kept && req.fingerprint !== undefined && req.fingerprint.toLowerCase() !== req.kept.fingerprint) {
    throw new ProtocolError(`this device kept ballot ${req.code} for election ${req.kept.fingerprint}, not ${req.fingerprint}`);
  }
  const pinnedFp = req.kept?.fingerprint ?? req.fingerprint;
  if (pinnedFp !== undefined && pinnedFp.toLowerCase() !== fp) {
    throw new ProtocolError(`this board is for another election: fingerprint ${fp}, not ${pinnedFp}`);
  }
  const cp = verifyCheckpoint(note, election.parameters.board, req.nowSecs);
  const alarms: Alarm[] = [];
  const kept = req.kept;
  if (kept) {
    const keptTree = { size: kept.checkpoint.size, root: fromHex(kept.checkpoint.root, 32, 'kept root') };
    const alarm = (kind: Alarm['kind']) => alarms.push({ kind, kept: kept.checkpoint.note, shown: cp.note });
    if (cp.size < keptTree.size) alarm('rolled-back');
    else if (!sameTree(keptTree, cp) && !verifyConsistency(keptTree.size, cp.size, keptTree.root, cp.root, await consistencyProof(tiles, keptTree.size, cp.size))) {
      alarm('forked');
    }
    const leaf = fromHex(kept.leafHash, 32, 'kept leaf hash');
    let stillThere = false;
    if (kept.index < cp.size) {
      // A bundle that does not parse hides the ballot as surely as one without it.
      const there = await entryAt(tiles, kept.index).catch(() => null);
      stillThere = there !== null && bytesEqual(there.leafHash, leaf) && (await proveEntry(tiles, cp, kept.index, leaf)) !== null;
    }
    if (!stillThere) alarm('removed');
  }
  const code = req.code;
  let found: BallotAt | null = null;
  for (const hint of [kept && !alarms.length ? kept.index : undefined, req.indexHint]) {
    if (hint === undefined || found || hint >= cp.size) continue;
    const b = readBallot(hint, await entryAt(tiles, hint));
    if (b && codeOf(b.entry) === code) found = b;
  }
  // Scan for the ballot (when no hint held), then for a later cast ballot of its credential.
  let status: TrackReport['status'] = 'not-found';
  let proof: Uint8Array[] | null = null;
  let supersededBy: BallotAt | null = null;
  const start = found ? Math.floor(found.index / 256) : 0;
  for (let b = start; 256 * b < cp.size && !supersededBy; b++) {
    const entries = await verifiedBundle(tiles, cp, b);
    for (let i = 0; i < entries.length; i++) {
      const index = 256 * b + i;
      const ballot = readBallot(index, entries[i]!);
      if (!ballot) continue;
      if (!found) {
        if (codeOf(ballot.entry) === code) found = ballot;
      } else if (index > found.index && ballot.credential === found.credential && ballot.intent === 'cast' && found.intent === 'cast') {
        supersededBy = ballot;
        break;
      }
    }
    if (found && found.intent !== 'cast') break;
  }
  let opened: TrackReport['opened'];
  if (found) {
    proof = await proveEntry(tiles, cp, found.index, found.entry.leafHash);
    status = found.intent === 'challenge' ? 'challenged' : supersededBy ? 'superseded' : 'cast';
    if (status === 'challenged') {
      // The second device of a Benaloh challenge: the opening, checked away from the booth.
      try {
        opened = checkChallenged(election, json(found.entry) as Parameters<typeof checkChallenged>[1]);
      } catch (e) {
        opened = { error: e instanceof Error ? e.message : String(e) };
      }
    }
  }
  const keep: KeptBallot | null =
    alarms.length > 0
      ? (kept ?? null)
      : found && proof
        ? {
            code,
            fingerprint: fp,
            election: { manifest: files.manifest, parameters: files.parameters, context: files.context },
            index: found.index,
            leafHash: toHex(found.entry.leafHash),
            proof: proof.map(toHex),
            checkpoint: { note: cp.note, size: cp.size, root: toHex(cp.root) },
          }
        : (kept ?? null);
  return {
    code,
    status,
    proof: proof ? 'verified' : 'not-verified',
    index: found ? found.index : null,
    checkpoint: cp,
    fingerprint: fp,
    pinned: pinnedFp !== undefined,
    election,
    opened,
    alarms,
    keep,
  };
}
