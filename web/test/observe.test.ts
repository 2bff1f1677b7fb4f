import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { checkProtocol, missingVotes } from '../src/observe/checks';
import { parseMappingElection } from '../src/observe/election';
import { protocolOf, readFigure } from '../src/observe/form';
import {
  type OutboxStore,
  type QueuedItem,
  type StoredPhoto,
  boardIndexOf,
  outboxLock,
  photoStates,
  queuedItem,
  sendPending,
  uploadPhotos,
} from '../src/observe/queue';
import {
  type StationProtocol,
  generateKey,
  parsePublicKey,
  parseSecretKeyFile,
  photoDigest,
  protocolItemBytes,
  readAccreditation,
  secretKeyFileText,
  signProtocol,
} from '../src/observe/signed';

const sheet = (): StationProtocol => ({
  registered: 1000,
  ballots_received: 900,
  ballots_issued: 600,
  ballots_cancelled: 300,
  ballots_counted: 600,
  valid: 590,
  invalid: 10,
  votes: [400, 190],
});

describe('arithmetic checks (as crates/observe/src/checks.rs)', () => {
  it('an honest sheet passes every check', () => {
    expect(checkProtocol(sheet())).toEqual([]);
  });

  it('each rule catches its violation, with the Rust wording', () => {
    const cases: [string, (p: StationProtocol) => void, string][] = [
      ['counted_is_valid_plus_invalid', (p) => (p.invalid = 11), 'counted 600 ≠ valid 590 + invalid 11'],
      ['votes_sum_to_valid', (p) => (p.votes[1] = 191), 'votes 591 ≠ valid 590'],
      ['issued_at_most_received', (p) => (p.ballots_received = 599), 'issued 600 > received 599'],
      ['issued_plus_cancelled_at_most_received', (p) => (p.ballots_cancelled = 301), 'issued 600 + cancelled 301 > received 900'],
      ['turnout_at_most_100', (p) => (p.registered = 599), 'issued 600 > registered 599'],
      ['counted_at_most_issued', (p) => (p.ballots_issued = 599), 'counted 600 > issued 599'],
    ];
    for (const [check, breakIt, detail] of cases) {
      const p = sheet();
      breakIt(p);
      expect(checkProtocol(p).find((f) => f.check === check)?.detail, check).toBe(detail);
    }
    const p = { ...sheet(), valid: 300, votes: [301, null] };
    expect(checkProtocol(p).find((f) => f.check === 'option_at_most_valid')?.detail).toBe('option 0: 301 > valid 300');
  });

  it('checks without their figures do not apply; partial votes are a concern', () => {
    const empty: StationProtocol = { ...sheet(), registered: null, ballots_received: null, ballots_issued: null, ballots_cancelled: null, ballots_counted: null, valid: null, invalid: null, votes: [3, null] };
    expect(checkProtocol(empty)).toEqual([]);
    expect(missingVotes(empty)).toEqual([1]);
    expect(missingVotes({ ...empty, votes: [null, null] })).toEqual([]);
  });
});

describe('the form', () => {
  it('reads figures: empty is not given, spaces between digits are fine, anything else is refused', () => {
    expect(readFigure('')).toBeNull();
    expect(readFigure(' 1 319 ')).toBe(1319);
    expect(readFigure('12a')).toBeUndefined();
    expect(readFigure('-3')).toBeUndefined();
    expect(readFigure('1.5')).toBeUndefined();
    expect(readFigure('99999999999999999999')).toBeUndefined();
  });

  it('names the fields it cannot read', () => {
    const { protocol, unreadable } = protocolOf({ station: 'S', figures: { valid: '10', invalid: 'x' }, votes: ['4', '6', 'seven'] });
    expect(protocol.valid).toBe(10);
    expect(protocol.invalid).toBeNull();
    expect(protocol.votes).toEqual([4, 6, null]);
    expect(unreadable).toEqual([
      { field: 'invalid', text: 'x' },
      { field: 'votes:2', text: 'seven' },
    ]);
  });
});

describe('the election from a mapping', () => {
  it('reads the shipped Belarus mapping', () => {
    const e = parseMappingElection(readFileSync('../mappings/belarus-2020-voice.toml', 'utf8'));
    expect(e.name).toBe('Belarus, presidential election, 9 August 2020');
    expect(e.options.map((o) => o.id)).toEqual(['lukashenko', 'tihanovkaja', 'dmitriyev', 'kanopatskaja', 'cherechen', 'against']);
    expect(e.options[1]?.name).toBe('Sviatlana Tsikhanouskaya');
  });

  it('reads escapes, and refuses a mapping without options or with a repeated id', () => {
    const e = parseMappingElection('[election]\nname = "A \\"B\\" \\u00e9"\noptions = [{ id = \'x\', name = "X" }]\n[station]\nid = "id"\n');
    expect(e).toEqual({ name: 'A "B" é', options: [{ id: 'x', name: 'X' }] });
    expect(() => parseMappingElection('[election]\nname = "A"\n')).toThrow('no `options`');
    expect(() => parseMappingElection('[election]\nname = "A"\noptions = [{id="x",name="X"},{id="x",name="Y"}]\n')).toThrow('more than once');
    expect(() => parseMappingElection('[election]\nname = "A\n')).toThrow('line 2: unterminated string');
  });
});

describe('keys and signatures', () => {
  it('round-trips a key file and refuses a bad one', () => {
    const key = generateKey();
    expect(parseSecretKeyFile(secretKeyFileText(key)).publicKey).toBe(key.publicKey);
    expect(() => parseSecretKeyFile('something else\n00\n')).toThrow('first line');
    expect(() => parseSecretKeyFile('fairtally ed25519 secret key v1\nzz\n')).toThrow('64 hexadecimal');
  });

  it('refuses weak, non-canonical and non-point public keys', () => {
    expect(() => parsePublicKey(`01${'00'.repeat(31)}`, 'k')).toThrow('weak');
    expect(() => parsePublicKey('D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A', 'k')).toThrow('lower-case');
    expect(() => parsePublicKey('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'k')).not.toThrow();
  });

  it('refuses to sign what the server would refuse', () => {
    const key = generateKey();
    const accreditation = { body: { election: 'E', organisation: '00'.repeat(32), observer: key.publicKey, observer_name: 'Ann' }, signature: '' };
    const body = { election: 'E', station: 'S', accreditation, options: ['a', 'b'], protocol: { ...sheet(), votes: [400, 190] }, photos: [], signed_at: 1 };
    expect(() => signProtocol(key, { ...body, options: ['a', 'a'] })).toThrow('more than once');
    expect(() => signProtocol(key, { ...body, options: ['a'] })).toThrow('1 options but 2 vote figures');
    expect(() => signProtocol(key, { ...body, election: 'F' })).toThrow('another election');
    expect(() => signProtocol(generateKey(), body)).toThrow('another observer');
    expect(() => signProtocol(key, { ...body, photos: ['AB'] })).toThrow('photo hash');
    expect(() => signProtocol(key, { ...body, station: 'S\uD800' })).toThrow('broken character');
    expect(() => signProtocol(key, { ...body, protocol: { ...sheet(), valid: -1 } })).toThrow('valid');
    const signed = signProtocol(key, body);
    expect(new TextDecoder().decode(protocolItemBytes(signed.protocol))).toMatch(/^\{"type":"protocol","body":\{"election":"E","station":"S","observer":"[0-9a-f]{64}","accreditation":\{"body":\{"election":"E",/);
  });

  it('refuses an accreditation that is not canonical or not signed by its organisation', () => {
    const key = generateKey();
    const forged = JSON.stringify({ type: 'accreditation', body: { election: 'E', organisation: generateKey().publicKey, observer: key.publicKey, observer_name: 'Ann' }, signature: '00'.repeat(64) });
    expect(() => readAccreditation(forged, key.publicKey)).toThrow("organisation's signature does not verify");
    expect(() => readAccreditation(forged.replace(',"body"', ', "body"'), key.publicKey)).toThrow('canonical');
    expect(() => readAccreditation('{"type":"protocol"}', key.publicKey)).toThrow('not an accreditation');
  });
});

/** The outbox in memory, with the same contract as IndexedDbOutbox. */
class MemoryOutbox implements OutboxStore {
  readonly items = new Map<string, QueuedItem>();
  readonly photos = new Map<string, StoredPhoto>();
  async add(item: QueuedItem, photos: StoredPhoto[]): Promise<boolean> {
    if (this.items.has(item.digest)) return false;
    this.items.set(item.digest, { ...item });
    for (const p of photos) this.photos.set(p.digest, p);
    return true;
  }
  async photo(digest: string): Promise<StoredPhoto | undefined> {
    return this.photos.get(digest);
  }
  async list(): Promise<QueuedItem[]> {
    return [...this.items.values()].sort((a, b) => a.queuedAt - b.queuedAt).map((i) => ({ ...i }));
  }
  async update(item: QueuedItem): Promise<void> {
    this.items.set(item.digest, { ...item });
  }
}

/** A board behind a fake fetch: idempotent, counting every request; `mode` decides answers. */
function fakeServer() {
  const board: string[] = [];
  const server = {
    posts: [] as string[],
    mode: 'up' as 'up' | 'offline' | 'unavailable' | 'lose-answer' | 'refuse' | 'no-endpoint',
    board,
    fetch: (async (_url: string, init?: RequestInit) => {
      if (server.mode === 'offline') throw new TypeError('Failed to fetch');
      const body = String(init?.body);
      server.posts.push(body);
      if (server.mode === 'unavailable') return new Response('busy', { status: 503 });
      if (server.mode === 'no-endpoint') return new Response('not found', { status: 404 });
      if (server.mode === 'refuse') return Response.json({ error: 'bad signature' }, { status: 422 });
      let index = board.indexOf(body);
      if (index < 0) index = board.push(body) - 1;
      if (server.mode === 'lose-answer') throw new TypeError('connection reset');
      return Response.json({ board_index: index }, { status: 201 });
    }) as typeof fetch,
  };
  return server;
}

const item = (n: number) => queuedItem(`d${n}`, `{"n":${n}}`, `S-${n}`, [], n);

describe('the outbox', () => {
  it('keeps items while offline and delivers each once when the network returns', async () => {
    const store = new MemoryOutbox();
    const server = fakeServer();
    const lock = outboxLock();
    for (const n of [1, 2, 3]) await store.add(item(n), []);
    expect(await store.add(item(2), [])).toBe(false);
    server.mode = 'offline';
    const offline = await sendPending(store, '/api', lock, server.fetch);
    expect(offline).toMatchObject({ delivered: 0, pending: 3 });
    expect(offline.stopped).toContain('network');
    expect((await store.list()).map((i) => i.state)).toEqual(['pending', 'pending', 'pending']);
    server.mode = 'up';
    expect(await sendPending(store, '/api', lock, server.fetch)).toEqual({ delivered: 3, refused: 0, pending: 0 });
    expect(await sendPending(store, '/api', lock, server.fetch)).toEqual({ delivered: 0, refused: 0, pending: 0 });
    expect(server.posts).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect((await store.list()).map((i) => i.boardIndex)).toEqual([0, 1, 2]);
  });

  it('two senders at once send each item once', async () => {
    const store = new MemoryOutbox();
    const server = fakeServer();
    const lock = outboxLock();
    for (const n of [1, 2, 3, 4]) await store.add(item(n), []);
    const [a, b] = await Promise.all([sendPending(store, '/api', lock, server.fetch), sendPending(store, '/api', lock, server.fetch)]);
    expect(a.delivered + b.delivered).toBe(4);
    expect(server.posts).toHaveLength(4);
  });

  it('an answer lost on the way back leaves the item pending; sending again puts nothing twice on the board', async () => {
    const store = new MemoryOutbox();
    const server = fakeServer();
    const lock = outboxLock();
    await store.add(item(1), []);
    server.mode = 'lose-answer';
    expect((await sendPending(store, '/api', lock, server.fetch)).pending).toBe(1);
    server.mode = 'up';
    await sendPending(store, '/api', lock, server.fetch);
    expect(server.board).toEqual(['{"n":1}']);
    expect((await store.list())[0]).toMatchObject({ state: 'delivered', boardIndex: 0, attempts: 1 });
  });

  it('a refused item keeps the reason and is not sent again; an unavailable server is retried', async () => {
    const store = new MemoryOutbox();
    const server = fakeServer();
    const lock = outboxLock();
    await store.add(item(1), []);
    server.mode = 'unavailable';
    expect(await sendPending(store, '/api', lock, server.fetch)).toMatchObject({ pending: 1, stopped: 'the server answered 503' });
    server.mode = 'no-endpoint';
    expect(await sendPending(store, '/api', lock, server.fetch)).toMatchObject({ pending: 1, stopped: 'the server answered 404' });
    server.mode = 'refuse';
    expect(await sendPending(store, '/api', lock, server.fetch)).toMatchObject({ refused: 1, pending: 0 });
    expect((await store.list())[0]).toMatchObject({ state: 'refused', reason: 'bad signature' });
    server.mode = 'up';
    await sendPending(store, '/api', lock, server.fetch);
    expect(server.posts).toHaveLength(3);
  });

  it('reads the board index only from a well-formed answer', () => {
    expect(boardIndexOf({ board_index: 7 })).toBe(7);
    for (const bad of [null, 'x', {}, { board_index: -1 }, { board_index: 1.5 }, { board_index: '7' }]) {
      expect(boardIndexOf(bad)).toBeUndefined();
    }
  });
});

/** A photo store behind a fake fetch, content-addressed like the server, counting uploads. */
function fakePhotoServer() {
  const stored = new Map<string, number>();
  const server = {
    uploads: [] as string[],
    mode: 'up' as 'up' | 'offline' | 'full' | 'refuse' | 'lose-answer' | 'wrong-name',
    stored,
    fetch: (async (url: string, init?: RequestInit) => {
      if (server.mode === 'offline') throw new TypeError('Failed to fetch');
      const digest = photoDigest(init?.body as Uint8Array);
      server.uploads.push(`${url} ${digest}`);
      if (server.mode === 'full') return Response.json({ error: 'full' }, { status: 507 });
      if (server.mode === 'refuse') return Response.json({ error: 'not a JPEG, PNG or WebP' }, { status: 415 });
      const again = stored.has(digest);
      stored.set(digest, (stored.get(digest) ?? 0) + 1);
      if (server.mode === 'lose-answer') throw new TypeError('connection reset');
      const name = server.mode === 'wrong-name' ? '0'.repeat(64) : digest;
      return Response.json({ sha256: name }, { status: again ? 200 : 201 });
    }) as typeof fetch,
  };
  return server;
}

describe('photo uploads', () => {
  const photo = (n: number): StoredPhoto => {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, n]);
    return { digest: photoDigest(bytes), type: 'image/jpeg', bytes };
  };
  const withPhotos = (n: number, photos: StoredPhoto[]) => queuedItem(`d${n}`, `{"n":${n}}`, `S-${n}`, photos.map((p) => p.digest), n);

  it('uploads each photo once, only after its protocol is on the board, and resumes where it stopped', async () => {
    const store = new MemoryOutbox();
    const board = fakeServer();
    const photos = fakePhotoServer();
    const lock = outboxLock();
    const [a, b, c] = [photo(1), photo(2), photo(3)];
    await store.add(withPhotos(1, [a, b]), [a, b]);
    await store.add(withPhotos(2, [c]), [c]);
    // The protocols are not on the board yet: nothing to upload.
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toEqual({ uploaded: 0, refused: 0, pending: 0 });
    expect(photoStates((await store.list())[0]!).map((p) => p.state)).toEqual(['waiting', 'waiting']);
    await sendPending(store, '/api', lock, board.fetch);
    expect(photoStates((await store.list())[0]!).map((p) => p.state)).toEqual(['uploading', 'uploading']);
    // The network goes after the first upload: the round stops, and the next resumes.
    let calls = 0;
    const flaky = (async (url: string, init?: RequestInit) => {
      if (calls++ > 0) throw new TypeError('Failed to fetch');
      return photos.fetch(url, init);
    }) as typeof fetch;
    expect(await uploadPhotos(store, '/photos', lock, flaky)).toMatchObject({ uploaded: 1, pending: 2 });
    const [r1, r2] = await Promise.all([uploadPhotos(store, '/photos', lock, photos.fetch), uploadPhotos(store, '/photos', lock, photos.fetch)]);
    expect(r1.uploaded + r2.uploaded).toBe(2);
    expect(photos.uploads).toEqual([`/photos?entry=0 ${a.digest}`, `/photos?entry=0 ${b.digest}`, `/photos?entry=1 ${c.digest}`]);
    expect([...photos.stored.values()]).toEqual([1, 1, 1]);
    expect((await store.list()).flatMap((i) => photoStates(i).map((p) => p.state))).toEqual(['uploaded', 'uploaded', 'uploaded']);
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toEqual({ uploaded: 0, refused: 0, pending: 0 });
  });

  it('a lost answer is sent again; a full store is retried; a refused photo keeps its reason; a misnamed one stops', async () => {
    const store = new MemoryOutbox();
    const board = fakeServer();
    const photos = fakePhotoServer();
    const lock = outboxLock();
    const a = photo(1);
    await store.add(withPhotos(1, [a]), [a]);
    await sendPending(store, '/api', lock, board.fetch);
    photos.mode = 'lose-answer';
    expect((await uploadPhotos(store, '/photos', lock, photos.fetch)).pending).toBe(1);
    photos.mode = 'full';
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toMatchObject({ pending: 1, stopped: 'the server answered 507' });
    photos.mode = 'wrong-name';
    expect((await uploadPhotos(store, '/photos', lock, photos.fetch)).stopped).toContain('not ' + a.digest);
    photos.mode = 'up';
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toMatchObject({ uploaded: 1 });
    expect(photos.stored.get(a.digest)).toBe(3); // idempotent on the server: still one file

    const b = photo(2);
    await store.add(withPhotos(2, [b]), [b]);
    await sendPending(store, '/api', lock, board.fetch);
    photos.mode = 'refuse';
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toMatchObject({ refused: 1, pending: 0 });
    const refused = photoStates((await store.list())[1]!)[0]!;
    expect(refused).toMatchObject({ state: 'refused', reason: 'not a JPEG, PNG or WebP' });
    photos.mode = 'up';
    expect(await uploadPhotos(store, '/photos', lock, photos.fetch)).toEqual({ uploaded: 0, refused: 0, pending: 0 });
  });
});
