// A grid of validated rows for the Node tests of the review's edit paths
// (src/worker/review.ts): the worker's own row table and validator
// (uniqueness keeping hashes only), rows numbered from 1, errors kept per row
// number as the engine returns them.
import type { ValidationError } from "../../src/validate/index.ts";
import { packRows, RowTable } from "../../src/rows/store.ts";
import { tableValidator, type ReviewGrid } from "../../src/worker/review.ts";

/** A two-column (name, email) template's grid. */
export class TestGrid implements ReviewGrid {
  readonly table: RowTable;
  readonly v;
  errors = new Map<number, readonly ValidationError[]>();
  checked: number;

  constructor(template: unknown, rows: string[][]) {
    this.table = new RowTable(packRows([["name", "email"], ...rows]), 0, [0, 1]);
    this.v = tableValidator(template, this.table);
    this.checked = this.table.length;
    for (let i = 0; i < this.table.length; i++) this.check(i);
  }

  row(i: number): (string | null)[] {
    return this.table.row(i);
  }

  set(i: number, column: number, value: string): void {
    this.table.set(i, column, value);
  }

  number(i: number): number {
    return this.table.number(i);
  }

  mayInclude(i: number, text: string): boolean {
    return this.table.mayInclude(i, text);
  }

  check(i: number): void {
    this.errors.set(this.number(i), this.v.validateRow(this.row(i), this.number(i), [null, null]));
  }

  duplicateOf(i: number, numbers: ReadonlySet<number>): boolean {
    return this.errors.get(this.number(i))!.some((e) => e.code === "duplicate" && numbers.has(Number(e.params?.["row"])));
  }
}
