// Header-row detection: exports often start with a title, a blank line or a
// block of metadata; the header is the row with the most distinct cells that
// read like names rather than data.

/** HEADER_SCAN_ROWS is how many leading rows detection looks at. */
export const HEADER_SCAN_ROWS = 50;

const LETTER = /\p{L}/u;

/** headerLike reports whether a cell reads like a column name: it has a letter and is not an email. */
function headerLike(cell: string): boolean {
  return LETTER.test(cell) && !cell.includes("@");
}

/**
 * detectHeaderRow returns the 0-based index of the likely header row among
 * rows: the first row with the most distinct header-like cells, or 0 when no
 * row has any.
 */
export function detectHeaderRow(rows: readonly (readonly (string | null | undefined)[])[]): number {
  let best = 0;
  let bestScore = 0;
  const n = Math.min(rows.length, HEADER_SCAN_ROWS);
  for (let i = 0; i < n; i++) {
    const distinct = new Set<string>();
    for (const cell of rows[i] ?? []) {
      const t = (cell ?? "").trim();
      if (t !== "" && headerLike(t)) distinct.add(t.toLowerCase());
    }
    if (distinct.size > bestScore) {
      best = i;
      bestScore = distinct.size;
    }
  }
  return best;
}
