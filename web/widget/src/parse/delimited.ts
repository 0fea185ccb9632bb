// Streaming CSV/TSV parsing with Papa Parse's own parser, fed with text we
// decoded ourselves (see encoding.ts), in the dialect dialect.ts detects on
// the first megabyte. Quoted fields keep their bytes exactly: a CRLF inside
// quotes stays CRLF. docs/parsing.md has the rules.
import Papa from "papaparse";
import { PackedRows } from "../rows/store.ts";
import { Pauser } from "./pause.ts";
import { trim } from "../validate/text.ts";
import { SAMPLE_LENGTH, sniffDialect } from "./dialect.ts";
import { decodeChunks, InvalidEncodingError, sniffBOM } from "./encoding.ts";

/** Result of parsing a delimited file: every row, header rows included. */
export interface DelimitedResult {
  rows: PackedRows;
  encoding: string;
  delimiter: string;
  linebreak: string;
  /**
   * Blank rows dropped: records whose every cell is empty after trimming
   * (a blank line, a line of delimiters only). The empty text after a final
   * line break is no record and is not counted; nor is a sep= line.
   */
  skipped: number;
}

/** Options a user can force from the UI; anything left out is detected. */
export interface DelimitedOptions {
  encoding?: string;
  delimiter?: string;
  onProgress?: (bytesRead: number) => void;
  /** Called with the rows parsed so far (a new object if the file is read again in another encoding), as they grow. */
  onRows?: (rows: PackedRows) => void;
}

/**
 * parseDelimited reads blob as CSV or TSV, streaming. The encoding is taken
 * from the options, else from a byte order mark, else UTF-8 when every byte
 * is valid UTF-8, else Windows-1252 (which any byte sequence decodes as).
 * The delimiter is options.delimiter, else detected with the line break
 * (dialect.ts); blank rows are dropped and counted in skipped.
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

/**
 * Characters handed to the parser at a time: its arrays for so few rows are
 * packed and dropped before the engine's next young-generation collection,
 * so they never fill the old generation with garbage.
 */
const PIECE_CHARS = 1 << 16;

/**
 * Milliseconds of parsing between pauses for the thread's queued tasks:
 * the rows checked ahead go to a helper worker meanwhile (worker.ts).
 */
const PAUSE_MS = 20;

/** blank reports a row whose every cell is empty after trimming. */
function blank(row: readonly string[]): boolean {
  for (let i = 0; i < row.length; i++) {
    const cell = row[i]!;
    if (cell !== "" && trim(cell) !== "") return false;
  }
  return true;
}

async function parseWith(blob: Blob, encoding: string, strict: boolean, options: DelimitedOptions): Promise<DelimitedResult> {
  const rows = new PackedRows();
  /** What Papa's Parser.parse returns (its typings say any). */
  interface ParsedPiece {
    data: string[][];
    meta: { cursor: number };
  }
  let parser: Papa.Parser | null = null;
  let delimiter = options.delimiter ?? "";
  let linebreak: "\r\n" | "\n" | "\r" = "\n";
  let partial = "";
  let skipped = 0;

  const parse = (piece: string, last: boolean): void => {
    const input = partial + piece;
    const result = parser!.parse(input, 0, !last) as ParsedPiece;
    const data = result.data;
    const noNUL = !input.includes("\u0000");
    // The last call's last row is the empty text after a final line break
    // when the input ends with one: no row at all, not a blank one.
    const end = last && input.endsWith(linebreak) ? data.length - 1 : -1;
    for (let i = 0; i < data.length; i++) {
      const row = data[i]!;
      if (blank(row)) {
        if (i !== end || row.length !== 1 || row[0] !== "") skipped++;
        continue;
      }
      rows.push(row, noNUL);
    }
    partial = last ? "" : input.slice(result.meta.cursor);
    options.onRows?.(rows);
  };

  // Hands each decoded text to parse as it comes, in pieces of at most
  // PIECE_CHARS, never joined to the next (that would make a one-byte text
  // two-byte; see lineRuns). The row cut by a piece's end is parsed again
  // with the next piece, so a piece is at least as long as that row, and
  // text waits for more while shorter: a long row (or an unterminated quote)
  // is not parsed again and again.
  let text = "";
  const feed = (more: string): void => {
    text = text === "" ? more : text + more;
    let at = 0;
    while (at < text.length && text.length - at >= partial.length) {
      const end = Math.min(text.length, at + Math.max(PIECE_CHARS, partial.length));
      parse(text.slice(at, end), false);
      at = end;
    }
    text = text.slice(at);
  };

  // The dialect is detected on the first SAMPLE_LENGTH code units; the
  // text is parsed once it is known. A sep= line is dropped from the text.
  const head: string[] = [];
  let headLength = 0;
  const detect = (cut: boolean): void => {
    const dialect = sniffDialect(head.join("").slice(0, SAMPLE_LENGTH), cut);
    delimiter = options.delimiter || dialect.delimiter;
    linebreak = dialect.linebreak;
    parser = new Papa.Parser({ delimiter, newline: linebreak });
    let skip = dialect.skip;
    for (const t of head) {
      if (skip >= t.length) skip -= t.length;
      else {
        feed(skip ? t.slice(skip) : t);
        skip = 0;
      }
    }
    head.length = 0;
  };
  const pauser = new Pauser(PAUSE_MS);
  for await (const more of decodeChunks(blob, encoding, strict, options.onProgress)) {
    await pauser.maybe();
    if (parser) feed(more);
    else {
      head.push(more);
      headLength += more.length;
      if (headLength >= SAMPLE_LENGTH) detect(true);
    }
  }
  if (!parser) detect(false);
  parse(text, true);
  return { rows, encoding, delimiter, linebreak, skipped };
}
