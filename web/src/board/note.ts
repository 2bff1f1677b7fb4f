// C2SP signed notes, keys and checkpoints (docs/BOARD.md): parsing, and verifying a
// checkpoint under a trust policy pinned from the election's parameters.
import { sha256 } from '@noble/hashes/sha2.js';

import { ProtocolError, bytesEqual, concat, utf8 } from '../protocol/bytes.ts';
import type { BoardPolicy } from '../protocol/election.ts';
import { verifyStrict } from '../protocol/signature.ts';

const MAX_NOTE = 16 * 1024;
/** How far ahead of this device's clock a cosignature may be dated (docs/BOARD.md). */
export const MAX_CLOCK_SKEW_SECS = 600;

/** A public key from a vkey `name+hexid+base64(type ‖ key)`. */
export interface Verifier {
  name: string;
  keyId: number;
  role: 'operator' | 'witness';
  key: Uint8Array;
}

/** A signature line. */
interface NoteSignature {
  name: string;
  keyId: number;
  bytes: Uint8Array;
}

/** A checkpoint: origin, size and root, with the signed note it came in. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The signed text (three lines). */
  text: string;
  /** The whole note, signatures included: evidence if the log ever forks. */
  note: string;
  /** Names of the keys whose signatures verified. */
  signers: string[];
}

function base64(text: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new ProtocolError(`${what}: not base64`);
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function keyId(name: string, type: number, key: Uint8Array): number {
  const d = sha256(concat(utf8(name), new Uint8Array([0x0a, type]), key));
  return new DataView(d.buffer, d.byteOffset).getUint32(0, false);
}

/** Reads a vkey and checks its key ID. */
export function parseVkey(vkey: string): Verifier {
  // The base64 key may itself hold "+": only the first two separate the fields.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey);
  if (!m) throw new ProtocolError(`key ${vkey}: not name+keyid+key`);
  const [, name, hexId, b64] = m as unknown as [string, string, string, string];
  const raw = base64(b64, `key ${name}`);
  if (raw.length !== 33 || (raw[0] !== 0x01 && raw[0] !== 0x04)) throw new ProtocolError(`key ${name}: expected an Ed25519 or cosignature/v1 key`);
  const key = raw.slice(1);
  const id = keyId(name, raw[0]!, key);
  if (id !== parseInt(hexId, 16)) throw new ProtocolError(`key ${name}: its key ID does not match its name and key`);
  return { name, keyId: id, role: raw[0] === 0x01 ? 'operator' : 'witness', key };
}

function parseNote(note: string, what: string): { text: string; signatures: NoteSignature[] } {
  if (note.length > MAX_NOTE) throw new ProtocolError(`${what}: larger than ${MAX_NOTE} bytes`);
  if ([...note].some((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))) {
    throw new ProtocolError(`${what}: control character in the note`);
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new ProtocolError(`${what}: not a signed note`);
  const text = note.slice(0, split + 1);
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line, i): NoteSignature => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new ProtocolError(`${what}: signature line ${i + 1} is malformed`);
      const raw = base64(m[2]!, `${what} signature ${i + 1}`);
      if (raw.length < 5) throw new ProtocolError(`${what}: signature ${i + 1} is too short`);
      return { name: m[1]!, keyId: new DataView(raw.buffer).getUint32(0, false), bytes: raw.slice(4) };
    });
  return { text, signatures };
}

/** Why a signature line by a listed key fails, or null when it verifies. */
function lineFailure(v: Verifier, text: string, s: NoteSignature, nowSecs: number): string | null {
  if (v.role === 'operator') return verifyStrict(s.bytes, utf8(text), v.key) ? null : 'does not verify';
  if (s.bytes.length !== 72) return 'is not 8 bytes of time and 64 of signature';
  const time = new DataView(s.bytes.buffer, s.bytes.byteOffset).getBigUint64(0, false);
  if (time > BigInt(Math.floor(nowSecs) + MAX_CLOCK_SKEW_SECS)) return `is dated ${time}, more than ten minutes ahead of this device's clock`;
  return verifyStrict(s.bytes.slice(8), utf8(`cosignature/v1\ntime ${time}\n${text}`), v.key) ? null : 'does not verify';
}

/**
 * Parses a checkpoint note and verifies it under `policy`: its origin is the operator key's
 * name, the operator signed it, every line by a listed key verifies, and at least `quorum`
 * distinct listed witnesses cosigned it (none dated more than ten minutes ahead).
 */
export function verifyCheckpoint(note: string, policy: BoardPolicy, nowSecs: number, what = 'checkpoint'): Checkpoint {
  const operator = parseVkey(policy.operator);
  if (operator.role !== 'operator') throw new ProtocolError('the policy\'s operator key is not an Ed25519 key');
  const witnesses = policy.witnesses.map(parseVkey);
  const { text, signatures } = parseNote(note, what);
  const lines = text.split('\n');
  if (lines.length !== 4 || !/^[1-9][0-9]*$|^0$/.test(lines[1]!)) throw new ProtocolError(`${what}: not origin, size and root`);
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin !== operator.name) throw new ProtocolError(`${what}: for log "${origin}", not "${operator.name}"`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new ProtocolError(`${what}: size too large`);
  const root = base64(rootText, `${what} root`);
  if (root.length !== 32) throw new ProtocolError(`${what}: root is not 32 bytes`);
  const signers = new Set<string>();
  let operatorSigned = false;
  for (const s of signatures) {
    for (const v of [operator, ...witnesses]) {
      if (v.name !== s.name || v.keyId !== s.keyId) continue;
      const failure = lineFailure(v, text, s, nowSecs);
      if (failure) throw new ProtocolError(`${what}: the signature by ${v.name} ${failure}`);
      if (v === operator) operatorSigned = true;
      else signers.add(v.name);
    }
  }
  if (!operatorSigned) throw new ProtocolError(`${what}: not signed by the operator ${operator.name}`);
  if (signers.size < policy.quorum) throw new ProtocolError(`${what}: ${signers.size} witnesses cosigned, the election needs ${policy.quorum}`);
  return { origin, size, root, text, note, signers: [operator.name, ...signers] };
}

/** Whether two checkpoints are the same tree (size and root). */
export function sameTree(a: { size: number; root: Uint8Array }, b: { size: number; root: Uint8Array }): boolean {
  return a.size === b.size && bytesEqual(a.root, b.root);
}
