// The review grid: virtualized, so a million rows cost what fits on screen.
// Rows live in the worker; the grid asks for the window it shows (a few
// screens at a time), renders it, and sends edits back.
//
// It follows the ARIA grid pattern: one Tab stop (a roving tabindex that
// follows the focused position, not the pooled element showing it), arrow
// keys, Home/End, Ctrl+Home/End and PageUp/PageDown across the virtual rows,
// Enter or F2 to edit, Escape to cancel, Tab to leave. aria-rowcount and
// aria-rowindex place the rows on screen among all rows; a cell's name is its
// column label and its text, and its error message is its description.
import { h } from "../app/dom.ts";
import type { WindowRow } from "../worker/messages.ts";

/** What the grid needs from its owner. */
export interface GridSource {
  columns: { key: string; label: string; required: boolean }[];
  fetch(start: number, count: number): Promise<{ total: number; rows: WindowRow[] }>;
  edit(row: number, column: number, value: string): Promise<WindowRow>;
  /** The next (direction 1) or previous (-1) cell with an error from a position, or null when none has one. */
  findError?(pos: number, col: number, direction: 1 | -1): Promise<{ pos: number; col: number } | null>;
  labels: { row: string; select: string; edit: string; resize: string };
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
const DEFAULT_WIDTH = 160;
const MIN_WIDTH = 60;
const MAX_WIDTH = 800;
/** Pixels a column grows or shrinks per Alt+Shift+Arrow. */
const RESIZE_STEP = 20;

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

let grids = 0;

/**
 * gridMove is where a key moves the focus from (pos, col) in a grid of
 * total rows and columns data columns (col -1 is the row's checkbox), with
 * page rows per PageUp/PageDown; null for a key that does not move.
 */
export function gridMove(key: string, ctrl: boolean, pos: number, col: number, total: number, columns: number, page: number): { pos: number; col: number } | null {
  const last = Math.max(0, total - 1);
  const clamp = (p: number, c: number) => ({ pos: Math.max(0, Math.min(last, p)), col: Math.max(-1, Math.min(columns - 1, c)) });
  switch (key) {
    case "ArrowUp":
      return clamp(pos - 1, col);
    case "ArrowDown":
      return clamp(pos + 1, col);
    case "ArrowLeft":
      return clamp(pos, col - 1);
    case "ArrowRight":
      return clamp(pos, col + 1);
    case "PageUp":
      return clamp(pos - page, col);
    case "PageDown":
      return clamp(pos + page, col);
    case "Home":
      return ctrl ? clamp(0, -1) : clamp(pos, -1);
    case "End":
      return ctrl ? clamp(last, columns - 1) : clamp(pos, columns - 1);
    default:
      return null;
  }
}

/** A virtualized, editable grid of rows with per-cell errors. */
export class Grid {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly header: HTMLElement;
  /** Hidden texts that error cells are described by: one per distinct message. */
  private readonly messages: HTMLElement;
  private readonly messageIds = new Map<string, string>();
  private readonly id = `grid${++grids}`;
  private readonly widths: number[];
  private total = 0;
  private cache = new Map<number, WindowRow>();
  private cachedFrom = 0;
  private cachedTo = 0;
  private generation = 0;
  /** Bumped when the cache is replaced, so slots refill even at the same position. */
  private version = 0;
  private frame = 0;
  private loading = false;
  /** The grid's one focusable position (col -1: the row's checkbox); it keeps the tabindex 0. */
  private focus = { pos: 0, col: 0 };
  /** Focus the cell at this.focus once it is on screen (after a jump from outside the grid). */
  private pendingFocus = false;
  private tabbable: HTMLElement | null = null;
  readonly selected = new Set<number>();
  onSelect: () => void = () => {};
  onEdited: () => void = () => {};
  /** Receives the status line: the error of the hovered cell, else of the focused one ("" for none). */
  onStatus: (text: string) => void = () => {};
  private hovered: HTMLElement | null = null;
  private focused: HTMLElement | null = null;
  private status = "";

  constructor(private readonly source: GridSource) {
    this.widths = source.columns.map(() => DEFAULT_WIDTH);
    this.header = h("div", { class: "grid-row grid-head", role: "row", "aria-rowindex": 1 });
    this.spacer = h("div", { class: "grid-spacer" });
    this.body = h("div", { class: "grid-body", role: "rowgroup" });
    this.viewport = h("div", { class: "grid-viewport" }, this.header, this.spacer, this.body);
    this.messages = h("div", { hidden: true });
    this.element = h("div", { class: "grid", role: "grid", tabindex: -1, "aria-colcount": source.columns.length + 2, "aria-rowcount": 1 }, this.viewport, this.messages);
    this.layout();
    this.viewport.addEventListener("scroll", () => this.schedule(), { passive: true });
    this.element.addEventListener("keydown", (e) => this.onKey(e));
    this.viewport.addEventListener("dblclick", (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>("[data-col]");
      if (cell) this.startEdit(cell);
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    // The error of the cell under the pointer or with keyboard focus goes to
    // the status line: a title tooltip needs a mouse and a steady hand.
    this.body.addEventListener("focusin", (e) => {
      const target = e.target as HTMLElement;
      this.focused = target.closest<HTMLElement>("[data-col]");
      // A click focuses a cell too: the roving tab stop follows it.
      const pos = Number(target.closest<HTMLElement>(".grid-row")?.dataset.pos);
      const col = this.focused ? Number(this.focused.dataset.col) : target === target.closest(".grid-row")?.querySelector("input") ? -1 : NaN;
      if (!Number.isNaN(pos) && !Number.isNaN(col) && !target.classList.contains("grid-editor")) {
        this.focus = { pos, col };
        this.setTabbable(target);
      }
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

  /** Column widths as the grid template: checkbox, row number, then each column. */
  private layout(): void {
    this.element.style.setProperty("--grid-columns", `48px 72px ${this.widths.map((w) => `${w}px`).join(" ")}`);
  }

  /** Width of column c in pixels. */
  columnWidth(c: number): number {
    return this.widths[c] ?? DEFAULT_WIDTH;
  }

  /** Sets the width of column c (clamped), e.g. from its header's handle or the keyboard. */
  resize(c: number, width: number): void {
    if (c < 0 || c >= this.widths.length) return;
    this.widths[c] = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, width)));
    this.layout();
    const handle = this.header.querySelector(`[data-resize="${c}"]`);
    handle?.setAttribute("aria-valuenow", String(this.widths[c]));
  }

  /** Selects exactly the rows at these indexes (select all, the rows with errors). */
  select(indexes: Iterable<number>): void {
    this.selected.clear();
    for (const i of indexes) this.selected.add(i);
    this.version++; // refill the checkboxes on screen
    this.render();
    this.onSelect();
  }

  /** The focused position (row position in the grid, column; -1 the checkbox). */
  get position(): { pos: number; col: number } {
    return { ...this.focus };
  }

  /** Moves keyboard focus to the cell at (pos, col), scrolling it into view (a jump to an error). */
  goTo(pos: number, col: number): void {
    this.pendingFocus = true;
    this.focusCell(pos, col);
  }

  /** Moves focus to the next (1) or previous (-1) cell with an error; false when there is none. */
  nextError(direction: 1 | -1): Promise<boolean> {
    // One search at a time: F8 pressed twice goes two errors on, each from where the last one landed.
    const next = this.seeking.then(async () => {
      if (!this.source.findError) return false;
      const { pos, col } = this.focus;
      const found = await this.source.findError(pos, col, direction);
      if (!found) return false;
      this.goTo(found.pos, found.col);
      return true;
    });
    this.seeking = next.catch(() => false);
    return next;
  }

  private seeking: Promise<unknown> = Promise.resolve();

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

  /** Sets the column header texts (labels, with error counts) and their resize handles. */
  setHeader(counts: number[]): void {
    const cells = [
      h("div", { class: "grid-cell grid-check", role: "columnheader", "aria-colindex": 1 }, h("span", { class: "visually-hidden" }, this.source.labels.select)),
      h("div", { class: "grid-cell grid-num", role: "columnheader", "aria-colindex": 2 }, this.source.labels.row),
    ];
    this.source.columns.forEach((c, i) => {
      const n = counts[i] ?? 0;
      const handle = h("div", {
        class: "grid-resize",
        role: "separator",
        "aria-orientation": "vertical",
        "aria-label": `${this.source.labels.resize} ${c.label}`,
        "aria-valuenow": this.columnWidth(i),
        "aria-valuemin": MIN_WIDTH,
        "aria-valuemax": MAX_WIDTH,
        "data-resize": i,
      });
      handle.addEventListener("pointerdown", (e) => this.dragResize(e, i));
      cells.push(
        h(
          "div",
          { class: "grid-cell", role: "columnheader", "aria-colindex": i + 3, title: c.key },
          // The label alone names the column's cells (not its count or star).
          h("span", { id: `${this.id}-h${i}` }, c.label),
          c.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
          n > 0 ? h("span", { class: "badge" }, String(n)) : null,
          handle,
        ),
      );
    });
    this.header.replaceChildren(...cells);
  }

  /** Resizes column c while the pointer that went down on its handle moves. */
  private dragResize(e: PointerEvent, c: number): void {
    e.preventDefault();
    const start = e.clientX;
    const width = this.columnWidth(c);
    const handle = e.currentTarget as HTMLElement;
    handle.setPointerCapture(e.pointerId);
    const move = (m: PointerEvent): void => this.resize(c, width + m.clientX - start);
    const up = (): void => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
  }

  /** Drops every cached row and reloads from the top, e.g. after a filter change. */
  reset(): void {
    delete this.element.dataset.ready;
    this.generation++;
    this.cache.clear();
    this.cachedFrom = this.cachedTo = 0;
    this.selected.clear();
    this.viewport.scrollTop = 0;
    this.focus = { pos: 0, col: this.focus.col };
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

  /** Rows a PageUp or PageDown moves: a screen less one row, as a page scrolls. */
  private pageRows(): number {
    return Math.max(1, Math.floor((this.viewport.clientHeight - this.header.offsetHeight) / ROW_HEIGHT) - 1);
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
    if (this.focus.pos >= this.total) this.focus.pos = Math.max(0, this.total - 1);
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
    // The one Tab stop: the focused position's element, or, when it is
    // scrolled away and focus is elsewhere, the same column of the first row shown.
    const editing = active?.tagName === "INPUT" && active.classList.contains("grid-editor");
    const inGrid = active !== null && this.element.contains(active);
    let target = this.elementAt(this.focus.pos, this.focus.col);
    if (!target && !inGrid && !this.pendingFocus && this.total > 0) {
      const shown = Math.max(0, Math.min(this.total - 1, first));
      target = this.elementAt(shown, this.focus.col);
      if (target) this.focus = { pos: shown, col: this.focus.col };
    }
    if (target) {
      this.setTabbable(target);
      // Keep keyboard focus on the same cell when rows are re-rendered.
      if (!editing && (this.pendingFocus || (inGrid && active !== target))) {
        target.focus({ preventScroll: true });
        this.pendingFocus = false;
      }
    } else if (inGrid && !editing && active !== this.element) {
      // The focused element now shows another row: hold focus on the grid
      // (its keys still move from this.focus) until the row is back.
      this.element.focus({ preventScroll: true });
    }
    // The cells shown may have been refilled (an edit fixed the focused one).
    this.announce();
  }

  private setTabbable(el: HTMLElement): void {
    if (this.tabbable === el) return;
    if (this.tabbable) this.tabbable.tabIndex = -1;
    el.tabIndex = 0;
    this.tabbable = el;
  }

  private hide(slot: Slot): void {
    slot.pos = -1;
    if (slot.row.hidden) return;
    // A hidden slot must not keep a row's errors (queries, a11y tools).
    slot.row.hidden = true;
    delete slot.row.dataset.pos;
    for (const cell of slot.cells) {
      cell.className = "grid-cell";
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("aria-describedby");
      cell.removeAttribute("title");
    }
  }

  /** Rows on screen are a fixed pool of elements, refilled while scrolling. */
  private readonly pool: Slot[] = [];

  private newSlot(): Slot {
    const s = this.pool.length;
    const check = h("input", { type: "checkbox", tabindex: -1 });
    const num = h("div", { class: "grid-cell grid-num", role: "rowheader", "aria-colindex": 2 });
    // A cell is named by its column's label and its own text (a reader
    // moving down a column hears which column it is in and the value).
    const cells = this.source.columns.map((_, c) => {
      const id = `${this.id}-s${s}c${c}`;
      return h("div", { class: "grid-cell", role: "gridcell", tabindex: -1, "data-col": c, id, "aria-colindex": c + 3, "aria-labelledby": `${this.id}-h${c} ${id}` });
    });
    const row = h("div", { class: "grid-row", role: "row" }, h("div", { class: "grid-cell grid-check", role: "gridcell", "aria-colindex": 1 }, check), num, ...cells);
    row.hidden = true;
    this.body.append(row);
    return { row, check, num, cells, pos: -1, version: -1, anchor: -1 };
  }

  /** The id of the hidden text of message, made once per distinct message. */
  private messageId(message: string): string {
    let id = this.messageIds.get(message);
    if (id === undefined) {
      id = `${this.id}-m${this.messageIds.size}`;
      this.messageIds.set(message, id);
      this.messages.append(h("span", { id }, message));
    }
    return id;
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
      if (active && cell.contains(active) && active !== cell) continue; // an editor is open here
      const value = r.values[c] ?? "";
      if (cell.textContent !== value) cell.textContent = value;
      // The worker sends the rule's message, already translated.
      const message = r.errors[c] ?? null;
      if (message !== null) {
        if (cell.title !== message) {
          cell.className = "grid-cell invalid";
          cell.title = message;
          cell.setAttribute("aria-invalid", "true");
          cell.setAttribute("aria-describedby", this.messageId(message));
        }
      } else if (cell.className !== "grid-cell") {
        cell.className = "grid-cell";
        cell.removeAttribute("title");
        cell.removeAttribute("aria-invalid");
        cell.removeAttribute("aria-describedby");
      }
    }
  }

  /** The element of (pos, col) on screen: a cell, or the row's checkbox for col -1. */
  private elementAt(pos: number, col: number): HTMLElement | null {
    const row = this.body.querySelector<HTMLElement>(`.grid-row[data-pos="${pos}"]:not([hidden])`);
    if (!row) return null;
    return col < 0 ? row.querySelector("input") : row.querySelector<HTMLElement>(`[data-col="${col}"]`);
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
    const cell = this.elementAt(pos, col);
    if (cell) {
      this.setTabbable(cell);
      cell.focus({ preventScroll: true });
      this.pendingFocus = false;
    } else {
      this.pendingFocus = true;
      this.schedule();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (target.classList.contains("grid-editor")) return;
    const { pos, col } = this.focus;
    if (e.key === "F8") {
      e.preventDefault();
      void this.nextError(e.shiftKey ? -1 : 1);
      return;
    }
    // Alt+Shift+Left/Right: the focused cell's column narrower or wider.
    if (e.altKey && e.shiftKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      e.preventDefault();
      this.resize(col, this.columnWidth(col) + (e.key === "ArrowLeft" ? -RESIZE_STEP : RESIZE_STEP));
      return;
    }
    if (e.altKey) return;
    const move = gridMove(e.key, e.ctrlKey || e.metaKey, pos, col, this.total, this.source.columns.length, this.pageRows());
    if (move) {
      e.preventDefault();
      this.focusCell(move.pos, move.col);
    } else if ((e.key === "Enter" || e.key === "F2") && col >= 0) {
      e.preventDefault();
      const cell = this.elementAt(pos, col);
      if (cell) this.startEdit(cell);
    }
  }

  private startEdit(cell: HTMLElement): void {
    const pos = Number(cell.closest<HTMLElement>(".grid-row")?.dataset.pos);
    const col = Number(cell.dataset.col);
    const row = this.cache.get(pos);
    if (!row) return;
    this.focus = { pos, col };
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
      // Tab left the grid: focus stays where it went.
      const away = document.activeElement !== input && document.activeElement !== document.body && !this.element.contains(document.activeElement);
      input.blur();
      this.version++; // the edited cell holds the editor: refill it either way
      this.render();
      if (!away) this.focusCell(pos, col, false);
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
