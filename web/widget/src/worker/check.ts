// Checking rows on every core. The parsing worker owns the rows, their
// errors and the uniqueness state, and must stay free for the grid's
// requests; checking a million rows (~3 µs a row, phone numbers and emails
// most of it) on its one thread took longer than parsing them. So it ships
// blocks of rows to helper workers (the same script, another name), which
// run every check that needs nothing but the row, and keeps for itself what
// needs the rows in order: the unique claims, which arrive as hashes of the
// keys (unique.ts reads the keys again only when hashes are equal), and the
// "duplicate of row N" they give. A row's errors come back interned per
// block, so a million rows with the same error cross as one array. The
// upload's encoding (JSON, gzip) runs on the helpers too, span by span.

import { hash, message, Validator, type Locale, type MemoryUniqueness, type Uniqueness, type ValidationError } from "../validate/index.ts";
import { cutPacked, identityMapping } from "../rows/store.ts";
import { encodeSpan, type EncodedChunk, type Encoding } from "../upload/upload.ts";
import type { Stored } from "./errors.ts";

/** A row as shipped to a helper: packed as parsed (RowTable.shipped), or its cells in template order. */
export type ShippedRow = string | (string | null)[];

/** What a helper found in a block of rows. */
export interface CheckedBlock {
  count: number;
  /** The distinct error sets of the block, without "duplicate" (the owner adds those). */
  sets: Stored[];
  /** Per row, 1 + its set's index in sets, or 0: no error. */
  setOf: Int32Array;
  /** Per row, 1 when a mapped cell is not empty. */
  filled: Uint8Array;
  /** Per row and unique column (uniqueColumns order), the hash of the key it claims; 0: none. */
  hashes: Int32Array;
}

/** Messages to a helper. */
export type CheckRequest =
  | { kind: "setup"; template: unknown; locale: Locale; mapping: (number | null)[] }
  | { kind: "check"; rows: ShippedRow[] }
  | { kind: "encode"; rows: ShippedRow[]; first: number; encoding: Encoding };

/** A helper's reply: a checked block, encoded chunks, or that it failed (only the error's class crosses). */
export type CheckReply = { block: CheckedBlock } | { chunks: EncodedChunk[] } | { failed: string };

/** Translator renders error codes in one locale, each distinct message once. */
export class Translator {
  private readonly cache = new Map<string, string>();
  constructor(readonly locale: Locale) {}

  text(code: Parameters<typeof message>[0], params: Parameters<typeof message>[1]): string {
    const key = params ? `${code}\u0000${JSON.stringify(params)}` : code;
    let text = this.cache.get(key);
    if (text === undefined) {
      text = message(code, params, this.locale);
      this.cache.set(key, text);
    }
    return text;
  }
}

/** The template column indexes of a validator's unique columns, in order. */
export function uniqueColumns(v: Validator): number[] {
  const out: number[] = [];
  v.template.columns.forEach((c, i) => {
    if (c.unique) out.push(i);
  });
  return out;
}

/** The errors of a row as stored: the first error of each column, [column, message…], or null. */
export function storedErrors(found: readonly ValidationError[], keyIndex: ReadonlyMap<string, number>, t: Translator): Stored | null {
  if (found.length === 0) return null;
  const stored: (number | string)[] = [];
  for (const e of found) {
    const c = keyIndex.get(e.column);
    if (c !== undefined && !hasColumn(stored, c)) stored.push(c, t.text(e.code, e.params));
  }
  return stored;
}

function hasColumn(stored: Stored, c: number): boolean {
  for (let k = 0; k < stored.length; k += 2) if (stored[k] === c) return true;
  return false;
}

/**
 * withDuplicate adds a unique column's "duplicate" message to a row's
 * stored errors, before the first error of a later column: where the
 * engine reports it (a duplicate is the only error its column can have).
 */
export function withDuplicate(stored: Stored | null, column: number, text: string): Stored {
  const out = stored ? stored.slice() : [];
  let k = 0;
  while (k < out.length && (out[k] as number) < column) k += 2;
  out.splice(k, 0, column, text);
  return out;
}

/**
 * Merger is the owner's side of a checked block: it claims a row's unique
 * keys by hash, in the order rows are given, and adds the duplicates.
 */
export class Merger {
  private readonly unique: number[];

  constructor(
    validator: Validator,
    private readonly uniqueness: MemoryUniqueness,
    private readonly duplicate: (first: number) => string,
  ) {
    this.unique = uniqueColumns(validator);
  }

  /**
   * errors returns the stored errors of row j of block, numbered n, once
   * its claims are made: the block's shared array when no claim is a
   * duplicate (sharedErrors tells), else a fresh one.
   */
  errors(block: CheckedBlock, j: number, n: number): Stored | null {
    const u = this.unique.length;
    let stored = sharedErrors(block, j);
    for (let c = 0; c < u; c++) {
      const h = block.hashes[j * u + c]!;
      if (h === 0) continue;
      const column = this.unique[c]!;
      const first = this.uniqueness.claimHash(column, h, n);
      if (first !== n) stored = withDuplicate(stored, column, this.duplicate(first));
    }
    return stored;
  }
}

/** The errors a helper found in row j of block (no duplicates), shared with the block's other rows. */
export function sharedErrors(block: CheckedBlock, j: number): Stored | null {
  const k = block.setOf[j]!;
  return k === 0 ? null : block.sets[k - 1]!;
}

/** Records the hash of each key a row claims instead of claiming it: the owner claims in row order. */
class HashRecorder implements Uniqueness {
  hashes: Int32Array = new Int32Array(0);
  base = 0;
  constructor(private readonly slot: readonly number[]) {}

  claim(column: number, key: string, row: number): number {
    this.hashes[this.base + this.slot[column]!] = hash(key);
    return row;
  }

  release(): void {}
}

/** Checker is a helper's side: every check of a row but the unique claims. */
export class Checker {
  private readonly validator: Validator;
  private readonly recorder: HashRecorder;
  private readonly keyIndex: Map<string, number>;
  private readonly unique: number;
  private readonly inOrder: boolean;
  private readonly translator: Translator;
  private readonly out: (string | null)[] = [];
  // Scratch rows for cells(): the file row's cells, and them in template order.
  private readonly split: string[] = [];
  private readonly ordered: (string | null)[] = [];

  constructor(
    template: unknown,
    locale: Locale,
    private readonly mapping: (number | null)[],
  ) {
    const slot: number[] = [];
    this.recorder = new HashRecorder(slot);
    // The helper keeps no value: it needs the errors and the unique keys only.
    this.validator = new Validator(template, this.recorder, true);
    const unique = uniqueColumns(this.validator);
    unique.forEach((c, u) => (slot[c] = u));
    this.unique = unique.length;
    this.keyIndex = new Map(this.validator.keys.map((k, i) => [k, i]));
    this.inOrder = identityMapping(mapping);
    this.translator = new Translator(locale);
  }

  /**
   * The cells of a shipped row, in template column order, in an array
   * that the next call reuses: a row's cells are read once, and an array
   * per row of a million was garbage to collect.
   */
  cells(shipped: ShippedRow): readonly (string | null)[] {
    if (typeof shipped !== "string") return shipped;
    const width = this.mapping.length;
    if (this.inOrder) {
      const out: (string | null)[] = cutPacked(shipped, this.split, width);
      for (let c = out.length; c < width; c++) out[c] = null;
      return out;
    }
    const cells = cutPacked(shipped, this.split, Infinity);
    const out = this.ordered;
    for (let c = 0; c < width; c++) {
      const s = this.mapping[c];
      out[c] = s === null || s === undefined ? null : (cells[s] ?? null);
    }
    return out;
  }

  /** The upload's chunks of shipped rows, the first of them row first of the import (encodeSpan). */
  encode(rows: readonly ShippedRow[], first: number, encoding: Encoding): Promise<EncodedChunk[]> {
    return encodeSpan((i) => this.cells(rows[i - first]!), first, first + rows.length, encoding);
  }

  check(rows: readonly ShippedRow[]): CheckedBlock {
    const count = rows.length;
    const block: CheckedBlock = { count, sets: [], setOf: new Int32Array(count), filled: new Uint8Array(count), hashes: new Int32Array(count * this.unique) };
    const index = new Map<string, number>();
    this.recorder.hashes = block.hashes;
    for (let j = 0; j < count; j++) {
      const cells = this.cells(rows[j]!);
      this.recorder.base = j * this.unique;
      const stored = storedErrors(this.validator.validateRow(cells, j + 1, this.out), this.keyIndex, this.translator);
      if (stored) {
        const key = stored.join("\u0000");
        let k = index.get(key);
        if (k === undefined) {
          block.sets.push(stored);
          k = block.sets.length;
          index.set(key, k);
        }
        block.setOf[j] = k;
      }
      block.filled[j] = this.validator.filled ? 1 : 0;
    }
    return block;
  }
}

/**
 * serveChecks is a helper's message handler: it answers CheckRequests with
 * CheckReplies through post, in order.
 */
export function serveChecks(post: (reply: CheckReply, transfer: Transferable[]) => void): (event: MessageEvent<CheckRequest>) => void {
  let checker: Checker | null = null;
  // Encoding awaits the compressor: requests are chained so replies keep their order.
  let queue = Promise.resolve();
  const answer = async (req: CheckRequest): Promise<void> => {
    if (req.kind === "setup") {
      checker = new Checker(req.template, req.locale, req.mapping);
      return;
    }
    try {
      if (!checker) throw new Error("no setup");
      if (req.kind === "check") {
        const block = checker.check(req.rows);
        post({ block }, [block.setOf.buffer, block.filled.buffer, block.hashes.buffer]);
      } else {
        const chunks = await checker.encode(req.rows, req.first, req.encoding);
        post({ chunks }, chunks.map((c) => c.body));
      }
    } catch (err) {
      post({ failed: err instanceof Error ? err.name : "Error" }, []);
    }
  };
  return (event) => {
    queue = queue.then(() => answer(event.data));
  };
}

/**
 * CheckPool is the owner's side: helpers started once, each block sent to
 * the one with the fewest waiting, replies taken in the order sent. Once a helper fails, the pool
 * is broken and the owner checks the rest itself.
 */
export class CheckPool {
  private readonly helpers: { worker: Worker; waiting: { resolve(r: CheckReply): void; reject(e: Error): void }[] }[] = [];
  broken = false;

  constructor(url: string, size: number) {
    for (let k = 0; k < size; k++) {
      const worker = new Worker(url, { name: CHECKER_NAME });
      const helper = { worker, waiting: [] as { resolve(r: CheckReply): void; reject(e: Error): void }[] };
      worker.onmessage = (event: MessageEvent<CheckReply>) => {
        const w = helper.waiting.shift();
        if (!w) return;
        const r = event.data;
        if (!("failed" in r)) w.resolve(r);
        else {
          w.reject(new Error(`helper failed: ${r.failed}`));
          this.fail();
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        this.fail();
      };
      this.helpers.push(helper);
    }
  }

  get size(): number {
    return this.helpers.length;
  }

  /** setup makes every helper check for this template, locale and mapping from now on. */
  setup(template: unknown, locale: Locale, mapping: readonly (number | null)[]): void {
    const req: CheckRequest = { kind: "setup", template, locale, mapping: mapping.slice() };
    for (const h of this.helpers) h.worker.postMessage(req);
  }

  /** check has the idlest helper (or helper number only) check rows. */
  async check(rows: ShippedRow[], only?: number): Promise<CheckedBlock> {
    const r = await this.call({ kind: "check", rows }, only);
    if (!("block" in r)) throw new Error("helper: not a block");
    return r.block;
  }

  /** encode has the idlest helper encode rows for the upload, the first of them row first (encodeSpan). */
  async encode(rows: ShippedRow[], first: number, encoding: Encoding): Promise<EncodedChunk[]> {
    const r = await this.call({ kind: "encode", rows, first, encoding });
    if (!("chunks" in r)) throw new Error("helper: not chunks");
    return r.chunks;
  }

  private call(req: CheckRequest, only?: number): Promise<CheckReply> {
    if (this.broken) return Promise.reject(new Error("helpers failed"));
    const helper = this.helpers[only ?? this.idlest()]!;
    return new Promise((resolve, reject) => {
      helper.waiting.push({ resolve, reject });
      helper.worker.postMessage(req);
    });
  }

  /** The helper with the fewest requests waiting (the first of them): one given rows ahead gets fewer blocks after. */
  private idlest(): number {
    let best = 0;
    for (let k = 1; k < this.helpers.length; k++) if (this.helpers[k]!.waiting.length < this.helpers[best]!.waiting.length) best = k;
    return best;
  }

  private fail(): void {
    this.broken = true;
    for (const h of this.helpers) {
      for (const w of h.waiting.splice(0)) w.reject(new Error("helper crashed"));
      h.worker.terminate();
    }
  }
}

/** The name a helper worker is started with; the script reads it to know its role. */
export const CHECKER_NAME = "intake-checker";
