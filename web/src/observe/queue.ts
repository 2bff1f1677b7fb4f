// The observer's outbox in the browser: signed protocols wait here until the server has put
// them on the board, as `fairtally board outbox` keeps entries made offline.
//
// Nothing lost: an item is written (with its photos, in one transaction) before the page says
// it is queued, and it leaves the pending list only when the server has answered with its
// board index. Nothing sent twice: one sender at a time across every tab (a Web Lock), an
// item delivered is never sent again, and the server is idempotent for the rare case where
// an answer was lost on the way back (the same bytes get the same board index).

/** Where an item is in its journey to the board. */
export type ItemState = 'pending' | 'delivered' | 'refused';

/** One signed protocol in the outbox. */
export interface QueuedItem {
  /** SHA-256 (hex) of the canonical bytes: the key, so one item is queued once. */
  digest: string;
  /** The canonical bytes, as text (canonical JSON is UTF-8). */
  canonical: string;
  /** The station, for the observer's list. */
  station: string;
  /** SHA-256 (hex) of each photo the protocol names, stored beside it. */
  photos: string[];
  /** When it was queued (milliseconds since the epoch): items are sent oldest first. */
  queuedAt: number;
  state: ItemState;
  /** The board index the server acknowledged. */
  boardIndex?: number;
  /** Why the server refused it, in its own words. */
  reason?: string;
  /** Failed attempts so far (network down, server unavailable). */
  attempts: number;
  /** Photos (SHA-256) the server has stored, once the protocol is on the board. */
  uploaded?: string[];
  /** Photos the server refused to store, with its reason. */
  photoRefused?: Record<string, string>;
}

/** A photo kept with the protocol that names it. */
export interface StoredPhoto {
  digest: string;
  type: string;
  bytes: Uint8Array;
}

/** The storage an outbox needs; IndexedDB in the browser (idb.ts), memory in unit tests. */
export interface OutboxStore {
  /** Stores the item and its photos together; false when the item is already there. */
  add(item: QueuedItem, photos: StoredPhoto[]): Promise<boolean>;
  /** Every item, oldest first. */
  list(): Promise<QueuedItem[]>;
  /** Replaces an item (same digest) with its new state. */
  update(item: QueuedItem): Promise<void>;
  /** A photo stored with its protocol; undefined when there is none with that digest. */
  photo(digest: string): Promise<StoredPhoto | undefined>;
}

/** Runs `task` while no other sender (in this tab or another) runs. */
export type Lock = <T>(task: () => Promise<T>) => Promise<T>;

/** A lock across tabs and the service worker when the browser has Web Locks, else in-page. */
export function outboxLock(name = 'fairtally-observe-outbox'): Lock {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks) return <T>(task: () => Promise<T>) => locks.request(name, task) as Promise<T>;
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** What one round of sending did. */
export interface SendReport {
  delivered: number;
  refused: number;
  /** Items still waiting. */
  pending: number;
  /** Why the round stopped early: the network is down, or the server is unavailable. */
  stopped?: string;
}

/**
 * Answers that refuse the item itself (malformed, too large, a signature that does not
 * verify): sending it again would be refused again. Any other failure (no such endpoint, not
 * allowed now, busy, down) is retried later, so a misconfigured or old server loses nothing.
 */
const ITEM_REFUSED = [400, 413, 415, 422];

/** The most bytes of a refusal kept to show the observer. */
const MAX_REASON = 2000;

/** Reads `{"board_index": N}` from an acceptance; undefined when the answer is not that. */
export function boardIndexOf(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const index = (body as Record<string, unknown>).board_index;
  return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}

/** Reads the reason of a refusal: the JSON `error` field if there is one, else the text. */
async function refusalReason(res: Response): Promise<string> {
  const text = (await res.text().catch(() => '')).slice(0, MAX_REASON);
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.error === 'string') return body.error;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: the text itself
  }
  return text || `HTTP ${res.status}`;
}

/** Posts one item; returns its new state, or the reason to stop this round. */
async function sendOne(
  item: QueuedItem,
  endpoint: string,
  fetchFn: typeof fetch,
): Promise<{ item: QueuedItem } | { stop: string }> {
  let res: Response;
  try {
    res = await fetchFn(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: item.canonical,
      cache: 'no-store',
    });
  } catch (e) {
    return { stop: `network: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (res.ok) {
    const index = boardIndexOf(await res.json().catch(() => undefined));
    if (index === undefined) {
      // Accepted, but the answer does not say where: keep it pending; sending again is safe.
      return { stop: `the server answered ${res.status} without a board index` };
    }
    return { item: { ...item, state: 'delivered', boardIndex: index, reason: undefined } };
  }
  if (ITEM_REFUSED.includes(res.status)) {
    return { item: { ...item, state: 'refused', reason: await refusalReason(res) } };
  }
  return { stop: `the server answered ${res.status}` };
}

/**
 * Sends every pending item, oldest first, to `endpoint` (`POST /api/v1/observations`), under
 * `lock`. Each item's state is stored as soon as its answer arrives. The round stops at the
 * first network failure or unavailable server; the items left wait for the next round.
 */
export async function sendPending(
  store: OutboxStore,
  endpoint: string,
  lock: Lock,
  fetchFn: typeof fetch = fetch,
): Promise<SendReport> {
  return lock(async () => {
    const report: SendReport = { delivered: 0, refused: 0, pending: 0 };
    // Read inside the lock: another sender may have delivered items since we last looked.
    const pending = (await store.list()).filter((i) => i.state === 'pending');
    for (const [n, item] of pending.entries()) {
      const sent = await sendOne(item, endpoint, fetchFn);
      if ('stop' in sent) {
        await store.update({ ...item, attempts: item.attempts + 1 });
        report.stopped = sent.stop;
        report.pending = pending.length - n;
        return report;
      }
      await store.update(sent.item);
      if (sent.item.state === 'delivered') report.delivered++;
      else report.refused++;
    }
    return report;
  });
}

/** Where one photo is: waiting for its protocol to reach the board, then uploaded or refused. */
export type PhotoState = 'waiting' | 'uploading' | 'uploaded' | 'refused';

/** The state of each photo an item names, in its order. */
export function photoStates(item: QueuedItem): { digest: string; state: PhotoState; reason?: string }[] {
  return item.photos.map((digest) => {
    const reason = item.photoRefused?.[digest];
    if (reason !== undefined) return { digest, state: 'refused', reason };
    if (item.uploaded?.includes(digest)) return { digest, state: 'uploaded' };
    return { digest, state: item.state === 'delivered' ? 'uploading' : 'waiting' };
  });
}

/** What one round of photo uploads did. */
export interface PhotoReport {
  uploaded: number;
  refused: number;
  /** Photos of delivered protocols still to upload. */
  pending: number;
  /** Why the round stopped early. */
  stopped?: string;
}

/**
 * Answers that refuse the photo itself: not an image, too large, not named by the protocol,
 * or not from an organisation the server trusts (`403`). `507` (the observer's quota or the
 * server's store is full) is retried later, as an unavailable server is.
 */
const PHOTO_REFUSED = [400, 403, 413, 415, 422];

/** Posts one photo of the protocol at `boardIndex`; its new state, or the reason to stop. */
async function uploadOne(
  photo: StoredPhoto,
  boardIndex: number,
  endpoint: string,
  fetchFn: typeof fetch,
): Promise<'uploaded' | { refused: string } | { stop: string }> {
  let res: Response;
  try {
    res = await fetchFn(`${endpoint}?entry=${boardIndex}`, {
      method: 'POST',
      headers: { 'content-type': photo.type || 'application/octet-stream' },
      body: photo.bytes as Uint8Array<ArrayBuffer>,
      cache: 'no-store',
    });
  } catch (e) {
    return { stop: `network: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (res.ok) {
    const body = (await res.json().catch(() => undefined)) as { sha256?: unknown } | undefined;
    // The server names the photo by the hash it computed: it must be the one signed.
    if (body?.sha256 !== photo.digest) return { stop: `the server stored the photo under ${String(body?.sha256)}, not ${photo.digest}` };
    return 'uploaded';
  }
  if (PHOTO_REFUSED.includes(res.status)) return { refused: await refusalReason(res) };
  return { stop: `the server answered ${res.status}` };
}

/**
 * Uploads the photos of every delivered protocol that the server does not have yet, to
 * `endpoint` (`POST /api/v1/photos?entry=BOARD_INDEX`), under the outbox's `lock`: each photo
 * once, its state stored as soon as its answer arrives, so a round cut short resumes where it
 * stopped (a repeated upload is answered as the first was, and writes nothing).
 */
export async function uploadPhotos(
  store: OutboxStore,
  endpoint: string,
  lock: Lock,
  fetchFn: typeof fetch = fetch,
): Promise<PhotoReport> {
  return lock(async () => {
    const report: PhotoReport = { uploaded: 0, refused: 0, pending: 0 };
    const items = (await store.list()).filter((i) => i.state === 'delivered' && i.boardIndex !== undefined);
    const waiting = items.flatMap((item) => photoStates(item).filter((p) => p.state === 'uploading').map((p) => ({ item, digest: p.digest })));
    let current = new Map(items.map((i) => [i.digest, i]));
    for (const [n, { item, digest }] of waiting.entries()) {
      const photo = await store.photo(digest);
      const latest = current.get(item.digest)!;
      const outcome: Awaited<ReturnType<typeof uploadOne>> = photo
        ? await uploadOne(photo, item.boardIndex!, endpoint, fetchFn)
        : { refused: 'the photo is no longer on this device' };
      if (typeof outcome === 'object' && 'stop' in outcome) {
        report.stopped = outcome.stop;
        report.pending = waiting.length - n;
        return report;
      }
      const next: QueuedItem =
        outcome === 'uploaded'
          ? { ...latest, uploaded: [...(latest.uploaded ?? []), digest] }
          : { ...latest, photoRefused: { ...latest.photoRefused, [digest]: outcome.refused } };
      await store.update(next);
      current = current.set(item.digest, next);
      if (outcome === 'uploaded') report.uploaded++;
      else report.refused++;
    }
    return report;
  });
}

/** A new pending item for a signed protocol. */
export function queuedItem(
  digest: string,
  canonical: string,
  station: string,
  photos: string[],
  now: number,
): QueuedItem {
  return { digest, canonical, station, photos, queuedAt: now, state: 'pending', attempts: 0 };
}
