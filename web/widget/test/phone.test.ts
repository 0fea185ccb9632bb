// The widget's phone fast path against the server's oracle: wherever it
// decides, it must give nyaruka/phonenumbers' exact answer on every vector of
// testdata/conformance/phone/vectors.json (written by internal/phone's
// TestVectorsAreGenerated from the differential test's generator). What it
// hands over goes to libphonenumber-js, whose metadata is not the server's:
// those differences are counted and printed, not failed on (docs/phone.md).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import metadata from "libphonenumber-js/metadata.max.json";
import { PhoneNormaliser } from "../src/validate/phone.ts";
import tableJSON from "../../../internal/phone/table.json";

interface Vectors {
  source: string;
  vectors: [string, string, string | null][];
}

const file = JSON.parse(readFileSync(path.resolve(process.cwd(), "../../testdata/conformance/phone/vectors.json"), "utf8")) as Vectors;

test("the vectors come from the table's metadata", () => {
  assert.equal(file.source, tableJSON.source);
  assert.ok(file.vectors.length >= 10_000, `${file.vectors.length} vectors`);
});

test("fast path equals nyaruka/phonenumbers on every vector it decides", () => {
  const parsers = new Map<string, PhoneNormaliser>();
  let decided = 0;
  let valid = 0;
  let slowDiffers = 0;
  let differs = 0;
  const failures: string[] = [];
  // isValid is the fast path without the E.164 form: the same verdict wherever it decides.
  const notValid: string[] = [];
  for (const [input, region, want] of file.vectors) {
    let p = parsers.get(region);
    if (p === undefined) {
      p = new PhoneNormaliser(metadata, region === "ZZ" ? null : region);
      parsers.set(region, p);
    }
    const got = p.fast(input);
    if (got !== undefined && p.isValid(input) !== (got !== null)) notValid.push(`region ${region}, ${JSON.stringify(input)}`);
    if (got === undefined) {
      if (p.slow(input) !== want) slowDiffers++;
      continue;
    }
    decided++;
    if (got !== null) valid++;
    if (got === want) continue;
    differs++;
    if (failures.length < 20) failures.push(`region ${region}, ${JSON.stringify(input)}: fast ${got}, nyaruka ${want}`);
  }
  const n = file.vectors.length;
  console.log(
    `phone vectors: ${n}; fast path decided ${decided} (${valid} valid), ${differs} differ (0 allowed); ` +
      `${n - decided} handed to libphonenumber-js, which differs from nyaruka on ${slowDiffers}`,
  );
  assert.deepEqual(failures, []);
  assert.equal(differs, 0);
  assert.deepEqual(notValid.slice(0, 20), []);
  // The fast path must carry most cells, or it is no optimisation.
  assert.ok(decided > n * 0.6, `fast path decided ${decided} of ${n}`);
});

test("fast path: cases each step of the rule singles out", () => {
  const cases: [string | null, string, string | null | undefined][] = [
    [null, "+1 773-255-9915", "+17732559915"],
    [null, "+44 (0)20 7946 0958", "+442079460958"],
    [null, "020 7946 0958", null], // no "+" and no region
    ["GB", "020 7946 0958", "+442079460958"],
    ["FR", "0044 20 7946 0958", "+442079460958"], // IDD
    ["US", "011 44 20 7946 0958", "+442079460958"],
    ["US", "1 415 555 2671", "+14155552671"], // the region's calling code without "+"
    ["US", "415/555/2671", "+14155552671"],
    [null, "+1 415 555 2671 ext. 12", undefined], // extension: the library
    ["US", "1-800-FLOWERS", undefined],
    ["JP", "03-1234-5678", undefined], // national prefix with a transform rule
    [null, "+54 9 11 1234 5678", undefined], // AR: empty national prefix match
    [null, "+0044 20 7946 0958", null],
    ["FR", "+0044 20 7946 0958", undefined], // the library retries with FR's IDD
    [null, "+", null],
    ["US", "12", undefined],
    [null, "+999 123 456", null],
    [null, "+1" + "2".repeat(250), null], // over MAX_INPUT_STRING_LENGTH
    ["QQ", "044 123 456", undefined], // a region the table does not know
  ];
  for (const [region, input, want] of cases) {
    assert.equal(new PhoneNormaliser(metadata, region).fast(input), want, `region ${region}, ${JSON.stringify(input)}`);
  }
});

test("a phone-context cell gets the same answer however many came before it", () => {
  // libphonenumber-js refused every other valid phone-context cell: the
  // server accepts both of these (vectors.json), each time.
  const cases: [string, string, string][] = [
    ["PA", "50746;phone-context=+4471343", "+447134350746"],
    ["IQ", "04) ;phone-context=+4471065538", "+447106553804"],
    ["US", "tel:2079460958;phone-context=+44", "+442079460958"],
  ];
  for (const [region, input, want] of cases) {
    const p = new PhoneNormaliser(metadata, region);
    for (let i = 0; i < 3; i++) assert.equal(p.normalise(input), want, `region ${region}, ${JSON.stringify(input)}, call ${i + 1}`);
  }
  const p = new PhoneNormaliser(metadata, "US");
  assert.equal(p.normalise("tel:12133734253;phone-context=+1"), "+12133734253");
  assert.equal(p.normalise("tel:2079460958;phone-context=+44"), "+442079460958", "after another phone-context cell");
});
