// Interface strings by language. Each page keeps its own catalogue: English, complete, is the
// reference; every other language may lack strings, which then fall back to English. Adding
// a language is adding a catalogue to each page's strings and a line to LANGUAGES. The test
// catalogues.test.ts holds every shipped catalogue to the English keys.

/** A page's strings in one language, by key. `{name}` in a string is replaced by a value. */
export type Catalogue = Record<string, string>;

/** A page's catalogues: English complete, the others partial. */
export interface Catalogues<K extends string> {
  en: Record<K, string>;
  [language: string]: Partial<Record<K, string>>;
}

/** Languages with a catalogue, by their BCP 47 code, named in their own language. */
export const LANGUAGES: { code: string; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'ru', name: 'Русский' },
  { code: 'be', name: 'Беларуская' },
];

/** Translates one key, with `{name}` placeholders filled from `values`. */
export type Translate<K extends string> = (key: K, values?: Record<string, string | number>) => string;

/**
 * The language to show: `requested` (`?lang=`, or the reader's earlier choice) if a catalogue
 * has it, else the first of the browser's `preferred` languages that has one, else English.
 */
export function chooseLanguage(requested: string | null, preferred: readonly string[]): string {
  const known = new Set(LANGUAGES.map((l) => l.code));
  for (const tag of [requested, ...preferred]) {
    const base = tag?.toLowerCase().split('-')[0];
    if (base && known.has(base)) return base;
  }
  return 'en';
}

/** The translator of `catalogues` for `language`. */
export function translator<K extends string>(catalogues: Catalogues<K>, language: string): Translate<K> {
  const own: Partial<Record<K, string>> = catalogues[language] ?? {};
  return (key, values) => {
    const text = own[key] ?? catalogues.en[key];
    return text.replace(/\{(\w+)\}/g, (whole: string, name: string) =>
      values && name in values ? String(values[name]) : whole,
    );
  };
}

/**
 * Fills the static strings of a page: an element with `data-i18n="key"` gets the text, one
 * with `data-i18n-label="key"` its `aria-label`, `data-i18n-placeholder` its placeholder.
 * Sets `<html lang>` to the language shown.
 */
export function translatePage<K extends string>(root: Document, t: Translate<K>, language: string): void {
  root.documentElement.lang = language;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n as K);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel as K));
  }
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder as K);
  }
  for (const input of root.querySelectorAll<HTMLInputElement>('input[type=file][data-i18n-choose]')) {
    translateFilePicker(input, t(input.dataset.i18nChoose as K), t(input.dataset.i18nNone as K));
  }
}

/**
 * A file input's own button and "no file chosen" are drawn by the browser in the browser's
 * language, not the page's: the input is hidden and a button and a line of the page's language
 * stand in for them (the input stays in the form, and in the label that names it).
 */
function translateFilePicker(input: HTMLInputElement, choose: string, none: string): void {
  const doc = input.ownerDocument;
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'file-choose';
  button.textContent = choose;
  button.addEventListener('click', () => input.click());
  const chosen = doc.createElement('span');
  chosen.className = 'file-chosen';
  chosen.setAttribute('aria-live', 'polite');
  const show = () => {
    chosen.textContent = input.files?.length ? [...input.files].map((f) => f.name).join(', ') : none;
  };
  input.addEventListener('change', show);
  // A form's reset empties its file inputs without a change event.
  input.form?.addEventListener('reset', () => setTimeout(show));
  show();
  input.classList.add('file-native');
  input.tabIndex = -1;
  input.after(button, chosen);
}

const STORAGE_KEY = 'fairtally-language';

/** The language of this page view: `?lang=`, else the reader's last choice, else the browser's. */
export function pageLanguage(): string {
  const requested = new URLSearchParams(location.search).get('lang');
  let remembered: string | null = null;
  try {
    remembered = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage may be off (private mode): the browser's languages decide
  }
  return chooseLanguage(requested ?? remembered, navigator.languages);
}

/**
 * Fills a `<select>` with the languages and reloads the page in the one chosen, remembering
 * the choice for the reader's other pages.
 */
export function languagePicker(select: HTMLSelectElement, current: string): void {
  select.replaceChildren(
    ...LANGUAGES.map((l) => {
      const option = new Option(l.name, l.code, false, l.code === current);
      option.lang = l.code;
      return option;
    }),
  );
  select.addEventListener('change', () => {
    try {
      localStorage.setItem(STORAGE_KEY, select.value);
    } catch {
      // not remembered; the URL still carries it
    }
    const url = new URL(location.href);
    url.searchParams.set('lang', select.value);
    location.assign(url);
  });
}

/**
 * Sets a page up in the reader's language: chooses it (pageLanguage), fills the static
 * strings and `<html lang>`, and fills the language picker `#language` if the page has one.
 */
export function startPage<K extends string>(catalogues: Catalogues<K>): { language: string; t: Translate<K> } {
  const language = pageLanguage();
  const t = translator(catalogues, language);
  translatePage(document, t, language);
  const picker = document.getElementById('language');
  if (picker instanceof HTMLSelectElement) languagePicker(picker, language);
  return { language, t };
}
