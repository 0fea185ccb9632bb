// Phone numbers to E.164, with exactly libphonenumber-js's answers (full
// metadata) but about fifty times faster on the common shapes.
//
// libphonenumber-js builds a new RegExp for every pattern it tests, which
// costs ~12 µs per cell: 12 s for a million-row phone column. For a cell made
// only of ASCII digits and the separators " -()." (with "+" only in front),
// the library's result depends on nothing but the digits, the "+" and the
// default region, so phone.ts replays the library's own parse and validity
// steps (parse.js, extractCountryCallingCode, extractNationalNumber,
// getCountryByCallingCode, getNumberType) on patterns compiled once per
// region. Anything it is not certain about — other characters, carrier-code
// national prefixes, non-geographic calling codes — goes to the library
// itself. test/phone.test.ts checks both paths agree on many thousands of
// numbers.

import { Metadata, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from "libphonenumber-js/core";

/** The parts of libphonenumber-js's (untyped) Metadata class that phone.ts reads. */
interface NumberType {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface MetadataAPI {
  selectNumberingPlan(countryOrCallingCode: string): MetadataAPI;
  hasCallingCode(callingCode: string): boolean;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  numberingPlan: {
    callingCode(): string;
    IDDPrefix(): string;
    nationalNumberPattern(): string;
    possibleLengths(): number[] | undefined;
    nationalPrefixForParsing(): string | undefined;
    leadingDigits(): string | undefined;
    hasTypes(): boolean;
    type(t: string): NumberType | undefined;
  };
}

/** A region's numbering plan with every pattern compiled once. */
interface Plan {
  readonly callingCode: string;
  readonly idd: RegExp;
  readonly nationalNumber: RegExp;
  readonly lengths: readonly number[] | undefined;
  readonly prefix: RegExp | null;
  readonly leading: RegExp | null;
  readonly hasTypes: boolean;
  /** lengths any type accepts, or null when some type does not say */
  readonly typeLengths: ReadonlySet<number> | null;
  readonly types: readonly { readonly re: RegExp; readonly lengths: readonly number[] | undefined }[];
}

// getNumberType's order; for validity only "some type matches" matters.
const TYPES = ["FIXED_LINE", "MOBILE", "PREMIUM_RATE", "TOLL_FREE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL"];
const MIN_NSN = 2;
const MAX_NSN = 17;
const MAX_INPUT = 250;
const NON_DIGITS = /[^0-9]/g;

/** UNSURE is the fast path's "ask the library" answer. */
const UNSURE = undefined;

/**
 * PhoneNormaliser turns cells into E.164 for one default region (or none).
 * Plans are compiled on first use per region and shared by all cells.
 */
export class PhoneNormaliser {
  private readonly meta: MetadataAPI;
  private readonly plans = new Map<string, Plan>();
  private readonly callingCodes = new Map<string, boolean>();
  private readonly byCallingCode = new Map<string, readonly Plan[] | null>();
  // The region (and number) countryOf last matched by type patterns.
  private typed: Plan | null = null;
  private typedNational = "";
  private readonly options: { defaultCountry?: CountryCode };

  constructor(
    private readonly json: MetadataJson,
    private readonly region: string | null,
  ) {
    // Metadata is a class the package exports without type declarations.
    this.meta = new (Metadata as unknown as new (m: MetadataJson) => MetadataAPI)(json);
    this.options = region === null ? {} : { defaultCountry: region as CountryCode };
  }

  /** normalise returns the E.164 form of trimmed input s, or null when it is not a valid number. */
  normalise(s: string): string | null {
    const fast = this.fast(s);
    if (fast !== UNSURE) return fast;
    return this.slow(s);
  }

  /** slow is libphonenumber-js itself, the reference the fast path must equal. */
  slow(s: string): string | null {
    const p = parsePhoneNumberFromString(s, this.options, this.json);
    return p !== undefined && p.isValid() ? p.number : null;
  }

  /** fast replays the library on simple input; UNSURE when it cannot be sure. */
  fast(s: string): string | null | undefined {
    if (s.length > MAX_INPUT) return UNSURE;
    let plus = false;
    let separators = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) continue;
      if (c === 43 && i === 0) {
        plus = true;
        continue;
      }
      if (c !== 32 && c !== 45 && c !== 40 && c !== 41 && c !== 46) return UNSURE;
      separators++;
    }
    const digits = separators > 0 ? s.replace(NON_DIGITS, "") : plus ? s.slice(1) : s;
    // The library strips trailing non-digits and needs three digits to call it a number.
    if (digits.length < 3) return UNSURE;
    if (plus) return this.international(digits);
    if (this.region === null) return null;
    const home = this.plan(this.region);
    if (home === null) return UNSURE;
    // stripIddPrefix: an international call prefix ("011", "00") means "+".
    const m = home.idd.exec(digits);
    if (m !== null) {
      const rest = digits.slice(m[0].length);
      if (rest !== "" && rest[0] !== "0") return this.international(rest);
    }
    // extractCountryCallingCodeFromInternationalNumberWithoutPlusSign.
    if (digits.startsWith(home.callingCode)) {
      const shorter = digits.slice(home.callingCode.length);
      const shortNational = this.nationalNumber(shorter, home);
      const national = this.nationalNumber(digits, home);
      if (shortNational === UNSURE || national === UNSURE) return UNSURE;
      if ((!home.nationalNumber.test(national) && home.nationalNumber.test(shortNational)) || lengthCheck(national, home) === "TOO_LONG") {
        return this.withCallingCode(home.callingCode, shorter, null);
      }
    }
    return this.withCallingCode(home.callingCode, digits, this.region);
  }

  /** international handles digits that followed a "+" (or an IDD prefix). */
  private international(digits: string): string | null | undefined {
    if (digits[0] === "0") return null;
    for (let i = 1; i <= 3 && i <= digits.length; i++) {
      const cc = digits.slice(0, i);
      if (this.callingCode(cc)) return this.withCallingCode(cc, digits.slice(i), null);
    }
    return null;
  }

  /** withCallingCode is parse.js after the calling code is known: national number, country, validity. */
  private withCallingCode(cc: string, number: string, country: string | null): string | null | undefined {
    const regions = this.regions(cc);
    if (regions === null) return UNSURE; // a non-geographic entity, or metadata phone.ts cannot read
    const selected = country === null ? regions[0] : this.plan(country);
    if (selected === undefined || selected === null) return UNSURE;
    if (number === "") return null;
    const national = this.nationalNumber(number, selected);
    if (national === UNSURE) return UNSURE;
    const exact = this.countryOf(regions, national);
    if (exact === UNSURE) return UNSURE;
    if (national.length < MIN_NSN || national.length > MAX_NSN) return null;
    const plan = exact ?? (country === null ? regions[0]! : selected);
    // countryOf may have just proved this very check for this region.
    const known = exact !== null && exact === this.typed && this.typedNational === national;
    const valid = plan.hasTypes ? known || hasType(national, plan) : plan.nationalNumber.test(national);
    return valid ? "+" + cc + national : null;
  }

  /** nationalNumber is extractNationalNumber: strip a national prefix when that leaves a plausible number. */
  private nationalNumber(number: string, plan: Plan): string | undefined {
    if (plan.prefix === null) return number;
    const m = plan.prefix.exec(number);
    if (m === null) return number;
    // A captured carrier code or a transform rule: leave it to the library.
    if (m.length > 1 && m[m.length - 1]) return UNSURE;
    const national = number.slice(m[0].length);
    if (national === number) return number;
    if (plan.nationalNumber.test(number) && !plan.nationalNumber.test(national)) return number;
    if (plan.lengths !== undefined) {
      const regions = this.regions(plan.callingCode);
      if (regions === null) return UNSURE;
      const country = this.countryOf(regions, national);
      if (country === UNSURE) return UNSURE;
      const r = lengthCheck(national, country ?? plan);
      if (r === "TOO_SHORT" || r === "INVALID_LENGTH") return number;
    }
    return national;
  }

  /** countryOf is getCountryByCallingCode: which region of a shared calling code a number belongs to. */
  private countryOf(regions: readonly Plan[], national: string): Plan | null | undefined {
    this.typed = null;
    if (regions.length === 1) return regions[0] ?? null;
    for (const p of regions) {
      if (p.leading !== null) {
        if (national !== "" && p.leading.test(national)) return p;
      } else if (hasType(national, p)) {
        this.typed = p;
        this.typedNational = national;
        return p;
      }
    }
    return null;
  }

  /** regions lists the plans of the regions sharing calling code cc, main region first; null when unknown. */
  private regions(cc: string): readonly Plan[] | null {
    let known = this.byCallingCode.get(cc);
    if (known === undefined) {
      const countries = this.meta.getCountryCodesForCallingCode(cc);
      const plans = (countries ?? []).map((c) => this.plan(c));
      known = countries === undefined || plans.some((p) => p === null) ? null : (plans as Plan[]);
      this.byCallingCode.set(cc, known);
    }
    return known;
  }

  private callingCode(cc: string): boolean {
    let known = this.callingCodes.get(cc);
    if (known === undefined) {
      known = this.meta.hasCallingCode(cc) === true;
      this.callingCodes.set(cc, known);
    }
    return known;
  }

  private plan(country: string): Plan | null {
    const known = this.plans.get(country);
    if (known !== undefined) return known;
    let np: MetadataAPI["numberingPlan"];
    try {
      np = this.meta.selectNumberingPlan(country).numberingPlan;
    } catch {
      return null;
    }
    const prefix = np.nationalPrefixForParsing();
    const leading = np.leadingDigits();
    const types: { re: RegExp; lengths: readonly number[] | undefined }[] = [];
    if (np.hasTypes()) {
      for (const t of TYPES) {
        const def = np.type(t);
        const pattern = def?.pattern();
        if (def === undefined || !pattern) continue;
        types.push({ re: new RegExp(`^(?:${pattern})$`), lengths: def.possibleLengths() });
      }
    }
    let typeLengths: Set<number> | null = new Set();
    for (const t of types) {
      if (t.lengths === undefined) typeLengths = null;
      else for (const n of t.lengths) typeLengths?.add(n);
    }
    const plan: Plan = {
      callingCode: np.callingCode(),
      // search(x) === 0 is a match anchored at the start.
      idd: new RegExp(`^(?:${np.IDDPrefix()})`),
      nationalNumber: new RegExp(`^(?:${np.nationalNumberPattern()})$`),
      lengths: np.possibleLengths(),
      prefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
      leading: leading ? new RegExp(`^(?:${leading})`) : null,
      hasTypes: np.hasTypes(),
      typeLengths,
      types,
    };
    this.plans.set(country, plan);
    return plan;
  }
}

/** hasType is getNumberType(...) !== undefined. */
function hasType(national: string, plan: Plan): boolean {
  // No type takes this length: skip the large patterns, same answer.
  if (plan.typeLengths !== null && !plan.typeLengths.has(national.length)) return false;
  if (!plan.nationalNumber.test(national)) return false;
  for (const t of plan.types) {
    if (t.lengths !== undefined && t.lengths.indexOf(national.length) < 0) continue;
    if (t.re.test(national)) return true;
  }
  return false;
}

/** lengthCheck is checkNumberLength without a type. */
function lengthCheck(national: string, plan: Plan): "IS_POSSIBLE" | "TOO_SHORT" | "TOO_LONG" | "INVALID_LENGTH" {
  const lengths = plan.lengths;
  if (lengths === undefined) return "IS_POSSIBLE";
  const n = national.length;
  const min = lengths[0] ?? 0;
  if (min === n) return "IS_POSSIBLE";
  if (min > n) return "TOO_SHORT";
  if ((lengths[lengths.length - 1] ?? 0) < n) return "TOO_LONG";
  return lengths.indexOf(n, 1) >= 0 ? "IS_POSSIBLE" : "INVALID_LENGTH";
}
