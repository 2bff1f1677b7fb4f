// Every shipped language is complete: each page's catalogue in each language of LANGUAGES has
// every key English has, no other, and the same {placeholders} in each string.
import { describe, expect, it } from 'vitest';

import { BOOTH_STRINGS } from '../src/booth/strings';
import { type Catalogues, LANGUAGES, chooseLanguage } from '../src/i18n/i18n';
import { OBSERVE_STRINGS } from '../src/observe/strings';
import { PUBLIC_STRINGS } from '../src/public/strings';

const PAGES: [string, Catalogues<string>][] = [
  ['booth and tracker', BOOTH_STRINGS],
  ['observers', OBSERVE_STRINGS],
  ['public pages', PUBLIC_STRINGS],
];

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  it('ships English, Russian and Belarusian, chosen like any other', () => {
    expect(LANGUAGES.map((l) => l.code)).toEqual(['en', 'ru', 'be']);
    expect(chooseLanguage('be', [])).toBe('be');
    expect(chooseLanguage(null, ['be-BY', 'ru'])).toBe('be');
  });

  for (const [page, catalogues] of PAGES) {
    for (const { code } of LANGUAGES) {
      it(`${page}: ${code} has every key, no other, with the same placeholders`, () => {
        const own = catalogues[code];
        expect(own, `no ${code} catalogue`).toBeDefined();
        const keys = Object.keys(catalogues.en).sort();
        expect(Object.keys(own!).sort()).toEqual(keys);
        for (const key of keys) {
          const text = own![key]!;
          expect(text.trim(), `${code}.${key} is empty`).not.toBe('');
          expect(placeholders(text), `${code}.${key}`).toEqual(placeholders(catalogues.en[key]!));
        }
      });
    }
  }
});
