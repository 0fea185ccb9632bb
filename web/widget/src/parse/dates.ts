// Excel date serials and number formats. Excel stores a date as a number of
// days since an epoch that depends on the workbook (1900 or 1904 system); the
// cell's number format is the only sign that a number is a date.

const DAY_MS = 86_400_000;
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/**
 * What a number format shows of a date serial: a date, a date and a time, a
 * time of day, or an elapsed time ([h]:mm:ss, hours past 24).
 */
export type DateKind = "date" | "datetime" | "time" | "elapsed";

/**
 * Built-in number formats that are dates or times (ECMA-376 18.8.30), by
 * what they show. The East Asian ids (27–36, 50–58) and the Thai ones
 * (71–81) are locale-dependent; their kinds are those of the Japanese,
 * Chinese and Thai defaults.
 */
const BUILTIN_KINDS: ReadonlyMap<number, DateKind> = new Map<number, DateKind>([
  ...[14, 15, 16, 17, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58, 71, 72, 73, 74, 75].map((id): [number, DateKind] => [id, "date"]),
  ...[18, 19, 20, 21, 32, 33, 45, 47, 55, 56, 76, 77, 79, 81].map((id): [number, DateKind] => [id, "time"]),
  [22, "datetime"],
  [78, "datetime"],
  [46, "elapsed"],
  [80, "elapsed"],
]);

/**
 * dateKind says what number format id (with its code, for a custom format)
 * shows of a number, or null when it shows a number. Of a custom code, only
 * the first section counts, without quoted text, escaped characters, the
 * word General and [colour]/[$-locale] parts; y and d are date parts, h, s,
 * AM/PM and A/P time parts, and m is minutes right after an h or right
 * before an s, otherwise a month. [h], [m] or [s] make an elapsed time.
 */
export function dateKind(id: number, code: string | undefined): DateKind | null {
  if (code === undefined) return BUILTIN_KINDS.get(id) ?? null;
  const elapsed = /\[(h+|m+|s+)\]/i.test(code.replace(/"[^"]*"|\\./g, ""));
  const bare = code.replace(/"[^"]*"|\\.|_.|\*./g, "").replace(/\[[^\]]*\]/g, (m) => (/^\[(h+|m+|s+)\]$/i.test(m) ? m.slice(1, -1) : ""));
  const section = (bare.split(";")[0] ?? "").replace(/general/gi, "");
  const tokens = section.match(/AM\/PM|A\/P|y+|m+|d+|h+|s+/gi) ?? [];
  let date = false;
  let time = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.toLowerCase();
    if (t === "am/pm" || t === "a/p") time = true;
    else if (t[0] === "m") {
      const before = tokens[i - 1]?.[0]?.toLowerCase();
      const after = tokens[i + 1]?.[0]?.toLowerCase();
      if (before === "h" || after === "s") time = true;
      else date = true;
    } else if (t[0] === "h" || t[0] === "s") time = true;
    else date = true;
  }
  if (date && time) return "datetime";
  if (date) return "date";
  if (time) return elapsed ? "elapsed" : "time";
  return null;
}

/** Whether a number format shows its number as a date or time. */
export function isDateFormat(id: number, code: string | undefined): boolean {
  return dateKind(id, code) !== null;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats an Excel serial as ISO 8601 as its number format kind asks:
 * "YYYY-MM-DD" for a date (the time of day, if any, is not shown),
 * "YYYY-MM-DD HH:MM:SS" for a datetime (midnight included), "HH:MM:SS" for a
 * time of day under one day (a time format on a serial with days shows the
 * date too), "H:MM:SS" with every hour for an elapsed time. Without a kind
 * (a caller that only knows "a date format"), whole days are dates and
 * others datetimes. The 1900 system has no day 0: a datetime on it is shown
 * as its time. In the 1900 system Excel counts 1900-02-29, which never
 * existed: serial 60 is shown as that day, as Excel does, and earlier serials
 * are shifted. Times are rounded to the nearest second (23:59:59.6 is the
 * next day's 00:00:00); a date is the day the serial falls in.
 */
export function serialToISO(serial: number, date1904: boolean, kind?: DateKind): string {
  let days = Math.floor(serial);
  // A date shows the day the serial is in; a time is rounded to the second.
  let seconds = kind === "date" ? 0 : Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days += 1;
    seconds = 0;
  }
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  if (kind === "elapsed") {
    const total = Math.round(serial * 86_400);
    return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
  }
  if (kind === "time" && days === 0) return time;
  const withTime = kind === undefined ? seconds > 0 : kind !== "date";
  if (!date1904 && days === 0 && withTime) return time;
  let date: string;
  if (!date1904 && days === 60) date = "1900-02-29";
  else {
    const epoch = date1904 ? EPOCH_1904 : EPOCH_1900;
    const shift = !date1904 && days < 60 ? 1 : 0;
    const d = new Date(epoch + (days + shift) * DAY_MS);
    date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  }
  return withTime ? `${date} ${time}` : date;
}

/**
 * Formats the ISO 8601 value of a t="d" cell the way serialToISO does for
 * the same kind; without one, midnight is a date.
 */
export function isoCellToISO(value: string, kind?: DateKind): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?/.exec(value);
  if (!m) {
    const t = /^T?(\d{2}:\d{2}:\d{2})/.exec(value);
    return t && (kind === "time" || kind === "elapsed") ? t[1]! : value;
  }
  const time = m[2] ?? "00:00:00";
  if (kind === "date") return m[1]!;
  if (kind === "time" && m[1] === "1899-12-30") return time;
  if (kind === undefined && time === "00:00:00") return m[1]!;
  return `${m[1]} ${time}`;
}
