// The voting booth (/vote): the credential, the choices within each contest's limits, the
// ballot encrypted and proved on this device, then cast or challenged (Benaloh). Only the
// signed ballot leaves the device; the credential and the nonces of a cast ballot never do.
import { trackBallot } from '../board/tracker.ts';
import { type PreparedBallot, castBallot, challengeBallot, checkChallenged, contestLimits, encryptBallot, forgetOpening } from '../protocol/ballot.ts';
import { canonical, type Json } from '../protocol/canonical.ts';
import { type Credential, forget, parseCredential, publicHex } from '../protocol/credential.ts';
import { type Contest, type Election, type ElectionFiles, fingerprint, loadElection } from '../protocol/election.ts';
import { keepBallot } from '../tracker/kept.ts';
import { boardReader, electionFiles, pinnedFingerprint } from './source.ts';
import { type Scan, ScanError, startScan } from './scan.ts';
import { $, choiceItems, setUpPage } from './ui.ts';

const t = setUpPage();
const form = $<HTMLFormElement>('booth');
const credentialField = $<HTMLTextAreaElement>('credential');
const credentialMessage = $('credential-message');
const choiceMessage = $('choice-message');
const read = boardReader();

let election: Election;
let files: ElectionFiles;
let prepared: PreparedBallot | null = null;
let credential: Credential | null = null;

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function limitsText(c: Contest): string {
  if (c.min_selections === 1 && c.max_selections === 1) return t('chooseOne');
  if (c.min_selections === 0) return t('chooseUpTo', { max: c.max_selections });
  return t('chooseRange', { min: c.min_selections, max: c.max_selections });
}

function inputs(c: Contest): HTMLInputElement[] {
  return [...form.querySelectorAll<HTMLInputElement>(`input[name="${CSS.escape(c.id)}"]`)];
}

/** One fieldset per contest; a radio group when exactly one must be chosen, else checkboxes. */
function renderContests(): void {
  const host = $('contests');
  host.replaceChildren(
    ...election.manifest.contests.map((c) => {
      const fieldset = document.createElement('fieldset');
      const legend = document.createElement('legend');
      legend.textContent = c.title;
      const limits = document.createElement('p');
      limits.className = 'limits';
      limits.id = `limits-${c.id}`;
      limits.textContent = limitsText(c);
      fieldset.setAttribute('aria-describedby', limits.id);
      fieldset.append(legend, limits);
      const radio = c.min_selections === 1 && c.max_selections === 1;
      for (const o of c.options) {
        const label = document.createElement('label');
        label.className = 'option';
        const input = document.createElement('input');
        input.type = radio ? 'radio' : 'checkbox';
        input.name = c.id;
        input.value = o.id;
        const name = document.createElement('span');
        name.textContent = o.title;
        label.append(input, name);
        fieldset.append(label);
        input.addEventListener('change', () => {
          const chosen = inputs(c).filter((i) => i.checked).length;
          if (contestLimits(c, chosen) === 'too-many') {
            input.checked = false;
            choiceMessage.textContent = t('tooMany', { contest: c.title, max: c.max_selections });
          } else {
            choiceMessage.textContent = '';
          }
        });
      }
      return fieldset;
    }),
  );
}

function readCredential(): Credential | null {
  try {
    const c = parseCredential(credentialField.value);
    credentialField.removeAttribute('aria-invalid');
    credentialMessage.className = 'ok';
    credentialMessage.textContent = t('credentialOk', { key: publicHex(c).slice(0, 16) });
    return c;
  } catch (e) {
    credentialField.setAttribute('aria-invalid', 'true');
    credentialMessage.className = 'error';
    credentialMessage.textContent = t('credentialBad', { reason: reason(e) });
    return null;
  }
}

function setFormEnabled(enabled: boolean): void {
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLTextAreaElement>('input, button, textarea')) el.disabled = !enabled;
}

function encrypt(): void {
  const c = readCredential();
  if (!c) {
    credentialField.focus();
    return;
  }
  const marks = election.manifest.contests.map((contest) => inputs(contest).map((i) => i.checked));
  for (const [i, contest] of election.manifest.contests.entries()) {
    if (contestLimits(contest, marks[i]!.filter(Boolean).length) === 'too-few') {
      choiceMessage.textContent = t('tooFew', { contest: contest.title, min: contest.min_selections });
      inputs(contest)[0]?.focus();
      return;
    }
  }
  choiceMessage.textContent = '';
  $('encrypt-status').textContent = t('encrypting');
  const started = performance.now();
  prepared = encryptBallot(election, c.public, marks);
  const ms = Math.round(performance.now() - started);
  if (credential && credential !== c) forget(credential);
  credential = c;
  $('encrypt-status').textContent = '';
  $('confirmation-code').textContent = prepared.code;
  $('encrypt-time').textContent = t('encryptedTime', { ms });
  $('send-status').textContent = '';
  setFormEnabled(false);
  $('decision').hidden = false;
  for (const b of ['cast', 'challenge']) $<HTMLButtonElement>(b).disabled = false;
  $('confirmation-code').focus();
  $('decision').scrollIntoView({ block: 'start' });
}

/** Posts a signed ballot line to the ballot box; its receipt names the code and the board index. */
async function submit(line: Json): Promise<{ confirmation_code: string; board_index: number }> {
  const response = await fetch(new URL('./api/v1/ballots', location.href), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: canonical(line),
  });
  const text = await response.text();
  if (response.status !== 201) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: show it as it is
    }
    throw new Error(`${response.status} ${message}`);
  }
  return JSON.parse(text) as { confirmation_code: string; board_index: number };
}

function trackHref(code: string): string {
  const url = new URL('./track', location.href);
  const here = new URLSearchParams(location.search);
  url.searchParams.set('code', code);
  url.searchParams.set('fingerprint', fingerprint(election));
  for (const k of ['board', 'lang']) if (here.has(k)) url.searchParams.set(k, here.get(k)!);
  return url.pathname + url.search;
}

/** Waits (bounded) for a checkpoint holding the ballot, checks its proof and keeps it. */
async function keepProof(code: string, index: number): Promise<void> {
  const proofLine = $('receipt-proof');
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      const report = await trackBallot({ read, code, election: files, fingerprint: fingerprint(election), indexHint: index, nowSecs: Date.now() / 1000 });
      if (report.keep && report.proof === 'verified') {
        keepBallot(report.keep);
        proofLine.textContent = t('castProved', { size: report.checkpoint.size });
        return;
      }
    } catch {
      // the board may be between checkpoints: try again
    }
    proofLine.textContent = t('castPending');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function cast(): Promise<void> {
  if (!prepared || !credential) return;
  const line = castBallot(prepared, credential);
  const code = prepared.code;
  $<HTMLButtonElement>('cast').disabled = true;
  $<HTMLButtonElement>('challenge').disabled = true;
  $('send-status').textContent = t('sending');
  try {
    const receipt = await submit(line);
    if (receipt.confirmation_code !== code) throw new Error(`the ballot box names code ${receipt.confirmation_code}, not ${code}`);
    forget(credential);
    credential = null;
    credentialField.value = '';
    prepared = null;
    $('send-status').textContent = '';
    // Nothing of the vote stays on the screen once it is cast.
    form.reset();
    form.hidden = true;
    credentialMessage.textContent = '';
    $('decision').hidden = true;
    $('receipt-code').textContent = code;
    $('receipt').hidden = false;
    $('receipt-verdict').textContent = `${t('castDone', { index: receipt.board_index })} ${t('castKept')}`;
    $<HTMLAnchorElement>('track-link').href = trackHref(code);
    $('receipt-heading').focus();
    await keepProof(code, receipt.board_index);
  } catch (e) {
    $('send-status').textContent = t('sendFailed', { reason: reason(e) });
  }
}

async function challenge(): Promise<void> {
  if (!prepared || !credential) return;
  const line = challengeBallot(prepared, credential) as Json & { ballot: Json; intent: string; signature: string; opening: Json };
  const code = prepared.code;
  forgetOpening(prepared);
  prepared = null;
  $<HTMLButtonElement>('cast').disabled = true;
  $<HTMLButtonElement>('challenge').disabled = true;
  const verdict = $('challenge-verdict');
  const list = $('challenge-choices');
  list.replaceChildren();
  try {
    const opened = checkChallenged(election, line);
    verdict.className = 'verdict good';
    verdict.textContent = t('challengeOk');
    list.replaceChildren(...choiceItems(election, opened, t('blank')));
  } catch (e) {
    verdict.className = 'verdict bad';
    verdict.textContent = t('challengeBad', { reason: reason(e) });
  }
  $('challenge-second').textContent = t('challengeSecond', { code });
  $('challenge-json').textContent = JSON.stringify(line, null, 2);
  $('decision').hidden = true;
  $('challenged').hidden = false;
  $('challenged-heading').focus();
  try {
    await submit(line);
  } catch (e) {
    $('challenge-second').textContent += ` ${t('sendFailed', { reason: reason(e) })}`;
  }
}

function voteAgain(): void {
  $('challenged').hidden = true;
  setFormEnabled(true);
  $<HTMLButtonElement>('encrypt').focus();
}

async function start(): Promise<void> {
  const status = $('election-status');
  try {
    files = await electionFiles(read);
    election = loadElection(files);
  } catch (e) {
    status.className = 'verdict bad';
    status.textContent = t('loadFailed', { reason: reason(e) });
    return;
  }
  const fp = fingerprint(election);
  status.textContent = '';
  $('election-title').textContent = t('election', { title: election.manifest.title });
  $('fingerprint').textContent = fp;
  const pinned = pinnedFingerprint();
  const note = $('fingerprint-note');
  if (pinned && pinned !== fp) {
    note.className = 'alarm';
    note.setAttribute('role', 'alert');
    note.textContent = t('fingerprintMismatch', { expected: pinned });
    $('election').hidden = false;
    return;
  }
  if (pinned) note.textContent = `${t('fingerprintPinned')} ${t('fingerprintHelp')}`;
  $('election').hidden = false;
  renderContests();
  form.hidden = false;
}

for (const id of ['decision-heading', 'challenged-heading', 'receipt-heading', 'confirmation-code']) $(id).tabIndex = -1;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  encrypt();
});
credentialField.addEventListener('change', () => void readCredential());
$<HTMLInputElement>('credential-file').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file && file.size < 4096) {
    credentialField.value = await file.text();
    readCredential();
  }
});
let scan: Scan | null = null;

const SCAN_FAILURES = {
  unavailable: 'scanUnavailable',
  'no-camera': 'scanNoCamera',
  denied: 'scanDenied',
  busy: 'scanBusy',
  failed: 'scanFailed',
} as const;

function stopScan(): void {
  scan?.stop();
  scan = null;
  $('scanner').hidden = true;
  $<HTMLButtonElement>('scan').hidden = false;
}

/** Opens the camera, fills the Credential field with the first QR code read, as a paste would. */
async function scanCredential(): Promise<void> {
  const status = $('scan-status');
  status.className = '';
  status.textContent = t('scanStarting');
  $<HTMLButtonElement>('scan').hidden = true;
  $('scanner').hidden = false;
  try {
    scan = await startScan($<HTMLVideoElement>('scan-video'));
  } catch (e) {
    stopScan();
    status.className = 'error';
    status.textContent = t(SCAN_FAILURES[e instanceof ScanError ? e.failure : 'failed']);
    return;
  }
  status.textContent = t('scanLooking');
  $<HTMLButtonElement>('scan-stop').focus();
  try {
    const text = await scan.result;
    credentialField.value = text;
    status.textContent = t('scanDone');
    stopScan();
    readCredential();
    credentialField.focus();
  } catch {
    status.textContent = t('scanStopped');
    stopScan();
  }
}

$('scan').addEventListener('click', () => void scanCredential());
$('scan-stop').addEventListener('click', stopScan);
// The camera is never left on: leaving the page or encrypting stops it.
addEventListener('pagehide', stopScan);
form.addEventListener('submit', stopScan);
$('cast').addEventListener('click', () => void cast());
$('challenge').addEventListener('click', () => void challenge());
$('vote-again').addEventListener('click', voteAgain);
void start();
