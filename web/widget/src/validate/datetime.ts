// The date/time format language of docs/templates.md, compiled once per
// column into token lists and matched by a scanner without backtracking,
// plus Excel serial numbers in the 1900 and 1904 systems.

/** Which of the three temporal types a column is. */
export type TemporalKind = "date" | "datetime" | "time";

const enum Tok {
  Year4,
  Year2,
  MonthName,
  MonthAbbr,
  Month2,
  Month,
  Day2,
  Day,
  Hour2,
  Hour,
  Hour12x2,
  Hour12,
  Minute,
  Second,
  Fraction,
  Meridiem,
  Zone,
  Literal,
}

interface Token {
  readonly tok: Tok;
  /** the text a Literal must match */
  readonly text: string;
}

/** A compiled format: its tokens and whether it carries a zone. */
export interface Format {
  readonly source: string;
  readonly tokens: readonly Token[];
  readonly zoned: boolean;
  /** the format is the output format itself, so a match is its own output */
  readonly identity: boolean;
}

const IDENTITY: Record<TemporalKind, string> = { date: "YYYY-MM-DD", datetime: "YYYY-MM-DD[T]HH:mm:ss", time: "HH:mm:ss" };

// Token spellings, longest first where one is a prefix of another.
const SPELLINGS: ReadonlyArray<readonly [string, Tok]> = [
  ["YYYY", Tok.Year4],
  ["YY", Tok.Year2],
  ["MMMM", Tok.MonthName],
  ["MMM", Tok.MonthAbbr],
  ["MM", Tok.Month2],
  ["M", Tok.Month],
  ["DD", Tok.Day2],
  ["D", Tok.Day],
  ["HH", Tok.Hour2],
  ["H", Tok.Hour],
  ["hh", Tok.Hour12x2],
  ["h", Tok.Hour12],
  ["mm", Tok.Minute],
  ["ss", Tok.Second],
  ["SSS", Tok.Fraction],
  ["A", Tok.Meridiem],
  ["Z", Tok.Zone],
];

/** The field a token sets, so that a field set twice is refused. */
function field(t: Tok): string {
  switch (t) {
    case Tok.Year4:
    case Tok.Year2:
      return "year";
    case Tok.MonthName:
    case Tok.MonthAbbr:
    case Tok.Month2:
    case Tok.Month:
      return "month";
    case Tok.Day2:
    case Tok.Day:
      return "day";
    case Tok.Hour2:
    case Tok.Hour:
    case Tok.Hour12x2:
    case Tok.Hour12:
      return "hour";
    case Tok.Minute:
      return "minute";
    case Tok.Second:
      return "second";
    case Tok.Fraction:
      return "fraction";
    case Tok.Meridiem:
      return "meridiem";
    case Tok.Zone:
      return "zone";
    case Tok.Literal:
      return "";
  }
}

const LETTER = /\p{L}/u;

/**
 * compileFormat parses one format string for a column of kind, or returns a
 * reason (value-free, about the format itself) why it is refused.
 */
export function compileFormat(src: string, kind: TemporalKind): Format | string {
  const tokens: Token[] = [];
  const seen = new Set<string>();
  let lit = "";
  const flush = (): void => {
    if (lit !== "") tokens.push({ tok: Tok.Literal, text: lit });
    lit = "";
  };
  let i = 0;
  outer: while (i < src.length) {
    const ch = src[i] ?? "";
    if (ch === "[") {
      const close = src.indexOf("]", i + 1);
      if (close < 0) return "unclosed [";
      lit += src.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    for (const [spelling, tok] of SPELLINGS) {
      if (src.startsWith(spelling, i)) {
        const f = field(tok);
        if (seen.has(f)) return `token ${spelling} repeats a field`;
        seen.add(f);
        flush();
        tokens.push({ tok, text: spelling });
        i += spelling.length;
        continue outer;
      }
    }
    const cp = src.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(cp);
    if (LETTER.test(char)) return `letter ${char} is not a token (quote it in [ ])`;
    lit += char;
    i += char.length;
  }
  flush();
  const has = (f: string): boolean => seen.has(f);
  if (has("fraction") && !has("second")) return "SSS needs ss";
  if ((has("minute") || has("second") || has("fraction")) && !has("hour")) return "minutes or seconds without an hour";
  const dateFields = has("year") || has("month") || has("day");
  const timeFields = has("hour") || has("minute") || has("second") || has("fraction") || has("meridiem");
  if (kind === "date") {
    if (!(has("year") && has("month") && has("day"))) return "a date format needs a year, a month and a day";
    if (timeFields || has("zone")) return "a date format has no time tokens";
  } else if (kind === "datetime") {
    if (!(has("year") && has("month") && has("day") && has("hour"))) return "a datetime format needs a year, a month, a day and an hour";
  } else {
    if (!has("hour")) return "a time format needs an hour";
    if (dateFields) return "a time format has no date tokens";
    if (has("zone")) return "Z is allowed only in datetime formats";
  }
  const twelve = tokens.some((t) => t.tok === Tok.Hour12 || t.tok === Tok.Hour12x2);
  if (twelve !== has("meridiem")) return "hh/h and A go together";
  return { source: src, tokens, zoned: has("zone"), identity: src === IDENTITY[kind] };
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** Parse state, reused across cells of a column to avoid allocating per cell. */
class Fields {
  year = 0;
  month = 0;
  day = 0;
  hour = 0;
  minute = 0;
  second = 0;
  frac = "";
  pm = -1;
  offset = 0; // minutes east of UTC
  reset(): void {
    this.year = 0;
    this.month = 0;
    this.day = 0;
    this.hour = 0;
    this.minute = 0;
    this.second = 0;
    this.frac = "";
    this.pm = -1;
    this.offset = 0;
  }
}

function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

/** fixed reads exactly n digits at i, or -1. */
function fixed(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digitAt(s, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** matchName returns the month (1–12) whose name (or 3-letter prefix) starts s at i, ASCII case-insensitively. */
function matchMonth(s: string, i: number, abbr: boolean): [number, number] {
  for (let m = 0; m < 12; m++) {
    const name = MONTHS[m] ?? "";
    const len = abbr ? 3 : name.length;
    if (i + len > s.length) continue;
    let ok = true;
    for (let k = 0; k < len; k++) {
      let c = s.charCodeAt(i + k);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== name.charCodeAt(k)) {
        ok = false;
        break;
      }
    }
    if (ok) return [m + 1, len];
  }
  return [0, 0];
}

/** match runs one format over s into f; false when it does not match the whole value. */
function match(fmt: Format, s: string, f: Fields): boolean {
  let i = 0;
  for (const t of fmt.tokens) {
    switch (t.tok) {
      case Tok.Literal:
        if (!s.startsWith(t.text, i)) return false;
        i += t.text.length;
        break;
      case Tok.Year4: {
        const v = fixed(s, i, 4);
        if (v < 1) return false;
        f.year = v;
        i += 4;
        break;
      }
      case Tok.Year2: {
        const v = fixed(s, i, 2);
        if (v < 0) return false;
        f.year = v <= 68 ? 2000 + v : 1900 + v;
        i += 2;
        break;
      }
      case Tok.MonthName:
      case Tok.MonthAbbr: {
        const [m, len] = matchMonth(s, i, t.tok === Tok.MonthAbbr);
        if (m === 0) return false;
        f.month = m;
        i += len;
        break;
      }
      case Tok.Fraction: {
        const start = i;
        while (i < s.length && i - start < 9 && digitAt(s, i) >= 0) i++;
        if (i === start) return false;
        f.frac = s.slice(start, i);
        break;
      }
      case Tok.Meridiem: {
        if (i + 2 > s.length) return false;
        const a = s.charCodeAt(i) | 0x20;
        const m = s.charCodeAt(i + 1) | 0x20;
        if (m !== 109 || (a !== 97 && a !== 112)) return false;
        f.pm = a === 112 ? 1 : 0;
        i += 2;
        break;
      }
      case Tok.Zone: {
        const c = s.charCodeAt(i);
        if (c === 90 /* Z */) {
          f.offset = 0;
          i++;
          break;
        }
        if (c !== 43 && c !== 45) return false;
        const hh = fixed(s, i + 1, 2);
        if (hh < 0 || hh > 23) return false;
        let j = i + 3;
        if (s.charCodeAt(j) === 58) j++;
        const mm = fixed(s, j, 2);
        if (mm < 0 || mm > 59) return false;
        f.offset = (c === 45 ? -1 : 1) * (hh * 60 + mm);
        i = j + 2;
        break;
      }
      default: {
        // Numeric fields of two digits, or one or two for the short spellings.
        let v: number;
        const flexible = t.tok === Tok.Month || t.tok === Tok.Day || t.tok === Tok.Hour || t.tok === Tok.Hour12;
        const d0 = digitAt(s, i);
        if (d0 < 0) return false;
        const d1 = i + 1 < s.length ? digitAt(s, i + 1) : -1;
        if (d1 >= 0) {
          v = d0 * 10 + d1;
          i += 2;
        } else if (flexible) {
          v = d0;
          i += 1;
        } else return false;
        switch (t.tok) {
          case Tok.Month2:
          case Tok.Month:
            if (v < 1 || v > 12) return false;
            f.month = v;
            break;
          case Tok.Day2:
          case Tok.Day:
            if (v < 1 || v > 31) return false;
            f.day = v;
            break;
          case Tok.Hour2:
          case Tok.Hour:
            if (v > 23) return false;
            f.hour = v;
            break;
          case Tok.Hour12x2:
          case Tok.Hour12:
            if (v < 1 || v > 12) return false;
            f.hour = v;
            break;
          case Tok.Minute:
            if (v > 59) return false;
            f.minute = v;
            break;
          case Tok.Second:
            if (v > 59) return false;
            f.second = v;
            break;
        }
      }
    }
  }
  if (i !== s.length) return false;
  if (f.pm >= 0) f.hour = (f.hour % 12) + (f.pm === 1 ? 12 : 0);
  return true;
}

/** isLeap reports a leap year of the proleptic Gregorian calendar. */
function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysIn(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** daysFromCivil counts days from 1970-01-01 (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** civilFromDays is the inverse of daysFromCivil; it writes year, month, day into f. */
function civilFromDays(z: number, f: Fields): void {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  f.year = yoe + era * 400 + (m <= 2 ? 1 : 0);
  f.month = m;
  f.day = d;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

function pad4(n: number): string {
  return n >= 1000 ? String(n) : ("000" + n).slice(-4);
}

function fractionSuffix(frac: string): string {
  let e = frac.length;
  while (e > 0 && frac.charCodeAt(e - 1) === 48) e--;
  return e === 0 ? "" : "." + frac.slice(0, e);
}

/** Excel date systems a column may accept serial numbers in. */
export type ExcelSystem = "1900" | "1904" | "off";

const SERIAL = /^([0-9]{1,7})(?:\.([0-9]{1,9}))?$/;
const EPOCH_1900 = daysFromCivil(1899, 12, 30);
const EPOCH_1904 = daysFromCivil(1904, 1, 1);
const MIN_DAY = daysFromCivil(1, 1, 1);
const MAX_DAY = daysFromCivil(9999, 12, 31);

/**
 * TemporalParser turns cells of one date, datetime or time column into ISO
 * 8601 text. It keeps one scratch record, so it is not reentrant.
 */
export class TemporalParser {
  private readonly f = new Fields();

  constructor(
    private readonly kind: TemporalKind,
    private readonly formats: readonly Format[],
    private readonly excel: ExcelSystem,
  ) {}

  /** parse returns the ISO text for trimmed input s, or null. */
  parse(s: string): string | null {
    const f = this.f;
    for (const fmt of this.formats) {
      f.reset();
      if (!match(fmt, s, f)) continue;
      if (fmt.identity) {
        if (this.kind === "time" || f.day <= daysIn(f.year, f.month)) return s;
        continue;
      }
      const out = this.output(fmt.zoned);
      if (out !== null) return out;
    }
    if (this.excel !== "off" && this.kind !== "time") return this.serial(s);
    return null;
  }

  private output(zoned: boolean): string | null {
    const f = this.f;
    if (this.kind === "time") return `${pad2(f.hour)}:${pad2(f.minute)}:${pad2(f.second)}${fractionSuffix(f.frac)}`;
    if (f.day > daysIn(f.year, f.month)) return null;
    if (this.kind === "date") return `${pad4(f.year)}-${pad2(f.month)}-${pad2(f.day)}`;
    let zone = "";
    if (zoned) {
      const minutes = f.hour * 60 + f.minute - f.offset;
      const dayShift = Math.floor(minutes / 1440);
      const inDay = minutes - dayShift * 1440;
      const day = daysFromCivil(f.year, f.month, f.day) + dayShift;
      if (day < MIN_DAY || day > MAX_DAY) return null;
      civilFromDays(day, f);
      f.hour = Math.floor(inDay / 60);
      f.minute = inDay % 60;
      zone = "Z";
    }
    return `${pad4(f.year)}-${pad2(f.month)}-${pad2(f.day)}T${pad2(f.hour)}:${pad2(f.minute)}:${pad2(f.second)}${fractionSuffix(f.frac)}${zone}`;
  }

  private serial(s: string): string | null {
    const m = SERIAL.exec(s);
    if (m === null) return null;
    const n = Number(m[1]);
    let day: number;
    if (this.excel === "1900") {
      if (n < 1 || n > 2958465 || n === 60) return null;
      day = EPOCH_1900 + n + (n <= 59 ? 1 : 0);
    } else {
      if (n > 2957003) return null;
      day = EPOCH_1904 + n;
    }
    const f = this.f;
    let secs = 0;
    if (this.kind === "datetime") {
      const frac = m[2] ?? "";
      if (frac !== "") {
        // s = floor((f·86400·2 + 10^k) / (2·10^k)): every term stays below
        // 2^53 and the quotient is never within rounding distance of the
        // next integer, so doubles give the exact result.
        const scale = 10 ** frac.length;
        secs = Math.floor((Number(frac) * 172800 + scale) / (2 * scale));
      }
      if (secs === 86400) {
        secs = 0;
        day++;
      }
      if (day > MAX_DAY) return null;
    }
    civilFromDays(day, f);
    if (this.kind === "date") return `${pad4(f.year)}-${pad2(f.month)}-${pad2(f.day)}`;
    const hh = Math.floor(secs / 3600);
    const mm = Math.floor((secs % 3600) / 60);
    return `${pad4(f.year)}-${pad2(f.month)}-${pad2(f.day)}T${pad2(hh)}:${pad2(mm)}:${pad2(secs % 60)}`;
  }
}
