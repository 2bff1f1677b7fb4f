// PROTOCOL.md section 4: the published election (manifest, parameters, context), read
// strictly, and the fingerprint recomputed from them so a page never trusts a served value.
import { ProtocolError, bytesEqual, fromHex, le64, toHex, utf8 } from './bytes.ts';
import { canonical, type Json } from './canonical.ts';
import { type Point, pointFromHex } from './group.ts';
import { hashParts } from './hash.ts';

/** One option of a contest. */
export interface Option {
  id: string;
  title: string;
}

/** One contest: how many options a voter may choose, and which. */
export interface Contest {
  id: string;
  title: string;
  min_selections: number;
  max_selections: number;
  options: Option[];
}

/** The election's manifest. */
export interface Manifest {
  election: string;
  title: string;
  contests: Contest[];
}

/** The board policy in the parameters: the keys a tracker pins. */
export interface BoardPolicy {
  operator: string;
  witnesses: string[];
  quorum: number;
}

/** The election's parameters. */
export interface Parameters {
  guardians: number;
  threshold: number;
  election_id: string;
  board: BoardPolicy;
}

/** An election as a voting device needs it, every value checked against the fingerprint. */
export interface Election {
  manifest: Manifest;
  parameters: Parameters;
  /** The fingerprint (base hash), the context of every ballot proof. */
  baseHash: Uint8Array;
  /** The joint election key K. */
  jointKey: Point;
  /** Its encoding, as ballots' statements carry it. */
  jointKeyBytes: Uint8Array;
}

const IDENTIFIER = /^[a-z0-9_-]{1,64}$/;
const MAX_BALLOT_BYTES = 65_519;

/** A JSON object with exactly `members` (any order), else an error naming `what`. */
export function members(value: unknown, names: string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what}: expected an object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!names.includes(key)) throw new ProtocolError(`${what}: unexpected member "${key}"`);
  }
  for (const name of names) {
    if (!(name in record)) throw new ProtocolError(`${what}: missing member "${name}"`);
  }
  return record;
}

/** An unsigned integer below 2^bits. */
export function unsigned(value: unknown, bits: 32 | 64, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new ProtocolError(`${what}: expected an unsigned ${bits}-bit integer`);
  }
  return value;
}

/** A string. */
export function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ProtocolError(`${what}: expected a string`);
  return value;
}

/** An array. */
export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${what}: expected an array`);
  return value;
}

function identifier(value: unknown, what: string): string {
  const id = text(value, what);
  if (!IDENTIFIER.test(id)) throw new ProtocolError(`${what}: "${id}" is not 1 to 64 of [a-z0-9_-]`);
  return id;
}

function unique(ids: string[], what: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new ProtocolError(`${what}: "${id}" appears twice`);
    seen.add(id);
  }
}

/** Reads and checks a manifest (4.1), members in any order. */
export function parseManifest(value: unknown): Manifest {
  if (typeof value === 'object' && value !== null && 'ballot_styles' in value) {
    // PROTOCOL.md 4.3a: each voter's ballot holds only their style's contests. Refuse rather
    // than make ballots with every contest, which the ballot box and verifier reject.
    throw new ProtocolError('this election has ballot styles, which this booth does not support yet: vote with `fairtally voter encrypt`');
  }
  const m = members(value, ['election', 'title', 'contests'], 'manifest');
  const contests = list(m.contests, 'manifest contests').map((c, i): Contest => {
    const what = `manifest contest ${i + 1}`;
    const r = members(c, ['id', 'title', 'min_selections', 'max_selections', 'options'], what);
    const id = identifier(r.id, `${what} id`);
    const options = list(r.options, `contest ${id} options`).map((o, j): Option => {
      const ow = `contest ${id} option ${j + 1}`;
      const or = members(o, ['id', 'title'], ow);
      return { id: identifier(or.id, `${ow} id`), title: text(or.title, `${ow} title`) };
    });
    const min = unsigned(r.min_selections, 32, `contest ${id} min_selections`);
    const max = unsigned(r.max_selections, 32, `contest ${id} max_selections`);
    if (!(min <= max && max <= options.length && max >= 1 && max - min < 256)) {
      throw new ProtocolError(`contest ${id}: limits ${min}..${max} do not fit its ${options.length} options`);
    }
    unique(options.map((o) => o.id), `contest ${id} option ids`);
    return { id, title: text(r.title, `${what} title`), min_selections: min, max_selections: max, options };
  });
  unique(contests.map((c) => c.id), 'manifest contest ids');
  const bound = contests.reduce(
    (n, c) =>
      n +
      150 +
      c.id.length +
      300 * (c.max_selections - c.min_selections + 1) +
      c.options.reduce((k, o) => k + 900 + o.id.length, 0),
    600,
  );
  if (bound > MAX_BALLOT_BYTES) {
    throw new ProtocolError(`manifest: a ballot could take ${bound} bytes, more than ${MAX_BALLOT_BYTES}`);
  }
  return { election: identifier(m.election, 'manifest election'), title: text(m.title, 'manifest title'), contests };
}

/** Reads and checks the parameters (4.1). */
export function parseParameters(value: unknown): Parameters {
  const p = members(value, ['guardians', 'threshold', 'election_id', 'board'], 'parameters');
  const b = members(p.board, ['operator', 'witnesses', 'quorum'], 'parameters board');
  const guardians = unsigned(p.guardians, 32, 'parameters guardians');
  const threshold = unsigned(p.threshold, 32, 'parameters threshold');
  if (!(threshold >= 1 && threshold <= guardians && guardians <= 100)) {
    throw new ProtocolError(`parameters: threshold ${threshold} of ${guardians} guardians is not 1 ≤ k ≤ n ≤ 100`);
  }
  fromHex(p.election_id, 32, 'parameters election_id');
  return {
    guardians,
    threshold,
    election_id: p.election_id as string,
    board: {
      operator: text(b.operator, 'parameters board operator'),
      witnesses: list(b.witnesses, 'parameters board witnesses').map((w, i) => text(w, `witness ${i + 1}`)),
      quorum: unsigned(b.quorum, 32, 'parameters board quorum'),
    },
  };
}

/** The manifest as canonical JSON (members in section 8's order). */
export function canonicalManifest(m: Manifest): string {
  const json: Json = {
    election: m.election,
    title: m.title,
    contests: m.contests.map((c) => ({
      id: c.id,
      title: c.title,
      min_selections: c.min_selections,
      max_selections: c.max_selections,
      options: c.options.map((o) => ({ id: o.id, title: o.title })),
    })),
  };
  return canonical(json);
}

/** The parameters as canonical JSON. */
export function canonicalParameters(p: Parameters): string {
  return canonical({
    guardians: p.guardians,
    threshold: p.threshold,
    election_id: p.election_id,
    board: { operator: p.board.operator, witnesses: p.board.witnesses, quorum: p.board.quorum },
  });
}

/** `ceremony_context = H("fairtally/ceremony-context/v2", canonical(manifest), canonical(parameters))`. */
export function ceremonyContext(m: Manifest, p: Parameters): Uint8Array {
  return hashParts('fairtally/ceremony-context/v2', [utf8(canonicalManifest(m)), utf8(canonicalParameters(p))]);
}

/** The guardians' public records, one canonical line each: their hash and the joint key. */
export function guardiansDigest(lines: string[]): { hash: Uint8Array; jointKey: Point } {
  let key: Point | undefined;
  lines.forEach((line, i) => {
    const g = members(JSON.parse(line), ['index', 'name', 'commitments', 'commitment_proofs', 'transport_key', 'transport_proof'], `guardian ${i + 1}`);
    if (g.index !== i + 1) throw new ProtocolError(`guardian line ${i + 1} holds guardian ${String(g.index)}`);
    const c0 = pointFromHex(list(g.commitments, `guardian ${i + 1} commitments`)[0], `guardian ${i + 1} commitment 0`);
    key = key ? key.add(c0) : c0;
  });
  if (!key) throw new ProtocolError('no guardians');
  return { hash: hashParts('fairtally/guardians/v1', lines.map(utf8)), jointKey: key };
}

/** The published election files a device reads. */
export interface ElectionFiles {
  manifest: unknown;
  parameters: unknown;
  context: unknown;
  /** The lines of guardians.jsonl: when given, the joint key is recomputed from them too. */
  guardians?: string[];
}

/**
 * Reads an election and recomputes its fingerprint from the manifest, the parameters and the
 * context's inputs; refuses a context whose published values disagree, and (given guardians)
 * a joint key that is not the product of the guardians' commitments.
 */
export function loadElection(files: ElectionFiles): Election {
  const manifest = parseManifest(files.manifest);
  const parameters = parseParameters(files.parameters);
  const c = members(
    files.context,
    ['ceremony_context', 'guardians_hash', 'credentials_hash', 'credentials', 'joint_key', 'base_hash'],
    'context',
  );
  const ceremony = ceremonyContext(manifest, parameters);
  if (!bytesEqual(ceremony, fromHex(c.ceremony_context, 32, 'context ceremony_context'))) {
    throw new ProtocolError('context: ceremony_context is not the hash of this manifest and these parameters');
  }
  const guardiansHash = fromHex(c.guardians_hash, 32, 'context guardians_hash');
  const credentialsHash = fromHex(c.credentials_hash, 32, 'context credentials_hash');
  const credentials = unsigned(c.credentials, 64, 'context credentials');
  const jointKey = pointFromHex(c.joint_key, 'context joint_key');
  const jointKeyBytes = jointKey.toBytes();
  if (files.guardians) {
    const g = guardiansDigest(files.guardians);
    if (!bytesEqual(g.hash, guardiansHash)) throw new ProtocolError('context: guardians_hash is not the hash of guardians.jsonl');
    if (!g.jointKey.equals(jointKey)) throw new ProtocolError("context: joint_key is not the product of the guardians' commitments");
  }
  const baseHash = hashParts('fairtally/base-hash/v1', [ceremony, guardiansHash, credentialsHash, le64(credentials), jointKeyBytes]);
  if (!bytesEqual(baseHash, fromHex(c.base_hash, 32, 'context base_hash'))) {
    throw new ProtocolError('context: base_hash is not the hash of its inputs');
  }
  return { manifest, parameters, baseHash, jointKey, jointKeyBytes };
}

/** The fingerprint as voters compare it: 64 lowercase hex digits. */
export function fingerprint(election: Election): string {
  return toHex(election.baseHash);
}
