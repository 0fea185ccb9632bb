// One check function per column, built once per template: it takes a
// trimmed, non-empty cell and returns the normalised string or the column's
// precomputed Failure. Nothing is allocated on the success path beyond the
// output string itself.

import phoneMetadata from "libphonenumber-js/metadata.max.json";
import countryData from "../../../../internal/validate/data/countries.json";
import currencyData from "../../../../internal/validate/data/currencies.json";
import { canonicalDecimal, compareDecimal } from "./number.ts";
import { normaliseEmail } from "./email.ts";
import { normaliseURL } from "./url.ts";
import { normaliseIP } from "./ip.ts";
import { TemporalParser } from "./datetime.ts";
import { PhoneNormaliser } from "./phone.ts";
import { asciiUpper, codePoints, fold, trim, utf8Length } from "./text.ts";
import type { ErrorCode, Params } from "./messages.ts";
import type { TypeSpec } from "./template.ts";

/** A cell's failed type check: code and params, shared by every failing cell of a column. */
export interface Failure {
  readonly code: ErrorCode;
  readonly params: Params | undefined;
}

/** A column's check: normalised value, or the Failure. */
export type Check = (trimmed: string) => string | Failure;

// MEMO_LIMIT and MEMO_KEY_LIMIT bound the per-column memo of columns whose
// values repeat, so hostile cells (10 MB each) cannot pile up in it.
const MEMO_LIMIT = 4096;
const MEMO_KEY_LIMIT = 100;
// MAX_COUNTRY_BYTES is far above the longest name in the table (Go: maxCountryBytes).
const MAX_COUNTRY_BYTES = 256;

function failure(code: ErrorCode, params?: Params): Failure {
  return Object.freeze({ code, params: params === undefined ? undefined : Object.freeze(params) });
}

/**
 * buildCheck compiles a column's type spec into its check. With validOnly,
 * a check may return a valid cell as it is rather than normalised, where
 * normalising costs more than deciding (phone numbers).
 */
export function buildCheck(spec: TypeSpec, validOnly = false): Check {
  switch (spec.type) {
    case "text": {
      const { minLength: min, maxLength: max } = spec;
      const short = failure("too_short", { min: String(min) });
      const long = failure("too_long", { max: String(max) });
      return (s) => {
        const n = s.length;
        // UTF-16 length bounds the code point count: n/2 ≤ cp ≤ n.
        if (n <= max && n >= 2 * min) return s;
        const cp = codePoints(s);
        if (cp < min) return short;
        if (cp > max) return long;
        return s;
      };
    }
    case "number": {
      const syn = { decimal: spec.decimal.charCodeAt(0), thousands: spec.thousands === "" ? -1 : spec.thousands.charCodeAt(0) };
      const nan = failure("not_a_number");
      const notInt = failure("not_an_integer");
      const { min, max, integer } = spec;
      const small = failure("too_small", { min: min ?? "" });
      const large = failure("too_large", { max: max ?? "" });
      return (s) => {
        const v = canonicalDecimal(s, syn);
        if (v === null) return nan;
        if (integer && v.indexOf(".") >= 0) return notInt;
        if (min !== null && compareDecimal(v, min) < 0) return small;
        if (max !== null && compareDecimal(v, max) > 0) return large;
        return v;
      };
    }
    case "boolean": {
      const { trueValue: t, falseValue: f } = spec;
      const bad = failure("not_a_boolean");
      // toLowerCase maps no non-ASCII code point onto these words' letters
      // (only U+212A and U+0130 lower-case into ASCII, to "k" and "i̇"), so
      // it is ASCII case-insensitive here, and allocation-free on lower case.
      return (s) => {
        if (s.length > 5) return bad;
        switch (s.toLowerCase()) {
          case "true":
          case "yes":
          case "y":
          case "1":
          case "on":
            return t;
          case "false":
          case "no":
          case "n":
          case "0":
          case "off":
            return f;
        }
        return bad;
      };
    }
    case "email": {
      const bad = failure("invalid_email");
      return (s) => normaliseEmail(s) ?? bad;
    }
    case "url": {
      const bad = failure("invalid_url");
      return (s) => normaliseURL(s) ?? bad;
    }
    case "ip": {
      const bad = failure("invalid_ip", { version: spec.version });
      const version = spec.version;
      return (s) => normaliseIP(s, version) ?? bad;
    }
    case "phone": {
      const bad = failure("invalid_phone");
      const phones = new PhoneNormaliser(phoneMetadata, spec.region);
      if (validOnly) return (s) => (phones.isValid(s) ? s : bad);
      return (s) => phones.normalise(s) ?? bad;
    }
    case "date":
    case "datetime":
    case "time": {
      const bad = failure(`invalid_${spec.type}`, { formats: spec.formatList });
      const parser = new TemporalParser(spec.type, spec.formats, spec.excel);
      // Dates repeat (a few thousand days over years of rows); times stamped to the second, less.
      return memoised((s) => parser.parse(s) ?? bad);
    }
    case "enum":
    case "multi_enum":
      return enumCheck(spec);
    case "regex": {
      const bad = failure("pattern_mismatch", spec.message === null ? undefined : { message: spec.message });
      const re = spec.regex;
      return (s) => (re.test(s) ? s : bad);
    }
    case "country": {
      const bad = failure("invalid_country");
      // A country column repeats a few hundred spellings: remember them.
      // Go refuses values over 256 bytes before normalising them.
      return memoised((s) => (s.length > MAX_COUNTRY_BYTES || utf8Length(s) > MAX_COUNTRY_BYTES ? bad : (countries().get(countryKey(s)) ?? bad)));
    }
    case "currency": {
      const bad = failure("invalid_currency");
      return (s) => (s.length === 3 && currencies().has(asciiUpper(s)) ? asciiUpper(s) : bad);
    }
  }
}

/**
 * memoised remembers check's answers (a check is a function of the cell
 * alone) for a column whose values repeat. Once MEMO_LIMIT values are
 * remembered, it keeps the memo only while it answers at least as often as
 * it misses: a column of distinct values soon costs nothing more than the
 * check itself.
 */
function memoised(check: Check): Check {
  let seen: Map<string, string | Failure> | null = new Map();
  let hits = 0;
  let misses = 0;
  return (s) => {
    if (seen === null) return check(s);
    const known = seen.get(s);
    if (known !== undefined) {
      hits++;
      return known;
    }
    const r = check(s);
    if (seen.size < MEMO_LIMIT) {
      if (s.length <= MEMO_KEY_LIMIT) seen.set(s, r);
    } else if (++misses > MEMO_LIMIT && misses > hits) {
      seen = null;
    }
    return r;
  };
}

function enumCheck(spec: Extract<TypeSpec, { type: "enum" | "multi_enum" }>): Check {
  const key = spec.caseSensitive ? (s: string): string => s : fold;
  const byValue = new Map<string, string>();
  const byLabel = new Map<string, string>();
  for (const o of spec.options) byValue.set(key(o.value), o.value);
  for (const o of spec.options) {
    const k = key(o.label);
    if (!byLabel.has(k)) byLabel.set(k, o.value);
  }
  const bad = failure("invalid_option");
  const allowOther = spec.allowOther;
  const one = (s: string): string | undefined => {
    const k = key(s);
    return byValue.get(k) ?? byLabel.get(k) ?? (allowOther ? s : undefined);
  };
  if (spec.type === "enum") return (s) => one(s) ?? bad;
  const delim = spec.delimiter;
  return (s) => {
    if (s.indexOf(delim) < 0) return one(s) ?? bad;
    const out: string[] = [];
    for (const part of s.split(delim)) {
      const item = trim(part);
      if (item === "") continue;
      const v = one(item);
      if (v === undefined) return bad;
      if (!out.includes(v)) out.push(v);
    }
    return out.length === 0 ? EMPTY : out.join(delim);
  };
}

/**
 * EMPTY marks a value that is empty after type-specific splitting (a
 * multi_enum cell of only delimiters): the engine treats it as an empty cell.
 */
export const EMPTY: Failure = failure("required");

// The lookup key of a country (Go: validate.CountryKey): NFD, combining
// marks and . ' ‘ ’ dropped, runs of trim-set characters, other ASCII
// punctuation and en/em dashes turned into one space, folded, trimmed.
const COUNTRY_DROP = /[\u0300-\u036f.'\u2018\u2019]/g;
// eslint-disable-next-line no-control-regex -- tab to CR are the trim set's control characters
const COUNTRY_SPACE = /[\u0009-\u000d\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff!-/:-@[-`{-~\u2013\u2014]+/g;

/** countryKey is the lookup key of a country code or name. */
export function countryKey(s: string): string {
  return trim(fold(s.normalize("NFD").replace(COUNTRY_DROP, "").replace(COUNTRY_SPACE, " ")));
}

interface CountryRow {
  alpha2: string;
  alpha3: string;
  names: string[];
}

let countryMap: Map<string, string> | null = null;
let currencySet: Set<string> | null = null;

// Tables are built on first use, not at import, so a template without such
// a column costs nothing.
function countries(): Map<string, string> {
  if (countryMap === null) {
    countryMap = new Map();
    for (const c of countryData as CountryRow[]) {
      for (const k of [c.alpha2, c.alpha3, ...c.names]) {
        const key = countryKey(k);
        if (!countryMap.has(key)) countryMap.set(key, c.alpha2);
      }
    }
  }
  return countryMap;
}

function currencies(): Set<string> {
  if (currencySet === null) currencySet = new Set((currencyData as { code: string }[]).map((c) => c.code));
  return currencySet;
}
