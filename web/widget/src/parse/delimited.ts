// Streaming CSV/TSV parsing with Papa Parse's own parser, fed with text we
// decoded ourselves (see encoding.ts). Quoted fields keep their bytes exactly:
// a CRLF inside quotes stays CRLF.
import Papa from "papaparse";
import { decodeChunks, InvalidEncodingError, sniffBOM } from "./encoding.ts";

/** Result of parsing a delimited file: every row, header rows included. */
export interface DelimitedResult {
  rows: string[][];
  encoding: string;
  delimiter: string;
  linebreak: string;
}

/** Options a user can force from the UI; anything left out is detected. */
export interface DelimitedOptions {
  encoding?: string;
  delimiter?: string;
  onProgress?: (bytesRead: number) => void;
}

const DELIMITERS = [",", "\t", ";", "|"];

/**
 * parseDelimited reads blob as CSV or TSV. The encoding is taken from the
 * options, else from a byte order mark, else UTF-8 when every byte is valid
 * UTF-8, else Windows-1252 (which any byte sequence decodes as).
 */
export async function parseDelimited(blob: Blob, options: DelimitedOptions = {}): Promise<DelimitedResult> {
  if (options.encoding) return parseWith(blob, options.encoding, false, options);
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  const bom = sniffBOM(head);
  if (bom) return parseWith(blob, bom, false, options);
  try {
    return await parseWith(blob, "utf-8", true, options);
  } catch (err) {
    if (!(err instanceof InvalidEncodingError)) throw err;
    return parseWith(blob, "windows-1252", false, options);
  }
}

/** Rows sampled before deciding which columns repeat enough to share strings. */
const SAMPLE_ROWS = 10_000;
/** A column whose sample has fewer distinct values than this shares them. */
const MAX_SHARED_VALUES = 2_000;

/**
 * Columns such as country, status or first name repeat a few values a million
 * times; keeping one string per distinct value instead of one per cell takes
 * a large share of the parsed file's memory away. Which columns qualify is
 * decided on the first rows, so the cost is one map lookup per cell of those
 * columns only.
 */
class StringSharing {
  private tables: (Map<string, string> | null)[] | null = null;

  constructor(private readonly sample: string[][]) {}

  share(row: string[]): void {
    if (this.tables === null) {
      if (this.sample.length < SAMPLE_ROWS) return;
      this.decide();
    }
    const tables = this.tables!;
    for (let c = 0; c < row.length && c < tables.length; c++) {
      const table = tables[c];
      if (!table) continue;
      const v = row[c]!;
      const shared = table.get(v);
      if (shared !== undefined) row[c] = shared;
      else if (table.size < MAX_SHARED_VALUES * 4) table.set(v, v);
    }
  }

  private decide(): void {
    const width = Math.max(0, ...this.sample.slice(0, 100).map((r) => r.length));
    this.tables = [];
    for (let c = 0; c < width; c++) {
      const distinct = new Map<string, string>();
      for (const row of this.sample) {
        const v = row[c];
        if (v === undefined) continue;
        const shared = distinct.get(v);
        if (shared !== undefined) row[c] = shared;
        else distinct.set(v, v);
        if (distinct.size >= MAX_SHARED_VALUES) break;
      }
      this.tables.push(distinct.size < MAX_SHARED_VALUES ? distinct : null);
    }
  }
}

async function parseWith(blob: Blob, encoding: string, strict: boolean, options: DelimitedOptions): Promise<DelimitedResult> {
  const rows: string[][] = [];
  const sharing = new StringSharing(rows);
  let parser: Papa.Parser | null = null;
  let delimiter = options.delimiter ?? "";
  let linebreak = "\n";
  let partial = "";

  const feed = (text: string, last: boolean): void => {
    if (!parser) {
      // Detect on the first decoded chunk, as Papa.parse itself does.
      const guess = Papa.parse<string[]>(text.slice(0, 1 << 20), { preview: 100, delimitersToGuess: DELIMITERS, delimiter: options.delimiter });
      delimiter = guess.meta.delimiter || ",";
      linebreak = guess.meta.linebreak || "\n";
      parser = new Papa.Parser({ delimiter, newline: linebreak as "\n" | "\r" | "\r\n" });
    }
    const input = partial + text;
    const result = parser.parse(input, 0, !last);
    const data = result.data as string[][];
    for (let i = 0; i < data.length; i++) {
      const row = data[i]!;
      // A blank line (including the one after a final newline) is not a row.
      if (row.length === 1 && row[0] === "") continue;
      sharing.share(row);
      rows.push(row);
    }
    partial = last ? "" : input.slice(result.meta.cursor);
  };

  let pending: string | null = null;
  for await (const text of decodeChunks(blob, encoding, strict, options.onProgress)) {
    if (pending !== null) feed(pending, false);
    pending = text;
  }
  feed(pending ?? "", true);
  return { rows, encoding, delimiter, linebreak };
}
