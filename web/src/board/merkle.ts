// RFC 9162 Merkle trees: leaf and node hashes, and the checks of inclusion and consistency
// proofs against a signed root. Proofs are built from any source of subtree hashes.
import { sha256 } from '@noble/hashes/sha2.js';

import { bytesEqual, concat } from '../protocol/bytes.ts';

/** `SHA-256(0x00 ‖ leaf data)`. */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(concat(new Uint8Array([0]), data));
}

/** `SHA-256(0x01 ‖ left ‖ right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/** The largest power of two smaller than `n` (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Where complete subtrees' hashes come from: `node(level, index)` covers leaves index·2^level … */
export interface NodeSource {
  node(level: number, index: number): Promise<Uint8Array>;
}

/** MTH of leaves [lo, hi) from complete subtrees. */
export async function subtreeHash(src: NodeSource, lo: number, hi: number): Promise<Uint8Array> {
  const n = hi - lo;
  if ((n & (n - 1)) === 0 && lo % n === 0) return src.node(Math.log2(n), lo / n);
  const k = split(n);
  return nodeHash(await subtreeHash(src, lo, lo + k), await subtreeHash(src, lo + k, hi));
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 PATH). */
export async function inclusionProof(src: NodeSource, index: number, size: number): Promise<Uint8Array[]> {
  const path = async (m: number, lo: number, hi: number): Promise<Uint8Array[]> => {
    if (hi - lo === 1) return [];
    const k = split(hi - lo);
    return m < k
      ? [...(await path(m, lo, lo + k)), await subtreeHash(src, lo + k, hi)]
      : [...(await path(m - k, lo + k, hi)), await subtreeHash(src, lo, lo + k)];
  };
  return path(index, 0, size);
}

/** The consistency proof from size `m` to size `n` (RFC 9162 PROOF). */
export async function consistencyProof(src: NodeSource, m: number, n: number): Promise<Uint8Array[]> {
  const sub = async (m: number, lo: number, hi: number, whole: boolean): Promise<Uint8Array[]> => {
    const size = hi - lo;
    if (m === size) return whole ? [] : [await subtreeHash(src, lo, hi)];
    const k = split(size);
    return m <= k
      ? [...(await sub(m, lo, lo + k, whole)), await subtreeHash(src, lo + k, hi)]
      : [...(await sub(m - k, lo + k, hi, false)), await subtreeHash(src, lo, lo + k)];
  };
  return m === 0 || m === n ? [] : sub(m, 0, n, true);
}

/**
 * The walk up a proof path shared by RFC 9162's two checks: `left(p)` for a sibling on the
 * left, `right(p)` for one on the right. False when the path is too long or too short.
 */
function walkPath(fn: number, sn: number, path: Uint8Array[], left: (p: Uint8Array) => void, right: (p: Uint8Array) => void): boolean {
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      left(p);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      right(p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0;
}

/** RFC 9162 2.1.3.2: whether `proof` shows leaf `hash` at `index` under `root` of `size`. */
export function verifyInclusion(index: number, size: number, hash: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  if (index >= size) return false;
  let r = hash;
  const complete = walkPath(index, size - 1, proof, (p) => (r = nodeHash(p, r)), (p) => (r = nodeHash(r, p)));
  return complete && bytesEqual(r, root);
}

/** RFC 9162 2.1.4.2: whether `proof` shows the tree of size `m` is a prefix of that of size `n`. */
export function verifyConsistency(m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: Uint8Array[]): boolean {
  if (m > n) return false;
  if (m === n) return proof.length === 0 && bytesEqual(rootM, rootN);
  if (m === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = (m & (m - 1)) === 0 ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  const complete = walkPath(
    fn,
    sn,
    path.slice(1),
    (c) => {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    },
    (c) => (sr = nodeHash(sr, c)),
  );
  return complete && bytesEqual(fr, rootM) && bytesEqual(sr, rootN);
}
