// Ed25519 verification with the strict rules of PROTOCOL.md 5.2 (as ed25519-dalek's
// `verify_strict`): canonical s, R and the key not of small order, so every verifier accepts
// exactly the same signatures.
import { ed25519 } from '@noble/curves/ed25519.js';

/**
 * Whether `signature` on `message` verifies under `publicKey`. RFC 8032 decoding (no ZIP-215
 * leniency), and both R and A must lie in the prime-order subgroup: with no torsion the
 * cofactored check noble runs and the cofactorless one are the same equation.
 */
export function verifyStrict(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const A = ed25519.Point.fromBytes(publicKey, false);
    const R = ed25519.Point.fromBytes(signature.subarray(0, 32), false);
    if (A.isSmallOrder() || R.isSmallOrder() || !A.isTorsionFree() || !R.isTorsionFree()) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
