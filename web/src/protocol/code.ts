// PROTOCOL.md section 5.2: confirmation codes, 135 bits of the ballot hash in Crockford base32
// with a check digit over GF(32).
import { ProtocolError } from './bytes.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGITS = 27;

/** Multiplication by α = x in GF(2)[x] / (x^5 + x^2 + 1). */
function timesAlpha(v: number): number {
  const shifted = v << 1;
  return shifted & 0x20 ? shifted ^ 0x25 : shifted;
}

function fold(digits: number[]): number {
  return digits.reduce((s, d) => timesAlpha(s) ^ d, 0);
}

function bit(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

function format(digits: number[]): string {
  const text = digits.map((d) => ALPHABET[d]).join('');
  return text.match(/.{4}/g)!.join('-');
}

/** The confirmation code of a ballot hash, e.g. `RP64-GJQX-1H5D-3MDF-F302-2QC5-8SQT`. */
export function confirmationCode(ballotHash: Uint8Array): string {
  const digits: number[] = [];
  for (let i = 0; i < DIGITS; i++) {
    let d = 0;
    for (let b = 0; b < 5; b++) d = (d << 1) | bit(ballotHash, 5 * i + b);
    digits.push(d);
  }
  digits.push(timesAlpha(fold(digits)));
  return format(digits);
}

/**
 * A code as a person typed it, in its printed form: dashes and white space removed, either
 * case, `O` read as `0` and `I` or `L` as `1`. Refuses a wrong length, a foreign character
 * or a failed check digit.
 */
export function parseCode(typed: string): string {
  const text = typed.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (text.length !== DIGITS + 1) {
    throw new ProtocolError(`a confirmation code has ${DIGITS + 1} characters, this one ${text.length}`);
  }
  const digits = [...text].map((ch) => ALPHABET.indexOf(ch));
  const bad = digits.indexOf(-1);
  if (bad >= 0) throw new ProtocolError(`"${text[bad]}" is not a character of a confirmation code`);
  if (fold(digits) !== 0) throw new ProtocolError('the code has a typing mistake (its check digit does not match)');
  return format(digits);
}
