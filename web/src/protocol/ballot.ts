// PROTOCOL.md section 5: encrypting a ballot on the voter's device, its hash, confirmation
// code and signature, and the check of a challenged ballot's opening.
import { ProtocolError, concat, fromHex, toHex, utf8 } from './bytes.ts';
import { verifyStrict } from './signature.ts';
import { canonical, type Json } from './canonical.ts';
import { confirmationCode } from './code.ts';
import { type Credential, sign } from './credential.ts';
import type { Contest, Election } from './election.ts';
import { Fn, pointFromHex, randomScalar, scalarFromHex, scalarToHex } from './group.ts';
import { hashParts } from './hash.ts';
import { type Ciphertext, type DisjunctiveProofJson, RANGE, type Statement, ZERO_ONE, ciphertextJson, encrypt, prove, sum, verify } from './proofs.ts';

/** Marks per contest and option, in manifest order. */
export type Marks = boolean[][];

/** Whether the voter may cast `marks` in `contest`, and if not, why (as a reason key). */
export function contestLimits(contest: Contest, chosen: number): 'too-few' | 'too-many' | null {
  if (chosen < contest.min_selections) return 'too-few';
  if (chosen > contest.max_selections) return 'too-many';
  return null;
}

/** A ballot encrypted on the device and not yet cast or challenged. */
export interface PreparedBallot {
  /** The ballot body, members in canonical order. */
  body: Json;
  /** H("fairtally/ballot/v1", canonical(body)). */
  hash: Uint8Array;
  /** The confirmation code. */
  code: string;
  /** Every nonce, per contest and option: the opening. Wiped when the ballot is cast. */
  nonces: bigint[][];
  /** The marks, kept with the nonces. */
  marks: Marks;
}

/** The intent a voter signs. */
export type Intent = 'cast' | 'challenge';

/** `credential_key ‖ contest_id ‖ 0x00 ‖ option_id`. */
function selectionBinding(credential: Uint8Array, contest: string, option: string): Uint8Array {
  return concat(credential, utf8(contest), new Uint8Array([0]), utf8(option));
}

/** `credential_key ‖ contest_id`. */
function contestBinding(credential: Uint8Array, contest: string): Uint8Array {
  return concat(credential, utf8(contest));
}

function statement(e: Election, domain: Statement['domain'], binding: Uint8Array, ciphertext: Ciphertext, min: number, max: number): Statement {
  return { domain, context: e.baseHash, binding, key: e.jointKey, keyBytes: e.jointKeyBytes, ciphertext, min, max };
}

/** `ballot_hash = H("fairtally/ballot/v1", canonical(body))`. */
export function ballotHash(body: Json): Uint8Array {
  return hashParts('fairtally/ballot/v1', [utf8(canonical(body))]);
}

/** `signed_message = H("fairtally/ballot-signature/v1", ballot_hash, intent)`. */
export function signedMessage(hash: Uint8Array, intent: Intent): Uint8Array {
  return hashParts('fairtally/ballot-signature/v1', [hash, utf8(intent)]);
}

/** Refuses marks that do not fit the manifest or a contest's limits. */
function checkMarks(e: Election, marks: Marks): void {
  if (marks.length !== e.manifest.contests.length) throw new ProtocolError('one row of marks per contest is needed');
  e.manifest.contests.forEach((c, i) => {
    const row = marks[i]!;
    if (row.length !== c.options.length) throw new ProtocolError(`contest ${c.id}: one mark per option is needed`);
    const why = contestLimits(c, row.filter(Boolean).length);
    if (why) throw new ProtocolError(`contest ${c.id}: ${why === 'too-few' ? 'too few' : 'too many'} options chosen`);
  });
}

/** Encrypts and proves a ballot for `credential` (5.1), with fresh nonces. */
export function encryptBallot(e: Election, credentialKey: Uint8Array, marks: Marks): PreparedBallot {
  checkMarks(e, marks);
  const nonces: bigint[][] = [];
  const contests = e.manifest.contests.map((contest, i) => {
    const row = marks[i]!;
    const rowNonces = row.map(() => randomScalar());
    nonces.push(rowNonces);
    const cts = row.map((vote, j) => encrypt(e.jointKey, vote ? 1 : 0, rowNonces[j]!));
    const selections = contest.options.map((option, j) => ({
      option: option.id,
      ciphertext: ciphertextJson(cts[j]!),
      proof: prove(statement(e, ZERO_ONE, selectionBinding(credentialKey, contest.id, option.id), cts[j]!, 0, 1), row[j] ? 1 : 0, rowNonces[j]!) as unknown as Json,
    }));
    const total = sum(cts);
    const chosen = row.filter(Boolean).length;
    const nonceSum = rowNonces.reduce((a, b) => Fn.add(a, b), 0n);
    const rangeProof = prove(statement(e, RANGE, contestBinding(credentialKey, contest.id), total, contest.min_selections, contest.max_selections), chosen, nonceSum);
    return { contest: contest.id, selections, range_proof: rangeProof as unknown as Json };
  });
  const body: Json = { election: toHex(e.baseHash), credential: toHex(credentialKey), contests };
  const hash = ballotHash(body);
  return { body, hash, code: confirmationCode(hash), nonces, marks: marks.map((r) => [...r]) };
}

/** One line of ballots.jsonl, as the ballot box takes it. */
export type BallotLine = Json;

/** The opening as the record stores it. */
function openingJson(p: PreparedBallot): Json {
  return { contests: p.nonces.map((row, i) => row.map((nonce, j) => ({ vote: p.marks[i]![j]!, nonce: scalarToHex(nonce) }))) };
}

/** Signs the ballot for casting; its nonces are wiped from the prepared ballot first. */
export function castBallot(p: PreparedBallot, credential: Credential): BallotLine {
  forgetOpening(p);
  const signature = sign(credential, signedMessage(p.hash, 'cast'));
  return { ballot: p.body, intent: 'cast', signature: toHex(signature) };
}

/** Signs the ballot for a challenge, with its opening: it will never be counted. */
export function challengeBallot(p: PreparedBallot, credential: Credential): BallotLine {
  if (p.nonces.length === 0) throw new ProtocolError('this ballot was cast: it can no longer be challenged');
  const signature = sign(credential, signedMessage(p.hash, 'challenge'));
  return { ballot: p.body, intent: 'challenge', signature: toHex(signature), opening: openingJson(p) };
}

/** Drops the nonces and marks of a prepared ballot (after which it shows nothing of the vote). */
export function forgetOpening(p: PreparedBallot): void {
  for (const row of p.nonces) row.fill(0n);
  for (const row of p.marks) row.fill(false);
  p.nonces = [];
  p.marks = [];
}

/** What a challenged ballot encrypts, per contest: the ids of the options marked. */
export type OpenedChoices = { contest: string; options: string[] }[];

interface SelectionJson {
  option: string;
  ciphertext: { pad: string; data: string };
  proof: DisjunctiveProofJson;
}

/**
 * Checks a challenged ballot line against the election as a second device would: the body
 * is for this election and manifest, every proof holds, and the opening reproduces every
 * ciphertext within the limits. Returns what the ballot encrypts.
 */
export function checkChallenged(e: Election, line: { ballot: Json; intent: string; signature: string; opening?: Json }): OpenedChoices {
  if (line.intent !== 'challenge' || !line.opening) throw new ProtocolError('not a challenged ballot');
  const body = line.ballot as unknown as { election: string; credential: string; contests: { contest: string; selections: SelectionJson[]; range_proof: DisjunctiveProofJson }[] };
  if (body.election !== toHex(e.baseHash)) throw new ProtocolError('the ballot is for another election');
  const credentialKey = fromHex(body.credential, 32, 'ballot credential');
  const signature = fromHex((line as { signature?: unknown }).signature, 64, 'ballot signature');
  if (!verifyStrict(signature, signedMessage(ballotHash(line.ballot), 'challenge'), credentialKey)) {
    throw new ProtocolError("the credential's signature on the challenge does not verify");
  }
  const opening = (line.opening as { contests: { vote: boolean; nonce: string }[][] }).contests;
  if (!Array.isArray(body.contests) || body.contests.length !== e.manifest.contests.length || !Array.isArray(opening) || opening.length !== body.contests.length) {
    throw new ProtocolError('the ballot does not have the manifest\'s contests');
  }
  return e.manifest.contests.map((contest, i) => {
    const bc = body.contests[i]!;
    const open = opening[i]!;
    if (bc.contest !== contest.id || bc.selections.length !== contest.options.length || open.length !== contest.options.length) {
      throw new ProtocolError(`contest ${i + 1} is not ${contest.id} with its options`);
    }
    const cts = bc.selections.map((s, j) => {
      const option = contest.options[j]!;
      if (s.option !== option.id) throw new ProtocolError(`contest ${contest.id}: option ${j + 1} is not ${option.id}`);
      const what = `${contest.id}/${option.id}`;
      const ct = { pad: pointFromHex(s.ciphertext.pad, `${what} pad`), data: pointFromHex(s.ciphertext.data, `${what} data`) };
      verify(statement(e, ZERO_ONE, selectionBinding(credentialKey, contest.id, option.id), ct, 0, 1), s.proof, `${what} proof`);
      const o = open[j]!;
      const again = encrypt(e.jointKey, o.vote ? 1 : 0, scalarFromHex(o.nonce, `${what} nonce`));
      if (!again.pad.equals(ct.pad) || !again.data.equals(ct.data)) throw new ProtocolError(`${what}: the opening does not reproduce the ciphertext`);
      return ct;
    });
    verify(statement(e, RANGE, contestBinding(credentialKey, contest.id), sum(cts), contest.min_selections, contest.max_selections), bc.range_proof, `${contest.id} range proof`);
    const chosen = contest.options.filter((_, j) => open[j]!.vote === true).map((o) => o.id);
    if (contestLimits(contest, chosen.length)) throw new ProtocolError(`${contest.id}: the opening breaks the contest's limits`);
    return { contest: contest.id, options: chosen };
  });
}
