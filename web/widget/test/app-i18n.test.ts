// Counted messages take the plural form of their language (Intl.PluralRules),
// and sizes are written with the locale's unit words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { enPlurals, pluralCount, type PluralKey } from "../src/i18n/en.ts";
import { LOCALES, formatBytes, isMessageKey, pluralsOf, translator } from "../src/i18n/i18n.ts";

const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort();
const counts = [0, 1, 2, 5, 21];

test("every locale has exactly the plural categories its language uses, with the same placeholders", () => {
  assert.equal(LOCALES.length, 7);
  for (const locale of LOCALES) {
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    const plurals = pluralsOf(locale);
    for (const key of Object.keys(enPlurals) as PluralKey[]) {
      const forms = plurals[key];
      assert.deepEqual(Object.keys(forms).sort(), [...categories].sort(), `${locale}.${key} categories`);
      for (const [category, text] of Object.entries(forms)) {
        assert.deepEqual(placeholders(text), placeholders(enPlurals[key].other), `${locale}.${key}.${category}`);
        assert.ok(text.includes(`{${pluralCount[key]}}`), `${locale}.${key}.${category} shows its count`);
      }
    }
  }
});

test("row counts read right for 0, 1, 2, 5 and 21 in all seven locales", () => {
  const want: Record<string, string[]> = {
    en: ["0 rows", "1 row", "2 rows", "5 rows", "21 rows"],
    de: ["0 Zeilen", "1 Zeile", "2 Zeilen", "5 Zeilen", "21 Zeilen"],
    // French and Brazilian Portuguese count 0 as singular.
    fr: ["0 ligne", "1 ligne", "2 lignes", "5 lignes", "21 lignes"],
    es: ["0 filas", "1 fila", "2 filas", "5 filas", "21 filas"],
    pt: ["0 linha", "1 linha", "2 linhas", "5 linhas", "21 linhas"],
    nl: ["0 rijen", "1 rij", "2 rijen", "5 rijen", "21 rijen"],
    ja: ["0 行", "1 行", "2 行", "5 行", "21 行"],
  };
  for (const locale of LOCALES) {
    const t = translator(locale);
    assert.deepEqual(counts.map((rows) => t("review_rows", { rows })), want[locale], locale);
  }
});

test("the delete button and the other counted messages agree with their number", () => {
  const en = translator("en");
  assert.deepEqual(counts.map((count) => en("delete_rows", { count })), ["Delete 0 selected rows", "Delete 1 selected row", "Delete 2 selected rows", "Delete 5 selected rows", "Delete 21 selected rows"]);
  assert.equal(en("review_errors", { rows: 1 }), "1 row with errors");
  assert.equal(en("done_rows", { rows: 21 }), "21 rows imported.");
  assert.equal(en("sending", { sent: 0, total: 1 }), "Sending 0 of 1 row…");
  assert.equal(translator("de")("replaced", { count: 1 }), "1 Zelle ersetzt");
  assert.equal(translator("nl")("blank_rows", { count: 1 }), "1 lege rij overgeslagen.");
  assert.equal(translator("ja")("delete_rows", { count: 21 }), "選択した 21 行を削除");
  // French "many" (a million): "de lignes".
  assert.equal(translator("fr")("review_rows", { rows: 1_000_000 }), "1\u202f000\u202f000 de lignes");
  assert.equal(translator("es")("review_rows", { rows: 1_000_000 }), "1.000.000 de filas");
});

test("error codes with a counted message are known messages", () => {
  assert.ok(isMessageKey("err_too_many_rows"));
  assert.ok(isMessageKey("err_empty_file"));
  assert.ok(!isMessageKey("err_no_such_code"));
  assert.ok(!isMessageKey("toString"));
});

test("sizes use the locale's unit words", () => {
  assert.equal(formatBytes(5 * 1024 * 1024, "fr"), "5\u00a0Mo");
  assert.equal(formatBytes(1536, "fr"), "1,5\u00a0Ko");
  assert.equal(formatBytes(3 * 1024 ** 3, "fr"), "3\u00a0Go");
  assert.equal(formatBytes(512, "fr"), "512\u00a0o");
  assert.equal(formatBytes(1536, "en"), "1.5 KB");
  assert.equal(formatBytes(10 * 1024 * 1024, "de"), "10 MB");
});
