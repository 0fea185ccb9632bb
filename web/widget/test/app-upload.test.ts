// The upload reports the blank rows the parser dropped, and returns the row
// count the server says it stored (what the done step shows).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { completeBody, Compression, encodeSpan, MAX_ROWS_PER_CHUNK, serverMs, spanBodies, upload, type EncodedChunk, type Encoding, type UploadParams } from "../src/upload/upload.ts";

interface Seen {
  method: string;
  path: string;
  body: string;
}

/** A fake server on fetch: records each request and answers like the upload API. */
function fakeServer(stored: number): { seen: Seen[]; restore(): void } {
  const seen: Seen[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const body = typeof init?.body === "string" ? init.body : "";
    seen.push({ method: init?.method ?? "GET", path: url.pathname, body });
    const json = (v: unknown): Promise<Response> => Promise.resolve(new Response(JSON.stringify(v), { status: 200, headers: { "Content-Type": "application/json" } }));
    if (url.pathname === "/api/v1/uploads") return json({ import_id: "imp1", upload_token: "tok", max_chunk_bytes: 1 << 20 });
    if (url.pathname.includes("/chunks/")) return json({ rows: 2 });
    if (url.pathname.endsWith("/complete")) return json({ status: "completed", rows: stored, rows_with_errors: 0 });
    return Promise.resolve(new Response("{}", { status: 404 }));
  };
  return { seen, restore: () => (globalThis.fetch = original) };
}

function params(rowsSkipped: number): UploadParams {
  return { base: "http://intake.test", importer: "imp_x", columns: ["a"], source: { format: "csv", size_bytes: 10 }, rowsSkipped, onProgress: () => {}, signal: new AbortController().signal, backoff: [] };
}

const rows = { count: 2, row: (i: number) => [`v${i}`] };

test("complete sends rows_skipped when the parser dropped blank rows", async () => {
  const server = fakeServer(2);
  try {
    const result = await upload(params(3), rows);
    assert.equal(result.status, "completed");
    const complete = server.seen.find((r) => r.path.endsWith("/complete"))!;
    assert.deepEqual(JSON.parse(complete.body), { chunks: 1, rows: 2, rows_skipped: 3 });
  } finally {
    server.restore();
  }
});

test("without blank rows the complete body has no rows_skipped (a server before the field accepts it)", () => {
  assert.deepEqual(JSON.parse(completeBody(1, 2, 0)), { chunks: 1, rows: 2 });
  assert.deepEqual(JSON.parse(completeBody(4, 10, 1)), { chunks: 4, rows: 10, rows_skipped: 1 });
  assert.deepEqual(JSON.parse(completeBody(1, 2, 0, [])), { chunks: 1, rows: 2 });
  assert.deepEqual(JSON.parse(completeBody(1, 2, 0, [{ header: "Kdnr", key: "id" }])), { chunks: 1, rows: 2, learned: [{ header: "Kdnr", key: "id" }] });
});

test("the completed result carries the rows the server stored, not the rows sent", async () => {
  const server = fakeServer(1);
  try {
    const result = await upload(params(0), rows);
    assert.deepEqual(result, { status: "completed", importId: "imp1", rows: 1, rowsWithErrors: 0 });
  } finally {
    server.restore();
  }
});

test("the signed end user (identity) goes with the upload's creation", async () => {
  const server = fakeServer(2);
  try {
    await upload({ ...params(0), identity: "eyJhbGciOiJIUzI1NiJ9.e30.sig", user: { id: "u1" } }, rows);
    const create = server.seen.find((r) => r.path === "/api/v1/uploads")!;
    const body = JSON.parse(create.body) as Record<string, unknown>;
    assert.equal(body.identity, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
    assert.deepEqual(body.user, { id: "u1" });
  } finally {
    server.restore();
  }
});

test("chunks are cut from spans of MAX_ROWS_PER_CHUNK rows, and within a span by max_chunk_bytes", () => {
  const row = (i: number): string[] => [`row ${i}`, "x".repeat(i % 50)];
  const all: unknown[] = [];
  for (let start = 0; start < 12_345; start += MAX_ROWS_PER_CHUNK) {
    const end = Math.min(12_345, start + MAX_ROWS_PER_CHUNK);
    const bodies = spanBodies(row, start, end, 64 << 10);
    assert.ok(bodies.length > 1, "a span of long rows is cut by bytes");
    let next = start;
    for (const b of bodies) {
      assert.ok(b.body.length <= 64 << 10, `${b.body.length} bytes`);
      const parsed = JSON.parse(b.body) as { first_row: number; rows: unknown[] };
      assert.equal(parsed.first_row, next);
      assert.equal(b.first, next);
      assert.equal(parsed.rows.length, b.count);
      next += b.count;
      all.push(...parsed.rows);
    }
    assert.equal(next, end);
    // Without the byte limit a span is one chunk.
    assert.equal(spanBodies(row, start, end, 1 << 30).length, 1);
  }
  assert.deepEqual(all, Array.from({ length: 12_345 }, (_, i) => row(i)));
});

test("an encoder elsewhere (the worker's helpers) is used for every span, in order", async () => {
  const server = fakeServer(12_000);
  const spans: [number, number][] = [];
  try {
    const many = {
      count: 12_000,
      row: (): string[] => assert.fail("rows are encoded elsewhere"),
      encode: async (start: number, end: number, encoding: Encoding) => {
        spans.push([start, end]);
        return encodeSpan((i) => [`v${i}`], start, end, encoding);
      },
    };
    const result = await upload(params(0), many);
    assert.equal(result.status, "completed");
    assert.deepEqual(spans, [[0, 5000], [5000, 10_000], [10_000, 12_000]]);
    assert.equal(server.seen.filter((r) => r.path.includes("/chunks/")).length, 3);
  } finally {
    server.restore();
  }
});

/** A chunk as Compression sees it: bytes as sent, bytes of JSON, ms of gzip. */
function sentChunk(sent: number, json: number, gzipMs: number): EncodedChunk {
  return { first: 0, count: 1, body: new ArrayBuffer(sent), gzip: gzipMs > 0, json, gzipMs };
}

test("compression: gzip until the link and gzip's rate are known, then only while the link is slower than the encoders compress", () => {
  const c = new Compression(2);
  assert.equal(c.gzip, true, "nothing known yet");
  // 1 MB of JSON gzip'd to 200 kB in 40 ms: 25 kB/ms an encoder, 50 kB/ms for two.
  c.sent(sentChunk(200_000, 1_000_000, 40), 30, null);
  assert.equal(c.gzip, true, "no Server-Timing: the link is unknown");
  c.sent(sentChunk(200_000, 1_000_000, 40), 30, 28);
  assert.equal(c.gzip, false, "200 kB in 2 ms: the link outruns gzip on two encoders");
  for (let k = 0; k < 16; k++) c.sent(sentChunk(1_000_000, 1_000_000, 0), 130, 30);
  assert.equal(c.gzip, true, "1 MB in 100 ms, for the last 16 samples: gzip keeps up with that link");
  c.sent(sentChunk(1_000_000, 1_000_000, 0), 35, 30);
  assert.equal(c.gzip, false, "one fast chunk among the last ones: the link is fast, the slow ones waited");
  const one = new Compression(1);
  one.sent(sentChunk(200_000, 1_000_000, 40), 30, 20);
  assert.equal(one.gzip, true, "a 20 kB/ms link is slower than one encoder's 25 kB/ms of gzip");
  const probe = new Compression(2);
  assert.deepEqual([probe.next(), probe.next(), probe.next()], [true, false, true], "the second span is a probe, sent as it is");
  const small = new Compression(2);
  small.sent(sentChunk(1000, 5000, 1), 2, 1);
  assert.equal(small.gzip, true, "small chunks are not sampled");
});

test("serverMs reads the server's time on a chunk from Server-Timing", () => {
  assert.equal(serverMs("ingest;dur=12.5"), 12.5);
  assert.equal(serverMs("cdn;dur=3, ingest;dur=7"), 7);
  assert.equal(serverMs(null), null);
  assert.equal(serverMs("ingest"), null);
  assert.equal(serverMs("other;dur=4"), null);
});

test("on a fast link the chunks after the first few go as JSON, the same JSON as gzip'd", async () => {
  const original = globalThis.fetch;
  const sent: { n: number; encoding: string | null; json: string }[] = [];
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const json = (v: unknown, headers: Record<string, string> = {}): Response => new Response(JSON.stringify(v), { status: 200, headers: { "Content-Type": "application/json", ...headers } });
    if (url.pathname === "/api/v1/uploads") return json({ import_id: "imp1", upload_token: "tok", max_chunk_bytes: 8 << 20 });
    const m = /\/chunks\/(\d+)$/.exec(url.pathname);
    if (m) {
      const t0 = performance.now();
      const encoding = new Headers(init?.headers).get("Content-Encoding");
      let bytes = new Uint8Array(init!.body as ArrayBuffer);
      if (encoding === "gzip") bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
      sent.push({ n: Number(m[1]), encoding, json: new TextDecoder().decode(bytes) });
      // The server states it took all of the request's time: the link is instant.
      return json({ rows: 1 }, { "Server-Timing": `ingest;dur=${performance.now() - t0}` });
    }
    return json({ status: "completed", rows: 60_000, rows_with_errors: 0 });
  };
  try {
    const row = (i: number): string[] => [`row ${i}`, "x".repeat(20), `${i * 7}`];
    const result = await upload(params(0), { count: 60_000, row });
    assert.equal(result.status, "completed");
    sent.sort((a, b) => a.n - b.n);
    assert.equal(sent.length, 12);
    assert.equal(sent[0]!.encoding, "gzip", "the first chunk is gzip'd: the link is not known yet");
    assert.equal(sent.at(-1)!.encoding, null, "the last chunks go as they are");
    for (const [k, s] of sent.entries()) {
      const start = k * MAX_ROWS_PER_CHUNK;
      assert.equal(s.json, spanBodies(row, start, start + MAX_ROWS_PER_CHUNK, 8 << 20)[0]!.body, `chunk ${k}`);
    }
  } finally {
    globalThis.fetch = original;
  }
});

test("e2e: on a fast link the sealed chunks after the first few hold the JSON as it is, gzip'd before; both decrypt to the rows", async () => {
  const identity = await generateX25519Identity();
  const seal = { recipients: [await identityToRecipient(identity)], columns: ["name", "note", "n"] };
  const d = new Decrypter();
  d.addIdentity(identity);
  const original = globalThis.fetch;
  const sent: { n: number; first: number; plain: Uint8Array }[] = [];
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const json = (v: unknown, headers: Record<string, string> = {}): Response => new Response(JSON.stringify(v), { status: 200, headers: { "Content-Type": "application/json", ...headers } });
    if (url.pathname === "/api/v1/uploads") return json({ import_id: "imp1", upload_token: "tok", max_chunk_bytes: 8 << 20 });
    const m = /\/chunks\/(\d+)$/.exec(url.pathname);
    if (m) {
      const t0 = performance.now();
      assert.equal(new Headers(init?.headers).get("Content-Encoding"), null, "a sealed chunk states no encoding: the server stores it unopened");
      sent.push({ n: Number(m[1]), first: Number(url.searchParams.get("first_row")), plain: await d.decrypt(new Uint8Array(init!.body as ArrayBuffer)) });
      return json({ rows: 1 }, { "Server-Timing": `ingest;dur=${performance.now() - t0}` });
    }
    return json({ status: "completed", rows: 60_000, rows_with_errors: 0 });
  };
  try {
    const row = (i: number): string[] => [`row ${i}`, "x".repeat(20), `${i * 7}`];
    const result = await upload({ ...params(0), seal }, { count: 60_000, row });
    assert.equal(result.status, "completed");
    sent.sort((a, b) => a.n - b.n);
    assert.equal(sent.length, 12);
    const gzipped = (p: Uint8Array): boolean => p[0] === 0x1f && p[1] === 0x8b;
    assert.ok(gzipped(sent[0]!.plain), "the first chunk is gzip'd: the link is not known yet");
    assert.equal(sent.at(-1)!.plain[0], "{".charCodeAt(0), "the last chunks are the JSON as it is");
    for (const s of sent) {
      const text = gzipped(s.plain) ? await new Response(new Blob([new Uint8Array(s.plain)]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer() : s.plain;
      const chunk = JSON.parse(new TextDecoder().decode(text)) as { columns: string[]; first_row: number; rows: string[][] };
      assert.deepEqual(chunk.columns, seal.columns);
      assert.equal(chunk.first_row, s.first);
      assert.deepEqual(chunk.rows, Array.from({ length: MAX_ROWS_PER_CHUNK }, (_, k) => row(s.first + k)), `chunk ${s.n}`);
    }
  } finally {
    globalThis.fetch = original;
  }
});

test("e2e: a sealed chunk as it is fits max_chunk_bytes with the names and age's overhead; one that would not is gzip'd", async () => {
  const seal = { recipients: [await identityToRecipient(await generateX25519Identity()), await identityToRecipient(await generateX25519Identity())], columns: ["name", "note"] };
  const maxBytes = 4096;
  const ascii = await encodeSpan((i) => [`row ${i}`, "x".repeat(60)], 0, 400, { maxBytes, seal, gzip: false });
  assert.ok(ascii.length > 5, `${ascii.length} chunks: maxBytes cuts the span`);
  for (const [k, c] of ascii.entries()) {
    assert.equal(c.gzip, false);
    assert.ok(c.body.byteLength <= maxBytes, `${c.body.byteLength} bytes sealed, at most ${maxBytes}`);
    if (k < ascii.length - 1) assert.ok(c.body.byteLength > maxBytes * 0.9, `${c.body.byteLength} bytes sealed: the JSON is cut close to the bound`);
  }
  // Cut by characters, 2 bytes of UTF-8 each: past the bound as it is.
  const wide = await encodeSpan((i) => [`row ${i}`, "é".repeat(60)], 0, 400, { maxBytes, seal, gzip: false });
  for (const c of wide.slice(0, -1)) {
    assert.equal(c.gzip, true);
    assert.ok(c.body.byteLength <= maxBytes && c.gzipMs > 0);
  }
  assert.equal(wide.at(-1)!.gzip, false, "the last chunk, shorter, fits as it is");
});
