// Signed observation items, byte for byte as crates/observe/src/signed.rs makes and checks
// them: an organisation's accreditation of an observer and an observer's protocol of a
// station, each canonical JSON (compact, fields in declaration order, `type` tag first), signed
// with Ed25519 over a domain separator followed by the canonical body.
//
// The browser never holds anything but the observer's own secret key; the accreditation is
// checked here (organisation's signature, this observer, canonical spelling) so that a
// protocol is never signed under an accreditation the server would refuse.

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

import { type Json, canonical } from '../protocol/canonical';
import { verifyStrict } from '../protocol/signature';

/** Domain separator of accreditation signatures (`ACCREDITATION_DOMAIN`). */
export const ACCREDITATION_DOMAIN = 'fairtally observe accreditation v1\0';
/** Domain separator of protocol signatures (`PROTOCOL_DOMAIN`). */
export const PROTOCOL_DOMAIN = 'fairtally observe protocol v1\0';
/** First line of a secret key file written by `fairtally observe keygen`. */
export const SECRET_KEY_HEADER = 'fairtally ed25519 secret key v1';
/** Board entry kind of a protocol. */
export const PROTOCOL_KIND = 'observe/protocol/v1';

/** What an organisation signs to accredit an observer (`AccreditationBody`). */
export interface AccreditationBody {
  election: string;
  organisation: string;
  observer: string;
  observer_name: string;
}

/** An accreditation with the organisation's signature (hex). */
export interface Accreditation {
  body: AccreditationBody;
  signature: string;
}

/** The figures of a result sheet (`StationProtocol`); `null` where the sheet has none. */
export interface StationProtocol {
  registered: number | null;
  ballots_received: number | null;
  ballots_issued: number | null;
  ballots_cancelled: number | null;
  ballots_counted: number | null;
  valid: number | null;
  invalid: number | null;
  votes: (number | null)[];
}

/** The result-sheet figures in their order (`Field::ALL`). */
export const FIELDS = [
  'registered',
  'ballots_received',
  'ballots_issued',
  'ballots_cancelled',
  'ballots_counted',
  'valid',
  'invalid',
] as const;

/** One figure of a result sheet other than the votes. */
export type Field = (typeof FIELDS)[number];

/** What an observer signs for one station (`ProtocolBody`). */
export interface ProtocolBody {
  election: string;
  station: string;
  observer: string;
  accreditation: Accreditation;
  options: string[];
  protocol: StationProtocol;
  photos: string[];
  signed_at: number;
}

/** A station protocol with the observer's signature (hex). */
export interface SignedProtocol {
  body: ProtocolBody;
  signature: string;
}

/** An error in something the observer gave the page, in words they can act on. */
export class ObserveInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObserveInputError';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** True for a SHA-256 in lower-case hex: the only form a photo is named by. */
export function isSha256Hex(text: string): boolean {
  return HEX64.test(text);
}

// Rust strings cannot hold a lone surrogate, so text holding one has no canonical form.
function wellFormed(text: string, what: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    throw new ObserveInputError(`${what}: the text holds a broken character`);
  }
  return text;
}

function count(value: number | null, what: string): number | null {
  if (value === null) return null;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ObserveInputError(`${what}: ${value} is not a whole number of at most 2^53 - 1`);
  }
  return value;
}

// Each function below builds a fresh object with its keys in the declaration order of the
// Rust struct, so the protocol's canonical JSON writes exactly what serde_json writes.

function accreditationBodyValue(b: AccreditationBody): AccreditationBody {
  return {
    election: wellFormed(b.election, 'election'),
    organisation: b.organisation,
    observer: b.observer,
    observer_name: wellFormed(b.observer_name, 'observer name'),
  };
}

function accreditationValue(a: Accreditation): Accreditation {
  return { body: accreditationBodyValue(a.body), signature: a.signature };
}

function protocolValue(p: StationProtocol): StationProtocol {
  return {
    registered: count(p.registered, 'registered'),
    ballots_received: count(p.ballots_received, 'ballots_received'),
    ballots_issued: count(p.ballots_issued, 'ballots_issued'),
    ballots_cancelled: count(p.ballots_cancelled, 'ballots_cancelled'),
    ballots_counted: count(p.ballots_counted, 'ballots_counted'),
    valid: count(p.valid, 'valid'),
    invalid: count(p.invalid, 'invalid'),
    votes: p.votes.map((v, i) => count(v, `votes[${i}]`)),
  };
}

function protocolBodyValue(b: ProtocolBody): ProtocolBody {
  return {
    election: wellFormed(b.election, 'election'),
    station: wellFormed(b.station, 'station'),
    observer: b.observer,
    accreditation: accreditationValue(b.accreditation),
    options: b.options.map((o) => wellFormed(o, 'option')),
    protocol: protocolValue(b.protocol),
    photos: [...b.photos],
    signed_at: count(b.signed_at, 'signed_at') ?? 0,
  };
}

function json(value: object): string {
  return canonical(value as unknown as Json);
}

/** Canonical bytes of the accreditation item: `{"type":"accreditation","body":…,"signature":…}`. */
export function accreditationItemBytes(a: Accreditation): Uint8Array {
  return utf8ToBytes(json({ type: 'accreditation', ...accreditationValue(a) }));
}

/** Canonical bytes of the protocol item: `{"type":"protocol","body":…,"signature":…}`. */
export function protocolItemBytes(p: SignedProtocol): Uint8Array {
  return utf8ToBytes(json({ type: 'protocol', body: protocolBodyValue(p.body), signature: p.signature }));
}

/** SHA-256 (hex) of an item's canonical bytes: its name in an outbox and its board identity. */
export function itemDigest(canonical: Uint8Array): string {
  return bytesToHex(sha256(canonical));
}

function signedMessage(domain: string, body: object): Uint8Array {
  return utf8ToBytes(domain + json(body));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Parses a public key in hex as `parse_public_key` does: 64 lower-case hex digits, a point of
 * the curve, not of small order (a weak key would let anyone forge signatures).
 */
export function parsePublicKey(hex: string, what: string): Uint8Array {
  if (!HEX64.test(hex)) {
    throw new ObserveInputError(`${what}: a public key is 64 lower-case hexadecimal digits`);
  }
  const bytes = hexToBytes(hex);
  let point;
  try {
    point = ed25519.Point.fromBytes(bytes);
  } catch {
    throw new ObserveInputError(`${what}: not a point of the curve`);
  }
  if (point.isSmallOrder()) {
    throw new ObserveInputError(`${what}: a weak (small-order) key`);
  }
  return bytes;
}

// Only lower-case hex: one signature, one spelling, one item hash (as signed.rs).
function verifySignature(signature: string, message: Uint8Array, key: Uint8Array): boolean {
  return HEX128.test(signature) && verifyStrict(hexToBytes(signature), message, key);
}

/** The observer's secret key: the 32-byte Ed25519 seed. */
export interface ObserverKey {
  seed: Uint8Array;
  publicKey: string;
}

/** A new observer key from the browser's cryptographic randomness. */
export function generateKey(): ObserverKey {
  const seed = new Uint8Array(32);
  crypto.getRandomValues(seed);
  return keyFromSeed(seed);
}

/** The key pair of a 32-byte seed. */
export function keyFromSeed(seed: Uint8Array): ObserverKey {
  return { seed, publicKey: bytesToHex(ed25519.getPublicKey(seed)) };
}

/** Reads the text of a key file from `fairtally observe keygen`. */
export function parseSecretKeyFile(text: string): ObserverKey {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== SECRET_KEY_HEADER) {
    throw new ObserveInputError(`key file: the first line must be \`${SECRET_KEY_HEADER}\``);
  }
  const hex = (lines[1] ?? '').trim().toLowerCase();
  if (!HEX64.test(hex)) {
    throw new ObserveInputError('key file: the second line must be 64 hexadecimal digits');
  }
  return keyFromSeed(hexToBytes(hex));
}

/** The text of a key file, as `fairtally observe keygen` writes it. */
export function secretKeyFileText(key: ObserverKey): string {
  return `${SECRET_KEY_HEADER}\n${bytesToHex(key.seed)}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads an accreditation file (an outbox item from `fairtally observe accredit`) and checks
 * it for this observer: canonical bytes, the organisation's signature, the observer's key.
 * `trusted`, when given, lists the organisations whose accreditations the observer accepts.
 */
export function readAccreditation(
  text: string,
  observerPublicKey: string,
  trusted?: string[],
): Accreditation {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    throw new ObserveInputError('accreditation: not JSON');
  }
  if (!isRecord(value) || value.type !== 'accreditation' || !isRecord(value.body)) {
    throw new ObserveInputError('accreditation: not an accreditation item');
  }
  const body = value.body;
  const strings = ['election', 'organisation', 'observer', 'observer_name'] as const;
  if (!strings.every((k) => typeof body[k] === 'string') || typeof value.signature !== 'string') {
    throw new ObserveInputError('accreditation: a field is missing or not text');
  }
  const accreditation: Accreditation = {
    body: {
      election: body.election as string,
      organisation: body.organisation as string,
      observer: body.observer as string,
      observer_name: body.observer_name as string,
    },
    signature: value.signature,
  };
  if (!equalBytes(accreditationItemBytes(accreditation), utf8ToBytes(text.trim()))) {
    throw new ObserveInputError(
      'accreditation: not in canonical form (use the file `fairtally observe accredit` wrote, unchanged)',
    );
  }
  const org = parsePublicKey(accreditation.body.organisation, 'accreditation: organisation');
  parsePublicKey(accreditation.body.observer, 'accreditation: observer');
  if (trusted && !trusted.includes(accreditation.body.organisation)) {
    throw new ObserveInputError(
      `accreditation: organisation ${accreditation.body.organisation} is not among the trusted ones`,
    );
  }
  const message = signedMessage(ACCREDITATION_DOMAIN, accreditationBodyValue(accreditation.body));
  if (!verifySignature(accreditation.signature, message, org)) {
    throw new ObserveInputError("accreditation: the organisation's signature does not verify");
  }
  if (accreditation.body.observer !== observerPublicKey) {
    throw new ObserveInputError(
      `accreditation: it is for observer ${accreditation.body.observer}, not for this key (${observerPublicKey})`,
    );
  }
  return accreditation;
}

/** A protocol ready to queue: the signed item, its canonical bytes and their hash. */
export interface SignedItem {
  protocol: SignedProtocol;
  canonical: Uint8Array;
  digest: string;
}

/**
 * Signs a station's protocol with the observer's key, as `SignedProtocol::sign`, and checks
 * the result the way the server will (`SignedProtocol::verify`), so a protocol that would be
 * refused is never queued.
 */
export function signProtocol(
  key: ObserverKey,
  body: Omit<ProtocolBody, 'observer'>,
): SignedItem {
  const full: ProtocolBody = protocolBodyValue({ ...body, observer: key.publicKey });
  const seen = new Set<string>();
  for (const o of full.options) {
    if (seen.has(o)) throw new ObserveInputError(`option \`${o}\` is listed more than once`);
    seen.add(o);
  }
  if (full.options.length !== full.protocol.votes.length) {
    throw new ObserveInputError(
      `${full.options.length} options but ${full.protocol.votes.length} vote figures`,
    );
  }
  const badPhoto = full.photos.find((h) => !isSha256Hex(h));
  if (badPhoto !== undefined) {
    throw new ObserveInputError(`photo hash ${badPhoto} is not 64 lower-case hexadecimal digits`);
  }
  for (const [what, theirs, ours] of [
    ['observer', full.accreditation.body.observer, full.observer],
    ['election', full.accreditation.body.election, full.election],
  ] as const) {
    if (theirs !== ours) {
      throw new ObserveInputError(`the accreditation is for another ${what} (${theirs})`);
    }
  }
  const message = signedMessage(PROTOCOL_DOMAIN, full);
  const signature = bytesToHex(ed25519.sign(message, key.seed));
  if (!verifySignature(signature, message, parsePublicKey(full.observer, 'observer'))) {
    throw new ObserveInputError('the signature just made does not verify');
  }
  const protocol: SignedProtocol = { body: full, signature };
  const canonical = protocolItemBytes(protocol);
  return { protocol, canonical, digest: itemDigest(canonical) };
}

/** SHA-256 (hex) of a photo's bytes: its name in the protocol and in an outbox. */
export function photoDigest(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
