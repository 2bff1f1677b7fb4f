// The encoder against docs/vectors: every value the Rust reference recomputes, recomputed here
// from PROTOCOL.md's byte layouts, and ballots made here checked by the same code paths.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';

import { ballotHash, castBallot, challengeBallot, checkChallenged, encryptBallot, signedMessage } from '../src/protocol/ballot.ts';
import { fromHex, toHex, utf8 } from '../src/protocol/bytes.ts';
import { canonical } from '../src/protocol/canonical.ts';
import { confirmationCode, parseCode } from '../src/protocol/code.ts';
import { parseCredential } from '../src/protocol/credential.ts';
import { ceremonyContext, fingerprint, loadElection } from '../src/protocol/election.ts';
import { pointFromHex } from '../src/protocol/group.ts';
import { hashParts } from '../src/protocol/hash.ts';
import { verifyStrict } from '../src/protocol/signature.ts';

const VECTORS = resolve(import.meta.dirname, '../../docs/vectors');
const record = (name: string) => readFileSync(resolve(VECTORS, 'record', name), 'utf8');
const lines = (name: string) => record(name).split('\n').filter((l) => l !== '');
const expected = JSON.parse(readFileSync(resolve(VECTORS, 'expected.json'), 'utf8'));

const election = () =>
  loadElection({
    manifest: JSON.parse(record('manifest.json')),
    parameters: JSON.parse(record('parameters.json')),
    context: JSON.parse(record('context.json')),
    guardians: lines('guardians.jsonl'),
  });

describe('hashing and the election context', () => {
  it('H matches every hash_parts vector', () => {
    for (const v of expected.hash_parts) {
      expect(toHex(hashParts(v.domain, v.parts_utf8.map(utf8)))).toBe(v.digest);
    }
  });

  it('recomputes the ceremony context and the fingerprint', () => {
    const e = election();
    expect(toHex(ceremonyContext(e.manifest, e.parameters))).toBe(expected.ceremony_context);
    expect(fingerprint(e)).toBe(expected.base_hash);
    expect(toHex(e.jointKeyBytes)).toBe(expected.joint_key);
  });

  it('refuses a context whose joint key is not the guardians\' product', () => {
    const context = JSON.parse(record('context.json'));
    const guardians = lines('guardians.jsonl');
    context.joint_key = JSON.parse(guardians[0]!).commitments[0];
    expect(() =>
      loadElection({ manifest: JSON.parse(record('manifest.json')), parameters: JSON.parse(record('parameters.json')), context, guardians }),
    ).toThrow(/joint_key/);
  });

  it('refuses parameters changed after the fingerprint was computed', () => {
    const parameters = JSON.parse(record('parameters.json'));
    parameters.board.quorum = 1;
    expect(() => loadElection({ manifest: JSON.parse(record('manifest.json')), parameters, context: JSON.parse(record('context.json')) })).toThrow(
      /ceremony_context/,
    );
  });

  it('refuses a manifest with an unknown member or bad limits', () => {
    const manifest = JSON.parse(record('manifest.json'));
    const context = JSON.parse(record('context.json'));
    const parameters = JSON.parse(record('parameters.json'));
    expect(() => loadElection({ manifest: { ...manifest, extra: 1 }, parameters, context })).toThrow(/unexpected member "extra"/);
    const styles = [{ id: 'all', contests: manifest.contests.map((c: { id: string }) => c.id) }];
    expect(() => loadElection({ manifest: { ...manifest, ballot_styles: styles }, parameters, context })).toThrow(/ballot styles, which this booth does not support yet/);
    manifest.contests[0].max_selections = 99;
    expect(() => loadElection({ manifest, parameters, context })).toThrow(/limits/);
  });
});

describe('ballots of the vector record', () => {
  const ballots = lines('ballots.jsonl');

  it('canonical JSON re-serializes every line byte for byte', () => {
    for (const line of ballots) expect(canonical(JSON.parse(line))).toBe(line);
    for (const line of lines('guardians.jsonl')) expect(canonical(JSON.parse(line))).toBe(line);
  });

  it('recomputes every hash, code and signed message, and checks every signature strictly', () => {
    expect(ballots.length).toBe(expected.ballots.length);
    ballots.forEach((line, i) => {
      const entry = JSON.parse(line);
      const want = expected.ballots[i];
      const hash = ballotHash(entry.ballot);
      expect(toHex(hash)).toBe(want.hash);
      expect(confirmationCode(hash)).toBe(want.code);
      const message = signedMessage(hash, entry.intent);
      expect(toHex(message)).toBe(want.signed_message);
      expect(verifyStrict(fromHex(entry.signature, 64, 'sig'), message, fromHex(entry.ballot.credential, 32, 'key'))).toBe(true);
      expect(verifyStrict(fromHex(entry.signature, 64, 'sig'), signedMessage(hash, entry.intent === 'cast' ? 'challenge' : 'cast'), fromHex(entry.ballot.credential, 32, 'key'))).toBe(false);
    });
  });

  it('the first ballot\'s challenges are the vectors\' (sum of each proof\'s challenges)', () => {
    const first = JSON.parse(ballots[0]!).ballot;
    const sum = (hexes: string[]) => hexes.map((h) => BigInt('0x' + h.match(/../g)!.reverse().join(''))).reduce((a, b) => a + b) % (2n ** 252n + 27742317777372353535851937790883648493n);
    const le = (n: bigint) => n.toString(16).padStart(64, '0').match(/../g)!.reverse().join('');
    expect(le(sum(first.contests[0].selections[0].proof.challenges))).toBe(expected.first_ballot_challenges.zero_one);
    expect(le(sum(first.contests[1].range_proof.challenges))).toBe(expected.first_ballot_challenges.range);
  });

  it('checks every challenged ballot\'s proofs and opening, and refuses a tampered one', () => {
    const e = election();
    const challenged = ballots.map((l) => JSON.parse(l)).filter((b) => b.intent === 'challenge');
    expect(challenged.length).toBeGreaterThan(0);
    for (const b of challenged) {
      const opened = checkChallenged(e, b);
      expect(opened.map((c) => c.contest)).toEqual(e.manifest.contests.map((c) => c.id));
    }
    const bad = structuredClone(challenged[0]);
    bad.opening.contests[0][0].vote = !bad.opening.contests[0][0].vote;
    expect(() => checkChallenged(e, bad)).toThrow(/opening does not reproduce/);
    const forged = structuredClone(challenged[0]);
    forged.ballot.contests[0].selections[0].proof.responses[0] = forged.ballot.contests[0].selections[0].proof.responses[1];
    forged.signature = challenged[0].signature;
    expect(() => checkChallenged(e, forged)).toThrow(/signature/);
  });
});

describe('ballots made here', () => {
  const seed = new Uint8Array(32).fill(7);
  const credentialText = JSON.stringify({ public: toHex(ed25519.getPublicKey(seed)), secret: toHex(seed) }, null, 2);

  it('reads a credential file pasted whole and refuses a mismatched one', () => {
    expect(toHex(parseCredential(`\n${credentialText}\n`).public)).toBe(toHex(ed25519.getPublicKey(seed)));
    const other = JSON.stringify({ public: toHex(ed25519.getPublicKey(new Uint8Array(32).fill(8))), secret: toHex(seed) });
    expect(() => parseCredential(other)).toThrow(/does not match/);
    expect(() => parseCredential('voter-00001')).toThrow(/not the JSON/);
  });

  it('encrypts, proves and opens a ballot that checks; a cast ballot has no opening left', () => {
    const e = election();
    const credential = parseCredential(credentialText);
    const marks = e.manifest.contests.map((c) => c.options.map((_, j) => j < c.min_selections || (c.min_selections === 0 && j === 0)));
    const prepared = encryptBallot(e, credential.public, marks);
    expect(parseCode(prepared.code.toLowerCase().replace(/-/g, ''))).toBe(prepared.code);
    const challenged = challengeBallot(prepared, credential) as { ballot: never; intent: string; signature: string; opening: never };
    const opened = checkChallenged(e, challenged);
    e.manifest.contests.forEach((c, i) => expect(opened[i]!.options).toEqual(c.options.filter((_, j) => marks[i]![j]).map((o) => o.id)));
    const cast = castBallot(prepared, credential) as Record<string, unknown>;
    expect(cast.opening).toBeUndefined();
    expect(prepared.nonces).toEqual([]);
    expect(() => challengeBallot(prepared, credential)).toThrow(/cast/);
  });

  it('refuses marks outside a contest\'s limits', () => {
    const e = election();
    const all = e.manifest.contests.map((c) => c.options.map(() => true));
    expect(() => encryptBallot(e, new Uint8Array(32), all)).toThrow(/too many/);
  });
});

describe('confirmation codes', () => {
  it('reads what people type and refuses mistakes', () => {
    const code = expected.ballots[0].code as string;
    expect(parseCode(code.toLowerCase().replace(/0/g, 'o').replace(/-/g, ' '))).toBe(code);
    const typo = code.slice(0, 1) + (code[1] === 'A' ? 'B' : 'A') + code.slice(2);
    expect(() => parseCode(typo)).toThrow(/typing mistake/);
    expect(() => parseCode(code.slice(0, -1))).toThrow(/28 characters/);
    expect(() => parseCode(code.replace(/.$/, 'U'))).toThrow(/not a character/);
  });

  it('points are decoded strictly', () => {
    expect(() => pointFromHex('00'.repeat(32), 'p')).toThrow(/identity/);
    expect(() => pointFromHex('ff'.repeat(32), 'p')).toThrow(/canonical/);
    expect(() => pointFromHex('AB'.repeat(32), 'p')).toThrow(/lowercase/);
  });
});
