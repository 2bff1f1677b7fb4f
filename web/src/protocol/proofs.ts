// PROTOCOL.md section 3.2: disjunctive Chaum–Pedersen proofs that (α, β) encrypts an m in
// [min, max]. The zero-one proof of an option and the range proof of a contest's sum.
import { ProtocolError, toHex } from './bytes.ts';
import { Fn, type Point, gTimes, pointFromHex, pointToHex, randomScalar, scalarFromHex, scalarToHex, times } from './group.ts';
import { Transcript } from './hash.ts';

/** Domain of the proof that an option is marked 0 or 1. */
export const ZERO_ONE = 'fairtally/proof/zero-one/v1';
/** Domain of the proof that a contest's marks add up to within its limits. */
export const RANGE = 'fairtally/proof/range/v1';

/** An exponential ElGamal ciphertext (α, β) = (g^r, g^v · K^r). */
export interface Ciphertext {
  pad: Point;
  data: Point;
}

/** A proof as the record stores it (hex). */
export interface DisjunctiveProofJson {
  commitments: string[];
  challenges: string[];
  responses: string[];
}

/** What a disjunctive proof is about. */
export interface Statement {
  domain: typeof ZERO_ONE | typeof RANGE;
  context: Uint8Array;
  binding: Uint8Array;
  key: Point;
  keyBytes: Uint8Array;
  ciphertext: Ciphertext;
  min: number;
  max: number;
}

function challengeOf(s: Statement, commitments: Uint8Array[]): bigint {
  const t = new Transcript(s.domain, s.context)
    .append('binding', s.binding)
    .appendU64('min', s.min)
    .appendU64('max', s.max)
    .append('key', s.keyBytes)
    .append('pad', s.ciphertext.pad.toBytes())
    .append('data', s.ciphertext.data.toBytes());
  for (const c of commitments) t.append('commitment', c);
  return t.challenge();
}

/**
 * Proves that `s.ciphertext` encrypts `value` with nonce `nonce`. Every other branch is
 * simulated; the real one is answered with the nonce.
 */
export function prove(s: Statement, value: number, nonce: bigint): DisjunctiveProofJson {
  if (value < s.min || value > s.max) throw new ProtocolError(`value ${value} is outside ${s.min}..${s.max}`);
  const sims: bigint[] = [];
  const xs: bigint[] = [];
  const commitments: Uint8Array[] = [];
  for (let m = s.min; m <= s.max; m++) {
    const c = m === value ? 0n : randomScalar();
    const x = randomScalar();
    // a = g^{x − c·r} = g^x · α^{−c};  b = K^{x − c·r} · g^{−c·(v − m)} = K^x · (β / g^m)^{−c}.
    const e = Fn.sub(x, Fn.mul(c, nonce));
    commitments.push(gTimes(e).toBytes());
    commitments.push(times(s.key, e).subtract(gTimes(Fn.mul(c, BigInt(value - m) + Fn.ORDER))).toBytes());
    sims.push(c);
    xs.push(x);
  }
  const total = challengeOf(s, commitments);
  const real = Fn.sub(total, sims.reduce((a, b) => Fn.add(a, b), 0n));
  const challenges = sims.map((c, i) => (s.min + i === value ? real : c));
  const responses = xs.map((x, i) => (s.min + i === value ? Fn.add(x, Fn.mul(real, nonce)) : x));
  return {
    commitments: commitments.map(toHex),
    challenges: challenges.map(scalarToHex),
    responses: responses.map(scalarToHex),
  };
}

/** Checks a proof; throws a ProtocolError saying why it fails. */
export function verify(s: Statement, proof: DisjunctiveProofJson, what: string): void {
  const branches = s.max - s.min + 1;
  if (
    !Array.isArray(proof.commitments) ||
    !Array.isArray(proof.challenges) ||
    !Array.isArray(proof.responses) ||
    proof.commitments.length !== 2 * branches ||
    proof.challenges.length !== branches ||
    proof.responses.length !== branches
  ) {
    throw new ProtocolError(`${what}: expected ${branches} branches`);
  }
  const commitments = proof.commitments.map((c, i) => pointFromHex(c, `${what} commitment ${i + 1}`));
  const cs = proof.challenges.map((c, i) => scalarFromHex(c, `${what} challenge ${i + 1}`));
  const vs = proof.responses.map((v, i) => scalarFromHex(v, `${what} response ${i + 1}`));
  const total = challengeOf(s, commitments.map((c) => c.toBytes()));
  if (cs.reduce((a, b) => Fn.add(a, b), 0n) !== total) throw new ProtocolError(`${what}: challenges do not add up`);
  for (let i = 0; i < branches; i++) {
    const m = s.min + i;
    const c = cs[i]!;
    const v = vs[i]!;
    const a = commitments[2 * i]!;
    const b = commitments[2 * i + 1]!;
    const dataOverM = s.ciphertext.data.subtract(gTimes(BigInt(m)));
    if (!gTimes(v).equals(a.add(times(s.ciphertext.pad, c)))) throw new ProtocolError(`${what}: branch ${m} fails`);
    if (!times(s.key, v).equals(b.add(times(dataOverM, c)))) throw new ProtocolError(`${what}: branch ${m} fails`);
  }
}

/** The ciphertext as the record stores it. */
export function ciphertextJson(c: Ciphertext): { pad: string; data: string } {
  return { pad: pointToHex(c.pad), data: pointToHex(c.data) };
}

/** `Enc(v; r) = (g^r, g^v · K^r)`. */
export function encrypt(key: Point, vote: number, nonce: bigint): Ciphertext {
  return { pad: gTimes(nonce), data: gTimes(BigInt(vote)).add(times(key, nonce)) };
}

/** The sum of ciphertexts (the contest's encrypted count). */
export function sum(cts: Ciphertext[]): Ciphertext {
  return cts.reduce((a, b) => ({ pad: a.pad.add(b.pad), data: a.data.add(b.data) }));
}

