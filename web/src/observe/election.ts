// The election an observer reports on, read from the `[election]` table of a column mapping
// (mappings/*.toml): its name, which the accreditation must name, and its options, whose ids
// and order the signed protocol carries. Only that table is read; the rest of the mapping
// tells the importer about CSV columns and does not concern the observer.

import { ObserveInputError } from './signed';

/** One option of the election: its id in signed protocols and its name on the ballot. */
export interface ElectionOption {
  id: string;
  name: string;
}

/** What the observer's form needs to know about the election. */
export interface Election {
  name: string;
  options: ElectionOption[];
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

/** A small reader of TOML values: basic and literal strings, arrays, inline tables. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(reason: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new ObserveInputError(`mapping, line ${line}: ${reason}`);
  }

  skip(newlines: boolean): void {
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === ' ' || ch === '\t' || (newlines && (ch === '\n' || ch === '\r'))) this.pos++;
      else if (newlines && ch === '#') while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail(`expected \`${ch}\``);
    this.pos++;
  }

  key(): string {
    const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos));
    if (m) {
      this.pos += m[0].length;
      return m[0];
    }
    if (this.text[this.pos] === '"' || this.text[this.pos] === "'") return this.string();
    return this.fail('expected a key');
  }

  string(): string {
    const quote = this.text[this.pos];
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '\n') this.fail('unterminated string');
      this.pos++;
      if (ch === quote) return out;
      if (ch === '\\' && quote === '"') {
        const e = this.text[this.pos++] ?? '';
        if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          const hex = this.text.slice(this.pos, this.pos + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('bad unicode escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += len;
        } else if (e in ESCAPES) out += ESCAPES[e];
        else this.fail(`unknown escape \\${e}`);
      } else out += ch;
    }
  }

  value(): unknown {
    this.skip(false);
    const ch = this.text[this.pos];
    if (ch === '"' || ch === "'") return this.string();
    if (ch === '[') {
      this.pos++;
      const items: unknown[] = [];
      for (;;) {
        this.skip(true);
        if (this.text[this.pos] === ']') {
          this.pos++;
          return items;
        }
        items.push(this.value());
        this.skip(true);
        if (this.text[this.pos] === ',') this.pos++;
        else if (this.text[this.pos] !== ']') this.fail('expected `,` or `]`');
      }
    }
    if (ch === '{') {
      this.pos++;
      const table: Record<string, unknown> = {};
      this.skip(false);
      if (this.text[this.pos] === '}') {
        this.pos++;
        return table;
      }
      for (;;) {
        this.skip(false);
        const k = this.key();
        this.skip(false);
        this.expect('=');
        table[k] = this.value();
        this.skip(false);
        if (this.text[this.pos] === ',') this.pos++;
        else if (this.text[this.pos] === '}') {
          this.pos++;
          return table;
        } else this.fail('expected `,` or `}`');
      }
    }
    const m = /^[^\s,\]}#]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    return m[0];
  }
}

/** Reads the `[election]` table of a mapping: `name = "…"` and `options = [{ id, name }, …]`. */
export function parseMappingElection(text: string): Election {
  const r = new Reader(text);
  let section = '';
  const election: Record<string, unknown> = {};
  for (;;) {
    r.skip(true);
    if (r.pos >= text.length) break;
    if (text[r.pos] === '[') {
      const end = text.indexOf('\n', r.pos);
      section = text.slice(r.pos, end < 0 ? text.length : end).replace(/#.*$/, '').trim();
      r.pos = end < 0 ? text.length : end;
      continue;
    }
    const k = r.key();
    r.skip(false);
    r.expect('=');
    const v = r.value();
    if (section === '[election]') election[k] = v;
  }
  const { name, options } = election;
  if (typeof name !== 'string' || name === '') {
    throw new ObserveInputError('mapping: `[election]` has no `name`');
  }
  if (!Array.isArray(options) || options.length === 0) {
    throw new ObserveInputError('mapping: `[election]` has no `options`');
  }
  const parsed = options.map((o, i) => {
    const t = o as Record<string, unknown>;
    if (typeof t?.id !== 'string' || typeof t.name !== 'string' || t.id === '') {
      throw new ObserveInputError(`mapping: option ${i + 1} needs an \`id\` and a \`name\``);
    }
    return { id: t.id, name: t.name };
  });
  const ids = new Set(parsed.map((o) => o.id));
  if (ids.size !== parsed.length) {
    throw new ObserveInputError('mapping: an option id is listed more than once');
  }
  return { name, options: parsed };
}
