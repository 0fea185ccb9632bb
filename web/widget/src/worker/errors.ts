// The errors of the review grid's rows, kept compactly: most rows of a bad
// file share the same few errors (a million rows may carry the same "not a
// phone number"), so each distinct set of errors is stored once and a row
// holds only its index.

/** A row's errors: [column, message, column, message…], first error per column. */
export type Stored = readonly (number | string)[];

/** RowErrors holds the errors of rows numbered 1…n (data row numbers, which deletions keep). */
export class RowErrors {
  /** Index into distinct of each row's errors, by row number; 0: none. */
  private readonly of: Int32Array;
  private readonly distinct: Stored[] = [[]];
  private readonly index = new Map<string, number>();
  /** Index in distinct of each shared array seen (setShared). */
  private readonly byArray = new Map<Stored, number>();
  /** Errors per template column, over all rows. */
  readonly columns: number[];
  /** Rows that have any error. */
  rows = 0;

  constructor(numbers: number, width: number) {
    this.of = new Int32Array(numbers + 1);
    this.columns = new Array<number>(width).fill(0);
  }

  /** The errors of row number n, or undefined when it has none. */
  get(n: number): Stored | undefined {
    const k = this.of[n] ?? 0;
    return k === 0 ? undefined : this.distinct[k];
  }

  /** set replaces the errors of row number n (null: none). */
  set(n: number, errors: Stored | null, shared = false): void {
    const previous = this.get(n);
    if (previous) {
      for (let k = 0; k < previous.length; k += 2) this.columns[previous[k] as number]!--;
      this.rows--;
    }
    if (!errors || errors.length === 0) {
      this.of[n] = 0;
      return;
    }
    for (let k = 0; k < errors.length; k += 2) this.columns[errors[k] as number]!++;
    this.rows++;
    let i = shared ? this.byArray.get(errors) : undefined;
    if (i === undefined) {
      // Messages never hold NUL: they are the widget's own text.
      const key = errors.join("\u0000");
      i = this.index.get(key);
      if (i === undefined) {
        i = this.distinct.length;
        this.distinct.push(errors);
        this.index.set(key, i);
      }
      if (shared) this.byArray.set(errors, i);
    }
    this.of[n] = i;
  }

  /**
   * setShared is set for an array of errors that many rows share (a helper
   * worker's block sends each distinct set once): it is found again by
   * identity, without joining its messages per row.
   */
  setShared(n: number, errors: Stored | null): void {
    this.set(n, errors, true);
  }

  /** The errors grouped by column and message, with how many rows have each (most first). */
  groups(): { column: number; message: string; rows: number }[] {
    const perSet = new Int32Array(this.distinct.length);
    for (let n = 0; n < this.of.length; n++) perSet[this.of[n]!]!++;
    const groups = new Map<string, { column: number; message: string; rows: number }>();
    for (let k = 1; k < this.distinct.length; k++) {
      const count = perSet[k]!;
      if (count === 0) continue;
      const errors = this.distinct[k]!;
      for (let e = 0; e < errors.length; e += 2) {
        const column = errors[e] as number;
        const message = errors[e + 1] as string;
        const key = `${column}\u0000${message}`;
        const group = groups.get(key);
        if (group) group.rows += count;
        else groups.set(key, { column, message, rows: count });
      }
    }
    return [...groups.values()].sort((a, b) => a.column - b.column || b.rows - a.rows);
  }
}
