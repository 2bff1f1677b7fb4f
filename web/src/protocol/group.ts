// PROTOCOL.md section 1: ristretto255 points and scalars, decoded strictly.
import { ristretto255 } from '@noble/curves/ed25519.js';

import { ProtocolError, bytesToIntLE, fromHex, randomBytes, toHex } from './bytes.ts';

/** A ristretto255 point. */
export const Point = ristretto255.Point;
/** A ristretto255 point. */
export type Point = InstanceType<typeof Point>;
/** The scalar field, integers modulo ℓ. */
export const Fn = Point.Fn;
/** The group order ℓ. */
export const ORDER = Fn.ORDER;
/** The base point g. */
export const G = Point.BASE;

/** A valid point from its hex encoding: canonical and not the identity. */
export function pointFromHex(text: unknown, what: string): Point {
  const bytes = fromHex(text, 32, what);
  let point: Point;
  try {
    point = Point.fromBytes(bytes);
  } catch {
    throw new ProtocolError(`${what}: not a canonical ristretto255 encoding`);
  }
  if (point.is0()) throw new ProtocolError(`${what}: the identity is not allowed`);
  return point;
}

/** The hex encoding of a point. */
export function pointToHex(point: Point): string {
  return toHex(point.toBytes());
}

/** A canonical scalar (< ℓ) from its 32-byte little-endian hex. */
export function scalarFromHex(text: unknown, what: string): bigint {
  const n = bytesToIntLE(fromHex(text, 32, what));
  if (n >= ORDER) throw new ProtocolError(`${what}: scalar is not canonical (not below ℓ)`);
  return n;
}

/** The 32-byte little-endian encoding of a scalar. */
export function scalarToBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = Fn.create(n);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The hex encoding of a scalar. */
export function scalarToHex(n: bigint): string {
  return toHex(scalarToBytes(n));
}

/** A uniformly random nonzero scalar: 64 random bytes reduced modulo ℓ. */
export function randomScalar(): bigint {
  for (;;) {
    const n = Fn.create(bytesToIntLE(randomBytes(64)));
    if (n !== 0n) return n;
  }
}

/** `g^n` (0 gives the identity). */
export function gTimes(n: bigint): Point {
  const s = Fn.create(n);
  return s === 0n ? Point.ZERO : G.multiply(s);
}

/** `P^n` (0 gives the identity). */
export function times(p: Point, n: bigint): Point {
  const s = Fn.create(n);
  return s === 0n ? Point.ZERO : p.multiply(s);
}
