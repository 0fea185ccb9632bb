// Uniqueness state of one import: which row first claimed each value of a
// unique column. A million-row column means a million fresh strings, where a
// JavaScript Map spends most of its time rehashing and chasing pointers; an
// open-addressing table over a typed array of (hash, row) pairs does the same
// job about three times faster. The keys are kept alongside for exact
// comparison, unless the caller can tell a row's key again (the widget, which
// holds the rows anyway): then only hashes and rows are kept.

/**
 * Uniqueness remembers which row first claimed a value of a unique column
 * (columns by index, as in the Go engine's validate.Uniqueness). claim
 * returns the first row that claimed key: row itself when key is new (or
 * was claimed by this same row before, so a re-sent chunk is harmless), an
 * earlier row when the value is a duplicate.
 */
export interface Uniqueness {
  claim(column: number, key: string, row: number): number;
  /**
   * release gives up row's claim on key, if row holds it, so that an edited
   * cell no longer blocks its old value (the widget's review grid).
   */
  release(column: number, key: string, row: number): void;
}

/**
 * KeyOf tells the key row claims in column now, or null when it claims none
 * there (a deleted row). For a row that holds a claim it must be the key it
 * claimed: a row gives its claims up before its cells change.
 */
export type KeyOf = (column: number, row: number) => string | null;

/** MemoryUniqueness keeps every column's claims in memory (the widget's case). */
export class MemoryUniqueness implements Uniqueness {
  private readonly tables: ClaimTable[] = [];

  /**
   * Without keyOf every key is kept. With it only a hash and a row per
   * claim are: on equal hashes keyOf tells the claiming row's key, so a
   * collision is still never a false duplicate. A million emails kept as
   * strings would cost more than the grid's rows. expected is how many
   * claims a column will likely hold (the rows of the import): its table
   * is made that large at once instead of doubling its way there.
   */
  constructor(
    private readonly keyOf?: KeyOf,
    private readonly expected = 0,
  ) {}

  claim(column: number, key: string, row: number): number {
    return this.table(column).claim(key, row);
  }

  /**
   * claimHash is claim for a key known only by its hash (hash() of the key
   * claim would be given), as a helper worker that checked the row computed
   * it: on equal hashes keyOf tells both rows' keys, so it needs keyOf.
   */
  claimHash(column: number, h: number, row: number): number {
    if (!this.keyOf) throw new Error("claimHash needs keyOf");
    return this.table(column).insert(h, row);
  }

  release(column: number, key: string, row: number): void {
    this.tables[column]?.release(key, row);
  }

  private table(column: number): ClaimTable {
    let t = this.tables[column];
    if (t === undefined) {
      const keyOf = this.keyOf;
      t = new ClaimTable(keyOf ? (r) => keyOf(column, r) : null, this.expected);
      this.tables[column] = t;
    }
    return t;
  }
}

const INITIAL = 1024;
/** The largest table made at once (32 MB): beyond it, the table grows as claims come. */
const MAX_INITIAL = 1 << 22;

/**
 * ClaimTable is an open-addressing hash table from key to first row, linear
 * probing, load ≤ 1/2. Hash and row sit side by side in one Int32Array
 * (slot i at 2i, 2i+1), so a probe touches one cache line; equal hashes are
 * confirmed by comparing keys (kept, or told again by rowKey), so a hash
 * collision is never a false duplicate.
 */
class ClaimTable {
  private cap: number;
  private slots: Int32Array; // hash (0 = free), row
  /** Key of each slot; null when rowKey tells them. */
  private keys: (string | undefined)[] | null;
  private size = 0;

  constructor(
    private readonly rowKey: ((row: number) => string | null) | null,
    expected: number,
  ) {
    let cap = INITIAL;
    while (cap <= 2 * expected && cap < MAX_INITIAL) cap *= 2;
    this.cap = cap;
    this.slots = new Int32Array(2 * cap);
    this.keys = rowKey ? null : new Array<string | undefined>(cap).fill(undefined);
  }

  claim(key: string, row: number): number {
    // this.keys, not a copy: insert may grow the table first.
    return this.insert(hash(key), row, key);
  }

  /**
   * insert claims for row the key of hash h: key itself, or (undefined)
   * the key rowKey tells for row. On equal hashes the key held is compared
   * with it, kept or told by rowKey. No closure per claim: a million claims
   * made a million of them.
   */
  insert(h: number, row: number, key?: string): number {
    if (this.size * 2 >= this.cap) this.grow();
    const mask = this.cap - 1;
    const slots = this.slots;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i];
      if (s === 0) {
        slots[2 * i] = h;
        slots[2 * i + 1] = row;
        if (this.keys) this.keys[i] = key;
        this.size++;
        return row;
      }
      if (s === h) {
        const holder = slots[2 * i + 1]!;
        if (this.same(holder, i, row, key)) return holder;
      }
    }
  }

  /** Whether the key held by holder at slot i is key (undefined: row's key, told by rowKey). */
  private same(holder: number, i: number, row: number, key: string | undefined): boolean {
    if (this.keys) return this.keys[i] === key;
    const rowKey = this.rowKey!;
    return rowKey(holder) === (key ?? rowKey(row));
  }

  release(key: string, row: number): void {
    const h = hash(key);
    const mask = this.cap - 1;
    const slots = this.slots;
    let i = h & mask;
    // A row claims one key per column, so its slot is the one with its hash
    // and row; with keys kept, the key's slot is the only candidate.
    for (; ; i = (i + 1) & mask) {
      const s = slots[2 * i];
      if (s === 0) return;
      if (s === h && (this.keys ? this.keys[i] === key : slots[2 * i + 1] === row)) break;
    }
    if (slots[2 * i + 1] !== row) return;
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole so that lookups never stop early at it.
    for (let j = (i + 1) & mask; slots[2 * j] !== 0; j = (j + 1) & mask) {
      const home = (slots[2 * j] ?? 0) & mask;
      // Entry j may move to the hole i only if its home is not in (i, j].
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        slots[2 * i] = slots[2 * j] ?? 0;
        slots[2 * i + 1] = slots[2 * j + 1] ?? 0;
        if (this.keys) this.keys[i] = this.keys[j];
        i = j;
      }
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    if (this.keys) this.keys[i] = undefined;
    this.size--;
  }

  private grow(): void {
    const { slots, keys } = this;
    const old = this.cap;
    const cap = old * 2;
    this.cap = cap;
    this.slots = new Int32Array(2 * cap);
    this.keys = keys ? new Array<string | undefined>(cap).fill(undefined) : null;
    const mask = cap - 1;
    for (let j = 0; j < old; j++) {
      const h = slots[2 * j] ?? 0;
      if (h === 0) continue;
      let i = h & mask;
      while (this.slots[2 * i] !== 0) i = (i + 1) & mask;
      this.slots[2 * i] = h;
      this.slots[2 * i + 1] = slots[2 * j + 1] ?? 0;
      if (this.keys) this.keys[i] = keys![j];
    }
  }
}

/** hash is 32-bit FNV-1a over UTF-16 code units, never 0 (0 marks a free slot). */
export function hash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  // Mix the high bits down: the table indexes by the low bits.
  h ^= h >>> 15;
  return h === 0 ? 1 : h;
}
