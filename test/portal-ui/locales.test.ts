import fs from 'node:fs';
import path from 'node:path';

/**
 * The portal's catalogs (web/portal/locales): every language the widget offers has every key English has, in
 * every plural form its language needs (Intl.PluralRules, which i18next uses too), and nothing else; the
 * placeholders survive translation; and every key the source asks for exists.
 */
const WEB = path.resolve(__dirname, '..', '..', 'web', 'portal');
const LOCALES = path.join(WEB, 'locales');
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Catalog = Record<string, string>;

const languagesOffered = (): string[] => {
  const source = fs.readFileSync(path.join(WEB, 'i18n.ts'), 'utf8');
  const list = /export const LANGUAGES = \[([^\]]+)\]/.exec(source)![1]!;
  return [...list.matchAll(/'([a-z]{2})'/g)].map((m) => m[1]!);
};
const load = (lang: string): Catalog => JSON.parse(fs.readFileSync(path.join(LOCALES, `${lang}.json`), 'utf8'));
const placeholders = (text: string) => new Set([...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!));

/** What `catalog` lacks or has too many of, measured against English, for a language with these plural rules. */
export function catalogProblems(en: Catalog, catalog: Catalog, lang: string): string[] {
  const problems: string[] = [];
  const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories as string[];
  const pluralBases = new Set(Object.keys(en).filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
  const expected = new Set<string>();
  for (const key of Object.keys(en)) {
    const base = key.replace(PLURAL, '');
    if (pluralBases.has(base)) for (const c of categories) expected.add(`${base}_${c}`);
    else expected.add(key);
  }
  for (const key of expected) {
    const value = catalog[key];
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${lang}: missing ${key}`);
      continue;
    }
    const base = key.replace(PLURAL, '');
    const english = en[key] ?? en[`${base}_other`]!;
    const want = placeholders(english);
    const got = placeholders(value);
    for (const p of got) if (!want.has(p)) problems.push(`${lang}: ${key} has {{${p}}}, which English does not`);
    // a plural form may say the number in words ("one day", "يومين"), so only {{count}} may be left out
    for (const p of want) if (!got.has(p) && !(p === 'count' && pluralBases.has(base))) problems.push(`${lang}: ${key} lacks {{${p}}}`);
  }
  for (const key of Object.keys(catalog)) if (!expected.has(key)) problems.push(`${lang}: unknown key ${key}`);
  return problems;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'locales' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('the portal catalogs', () => {
  const en = load('en');
  const languages = languagesOffered();

  it('offers the twelve languages, one catalog each', () => {
    expect(languages.sort()).toEqual(['ar', 'de', 'en', 'es', 'fr', 'he', 'it', 'ja', 'nl', 'pl', 'pt', 'zh']);
    expect(fs.readdirSync(LOCALES).sort()).toEqual(languages.map((l) => `${l}.json`).sort());
  });

  it.each(languagesOffered().filter((l) => l !== 'en'))('%s has every key English has, in each plural form it needs, and no other', (lang) => {
    expect(catalogProblems(en, load(lang), lang)).toEqual([]);
  });

  it('English itself has one and other for each counted sentence', () => {
    expect(catalogProblems(en, en, 'en')).toEqual([]);
  });

  it('translates: no catalog but English keeps an English sentence', () => {
    for (const lang of languages.filter((l) => l !== 'en')) {
      const same = Object.keys(en).filter((k) => load(lang)[k] === en[k] && en[k]!.split(' ').length > 4);
      expect({ lang, same }).toEqual({ lang, same: [] });
    }
  });

  it('names a missing key, a missing plural form, a lost placeholder and a stray key', () => {
    const broken: Catalog = { ...load('ar') };
    delete broken.copy;
    delete broken.hold_days_few;
    broken.payout_minimum = 'الحد الأدنى';
    broken.extra_key = 'x';
    expect(catalogProblems(en, broken, 'ar').sort()).toEqual(
      ['ar: missing copy', 'ar: missing hold_days_few', 'ar: payout_minimum lacks {{amount}}', 'ar: unknown key extra_key'].sort(),
    );
  });

  it('has every key the source asks for', () => {
    const keys = new Set(Object.keys(en).map((k) => k.replace(PLURAL, '')));
    const asked = sourceFiles(WEB).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\bt\('([a-z_]+)'/g)].map((m) => m[1]!));
    expect(asked.length).toBeGreaterThan(100);
    expect([...new Set(asked)].filter((k) => !keys.has(k))).toEqual([]);
    // keys built at run time from the API's vocabulary
    for (const k of ['status_active', 'status_suspended', 'kind_purchase', 'cstatus_held', 'cstatus_eligible', 'pstatus_pending', 'pstatus_completed', 'method_paypal', 'method_bank_transfer', 'duration_lifetime']) {
      expect(keys).toContain(k);
    }
  });
});
