// Header-row detection: exports often start with a title, a blank line or a
// block of metadata, and some sheets have no header row at all. A port of
// the Go mapping.DetectHeaderRow; docs/parsing.md has the rule.

import { trim } from "../validate/text.ts";
import { normalise } from "./normalise.ts";

/** HEADER_SCAN_ROWS is how many leading rows detection looks at. */
export const HEADER_SCAN_ROWS = 25;

type Row = readonly (string | null | undefined)[];

function filled(r: Row): number {
  let n = 0;
  for (const c of r) if (trim(c ?? "") !== "") n++;
  return n;
}

function distinct(r: Row): boolean {
  const seen = new Set<string>();
  for (const raw of r) {
    const c = trim(raw ?? "");
    if (c === "") continue;
    if (seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

/** dataLike reports a cell made only of digits, spaces and + - . , / : with at least one digit. */
function dataLike(s: string): boolean {
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c >= 0x80 || !"+-.,/: ".includes(s[i] ?? "")) return false;
  }
  return digit;
}

/** dataRow reports a row whose non-empty cells are more than half data-like. */
function dataRow(r: Row): boolean {
  let cells = 0;
  let data = 0;
  for (const raw of r) {
    const c = trim(raw ?? "");
    if (c === "") continue;
    cells++;
    if (dataLike(c)) data++;
  }
  return 2 * data > cells;
}

/** compact is normalise without spaces: the matcher's normalised match holds exactly when these are equal. */
function compact(s: string): string {
  return normalise(s).replaceAll(" ", "");
}

/** compactNames is the set of the compact forms of names, the empty one left out. */
function compactNames(names: readonly string[]): Set<string> {
  const known = new Set(names.map(compact));
  known.delete("");
  return known;
}

/** namesMatch reports a cell of r whose compact form is that of one of names. */
function namesMatch(r: Row, names: readonly string[]): boolean {
  const known = compactNames(names);
  return r.some((c) => known.has(compact(c ?? "")));
}

/**
 * namedRow finds the row that names the most template columns (first on a
 * tie), when it names at least two, or the template's only name: such a row
 * is the header whatever stands above it (a title, a date, a blank line),
 * even when it is narrower than a title block's widest row. -1 for none.
 */
function namedRow(rows: readonly Row[], names: readonly string[], need: number): number {
  const known = compactNames(names);
  let best = -1;
  let bestCount = 0;
  rows.forEach((r, i) => {
    const seen = new Set<string>();
    for (const c of r) {
      const k = compact(c ?? "");
      if (known.has(k)) seen.add(k);
    }
    if (seen.size > bestCount) {
      best = i;
      bestCount = seen.size;
    }
  });
  if (best < 0 || bestCount < Math.min(2, known.size)) return -1;
  // One name alone (a one-column template) must also be on a wide-enough
  // row: a title that happens to be that name is no header.
  return bestCount >= 2 || filled(rows[best] ?? []) >= need ? best : -1;
}

/**
 * detectHeaderRow returns the 0-based index of the likely header row among
 * the first HEADER_SCAN_ROWS rows, or -1 for none. A row is wide enough when
 * it has at least half as many non-empty cells as the widest. When the first
 * wide-enough row is mostly data (numbers, dates) and none of its cells is
 * one of names (the template's column labels and keys, compared normalised
 * as the matcher does), the sheet has no header row: -1. Before either
 * rule, a row naming two or more template columns (or the only one) is the
 * header, the one naming most when several do. Otherwise the header is the
 * first wide-enough row with no repeated values and no numeric or date-like
 * cell, and 0 when none is.
 */
export function detectHeaderRow(rows: readonly Row[], names: readonly string[] = []): number {
  const scan = rows.slice(0, HEADER_SCAN_ROWS);
  let widest = 0;
  for (const r of scan) widest = Math.max(widest, filled(r));
  const need = Math.max(1, Math.floor((widest + 1) / 2));
  const named = namedRow(scan, names, need);
  if (named >= 0) return named;
  const first = scan.find((r) => filled(r) >= need);
  if (first && dataRow(first) && !namesMatch(first, names)) return -1;
  for (let i = 0; i < scan.length; i++) {
    const r = scan[i] ?? [];
    if (filled(r) >= need && distinct(r) && !r.some((c) => dataLike(trim(c ?? "")))) return i;
  }
  return 0;
}
