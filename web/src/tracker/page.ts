// The ballot tracker (/track?code=CODE[&board=URL][&fingerprint=HEX]): every check runs on
// this device from the board's public files, so it works from any static copy of them; what
// it verified is kept, and every later visit checks the board still extends it.
import { trackBallot } from '../board/tracker.ts';
import { type FileReader, httpReader } from '../board/tiles.ts';
import { boardUrl, pinnedFingerprint } from '../booth/source.ts';
import type { BoothKey } from '../booth/strings.ts';
import { $, choiceItems, setUpPage } from '../booth/ui.ts';
import { parseCode } from '../protocol/code.ts';
import { keepBallot, keepEvidence, keptBallot, keptCodes } from './kept.ts';

const t = setUpPage();
const codeField = $<HTMLInputElement>('code');
const boardField = $<HTMLInputElement>('board');
const params = new URLSearchParams(location.search);
boardField.value = boardUrl();
codeField.value = params.get('code') ?? '';

/** Where the ballot box says the ballot is, when a fairtally server is there to ask. */
async function indexHint(code: string): Promise<number | undefined> {
  try {
    const response = await fetch(new URL(`./api/v1/ballots/${encodeURIComponent(code)}`, location.href));
    if (!response.ok) return undefined;
    const index = (await response.json()).board_index;
    return Number.isSafeInteger(index) ? index : undefined;
  } catch {
    return undefined;
  }
}

async function check(): Promise<void> {
  let code: string;
  try {
    code = parseCode(codeField.value);
    codeField.removeAttribute('aria-invalid');
    $('code-message').textContent = '';
  } catch (e) {
    codeField.setAttribute('aria-invalid', 'true');
    $('code-message').textContent = (e as Error).message;
    codeField.focus();
    return;
  }
  const status = $('track-status');
  status.className = '';
  status.textContent = t('checking');
  $('alarms').replaceChildren();
  const read: FileReader = httpReader(new URL(boardField.value || './board/', location.href).href.replace(/\/?$/, '/'));
  const kept = keptBallot(code);
  try {
    const started = performance.now();
    const report = await trackBallot({ read, code, kept, fingerprint: pinnedFingerprint(), indexHint: kept ? undefined : await indexHint(code), nowSecs: Date.now() / 1000 });
    status.textContent = '';
    status.dataset.ms = String(Math.round(performance.now() - started));
    for (const alarm of report.alarms) {
      const p = document.createElement('p');
      p.className = 'alarm';
      p.dataset.alarm = alarm.kind;
      p.textContent = `${t(`alarm_${alarm.kind}` as BoothKey)} ${t('alarmEvidence')}`;
      $('alarms').append(p);
    }
    if (report.alarms.length) keepEvidence(code, report.alarms.flatMap((a) => [a.kept, a.shown]));
    else if (report.keep) keepBallot(report.keep);
    $('result-heading').textContent = code;
    $('ballot-status').textContent = report.status;
    $('status-text').textContent = t(`status_${report.status}` as BoothKey);
    $('proof-status').textContent = report.proof;
    $('proof-text').textContent = t(`proof_${report.proof}` as BoothKey);
    $('fingerprint').textContent = report.fingerprint;
    $('pinned').textContent = report.pinned ? '' : t('notPinned');
    $('pinned').className = report.pinned ? '' : 'error';
    $('checkpoint').textContent = t('checkpoint', { origin: report.checkpoint.origin, size: report.checkpoint.size, signers: report.checkpoint.signers.join(', ') });
    $('position').textContent = report.index === null ? '' : t('position', { index: report.index });
    $('consistency').textContent = kept && !report.alarms.length ? t('consistent') : '';
    const opened = $('opened');
    opened.replaceChildren();
    if (report.opened && 'error' in report.opened) {
      opened.className = 'verdict bad';
      opened.textContent = t('challengeBad', { reason: report.opened.error });
    } else if (report.opened) {
      opened.className = '';
      const intro = document.createElement('p');
      intro.textContent = t('openedHere');
      const list = document.createElement('ul');
      list.append(...choiceItems(report.election, report.opened, t('blank')));
      opened.append(intro, list);
    }
    $('result').hidden = false;
    $('result-heading').focus();
  } catch (e) {
    status.className = 'verdict bad';
    status.textContent = t('trackFailed', { reason: (e as Error).message });
  }
  listKept();
}

function listKept(): void {
  const codes = keptCodes();
  $('kept').hidden = codes.length === 0;
  $('kept-list').replaceChildren(
    ...codes.map((code) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      const url = new URL(location.href);
      url.searchParams.set('code', code);
      a.href = url.pathname + url.search;
      a.textContent = code;
      li.append(a);
      return li;
    }),
  );
}

$<HTMLFormElement>('track-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void check();
});
listKept();
if (codeField.value) void check();
