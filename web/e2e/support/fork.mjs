// A forked copy of a board, as a cheating operator would publish it: the same origin and
// operator key, the same size, one entry taken out and another put at the end, every tile,
// bundle and the checkpoint rewritten and signed again. Only the tests make one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

const WIDTH = 256;

function tilePath(level, index, width) {
  const digits = String(index).padStart(3, '0');
  const groups = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end).padStart(3, '0'));
  return `tile/${level}/${groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/')}${width < WIDTH ? `.p/${width}` : ''}`;
}

const cat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const leafHash = (data) => sha256(cat([0], data));
const nodeHash = (l, r) => sha256(cat([1], l, r));

function root(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(root(hashes.slice(0, k)), root(hashes.slice(k)));
}

/** Every entry's leaf data, in order, from the entry bundles of `publicDir`. */
export function entries(publicDir) {
  const size = Number(readFileSync(join(publicDir, 'checkpoint'), 'utf8').split('\n')[1]);
  const out = [];
  for (let b = 0; WIDTH * b < size; b++) {
    const bytes = readFileSync(join(publicDir, tilePath('entries', b, Math.min(WIDTH, size - WIDTH * b))));
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt16BE(at);
      out.push(bytes.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
  }
  return out;
}

/** Writes a board of `leaves` to `outDir`, its checkpoint signed with `operatorKeyFile`. */
export function writeBoard(outDir, leaves, operatorKeyFile, policyText) {
  const m = readFileSync(operatorKeyFile, 'utf8').trim().match(/^PRIVATE\+KEY\+([^+]+)\+([0-9a-f]{8})\+(.+)$/);
  if (!m) throw new Error(`${operatorKeyFile} is not an operator key`);
  const [, name, keyId, b64] = m;
  const seed = Buffer.from(b64, 'base64').subarray(1);
  const write = (path, bytes) => {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), bytes);
  };
  let level = leaves.map(leafHash);
  const size = level.length;
  for (let L = 0; level.length > 0; L++) {
    for (let n = 0; WIDTH * n < level.length; n++) {
      const tile = level.slice(WIDTH * n, WIDTH * (n + 1));
      write(tilePath(L, n, tile.length), cat(...tile));
    }
    const next = [];
    for (let n = 0; WIDTH * (n + 1) <= level.length; n++) next.push(root(level.slice(WIDTH * n, WIDTH * (n + 1))));
    level = next;
  }
  for (let b = 0; WIDTH * b < size; b++) {
    const chunk = leaves.slice(WIDTH * b, WIDTH * (b + 1));
    write(tilePath('entries', b, chunk.length), cat(...chunk.flatMap((d) => [[d.length >> 8, d.length & 255], d])));
  }
  const text = `${name}\n${size}\n${Buffer.from(root(leaves.map(leafHash))).toString('base64')}\n`;
  const signature = ed25519.sign(Buffer.from(text), seed);
  const line = `\u2014 ${name} ${cat(Buffer.from(keyId, 'hex'), signature).toString('base64')}\n`;
  write('checkpoint', `${text}\n${line}`);
  write(`checkpoints/${size}`, `${text}\n${line}`);
  write('policy', policyText);
}

/**
 * A fork of the board in `publicDir` without the entry at `removeIndex`, padded back to the
 * same size with an entry of another application, written to `outDir`.
 */
export function forkWithout(publicDir, removeIndex, operatorKeyFile, outDir) {
  const leaves = entries(publicDir).filter((_, i) => i !== removeIndex);
  const kind = Buffer.from('test/filler');
  leaves.push(cat([kind.length], kind, Buffer.from('the fork keeps the size')));
  writeBoard(outDir, leaves, operatorKeyFile, readFileSync(join(publicDir, 'policy'), 'utf8'));
}
