// The concept dictionary (internal/mapping/concepts.json, the one file both
// engines load) and what a header says when read against it: a port of the
// Go internal/mapping/concepts.go, step for step, so that both agree.

import conceptData from "../../../../internal/mapping/concepts.json";
import { normalise } from "./normalise.ts";

const KIND_CONCEPT = 1;
const KIND_QUALIFIER = 2;
const KIND_OWNER = 3;
const KIND_FILLER = 4;

/** MAX_SPAN is the longest run of tokens one dictionary term may cover. */
const MAX_SPAN = 5;

/** The dictionary's languages in the order their terms are read (Go: locales). */
export const CONCEPT_LOCALES = ["en", "de", "es", "fr", "ja", "nl", "pt"] as const;

interface Entry {
  readonly kind: number;
  readonly concept: string;
  readonly weak: boolean;
  readonly bare: boolean;
}

interface ConceptFile {
  concepts: { id: string; parent?: string; owner?: boolean; terms: Record<string, string[] | undefined> }[];
  qualifiers: Record<string, string[] | undefined>;
  owners: string[];
  fillers: string[];
}

/** compact is the normalised form without spaces: what terms are keyed by. */
export function compact(s: string): string {
  return normalise(s).replaceAll(" ", "");
}

function buildLexicon(data: unknown): { terms: Map<string, Entry>; parent: Map<string, string>; owner: Set<string>; longest: number } {
  // The file is part of the build and tested (Go: TestLexiconHasNoConflicts).
  const file = data as ConceptFile;
  const terms = new Map<string, Entry>();
  const parent = new Map<string, string>();
  const owner = new Set<string>();
  let longest = 0;
  const add = (term: string, e: Entry): void => {
    const c = compact(term);
    if (c === "" || terms.has(c)) return;
    terms.set(c, e);
    longest = Math.max(longest, [...c].length);
  };
  for (const c of file.concepts) {
    if (c.parent) parent.set(c.id, c.parent);
    if (c.owner) owner.add(c.id);
    for (const lang of CONCEPT_LOCALES) {
      for (const raw of c.terms[lang] ?? []) {
        let t = raw;
        let weak = false;
        let bare = false;
        if (t.startsWith("^")) [weak, bare, t] = [true, true, t.slice(1)];
        else if (t.startsWith("~")) [weak, t] = [true, t.slice(1)];
        add(t, { kind: KIND_CONCEPT, concept: c.id, weak, bare });
      }
    }
  }
  for (const lang of CONCEPT_LOCALES) for (const t of file.qualifiers[lang] ?? []) add(t, { kind: KIND_QUALIFIER, concept: "", weak: false, bare: false });
  for (const t of file.owners) add(t, { kind: KIND_OWNER, concept: "", weak: false, bare: false });
  for (const t of file.fillers) add(t, { kind: KIND_FILLER, concept: "", weak: false, bare: false });
  return { terms, parent, owner, longest };
}

const dict = buildLexicon(conceptData);

/** parentOf is the concept a concept may stand in for ("mobile" for "phone"), "" if none. */
export function parentOf(concept: string): string {
  return dict.parent.get(concept) ?? "";
}

/** What a header (or a column's key, label or synonym) says (Go: analysis). */
export interface Analysis {
  /** The one concept the name stands for, "" for none. */
  concept: string;
  /** A word such as "consent" or "type" changes what the name holds. */
  readonly qualified: boolean;
  /** The name is only a bare name word ("Name", "Nom"). */
  readonly bare: boolean;
  /** The first small number left over ("E-mail 2"), 1 if none. */
  readonly index: number;
  /** Words the dictionary does not know, in order. */
  readonly unknown: readonly string[];
  /** Words that only say whose field it is ("Home", "Billing"). */
  readonly owners: number;
  /** The concept was read from a weak word alone ("Address", "Número"). */
  readonly weak: boolean;
}

type Piece = { entry: Entry } | { number: number } | { word: string };

/** smallNumber is the value of a token of one or two ASCII digits from 1 to 99, else 0. */
function smallNumber(tok: string): number {
  if (!/^[0-9]{1,2}$/.test(tok)) return 0;
  return Number(tok);
}

/** A filler may be a piece of a split token only in CJK text (Go: usable). */
function usable(e: Entry, first: number): boolean {
  return e.kind !== KIND_FILLER || first >= 0x2e80;
}

/** segment splits an unknown token into the fewest terms (Go: segment). */
function segment(tok: string): Entry[] | null {
  const r = [...tok];
  const n = r.length;
  if (n < 2 || n > 64) return null;
  const NONE = 1 << 30;
  const cp = r.map((ch) => ch.codePointAt(0) ?? 0);
  const best = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    best[i] = NONE;
    for (let j = Math.min(n, i + dict.longest); j > i; j--) {
      if (j - i === 1 && cp[i]! < 0x2e80) continue;
      if (best[j] === NONE) continue;
      const e = dict.terms.get(r.slice(i, j).join(""));
      if (e && usable(e, cp[i]!) && best[j]! + 1 < best[i]!) best[i] = best[j]! + 1;
    }
  }
  if (best[0] === NONE || best[0]! < 2) return null;
  const out: Entry[] = [];
  let meaningful = false;
  for (let i = 0; i < n; ) {
    for (let j = Math.min(n, i + dict.longest); j > i; j--) {
      if (j - i === 1 && cp[i]! < 0x2e80) continue;
      const e = dict.terms.get(r.slice(i, j).join(""));
      if (e && usable(e, cp[i]!) && best[j] === best[i]! - 1) {
        out.push(e);
        meaningful ||= e.kind === KIND_CONCEPT || e.kind === KIND_QUALIFIER;
        i = j;
        break;
      }
    }
  }
  return meaningful ? out : null;
}

function appendNew(cs: string[], c: string): void {
  if (!cs.includes(c)) cs.push(c);
}

/** analyse reads s against the dictionary (docs/templates.md, "Column matching"; Go: analyse). */
export function analyse(s: string): Analysis {
  const norm = normalise(s);
  const tokens = norm === "" ? [] : norm.split(" ");
  const pieces: Piece[] = [];
  for (let i = 0; i < tokens.length; ) {
    let found = false;
    for (let l = Math.min(MAX_SPAN, tokens.length - i); l >= 1; l--) {
      const e = dict.terms.get(tokens.slice(i, i + l).join(""));
      if (e) {
        pieces.push({ entry: e });
        i += l;
        found = true;
        break;
      }
    }
    if (found) continue;
    const tok = tokens[i]!;
    i++;
    const n = smallNumber(tok);
    if (n > 0) {
      pieces.push({ number: n });
      continue;
    }
    const seg = segment(tok);
    if (seg) {
      for (const e of seg) pieces.push({ entry: e });
      continue;
    }
    pieces.push({ word: tok });
  }
  let index = 1;
  let indexed = false;
  let qualified = false;
  let owners = 0;
  const unknown: string[] = [];
  let strong: string[] = [];
  const weak: string[] = [];
  for (const p of pieces) {
    if ("number" in p) {
      if (!indexed) [index, indexed] = [p.number, true];
    } else if ("word" in p) unknown.push(p.word);
    else if (p.entry.kind === KIND_QUALIFIER) qualified = true;
    else if (p.entry.kind === KIND_OWNER) owners++;
    else if (p.entry.kind === KIND_CONCEPT && p.entry.weak) appendNew(weak, p.entry.concept);
    else if (p.entry.kind === KIND_CONCEPT) appendNew(strong, p.entry.concept);
  }
  const only = pieces.length === 1 ? pieces[0] : undefined;
  const bare = only !== undefined && "entry" in only && only.entry.bare;
  // A concept named with its child is the child ("Phone (mobile)"); an owner
  // concept named with another is whose it is ("Company phone").
  const before = strong;
  strong = before.filter((c) => !before.some((x) => parentOf(x) === c));
  if (strong.length > 1) {
    const kept = strong.filter((c) => !dict.owner.has(c));
    owners += strong.length - kept.length;
    strong = kept;
  }
  let concept = "";
  let weakOnly = false;
  if (strong.length === 1) concept = strong[0]!;
  else if (strong.length === 0 && weak.length > 0 && unknown.length === 0) [concept, weakOnly] = [weak[weak.length - 1]!, true];
  return { concept, qualified, bare, index, unknown, owners, weak: weakOnly };
}
