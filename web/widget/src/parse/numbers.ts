// Numbers of XLSX cells as Excel shows them. A workbook stores the double
// itself, usually with 17 significant digits (41800000.009999998), where
// Excel displays at most 15 (41800000.01): the digits past the 15th are
// binary noise nobody typed.

/** Significant digits Excel displays of a number in General format. */
export const EXCEL_DIGITS = 15;

/**
 * generalNumber writes the number a cell's value text denotes as Excel's
 * General format would with room enough: rounded to 15 significant digits,
 * then the shortest decimal that reads back as the same double, in plain
 * notation (no exponent: 1e21 is "1000000000000000000000", 1e-7 is
 * "0.0000001"; the rule engine refuses exponents). Negative zero is "0".
 * Text that is not a finite number is returned unchanged.
 */
export function generalNumber(text: string): string {
  if (text === "") return text;
  const x = Number(text);
  if (!Number.isFinite(x)) return text;
  if (x === 0) return "0";
  let y = Number(x.toPrecision(EXCEL_DIGITS));
  // The largest doubles round up past the largest double at 15 digits.
  if (!Number.isFinite(y)) y = x;
  return plain(String(y));
}

/** plain rewrites ECMAScript's Number-to-String output without an exponent. */
export function plain(s: string): string {
  const e = s.indexOf("e");
  if (e < 0) return s;
  const negative = s.startsWith("-");
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // The decimal point goes after `point` digits (negative: zeros before).
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  return negative ? "-" + out : out;
}
