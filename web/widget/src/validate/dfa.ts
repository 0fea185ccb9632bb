// A linear-time matcher for the regex subset: the checked pattern becomes a
// Thompson NFA, run as a lazily built DFA (RE2's approach). JavaScript's
// RegExp backtracks, so a template pattern such as (a+)+b would take
// exponential time on a long cell and freeze the worker; here every cell
// costs time proportional to its length, as on the server.

/** A set of code points. */
export interface CharSet {
  has(cp: number): boolean;
}

/** The parsed pattern (regex.ts builds it while checking the subset). */
export type Ast =
  | { readonly kind: "alt"; readonly subs: readonly Ast[] }
  | { readonly kind: "seq"; readonly subs: readonly Ast[] }
  // max -1: unbounded; counted: written {n,m} (RE2's repeat limits apply), not * + ?
  | { readonly kind: "repeat"; readonly sub: Ast; readonly min: number; readonly max: number; readonly counted: boolean }
  | { readonly kind: "set"; readonly set: CharSet }
  | { readonly kind: "bol" }
  | { readonly kind: "eol" };

const enum Op {
  Char,
  Split,
  Bol,
  Eol,
  Match,
}

/** The NFA: parallel arrays indexed by state id. */
class Nfa {
  readonly op: Op[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly sets: (CharSet | null)[] = [];

  add(op: Op, out1: number, out2: number, set: CharSet | null): number {
    this.op.push(op);
    this.out1.push(out1);
    this.out2.push(out2);
    this.sets.push(set);
    return this.op.length - 1;
  }

  /** build returns the start of a fragment for ast that continues at next. */
  build(ast: Ast, next: number): number {
    switch (ast.kind) {
      case "set":
        return this.add(Op.Char, next, -1, ast.set);
      case "bol":
        return this.add(Op.Bol, next, -1, null);
      case "eol":
        return this.add(Op.Eol, next, -1, null);
      case "seq":
        for (let k = ast.subs.length - 1; k >= 0; k--) next = this.build(ast.subs[k]!, next);
        return next;
      case "alt": {
        const starts = ast.subs.map((s) => this.build(s, next));
        let start = starts[starts.length - 1] ?? next;
        for (let k = starts.length - 2; k >= 0; k--) start = this.add(Op.Split, starts[k]!, start, null);
        return start;
      }
      case "repeat": {
        let tail = next;
        if (ast.max < 0) {
          const loop = this.add(Op.Split, -1, next, null);
          this.out1[loop] = this.build(ast.sub, loop);
          tail = loop;
        } else {
          for (let k = 0; k < ast.max - ast.min; k++) tail = this.add(Op.Split, this.build(ast.sub, tail), next, null);
        }
        for (let k = 0; k < ast.min; k++) tail = this.build(ast.sub, tail);
        return tail;
      }
    }
  }
}

/** A DFA state: the NFA states it stands for and its cached transitions. */
class DState {
  /** transitions on ASCII code points: state index + 1, 0 = not computed yet */
  readonly ascii = new Int32Array(128);
  readonly other = new Map<number, number>(); // same encoding as ascii
  constructor(
    readonly chars: readonly number[], // NFA Char states
    readonly accepts: boolean, // at the end of the input
  ) {}
}

// A cache this large is rebuilt from scratch rather than grown (RE2 does the same).
const MAX_STATES = 4096;

/** Matcher decides whole-string matches of one pattern in linear time. */
export class Matcher {
  private readonly nfa = new Nfa();
  private readonly start: number;
  private readonly mark: Int32Array;
  private generation = 0;
  private states: DState[] = [];
  private byKey = new Map<string, number>();
  private readonly initial: DState;
  private initialKey = "";
  private readonly emptyMatches: boolean;

  constructor(ast: Ast) {
    const match = this.nfa.add(Op.Match, -1, -1, null);
    this.start = this.nfa.build(ast, match);
    this.mark = new Int32Array(this.nfa.op.length);
    const first = this.closure([this.start], true);
    this.initial = this.states[this.state(first)]!;
    this.emptyMatches = this.acceptsAtEnd(first, true);
  }

  /** test reports whether the whole of s matches. */
  test(s: string): boolean {
    if (s.length === 0) return this.emptyMatches;
    let d = this.initial;
    for (let i = 0; i < s.length; ) {
      if (d.chars.length === 0) return false;
      let cp = s.charCodeAt(i);
      if (cp < 128) {
        i++;
        const n = d.ascii[cp]!;
        d = n !== 0 ? this.states[n - 1]! : this.step(d, cp);
        continue;
      }
      cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const n = d.other.get(cp);
      d = n !== undefined ? this.states[n - 1]! : this.step(d, cp);
    }
    return d.accepts;
  }

  private step(d: DState, cp: number): DState {
    const seeds: number[] = [];
    for (const s of d.chars) if (this.nfa.sets[s]!.has(cp)) seeds.push(this.nfa.out1[s]!);
    if (this.states.length >= MAX_STATES) this.reset();
    const id = this.state(this.closure(seeds, false));
    // d may have been dropped by reset(); caching on it is then harmless.
    if (cp < 128) d.ascii[cp] = id + 1;
    else d.other.set(cp, id + 1);
    return this.states[id]!;
  }

  private reset(): void {
    this.states = [this.initial];
    this.initial.ascii.fill(0);
    this.initial.other.clear();
    this.byKey = new Map([[this.initialKey, 0]]);
  }

  /**
   * closure follows splits (and ^ at the start) from seeds and returns the
   * reached Char, Eol and Match states, sorted: the identity of a DFA state.
   */
  private closure(seeds: readonly number[], atStart: boolean): number[] {
    const gen = ++this.generation;
    const out: number[] = [];
    const stack = seeds.slice();
    const { op, out1, out2 } = this.nfa;
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (this.mark[s] === gen) continue;
      this.mark[s] = gen;
      switch (op[s]) {
        case Op.Split:
          stack.push(out2[s]!, out1[s]!);
          break;
        case Op.Bol:
          if (atStart) stack.push(out1[s]!);
          break;
        default:
          out.push(s);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** acceptsAtEnd reports whether Match is reachable from states through splits and $ (and ^ when at the start). */
  private acceptsAtEnd(states: readonly number[], atStart: boolean): boolean {
    const gen = ++this.generation;
    const stack = states.slice();
    const { op, out1, out2 } = this.nfa;
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (this.mark[s] === gen) continue;
      this.mark[s] = gen;
      switch (op[s]) {
        case Op.Match:
          return true;
        case Op.Split:
          stack.push(out2[s]!, out1[s]!);
          break;
        case Op.Eol:
          stack.push(out1[s]!);
          break;
        case Op.Bol:
          if (atStart) stack.push(out1[s]!);
          break;
      }
    }
    return false;
  }

  /** state returns the index of the DFA state for a closure, making it on first sight. */
  private state(nfaStates: number[]): number {
    const key = nfaStates.join(",");
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    if (this.states.length === 0) this.initialKey = key;
    const d = new DState(
      nfaStates.filter((s) => this.nfa.op[s] === Op.Char),
      this.acceptsAtEnd(nfaStates, false),
    );
    this.byKey.set(key, this.states.length);
    this.states.push(d);
    return this.states.length - 1;
  }
}
