// Phone numbers to E.164, with the server's answers: the fast path follows
// docs/phone.md's rule on internal/phone/table.json, the table the server's
// fast path (internal/phone) reads, generated from the metadata of the
// nyaruka/phonenumbers version go.mod pins. It is hand-written because no
// library runs that table; test/phone.test.ts checks it against nyaruka's own
// answers (testdata/conformance/phone/vectors.json) with zero differences.
//
// For a cell made only of ASCII digits and the separators " -()./" (with at
// most one "+" before the first digit), the answer depends on nothing but the
// digits, the "+" and the default region, so the rule replays the library's
// parse and validity steps on automata over digits. Everything else —
// letters, extensions, other characters, national prefixes with a transform
// rule — goes to libphonenumber-js (full metadata), the slow path. Its
// metadata is not the server's, so there the widget can disagree with the
// server, which re-validates every cell and is authoritative.

import { parsePhoneNumberFromString, type CountryCode, type MetadataJson } from "libphonenumber-js/core";
import tableJSON from "../../../../internal/phone/table.json";

/** The JSON form of the table (docs/phone.md, "The table"). */
interface TableJSON {
  states: number;
  next: string;
  info: string;
  regions: {
    id: string;
    cc: number;
    valid: number;
    leading?: boolean;
    idd: number;
    idd_exact: boolean;
    national: number;
    national_exact: boolean;
    lengths: number[];
    local_only?: number[];
  }[];
  calling_codes: { cc: number; regions: number[] }[];
}

interface Region {
  readonly id: string;
  readonly cc: number;
  readonly ccDigits: string;
  readonly valid: number;
  readonly leading: boolean;
  readonly idd: number;
  readonly iddExact: boolean;
  readonly national: number;
  readonly nationalExact: boolean;
  // testNumberLength's view of the possible lengths: first, last, all as bits.
  readonly lenFirst: number;
  readonly lenLast: number;
  readonly lenMask: number;
  readonly local: number;
}

interface Table {
  readonly next: Uint16Array; // state*10 + digit → state
  readonly info: Uint32Array; // INFO_* bits and the valid-length mask
  readonly byID: ReadonlyMap<string, Region>;
  readonly byCC: readonly (readonly Region[] | undefined)[]; // calling code → regions, main first
}

const INFO_GENERAL = 1 << 24;
const INFO_LEADING = 1 << 25;
const INFO_PREFIX = 1 << 26;

const MAX_INPUT = 250; // MAX_INPUT_STRING_LENGTH
const MIN_NSN = 2;
const MAX_NSN = 17;
const MAX_DIGITS = 64; // more digits than this go to the library
const NON_DIGITS = /[^0-9]/g;

const IS_POSSIBLE = 0;
const TOO_SHORT = 1;
const TOO_LONG = 2;
const INVALID_LENGTH = 3;
const LOCAL_ONLY = 4;

/** UNSURE is the fast path's "ask the library" answer. */
const UNSURE = undefined;

// libphonenumber-js (1.13.5) tests a cell's phone-context with two module
// regexes made with the g flag: their lastIndex outlives the call, so after
// a cell with a valid phone-context the next such cell is refused, whatever
// it is (catamphetamine/libphonenumber-js pull request 498). Parsing a cell
// whose phone-context neither regex matches first sets both back to 0.
const PHONE_CONTEXT = ";phone-context=";
const RESET_CONTEXT = "1" + PHONE_CONTEXT + "-";

function bytes(base64: string): Uint8Array {
  const s = atob(base64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function lengthBits(lengths: readonly number[] | undefined): number {
  let m = 0;
  for (const l of lengths ?? []) {
    if (l < 0) continue;
    if (l > 30) throw new Error(`phone table: possible length ${l}`);
    m |= 1 << l;
  }
  return m;
}

let decoded: Table | null = null;

/** table decodes table.json once (little-endian, whatever the platform). */
function table(): Table {
  if (decoded !== null) return decoded;
  const src = tableJSON as TableJSON;
  const nb = bytes(src.next);
  const ib = bytes(src.info);
  if (nb.length !== src.states * 20 || ib.length !== src.states * 4) throw new Error("phone table: sizes do not match the state count");
  const next = new Uint16Array(src.states * 10);
  for (let i = 0; i < next.length; i++) next[i] = nb[2 * i]! | (nb[2 * i + 1]! << 8);
  const info = new Uint32Array(src.states);
  for (let i = 0; i < info.length; i++) info[i] = (ib[4 * i]! | (ib[4 * i + 1]! << 8) | (ib[4 * i + 2]! << 16) | (ib[4 * i + 3]! << 24)) >>> 0;
  const regions = src.regions.map(
    (r): Region => ({
      id: r.id,
      cc: r.cc,
      ccDigits: String(r.cc),
      valid: r.valid,
      leading: r.leading === true,
      idd: r.idd,
      iddExact: r.idd_exact,
      national: r.national,
      nationalExact: r.national_exact,
      lenFirst: r.lengths[0] ?? -1,
      lenLast: r.lengths[r.lengths.length - 1] ?? -1,
      lenMask: lengthBits(r.lengths),
      local: lengthBits(r.local_only),
    }),
  );
  const byID = new Map<string, Region>();
  for (const r of regions) if (r.id !== "001") byID.set(r.id, r);
  const byCC: Region[][] = [];
  for (const c of src.calling_codes) byCC[c.cc] = c.regions.map((i) => regions[i]!);
  decoded = { next, info, byID, byCC };
  return decoded;
}

/**
 * PhoneNormaliser turns cells into E.164 for one default region (or none).
 * The table is decoded on first use and shared by every column.
 */
export class PhoneNormaliser {
  private readonly t: Table;
  private readonly def: Region | null;
  // A default region the table does not know: every cell goes to the library.
  private readonly unknown: boolean;
  private readonly options: { defaultCountry?: CountryCode };
  // What rule found besides its answer: the calling code, whether s has
  // separators and a "+" (fast rebuilds the digits from them).
  private cc = 0;
  private separators = false;
  private plus = false;

  constructor(
    private readonly json: MetadataJson,
    region: string | null,
  ) {
    this.t = table();
    this.def = region === null ? null : (this.t.byID.get(region) ?? null);
    this.unknown = region !== null && this.def === null;
    this.options = region === null ? {} : { defaultCountry: region as CountryCode };
  }

  /** normalise returns the E.164 form of trimmed input s, or null when it is not a valid number. */
  normalise(s: string): string | null {
    const fast = this.fast(s);
    if (fast !== UNSURE) return fast;
    return this.slow(s);
  }

  /** slow is libphonenumber-js itself, for what the rule hands over. */
  slow(s: string): string | null {
    if (s.includes(PHONE_CONTEXT)) parsePhoneNumberFromString(RESET_CONTEXT, this.options, this.json);
    const p = parsePhoneNumberFromString(s, this.options, this.json);
    return p !== undefined && p.isValid() ? p.number : null;
  }

  /**
   * valid reports whether trimmed input s is a valid number, as normalise
   * does, without making its E.164 form when the fast path decides.
   */
  isValid(s: string): boolean {
    const nat = this.rule(s);
    if (nat === ASK) return this.slow(s) !== null;
    return nat !== INVALID;
  }

  /** fast is docs/phone.md's rule; UNSURE when it hands the cell to the library. */
  fast(s: string): string | null | undefined {
    const nat = this.rule(s);
    if (nat === ASK) return UNSURE;
    if (nat === INVALID) return null;
    // The national number's digits: s's own when it has no separators.
    const d = this.separators ? s.replace(NON_DIGITS, "") : this.plus ? s.slice(1) : s;
    return "+" + this.cc + (nat === 0 ? d : d.slice(nat));
  }

  /**
   * rule runs docs/phone.md's rule on the digits of s, read once into
   * DIGITS (no string is made for them): ASK when it hands the cell to the
   * library, INVALID, or where the national number starts among the digits
   * (its calling code in this.cc).
   */
  private rule(s: string): number {
    if (this.unknown) return ASK;
    // UTF-16 units never outnumber UTF-8 bytes: over 250 units is over 250 bytes.
    if (s.length > MAX_INPUT) return INVALID;
    const d = DIGITS;
    let n = 0;
    let plus = false;
    let started = false;
    let separators = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (n === MAX_DIGITS) return ASK;
        d[n++] = c - 48;
        started = true;
      } else if (c === 43) {
        if (started) return ASK;
        plus = started = true;
      } else if (c === 32 || c === 45 || c === 40 || c === 41 || c === 46 || c === 47) {
        separators = true;
      } else {
        return ASK;
      }
    }
    if (n < 2) return INVALID; // ErrNotANumber
    if (n === 2) return ASK; // isViablePhoneNumber's two-digit case
    this.plus = plus;
    this.separators = separators;
    const t = this.t;
    // nat is where the national number starts in d: it is always a suffix.
    let cc: number;
    let nat: number;
    let meta: Region;
    if (plus) {
      cc = callingCode(t, d, n, 0);
      if (cc === 0) return this.def !== null ? ASK : INVALID; // the library retries with the region's IDD
      nat = ccLength(cc);
      meta = t.byCC[cc]![0]!;
    } else if (this.def === null) {
      return INVALID; // no "+" and no region
    } else {
      const r = this.def;
      const m = prefix(t, r.idd, d, n, 0);
      if (m >= 0 && !r.iddExact) return ASK;
      if (m >= 0 && (m === n || d[m] !== 0)) {
        // An IDD, then a calling code.
        if (n - m <= MIN_NSN) return INVALID;
        cc = callingCode(t, d, n, m);
        if (cc === 0) return INVALID;
        nat = m + ccLength(cc);
        meta = t.byCC[cc]![0]!;
      } else {
        // The region's own calling code written without "+".
        cc = r.cc;
        nat = 0;
        meta = r;
        if (startsWith(d, n, r.ccDigits)) {
          const pot = stripNational(t, r, d, n, r.ccDigits.length);
          if (pot < 0) return ASK;
          if ((!general(t, r, d, n, 0) && general(t, r, d, n, pot)) || testLength(r, n) === TOO_LONG) {
            nat = pot;
            meta = t.byCC[cc]![0]!;
          }
        }
      }
    }
    if (n - nat < MIN_NSN) return INVALID;
    // Strip a national prefix when what remains has a possible length.
    const pot = stripNational(t, meta, d, n, nat);
    if (pot < 0) return ASK;
    const l = testLength(meta, n - pot);
    if (l === IS_POSSIBLE || l === TOO_LONG) nat = pot;
    const len = n - nat;
    if (len < MIN_NSN || len > MAX_NSN) return INVALID;
    if (!valid(t, cc, d, n, nat)) return INVALID;
    this.cc = cc;
    return nat;
  }
}

// The current cell's digits (0–9), shared by every normaliser: rule reads
// a cell's digits into it once and is not re-entered.
const DIGITS = new Uint8Array(MAX_DIGITS);

// rule's answers that are not where a national number starts.
const ASK = -1;
const INVALID = -2;

/** startsWith reports whether the digits d[0:n] start with the decimal digits of prefix. */
function startsWith(d: Uint8Array, n: number, prefix: string): boolean {
  if (prefix.length > n) return false;
  for (let k = 0; k < prefix.length; k++) if (d[k] !== prefix.charCodeAt(k) - 48) return false;
  return true;
}

function ccLength(cc: number): number {
  return cc >= 100 ? 3 : cc >= 10 ? 2 : 1;
}

/** callingCode is extractCountryCode: the first one to three digits of d[0:n] from i that are a calling code, or 0. */
function callingCode(t: Table, d: Uint8Array, n: number, i: number): number {
  if (d[i] === 0) return 0;
  let cc = 0;
  for (let j = i; j < i + 3 && j < n; j++) {
    cc = cc * 10 + d[j]!;
    if (t.byCC[cc] !== undefined) return cc;
  }
  return 0;
}

/** walk runs an automaton from state s over d[0:n] from i; 0 is dead. */
function walk(t: Table, s: number, d: Uint8Array, n: number, i: number): number {
  const next = t.next;
  for (; i < n; i++) {
    s = next[s * 10 + d[i]!]!;
    if (s === 0) return 0;
  }
  return s;
}

/** prefix is the length of the first prefix of d[0:n] from i that automaton s accepts, or -1. */
function prefix(t: Table, s: number, d: Uint8Array, n: number, i: number): number {
  if (s === 0) return -1;
  if ((t.info[s]! & INFO_PREFIX) !== 0) return 0;
  for (let j = i; j < n; j++) {
    s = t.next[s * 10 + d[j]!]!;
    if (s === 0) return -1;
    if ((t.info[s]! & INFO_PREFIX) !== 0) return j + 1 - i;
  }
  return -1;
}

/** general reports whether r's general pattern matches d[0:n] from i. */
function general(t: Table, r: Region, d: Uint8Array, n: number, i: number): boolean {
  return (t.info[walk(t, r.valid, d, n, i)]! & INFO_GENERAL) !== 0;
}

/** stripNational is maybeStripNationalPrefixAndCarrierCode: where the number starts once r's national prefix is removed from d[0:n] at i; -1 when the table cannot tell. */
function stripNational(t: Table, r: Region, d: Uint8Array, n: number, i: number): number {
  if (i === n || r.national === 0) return i;
  const m = prefix(t, r.national, d, n, i);
  if (m < 0) return i;
  if (!r.nationalExact) return -1;
  if (general(t, r, d, n, i) && !general(t, r, d, n, i + m)) return i; // the prefix was part of a viable number
  return i + m;
}

/** testLength is testNumberLength(number, metadata, UNKNOWN). */
function testLength(r: Region, n: number): number {
  if (r.lenFirst === -1) return INVALID_LENGTH;
  if (n <= 30 && (r.local & (1 << n)) !== 0) return LOCAL_ONLY;
  if (r.lenFirst === n) return IS_POSSIBLE;
  if (r.lenFirst > n) return TOO_SHORT;
  if (r.lenLast < n) return TOO_LONG;
  if (n <= 30 && (r.lenMask & (1 << n)) !== 0) return IS_POSSIBLE;
  return INVALID_LENGTH;
}

/** valid is IsValidNumber for the national number d[i:n] with calling code cc. */
function valid(t: Table, cc: number, d: Uint8Array, n: number, i: number): boolean {
  const regions = t.byCC[cc]!;
  const bit = 1 << (n - i);
  if (regions.length === 1) return (t.info[walk(t, regions[0]!.valid, d, n, i)]! & bit) !== 0;
  for (const r of regions) {
    const info = t.info[walk(t, r.valid, d, n, i)]!;
    if (r.leading) {
      if ((info & INFO_LEADING) !== 0) return (info & bit) !== 0;
    } else if ((info & bit) !== 0) {
      return true;
    }
  }
  return false;
}
