// PROTOCOL.md sections 2 and 3: the framed hash H and the Fiat–Shamir transcript.
import { sha256, sha512 } from '@noble/hashes/sha2.js';

import { bytesToIntLE, concat, le64, utf8 } from './bytes.ts';
import { Fn } from './group.ts';

/** `F(x) = le64(|x|) ‖ x`. */
function framed(bytes: Uint8Array): Uint8Array {
  return concat(le64(bytes.length), bytes);
}

/** `H(domain, p1, …, pn)`: SHA-256 over every part framed by its length. */
export function hashParts(domain: string, parts: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  h.update(framed(utf8(domain)));
  for (const part of parts) h.update(framed(part));
  return h.digest();
}

/** A running transcript over SHA-512 for one proof. */
export class Transcript {
  private readonly hasher = sha512.create();

  /** Starts the transcript of protocol `domain` in the election with context `context`. */
  constructor(domain: string, context: Uint8Array) {
    this.hasher.update(framed(utf8('fairtally/transcript/v1')));
    this.append('domain', utf8(domain));
    this.append('context', context);
  }

  /** Appends a labelled byte string. */
  append(label: string, bytes: Uint8Array): this {
    this.hasher.update(framed(utf8(label)));
    this.hasher.update(framed(bytes));
    return this;
  }

  /** Appends an integer as `le64`. */
  appendU64(label: string, value: number | bigint): this {
    return this.append(label, le64(value));
  }

  /** The challenge: SHA-512 of the transcript and `F("challenge")`, reduced modulo ℓ. */
  challenge(): bigint {
    const h = this.hasher.clone();
    h.update(framed(utf8('challenge')));
    return Fn.create(bytesToIntLE(h.digest()));
  }
}
