// Where the booth and the tracker find the election: the bulletin board's public files, at
// `?board=URL` or, served by `fairtally serve`, at ./board/ beside the page.
import { claimedSize, electionFromBoard } from '../board/tracker.ts';
import { type FileReader, Tiles, httpReader } from '../board/tiles.ts';
import type { ElectionFiles } from '../protocol/election.ts';

/** The board's address for this page view. */
export function boardUrl(): string {
  const given = new URLSearchParams(location.search).get('board');
  const url = new URL(given ?? './board/', location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** A reader of the board's files. */
export function boardReader(url = boardUrl()): FileReader {
  return httpReader(url);
}

/** The election's files as published on the board (manifest, parameters, guardians, context). */
export async function electionFiles(read: FileReader): Promise<ElectionFiles> {
  const note = await Tiles.checkpointNote(read);
  return electionFromBoard(new Tiles(read, claimedSize(note)));
}

/** The fingerprint in the page's address (`?fingerprint=`), if any. */
export function pinnedFingerprint(): string | undefined {
  return new URLSearchParams(location.search).get('fingerprint')?.toLowerCase() ?? undefined;
}
