// Damaged input must end in an error or a result, never a hang: seeded byte
// mutations of a real workbook and of CSV text through the readers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { openWorkbook, readSheet } from "../src/parse/xlsx.ts";
import { parseDelimited } from "../src/parse/delimited.ts";
import { XmlScanner } from "../src/parse/xml.ts";

const corpus = path.resolve(process.cwd(), "../../testdata/corpus");

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mutate(data: Uint8Array<ArrayBuffer>, random: () => number): Uint8Array<ArrayBuffer> {
  const out = data.slice();
  const n = 1 + Math.floor(random() * 8);
  for (let k = 0; k < n; k++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  return random() < 0.2 ? out.subarray(0, Math.floor(random() * out.length)) : out;
}

async function settles<T>(p: Promise<T>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("hang")), ms);
  });
  try {
    await Promise.race([p.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test("mutated workbooks end in a result or an error", async () => {
  const original = new Uint8Array(readFileSync(path.join(corpus, "csvkit/sheets.xlsx")));
  const random = rng(42);
  for (let i = 0; i < 300; i++) {
    const blob = new Blob([mutate(original, random)]);
    await settles((async () => {
      const wb = await openWorkbook(blob);
      for (let s = 0; s < wb.sheets.length; s++) await readSheet(wb, s);
    })(), 5000);
  }
});

test("mutated CSV parses", async () => {
  const original = new TextEncoder().encode('a,b,c\n1,"x\r\ny",3\n"q""q",,\n4,5,6\n');
  const random = rng(7);
  for (let i = 0; i < 500; i++) {
    const result = await parseDelimited(new Blob([mutate(original, random)]));
    assert.ok(result.rows.slice().every((row) => Array.isArray(row) && row.length > 0));
  }
});

test("the XML scanner survives arbitrary text in any slicing", () => {
  const random = rng(3);
  const alphabet = `<>/="' ab&;#x!-[]?CDATA`;
  for (let i = 0; i < 2000; i++) {
    let text = "";
    for (let k = 0; k < 60; k++) text += alphabet[Math.floor(random() * alphabet.length)];
    const scanner = new XmlScanner({ open() {}, close() {}, text() {} });
    try {
      for (let at = 0; at < text.length; at += 1 + Math.floor(random() * 7)) scanner.push(text.slice(at, at + 7));
      scanner.end();
    } catch (err) {
      assert.equal((err as Error).name, "XmlError");
    }
  }
});
