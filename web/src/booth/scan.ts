// Scanning the credential's QR code with the device's camera. The registrar's QR code holds
// the voter's credential file byte for byte, so the text scanned is what pasting the file
// gives. The decoder (jsQR) is loaded only when the voter asks to scan, so the booth's first
// load does not grow; frames never leave the device.

/** Why a scan could not start: the page names each in words. */
export type ScanFailure = 'unavailable' | 'no-camera' | 'denied' | 'busy' | 'failed';

/** A scan that could not start, with its reason. */
export class ScanError extends Error {
  constructor(
    readonly failure: ScanFailure,
    cause?: unknown,
  ) {
    super(failure, { cause });
  }
}

/** The reason a getUserMedia refusal names (DOMException names as the spec gives them). */
export function failureOf(e: unknown): ScanFailure {
  const name = e instanceof Error || e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no-camera';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  return 'failed';
}

/**
 * The text of a QR code's bytes: UTF-8, exactly (a credential file is ASCII JSON); null when
 * the bytes are not UTF-8, so a stray code is not taken for a credential.
 */
export function qrText(bytes: ArrayLike<number>): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** A running scan: `result` settles with the text of the first QR code seen, `stop` ends it. */
export interface Scan {
  result: Promise<string>;
  stop: () => void;
}

/** Milliseconds between two decoded frames: about 8 a second, light on a phone's battery. */
const FRAME_INTERVAL_MS = 120;

/**
 * Opens the camera into `video` and decodes its frames until a QR code holds UTF-8 text.
 * Throws a ScanError when there is no camera or the voter refuses it. The camera is stopped
 * when a code is read, when `stop` is called, and on any failure.
 */
export async function startScan(video: HTMLVideoElement): Promise<Scan> {
  if (!navigator.mediaDevices?.getUserMedia) throw new ScanError('unavailable');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  } catch (e) {
    throw new ScanError(failureOf(e), e);
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settle: (text: string | null) => void = () => {};
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
    settle(null);
  };
  try {
    video.srcObject = stream;
    video.muted = true;
    video.playsInline = true;
    await video.play();
  } catch (e) {
    stop();
    throw new ScanError('failed', e);
  }
  const { default: jsQR } = await import('jsqr');
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) {
    stop();
    throw new ScanError('failed');
  }
  const result = new Promise<string>((resolve, reject) => {
    settle = (text) => (text === null ? reject(new ScanError('failed', 'stopped')) : resolve(text));
    const frame = () => {
      if (stopped) return;
      const { videoWidth: w, videoHeight: h } = video;
      if (w > 0 && h > 0) {
        canvas.width = w;
        canvas.height = h;
        context.drawImage(video, 0, 0, w, h);
        const code = jsQR(context.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'attemptBoth' });
        const text = code ? qrText(code.binaryData) : null;
        if (text !== null) {
          const found = settle;
          settle = () => {};
          stop();
          found(text);
          return;
        }
      }
      timer = setTimeout(frame, FRAME_INTERVAL_MS);
    };
    frame();
  });
  result.catch(() => {}); // a stopped scan is not an unhandled rejection
  return { result, stop };
}
