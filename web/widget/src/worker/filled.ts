// Which rows of the review grid hold anything: a file read with the wrong
// separator comes out as one column that matches no field (or fields that
// match only empty cells), and every row then maps to empty cells. Such an
// import must not be submitted and reported a success; the review says
// what it sees instead. Kept by data row number, like RowErrors, so that
// edits and deletions keep the count right without a pass over the rows.

import { trim } from "../validate/text.ts";

/** Whether a row (in template column order) has a cell that is not empty after trimming. */
export function hasValue(row: readonly (string | null | undefined)[]): boolean {
  for (const cell of row) if (cell != null && trim(cell) !== "") return true;
  return false;
}

/** FilledRows says, per data row number 1…n, whether the row has a non-empty mapped cell. */
export class FilledRows {
  private readonly filled: Uint8Array;
  /** Rows with at least one non-empty mapped cell, among those set. */
  count = 0;

  constructor(numbers: number) {
    this.filled = new Uint8Array(numbers + 1);
  }

  /** set records whether row number n has a value (false also for a deleted row). */
  set(n: number, filled: boolean): void {
    const before = this.filled[n] === 1;
    if (before === filled) return;
    this.filled[n] = filled ? 1 : 0;
    this.count += filled ? 1 : -1;
  }
}
