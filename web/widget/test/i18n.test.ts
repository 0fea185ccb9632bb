// Every locale translates every key with the same placeholders as English.
import { test } from "node:test";
import assert from "node:assert/strict";
import { en } from "../src/i18n/en.ts";
import { de } from "../src/i18n/de.ts";
import { es } from "../src/i18n/es.ts";
import { fr } from "../src/i18n/fr.ts";
import { ja } from "../src/i18n/ja.ts";
import { nl } from "../src/i18n/nl.ts";
import { pt } from "../src/i18n/pt.ts";
import { pickLocale, translator } from "../src/i18n/i18n.ts";

const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort();

test("translations keep the placeholders", () => {
  for (const [name, messages] of Object.entries({ de, es, fr, ja, nl, pt })) {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.deepEqual(placeholders(messages[key]), placeholders(en[key]), `${name}.${key}`);
      assert.notEqual(messages[key].trim(), "", `${name}.${key} is empty`);
    }
  }
});

test("locale choice: option, then browser, then English", () => {
  assert.equal(pickLocale("pt-BR", ["de-DE"]), "pt");
  assert.equal(pickLocale(undefined, ["sv-SE", "nl-BE"]), "nl");
  assert.equal(pickLocale("xx", []), "en");
  assert.equal(translator("de")("review_rows", { rows: 1234 }), "1.234 Zeilen");
});
