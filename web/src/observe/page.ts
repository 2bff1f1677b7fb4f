// The observers' page (/observe): set up once (key, accreditation, election), then enter a
// station's protocol with its arithmetic checked while typing, sign it on the device and
// queue it; the queue is sent whenever the network is there.
//
// Data: `?election=URL` names the election's mapping (TOML), relative to the page; without
// it the observer loads the file. The endpoint is `api/v1/observations` next to the page.

import { startPage } from '../i18n/i18n';
import { checkProtocol, isEmptyProtocol, missingVotes } from './checks';
import { type Election, parseMappingElection } from './election';
import { protocolOf, type Entered } from './form';
import { IndexedDbOutbox, getSetting, openDatabase, putSetting } from './idb';
import { outboxLock, photoStates, queuedItem, sendPending, uploadPhotos, type QueuedItem, type StoredPhoto } from './queue';
import {
  type Accreditation,
  FIELDS,
  type ObserverKey,
  generateKey,
  keyFromSeed,
  parseSecretKeyFile,
  photoDigest,
  readAccreditation,
  signProtocol,
} from './signed';
import { OBSERVE_STRINGS, type ObserveKey } from './strings';

const { language, t } = startPage(OBSERVE_STRINGS);

/** How often a waiting outbox tries again while the page is open. */
const RETRY_MS = 15_000;
const ENDPOINT = new URL('api/v1/observations', location.href).href;
const PHOTO_ENDPOINT = new URL('api/v1/photos', location.href).href;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

function show(id: string, visible: boolean): void {
  byId(id).hidden = !visible;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Setup {
  key?: ObserverKey;
  accreditation?: Accreditation;
  election?: Election;
}

const setup: Setup = {};
let db: IDBDatabase;
let outbox: IndexedDbOutbox;
const lock = outboxLock();
let photos: StoredPhoto[] = [];

async function readFile(input: HTMLInputElement): Promise<string | undefined> {
  const file = input.files?.[0];
  return file ? file.text() : undefined;
}

function setupError(text: string): void {
  byId('setup-error').textContent = text;
}

async function useKey(key: ObserverKey): Promise<void> {
  await putSetting(db, 'key', key.seed);
  setup.key = key;
  render();
}

async function useAccreditation(text: string): Promise<void> {
  if (!setup.key) return;
  try {
    const accreditation = readAccreditation(text, setup.key.publicKey);
    if (setup.election && setup.election.name !== accreditation.body.election) {
      setup.election = undefined;
    }
    await putSetting(db, 'accreditation', accreditation);
    setup.accreditation = accreditation;
    setupError('');
    render();
  } catch (e) {
    setupError(message(e));
  }
}

async function useElection(text: string): Promise<void> {
  try {
    const election = parseMappingElection(text);
    const accredited = setup.accreditation?.body.election;
    if (accredited !== undefined && accredited !== election.name) {
      setupError(t('electionMismatch', { mapping: election.name, accreditation: accredited }));
      return;
    }
    await putSetting(db, 'election', election);
    setup.election = election;
    setupError('');
    buildForm(election);
    render();
  } catch (e) {
    setupError(message(e));
  }
}

/** Shows what the setup still needs, and the form once it is complete. */
function render(): void {
  show('key-missing', !setup.key);
  show('key-present', !!setup.key);
  byId('public-key').textContent = setup.key?.publicKey ?? '';
  show('accreditation-missing', !!setup.key && !setup.accreditation);
  const a = setup.accreditation?.body;
  show('accredited', !!a);
  byId('accredited').textContent = a
    ? t('accredited', { name: a.observer_name, organisation: `${a.organisation.slice(0, 16)}…`, election: a.election })
    : '';
  show('election-missing', !!setup.accreditation && !setup.election);
  show('protocol-form', !!setup.accreditation && !!setup.election);
  if (setup.election) byId('election-name').textContent = t('electionName', { name: setup.election.name });
}

function numberInput(id: string, label: string): HTMLDivElement {
  const div = document.createElement('div');
  div.className = 'field';
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  const input = document.createElement('input');
  input.id = id;
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  input.pattern = '[0-9 ]*';
  input.addEventListener('input', showChecks);
  div.append(l, input);
  return div;
}

function buildForm(election: Election): void {
  const figures = byId('figures');
  figures.querySelectorAll('.field').forEach((f) => f.remove());
  for (const f of FIELDS) figures.append(numberInput(`f-${f}`, t(`field_${f}` as ObserveKey)));
  const votes = byId('votes');
  votes.querySelectorAll('.field').forEach((f) => f.remove());
  election.options.forEach((o, i) => votes.append(numberInput(`v-${i}`, o.name)));
}

function entered(): Entered {
  const value = (id: string) => (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';
  return {
    station: value('station').trim(),
    figures: Object.fromEntries(FIELDS.map((f) => [f, value(`f-${f}`)])),
    votes: (setup.election?.options ?? []).map((_, i) => value(`v-${i}`)),
  };
}

function inputOf(field: string): HTMLInputElement | null {
  const id = field.startsWith('votes:') ? `v-${field.slice(6)}` : `f-${field}`;
  return document.getElementById(id) as HTMLInputElement | null;
}

/** The concerns about the protocol as typed; empty when it may be signed without a second look. */
function concerns(): { problems: string[]; blocking: boolean } {
  const e = entered();
  const { protocol, unreadable } = protocolOf(e);
  document.querySelectorAll('#protocol-form input[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  const problems: string[] = [];
  for (const u of unreadable) {
    inputOf(u.field)?.setAttribute('aria-invalid', 'true');
    problems.push(t('notANumber', { value: u.text }));
  }
  if (unreadable.length > 0) return { problems, blocking: true };
  if (isEmptyProtocol(protocol)) return { problems: [t('noFigures')], blocking: true };
  for (const f of checkProtocol(protocol)) {
    for (const field of f.fields) inputOf(field)?.setAttribute('aria-invalid', 'true');
    const detail = f.detail.replace(/option (\d+)/g, (_, o: string) => setup.election?.options[Number(o)]?.name ?? o);
    problems.push(`${t(`check_${f.check}` as ObserveKey)}: ${detail}`);
  }
  const missing = missingVotes(protocol);
  if (missing.length > 0) {
    problems.push(t('missingVotes', { options: missing.map((o) => setup.election?.options[o]?.name ?? o).join(', ') }));
  }
  return { problems, blocking: false };
}

function showChecks(): void {
  const { problems, blocking } = concerns();
  const box = byId('checks');
  box.replaceChildren();
  if (problems.length === 0) {
    const ok = document.createElement('p');
    ok.className = 'ok';
    ok.textContent = t('checksPass');
    box.append(ok);
  } else {
    const list = document.createElement('ul');
    list.className = 'problems';
    for (const p of problems) {
      const li = document.createElement('li');
      li.textContent = p;
      list.append(li);
    }
    box.append(list);
  }
  show('force-box', problems.length > 0 && !blocking);
}

async function readPhotos(input: HTMLInputElement): Promise<void> {
  photos = await Promise.all(
    [...(input.files ?? [])].map(async (file) => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      return { digest: photoDigest(bytes), type: file.type, bytes };
    }),
  );
  const list = byId('photo-list');
  list.replaceChildren(
    ...photos.map((p, i) => {
      const li = document.createElement('li');
      li.textContent = `${input.files?.[i]?.name ?? ''} (${p.bytes.length} B, SHA-256 ${p.digest.slice(0, 12)}…)`;
      return li;
    }),
  );
}

async function submit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const status = byId('form-status');
  const { key, accreditation, election } = setup;
  if (!key || !accreditation || !election) return;
  const e = entered();
  if (e.station === '') {
    status.textContent = t('noStation');
    byId<HTMLInputElement>('station').focus();
    return;
  }
  const { problems, blocking } = concerns();
  const force = byId<HTMLInputElement>('force');
  if (blocking || (problems.length > 0 && !force.checked)) {
    status.textContent = problems.join(' ');
    (blocking ? byId<HTMLInputElement>('station') : force).focus();
    return;
  }
  try {
    const signed = signProtocol(key, {
      election: election.name,
      station: e.station,
      accreditation,
      options: election.options.map((o) => o.id),
      protocol: protocolOf(e).protocol,
      photos: [...new Set(photos.map((p) => p.digest))],
      signed_at: Math.floor(Date.now() / 1000),
    });
    const item = queuedItem(signed.digest, new TextDecoder().decode(signed.canonical), e.station, signed.protocol.body.photos, Date.now());
    const added = await outbox.add(item, photos);
    status.textContent = added ? t('queued', { station: e.station }) : t('alreadyQueued');
    if (added) {
      byId<HTMLFormElement>('protocol-form').reset();
      photos = [];
      byId('photo-list').replaceChildren();
      byId('checks').replaceChildren();
      show('force-box', false);
    }
    await refreshOutbox();
    void send();
  } catch (err) {
    status.textContent = message(err);
  }
}

function stateText(item: QueuedItem): string {
  if (item.state === 'delivered') return t('stateDelivered', { index: item.boardIndex ?? '?' });
  if (item.state === 'refused') return t('stateRefused', { reason: item.reason ?? '' });
  return t('statePending');
}

async function refreshOutbox(stopped?: string): Promise<void> {
  const items = await outbox.list();
  const n = (s: QueuedItem['state']) => items.filter((i) => i.state === s).length;
  let summary = t('outboxSummary', { pending: n('pending'), delivered: n('delivered'), refused: n('refused') });
  const uploading = items.flatMap(photoStates).filter((p) => p.state === 'uploading').length;
  if (uploading > 0) summary += ` ${t('photosUploading', { count: uploading })}`;
  if (stopped && n('pending') + uploading > 0) summary += ` ${t('sendStopped', { reason: stopped })}`;
  byId('outbox-summary').textContent = summary;
  const when = new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' });
  byId('outbox-rows').replaceChildren(
    ...[...items].reverse().map((item) => {
      const tr = document.createElement('tr');
      tr.dataset.state = item.state;
      for (const text of [item.station, when.format(item.queuedAt), stateText(item)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.append(photoCell(item));
      return tr;
    }),
  );
}

const PHOTO_STATE_KEYS = {
  waiting: 'photoWaiting',
  uploading: 'photoUploading',
  uploaded: 'photoUploaded',
  refused: 'photoRefused',
} as const;

/** One line per photo of the item: its hash and where its upload is. */
function photoCell(item: QueuedItem): HTMLTableCellElement {
  const td = document.createElement('td');
  const states = photoStates(item);
  if (states.length === 0) {
    td.textContent = t('noPhotos');
    return td;
  }
  const list = document.createElement('ul');
  list.className = 'photo-states';
  for (const p of states) {
    const li = document.createElement('li');
    li.dataset.photo = p.digest;
    li.dataset.state = p.state;
    const hash = document.createElement('code');
    hash.textContent = `${p.digest.slice(0, 8)}…`;
    hash.title = p.digest;
    li.append(hash, ` ${t(PHOTO_STATE_KEYS[p.state], { reason: p.reason ?? '' })}`);
    list.append(li);
  }
  td.append(list);
  return td;
}

let sending = false;
/** One round of sending, unless one is already running in this page. */
async function send(): Promise<void> {
  if (sending || !outbox) return;
  sending = true;
  try {
    const report = await sendPending(outbox, ENDPOINT, lock);
    // Photos follow their protocols: each once the protocol's board index is known.
    const uploads = await uploadPhotos(outbox, PHOTO_ENDPOINT, lock);
    await refreshOutbox(report.stopped ?? uploads.stopped);
  } finally {
    sending = false;
  }
}

function showNetwork(): void {
  byId('network').textContent = navigator.onLine ? t('online') : t('offline');
  byId('network').dataset.online = String(navigator.onLine);
}

async function start(): Promise<void> {
  showNetwork();
  try {
    db = await openDatabase();
  } catch {
    show('setup', true);
    setupError(t('noStorage'));
    return;
  }
  outbox = new IndexedDbOutbox(db);
  // Ask the browser not to evict the outbox under storage pressure.
  void navigator.storage?.persist?.();
  const seed = await getSetting<Uint8Array>(db, 'key');
  if (seed) setup.key = keyFromSeed(seed);
  setup.accreditation = await getSetting<Accreditation>(db, 'accreditation');
  setup.election = await getSetting<Election>(db, 'election');
  if (setup.election) buildForm(setup.election);
  render();

  byId('create-key').addEventListener('click', () => void useKey(generateKey()));
  byId<HTMLInputElement>('key-file').addEventListener('change', async (ev) => {
    const text = await readFile(ev.target as HTMLInputElement);
    if (text === undefined) return;
    try {
      await useKey(parseSecretKeyFile(text));
      setupError('');
    } catch (e) {
      setupError(message(e));
    }
  });
  byId('use-accreditation').addEventListener('click', () =>
    void useAccreditation(byId<HTMLTextAreaElement>('accreditation-text').value),
  );
  byId<HTMLInputElement>('accreditation-file').addEventListener('change', async (ev) => {
    const text = await readFile(ev.target as HTMLInputElement);
    if (text !== undefined) await useAccreditation(text);
  });
  byId<HTMLInputElement>('election-file').addEventListener('change', async (ev) => {
    const text = await readFile(ev.target as HTMLInputElement);
    if (text !== undefined) await useElection(text);
  });
  const electionUrl = new URLSearchParams(location.search).get('election');
  if (!setup.election && electionUrl) {
    try {
      const res = await fetch(new URL(electionUrl, location.href));
      if (res.ok) await useElection(await res.text());
    } catch {
      // offline on first use: the observer loads the file by hand
    }
  }
  byId('station').addEventListener('input', showChecks);
  byId<HTMLInputElement>('photos').addEventListener('change', (ev) => void readPhotos(ev.target as HTMLInputElement));
  byId<HTMLFormElement>('protocol-form').addEventListener('submit', (ev) => void submit(ev));
  byId('send-now').addEventListener('click', () => void send());
  window.addEventListener('online', () => {
    showNetwork();
    void send();
  });
  window.addEventListener('offline', showNetwork);
  setInterval(() => void send(), RETRY_MS);
  await refreshOutbox();
  // Only now does every control do something: show the setup.
  show('setup', true);
  document.querySelector('main')?.removeAttribute('aria-busy');
  void send();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(new URL('sw.js', location.href)).catch(() => undefined);
  }
}

void start();
