// Header-row detection: exports often start with a title, a blank line or a
// block of metadata. A port of the Go mapping.DetectHeaderRow.

import { trim } from "../validate/text.ts";

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

/**
 * detectHeaderRow returns the 0-based index of the likely header row: the
 * first of the leading rows that is at least half as wide as the widest, has
 * no repeated values and no numeric or date-like cell; 0 when none does.
 */
export function detectHeaderRow(rows: readonly Row[]): number {
  const scan = rows.slice(0, HEADER_SCAN_ROWS);
  let widest = 0;
  for (const r of scan) widest = Math.max(widest, filled(r));
  const need = Math.max(1, Math.floor((widest + 1) / 2));
  for (let i = 0; i < scan.length; i++) {
    const r = scan[i] ?? [];
    if (filled(r) >= need && distinct(r) && !r.some((c) => dataLike(trim(c ?? "")))) return i;
  }
  return 0;
}
