// The widget's reading of a file as its worker does it (worker.ts open,
// selectSheet, firstSheetWithCells, formatOf, looksBinary), with the
// widget's own parse modules, printed as JSON for the server's parity test.
// The worker's glue is not exported (the module is a worker entry point),
// so its few lines of format sniffing and sheet choice are restated here;
// the parsers themselves are imported, not copied.
import { openAsBlob } from "node:fs";
import { readFileSync } from "node:fs";
import { parseDelimited } from "../../src/parse/delimited.ts";
import { openWorkbook, readSheet } from "../../src/parse/xlsx.ts";
import { ZipError } from "../../src/parse/zip.ts";
import { XmlError } from "../../src/parse/xml.ts";
import { formatOf, looksBinary, UserError } from "../../src/parse/sniff.ts";

interface Job {
  path: string;
  name: string;
  encoding?: string;
  delimiter?: string;
  sheet?: string;
}

interface Settings {
  format: string;
  delimiter: string;
  encoding: string;
  linebreak: string;
  sheet: string;
  sheets: string[];
}

type Result = { settings: Settings; rows: string[][]; skipped: number } | { error: string };

async function read(job: Job): Promise<Result> {
  const file = await openAsBlob(job.path);
  if (file.size === 0) throw new UserError("empty_file");
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const format = formatOf(job.name, head);
  // XLS and ODS need the lazily loaded SheetJS build, which the server does not have.
  if (format === "xls" || format === "ods") throw new UserError("unsupported_format");
  if (format === "xlsx") {
    const wb = await openWorkbook(file);
    if (wb.sheets.length === 0) throw new UserError("no_sheets");
    const names = wb.sheets.map((s) => s.name);
    let order = names.map((_, i) => i);
    if (job.sheet) {
      const i = job.sheet.startsWith("#") ? Number(job.sheet.slice(1)) - 1 : names.indexOf(job.sheet);
      if (!(i >= 0 && i < names.length)) throw new UserError("no_sheets");
      order = [i];
    }
    for (const i of order) {
      const sheet = await readSheet(wb, i);
      if (sheet.length > 0) {
        return { settings: { format: "xlsx", delimiter: "", encoding: "", linebreak: "", sheet: names[i]!, sheets: names }, rows: sheet.slice(), skipped: sheet.skipped };
      }
    }
    throw new UserError("empty_file");
  }
  const delimiter = job.delimiter ?? (format === "tsv" ? "\t" : undefined);
  const result = await parseDelimited(file, { encoding: job.encoding, delimiter });
  if (result.rows.length === 0) throw new UserError("empty_file");
  if (looksBinary(result.rows)) throw new UserError("binary_file");
  return {
    settings: { format: "csv", delimiter: result.delimiter, encoding: result.encoding, linebreak: result.linebreak, sheet: "", sheets: [] },
    rows: result.rows.slice(),
    skipped: result.skipped,
  };
}

const jobs = JSON.parse(readFileSync(0, "utf8")) as Job[];
const results: Result[] = [];
for (const job of jobs) {
  try {
    results.push(await read(job));
  } catch (err) {
    if (err instanceof UserError || err instanceof ZipError) results.push({ error: err.code });
    else if (err instanceof XmlError) results.push({ error: "not_a_workbook" });
    else throw err;
  }
}
process.stdout.write(JSON.stringify(results));
