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
  set(n: number, errors: Stored | null): void {
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
    // Messages never hold NUL: they are the widget's own text.
    const key = errors.join("\u0000");
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.distinct.length;
      this.distinct.push(errors);
      this.index.set(key, i);
    }
    this.of[n] = i;
  }
}
