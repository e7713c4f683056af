import i18next, { type i18n } from 'i18next';

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'it', 'nl', 'pl', 'ja', 'zh', 'ar', 'he'] as const;
export type Language = (typeof LANGUAGES)[number];
/**
 * A language in its own words ("Deutsch", "日本語"), for the header's language picker: a reader finds their own
 * whatever is shown. The browser's own names (Intl.DisplayNames) cost the bundle nothing; capitalised, as a
 * list of languages writes them.
 */
export function nativeName(lang: Language): string {
  const name = new Intl.DisplayNames(lang, { type: 'language' }).of(lang) ?? lang;
  return name[0]!.toLocaleUpperCase(lang) + name.slice(1);
}
const RTL = new Set<string>(['ar', 'he']);
// old or alternative codes browsers still report
const ALIASES: Record<string, Language> = { iw: 'he' };

export const direction = (lang: string): 'rtl' | 'ltr' => (RTL.has(lang) ? 'rtl' : 'ltr');

/** The first supported language among the candidates ('pt-BR' → pt, 'zh-Hans-CN' → zh), or null. */
export function supported(candidate: string | null | undefined): Language | null {
  if (!candidate) return null;
  const tag = candidate.trim().toLowerCase().replace('_', '-');
  const primary = tag.split('-')[0] ?? '';
  if ((LANGUAGES as readonly string[]).includes(primary)) return primary as Language;
  return ALIASES[primary] ?? null;
}

export function pickLanguage(candidates: readonly (string | null | undefined)[]): Language {
  for (const c of candidates) {
    const lang = supported(c);
    if (lang) return lang;
  }
  return 'en';
}

/**
 * Catalogs are fetched from Refwire when a widget first needs one (once per page, whatever the number of widgets):
 * the script stays within its size budget however many languages there are. Every catalog holds every key
 * (test/portal-ui/locales.test.ts), so no second catalog is needed as a fallback.
 */
const catalogs = new Map<string, Promise<Record<string, string>>>();

function catalog(base: string, lang: Language): Promise<Record<string, string>> {
  let p = catalogs.get(lang);
  if (!p) {
    p = fetch(`${base}/js/refwire-portal/locales/${lang}.json`, { credentials: 'omit' }).then((r) => {
      if (!r.ok) throw new Error(`locale ${lang}: HTTP ${r.status}`);
      return r.json() as Promise<Record<string, string>>;
    });
    // a failed fetch may be retried by a later change of language
    p.catch(() => catalogs.delete(lang));
    catalogs.set(lang, p);
  }
  return p;
}

/** One i18next instance per widget: two widgets on a page may speak two languages. */
export async function createI18n(): Promise<i18n> {
  const instance = i18next.createInstance();
  await instance.init({
    lng: 'en',
    fallbackLng: false,
    resources: {},
    interpolation: { escapeValue: false }, // Preact escapes what it renders
    returnNull: false,
  });
  return instance;
}

export async function switchLanguage(instance: i18n, base: string, lang: Language): Promise<Language> {
  try {
    if (!instance.hasResourceBundle(lang, 'translation')) instance.addResourceBundle(lang, 'translation', await catalog(base, lang));
    await instance.changeLanguage(lang);
    return lang;
  } catch (err) {
    if (lang === 'en') throw err;
    // that catalog could not be fetched: English rather than nothing
    return switchLanguage(instance, base, 'en');
  }
}
