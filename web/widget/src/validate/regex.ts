// The regex subset of docs/templates.md: the syntax where Go RE2 and
// JavaScript RegExp with the u flag mean the same thing. A pattern is checked
// by a small recursive-descent parser before it reaches RegExp, so anything
// outside the subset is refused at template check instead of silently
// behaving differently in the browser and on the server.

/** Why a pattern was refused: a template check code and a value-free detail. */
export interface RegexProblem {
  readonly code: "regex_invalid" | "regex_unsupported";
  readonly detail: string;
}

const MAX_PATTERN = 1000;
const MAX_REPEAT = 1000;

const CATEGORIES = new Set("L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp".split(" "));
// Characters that must be escaped to be literal outside a class (besides "/").
const SPECIAL = new Set(["]", "{", "}", "(", ")", "[", "|", "*", "+", "?", ".", "^", "$", "\\"]);
// Characters "\\" may precede to mean themselves.
const ESCAPABLE = new Set(["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/"]);

/** A parsed node, kept only as far as Go's repeat-size rule needs. */
interface Node {
  /** counted repetition bounds when this node is one, else null */
  readonly repeat: { min: number; max: number } | null;
  readonly subs: readonly Node[];
}

class Problem extends Error {
  constructor(readonly problem: RegexProblem) {
    super(problem.detail);
  }
}

function invalid(detail: string): never {
  throw new Problem({ code: "regex_invalid", detail });
}

function unsupported(detail: string): never {
  throw new Problem({ code: "regex_unsupported", detail });
}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  private peek(): string {
    return this.src[this.i] ?? "";
  }

  parse(): Node {
    const n = this.alternation();
    if (this.i < this.src.length) invalid("unexpected )");
    return n;
  }

  private alternation(): Node {
    const subs = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      subs.push(this.sequence());
    }
    return { repeat: null, subs };
  }

  private sequence(): Node {
    const subs: Node[] = [];
    while (this.i < this.src.length) {
      const c = this.peek();
      if (c === "|" || c === ")") break;
      if (c === "^" || c === "$") {
        this.i++;
        if (this.isQuantifierNext()) unsupported("quantifier after an anchor");
        continue;
      }
      if (c === "{") unsupported("escape { to match it");
      if (c === "*" || c === "+" || c === "?") invalid("quantifier without an atom");
      let atom = this.atom();
      let quantified = false;
      while (this.isQuantifierNext()) {
        if (quantified) invalid("quantifier after a quantifier");
        atom = this.quantifier(atom);
        quantified = true;
      }
      subs.push(atom);
    }
    return { repeat: null, subs };
  }

  private isQuantifierNext(): boolean {
    const c = this.peek();
    return c === "*" || c === "+" || c === "?" || c === "{";
  }

  private quantifier(atom: Node): Node {
    const c = this.peek();
    this.i++;
    let node: Node = atom;
    if (c === "{") {
      const m = /^(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (m === null) unsupported("malformed {n,m} (escape { to match it)");
      this.i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT) unsupported("repeat count above 1000");
      if (max >= 0 && min > max) invalid("repeat {n,m} with n > m");
      node = { repeat: { min, max }, subs: [atom] };
      // RE2 refuses counted repetitions whose nesting multiplies past 1000.
      if ((min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) invalid("nested repeats exceed 1000");
    } else {
      node = { repeat: null, subs: [atom] };
    }
    if (this.peek() === "?") this.i++;
    return node;
  }

  private atom(): Node {
    const c = this.peek();
    const leaf: Node = { repeat: null, subs: [] };
    if (c === "(") {
      this.i++;
      if (this.peek() === "?") {
        if (this.src.startsWith("?:", this.i)) this.i += 2;
        else unsupported("only ( ) and (?: ) groups are supported");
      }
      const inner = this.alternation();
      if (this.peek() !== ")") invalid("missing )");
      this.i++;
      return { repeat: null, subs: [inner] };
    }
    if (c === "[") {
      this.charClass();
      return leaf;
    }
    if (c === "\\") {
      this.escape(false);
      return leaf;
    }
    if (c === "/") unsupported("escape / as \\/");
    if (c === ".") {
      this.i++;
      return leaf;
    }
    if (SPECIAL.has(c)) unsupported(`escape ${c} to match it`);
    this.i += (this.src.codePointAt(this.i) ?? 0) > 0xffff ? 2 : 1;
    return leaf;
  }

  /**
   * escape reads one escape and returns true when it stands for a single
   * character (a possible range end point).
   */
  private escape(inClass: boolean): boolean {
    this.i++;
    const c = this.peek();
    if (c === "") invalid("trailing \\");
    this.i++;
    switch (c) {
      case "d":
      case "D":
      case "w":
      case "W":
        return false;
      case "t":
      case "n":
      case "r":
      case "f":
      case "v":
        return true;
      case "x": {
        if (!/^[0-9A-Fa-f]{2}$/.test(this.src.slice(this.i, this.i + 2))) invalid("\\x needs two hex digits");
        this.i += 2;
        return true;
      }
      case "u": {
        const hex = this.src.slice(this.i, this.i + 4);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) invalid("\\u needs four hex digits");
        const v = parseInt(hex, 16);
        if (v >= 0xd800 && v <= 0xdfff) unsupported("\\u of a surrogate");
        this.i += 4;
        return true;
      }
      case "p":
      case "P": {
        const m = /^\{([A-Za-z]+)\}/.exec(this.src.slice(this.i));
        if (m === null) unsupported("write \\p{X} with braces");
        if (!CATEGORIES.has(m[1] ?? "")) unsupported("\\p{X} supports general categories only");
        this.i += m[0].length;
        return false;
      }
      case "-":
        if (inClass) return true;
        return unsupported("\\- outside a class");
      default:
        if (ESCAPABLE.has(c)) return true;
        return unsupported(`\\${c} is not in the supported subset`);
    }
  }

  private charClass(): void {
    this.i++;
    if (this.peek() === "^") this.i++;
    const first = this.i;
    let items = 0;
    for (;;) {
      const c = this.peek();
      if (c === "") invalid("missing ]");
      if (c === "]") break;
      const start = this.i;
      const single = this.classAtom();
      if (this.peek() === "-" && this.src[this.i + 1] !== "]" && this.src[this.i + 1] !== undefined) {
        // A range: both ends single characters, in order.
        if (start === first && this.src[start] === "-") {
          // "-" first is literal, and so may not start a range.
          unsupported("- must be first or last in a class");
        }
        this.i++;
        const hiStart = this.i;
        const hiSingle = this.classAtom();
        if (!single || !hiSingle) invalid("range end point is a class escape");
        if (this.src[hiStart] === "-") unsupported("- must be first or last in a class");
        const lo = classValue(this.src.slice(start, hiStart - 1));
        const hi = classValue(this.src.slice(hiStart, this.i));
        if (lo > hi) invalid("range out of order");
      } else if (this.src[start] === "-" && start !== first && this.peek() !== "]") {
        unsupported("- must be first or last in a class");
      }
      items++;
    }
    if (items === 0) unsupported("empty class");
    this.i++;
  }

  /** classAtom reads one class member; true when it is a single character. */
  private classAtom(): boolean {
    const c = this.peek();
    if (c === "\\") return this.escape(true);
    if (c === "[") unsupported("[ inside a class must be escaped");
    this.i += (this.src.codePointAt(this.i) ?? 0) > 0xffff ? 2 : 1;
    return true;
  }
}

/** classValue is the code point a single-character class atom stands for. */
function classValue(atom: string): number {
  if (atom[0] !== "\\") return atom.codePointAt(0) ?? 0;
  const c = atom[1] ?? "";
  switch (c) {
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
      return parseInt(atom.slice(2), 16);
    default:
      return c.codePointAt(0) ?? 0;
  }
}

/** repeatIsValid mirrors Go regexp/syntax: nested counted repeats may multiply to at most n. */
function repeatIsValid(node: Node, n: number): boolean {
  if (node.repeat !== null) {
    let m = node.repeat.max;
    if (m === 0) return true;
    if (m < 0) m = node.repeat.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
  }
  for (const sub of node.subs) if (!repeatIsValid(sub, n)) return false;
  return true;
}

/**
 * compileRegex checks pattern against the subset and returns a RegExp that
 * matches whole values, or the problem that refuses it.
 */
export function compileRegex(pattern: string): RegExp | RegexProblem {
  if (pattern.length > MAX_PATTERN) return { code: "regex_unsupported", detail: "pattern longer than 1000 characters" };
  try {
    new Parser(pattern).parse();
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch (e) {
    if (e instanceof Problem) return e.problem;
    return { code: "regex_invalid", detail: "pattern does not compile" };
  }
}
