// Excel date serials and number formats. Excel stores a date as a number of
// days since an epoch that depends on the workbook (1900 or 1904 system); the
// cell's number format is the only sign that a number is a date.

const DAY_MS = 86_400_000;
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** Built-in number formats that are dates or times (ECMA-376 18.8.30). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** Whether a number format shows its number as a date or time. */
export function isDateFormat(id: number, code: string | undefined): boolean {
  if (code === undefined) return BUILTIN_DATE_FORMATS.has(id);
  // Drop quoted text, escaped characters, and [colour]/[$-locale] sections;
  // what remains is a date format when it uses a date or time token.
  const bare = code.replace(/"[^"]*"|\\.|_.|\*./g, "").replace(/\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]/gi, "");
  const section = bare.split(";")[0] ?? "";
  return /[ymdhs]/i.test(section) && !/^[#0.,%E+\-\s]*$/i.test(section);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats an Excel serial as ISO 8601: "YYYY-MM-DD" for whole days,
 * "YYYY-MM-DD HH:MM:SS" with a time, "HH:MM:SS" for a bare time (< 1 day).
 * In the 1900 system Excel counts 1900-02-29, which never existed: serial 60
 * is shown as that day, as Excel does, and earlier serials are shifted.
 */
export function serialToISO(serial: number, date1904: boolean): string {
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days += 1;
    seconds = 0;
  }
  const time = seconds ? `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}` : "";
  if (!date1904 && days === 0 && seconds > 0) return time;
  let date: string;
  if (!date1904 && days === 60) date = "1900-02-29";
  else {
    const epoch = date1904 ? EPOCH_1904 : EPOCH_1900;
    const shift = !date1904 && days < 60 ? 1 : 0;
    const d = new Date(epoch + (days + shift) * DAY_MS);
    date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  }
  return time ? `${date} ${time}` : date;
}

/** Formats an ISO 8601 value of a t="d" cell the same way serialToISO does. */
export function isoCellToISO(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?/.exec(value);
  if (!m) return value;
  if (!m[2] || m[2] === "00:00:00") return m[1]!;
  return `${m[1]} ${m[2]}`;
}
