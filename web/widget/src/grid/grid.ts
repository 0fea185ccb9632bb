// The review grid: virtualized, so a million rows cost what fits on screen.
// Rows live in the worker; the grid asks for the window it shows (a few
// screens at a time), renders it, and sends edits back.
import { h } from "../app/dom.ts";
import type { WindowRow } from "../worker/messages.ts";

/** What the grid needs from its owner. */
export interface GridSource {
  columns: { key: string; label: string; required: boolean }[];
  fetch(start: number, count: number): Promise<{ total: number; rows: WindowRow[] }>;
  edit(row: number, column: number, value: string): Promise<WindowRow>;
  labels: { row: string; select: string; edit: string };
  /** The status line text of a cell with an error: its row number, column label and message (never its value). */
  describe(row: number, column: string, message: string): string;
}

const ROW_HEIGHT = 32;
/**
 * Browsers cap an element's height (Chromium near 2^25 px), so the scroll
 * area is at most this tall and scroll positions are scaled to rows beyond.
 */
const MAX_SCROLL_PX = 8_000_000;
const OVERSCAN = 20;
const FETCH_ROWS = 400;

interface Slot {
  row: HTMLElement;
  check: HTMLInputElement;
  num: HTMLElement;
  cells: HTMLElement[];
  /** Position shown, -1 when hidden; version of the cache it was filled from; anchor of its transform. */
  pos: number;
  version: number;
  anchor: number;
}

/** Rows per step of the anchor that row transforms are relative to. */
const ANCHOR_ROWS = 1000;

/** A virtualized, editable grid of rows with per-cell errors. */
export class Grid {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly header: HTMLElement;
  private total = 0;
  private cache = new Map<number, WindowRow>();
  private cachedFrom = 0;
  private cachedTo = 0;
  private generation = 0;
  /** Bumped when the cache is replaced, so slots refill even at the same position. */
  private version = 0;
  private frame = 0;
  private loading = false;
  private focus: { pos: number; col: number } | null = null;
  readonly selected = new Set<number>();
  onSelect: () => void = () => {};
  onEdited: () => void = () => {};
  /** Receives the status line: the error of the hovered cell, else of the focused one ("" for none). */
  onStatus: (text: string) => void = () => {};
  private hovered: HTMLElement | null = null;
  private focused: HTMLElement | null = null;
  private status = "";

  constructor(private readonly source: GridSource) {
    // Fixed column widths: no intrinsic sizing while rows are refilled.
    const template = `48px 72px repeat(${source.columns.length}, 160px)`;
    this.header = h("div", { class: "grid-row grid-head", role: "row", "aria-rowindex": 1 });
    this.header.style.gridTemplateColumns = template;
    this.spacer = h("div", { class: "grid-spacer" });
    this.body = h("div", { class: "grid-body", role: "rowgroup" });
    this.body.style.setProperty("--grid-columns", template);
    this.viewport = h("div", { class: "grid-viewport", tabindex: -1 }, this.header, this.spacer, this.body);
    this.element = h("div", { class: "grid", role: "grid", "aria-colcount": source.columns.length + 2 }, this.viewport);
    this.viewport.addEventListener("scroll", () => this.schedule(), { passive: true });
    this.viewport.addEventListener("keydown", (e) => this.onKey(e));
    this.viewport.addEventListener("dblclick", (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>("[data-col]");
      if (cell) this.startEdit(cell);
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    // The error of the cell under the pointer or with keyboard focus goes to
    // the status line: a title tooltip needs a mouse and a steady hand.
    this.body.addEventListener("focusin", (e) => {
      this.focused = (e.target as HTMLElement).closest<HTMLElement>("[data-col]");
      this.announce();
    });
    this.body.addEventListener("focusout", (e) => {
      if (!this.body.contains(e.relatedTarget as Node | null)) {
        this.focused = null;
        this.announce();
      }
    });
    this.body.addEventListener("mouseover", (e) => {
      this.hovered = (e.target as HTMLElement).closest<HTMLElement>("[data-col]");
      this.announce();
    });
    this.body.addEventListener("mouseleave", () => {
      this.hovered = null;
      this.announce();
    });
    this.body.addEventListener("change", (e) => {
      const check = e.target as HTMLInputElement;
      const index = Number(check.closest<HTMLElement>(".grid-row")?.dataset.index);
      if (Number.isNaN(index)) return;
      if (check.checked) this.selected.add(index);
      else this.selected.delete(index);
      this.onSelect();
    });
  }

  /** Selects exactly the rows at these indexes (select all, the rows with errors). */
  select(indexes: Iterable<number>): void {
    this.selected.clear();
    for (const i of indexes) this.selected.add(i);
    this.version++; // refill the checkboxes on screen
    this.render();
    this.onSelect();
  }

  /** Tells onStatus the message of the hovered or focused cell, when it changed. */
  private announce(): void {
    const cell = this.hovered?.isConnected ? this.hovered : this.focused?.isConnected ? this.focused : null;
    const row = cell?.closest<HTMLElement>(".grid-row");
    let text = "";
    if (cell && row && !row.hidden && cell.getAttribute("aria-invalid") === "true") {
      const column = this.source.columns[Number(cell.dataset.col)]?.label ?? "";
      text = this.source.describe(Number(row.dataset.index) + 1, column, cell.title);
    }
    if (text === this.status) return;
    this.status = text;
    this.onStatus(text);
  }

  /** Sets the column header texts (with error counts). */
  setHeader(counts: number[]): void {
    const cells = [h("div", { class: "grid-cell grid-check", role: "columnheader" }), h("div", { class: "grid-cell grid-num", role: "columnheader" }, this.source.labels.row)];
    this.source.columns.forEach((c, i) => {
      const n = counts[i] ?? 0;
      cells.push(
        h("div", { class: "grid-cell", role: "columnheader", title: c.key }, c.label, c.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null, n > 0 ? h("span", { class: "badge" }, String(n)) : null),
      );
    });
    this.header.replaceChildren(...cells);
  }

  /** Drops every cached row and reloads from the top, e.g. after a filter change. */
  reset(): void {
    delete this.element.dataset.ready;
    this.generation++;
    this.cache.clear();
    this.cachedFrom = this.cachedTo = 0;
    this.selected.clear();
    this.viewport.scrollTop = 0;
    this.loading = false;
    void this.load(0);
  }

  /** Reloads the rows on screen when validation just covered some of them. */
  checked(from: number, to: number): void {
    if (this.cachedFrom < to && this.cachedTo > from) this.refresh();
  }

  /** Reloads the rows on screen, keeping the scroll position. */
  refresh(): void {
    this.generation++;
    this.cache.clear();
    this.cachedFrom = this.cachedTo = 0;
    this.loading = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** How many virtual pixels (rows × ROW_HEIGHT) one scrolled pixel stands for. */
  private scale(): number {
    const view = this.viewport.clientHeight;
    const virtual = this.total * ROW_HEIGHT;
    const physical = Math.min(virtual, MAX_SCROLL_PX);
    return physical >= virtual ? 1 : (virtual - view) / Math.max(1, physical - view);
  }

  /** The virtual offset of the top of the viewport. */
  private virtualTop(): number {
    return this.viewport.scrollTop * this.scale();
  }

  private visibleRange(): [number, number] {
    const first = Math.floor(this.virtualTop() / ROW_HEIGHT);
    const count = Math.ceil(this.viewport.clientHeight / ROW_HEIGHT) + 1;
    return [first, Math.min(this.total || first + count, first + count)];
  }

  private async load(first: number): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    const generation = this.generation;
    // A few screens around the visible rows, so scrolling rarely waits.
    const start = Math.max(0, first - FETCH_ROWS / 2);
    const count = FETCH_ROWS + Math.ceil((this.viewport.clientHeight || 600) / ROW_HEIGHT);
    const reply = await this.source.fetch(start, count);
    this.loading = false;
    if (generation !== this.generation) return;
    this.total = reply.total;
    this.spacer.style.height = `${Math.min(this.total * ROW_HEIGHT, MAX_SCROLL_PX)}px`;
    this.element.setAttribute("aria-rowcount", String(this.total + 1));
    this.cache.clear();
    this.version++;
    reply.rows.forEach((r, k) => this.cache.set(start + k, r));
    this.cachedFrom = start;
    this.cachedTo = start + reply.rows.length;
    this.render();
    // Tests and the benchmark wait for this mark: rows are on screen.
    if (!this.element.dataset.ready) {
      this.element.dataset.ready = "true";
      performance.mark("intake:ready");
    }
  }

  private render(): void {
    const [first, last] = this.visibleRange();
    const from = Math.max(0, first - OVERSCAN);
    const to = Math.min(this.total, last + OVERSCAN);
    if (from < this.cachedFrom || to > this.cachedTo) void this.load(first);
    const active = document.activeElement as HTMLElement | null;
    if (this.pool.length < to - from) {
      while (this.pool.length < to - from) this.pool.push(this.newSlot());
      for (const slot of this.pool) slot.pos = -1; // slots are re-bound to new positions
    }
    // Each position has its own slot (pos modulo the pool), so scrolling by k
    // rows refills k slots, not the whole screen. Rows are placed relative to
    // an anchor that moves in steps, keeping transform values small.
    const size = this.pool.length;
    const anchor = Math.floor(from / ANCHOR_ROWS) * ANCHOR_ROWS;
    for (let pos = from; pos < to; pos++) {
      const slot = this.pool[pos % size]!;
      const r = this.cache.get(pos);
      if (!r) {
        this.hide(slot);
        continue;
      }
      if (slot.pos !== pos || slot.version !== this.version) {
        this.fill(slot, pos, r, active);
        slot.pos = pos;
        slot.version = this.version;
      }
      if (slot.pos !== pos || slot.anchor !== anchor || slot.row.hidden) {
        slot.row.style.transform = `translateY(${(pos - anchor) * ROW_HEIGHT}px)`;
        slot.anchor = anchor;
        slot.row.hidden = false;
      }
    }
    for (const slot of this.pool) if (slot.pos < from || slot.pos >= to) this.hide(slot);
    // The body sits where the scaled scroll position puts the anchor row.
    this.body.style.transform = `translateY(${this.viewport.scrollTop + anchor * ROW_HEIGHT - this.virtualTop()}px)`;
    // Keep keyboard focus on the same cell when rows are re-rendered.
    const editing = active?.tagName === "INPUT" && active.classList.contains("grid-editor");
    if (this.focus && !editing && this.viewport.contains(active)) this.focusCell(this.focus.pos, this.focus.col, false);
    // The cells shown may have been refilled (an edit fixed the focused one).
    this.announce();
  }

  private hide(slot: Slot): void {
    slot.pos = -1;
    if (slot.row.hidden) return;
    // A hidden slot must not keep a row's errors (queries, a11y tools).
    slot.row.hidden = true;
    for (const cell of slot.cells) {
      cell.className = "grid-cell";
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("title");
    }
  }

  /** Rows on screen are a fixed pool of elements, refilled while scrolling. */
  private readonly pool: Slot[] = [];

  private newSlot(): Slot {
    const check = h("input", { type: "checkbox" });
    const num = h("div", { class: "grid-cell grid-num", role: "rowheader" });
    const cells = this.source.columns.map((_, c) => h("div", { class: "grid-cell", role: "gridcell", tabindex: -1, "data-col": c }));
    const row = h("div", { class: "grid-row", role: "row" }, h("div", { class: "grid-cell grid-check", role: "gridcell" }, check), num, ...cells);
    row.style.gridTemplateColumns = this.header.style.gridTemplateColumns;
    row.hidden = true;
    this.body.append(row);
    return { row, check, num, cells, pos: -1, version: -1, anchor: -1 };
  }

  private fill(slot: Slot, pos: number, r: WindowRow, active: HTMLElement | null): void {
    // Position and index live on the row only: fewer DOM writes per frame.
    slot.row.dataset.index = String(r.index);
    slot.row.dataset.pos = String(pos);
    slot.row.setAttribute("aria-rowindex", String(pos + 2));
    slot.row.classList.toggle("has-errors", r.errors.some((e) => e !== null));
    const label = String(r.index + 1);
    if (slot.num.textContent !== label) {
      slot.num.textContent = label;
      slot.check.setAttribute("aria-label", `${this.source.labels.select} ${label}`);
    }
    slot.check.checked = this.selected.has(r.index);
    for (let c = 0; c < slot.cells.length; c++) {
      const cell = slot.cells[c]!;
      if (active && cell.contains(active)) continue; // an editor is open here
      const value = r.values[c] ?? "";
      if (cell.textContent !== value) cell.textContent = value;
      // The worker sends the rule's message, already translated.
      const message = r.errors[c] ?? null;
      if (message !== null) {
        cell.className = "grid-cell invalid";
        cell.title = message;
        cell.setAttribute("aria-invalid", "true");
      } else if (cell.className !== "grid-cell") {
        cell.className = "grid-cell";
        cell.removeAttribute("title");
        cell.removeAttribute("aria-invalid");
      }
    }
  }

  private cellAt(pos: number, col: number): HTMLElement | null {
    return this.body.querySelector<HTMLElement>(`.grid-row[data-pos="${pos}"]:not([hidden]) [data-col="${col}"]`);
  }

  private focusCell(pos: number, col: number, scroll = true): void {
    this.focus = { pos, col };
    if (scroll) {
      const top = pos * ROW_HEIGHT;
      const headerHeight = this.header.offsetHeight;
      const scale = this.scale();
      const current = this.virtualTop();
      if (top < current) this.viewport.scrollTop = top / scale;
      else if (top + ROW_HEIGHT > current + this.viewport.clientHeight - headerHeight) this.viewport.scrollTop = (top + ROW_HEIGHT * 2 + headerHeight - this.viewport.clientHeight) / scale;
    }
    const cell = this.cellAt(pos, col);
    if (cell) {
      this.body.querySelectorAll('[tabindex="0"]').forEach((e) => e.setAttribute("tabindex", "-1"));
      cell.setAttribute("tabindex", "0");
      cell.focus({ preventScroll: true });
    } else this.schedule();
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (target.tagName === "INPUT") return;
    const pos = Number(target.closest<HTMLElement>(".grid-row")?.dataset.pos);
    const col = Number(target.dataset.col);
    if (Number.isNaN(pos)) return;
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], PageUp: [-10, 0], PageDown: [10, 0] };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      const p = Math.max(0, Math.min(this.total - 1, pos + move[0]));
      const c = Math.max(0, Math.min(this.source.columns.length - 1, col + move[1]));
      this.focusCell(p, c);
    } else if (e.key === "Enter" || e.key === "F2") {
      e.preventDefault();
      this.startEdit(target);
    }
  }

  private startEdit(cell: HTMLElement): void {
    const pos = Number(cell.closest<HTMLElement>(".grid-row")?.dataset.pos);
    const col = Number(cell.dataset.col);
    const row = this.cache.get(pos);
    if (!row) return;
    const input = h("input", { class: "grid-editor", "aria-label": `${this.source.labels.edit} ${this.source.columns[col]?.label ?? ""}` });
    input.value = row.values[col] ?? "";
    cell.replaceChildren(input);
    input.focus();
    input.select();
    let done = false;
    const finish = async (save: boolean): Promise<void> => {
      if (done) return;
      done = true;
      if (save && input.value !== (row.values[col] ?? "")) {
        const updated = await this.source.edit(row.index, col, input.value);
        this.cache.set(pos, updated);
        this.onEdited();
      }
      input.blur();
      this.version++; // the edited cell holds the editor: refill it either way
      this.render();
      this.focusCell(pos, col, false);
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void finish(true);
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        void finish(false);
      }
    });
    input.addEventListener("blur", () => void finish(true));
  }
}
