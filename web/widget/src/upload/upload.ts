// The upload client: rows go to the server as JSON chunks, a few in
// parallel, each retried with backoff; chunk boundaries depend only on the
// rows and the server's max_chunk_bytes, so a resumed upload re-sends exactly
// the same JSON (the server accepts a repeated chunk, refuses a changed one;
// it compares the JSON, gzip'd or not). Encoding and compressing a million
// rows costs seconds of CPU, so the row source may do it elsewhere (the
// worker's helpers, on other cores), a few spans ahead of the chunks in
// flight. Chunks are gzip'd while the link is slower than the encoders
// compress, and sent as they are once it is faster (Compression).
import type { Progress, RowIssue, Session, UploadResult } from "../worker/messages.ts";
import type { LearnedPair } from "../mapping/match.ts";
import { Encrypter } from "age-encryption";

/**
 * Seal is end-to-end encryption of the chunks: each chunk's JSON, naming
 * its columns, is gzip'd as Compression says (as in stored mode) and then
 * encrypted with age to the recipients, so the server receives ciphertext
 * and the chunk's row counts only (docs/e2e.md). It runs where the chunk is encoded, a worker.
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
  encode?(start: number, end: number, encoding: Encoding): Promise<EncodedChunk[]>;
  /** How many spans encode works on at once (its helpers); 1 without encode. */
  encoders?: number;
}

/** How the chunks of a span are encoded. */
export interface Encoding {
  /** The most JSON a chunk holds, and the most bytes it may be as sent. */
  maxBytes: number;
  /** End-to-end encryption (of the JSON, gzip'd or not). */
  seal?: Seal;
  /** Whether to gzip the JSON: a chunk past maxBytes as UTF-8 (sealed: as encrypted) is gzip'd anyway. */
  gzip: boolean;
}

/** One chunk, ready to send: its rows [first, first + count) as JSON, gzip'd or not, or sealed. */
export interface EncodedChunk {
  first: number;
  count: number;
  body: ArrayBuffer;
  /** Whether body is gzip'd (Content-Encoding; sealed: the JSON inside the age file). */
  gzip: boolean;
  /** The JSON's size in bytes (UTF-8), and the milliseconds gzip took over it (0 when not gzip'd). */
  json: number;
  gzipMs: number;
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

/** call makes one API request; answered, when given, sees the response as soon as its headers are in. */
async function call<T>(url: string, init: RequestInit, answered?: (response: Response) => void): Promise<T> {
  const response = await fetch(url, { ...init, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  answered?.(response);
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

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Response(stream).arrayBuffer();
}

/**
 * ageOverhead bounds what age adds to a plaintext of at most plain bytes
 * encrypted to recipients X25519 keys: the version line, a stanza (about
 * 100 bytes) a recipient, the MAC line, the nonce and a tag every 64 KiB.
 */
export function ageOverhead(recipients: number, plain: number): number {
  return 22 + 128 * recipients + 48 + 16 + 16 * (Math.floor(plain / 65536) + 1);
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
 * encodeSpan is spanBodies as UTF-8, gzip'd per encoding: the chunks of one
 * span, ready to send; with seal, each names its columns and is gzip'd
 * (likewise) and then encrypted with age, its JSON cut short of maxBytes by
 * what the names and age add, so that it fits as it is.
 */
export async function encodeSpan(row: (i: number) => readonly (string | null)[], start: number, end: number, encoding: Encoding): Promise<EncodedChunk[]> {
  const utf8 = new TextEncoder();
  const seal = encoding.seal;
  if (!seal) {
    return Promise.all(
      spanBodies(row, start, end, encoding.maxBytes).map(async (b) => {
        const json = utf8.encode(b.body);
        if (!encoding.gzip && json.byteLength <= encoding.maxBytes) return { first: b.first, count: b.count, body: json.buffer, gzip: false, json: json.byteLength, gzipMs: 0 };
        const t0 = performance.now();
        const body = await gzip(json);
        return { first: b.first, count: b.count, body, gzip: true, json: json.byteLength, gzipMs: performance.now() - t0 };
      }),
    );
  }
  const enc = new Encrypter();
  for (const r of seal.recipients) enc.addRecipient(r);
  const head = `{"columns":${JSON.stringify(seal.columns)},`;
  const room = encoding.maxBytes - utf8.encode(head).byteLength - ageOverhead(seal.recipients.length, encoding.maxBytes);
  const bodies = spanBodies(row, start, end, Math.max(room, 1));
  const sealed = async (plain: Uint8Array): Promise<ArrayBuffer> => {
    const out = await enc.encrypt(plain);
    return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? (out.buffer as ArrayBuffer) : (out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer);
  };
  return Promise.all(
    bodies.map(async (b) => {
      const json = utf8.encode(head + b.body.slice(1));
      // As in stored mode, the JSON goes as it is on a fast link: a gzip
      // stream starts 1f 8b and a JSON text cannot, so a receiver tells the
      // two apart (e2e.Open). One past maxBytes once encrypted is gzip'd
      // anyway, so no chunk is refused for not being compressed.
      if (!encoding.gzip) {
        const body = await sealed(json);
        if (body.byteLength <= encoding.maxBytes) return { first: b.first, count: b.count, body, gzip: false, json: json.byteLength, gzipMs: 0 };
      }
      const t0 = performance.now();
      const packed = new Uint8Array(await gzip(json));
      const gzipMs = performance.now() - t0;
      return { first: b.first, count: b.count, body: await sealed(packed), gzip: true, json: json.byteLength, gzipMs };
    }),
  );
}

/** Samples of the link kept (two a chunk: timed here and by the browser): the fastest of the last few is its speed. */
const LINK_SAMPLES = 16;
/** Chunks smaller than this (as sent, or as JSON) say little of the link or of gzip: not sampled. */
const MIN_SAMPLE = 16 << 10;

/**
 * Compression decides whether the next spans are gzip'd. Compressing on
 * the encoders runs alongside the sending, so it pays while the link is
 * slower than the encoders compress together (their number times the rate
 * of one, measured on the chunks gzip'd so far): past that, compression is
 * what the upload waits for, and the JSON is sent as it is. The link's
 * speed is the fastest of the last few chunks, each its bytes over its
 * request's time less the server's (Server-Timing): latency and a busy
 * machine only make a chunk look slower, so the fastest is the least
 * wrong, and a link that slows down shows in every recent chunk. Until both
 * are known (the first chunks, or a server that states no timing), chunks
 * are gzip'd, the safe choice on a slow link, but for one probe (next).
 */
export class Compression {
  private readonly link: number[] = [];
  /** JSON bytes gzip'd per ms by one encoder, the best seen; 0: none yet. */
  private rate = 0;
  /** Spans encoded so far (next). */
  private spans = 0;

  constructor(private readonly encoders: number) {}

  /**
   * next says whether to gzip the next span: the second goes as it is
   * whatever is known, a probe (a gzip'd chunk is small, its time mostly
   * latency, which understates a fast link), the others as gzip says.
   */
  next(): boolean {
    return this.spans++ === 1 ? false : this.gzip;
  }

  /** Whether chunks are worth gzip'ing, as far as is known. */
  get gzip(): boolean {
    if (this.rate === 0 || this.link.length === 0) return true;
    return Math.max(...this.link) < this.encoders * this.rate;
  }

  /** sent records one chunk sent: the ms from its request to the answer, the server's part of them (null: not stated). */
  sent(chunk: EncodedChunk, ms: number, serverMs: number | null): void {
    if (chunk.gzipMs > 0 && chunk.json >= MIN_SAMPLE) this.rate = Math.max(this.rate, chunk.json / chunk.gzipMs);
    if (serverMs === null || chunk.body.byteLength < MIN_SAMPLE) return;
    this.link.push(chunk.body.byteLength / Math.max(ms - serverMs, 0.1));
    if (this.link.length > LINK_SAMPLES) this.link.shift();
  }
}

/**
 * watchChunks reports the browser's own timing of each chunk request
 * (Resource Timing): from sending the request to the answer's first byte,
 * and the server's part (its Server-Timing), null when not stated. It is
 * taken by the network stack, so a busy thread here does not add to it.
 * It returns the function that stops watching.
 */
function watchChunks(timed: (url: string, ms: number, serverMs: number | null) => void): () => void {
  if (typeof PerformanceObserver === "undefined") return () => {};
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceResourceTiming[]) {
      if (!e.name.includes("/chunks/") || !(e.requestStart > 0) || !(e.responseStart >= e.requestStart)) continue;
      const server = e.serverTiming?.find((t) => t.name === "ingest");
      timed(e.name, e.responseStart - e.requestStart, server ? server.duration : null);
    }
  });
  try {
    observer.observe({ type: "resource" });
  } catch {
    return () => {};
  }
  return () => observer.disconnect();
}

/** The server's time on a chunk, from its Server-Timing header ("ingest;dur=ms"), or null. */
export function serverMs(header: string | null): number | null {
  const m = header ? /(?:^|,)\s*ingest\s*;\s*dur=([0-9.]+)/.exec(header) : null;
  const ms = m ? Number(m[1]) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Every chunk of rows in order, numbered from 0: spans of
 * MAX_ROWS_PER_CHUNK rows encoded ENCODE_AHEAD at a time, each gzip'd as
 * compression says when it is started.
 */
async function* chunks(rows: RowSource, maxBytes: number, compression: Compression, seal?: Seal): AsyncGenerator<EncodedChunk & { n: number }> {
  const encode = rows.encode?.bind(rows) ?? ((start: number, end: number, e: Encoding) => encodeSpan((i) => rows.row(i), start, end, e));
  const ahead: Promise<EncodedChunk[]>[] = [];
  let next = 0;
  let n = 0;
  while (next < rows.count || ahead.length > 0) {
    while (ahead.length < ENCODE_AHEAD && next < rows.count) {
      const start = next;
      next = Math.min(rows.count, start + MAX_ROWS_PER_CHUNK);
      const span = encode(start, next, { maxBytes, seal, gzip: compression.next() });
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
    const compression = new Compression(rows.encode ? Math.max(1, rows.encoders ?? 1) : 1);
    // Chunks answered, by URL, until the browser's timing of their request comes.
    const answered = new Map<string, EncodedChunk>();
    const unwatch = watchChunks((url, ms, server) => {
      const chunk = answered.get(url);
      if (!chunk) return;
      answered.delete(url);
      compression.sent(chunk, ms, server);
    });
    try {
      for await (const chunk of chunks(rows, maxBytes, compression, params.seal)) {
        total++;
        if (failure) break;
        if (done.has(chunk.n)) {
          rowsSent += chunk.count;
          report();
          continue;
        }
        const body = chunk.body;
        const send = async (): Promise<void> => {
          const url = `${params.base}/api/v1/uploads/${encodeURIComponent(importId)}/chunks/${chunk.n}${params.seal ? `?first_row=${chunk.first}&rows=${chunk.count}` : ""}`;
          await withRetry(
            () => {
              const t0 = performance.now();
              return call(
                url,
                {
                  method: "PUT",
                  // An encrypted chunk is an age file: the server stores it unopened.
                  headers: params.seal
                    ? { ...auth, "Content-Type": "application/octet-stream" }
                    : { ...auth, "Content-Type": "application/json", ...(chunk.gzip ? { "Content-Encoding": "gzip" } : {}) },
                  body,
                  signal: params.signal,
                },
                (response) => {
                  if (!response.ok) return;
                  // Timed here, and again by the browser's network timing when it comes (closer, on a busy machine).
                  compression.sent(chunk, performance.now() - t0, serverMs(response.headers.get("Server-Timing")));
                  answered.set(new URL(url).href, chunk);
                },
              );
            },
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
    } finally {
      unwatch();
    }
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
