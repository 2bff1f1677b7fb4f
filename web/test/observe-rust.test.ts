// The browser's signed protocols against the Rust implementation, both ways: the `fairtally`
// binary accredits an observer, this code reads the accreditation and signs a protocol, and
// `fairtally observe verify` must accept it; a protocol `fairtally observe submit` signed must
// re-encode here to the same bytes. Needs the binary: `cargo build --release -p fairtally`
// (or FAIRTALLY_BIN=path).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { parseMappingElection } from '../src/observe/election';
import {
  type SignedProtocol,
  keyFromSeed,
  photoDigest,
  protocolItemBytes,
  readAccreditation,
  secretKeyFileText,
  signProtocol,
} from '../src/observe/signed';

const BIN = process.env.FAIRTALLY_BIN ?? resolve(process.env.CARGO_TARGET_DIR ?? '../target', 'release/fairtally');
const dir = mkdtempSync(join(tmpdir(), 'fairtally-observe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fairtally(...args: string[]): string {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Text that exercises every JSON escape both encoders must agree on: quotes, backslash,
// controls, non-ASCII, a character outside the BMP, and the slash neither escapes.
const ELECTION = 'Выборы "2026" \\ a/b \u0001\u001f\u007f 😀 tab\there';
const MAPPING = `[election]
name = "${ELECTION.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\u0001/g, '\\u0001').replace(/\u001f/g, '\\u001F').replace(/\u007f/g, '\\u007f')}"
options = [
    { id = "ann", name = "Ann Ash" },
    { id = "bob", name = "Bob Birch" },
]

[station]
id = "id"

[[source]]
kind = "official"

[source.votes]
ann = "ann"
bob = "bob"
`;

describe('signed protocols, TypeScript against the fairtally binary', () => {
  it('finds the binary', () => {
    expect(existsSync(BIN), `no ${BIN}: run cargo build --release -p fairtally, or set FAIRTALLY_BIN`).toBe(true);
  });

  const org = keyFromSeed(new Uint8Array(32).fill(7));
  const observer = keyFromSeed(new Uint8Array(32).fill(9));
  writeFileSync(join(dir, 'org.key'), secretKeyFileText(org), { mode: 0o600 });
  writeFileSync(join(dir, 'ann.key'), secretKeyFileText(observer), { mode: 0o600 });
  writeFileSync(join(dir, 'map.toml'), MAPPING);
  const outbox = join(dir, 'outbox');

  it('reads the mapping as the binary does, and the binary accepts what this code signed', () => {
    expect(fairtally('observe', 'pubkey', '--key', join(dir, 'org.key')).trim()).toBe(org.publicKey);
    const election = parseMappingElection(MAPPING);
    expect(election.name).toBe(ELECTION);
    const accreditationPath = fairtally(
      'observe', 'accredit', '--org-key', join(dir, 'org.key'), '--observer', observer.publicKey,
      '--name', 'Ann "the observer"', '--map', join(dir, 'map.toml'), '--outbox', outbox,
    ).trim();
    const accreditation = readAccreditation(readFileSync(accreditationPath, 'utf8'), observer.publicKey, [org.publicKey]);
    expect(accreditation.body.election).toBe(ELECTION);

    const photo = new TextEncoder().encode('not really a JPEG');
    const signed = signProtocol(observer, {
      election: election.name,
      station: 'Участок №1 "школа"\n',
      accreditation,
      options: election.options.map((o) => o.id),
      protocol: { registered: 1500, ballots_received: 1400, ballots_issued: 1000, ballots_cancelled: 400, ballots_counted: 1000, valid: 990, invalid: 10, votes: [600, 390] },
      photos: [photoDigest(photo)],
      signed_at: 1_780_000_000,
    });
    mkdirSync(join(outbox, 'photos'), { recursive: true });
    writeFileSync(join(outbox, 'items', `${signed.digest}.json`), signed.canonical);
    writeFileSync(join(outbox, 'photos', photoDigest(photo)), photo);
    const verified = spawnSync(BIN, ['observe', 'verify', outbox, '--trust', org.publicKey], { encoding: 'utf8' });
    expect(verified.stdout).toContain(`${signed.digest} observe/protocol/v1`);
    expect(verified.stdout).not.toContain('REFUSED');
    expect(verified.status).toBe(0);

    // The same check fails when one figure is changed after signing.
    const tampered = new TextDecoder().decode(signed.canonical).replace('"valid":990', '"valid":991');
    const bad = join(dir, 'tampered');
    mkdirSync(join(bad, 'items'), { recursive: true });
    const digest = photoDigest(new TextEncoder().encode(tampered));
    writeFileSync(join(bad, 'items', `${digest}.json`), tampered);
    writeFileSync(join(bad, 'items', `${accreditationPath.split('/').pop()}`), readFileSync(accreditationPath));
    const refused = spawnSync(BIN, ['observe', 'verify', bad, '--trust', org.publicKey], { encoding: 'utf8' });
    expect(refused.stdout).toContain("observer's signature does not verify");
    expect(refused.status).toBe(1);
  });

  it('encodes a protocol the binary signed to the very same bytes', () => {
    const out = join(dir, 'cli-outbox');
    const accreditation = fairtally(
      'observe', 'accredit', '--org-key', join(dir, 'org.key'), '--observer', observer.publicKey,
      '--name', 'Ann', '--map', join(dir, 'map.toml'), '--outbox', out,
    ).trim();
    const path = fairtally(
      'observe', 'submit', '--key', join(dir, 'ann.key'), '--accreditation', accreditation,
      '--map', join(dir, 'map.toml'), '--station', 'S "1"/é', '--figure', 'valid=10',
      '--vote', 'bob=4', '--vote', 'ann=6', '--outbox', out,
    ).trim();
    const bytes = readFileSync(path);
    const item = JSON.parse(bytes.toString('utf8')) as { type: string } & SignedProtocol;
    expect(item.type).toBe('protocol');
    expect(Buffer.from(protocolItemBytes(item)).equals(bytes)).toBe(true);
    expect(readdirSync(join(out, 'items'))).toHaveLength(2);
  });
});
