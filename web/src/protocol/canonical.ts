// PROTOCOL.md section 1: canonical JSON. Objects are written in their members' insertion
// order, so every caller builds them in the canonical order of section 8.

/** A JSON value as the protocol uses it (integers only). */
export type Json = string | number | boolean | null | Json[] | { [member: string]: Json };

/** A string escaped as serde_json does. */
function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20) out += '\\u00' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** The compact canonical serialization of `value`. */
export function canonical(value: Json): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`canonical JSON holds unsigned integers only, not ${value}`);
    }
    return String(value);
  }
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  return (
    '{' +
    Object.entries(value)
      .map(([k, v]) => quote(k) + ':' + canonical(v))
      .join(',') +
    '}'
  );
}
