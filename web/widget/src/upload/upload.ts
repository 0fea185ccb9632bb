// The upload client: rows go to the server as gzip'd JSON chunks, a few in
// parallel, each retried with backoff; chunk boundaries depend only on the
// rows and the server's max_chunk_bytes, so a resumed upload re-sends exactly
// the same bodies (the server accepts a repeated chunk, refuses a changed one).
// Encoding and compressing a million rows costs seconds of CPU, so the row
// source may do it elsewhere (the worker's helpers, on other cores), a few
// spans ahead of the chunks in flight.
import type { Progress, RowIssue, Session, UploadResult } from "../worker/messages.ts";
import type { LearnedPair } from "../mapping/match.ts";
import { Encrypter } from "age-encryption";

/**
 * Seal is end-to-end encryption of the chunks: each chunk's JSON, naming
 * its columns, is gzip'd and then encrypted with age to the recipients, so
 * the server receives ciphertext and the chunk's row counts only
 * (docs/e2e.md). It runs where the chunk is encoded, a worker.
 */
export interface Seal {
  recipients: string[];
  columns: string[];
}

/** What the upload needs from the owner of the rows. */
export interface RowSource {
  count: number;
  /** Row i of the import (0-based), in template column order. */
  row(i: number): (string | null)[];
  /**
   * encode, when given, does what encodeSpan does with these rows (the
   * same bytes), elsewhere; otherwise the upload encodes in this thread.
   */
  encode?(start: number, end: number, maxBytes: number, seal?: Seal): Promise<EncodedChunk[]>;
}

/** One chunk, ready to send: its rows [first, first + count) as gzip'd JSON. */
export interface EncodedChunk {
  first: number;
  count: number;
  body: ArrayBuffer;
}

/** Parameters of one upload. */
export interface UploadParams {
  base: string;
  importer: string;
  columns: string[];
  source: { format: string; size_bytes: number };
  /** Blank rows the parser dropped from the file; the server records them in the import log. */
  rowsSkipped?: number;
  /** The user's changes to the proposed matching, for the importer to learn (headers only). */
  learned?: readonly LearnedPair[];
  user?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** The signed end user (OpenOptions.identity), checked by the server. */
  identity?: string;
  resume?: Session;
  /** Called with every change of progress. */
  onProgress(p: Progress): void;
  signal: AbortSignal;
  /** End-to-end encryption of every chunk, for an e2e importer. */
  seal?: Seal;
  /** Test hook and tuning: delays of successive retries, in ms. */
  backoff?: number[];
}

/** Chunks in flight: the server checks each on a core of its own. */
const PARALLEL = 3;
/** Rows per chunk at most; chunks are cut from spans of this many rows (a span is one chunk unless maxBytes cuts it). */
export const MAX_ROWS_PER_CHUNK = 5000;
/** Spans being encoded ahead of the chunks sent. */
const ENCODE_AHEAD = 4;
const DEFAULT_BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];

/** An API error: HTTP status and the error object of the body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: RowIssue[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Whether an error is worth retrying: network trouble, 408, 429 and 5xx. */
function retryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return err instanceof TypeError; // fetch's network failure
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: RowIssue[] } } | null)?.error;
    throw new ApiError(response.status, e?.code ?? `http_${response.status}`, e?.message ?? response.statusText, e?.details ?? []);
  }
  return body as T;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      // An AbortSignal's reason is an Error (AbortError unless one was given).
      reject(signal.reason as Error);
    }, { once: true });
  });
}

async function withRetry<T>(fn: () => Promise<T>, params: UploadParams, onRetry: (retrying: boolean) => void): Promise<T> {
  const delays = params.backoff ?? DEFAULT_BACKOFF;
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await fn();
      if (attempt > 0) onRetry(false);
      return value;
    } catch (err) {
      if (params.signal.aborted || !retryable(err) || attempt >= delays.length) {
        if (attempt > 0) onRetry(false);
        throw err;
      }
      if (attempt === 0) onRetry(true);
      const delay = delays[attempt]!;
      await sleep(delay / 2 + Math.random() * (delay / 2), params.signal);
    }
  }
}

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Response(stream).arrayBuffer();
}

/**
 * spanBodies cuts the rows [start, end) of one span into chunk bodies of at
 * most maxBytes of JSON each (one unless rows are long); row(i) is row i in
 * template column order.
 */
export function spanBodies(row: (i: number) => readonly (string | null)[], start: number, end: number, maxBytes: number): { first: number; count: number; body: string }[] {
  const out: { first: number; count: number; body: string }[] = [];
  let first = start;
  let parts: string[] = [];
  let size = 32;
  for (let i = start; i < end; i++) {
    const json = JSON.stringify(row(i));
    if (parts.length > 0 && size + json.length + 1 > maxBytes) {
      out.push({ first, count: parts.length, body: `{"first_row":${first},"rows":[${parts.join(",")}]}` });
      first = i;
      parts = [];
      size = 32;
    }
    parts.push(json);
    size += json.length + 1;
  }
  if (parts.length > 0) out.push({ first, count: parts.length, body: `{"first_row":${first},"rows":[${parts.join(",")}]}` });
  return out;
}

/**
 * encodeSpan is spanBodies gzip'd: the chunks of one span, ready to send;
 * with seal, each names its columns and is then encrypted with age.
 */
export async function encodeSpan(row: (i: number) => readonly (string | null)[], start: number, end: number, maxBytes: number, seal?: Seal): Promise<EncodedChunk[]> {
  const bodies = spanBodies(row, start, end, maxBytes);
  if (!seal) return Promise.all(bodies.map(async (b) => ({ first: b.first, count: b.count, body: await gzip(b.body) })));
  const enc = new Encrypter();
  for (const r of seal.recipients) enc.addRecipient(r);
  const head = `{"columns":${JSON.stringify(seal.columns)},`;
  return Promise.all(
    bodies.map(async (b) => {
      const packed = new Uint8Array(await gzip(head + b.body.slice(1)));
      const sealed = await enc.encrypt(packed);
      return { first: b.first, count: b.count, body: sealed.buffer.slice(sealed.byteOffset, sealed.byteOffset + sealed.byteLength) as ArrayBuffer };
    }),
  );
}

/**
 * Every chunk of rows in order, numbered from 0: spans of
 * MAX_ROWS_PER_CHUNK rows encoded ENCODE_AHEAD at a time.
 */
async function* chunks(rows: RowSource, maxBytes: number, seal?: Seal): AsyncGenerator<EncodedChunk & { n: number }> {
  const encode = rows.encode?.bind(rows) ?? ((start: number, end: number, max: number, s?: Seal) => encodeSpan((i) => rows.row(i), start, end, max, s));
  const ahead: Promise<EncodedChunk[]>[] = [];
  let next = 0;
  let n = 0;
  while (next < rows.count || ahead.length > 0) {
    while (ahead.length < ENCODE_AHEAD && next < rows.count) {
      const start = next;
      next = Math.min(rows.count, start + MAX_ROWS_PER_CHUNK);
      const span = encode(start, next, maxBytes, seal);
      // Awaited in turn below; not an unhandled rejection meanwhile.
      span.catch(() => {});
      ahead.push(span);
    }
    for (const chunk of await ahead.shift()!) yield { ...chunk, n: n++ };
  }
}

/**
 * The body of POST /uploads/{id}/complete. rows_skipped is sent only when
 * the parser dropped blank rows: the server reads a missing one as 0, and
 * a server from before the field (it refuses unknown fields) still takes
 * every file without blank rows. learned likewise only when the user
 * changed the proposed matching.
 */
export function completeBody(chunks: number, rows: number, rowsSkipped: number, learned: readonly LearnedPair[] = []): string {
  return JSON.stringify({
    chunks,
    rows,
    ...(rowsSkipped > 0 ? { rows_skipped: rowsSkipped } : {}),
    ...(learned.length > 0 ? { learned: learned.map((p) => ({ header: p.header, key: p.key })) } : {}),
  });
}

interface Created {
  import_id: string;
  upload_token: string;
  max_chunk_bytes: number;
}

/**
 * createImport opens an upload session (POST /api/v1/uploads). In client mode
 * that is all the server hears of the import: it records the import log.
 */
export function createImport(params: UploadParams, rows: number): Promise<Created> {
  return withRetry(
    () =>
      call<Created>(`${params.base}/api/v1/uploads`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ importer: params.importer, columns: params.columns, source: params.source, rows, user: params.user, metadata: params.metadata, identity: params.identity }),
        signal: params.signal,
      }),
    params,
    () => {},
  );
}

/**
 * upload sends every row and completes the import. It returns "paused" when
 * the network or server stayed down through every retry (the caller may
 * resume with the returned import id and token) and "refused" with the
 * server's row issues on 422.
 */
export async function upload(params: UploadParams, rows: RowSource): Promise<UploadResult> {
  let importId = params.resume?.importId ?? "";
  let token = params.resume?.token ?? "";
  let maxBytes = params.resume?.maxChunkBytes || 4 << 20;
  const done = new Set<number>();
  let rowsSent = 0;
  let retrying = 0;
  const report = (): void => params.onProgress({ rowsSent, rowsTotal: rows.count, retrying: retrying > 0 });
  const onRetry = (on: boolean): void => {
    retrying += on ? 1 : -1;
    report();
  };
  try {
    if (importId) {
      const status = await withRetry(
        () => call<{ status: string; chunks: number[]; rows_received: number }>(`${params.base}/api/v1/uploads/${encodeURIComponent(importId)}`, {
          headers: { Authorization: `Bearer ${token}` },
          signal: params.signal,
        }),
        params,
        onRetry,
      ).catch((err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 404 || err.status === 410)) return null;
        throw err;
      });
      if (status === null) importId = ""; // the session expired or is unknown: start over
      else if (status.status === "completed") return { status: "completed", importId, rows: status.rows_received, rowsWithErrors: 0 };
      else for (const n of status.chunks) done.add(n);
    }
    if (!importId) {
      const created = await createImport(params, rows.count);
      importId = created.import_id;
      token = created.upload_token;
      maxBytes = created.max_chunk_bytes || maxBytes;
      params.onProgress({ rowsSent, rowsTotal: rows.count, retrying: false, session: { importId, token, maxChunkBytes: maxBytes } });
    }
    report();
    const auth = { Authorization: `Bearer ${token}` };
    const inFlight = new Set<Promise<void>>();
    let total = 0;
    let failure: unknown = null;
    for await (const chunk of chunks(rows, maxBytes, params.seal)) {
      total++;
      if (failure) break;
      if (done.has(chunk.n)) {
        rowsSent += chunk.count;
        report();
        continue;
      }
      const body = chunk.body;
      const send = async (): Promise<void> => {
        await withRetry(
          () =>
            call(`${params.base}/api/v1/uploads/${encodeURIComponent(importId)}/chunks/${chunk.n}${params.seal ? `?first_row=${chunk.first}&rows=${chunk.count}` : ""}`, {
              method: "PUT",
              // An encrypted chunk is an age file: the server stores it unopened.
              headers: params.seal ? { ...auth, "Content-Type": "application/octet-stream" } : { ...auth, "Content-Type": "application/json", "Content-Encoding": "gzip" },
              body,
              signal: params.signal,
            }),
          params,
          onRetry,
        );
        rowsSent += chunk.count;
        report();
      };
      const p: Promise<void> = send().catch((err) => {
        failure ??= err;
      }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= PARALLEL) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure instanceof Error ? failure : new Error("chunk upload failed");
    const result = await withRetry(
      () =>
        call<{ status: string; rows: number; rows_with_errors: number }>(`${params.base}/api/v1/uploads/${encodeURIComponent(importId)}/complete`, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json" },
          body: completeBody(total, rows.count, params.rowsSkipped ?? 0, params.learned),
          signal: params.signal,
        }),
      params,
      onRetry,
    );
    return { status: "completed", importId, rows: result.rows, rowsWithErrors: result.rows_with_errors };
  } catch (err) {
    if (params.signal.aborted) return { status: "cancelled" };
    if (err instanceof ApiError && err.status === 422 && err.code === "invalid_rows") return { status: "refused", importId, issues: err.details };
    if (importId && retryable(err)) return { status: "paused", session: { importId, token, maxChunkBytes: maxBytes }, code: err instanceof ApiError ? err.code : "network" };
    if (err instanceof ApiError) return { status: "failed", code: err.code, message: err.message };
    return { status: "failed", code: "network", message: String(err) };
  }
}
