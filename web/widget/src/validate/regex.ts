// The regex subset of docs/templates.md: the syntax where Go RE2 and
// JavaScript RegExp with the u flag mean the same thing. The checker is a
// port of the Go engine's (internal/template/regex.go), so a pattern is
// refused here with the same code as on the server; what passes is matched
// by dfa.ts in linear time, never by a backtracking RegExp.

import { Matcher, type Ast, type CharSet } from "./dfa.ts";
import { utf8Length } from "./text.ts";

/** Why a pattern was refused: a template check code and a value-free detail. */
export interface RegexProblem {
  readonly code: "regex_invalid" | "regex_unsupported";
  readonly detail: string;
}

const MAX_PATTERN_BYTES = 1000;
const MAX_REPEAT = 1000;

const CATEGORIES = new Set("L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp".split(" "));
const ESCAPABLE = "^$\\.*+?()[]{}|/";
const QUANTIFIERS = "*+?{";

/** Ranges of code points (inclusive pairs) and predicates, possibly negated. */
class Ranges implements CharSet {
  constructor(
    private readonly ranges: readonly number[],
    private readonly preds: readonly CharSet[] = [],
    private readonly negated = false,
  ) {}

  has(cp: number): boolean {
    let inside = false;
    for (let k = 0; k < this.ranges.length && !inside; k += 2) inside = cp >= this.ranges[k]! && cp <= this.ranges[k + 1]!;
    for (let k = 0; k < this.preds.length && !inside; k++) inside = this.preds[k]!.has(cp);
    return inside !== this.negated;
  }
}

/** Property is \p{X}: the engine's own Unicode data, tested one code point at a time. */
class Property implements CharSet {
  private readonly re: RegExp;
  constructor(name: string) {
    this.re = new RegExp(`^\\p{${name}}$`, "u");
  }
  has(cp: number): boolean {
    return this.re.test(String.fromCodePoint(cp));
  }
}

const DIGIT = new Ranges([48, 57]);
const WORD = new Ranges([48, 57, 65, 90, 95, 95, 97, 122]);
// "." is everything but the line terminators, as in JavaScript without the s flag.
const DOT = new Ranges([10, 10, 13, 13, 0x2028, 0x2029], [], true);

function single(cp: number): CharSet {
  return new Ranges([cp, cp]);
}

/**
 * A counted repeat with RE2's limit: nested counted repeats may multiply to
 * at most 1000 (Go regexp/syntax repeatIsValid); the Go engine reports a
 * pattern past it as regex_invalid.
 */
function repeatIsValid(ast: Ast, n: number): boolean {
  switch (ast.kind) {
    case "repeat": {
      if (ast.counted) {
        let m = ast.max;
        if (m === 0) return true;
        if (m < 0) m = ast.min;
        if (m > n) return false;
        if (m > 0) n = Math.floor(n / m);
      }
      return repeatIsValid(ast.sub, n);
    }
    case "alt":
    case "seq":
      return ast.subs.every((s) => repeatIsValid(s, n));
    default:
      return true;
  }
}

class Problem extends Error {
  constructor(readonly problem: RegexProblem) {
    super(problem.detail);
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly src: string) {}

  private peek(): string {
    if (this.pos >= this.src.length) return "";
    return String.fromCodePoint(this.src.codePointAt(this.pos) ?? 0);
  }

  private invalid(detail: string): never {
    throw new Problem({ code: "regex_invalid", detail });
  }

  private unsupported(detail: string): never {
    throw new Problem({ code: "regex_unsupported", detail });
  }

  parse(): Ast {
    const ast = this.alternation();
    if (this.pos < this.src.length) this.invalid("unmatched ')'");
    return ast;
  }

  private alternation(): Ast {
    const subs = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      subs.push(this.sequence());
    }
    return subs.length === 1 ? subs[0]! : { kind: "alt", subs };
  }

  private sequence(): Ast {
    const subs: Ast[] = [];
    for (;;) {
      const r = this.peek();
      switch (r) {
        case "":
        case "|":
          return { kind: "seq", subs };
        case ")":
          if (this.depth === 0) this.invalid("unmatched ')'");
          return { kind: "seq", subs };
        case "*":
        case "+":
        case "?":
          return this.invalid("nothing to repeat");
        case "{":
          if (this.braces() !== null) this.invalid("nothing to repeat");
          return this.unsupported("'{' must be escaped");
        case "^":
        case "$":
          this.pos++;
          if (this.peek() !== "" && QUANTIFIERS.includes(this.peek())) this.invalid("an anchor cannot be repeated");
          subs.push({ kind: r === "^" ? "bol" : "eol" });
          continue;
      }
      subs.push(this.quantifier(this.atom()));
    }
  }

  private atom(): Ast {
    const r = this.peek();
    switch (r) {
      case "(": {
        this.pos++;
        if (this.src.startsWith("?", this.pos)) {
          if (!this.src.startsWith("?:", this.pos)) this.unsupported("only (?: ) groups are supported");
          this.pos += 2;
        }
        this.depth++;
        const inner = this.alternation();
        this.depth--;
        if (this.peek() !== ")") this.invalid("missing ')'");
        this.pos++;
        return inner;
      }
      case "[":
        return { kind: "set", set: this.charClass() };
      case ".":
        this.pos++;
        return { kind: "set", set: DOT };
      case "\\": {
        const e = this.escape(false);
        return { kind: "set", set: typeof e === "number" ? single(e) : e };
      }
      case "]":
      case "}":
        return this.unsupported(`'${r}' must be escaped`);
      case "/":
        return this.unsupported("'/' must be escaped");
    }
    this.pos += r.length;
    return { kind: "set", set: single(r.codePointAt(0) ?? 0) };
  }

  /** braces reads {n}, {n,} or {n,m} at pos without consuming it. */
  private braces(): { n: number; m: number; length: number } | null {
    const s = this.src.slice(this.pos);
    const end = s.indexOf("}");
    if (!s.startsWith("{") || end < 0) return null;
    const body = s.slice(1, end);
    const comma = body.indexOf(",");
    const lo = comma < 0 ? body : body.slice(0, comma);
    const hi = comma < 0 ? "" : body.slice(comma + 1);
    if (lo === "" || !/^[0-9]+$/.test(lo) || (comma >= 0 && hi !== "" && !/^[0-9]+$/.test(hi)) || lo.length > 6 || hi.length > 6) return null;
    const n = Number(lo);
    let m = n;
    if (comma >= 0) m = hi === "" ? -1 : Number(hi);
    return { n, m, length: end + 1 };
  }

  private quantifier(atom: Ast): Ast {
    let node: Ast;
    switch (this.peek()) {
      case "*":
        this.pos++;
        node = { kind: "repeat", sub: atom, min: 0, max: -1, counted: false };
        break;
      case "+":
        this.pos++;
        node = { kind: "repeat", sub: atom, min: 1, max: -1, counted: false };
        break;
      case "?":
        this.pos++;
        node = { kind: "repeat", sub: atom, min: 0, max: 1, counted: false };
        break;
      case "{": {
        const b = this.braces();
        if (b === null) this.unsupported("'{' must be escaped");
        if (b.m >= 0 && b.n > b.m) this.invalid(`repeat {${b.n},${b.m}} out of order`);
        if (b.n > MAX_REPEAT || b.m > MAX_REPEAT) this.unsupported(`repeat count over ${MAX_REPEAT}`);
        this.pos += b.length;
        node = { kind: "repeat", sub: atom, min: b.n, max: b.m, counted: true };
        if ((b.n >= 2 || b.m >= 2) && !repeatIsValid(node, MAX_REPEAT)) this.invalid("nested repeats exceed 1000");
        break;
      }
      default:
        return atom;
    }
    // A lazy quantifier matches the same strings; whole-value matching ignores it.
    if (this.peek() === "?") this.pos++;
    const q = this.peek();
    if (q !== "" && QUANTIFIERS.includes(q)) this.invalid("nothing to repeat");
    return node;
  }

  /** escape reads one escape: a code point, or the set of a class escape such as \d. */
  private escape(inClass: boolean): number | CharSet {
    this.pos++; // the backslash
    const r = this.peek();
    if (r === "") this.invalid("'\\' at the end");
    this.pos += r.length;
    switch (r) {
      case "d":
        return DIGIT;
      case "D":
        return new Ranges([], [DIGIT], true);
      case "w":
        return WORD;
      case "W":
        return new Ranges([], [WORD], true);
      case "t":
        return 9;
      case "n":
        return 10;
      case "r":
        return 13;
      case "f":
        return 12;
      case "v":
        return 11;
      case "x":
      case "u": {
        const n = r === "x" ? 2 : 4;
        const h = this.src.slice(this.pos, this.pos + n);
        if (h.length !== n || !/^[0-9A-Fa-f]+$/.test(h)) this.unsupported(`\\${r} needs ${n} hex digits`);
        const v = parseInt(h, 16);
        if (r === "u" && v >= 0xd800 && v <= 0xdfff) this.unsupported("\\u surrogates are not supported");
        this.pos += n;
        return v;
      }
      case "p":
      case "P": {
        const s = this.src.slice(this.pos);
        const end = s.indexOf("}");
        const name = s.slice(1, end);
        if (!s.startsWith("{") || end < 0 || !CATEGORIES.has(name)) this.unsupported("\\p{…} takes a general category such as L, Lu or Nd");
        this.pos += end + 1;
        const p = new Property(name);
        return r === "p" ? p : new Ranges([], [p], true);
      }
    }
    if (ESCAPABLE.includes(r) || (inClass && r === "-")) return r.codePointAt(0) ?? 0;
    return this.unsupported(`\\${r} is not supported`);
  }

  /** classChar reads one class member: a code point, or the set of a class escape. */
  private classChar(): number | CharSet {
    const c = this.peek();
    switch (c) {
      case "":
        return this.invalid("missing ']'");
      case "[":
        return this.unsupported("'[' inside a class must be escaped");
      case "/":
        return this.unsupported("'/' must be escaped");
      case "\\":
        return this.escape(true);
    }
    this.pos += c.length;
    return c.codePointAt(0) ?? 0;
  }

  private charClass(): CharSet {
    this.pos++; // '['
    let negated = false;
    if (this.peek() === "^") {
      this.pos++;
      negated = true;
    }
    if (this.peek() === "]") this.unsupported("empty class");
    const ranges: number[] = [];
    const preds: CharSet[] = [];
    let first = true;
    for (;;) {
      const r = this.peek();
      if (r === "]") {
        this.pos++;
        return new Ranges(ranges, preds, negated);
      }
      if (r === "-") {
        this.pos++;
        if (!first && this.peek() !== "]") this.unsupported("'-' is literal only first or last in a class");
        ranges.push(45, 45);
        first = false;
        continue;
      }
      const lo = this.classChar();
      first = false;
      if (this.peek() !== "-" || this.src.startsWith("-]", this.pos)) {
        if (typeof lo === "number") ranges.push(lo, lo);
        else preds.push(lo);
        continue;
      }
      if (typeof lo !== "number") this.unsupported("a class escape cannot start a range");
      this.pos++;
      const hi = this.classChar();
      if (typeof hi !== "number") this.unsupported("a class escape cannot end a range");
      if (hi < lo) this.invalid("range out of order");
      ranges.push(lo, hi);
    }
  }
}

/** A compiled pattern: test reports whether a whole value matches. */
export interface WholeMatcher {
  test(value: string): boolean;
}

/**
 * compileRegex checks pattern against the subset and returns a linear-time
 * whole-value matcher, or the problem that refuses it.
 */
export function compileRegex(pattern: string): WholeMatcher | RegexProblem {
  if (utf8Length(pattern) > MAX_PATTERN_BYTES) return { code: "regex_unsupported", detail: `longer than ${MAX_PATTERN_BYTES} characters` };
  try {
    return new Matcher(new Parser(pattern).parse());
  } catch (e) {
    if (e instanceof Problem) return e.problem;
    throw e;
  }
}

/** isProblem tells compileRegex's two results apart. */
export function isProblem(r: WholeMatcher | RegexProblem): r is RegexProblem {
  return "code" in r;
}
