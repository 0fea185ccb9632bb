// The regex subset of docs/templates.md: the syntax where Go RE2 and
// JavaScript RegExp with the u flag mean the same thing. The checker is a
// line-by-line port of the Go engine's (internal/template/regex.go), so a
// pattern is refused here with the same code as on the server; what passes
// reaches RegExp unchanged.

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

/**
 * A node of the parsed pattern, kept only as far as RE2's nested repeat
 * limit needs: counted repeats and what they contain.
 */
interface Node {
  readonly counted: boolean;
  readonly min: number;
  readonly max: number; // -1 when unbounded, as in Go's syntax.Regexp
  readonly subs: Node[];
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
    const cp = this.src.codePointAt(this.pos) ?? 0;
    return String.fromCodePoint(cp);
  }

  private invalid(detail: string): never {
    throw new Problem({ code: "regex_invalid", detail });
  }

  private unsupported(detail: string): never {
    throw new Problem({ code: "regex_unsupported", detail });
  }

  parse(): Node {
    const root: Node = { counted: false, min: 0, max: 0, subs: [] };
    this.alternation(root);
    if (this.pos < this.src.length) this.invalid("unmatched ')'");
    return root;
  }

  private alternation(parent: Node): void {
    for (;;) {
      this.sequence(parent);
      if (this.peek() !== "|") return;
      this.pos++;
    }
  }

  private sequence(parent: Node): void {
    for (;;) {
      const r = this.peek();
      switch (r) {
        case "":
        case "|":
          return;
        case ")":
          if (this.depth === 0) this.invalid("unmatched ')'");
          return;
        case "*":
        case "+":
        case "?":
          this.invalid("nothing to repeat");
        case "{":
          if (this.braces() !== null) this.invalid("nothing to repeat");
          this.unsupported("'{' must be escaped");
        case "^":
        case "$":
          this.pos++;
          if (QUANTIFIERS.includes(this.peek()) && this.peek() !== "") this.invalid("an anchor cannot be repeated");
          continue;
      }
      const atom = this.atom();
      parent.subs.push(this.quantifier(atom));
    }
  }

  private atom(): Node {
    const r = this.peek();
    const leaf: Node = { counted: false, min: 0, max: 0, subs: [] };
    switch (r) {
      case "(": {
        this.pos++;
        if (this.src.startsWith("?", this.pos)) {
          if (!this.src.startsWith("?:", this.pos)) this.unsupported("only (?: ) groups are supported");
          this.pos += 2;
        }
        this.depth++;
        this.alternation(leaf);
        this.depth--;
        if (this.peek() !== ")") this.invalid("missing ')'");
        this.pos++;
        return leaf;
      }
      case "[":
        this.charClass();
        return leaf;
      case "\\":
        this.escape(false);
        return leaf;
      case "]":
      case "}":
        this.unsupported(`'${r}' must be escaped`);
      case "/":
        this.unsupported("'/' must be escaped");
    }
    this.pos += r.length;
    return leaf;
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

  private quantifier(atom: Node): Node {
    let node = atom;
    switch (this.peek()) {
      case "*":
      case "+":
      case "?":
        this.pos++;
        break;
      case "{": {
        const b = this.braces();
        if (b === null) this.unsupported("'{' must be escaped");
        if (b.m >= 0 && b.n > b.m) this.invalid(`repeat {${b.n},${b.m}} out of order`);
        if (b.n > MAX_REPEAT || b.m > MAX_REPEAT) this.unsupported(`repeat count over ${MAX_REPEAT}`);
        this.pos += b.length;
        node = { counted: true, min: b.n, max: b.m, subs: [atom] };
        // RE2 refuses counted repeats whose nesting multiplies past 1000;
        // the Go engine reports that compile error as regex_invalid.
        if ((b.n >= 2 || b.m >= 2) && !repeatIsValid(node, MAX_REPEAT)) this.invalid("nested repeats exceed 1000");
        break;
      }
      default:
        return node;
    }
    if (this.peek() === "?") this.pos++;
    const q = this.peek();
    if (q !== "" && QUANTIFIERS.includes(q)) this.invalid("nothing to repeat");
    return node;
  }

  private escape(inClass: boolean): void {
    this.pos++; // the backslash
    const r = this.peek();
    if (r === "") this.invalid("'\\' at the end");
    this.pos += r.length;
    if ("dDwWtnrfv".includes(r)) return;
    if (r === "x" || r === "u") {
      const n = r === "x" ? 2 : 4;
      const h = this.src.slice(this.pos, this.pos + n);
      if (h.length !== n || !/^[0-9A-Fa-f]+$/.test(h)) this.unsupported(`\\${r} needs ${n} hex digits`);
      const v = parseInt(h, 16);
      if (r === "u" && v >= 0xd800 && v <= 0xdfff) this.unsupported("\\u surrogates are not supported");
      this.pos += n;
      return;
    }
    if (r === "p" || r === "P") {
      const s = this.src.slice(this.pos);
      const end = s.indexOf("}");
      if (!s.startsWith("{") || end < 0 || !CATEGORIES.has(s.slice(1, end))) this.unsupported("\\p{…} takes a general category such as L, Lu or Nd");
      this.pos += end + 1;
      return;
    }
    if (ESCAPABLE.includes(r) || (inClass && r === "-")) return;
    this.unsupported(`\\${r} is not supported`);
  }

  /** classChar reads one class member: its code point, or -1 for a class escape such as \d. */
  private classChar(): number {
    const start = this.pos;
    const c = this.peek();
    switch (c) {
      case "":
        this.invalid("missing ']'");
      case "[":
        this.unsupported("'[' inside a class must be escaped");
      case "/":
        this.unsupported("'/' must be escaped");
      case "\\": {
        this.escape(true);
        const e = this.src[start + 1] ?? "";
        switch (e) {
          case "d":
          case "D":
          case "w":
          case "W":
          case "p":
          case "P":
            return -1;
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
          case "u":
            return parseInt(this.src.slice(start + 2, this.pos), 16);
          default:
            return this.src.codePointAt(start + 1) ?? 0;
        }
      }
    }
    this.pos += c.length;
    return c.codePointAt(0) ?? 0;
  }

  private charClass(): void {
    this.pos++; // '['
    if (this.peek() === "^") this.pos++;
    if (this.peek() === "]") this.unsupported("empty class");
    let first = true;
    for (;;) {
      const r = this.peek();
      if (r === "]") {
        this.pos++;
        return;
      }
      if (r === "-") {
        this.pos++;
        if (!first && this.peek() !== "]") this.unsupported("'-' is literal only first or last in a class");
        first = false;
        continue;
      }
      const lo = this.classChar();
      first = false;
      if (this.peek() !== "-" || this.src.startsWith("-]", this.pos)) continue;
      if (lo < 0) this.unsupported("a class escape cannot start a range");
      this.pos++;
      const hi = this.classChar();
      if (hi < 0) this.unsupported("a class escape cannot end a range");
      if (hi < lo) this.invalid("range out of order");
    }
  }
}

/** repeatIsValid mirrors Go regexp/syntax: nested counted repeats may multiply to at most n. */
function repeatIsValid(node: Node, n: number): boolean {
  if (node.counted) {
    let m = node.max;
    if (m === 0) return true;
    if (m < 0) m = node.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
  }
  for (const sub of node.subs) if (!repeatIsValid(sub, n)) return false;
  return true;
}

/** utf8Length is the UTF-8 byte length of s, the unit of Go's pattern limit. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * compileRegex checks pattern against the subset and returns a RegExp that
 * matches whole values, or the problem that refuses it.
 */
export function compileRegex(pattern: string): RegExp | RegexProblem {
  if (utf8Length(pattern) > MAX_PATTERN_BYTES) return { code: "regex_unsupported", detail: `longer than ${MAX_PATTERN_BYTES} characters` };
  try {
    new Parser(pattern).parse();
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch (e) {
    if (e instanceof Problem) return e.problem;
    return { code: "regex_invalid", detail: "pattern does not compile" };
  }
}
