// Learned mappings arrive as keyed hashes (src/app/learned.ts): the same
// vector as Go's widget.LearnedHash, and only the file's own learned headers
// come back, normalised.
import { test } from "node:test";
import assert from "node:assert/strict";
import { learnedHash, resolveLearned } from "../src/app/learned.ts";

test("the hash is Go's: SHA-256 of key, NUL, normalised header, 128 bits in hex", async () => {
  assert.equal(await learnedHash("imp_demo", "kunden name"), "d18b296f66c145eed70512f62b10c486");
});

test("resolveLearned finds this file's learned headers and nothing else", async () => {
  const hashed = [
    { hash: await learnedHash("imp_demo", "kunden name"), key: "name" },
    { hash: await learnedHash("imp_demo", "secret header of someone else"), key: "notes" },
  ];
  const pairs = await resolveLearned("imp_demo", ["Kunden-Name", "E-Mail", ""], hashed);
  assert.deepEqual(pairs, [{ header: "kunden name", key: "name" }]);
  // Another importer's key gives other hashes: nothing is found.
  assert.deepEqual(await resolveLearned("imp_other", ["Kunden-Name"], hashed), []);
});
