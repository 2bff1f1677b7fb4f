// The observer's device storage in IndexedDB: the outbox (signed protocols and their
// photos) and the observer's settings (key, accreditation, election). Nothing here leaves the
// device except what the queue sends: the signed protocols.

import type { OutboxStore, QueuedItem, StoredPhoto } from './queue';

const DB_NAME = 'fairtally-observe';
const DB_VERSION = 1;

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

/** Opens (creating on first use) the observer's database. */
export function openDatabase(): Promise<IDBDatabase> {
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore('items', { keyPath: 'digest' }).createIndex('queuedAt', 'queuedAt');
    db.createObjectStore('photos', { keyPath: 'digest' });
    db.createObjectStore('settings');
  };
  return promised(request);
}

/** The outbox in IndexedDB. */
export class IndexedDbOutbox implements OutboxStore {
  constructor(private readonly db: IDBDatabase) {}

  async add(item: QueuedItem, photos: StoredPhoto[]): Promise<boolean> {
    // One transaction: the protocol and its photos are stored together or not at all.
    const tx = this.db.transaction(['items', 'photos'], 'readwrite', { durability: 'strict' });
    const items = tx.objectStore('items');
    const existing = await promised(items.getKey(item.digest));
    if (existing === undefined) {
      items.add(item);
      for (const p of photos) tx.objectStore('photos').put(p);
    }
    await done(tx);
    return existing === undefined;
  }

  async list(): Promise<QueuedItem[]> {
    const tx = this.db.transaction('items', 'readonly');
    const all = await promised(tx.objectStore('items').index('queuedAt').getAll());
    return all as QueuedItem[];
  }

  async photo(digest: string): Promise<StoredPhoto | undefined> {
    const tx = this.db.transaction('photos', 'readonly');
    return (await promised(tx.objectStore('photos').get(digest))) as StoredPhoto | undefined;
  }

  async update(item: QueuedItem): Promise<void> {
    const tx = this.db.transaction('items', 'readwrite', { durability: 'strict' });
    tx.objectStore('items').put(item);
    await done(tx);
  }
}

/** Reads one setting; undefined when it was never stored. */
export async function getSetting<T>(db: IDBDatabase, key: string): Promise<T | undefined> {
  const tx = db.transaction('settings', 'readonly');
  return (await promised(tx.objectStore('settings').get(key))) as T | undefined;
}

/** Stores one setting durably. */
export async function putSetting(db: IDBDatabase, key: string, value: unknown): Promise<void> {
  const tx = db.transaction('settings', 'readwrite', { durability: 'strict' });
  tx.objectStore('settings').put(value, key);
  await done(tx);
}

/** Forgets one setting. */
export async function deleteSetting(db: IDBDatabase, key: string): Promise<void> {
  const tx = db.transaction('settings', 'readwrite', { durability: 'strict' });
  tx.objectStore('settings').delete(key);
  await done(tx);
}
