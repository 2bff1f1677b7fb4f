// PROTOCOL.md section 4.3: a voter's credential, an Ed25519 key pair, read exactly as the
// registrar's file for that voter holds it ({"public": hex, "secret": hex}).
import { ed25519 } from '@noble/curves/ed25519.js';

import { ProtocolError, bytesEqual, fromHex, toHex } from './bytes.ts';
import { members } from './election.ts';

/** A voter's secret credential, held only in the page's memory. */
export interface Credential {
  /** The public key, 32 bytes. */
  public: Uint8Array;
  /** The 32-byte Ed25519 secret key (seed). */
  secret: Uint8Array;
}

/**
 * Reads a credential as pasted: the whole file (JSON, any white space around or inside).
 * Refuses a file whose secret key does not give its public key.
 */
export function parseCredential(pasted: string): Credential {
  let value: unknown;
  try {
    value = JSON.parse(pasted.trim());
  } catch {
    throw new ProtocolError('the credential is not the JSON text of a credential file');
  }
  const file = members(value, ['public', 'secret'], 'credential');
  const publicKey = fromHex(file.public, 32, 'credential public key');
  const secret = fromHex(file.secret, 32, 'credential secret key');
  if (!bytesEqual(ed25519.getPublicKey(secret), publicKey)) {
    secret.fill(0);
    throw new ProtocolError('the credential\'s secret key does not match its public key');
  }
  return { public: publicKey, secret };
}

/** Signs `message` with the credential (RFC 8032, deterministic). */
export function sign(credential: Credential, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, credential.secret);
}

/** Overwrites the secret key in memory. */
export function forget(credential: Credential): void {
  credential.secret.fill(0);
}

/** The public key in hex, as the credential list holds it. */
export function publicHex(credential: Credential): string {
  return toHex(credential.public);
}
