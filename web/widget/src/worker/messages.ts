// The protocol between the app (main thread) and the worker that owns the
// rows. Rows never cross to the main thread in bulk: the grid asks for the
// window it shows, so the page stays responsive at a million rows.
import type { Fix } from "./review.ts";
import type { LearnedPair } from "../mapping/match.ts";

/** How the file was read, shown in the header step (encoding and delimiter pickers etc.). */
export interface FileInfo {
  format: "csv" | "tsv" | "xlsx" | "xls" | "ods" | "json";
  /** Text encoding of a delimited file; absent for pasted text, which has none to choose. */
  encoding?: string;
  /** Separator of a delimited file (detected or forced). */
  delimiter?: string;
  /** The rows were pasted (tab-separated cells from a spreadsheet), not read from a file. */
  pasted: boolean;
  sheets: string[];
  sheet: number;
  rows: number;
  width: number;
  /** Blank rows the parser dropped (not counted in rows); reported with the upload. */
  blankRows: number;
}

/**
 * Per-column error counts and totals. Validation runs in the background after
 * mapping: checked counts the rows validated so far (from the first), and the
 * counts cover those rows only until checked equals rows.
 */
export interface Summary {
  rows: number;
  checked: number;
  rowsWithErrors: number;
  /**
   * Checked rows with at least one non-empty mapped cell. 0 once every row
   * is checked means there is nothing to import (wrong separator, nothing
   * matched): the app must not submit.
   */
  rowsWithValues: number;
  columnErrors: number[];
  /** Rows were edited or deleted in review; another header row starts from the file again. */
  modified: boolean;
  /** Steps the review can undo and redo (edits, deletions, fixes). */
  undo?: number;
  redo?: number;
}

/** A quick fix of a column's cells (see worker/review.ts). */
export type { Fix };

/** The rows with one error (a column and a message) of the review. */
export interface ErrorGroup {
  column: number;
  message: string;
  rows: number;
}

/** One row of the grid window, in template column order; errors are translated messages. */
export interface WindowRow {
  index: number;
  values: (string | null)[];
  errors: (string | null)[];
}

/** A template column as the app shows it (the worker checked the template). */
export interface ColumnInfo {
  key: string;
  label: string;
  description: string;
  required: boolean;
}

/**
 * An open upload session: what it takes to resume it. Chunk boundaries depend
 * on maxChunkBytes, so it is kept too (the status call does not return it).
 */
export interface Session {
  importId: string;
  token: string;
  maxChunkBytes: number;
}

/** Upload progress the worker reports while sending chunks. */
export interface Progress {
  rowsSent: number;
  rowsTotal: number;
  retrying: boolean;
  /** Set once, when the server opened the upload session (for resuming after a reload). */
  session?: Session;
}

/** Rows the server refused, to show in the grid. */
export interface RowIssue {
  row: number;
  column: string;
  code: string;
}

/** Parameters of an upload; the worker reads rows it owns. */
export interface UploadRequest {
  importer: string;
  columns: string[];
  user?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** The signed end user (OpenOptions.identity). */
  identity?: string;
  clientMode: boolean;
  /** End-to-end encryption: the age public keys every chunk is encrypted to. */
  recipients?: string[];
  resume?: Session;
}

/** Outcome of an upload. */
export type UploadResult =
  | { status: "completed"; importId: string; rows: number; rowsWithErrors: number; clientRows?: (string | null)[][] }
  | { status: "paused"; session: Session; code: string }
  | { status: "refused"; importId: string; issues: RowIssue[] }
  | { status: "failed"; code: string; message: string }
  | { status: "cancelled" };

/** Requests from the app; each has an id echoed by its reply. */
export type Request =
  /** delimiter and encoding force what is otherwise detected; pasted: text from the clipboard. */
  | { op: "open"; file: Blob; name: string; encoding?: string; delimiter?: string; pasted?: boolean }
  | { op: "sheet"; index: number }
  | { op: "preview"; count: number }
  | { op: "configure"; template: unknown; locale: string; xlsURL?: string }
  | { op: "map"; headerRow: number; mapping: (number | null)[]; learned?: LearnedPair[] }
  /** Value hints for matching: shares of valid sampled values, never the values (mapping/values.ts). */
  | { op: "hints"; headerRow: number }
  | { op: "window"; start: number; count: number; errorsOnly: boolean }
  | { op: "edit"; row: number; column: number; value: string }
  | { op: "replace"; find: string; replace: string; column: number | null }
  | { op: "delete"; rows: number[] }
  /** A quick fix of column (null: every column) over every row, or the rows at these indexes. */
  | { op: "fix"; column: number | null; fix: Fix; rows?: number[] }
  | { op: "undo" }
  | { op: "redo" }
  /** The next (direction 1) or previous (-1) cell with an error from a grid position. */
  | { op: "findError"; pos: number; col: number; direction: 1 | -1; errorsOnly: boolean }
  | { op: "errorGroups" }
  /** The grid indexes of the rows with this error. */
  | { op: "groupRows"; column: number; message: string }
  /** The grid indexes of the rows with errors, to select them. */
  | { op: "errorRows" }
  | { op: "summary" }
  | { op: "upload"; request: UploadRequest }
  | { op: "cancel" };

/** Reply payloads by op. */
export interface Replies {
  open: FileInfo;
  sheet: FileInfo;
  preview: string[][];
  configure: ColumnInfo[];
  map: Summary;
  /** Per file column, per template column: the share of sampled values the column accepts, -1 for no hint. */
  hints: number[][];
  window: { total: number; rows: WindowRow[] };
  /** rechecked: other rows checked again (they were duplicates of the edited one), so the grid reloads the rows on screen. */
  edit: { summary: Summary; row: WindowRow; rechecked: number };
  replace: { summary: Summary; replaced: number };
  delete: Summary;
  fix: { summary: Summary; replaced: number };
  undo: { summary: Summary; done: boolean };
  redo: { summary: Summary; done: boolean };
  findError: { pos: number; col: number } | null;
  errorGroups: ErrorGroup[];
  groupRows: number[];
  errorRows: number[];
  summary: Summary;
  upload: UploadResult;
  cancel: null;
}

/** Envelope of a request posted to the worker. */
export type RequestEnvelope = { id: number } & Request;

/** Envelopes the worker posts back. */
export type ResponseEnvelope =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string; message: string }
  | { id: 0; progress: Progress }
  | { id: 0; validation: Summary };
