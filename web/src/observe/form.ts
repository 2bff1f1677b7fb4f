// From what the observer typed to a protocol: figures as text (empty = not on the sheet), in
// the order of the result sheet and of the election's options.

import type { Field, StationProtocol } from './signed';

/** What the form holds, as typed. */
export interface Entered {
  station: string;
  figures: Partial<Record<Field, string>>;
  /** One entry per option of the election, in its order. */
  votes: string[];
}

/** A form field whose text is not a whole number: its name (`valid`, `votes:2`) and text. */
export interface Unreadable {
  field: string;
  text: string;
}

/** Reads one figure: empty is "not given"; otherwise digits only (spaces allowed between). */
export function readFigure(text: string): number | null | undefined {
  const t = text.replace(/[\s\u00a0\u202f]/g, '');
  if (t === '') return null;
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The protocol the form describes, and the fields that could not be read. */
export function protocolOf(entered: Entered): { protocol: StationProtocol; unreadable: Unreadable[] } {
  const unreadable: Unreadable[] = [];
  const read = (field: string, text: string | undefined): number | null => {
    const n = readFigure(text ?? '');
    if (n === undefined) {
      unreadable.push({ field, text: text ?? '' });
      return null;
    }
    return n;
  };
  const figure = (f: Field) => read(f, entered.figures[f]);
  const protocol: StationProtocol = {
    registered: figure('registered'),
    ballots_received: figure('ballots_received'),
    ballots_issued: figure('ballots_issued'),
    ballots_cancelled: figure('ballots_cancelled'),
    ballots_counted: figure('ballots_counted'),
    valid: figure('valid'),
    invalid: figure('invalid'),
    votes: entered.votes.map((v, o) => read(`votes:${o}`, v)),
  };
  return { protocol, unreadable };
}
