// Exact decimal numbers: the number type never goes through a float, so a
// 400-digit value keeps its 400 digits and bounds compare exactly.

/** Separators of one number column, as UTF-16 code units (-1 = none). */
export interface NumberSyntax {
  /** "." or "," */
  readonly decimal: number;
  /** thousands separator, or -1 when grouping is not accepted */
  readonly thousands: number;
}

const SPACE = 0x20;
const NBSP = 0xa0;
const NNBSP = 0x202f;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isThousands(c: number, sep: number): boolean {
  if (sep < 0) return false;
  if (c === sep) return true;
  return sep === SPACE && (c === NBSP || c === NNBSP);
}

/**
 * canonicalDecimal parses trimmed input with the column's separators and
 * returns the canonical decimal string (docs/templates.md, number), or null
 * when the input does not follow the grammar
 * `[+-]? (int | int P d+ | P d+)`, int = `d+` or `d{1,3} (S d{3})+`.
 */
export function canonicalDecimal(s: string, syn: NumberSyntax): string | null {
  const n = s.length;
  if (n === 0) return null;
  let i = 0;
  const sign = s.charCodeAt(0);
  const neg = sign === 45;
  if (sign === 43 /* + */ || neg) i = 1;
  // Integer part: digits, possibly grouped by the thousands separator.
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  let intEnd = i;
  let grouped: string | null = null;
  const firstGroup = i - intStart;
  if (i < n && firstGroup >= 1 && firstGroup <= 3 && isThousands(s.charCodeAt(i), syn.thousands)) {
    grouped = s.slice(intStart, i);
    while (i < n && isThousands(s.charCodeAt(i), syn.thousands)) {
      const g = i + 1;
      if (g + 3 > n || !isDigit(s.charCodeAt(g)) || !isDigit(s.charCodeAt(g + 1)) || !isDigit(s.charCodeAt(g + 2))) return null;
      grouped += s.slice(g, g + 3);
      i = g + 3;
    }
    if (i < n && isDigit(s.charCodeAt(i))) return null;
    intEnd = i;
  }
  let fracStart = i;
  let fracEnd = i;
  if (i < n) {
    if (s.charCodeAt(i) !== syn.decimal) return null;
    i++;
    fracStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === fracStart || i !== n) return null;
    fracEnd = i;
  } else if (intEnd === intStart) {
    return null;
  }
  // Most cells are already canonical: return them as they are, unallocated.
  const intLen = intEnd - intStart;
  if (
    sign !== 43 && grouped === null && syn.decimal === 46 && intLen > 0 &&
    (intLen === 1 || s.charCodeAt(intStart) !== 48) &&
    (fracEnd === fracStart || s.charCodeAt(fracEnd - 1) !== 48) &&
    !(neg && intLen === 1 && s.charCodeAt(intStart) === 48 && fracEnd === fracStart)
  ) {
    return s;
  }
  return canonical(neg, grouped ?? s.slice(intStart, intEnd), s.slice(fracStart, fracEnd));
}

function canonical(neg: boolean, intDigits: string, frac: string): string {
  let a = 0;
  while (a < intDigits.length - 1 && intDigits.charCodeAt(a) === 48) a++;
  let int = a === 0 ? intDigits : intDigits.slice(a);
  if (int === "") int = "0";
  let b = frac.length;
  while (b > 0 && frac.charCodeAt(b - 1) === 48) b--;
  const f = b === frac.length ? frac : frac.slice(0, b);
  const mag = f === "" ? int : int + "." + f;
  if (neg && mag !== "0") return "-" + mag;
  return mag;
}

/**
 * boundDecimal turns a template bound (a JSON number or a string of the
 * form [+-]digits[.digits]) into its canonical string, or null. JSON numbers
 * past 15 significant digits have already lost digits in JSON.parse; the
 * template doc asks for strings there.
 */
export function boundDecimal(v: unknown): string | null {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    return expandExponent(String(v));
  }
  if (typeof v === "string" && /^[+-]?[0-9]+(\.[0-9]+)?$/.test(v)) return canonicalDecimal(v, { decimal: 46, thousands: -1 });
  return null;
}

/** expandExponent writes a JS number's string form ("1e+21", "5e-7") as a plain decimal. */
function expandExponent(s: string): string {
  const e = s.indexOf("e");
  if (e < 0) return canonicalDecimal(s, { decimal: 46, thousands: -1 }) ?? s;
  let mant = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  let neg = false;
  if (mant.startsWith("-")) {
    neg = true;
    mant = mant.slice(1);
  }
  const dot = mant.indexOf(".");
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const point = (dot < 0 ? mant.length : dot) + exp;
  let int: string;
  let frac: string;
  if (point <= 0) {
    int = "0";
    frac = "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    int = digits + "0".repeat(point - digits.length);
    frac = "";
  } else {
    int = digits.slice(0, point);
    frac = digits.slice(point);
  }
  return canonical(neg, int, frac);
}

/**
 * compareDecimal orders two canonical decimal strings exactly: negative,
 * zero or positive like a - b.
 */
export function compareDecimal(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  const m = compareMagnitude(an ? a.slice(1) : a, bn ? b.slice(1) : b);
  return an ? -m : m;
}

function compareMagnitude(a: string, b: string): number {
  let ad = a.indexOf(".");
  let bd = b.indexOf(".");
  if (ad < 0) ad = a.length;
  if (bd < 0) bd = b.length;
  if (ad !== bd) return ad - bd;
  for (let i = 0; i < ad; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  const af = a.slice(ad + 1);
  const bf = b.slice(bd + 1);
  return af < bf ? -1 : af > bf ? 1 : 0;
}
