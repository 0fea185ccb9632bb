// Translation lookup. Locales are bundled (they are small), chosen by the
// Intake.open locale option, else the browser's languages, else English.
import { en, type MessageKey, type Messages } from "./en.ts";
import { de } from "./de.ts";
import { es } from "./es.ts";
import { fr } from "./fr.ts";
import { ja } from "./ja.ts";
import { nl } from "./nl.ts";
import { pt } from "./pt.ts";

const locales: Record<string, Messages> = { en, de, fr, es, pt, nl, ja };

/** Locales the widget ships. */
export const LOCALES = Object.keys(locales);

/** Picks the best shipped locale for a requested tag and the browser's list. */
export function pickLocale(requested: string | undefined, browser: readonly string[]): string {
  for (const tag of [requested, ...browser]) {
    if (!tag) continue;
    const base = tag.toLowerCase().split("-")[0]!;
    if (locales[base]) return base;
  }
  return "en";
}

/** Returns a translator for locale: t(key, {name: value}). */
export function translator(locale: string): (key: MessageKey, vars?: Record<string, string | number>) => string {
  const messages = locales[locale] ?? en;
  const format = new Intl.NumberFormat(locale);
  return (key, vars) => {
    const text = messages[key] ?? en[key];
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return typeof v === "number" ? format.format(v) : v;
    });
  };
}

/** A translator. */
export type T = ReturnType<typeof translator>;
export type { MessageKey };
