// The widget's rows, kept compact: a million-row file must fit in a few
// times its size. An array of strings per row costs a header per array and
// per cell and keeps the parser's text alive; here a parsed row is ONE string,
// its cells joined by NUL, and the grid's rows are a view of the file's rows
// through the column mapping, with deletions as the list of rows kept and
// edits as whole rows on the side. Cells become strings of their own only
// when asked for (grid window, validation, upload, find & replace).

/** Joins a row's cells; a row whose cells hold it is kept as an array. */
const SEPARATOR = "\u0000";

/** The rows of a file or sheet as parsed, header rows included; rows are only ever appended. */
export class PackedRows {
  private readonly packed: string[] = [];
  /** Rows that cannot be joined (a cell holds NUL, or the row has no cell), by index; rare. */
  private readonly loose = new Map<number, readonly string[]>();
  private widest = 0;

  /**
   * push appends a copy of row. noNUL says the caller knows that no cell
   * holds U+0000 (its source text has none), which saves a scan per cell.
   */
  push(row: readonly string[], noNUL = false): void {
    if (row.length > this.widest) this.widest = row.length;
    if (row.length === 0 || (!noNUL && row.some((cell) => cell.includes(SEPARATOR)))) {
      this.loose.set(this.packed.length, row.slice());
      this.packed.push("");
      return;
    }
    this.packed.push(row.join(SEPARATOR));
  }

  /** Number of rows. */
  get length(): number {
    return this.packed.length;
  }

  /** Cell count of the widest row. */
  get width(): number {
    return this.widest;
  }

  /** The cells of row r, in a fresh array the caller may keep or change. */
  row(r: number): string[] {
    if (this.loose.size !== 0) {
      const loose = this.loose.get(r);
      if (loose) return loose.slice();
    }
    const packed = this.packed[r];
    if (packed === undefined) throw new RangeError(`no row ${r}`);
    return packed.split(SEPARATOR);
  }

  /**
   * Row r as one string of its cells joined (unpackRow splits it again),
   * or undefined for a row that cannot be joined: what a helper worker is
   * sent, with no array per row to copy.
   */
  packedRow(r: number): string | undefined {
    if (this.loose.size !== 0 && this.loose.has(r)) return undefined;
    return this.packed[r];
  }

  /** Cell c of row r ("" past its last cell), without splitting the row: a bulk fix reads one column. */
  cell(r: number, c: number): string {
    if (this.loose.size !== 0) {
      const loose = this.loose.get(r);
      if (loose) return loose[c] ?? "";
    }
    const packed = this.packed[r];
    if (packed === undefined) throw new RangeError(`no row ${r}`);
    let start = 0;
    for (let k = 0; k < c; k++) {
      const next = packed.indexOf(SEPARATOR, start);
      if (next < 0) return "";
      start = next + 1;
    }
    const end = packed.indexOf(SEPARATOR, start);
    return end < 0 ? packed.slice(start) : packed.slice(start, end);
  }

  /**
   * Whether some cell of row r may contain text; false is certain. A quick
   * test on the packed row, so that find & replace splits only the rows
   * that match.
   */
  mayInclude(r: number, text: string): boolean {
    if (this.loose.size !== 0 && this.loose.has(r)) return true;
    // text without NUL cannot span two cells of the joined row.
    return this.packed[r]?.includes(text) ?? false;
  }

  /** Rows [start, end) as arrays, as Array.prototype.slice would cut them. */
  slice(start = 0, end = this.length): string[][] {
    const out: string[][] = [];
    for (let r = Math.max(0, start); r < Math.min(end, this.length); r++) out.push(this.row(r));
    return out;
  }
}

/** unpackRow splits a row that PackedRows.packedRow returned into its cells. */
export function unpackRow(packed: string): string[] {
  return packed.split(SEPARATOR);
}

/**
 * cutPacked splits packed (PackedRows.packedRow) into out, reused, as
 * unpackRow would, keeping only its first max cells: no array per row, and
 * a quarter less time than split for the bench's rows.
 */
export function cutPacked(packed: string, out: string[], max: number): string[] {
  let k = 0;
  let start = 0;
  while (k < max) {
    const end = packed.indexOf(SEPARATOR, start);
    if (end < 0) {
      out[k++] = packed.slice(start);
      break;
    }
    out[k++] = packed.slice(start, end);
    start = end + 1;
  }
  out.length = k;
  return out;
}

/**
 * throughMapping returns a file row's cells in template column order (null
 * where the row has no such cell or the column is unmapped). inOrder says
 * that mapping is the identity: cells itself is then cut or padded.
 */
export function throughMapping(cells: string[], mapping: readonly (number | null)[], inOrder: boolean): (string | null)[] {
  const width = mapping.length;
  if (inOrder) {
    const out: (string | null)[] = cells;
    if (out.length > width) out.length = width;
    while (out.length < width) out.push(null);
    return out;
  }
  const out = new Array<string | null>(width);
  for (let c = 0; c < width; c++) {
    const s = mapping[c];
    out[c] = s === null || s === undefined ? null : (cells[s] ?? null);
  }
  return out;
}

/** Whether a mapping sends every file column to the template column of the same index. */
export function identityMapping(mapping: readonly (number | null)[]): boolean {
  return mapping.every((s, c) => s === c);
}

/** packRows packs rows already held as arrays (a workbook read whole). */
export function packRows(rows: Iterable<readonly string[]>): PackedRows {
  const packed = new PackedRows();
  for (const row of rows) packed.push(row);
  return packed;
}

/**
 * RowTable is the review grid's rows: the data rows of source (those after
 * the header row) in template column order, through mapping. Rows are
 * addressed by index in grid order; each keeps the number it had when the
 * table was made (data row 1, 2…), which errors name and deletions keep.
 */
export class RowTable {
  /** Data row number - 1 of each kept row, ascending. */
  private ids: Int32Array;
  /** Edited rows by data row number - 1, whole, in template column order. */
  private readonly edited = new Map<number, (string | null)[]>();
  /** The file's columns are the template's, in order (the common case): rows need no reordering. */
  private readonly inOrder: boolean;

  /**
   * The data rows are source's rows after row headerRow (-1: no header
   * row); mapping gives the source column of each template column (null:
   * unmapped, every cell empty).
   */
  constructor(
    readonly source: PackedRows,
    readonly headerRow: number,
    readonly mapping: readonly (number | null)[],
  ) {
    const n = Math.max(0, source.length - headerRow - 1);
    this.ids = new Int32Array(n);
    for (let i = 0; i < n; i++) this.ids[i] = i;
    this.inOrder = identityMapping(mapping);
  }

  /** Number of rows (deleted rows excluded). */
  get length(): number {
    return this.ids.length;
  }

  /** Whether the user edited or deleted rows: another header row would start from the file again. */
  get modified(): boolean {
    return this.edited.size > 0 || this.ids.length < Math.max(0, this.source.length - this.headerRow - 1);
  }

  /** Number of template columns: every row has exactly this many cells. */
  get width(): number {
    return this.mapping.length;
  }

  /** Data row number of the row at index i: what errors name, unchanged by deletions. */
  number(i: number): number {
    return this.ids[i]! + 1;
  }

  /** Index of the row numbered n, or -1 when there is none (deleted). */
  indexOf(n: number): number {
    const id = n - 1;
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * The cells of the row at index i in template column order, in a fresh
   * array the caller may keep: a string per cell, null for a cell the file's
   * row does not have (short row, unmapped column). Edits included.
   */
  row(i: number): (string | null)[] {
    const id = this.ids[i];
    if (id === undefined) throw new RangeError(`no row ${i}`);
    if (this.edited.size !== 0) {
      const edited = this.edited.get(id);
      if (edited) return edited.slice();
    }
    return this.fileRow(id);
  }

  /** The row of data row number id + 1 as the file has it, through the mapping, without edits. */
  private fileRow(id: number): (string | null)[] {
    return throughMapping(this.source.row(this.headerRow + 1 + id), this.mapping, this.inOrder);
  }

  /**
   * The rows at indexes [start, end) as a helper worker reads them: a row
   * as the file has it is its packed string (the helper splits it and
   * applies the mapping), an edited or unpackable row its cells in
   * template column order.
   */
  shipped(start: number, end: number): (string | (string | null)[])[] {
    const out: (string | (string | null)[])[] = [];
    for (let i = start; i < end; i++) {
      const id = this.ids[i]!;
      const edited = this.edited.size !== 0 ? this.edited.get(id) : undefined;
      const packed = edited ? undefined : this.source.packedRow(this.headerRow + 1 + id);
      out.push(packed ?? this.row(i));
    }
    return out;
  }

  /**
   * Cell column of the row at index i without reading the whole row (a
   * bulk fix looks at one column of a million rows): null for an unmapped
   * column, "" past the end of a short row (where row() has null).
   */
  cell(i: number, column: number): string | null {
    const id = this.ids[i];
    if (id === undefined) throw new RangeError(`no row ${i}`);
    if (this.edited.size !== 0) {
      const edited = this.edited.get(id);
      if (edited) return edited[column] ?? null;
    }
    const s = this.mapping[column];
    if (s === null || s === undefined) return null;
    return this.source.cell(this.headerRow + 1 + id, s);
  }

  /** Whether some cell of the row at index i may contain text; false is certain. */
  mayInclude(i: number, text: string): boolean {
    const id = this.ids[i];
    if (id === undefined) return false;
    if (this.edited.has(id)) return true;
    return this.source.mayInclude(this.headerRow + 1 + id, text);
  }

  /** set changes one cell of the row at index i (the file's rows stay as parsed). */
  set(i: number, column: number, value: string): void {
    const id = this.ids[i];
    if (id === undefined || column < 0 || column >= this.mapping.length) throw new RangeError(`no cell ${i}:${column}`);
    let edited = this.edited.get(id);
    if (!edited) {
      edited = this.row(i);
      this.edited.set(id, edited);
    }
    edited[column] = value;
  }

  /**
   * carryFrom takes over the review of old, a table of the same rows (same
   * file, header row and template) through another mapping: rows deleted
   * there are deleted here, and every cell the user changed there keeps the
   * user's value in its template column here. Cells the user did not change
   * follow the new mapping.
   */
  carryFrom(old: RowTable): void {
    if (old.source !== this.source || old.headerRow !== this.headerRow || old.width !== this.width) {
      throw new Error("carryFrom: not the same rows");
    }
    this.ids = old.ids.slice();
    for (const [id, edited] of old.edited) {
      const before = old.fileRow(id);
      const next = this.fileRow(id);
      let changed = false;
      edited.forEach((value, c) => {
        if (value !== before[c]) {
          next[c] = value;
          changed = true;
        }
      });
      if (changed) this.edited.set(id, next);
    }
  }

  /**
   * remove deletes the rows at these indexes; later rows move up, numbers
   * stay. It returns the edited cells of the deleted rows, by row number,
   * for restore (undo).
   */
  remove(indexes: ReadonlySet<number>): Map<number, (string | null)[]> {
    let kept = 0;
    const removed = new Map<number, (string | null)[]>();
    const ids = new Int32Array(this.ids.length - [...indexes].filter((i) => i >= 0 && i < this.ids.length).length);
    for (let i = 0; i < this.ids.length; i++) {
      const id = this.ids[i]!;
      if (indexes.has(i)) {
        const edited = this.edited.get(id);
        if (edited) removed.set(id + 1, edited);
        this.edited.delete(id);
      } else ids[kept++] = id;
    }
    this.ids = ids;
    return removed;
  }

  /**
   * restore puts back rows that remove deleted, by row number, in their
   * place (rows stay in number order), with the edits remove returned.
   */
  restore(numbers: Iterable<number>, edits: ReadonlyMap<number, (string | null)[]> = new Map()): void {
    const back = [...new Set(numbers)].map((n) => n - 1).filter((id) => id >= 0 && this.indexOf(id + 1) < 0).sort((a, b) => a - b);
    const ids = new Int32Array(this.ids.length + back.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.ids.length || j < back.length) {
      if (j >= back.length || (i < this.ids.length && this.ids[i]! < back[j]!)) ids[k++] = this.ids[i++]!;
      else ids[k++] = back[j++]!;
    }
    this.ids = ids;
    for (const [n, row] of edits) this.edited.set(n - 1, row);
  }
}
