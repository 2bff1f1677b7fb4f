// How the public pages find and read their data: each input is a query parameter holding a
// URL relative to the page, with a default file next to the page (docs/WEB.md). Whoever
// publishes the files controls every byte, so sizes are bounded and shapes checked before use.

/** The largest data file a public page reads (the Belarus summary files are under 1 MB). */
export const MAX_DATA_BYTES = 32 << 20;

/** The URL of input `name`: `?name=URL` relative to the page, else `fallback` next to it. */
export function dataUrl(name: string, fallback: string, location: Location | URL = window.location): URL {
  const given = new URLSearchParams(location.search).get(name);
  return new URL(given ?? fallback, location.href);
}

/** A data file that could not be used, naming it and the reason. */
export class DataError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`${url}: ${reason}`);
    this.name = 'DataError';
  }
}

/** Fetches a text file of at most MAX_DATA_BYTES; `undefined` when it does not exist (404). */
export async function fetchText(url: URL, optional = false): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataError(url.href, `could not be fetched (${e instanceof Error ? e.message : String(e)})`);
  }
  if (res.status === 404 && optional) return undefined;
  if (!res.ok) throw new DataError(url.href, `the server answered ${res.status}`);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_DATA_BYTES) throw new DataError(url.href, `larger than ${MAX_DATA_BYTES} bytes`);
  const text = await res.text();
  if (text.length > MAX_DATA_BYTES) throw new DataError(url.href, `larger than ${MAX_DATA_BYTES} bytes`);
  return text;
}

/** Parses JSON, naming the file when it is not JSON. */
export function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(url, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Parses CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** CSV rows as records by the header's column names; refuses a file without `required` columns. */
export function csvRecords(text: string, url: string, required: string[]): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) throw new DataError(url, 'empty CSV');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new DataError(url, `no column ${missing.join(', ')} in the header`);
  return rows
    .filter((r) => r.length > 1 || r[0] !== '')
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/**
 * Renders a public page: `#content` gets the sections `build` returns (or, for a reader who
 * cannot get the data, the reason in its place), `#title` and the document the title.
 */
export async function renderPage(build: () => Promise<{ title: string; sections: HTMLElement[] }>): Promise<void> {
  const content = document.getElementById('content');
  if (!content) return;
  try {
    const { title, sections } = await build();
    document.title = title;
    const h1 = document.getElementById('title');
    if (h1) h1.textContent = title;
    content.replaceChildren(...sections);
  } catch (e) {
    const p = el('p', e instanceof Error ? e.message : String(e), 'error');
    p.setAttribute('role', 'alert');
    content.replaceChildren(p);
  } finally {
    content.removeAttribute('aria-busy');
  }
}

/** A section named by its heading (`id` is the heading's, for aria-labelledby). */
export function section(id: string, heading: string): HTMLElement {
  const s = el('section');
  s.setAttribute('aria-labelledby', id);
  const h = el('h2', heading);
  h.id = id;
  s.append(h);
  return s;
}

/** An element with text, for building tables. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | number,
  className?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

let tables = 0;

/**
 * A table with a caption, header cells and rows; cells that are numbers are right-aligned.
 * The caption is a paragraph above the table's scrolling box (so it stays put when a wide
 * table scrolls on a phone) that names the table; `labelledBy` names it by an existing
 * heading instead.
 */
export function table(
  caption: string,
  headers: string[],
  rows: (string | number)[][],
  numeric: boolean[] = [],
  labelledBy?: string,
): HTMLElement {
  const outer = el('div', undefined, 'table');
  const t = el('table');
  if (labelledBy) t.setAttribute('aria-labelledby', labelledBy);
  else {
    const p = el('p', caption, 'table-caption');
    p.id = `table-${++tables}`;
    t.setAttribute('aria-labelledby', p.id);
    outer.append(p);
  }
  const head = el('tr');
  headers.forEach((h, i) => {
    const th = el('th', h, numeric[i] ? 'num' : undefined);
    th.scope = 'col';
    head.append(th);
  });
  t.append(el('thead'), el('tbody'));
  t.tHead?.append(head);
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(el('td', c, numeric[i] ? 'num' : undefined)));
    t.tBodies[0]?.append(tr);
  }
  const wrap = el('div', undefined, 'table-wrap');
  wrap.append(t);
  outer.append(wrap);
  return outer;
}
