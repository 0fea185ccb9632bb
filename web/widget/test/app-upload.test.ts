// The upload reports the blank rows the parser dropped, and returns the row
// count the server says it stored (what the done step shows).
import { test } from "node:test";
import assert from "node:assert/strict";
import { completeBody, encodeSpan, MAX_ROWS_PER_CHUNK, spanBodies, upload, type UploadParams } from "../src/upload/upload.ts";

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
      encode: async (start: number, end: number, maxBytes: number) => {
        spans.push([start, end]);
        return encodeSpan((i) => [`v${i}`], start, end, maxBytes);
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
