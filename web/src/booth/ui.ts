// What the booth and the tracker pages share: their strings in the page's language, and the
// list of what an opened ballot encrypts.
import { startPage } from '../i18n/i18n';
import type { OpenedChoices } from '../protocol/ballot.ts';
import type { Election } from '../protocol/election.ts';
import { BOOTH_STRINGS, type BoothKey } from './strings.ts';

/** Translates the page into its language (with the picker in `#language`); returns `t`. */
export function setUpPage() {
  return startPage<BoothKey>(BOOTH_STRINGS).t;
}

/** The element with id `id`. */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** One list item per contest: its title and the titles of the options the ballot marks. */
export function choiceItems(election: Election, opened: OpenedChoices, blank: string): HTMLLIElement[] {
  return election.manifest.contests.map((c, i) => {
    const li = document.createElement('li');
    const titles = c.options.filter((o) => opened[i]!.options.includes(o.id)).map((o) => o.title);
    li.textContent = `${c.title}: ${titles.length ? titles.join(', ') : blank}`;
    return li;
  });
}
