// What the importer's steps decide, apart from the DOM so that Node tests
// can check it: which steps apply to a file, the header row to propose,
// the separators offered, and whether the review may be submitted.
import { detectHeaderRow } from "../mapping/index.ts";
import type { MessageKey } from "../i18n/i18n.ts";
import type { ColumnInfo, FileInfo, Summary } from "../worker/messages.ts";

/** The steps of an import, in order. */
export type StepId = "upload" | "sheet" | "header" | "map" | "review" | "submit" | "done";

const ALL_STEPS: readonly StepId[] = ["upload", "sheet", "header", "map", "review", "submit", "done"];

/**
 * stepsFor lists the steps that apply to a file: the sheet step only to a
 * workbook with more than one sheet (a CSV has none to choose, so it must
 * not be shown as done). Before a file is read (info null) it is left out.
 */
export function stepsFor(info: FileInfo | null): StepId[] {
  const sheets = info !== null && info.sheets.length > 1;
  return ALL_STEPS.filter((s) => s !== "sheet" || sheets);
}

/** The step bar: each applying step with its state relative to the current one. */
export function stepBar(info: FileInfo | null, current: StepId): { id: StepId; state: "past" | "current" | "future" }[] {
  const steps = stepsFor(info);
  const at = steps.indexOf(current);
  return steps.map((id, i) => ({ id, state: i === at ? "current" : i < at ? "past" : "future" }));
}

/** The separators the header step offers, with their names. */
export const DELIMITERS: readonly { value: string; label: MessageKey }[] = [
  { value: ",", label: "delim_comma" },
  { value: ";", label: "delim_semicolon" },
  { value: "\t", label: "delim_tab" },
  { value: "|", label: "delim_pipe" },
];

/** Whether the separator picker applies: a delimited file, not pasted cells (always tabs). */
export function offersDelimiter(info: FileInfo | null): boolean {
  return info !== null && info.delimiter !== undefined && !info.pasted;
}

/** Whether the encoding picker applies: a delimited file read from bytes (pasted text has no encoding). */
export function offersEncoding(info: FileInfo | null): boolean {
  return info !== null && info.encoding !== undefined && !info.pasted;
}

/**
 * proposedHeaderRow is the header row to propose for the first rows of a
 * sheet: -1 (no header row) when the first row looks like data and names no
 * template column, by label or key.
 */
export function proposedHeaderRow(preview: readonly (readonly string[])[], columns: readonly ColumnInfo[]): number {
  const names = columns.flatMap((c) => (c.label === c.key ? [c.label] : [c.label, c.key]));
  return detectHeaderRow(preview, names);
}

/** The guard's messages: with the separator hint for a delimited file, without for a workbook. */
export type GuardKey = "guard_unmatched" | "guard_empty" | "guard_unmatched_sheet" | "guard_empty_sheet";

/**
 * nothingToImport says why a checked review holds nothing to import: no
 * column matched ("guard_unmatched"), or every matched cell is empty
 * ("guard_empty"), as when a ';' file is read with ','; the _sheet
 * variants, without the separator hint, for a file that has none
 * (delimited false). null while rows are being checked or when some row
 * has a value.
 */
export function nothingToImport(summary: Summary, mapping: readonly (number | null)[], delimited = true): GuardKey | null {
  if (summary.rows === 0 || summary.checked < summary.rows || summary.rowsWithValues > 0) return null;
  const unmatched = mapping.every((m) => m === null);
  if (delimited) return unmatched ? "guard_unmatched" : "guard_empty";
  return unmatched ? "guard_unmatched_sheet" : "guard_empty_sheet";
}

/** Whether the review may be submitted, and if not, the reason shown beside the button. */
export function submitState(summary: Summary, mapping: readonly (number | null)[], allowInvalid: boolean, delimited = true): { disabled: boolean; reason: MessageKey | null; anyway: boolean } {
  const anyway = summary.rowsWithErrors > 0 && allowInvalid;
  if (summary.checked < summary.rows) return { disabled: true, reason: "err_still_checking", anyway };
  const guard = nothingToImport(summary, mapping, delimited);
  if (guard) return { disabled: true, reason: guard, anyway: false };
  if (summary.rowsWithErrors > 0 && !allowInvalid) return { disabled: true, reason: "fix_first", anyway };
  return { disabled: summary.rows === 0, reason: null, anyway };
}
