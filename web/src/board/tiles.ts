// The board's public files (C2SP tlog-tiles, height 8) read from any static copy: hash tiles
// give subtree hashes for proofs, entry bundles give entries. Nothing read here is trusted
// until a proof ties it to a verified checkpoint.
import { ProtocolError } from '../protocol/bytes.ts';
import { type NodeSource, leafHash, nodeHash } from './merkle.ts';

/** Reads one file of the board, at most `limit` bytes; null when the file does not exist. */
export type FileReader = (path: string, limit: number) => Promise<Uint8Array | null>;

const TILE_WIDTH = 256;
const HASH = 32;
const MAX_NOTE_FILE = 1 << 20;
const MAX_BUNDLE = TILE_WIDTH * (2 + 65_535);

/** `tile/<L>/<N>` with N in groups of three digits, all but the last prefixed with `x`. */
export function tilePath(level: number | 'entries', index: number, width: number): string {
  const digits = String(index).padStart(3, '0');
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end).padStart(3, '0'));
  const n = groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
  return `tile/${level}/${n}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/** A fetch-based reader for a board at `base` (a URL ending in `/`). */
export function httpReader(base: string): FileReader {
  return async (path, limit) => {
    const response = await fetch(new URL(path, base), { cache: 'no-store' });
    if (response.status === 404) return null;
    if (!response.ok) throw new ProtocolError(`${path}: the board answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > limit) throw new ProtocolError(`${path}: ${declared} bytes, more than ${limit}`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > limit) throw new ProtocolError(`${path}: ${body.length} bytes, more than ${limit}`);
    return body;
  };
}

/** One entry: its kind and body. */
export interface Entry {
  kind: string;
  body: Uint8Array;
  leafHash: Uint8Array;
}

/** The tiles of the tree of `size` leaves, read through `read`. */
export class Tiles implements NodeSource {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly read: FileReader,
    readonly size: number,
  ) {}

  /** Reads the signed checkpoint file (`checkpoint`) of a board. */
  static async checkpointNote(read: FileReader): Promise<string> {
    const bytes = await read('checkpoint', MAX_NOTE_FILE);
    if (!bytes) throw new ProtocolError('the board has no checkpoint file');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  }

  /** The hashes of tile `index` at tile level `level`, exactly as wide as this tree needs. */
  private tile(level: number, index: number): Promise<Uint8Array> {
    const nodes = Math.floor(this.size / TILE_WIDTH ** level);
    const width = Math.min(TILE_WIDTH, nodes - TILE_WIDTH * index);
    if (width <= 0) return Promise.reject(new ProtocolError(`tile ${level}/${index} is beyond the tree`));
    const path = tilePath(level, index, width);
    let tile = this.cache.get(path);
    if (!tile) {
      tile = this.read(path, HASH * width).then((bytes) => {
        if (!bytes || bytes.length !== HASH * width) throw new ProtocolError(`${path}: missing or not ${HASH * width} bytes`);
        return bytes;
      });
      this.cache.set(path, tile);
    }
    return tile;
  }

  /** The hash of the complete subtree of 2^level leaves starting at leaf index·2^level. */
  async node(level: number, index: number): Promise<Uint8Array> {
    const tileLevel = Math.floor(level / 8);
    const up = level - 8 * tileLevel;
    const span = 2 ** up;
    const first = index * span;
    const tile = await this.tile(tileLevel, Math.floor(first / TILE_WIDTH));
    const at = first % TILE_WIDTH;
    let row: Uint8Array[] = [];
    for (let i = 0; i < span; i++) row.push(tile.slice(HASH * (at + i), HASH * (at + i + 1)));
    while (row.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
      row = next;
    }
    return row[0]!;
  }

  /** The entries of bundle `index` (leaves 256·index …), as wide as this tree needs. */
  async bundle(index: number): Promise<Entry[]> {
    const width = Math.min(TILE_WIDTH, this.size - TILE_WIDTH * index);
    if (width <= 0) throw new ProtocolError(`entry bundle ${index} is beyond the tree`);
    const path = tilePath('entries', index, width);
    const bytes = await this.read(path, MAX_BUNDLE);
    if (!bytes) throw new ProtocolError(`${path} is missing`);
    const entries: Entry[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (at + 2 > bytes.length) throw new ProtocolError(`${path}: cut short`);
      const length = (bytes[at]! << 8) | bytes[at + 1]!;
      const data = bytes.slice(at + 2, at + 2 + length);
      if (data.length !== length || length < 1 || data[0]! + 1 > length) throw new ProtocolError(`${path}: entry ${entries.length + 1} is malformed`);
      entries.push({ kind: new TextDecoder().decode(data.slice(1, 1 + data[0]!)), body: data.slice(1 + data[0]!), leafHash: leafHash(data) });
      at += 2 + length;
    }
    if (entries.length !== width) throw new ProtocolError(`${path}: ${entries.length} entries, expected ${width}`);
    return entries;
  }
}
