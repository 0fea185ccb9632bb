// Translation lookup. Locales are bundled (they are small), chosen by the
// Intake.open locale option, else the browser's languages, else English.
// A message with a count has one text per plural category of the language
// (Intl.PluralRules: "1 row", "2 rows"; French "0 ligne", "1 000 000 de
// lignes"; Japanese one form), picked by the number in its count variable.
import { en, enPlurals, pluralCount, type MessageKey, type Messages, type PluralKey, type Plurals } from "./en.ts";
import { de, dePlurals } from "./de.ts";
import { es, esPlurals } from "./es.ts";
import { fr, frPlurals } from "./fr.ts";
import { ja, jaPlurals } from "./ja.ts";
import { nl, nlPlurals } from "./nl.ts";
import { pt, ptPlurals } from "./pt.ts";

const locales: Record<string, { messages: Messages; plurals: Plurals }> = {
  en: { messages: en, plurals: enPlurals },
  de: { messages: de, plurals: dePlurals },
  fr: { messages: fr, plurals: frPlurals },
  es: { messages: es, plurals: esPlurals },
  pt: { messages: pt, plurals: ptPlurals },
  nl: { messages: nl, plurals: nlPlurals },
  ja: { messages: ja, plurals: jaPlurals },
};

/** Locales the widget ships. */
export const LOCALES = Object.keys(locales);

/** The counted messages of a shipped locale (English for any other), for tests. */
export function pluralsOf(locale: string): Plurals {
  return (locales[locale] ?? locales.en!).plurals;
}

/** Picks the best shipped locale for a requested tag and the browser's list. */
export function pickLocale(requested: string | undefined, browser: readonly string[]): string {
  for (const tag of [requested, ...browser]) {
    if (!tag) continue;
    const base = tag.toLowerCase().split("-")[0]!;
    if (locales[base]) return base;
  }
  return "en";
}

/** Whether key names a message (plain or counted), e.g. "err_" + an error code. */
export function isMessageKey(key: string): key is MessageKey | PluralKey {
  return Object.hasOwn(en, key) || Object.hasOwn(enPlurals, key);
}

function isPluralKey(key: MessageKey | PluralKey): key is PluralKey {
  return Object.hasOwn(enPlurals, key);
}

/**
 * Returns a translator for locale: t(key, {name: value}). Numbers are
 * formatted for the locale; a counted message takes the form of the
 * number in its count variable.
 */
export function translator(locale: string): (key: MessageKey | PluralKey, vars?: Record<string, string | number>) => string {
  const { messages, plurals } = locales[locale] ?? locales.en!;
  const format = new Intl.NumberFormat(locale);
  const rules = new Intl.PluralRules(locale);
  return (key, vars) => {
    let text: string;
    if (isPluralKey(key)) {
      const forms = plurals[key];
      const n = vars?.[pluralCount[key]];
      text = (typeof n === "number" ? forms[rules.select(n)] : undefined) ?? forms.other;
    } else text = messages[key] ?? en[key];
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return typeof v === "number" ? format.format(v) : v;
    });
  };
}

const SIZE_UNITS = ["size_b", "size_kb", "size_mb", "size_gb"] as const;

/** A size in bytes as the locale writes it: "1.5 MB", French "1,5 Mo". */
export function formatBytes(bytes: number, locale: string): string {
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < SIZE_UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n);
  return translator(locale)(SIZE_UNITS[u]!, { n: number });
}

/** A translator. */
export type T = ReturnType<typeof translator>;
export type { MessageKey, PluralKey };
