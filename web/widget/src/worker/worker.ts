// The worker owns the file and its rows: it parses, validates, answers the
// grid's window requests, applies edits and uploads. The main thread only
// ever holds what is on screen.
import { parseDelimited } from "../parse/delimited.ts";
import { letTasksRun } from "../parse/pause.ts";
import { openWorkbook, readSheet, type Workbook } from "../parse/xlsx.ts";
import { ZipError } from "../parse/zip.ts";
import { XmlError } from "../parse/xml.ts";
import type { LegacyBook } from "../xls/entry.ts";
import { Validator, TemplateError, message, pickLocale, type Locale, type MemoryUniqueness } from "../validate/index.ts";
import { upload, createImport, encodeSpan, type RowSource } from "../upload/upload.ts";
import { identityMapping, PackedRows, RowTable, packRows, throughMapping } from "../rows/store.ts";
import { proposedHeaderRow } from "../app/steps.ts";
import { propose } from "../app/state.ts";
import { RowErrors, type Stored } from "./errors.ts";
import { FilledRows, hasValue } from "./filled.ts";
import { sampleColumns, valueHints } from "../mapping/values.ts";
import type { LearnedPair } from "../mapping/match.ts";
import { compileRegex, isProblem } from "../validate/regex.ts";
import { applyCells, CellChanges, editCell, fixCells, fixFunction, forgetRows, History, recheckDuplicatesOf, tableRules, type Fix, type HistoryStep, type ReviewGrid } from "./review.ts";
import { CHECKER_NAME, CheckPool, Merger, serveChecks, sharedErrors, storedErrors, Translator, type CheckedBlock, type ShippedRow } from "./check.ts";
import { formatOf, looksBinary, UserError } from "../parse/sniff.ts";
import type { ColumnInfo, FileInfo, Progress, Replies, Request, RequestEnvelope, ResponseEnvelope, Summary, WindowRow } from "./messages.ts";


const scope = self as unknown as DedicatedWorkerGlobalScope;

interface State {
  file: Blob | null;
  format: FileInfo["format"];
  workbook: Workbook | null;
  /** An XLS or ODS workbook, read whole by the lazily loaded SheetJS build. */
  legacy: LegacyBook | null;
  /** URL of that build (xls.js), from the importer page. */
  xlsURL: string;
  info: FileInfo | null;
  /** The parsed rows of the file or sheet, header rows included. */
  raw: PackedRows;
  template: unknown;
  validator: Validator | null;
  /** The validator's unique claims, for claims by hash (rows a helper checked). */
  uniqueness: MemoryUniqueness | null;
  /** Helper workers that check rows, started with the template; null where workers cannot start workers. */
  pool: CheckPool | null;
  /** Rows [checked, shipped) are with the helpers; one of those edited meanwhile is in stale, checked here. */
  shipped: number;
  stale: Set<number>;
  /** The template's columns, as configure told the app. */
  columns: ColumnInfo[];
  /** Rows checked while the file is parsed, with the header row and matching the app will likely propose. */
  ahead: Ahead | null;
  locale: Locale;
  /** Column index of each template key. */
  keyIndex: Map<string, number>;
  /** The review grid's rows: raw through the current mapping, with edits and deletions. */
  table: RowTable;
  /** Errors of the table's rows, by row number. */
  errors: RowErrors;
  /** Which of the table's rows have a non-empty mapped cell, by row number. */
  filled: FilledRows;
  /** Blank rows the parser dropped from the file or sheet. */
  blankRows: number;
  /** The user's changes to the proposed matching (header → key), sent with the completion. */
  learned: LearnedPair[];
  errorIndex: number[] | null;
  abort: AbortController | null;
  /** Rows [0, checked) are validated; the rest are being validated in the background. */
  checked: number;
  /** Bumped by every mapping, so a stale background pass stops. */
  pass: number;
  /** Undo and redo of the review's edits, deletions and fixes; a new table starts a new one. */
  history: History;
}

const state: State = {
  file: null,
  format: "csv",
  workbook: null,
  legacy: null,
  xlsURL: "",
  info: null,
  raw: new PackedRows(),
  template: null,
  validator: null,
  uniqueness: null,
  pool: null,
  shipped: 0,
  stale: new Set(),
  columns: [],
  ahead: null,
  locale: "en",
  keyIndex: new Map(),
  table: new RowTable(new PackedRows(), 0, []),
  errors: new RowErrors(0, 0),
  filled: new FilledRows(0),
  blankRows: 0,
  learned: [],
  errorIndex: null,
  abort: null,
  checked: 0,
  pass: 0,
  history: new History(),
};


interface OpenOptions {
  encoding?: string;
  delimiter?: string;
  pasted?: boolean;
}

async function open(file: Blob, name: string, options: OpenOptions): Promise<FileInfo> {
  if (file.size === 0) throw new UserError("empty_file");
  // The rows of another file: a pass still checking them stops.
  state.pass++;
  state.ahead = null;
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  state.file = file;
  state.format = formatOf(name, head);
  state.workbook = null;
  state.legacy = null;
  state.blankRows = 0;
  if (state.format === "xls" || state.format === "ods") {
    state.legacy = readLegacy(await file.arrayBuffer());
    if (state.legacy.sheets.length === 0) throw new UserError("no_sheets");
    return firstSheetWithCells(state.legacy.sheets.length);
  }
  if (state.format === "xlsx") {
    state.workbook = await openWorkbook(file);
    if (state.workbook.sheets.length === 0) throw new UserError("no_sheets");
    return firstSheetWithCells(state.workbook.sheets.length);
  }
  // Pasted text is a JS string the app wrote as UTF-8: there is no encoding to pick.
  const encoding = options.pasted ? "utf-8" : options.encoding;
  const delimiter = options.delimiter ?? (state.format === "tsv" ? "\t" : undefined);
  const result = await parseDelimited(file, { encoding, delimiter, onRows: checkAhead });
  if (looksBinary(result.rows)) throw new UserError("binary_file");
  state.raw = result.rows;
  state.blankRows = result.skipped;
  const pasted = options.pasted === true;
  state.info = {
    format: state.format,
    encoding: pasted ? undefined : result.encoding,
    delimiter: result.delimiter,
    pasted,
    sheets: [],
    sheet: 0,
    rows: result.rows.length,
    width: result.rows.width,
    blankRows: state.blankRows,
  };
  if (result.rows.length === 0) throw new UserError("empty_file");
  // The names gave a sure guess and the helper has its rows: merging its
  // blocks starts now, not once the app has sampled the values and asks
  // for the same header row and matching (map() then keeps this pass).
  // (TypeScript takes state.ahead for the null set above: the parse set it since.)
  const ahead = state.ahead as Ahead | null;
  if (ahead?.guess && ahead.raw === state.raw) map(ahead.guess.headerRow, ahead.guess.mapping);
  return state.info;
}

/** Opens the first sheet that has cells; a workbook often starts with an empty one. */
async function firstSheetWithCells(count: number): Promise<FileInfo> {
  let info: FileInfo | null = null;
  for (let i = 0; i < count; i++) {
    info = await selectSheet(i);
    if (info.rows > 0) break;
  }
  return info!;
}

async function selectSheet(index: number): Promise<FileInfo> {
  if (state.legacy) {
    const sheet = state.legacy.rows(index);
    state.raw = packRows(sheet.rows);
    state.blankRows = sheet.skipped;
    state.info = { format: state.format, pasted: false, sheets: state.legacy.sheets, sheet: index, rows: state.raw.length, width: state.raw.width, blankRows: state.blankRows };
    return state.info;
  }
  const wb = state.workbook;
  if (!wb) throw new UserError("not_a_workbook");
  const sheet = await readSheet(wb, index);
  state.raw = sheet;
  state.blankRows = sheet.skipped;
  state.info = { format: "xlsx", pasted: false, sheets: wb.sheets.map((s) => s.name), sheet: index, rows: state.raw.length, width: state.raw.width, blankRows: state.blankRows };
  return state.info;
}

/** Loads SheetJS (xls.js) on first use and reads a whole XLS or ODS file with it. */
function readLegacy(data: ArrayBuffer): LegacyBook {
  const global = self as unknown as { IntakeXLS?: (data: ArrayBuffer) => LegacyBook };
  if (!global.IntakeXLS) {
    if (!state.xlsURL) throw new UserError("unsupported_format");
    scope.importScripts(state.xlsURL);
  }
  try {
    return global.IntakeXLS!(data);
  } catch (err) {
    // SheetJS says why in English text; only its gist is kept.
    throw new UserError(/password|encrypt/i.test(String(err)) ? "password_protected" : "not_a_workbook");
  }
}

/** Scratch output of the validator: the widget sends raw cells, the server normalises. */
const normalised: (string | null)[] = [];

/** One string per distinct message, however many cells share it. */
let messages = new Translator("en");

function translated(code: Parameters<typeof message>[0], params: Parameters<typeof message>[1]): string {
  return messages.text(code, params);
}

/** The errors of the row at index i (its cells given), or null when the row is valid. */
function rowErrors(i: number, cells: readonly (string | null)[]): Stored | null {
  return storedErrors(state.validator!.validateRow(cells, state.table.number(i), normalised), state.keyIndex, messages);
}

/** Per-column messages (null where valid) of a row, for the grid. */
function expand(stored: Stored | undefined): (string | null)[] {
  const out = new Array<string | null>(state.table.width).fill(null);
  if (stored) for (let k = 0; k < stored.length; k += 2) out[stored[k] as number] = stored[k + 1] as string;
  return out;
}

/** Validates the row at index i (again) and stores its errors and whether it has a value. */
function check(i: number): void {
  const n = state.table.number(i);
  const cells = state.table.row(i);
  state.errors.set(n, rowErrors(i, cells));
  state.filled.set(n, hasValue(cells));
  state.errorIndex = null;
}

function summary(): Summary {
  return {
    rows: state.table.length,
    checked: state.checked,
    rowsWithErrors: state.errors.rows,
    rowsWithValues: state.filled.count,
    columnErrors: state.errors.columns.slice(),
    modified: state.table.modified,
    undo: state.history.undoCount,
    redo: state.history.redoCount,
  };
}

/** Rows validated per slice: about 50 ms of work, so window requests wait little. */
const VALIDATION_SLICE = 5000;

/**
 * Ahead is the check started while a file is parsed. The header row and
 * matching are the app's to propose, after the parse, from value hints
 * sampled over the whole file; but when the column names alone match every
 * template column they name exactly, the app proposes what they give, and
 * the rows parsed so far go to one helper (the parse keeps a core) with
 * that guess, a few blocks at a time: the helper gets the next block as
 * one comes back, so that once the parse is done the rows it has not
 * reached yet are shared by every helper, not queued on that one. map()
 * keeps the blocks when the app asks for just that mapping, and drops them
 * otherwise.
 */
interface Ahead {
  raw: PackedRows;
  /** null: the names gave no sure guess; nothing is checked ahead of these rows. */
  guess: { headerRow: number; mapping: (number | null)[]; inOrder: boolean } | null;
  /** Grid rows [0, shipped) are with the helper, in blocks. */
  shipped: number;
  blocks: { end: number; block: Promise<CheckedBlock> }[];
  /** Blocks shipped and not back yet. */
  pending: number;
}

/** Rows the guess is made on: as many as the header step previews. */
const AHEAD_PREVIEW = 20;

/**
 * Ships the rows parsed so far to a helper, in blocks, once the names gave
 * a sure guess, as long as fewer than BLOCKS_AHEAD are out; each block back
 * ships the next, until map() takes the guess.
 */
function checkAhead(raw: PackedRows): void {
  const pool = state.pool;
  if (!pool || pool.broken || state.template === null) return;
  let ahead = state.ahead;
  if (!ahead || ahead.raw !== raw) {
    if (raw.length < AHEAD_PREVIEW) return;
    ahead = state.ahead = { raw, guess: guessMapping(raw.slice(0, AHEAD_PREVIEW)), shipped: 0, blocks: [], pending: 0 };
    if (ahead.guess) pool.setup(state.template, state.locale, ahead.guess.mapping);
  }
  const guess = ahead.guess;
  if (!guess) return;
  const first = guess.headerRow + 1;
  const current = ahead;
  const back = (): void => {
    current.pending--;
    if (state.ahead === current) checkAhead(raw);
  };
  while (ahead.pending < BLOCKS_AHEAD && raw.length - first - ahead.shipped >= SHIPPED_BLOCK) {
    const start = ahead.shipped;
    const end = start + SHIPPED_BLOCK;
    const rows: ShippedRow[] = [];
    for (let i = start; i < end; i++) rows.push(raw.packedRow(first + i) ?? throughMapping(raw.row(first + i), guess.mapping, guess.inOrder));
    const block = pool.check(rows, 0);
    block.then(back, back);
    ahead.blocks.push({ end, block });
    ahead.shipped = end;
    ahead.pending++;
  }
}

/** The header row and matching the app proposes from these first rows' names, when every match is exact; else null. */
function guessMapping(preview: string[][]): Ahead["guess"] {
  const headerRow = proposedHeaderRow(preview, state.columns);
  if (headerRow < 0) return null;
  const proposal = propose(state.template, state.columns, preview[headerRow] ?? []);
  if (!proposal.mapping.some((m) => m !== null) || proposal.level.some((l, c) => proposal.mapping[c] !== null && l !== "exact")) return null;
  return { headerRow, mapping: proposal.mapping, inOrder: identityMapping(proposal.mapping) };
}

/** The blocks checked ahead for this header row and mapping of the file's rows, if that was the guess; the guess is spent either way. */
function takeAhead(headerRow: number, mapping: readonly (number | null)[]): Ahead | null {
  const ahead = state.ahead;
  state.ahead = null;
  const guess = ahead?.guess;
  if (!ahead || !guess || ahead.raw !== state.raw || guess.headerRow !== headerRow) return null;
  return guess.mapping.length === mapping.length && guess.mapping.every((m, c) => m === mapping[c]) ? ahead : null;
}

/** Rows per block shipped to a helper, and blocks out per helper (one checked while the next waits). */
const SHIPPED_BLOCK = 10000;
const BLOCKS_AHEAD = 2;

/**
 * Validates every row in order, in slices, reporting progress. Rows are
 * validated first to last so that uniqueness ("duplicate of row N") names
 * the same first row as the server does.
 */
async function validateInBackground(pass: number, ahead: Ahead | null = null): Promise<void> {
  // A small first slice: the first screen of rows shows its errors at once.
  let slice = 200;
  await letTasksRun();
  state.stale = new Set();
  state.shipped = 0;
  // Rows checked ahead come first: their first block is likely back already.
  if (ahead === null && state.pass === pass && state.checked < state.table.length) {
    const end = Math.min(state.table.length, state.checked + slice);
    for (let i = state.checked; i < end; i++) check(i);
    state.checked = end;
    post({ id: 0, validation: summary() });
  }
  const pool = state.pool;
  if (pool && !pool.broken && state.checked < state.table.length) {
    try {
      await validateWithHelpers(pool, pass, ahead);
    } catch {
      // A helper failed: the rows not merged yet are checked here.
    }
  }
  slice = VALIDATION_SLICE;
  while (state.pass === pass && state.checked < state.table.length) {
    const end = Math.min(state.table.length, state.checked + slice);
    for (let i = state.checked; i < end; i++) check(i);
    state.checked = end;
    post({ id: 0, validation: summary() });
    await letTasksRun();
  }
}

/**
 * Ships the rows from the validation front on to the helpers, a few blocks
 * ahead, and merges their findings in row order: the unique claims (by
 * hash) and the duplicates they give, here. Messages are answered between
 * blocks.
 */
async function validateWithHelpers(pool: CheckPool, pass: number, ahead: Ahead | null): Promise<void> {
  const table = state.table;
  pool.setup(state.template, state.locale, table.mapping);
  const out: { end: number; block: Promise<CheckedBlock> }[] = ahead ? ahead.blocks.filter((b) => b.end <= table.length) : [];
  state.shipped = out.length > 0 ? out[out.length - 1]!.end : state.checked;
  while (state.pass === pass && state.checked < table.length) {
    while (out.length < BLOCKS_AHEAD * pool.size && state.shipped < table.length) {
      const start = state.shipped;
      const end = Math.min(table.length, start + SHIPPED_BLOCK);
      const block = pool.check(table.shipped(start, end));
      // A rejection is seen when its turn comes (the await below), not as unhandled now.
      block.catch(() => {});
      out.push({ end, block });
      state.shipped = end;
    }
    const next = out.shift()!;
    const block = await next.block;
    if (state.pass !== pass) return;
    merge(block, state.checked);
    state.checked = next.end;
    post({ id: 0, validation: summary() });
    // Blocks checked ahead are back already, and awaiting them runs no task:
    // the app's requests are answered between blocks all the same.
    await letTasksRun();
  }
}

/** Stores what a helper found in the rows from index start on, claiming their unique keys in order. */
function merge(block: CheckedBlock, start: number): void {
  const table = state.table;
  const merger = new Merger(state.validator!, state.uniqueness!, (first) => translated("duplicate", { row: String(first) }));
  for (let j = 0; j < block.count; j++) {
    const i = start + j;
    if (state.stale.size !== 0 && state.stale.delete(i)) {
      // Edited after it was shipped: what the helper saw is old.
      check(i);
      continue;
    }
    const n = table.number(i);
    const stored = merger.errors(block, j, n);
    if (stored === sharedErrors(block, j)) state.errors.setShared(n, stored);
    else state.errors.set(n, stored);
    state.filled.set(n, block.filled[j] === 1);
  }
  state.errorIndex = null;
}

function map(headerRow: number, mapping: (number | null)[]): Summary {
  if (state.template === null) throw new UserError("no_template");
  // The same header row and mapping as the pass already running (started
  // ahead by the app): keep its work.
  const current = state.table;
  if (state.validator && current.source === state.raw && headerRow === current.headerRow && mapping.length === current.mapping.length && mapping.every((m, c) => m === current.mapping[c])) {
    return summary();
  }
  const table = new RowTable(state.raw, headerRow, mapping);
  // Another matching of the same rows keeps the review's edits and deletions.
  if (current.source === state.raw && current.headerRow === headerRow && current.width === table.width && current.modified) table.carryFrom(current);
  // A fresh validator per mapping: uniqueness state belongs to one pass.
  ({ validator: state.validator, uniqueness: state.uniqueness } = tableRules(state.template, table));
  state.table = table;
  state.history = new History();
  // Sized by row number: rows deleted in a carried-over review keep theirs.
  state.errors = new RowErrors(dataRows(table), table.width);
  state.filled = new FilledRows(dataRows(table));
  state.errorIndex = null;
  state.checked = 0;
  const pass = ++state.pass;
  // Checked ahead while parsing, with this very matching: kept (not for a table carrying a review's edits).
  const ahead = takeAhead(headerRow, mapping);
  void validateInBackground(pass, table.modified ? null : ahead);
  return summary();
}

function errorIndex(): number[] {
  if (!state.errorIndex) {
    const index: number[] = [];
    for (let i = 0; i < state.table.length; i++) if (state.errors.get(state.table.number(i))) index.push(i);
    state.errorIndex = index;
  }
  return state.errorIndex;
}

function windowRow(i: number): WindowRow {
  return { index: i, values: state.table.row(i), errors: expand(state.errors.get(state.table.number(i))) };
}

function window(start: number, count: number, errorsOnly: boolean): Replies["window"] {
  const index = errorsOnly ? errorIndex() : null;
  const total = index ? index.length : state.table.length;
  const rows: WindowRow[] = [];
  for (let k = start; k < Math.min(total, start + count); k++) rows.push(windowRow(index ? index[k]! : k));
  return { total, rows };
}

function edit(i: number, column: number, value: string): Replies["edit"] {
  if (!(i >= 0 && i < state.table.length) || !(column >= 0 && column < state.table.width)) throw new UserError("no_such_cell");
  const changes = new CellChanges();
  changes.add(state.table.number(i), column, state.table.row(i)[column] ?? null);
  // A row with the helpers now is checked again here when its block is merged.
  if (i >= state.checked && i < state.shipped) state.stale.add(i);
  const rechecked = editCell(state.validator!, grid(), i, column, value);
  state.history.push({ kind: "cells", changes });
  return { summary: summary(), row: windowRow(i), rechecked };
}

/** The worker's rows and stored errors as the edit paths of review.ts see them. */
function grid(): ReviewGrid {
  // Interned duplicate messages of the last number set asked about.
  let asked: ReadonlySet<number> | null = null;
  let wanted = new Set<string>();
  const table = state.table;
  return {
    row: (i) => table.row(i),
    set: (i, column, value) => table.set(i, column, value),
    mayInclude: (i, text) => table.mayInclude(i, text),
    cell: (i, column) => table.cell(i, column),
    checked: state.checked,
    number: (i) => table.number(i),
    check,
    duplicateOf(i, numbers) {
      const stored = state.errors.get(table.number(i));
      if (!stored) return false;
      if (asked !== numbers) {
        asked = numbers;
        wanted = new Set([...numbers].map((n) => translated("duplicate", { row: String(n) })));
      }
      // A duplicate is the only error its column can have, so it is the one stored.
      for (let k = 1; k < stored.length; k += 2) if (wanted.has(stored[k] as string)) return true;
      return false;
    },
  };
}

function replace(find: string, replacement: string, column: number | null): Replies["replace"] {
  if (find === "") return { summary: summary(), replaced: 0 };
  return fix({ kind: "replace", find, replace: replacement, regex: false }, column);
}

/** Applies a quick fix to a column (every column: null) of every row, or of the rows at indexes. */
function fix(f: Fix, column: number | null, indexes?: number[]): { summary: Summary; replaced: number } {
  if (state.checked < state.table.length) throw new UserError("still_checking");
  if (column !== null && !(column >= 0 && column < state.table.width)) throw new UserError("no_such_cell");
  let matcher;
  if (f.kind === "replace" && f.regex) {
    const compiled = compileRegex(f.find);
    if (isProblem(compiled)) throw new UserError("bad_pattern");
    matcher = compiled;
  }
  const changes = new CellChanges();
  // Plain text is first looked for in the packed row: most rows are skipped unsplit.
  const quick = f.kind === "replace" && !f.regex ? f.find : undefined;
  const replaced = fixCells(state.validator!, grid(), fixFunction(f, matcher), column, changes, indexes, quick);
  state.history.push({ kind: "cells", changes });
  state.errorIndex = null;
  return { summary: summary(), replaced };
}

function remove(indexes: number[]): Summary {
  const table = state.table;
  if (state.checked < table.length) throw new UserError("still_checking");
  const drop = new Set(indexes.filter((i) => i >= 0 && i < table.length));
  const numbers = [...drop].map((i) => table.number(i));
  const edits = deleteRows(drop);
  state.history.push({ kind: "delete", numbers, edits });
  return summary();
}

/** Deletes the rows at these indexes (validated) and returns their edits. */
function deleteRows(drop: ReadonlySet<number>): Map<number, (string | null)[]> {
  const table = state.table;
  const freed = forgetRows(state.validator!, grid(), drop);
  for (const i of drop) {
    state.errors.set(table.number(i), null);
    state.filled.set(table.number(i), false);
  }
  const edits = table.remove(drop);
  state.checked = table.length;
  state.errorIndex = null;
  recheckDuplicatesOf(grid(), freed);
  return edits;
}

/**
 * Applies a history step and returns its inverse. Restoring deleted rows
 * validates the whole table again (in the background): a restored row may
 * be the first to hold a unique value that a later row now claims.
 */
function applyStep(step: HistoryStep): HistoryStep {
  if (state.checked < state.table.length) throw new UserError("still_checking");
  switch (step.kind) {
    case "cells": {
      const inverse = applyCells(state.validator!, grid(), state.table, step.changes);
      state.errorIndex = null;
      return inverse;
    }
    case "delete": {
      state.table.restore(step.numbers, step.edits);
      revalidate();
      return { kind: "restore", numbers: step.numbers, edits: new Map() };
    }
    case "restore": {
      const drop = new Set(step.numbers.map((n) => state.table.indexOf(n)).filter((i) => i >= 0));
      return { kind: "delete", numbers: step.numbers, edits: deleteRows(drop) };
    }
  }
}

/** Validates every row of the table again from the first, with a fresh validator. */
function revalidate(): void {
  const table = state.table;
  ({ validator: state.validator, uniqueness: state.uniqueness } = tableRules(state.template, table));
  state.errors = new RowErrors(dataRows(table), table.width);
  state.filled = new FilledRows(dataRows(table));
  state.errorIndex = null;
  state.checked = 0;
  const pass = ++state.pass;
  void validateInBackground(pass);
}

/** The highest row number of a table: its data rows before any deletion. */
function dataRows(table: RowTable): number {
  return Math.max(0, table.source.length - table.headerRow - 1);
}

/** The next (direction 1) or previous (-1) cell with an error after (pos, col), wrapping around. */
function findError(pos: number, col: number, direction: 1 | -1, errorsOnly: boolean): { pos: number; col: number } | null {
  const index = errorIndex();
  if (index.length === 0) return null;
  const columnsOf = (i: number): number[] => {
    const stored = state.errors.get(state.table.number(i)) ?? [];
    const cols: number[] = [];
    for (let k = 0; k < stored.length; k += 2) cols.push(stored[k] as number);
    return cols.sort((a, b) => a - b);
  };
  // k: the current row's place in the index (or where it would be).
  const current = errorsOnly ? (index[pos] ?? -1) : pos;
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (index[mid]! < current) lo = mid + 1;
    else hi = mid;
  }
  if (index[lo] === current) {
    const cols = columnsOf(current);
    const same = direction > 0 ? cols.find((c) => c > col) : cols.reverse().find((c) => c < col);
    if (same !== undefined) return { pos, col: same };
  }
  let k = direction > 0 ? (index[lo] === current ? lo + 1 : lo) : lo - 1;
  k = (k + index.length) % index.length;
  const i = index[k]!;
  const cols = columnsOf(i);
  return { pos: errorsOnly ? k : i, col: direction > 0 ? cols[0]! : cols[cols.length - 1]! };
}

/**
 * The message errors are grouped under: a "duplicate of row N" is one rule
 * whatever N, so every duplicate of a column is one group ("Duplicate of
 * row …"), not one per first row.
 */
function groupMessage(message: string): string {
  const [before, after] = translated("duplicate", { row: "\u0001" }).split("\u0001") as [string, string];
  return message.length > before.length + after.length && message.startsWith(before) && message.endsWith(after) ? `${before}…${after}` : message;
}

/** Groups shown at most: a column has few rules, so more means messages that vary. */
const MAX_GROUPS = 50;

/** The review's errors grouped by column and rule, with their row counts. */
function errorGroups(): Replies["errorGroups"] {
  const merged = new Map<string, { column: number; message: string; rows: number }>();
  for (const g of state.errors.groups()) {
    const message = groupMessage(g.message);
    const key = `${g.column}\u0000${message}`;
    const m = merged.get(key);
    if (m) m.rows += g.rows;
    else merged.set(key, { column: g.column, message, rows: g.rows });
  }
  return [...merged.values()].sort((a, b) => a.column - b.column || b.rows - a.rows).slice(0, MAX_GROUPS);
}

/** Grid indexes of the rows with this error (a column and a group's message). */
function groupRows(column: number, text: string): number[] {
  const out: number[] = [];
  const memo = new Map<string, boolean>();
  for (let i = 0; i < state.table.length; i++) {
    const stored = state.errors.get(state.table.number(i));
    if (!stored) continue;
    for (let k = 0; k < stored.length; k += 2) {
      if (stored[k] !== column) continue;
      const message = stored[k + 1] as string;
      let match = memo.get(message);
      if (match === undefined) memo.set(message, (match = groupMessage(message) === text));
      if (match) {
        out.push(i);
        break;
      }
    }
  }
  return out;
}

/** Checks the importer's template once and returns its columns for the app. */
function configure(template: unknown, locale: string): ColumnInfo[] {
  let validator: Validator;
  try {
    validator = new Validator(template);
  } catch (err) {
    if (err instanceof TemplateError) throw new UserError("no_template");
    throw err;
  }
  state.template = template;
  state.locale = pickLocale(locale);
  messages = new Translator(state.locale);
  state.pool ??= startHelpers();
  state.keyIndex = new Map(validator.keys.map((k, i) => [k, i]));
  state.columns = validator.template.columns.map((c) => ({ key: c.key, label: c.label, description: c.description, required: c.required }));
  return state.columns;
}

/**
 * Starts the helper workers that check rows: one per core, as many as four
 * (the owner's own work while they check is small), none where a worker
 * cannot start workers.
 */
function startHelpers(): CheckPool | null {
  if (typeof Worker === "undefined") return null;
  const cores = scope.navigator.hardwareConcurrency || 1;
  try {
    return new CheckPool(scope.location.href, Math.min(4, Math.max(1, cores)));
  } catch {
    return null;
  }
}

/** Puts the errors the server found into the grid; rows are 0-based upload order. */
function applyIssues(issues: { row: number; column: string; code: string }[], columns: string[]): void {
  for (const issue of issues) {
    const c = columns.indexOf(issue.column);
    if (!(issue.row >= 0 && issue.row < state.table.length) || c < 0) continue;
    const n = state.table.number(issue.row);
    const errors: (number | string)[] = [];
    const previous = state.errors.get(n) ?? [];
    for (let k = 0; k < previous.length; k += 2) if (previous[k] !== c) errors.push(previous[k]!, previous[k + 1]!);
    errors.push(c, translated(issue.code as Parameters<typeof message>[0], undefined));
    state.errors.set(n, errors);
  }
  state.errorIndex = null;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case "open":
      return open(req.file, req.name, { encoding: req.encoding, delimiter: req.delimiter, pasted: req.pasted });
    case "sheet":
      return selectSheet(req.index);
    case "preview":
      return state.raw.slice(0, req.count);
    case "configure":
      state.xlsURL = req.xlsURL ?? "";
      return configure(req.template, req.locale);
    case "hints": {
      // The values stay here: only the shares go back to the matcher.
      const raw = state.raw;
      const start = Math.max(0, req.headerRow + 1);
      return valueHints(state.template, sampleColumns({ length: Math.max(0, raw.length - start), row: (i) => raw.row(start + i) }, raw.width));
    }
    case "map":
      state.learned = req.learned ?? [];
      return map(req.headerRow, req.mapping);
    case "window":
      return window(req.start, req.count, req.errorsOnly);
    case "edit":
      return edit(req.row, req.column, req.value);
    case "replace":
      return replace(req.find, req.replace, req.column);
    case "delete":
      return remove(req.rows);
    case "fix":
      return fix(req.fix, req.column, req.rows);
    case "undo": {
      const step = state.history.undo(applyStep);
      return { summary: summary(), done: step !== null };
    }
    case "redo": {
      const step = state.history.redo(applyStep);
      return { summary: summary(), done: step !== null };
    }
    case "findError":
      return findError(req.pos, req.col, req.direction, req.errorsOnly);
    case "errorGroups":
      return errorGroups();
    case "groupRows":
      return groupRows(req.column, req.message);
    case "errorRows":
      if (state.checked < state.table.length) throw new UserError("still_checking");
      return errorIndex().slice();
    case "summary":
      return summary();
    case "cancel":
      state.abort?.abort();
      return null;
    case "upload": {
      const table = state.table;
      if (state.checked < table.length) throw new UserError("still_checking");
      // The app does not offer to submit then; this holds if it did.
      if (state.filled.count === 0) throw new UserError("nothing_to_import");
      state.abort = new AbortController();
      const r = req.request;
      const rows: RowSource = { count: table.length, row: (i) => table.row(i) };
      const pool = state.pool;
      if (pool && !pool.broken) {
        pool.setup(state.template, state.locale, table.mapping);
        // On the helpers, this thread encoding only what they could not (one failed).
        rows.encode = (start, end, encoding) => {
          const here = (): ReturnType<typeof encodeSpan> => encodeSpan((i) => table.row(i), start, end, encoding);
          return pool.broken ? here() : pool.encode(table.shipped(start, end), start, encoding).catch(here);
        };
        rows.encoders = pool.size;
      }
      const params = {
        base: scope.location.origin,
        importer: r.importer,
        columns: r.columns,
        source: { format: state.format, size_bytes: state.file?.size ?? 0 },
        rowsSkipped: state.blankRows,
        learned: state.learned,
        user: r.user,
        metadata: r.metadata,
        identity: r.identity,
        seal: r.recipients ? { recipients: r.recipients, columns: r.columns } : undefined,
        resume: r.resume,
        signal: state.abort.signal,
        onProgress: (progress: Progress) => post({ id: 0, progress }),
      };
      if (r.clientMode) {
        const created = await createImport(params, rows.count);
        return { status: "completed", importId: created.import_id, rows: rows.count, rowsWithErrors: state.errors.rows, clientRows: Array.from({ length: rows.count }, (_, i) => rows.row(i)) };
      }
      const result = await upload(params, rows);
      if (result.status === "refused") applyIssues(result.issues, r.columns);
      return result;
    }
  }
}

function post(message: ResponseEnvelope): void {
  scope.postMessage(message);
}

if (scope.name === CHECKER_NAME) scope.onmessage = serveChecks((reply, transfer) => scope.postMessage(reply, transfer));
else scope.onmessage = async (event: MessageEvent<RequestEnvelope>) => {
  const { id, ...req } = event.data;
  try {
    post({ id, ok: true, value: await handle(req) });
  } catch (err) {
    let code = "parse_failed";
    if (err instanceof UserError) code = err.code;
    else if (err instanceof ZipError) code = err.code === "encrypted" ? "password_protected" : err.code === "zip_bomb" || err.code === "too_many_columns" || err.code === "too_much_data" ? err.code : "not_a_workbook";
    else if (err instanceof XmlError) code = "not_a_workbook";
    // The engine's own limits (an array or string too long): the file holds
    // more than can be read here. Not "too_large", whose message names the
    // importer's size limit, which the worker does not know.
    else if (err instanceof RangeError) code = "too_much_data";
    // Only the code and the error's class cross: a message could quote data.
    post({ id, ok: false, code, message: err instanceof Error ? err.name : "Error" });
  }
};
