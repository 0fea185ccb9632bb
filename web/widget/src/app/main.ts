// The importer app inside the iframe (/embed/{importer}) or the hosted page
// (/i/{importer}): steps upload → sheet → header row → match → review →
// submit → done. Rows stay in the worker; this thread renders.
import type { OpenOptions, ToFrame, ToHost } from "../protocol.ts";
import { WorkerClient, WorkerError } from "./rpc.ts";
import { h, mount } from "./dom.ts";
import { Grid } from "../grid/grid.ts";
import { formatBytes, isMessageKey, pickLocale, translator, type MessageKey, type T } from "../i18n/i18n.ts";
import { matchColumns } from "../mapping/index.ts";
import { ENCODINGS } from "../parse/encoding.ts";
import { DELIMITERS, offersDelimiter, offersEncoding, proposedHeaderRow, stepBar, submitState, nothingToImport, type StepId } from "./steps.ts";
import type { ColumnInfo, FileInfo, Session, Summary, UploadResult } from "../worker/messages.ts";
import { applyTheme } from "./theme.ts";

interface Config {
  importer: {
    key: string;
    name: string;
    template: unknown;
    mode: string;
    allowInvalid: boolean;
    maxRows: number;
    maxFileBytes: number;
    theme?: Record<string, string>;
  };
  hostOrigin?: string;
  channel?: string;
  assets: { worker: string; xls?: string };
}

const config = JSON.parse(document.body.dataset.config ?? "{}") as Config;
const root = document.getElementById("app")!;
const worker = new WorkerClient(config.assets.worker);
let options: OpenOptions = {};
let locale = pickLocale(undefined, navigator.languages);
let t: T = translator(locale);
let columns: ColumnInfo[] = [];

function toHost(message: ToHost): void {
  if (config.hostOrigin && window.parent !== window) window.parent.postMessage(message, config.hostOrigin);
}

function fail(code: string, vars: Record<string, string | number> = {}): void {
  const key = `err_${code}`;
  const text = t(isMessageKey(key) ? key : "err_parse_failed", vars);
  showUpload(text);
  toHost({ type: "intake:error", channel: config.channel ?? "", code, message: text });
}

// ---- chrome: title, step list, close button ---------------------------------

function frame(step: StepId, body: HTMLElement, footer?: HTMLElement): void {
  const close = config.hostOrigin
    ? h("button", { class: "icon", type: "button", "aria-label": t("close"), onclick: () => toHost({ type: "intake:close", channel: config.channel ?? "" }) }, "×")
    : null;
  mount(
    root,
    h("header", { class: "top" }, h("h1", { id: "title" }, config.importer.name), close),
    // Only the steps that apply: a CSV has no sheet step to show as done.
    h("ol", { class: "steps", "aria-label": t("steps"), "data-testid": "steps" }, ...stepBar(step === "upload" ? null : fileInfo, step).map((s) => h("li", { class: s.state === "future" ? "" : s.state, "data-step": s.id, "aria-current": s.state === "current" ? "step" : null }, t(`step_${s.id}` as MessageKey)))),
    h("section", { class: "body", "aria-labelledby": "title" }, body),
    footer ? h("footer", { class: "actions" }, footer) : null,
  );
  const first = body.querySelector<HTMLElement>("[autofocus], button, input, select, [tabindex='0']");
  first?.focus();
}

function busy(step: StepId, text: string): void {
  frame(step, h("div", { class: "busy", role: "status", "aria-live": "polite" }, h("div", { class: "spinner", "aria-hidden": "true" }), text));
}

// ---- step 1: upload ---------------------------------------------------------

function showUpload(error?: string): void {
  const input = h("input", { type: "file", accept: ".csv,.tsv,.txt,.tab,.xlsx,.xlsm,.xls,.ods,text/csv", class: "visually-hidden", id: "file", "data-testid": "file" });
  input.addEventListener("change", () => {
    const f = input.files?.[0];
    if (f) void openFile(f, f.name);
  });
  const zone = h(
    "div",
    { class: "drop", tabindex: 0, role: "button", "aria-describedby": "drop-hint", onclick: () => input.click() },
    h("p", { class: "drop-title" }, t("drop_title")),
    h("p", {}, t("drop_or")),
    h("span", { class: "button primary" }, t("choose_file")),
    h("p", { class: "hint", id: "drop-hint" }, t("formats_hint"), " ", config.importer.maxFileBytes ? t("max_size", { size: formatBytes(config.importer.maxFileBytes, locale) }) : "", " ", t("paste_hint")),
  );
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) void openFile(f, f.name);
  });
  frame("upload", h("div", {}, error ? h("p", { class: "error", role: "alert" }, error) : null, zone, input));
}

document.addEventListener("paste", (e) => {
  const text = e.clipboardData?.getData("text/plain");
  if (!text || !root.querySelector(".drop")) return;
  e.preventDefault();
  void openFile(new Blob([text], { type: "text/tab-separated-values" }), "pasted.tsv", { pasted: true });
});

let fileInfo: FileInfo | null = null;

/** How a file is opened: what the user forced in the pickers, whether it was pasted. */
interface ReadOptions {
  encoding?: string;
  delimiter?: string;
  pasted?: boolean;
}

let currentFile: { blob: Blob; name: string; read: ReadOptions } | null = null;

async function openFile(blob: Blob, name: string, read: ReadOptions = {}): Promise<void> {
  if (config.importer.maxFileBytes && blob.size > config.importer.maxFileBytes) return fail("too_large", { size: formatBytes(config.importer.maxFileBytes, locale) });
  currentFile = { blob, name, read };
  forgetReview();
  // Marks for the benchmark (scripts/bench-widget.sh): file chosen → grid ready.
  performance.mark("intake:file");
  busy("upload", t("reading"));
  try {
    fileInfo = await worker.call({ op: "open", file: blob, name, encoding: read.encoding, delimiter: read.delimiter, pasted: read.pasted });
    performance.mark("intake:parsed");
  } catch (err) {
    return fail(err instanceof WorkerError ? err.code : "parse_failed");
  }
  if (fileInfo.sheets.length > 1) return showSheets();
  return showHeader();
}

/** Opens the current file again with an encoding or separator the user picked (the other choice kept). */
function reopen(change: ReadOptions): void {
  if (currentFile) void openFile(currentFile.blob, currentFile.name, { ...currentFile.read, ...change });
}

/** The separator picker of a delimited file (none for pasted cells): changing it reads the file again. */
function delimiterPicker(info: FileInfo): HTMLElement | null {
  if (!offersDelimiter(info)) return null;
  const known = DELIMITERS.some((d) => d.value === info.delimiter);
  const select = h(
    "select",
    { id: "delimiter", "data-testid": "delimiter" },
    ...DELIMITERS.map((d) => h("option", { value: d.value }, t(d.label))),
    known ? null : h("option", { value: info.delimiter! }, info.delimiter!),
  );
  select.value = info.delimiter!;
  select.addEventListener("change", () => reopen({ delimiter: select.value }));
  return h("span", { class: "inline" }, h("label", { for: "delimiter" }, t("delimiter"), " "), select);
}

// ---- step 2: sheet ----------------------------------------------------------

function showSheets(): void {
  const info = fileInfo!;
  const list = h(
    "div",
    { role: "radiogroup", class: "sheets", "aria-label": t("sheet_title") },
    ...info.sheets.map((name, i) => {
      const radio = h("input", { type: "radio", name: "sheet", value: i, id: `sheet-${i}` });
      radio.checked = i === info.sheet;
      return h("label", { for: `sheet-${i}`, class: "option" }, radio, " ", name);
    }),
  );
  const next = async (): Promise<void> => {
    const picked = Number(list.querySelector<HTMLInputElement>("input:checked")?.value ?? info.sheet);
    if (picked !== info.sheet) {
      busy("sheet", t("reading"));
      try {
        fileInfo = await worker.call({ op: "sheet", index: picked });
        forgetReview();
      } catch (err) {
        return fail(err instanceof WorkerError ? err.code : "parse_failed");
      }
    }
    await showHeader();
  };
  frame("sheet", h("div", {}, h("h2", {}, t("sheet_title")), list), h("div", {}, h("button", { type: "button", onclick: () => showUpload() }, t("back")), h("button", { type: "button", class: "primary", onclick: () => void next() }, t("next"))));
}

// ---- step 3: header row -----------------------------------------------------

let headerRow = 0;
let preview: string[][] = [];

async function showHeader(): Promise<void> {
  const info = fileInfo!;
  if (info.rows === 0) return fail(info.sheets.length ? "no_sheets" : "empty_file");
  preview = await worker.call({ op: "preview", count: 20 });
  headerRow = reviewed ? reviewed.headerRow : proposedHeaderRow(preview, columns);
  if (info.rows - 1 <= headerRow && info.rows <= 1) return fail("header_only");
  const maxRows = config.importer.maxRows;
  if (maxRows && info.rows - 1 > maxRows) return fail("too_many_rows", { rows: info.rows - 1, max: maxRows });
  const width = Math.min(info.width, 30);
  const noHeader = h("input", { type: "checkbox", id: "no-header", "data-testid": "no-header" });
  noHeader.checked = headerRow < 0;
  noHeader.addEventListener("change", () => {
    headerRow = noHeader.checked ? -1 : Math.max(0, proposedHeaderRow(preview, columns));
    render();
  });
  const table = h("table", { class: "preview", role: "grid", "aria-label": t("header_title") });
  const warning = h("p", { class: "warning", role: "status", "aria-live": "polite" });
  const render = (): void => {
    warning.textContent = discardsReview(headerRow) ? t("discards_edits") : "";
    table.replaceChildren(
      ...preview.map((row, i) => {
        const tr = h("tr", { class: i === headerRow ? "header-pick" : i < headerRow ? "skipped" : "", tabindex: i === Math.max(0, headerRow) ? 0 : -1, "aria-selected": String(i === headerRow), "data-row": i });
        tr.append(h("th", { scope: "row" }, String(i + 1)), ...Array.from({ length: width }, (_, c) => h("td", {}, row[c] ?? "")));
        tr.addEventListener("click", () => {
          headerRow = i;
          noHeader.checked = false;
          render();
        });
        tr.addEventListener("keydown", (e) => {
          const d = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
          if (!d) return;
          e.preventDefault();
          headerRow = Math.max(0, Math.min(preview.length - 1, headerRow + d));
          render();
          table.querySelector<HTMLElement>(`[data-row="${headerRow}"]`)?.focus();
        });
        return tr;
      }),
    );
  };
  render();
  validateAhead();
  performance.mark("intake:header-shown");
  // Pasted cells have neither encoding nor separator to choose.
  let encodingPicker: HTMLElement | null = null;
  if (offersEncoding(info)) {
    const select = h("select", { id: "encoding", "data-testid": "encoding" }, ...ENCODINGS.map((e) => h("option", { value: e }, e)));
    select.value = info.encoding!;
    select.addEventListener("change", () => reopen({ encoding: select.value }));
    encodingPicker = h("span", { class: "inline" }, h("label", { for: "encoding" }, t("encoding"), " "), select);
  }
  const pickers = encodingPicker || offersDelimiter(info) ? h("p", { class: "pickers" }, encodingPicker, delimiterPicker(info)) : null;
  const blank = info.blankRows > 0 ? h("p", { class: "hint", "data-testid": "blank-rows" }, t("blank_rows", { count: info.blankRows })) : null;
  frame(
    "header",
    h("div", {}, h("h2", {}, t("header_title")), h("p", { class: "hint" }, t("header_hint")), warning, h("p", {}, h("label", { class: "inline" }, noHeader, t("no_header"))), pickers, blank, h("div", { class: "scroll" }, table)),
    h("div", {}, h("button", { type: "button", onclick: () => showUpload() }, t("back")), h("button", { type: "button", class: "primary", "data-testid": "header-next", onclick: () => {
      performance.mark("intake:header-done");
      showMapping();
    } }, t("next"))),
  );
}

// ---- step 4: column matching -------------------------------------------------

let mapping: (number | null)[] = [];

/** Spreadsheet column name of index i: A, B, …, Z, AA, … */
function columnName(i: number): string {
  let name = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** Header names of the chosen header row (or A, B, … without one). */
function headerNames(): string[] {
  return headerRow >= 0 ? (preview[headerRow] ?? []) : Array.from({ length: fileInfo?.width ?? 0 }, (_, i) => t("column_name", { name: columnName(i) }));
}

/** The proposed source column of each template column, with its confidence. */
function propose(headers: string[]): { mapping: (number | null)[]; confidence: number[] } {
  // Matching proposes a column per header; the form shows a header per column.
  const proposals = matchColumns(config.importer.template, headers);
  const confidence = columns.map(() => 0);
  const proposed: (number | null)[] = columns.map(() => null);
  proposals.forEach((m, h) => {
    const c = m.key === null ? -1 : columns.findIndex((col) => col.key === m.key);
    if (c >= 0) {
      proposed[c] = h;
      confidence[c] = m.confidence;
    }
  });
  return { mapping: proposed, confidence };
}

/**
 * The header row and matching the review was made with, while the user may
 * come back to it; null before the first review of a file or sheet.
 */
let reviewed: { headerRow: number; mapping: (number | null)[] } | null = null;

function forgetReview(): void {
  reviewed = null;
  summary = emptySummary();
}

/** The matching to show for the current header row: the reviewed one, or the proposal. */
function initialMapping(): (number | null)[] {
  return reviewed && reviewed.headerRow === headerRow ? [...reviewed.mapping] : propose(headerNames()).mapping;
}

/**
 * Whether going on with this header row throws away the edits and deletions
 * made in review: the data rows would be others. (Another matching of the
 * same rows keeps them; the worker carries them over.)
 */
function discardsReview(row: number): boolean {
  return summary.modified && reviewed !== null && row !== reviewed.headerRow;
}

/**
 * Starts validating with the header row and matching shown while the user
 * looks at those steps: most people accept them, and then the review finds
 * the work done. Anything the user changes starts validation over. Not
 * while the review holds edits: coming back to these steps is no decision
 * to drop them.
 */
function validateAhead(): void {
  if (summary.modified) return;
  void worker.call({ op: "map", headerRow, mapping: initialMapping() }).catch(() => undefined);
}

function showMapping(): void {
  const headers = headerNames();
  const sample = preview[headerRow + 1] ?? [];
  const proposal = propose(headers);
  mapping = initialMapping();
  validateAhead();
  const warning = h("p", { class: "warning", role: "status", "aria-live": "polite" });
  const next = h("button", { type: "button", class: "primary", "data-testid": "map-next", onclick: () => {
    performance.mark("intake:map-done");
    void validate();
  } }, t("next"));
  const check = (): void => {
    const missing = columns.filter((c, i) => c.required && mapping[i] === null).map((c) => c.label);
    const used = mapping.filter((m): m is number => m !== null);
    const messages: string[] = [];
    if (missing.length) messages.push(t("map_required_missing", { fields: missing.join(", ") }));
    if (new Set(used).size !== used.length) messages.push(t("map_duplicate"));
    warning.textContent = messages.join(" ");
  };
  const rows = columns.map((c, i) => {
    const select = h("select", { id: `map-${i}`, "data-key": c.key }, h("option", { value: "" }, t("map_none")), ...headers.map((name, s) => h("option", { value: s }, name || `#${s + 1}`)));
    select.value = mapping[i] === null ? "" : String(mapping[i]);
    const example = h("td", { class: "sample" }, mapping[i] === null ? "" : (sample[mapping[i]!] ?? ""));
    select.addEventListener("change", () => {
      mapping[i] = select.value === "" ? null : Number(select.value);
      example.textContent = mapping[i] === null ? "" : (sample[mapping[i]!] ?? "");
      check();
    });
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, h("label", { for: `map-${i}` }, c.label), c.required ? h("span", { class: "req" }, ` (${t("required")})`) : null),
      h("td", {}, select, mapping[i] !== null && mapping[i] === proposal.mapping[i] && proposal.confidence[i]! < 1 ? h("span", { class: "hint" }, ` ${t("map_confidence", { pct: Math.round(proposal.confidence[i]! * 100) })}`) : null),
      example,
    );
  });
  check();
  performance.mark("intake:map-shown");
  frame(
    "map",
    h("div", {}, h("h2", {}, t("map_title")), warning, h("table", { class: "mapping" }, h("thead", {}, h("tr", {}, h("th", {}, t("map_field")), h("th", {}, t("map_source")), h("th", {}, t("map_sample")))), h("tbody", {}, ...rows))),
    h("div", {}, h("button", { type: "button", "data-testid": "map-back", onclick: () => void showHeader() }, t("back")), next),
  );
}

// ---- step 5: review -----------------------------------------------------------

function emptySummary(): Summary {
  return { rows: 0, checked: 0, rowsWithErrors: 0, rowsWithValues: 0, columnErrors: [], modified: false };
}

let summary: Summary = emptySummary();

async function validate(): Promise<void> {
  busy("review", t("checking", { rows: Math.max(0, (fileInfo?.rows ?? 0) - headerRow - 1) }));
  try {
    summary = await worker.call({ op: "map", headerRow, mapping });
    reviewed = { headerRow, mapping: [...mapping] };
    performance.mark("intake:mapped");
  } catch (err) {
    return fail(err instanceof WorkerError ? err.code : "parse_failed");
  }
  showReview();
}

function showReview(notice?: string): void {
  let errorsOnly = false;
  const grid = new Grid({
    columns,
    fetch: (start, count) => worker.call({ op: "window", start, count, errorsOnly }),
    edit: async (row, column, value) => {
      const r = await worker.call({ op: "edit", row, column, value });
      summary = r.summary;
      // Rows that were duplicates of the edited value may have lost their error.
      if (r.rechecked > 0) grid.refresh();
      return r.row;
    },
    labels: { row: t("row"), select: t("select_row"), edit: t("edit_cell") },
    describe: (row, column, message) => t("cell_error", { row, column, message }),
  });
  const counts = h("p", { class: "counts", role: "status", "aria-live": "polite", "data-testid": "counts" });
  // What the file holds when there is nothing to import, and a way out.
  const guard = h("div", { class: "guard", "data-testid": "guard", hidden: true });
  const guardText = h("p", { class: "warning", role: "alert" });
  guard.append(guardText, fileInfo ? delimiterPicker(fileInfo) ?? "" : "");
  // The message of the focused or hovered cell, so errors need no mouse.
  const cellStatus = h("p", { class: "cell-status", role: "status", "aria-live": "polite", "data-testid": "cell-status" });
  grid.onStatus = (text) => {
    cellStatus.textContent = text;
  };
  const submit = h("button", { type: "button", class: "primary", "data-testid": "submit", "aria-describedby": "submit-hint", onclick: () => void send() });
  const submitHint = h("span", { class: "hint", id: "submit-hint", "data-testid": "submit-hint" });
  const selectAll = h("button", { type: "button", "data-testid": "select-all", onclick: async () => {
    grid.select(errorsOnly ? await worker.call({ op: "errorRows" }) : Array.from({ length: summary.rows }, (_, i) => i));
  } }, t("select_all"));
  const selectErrors = h("button", { type: "button", "data-testid": "select-errors", onclick: async () => {
    grid.select(await worker.call({ op: "errorRows" }));
  } }, t("select_errors"));
  const del = h("button", { type: "button", "data-testid": "delete", onclick: async () => {
    summary = await worker.call({ op: "delete", rows: [...grid.selected] });
    grid.selected.clear();
    update();
    grid.refresh();
  } });
  const update = (): void => {
    const checking = summary.checked < summary.rows;
    const progress = checking ? ` · ${t("checked_pct", { pct: Math.floor((summary.checked / summary.rows) * 100) })}` : "";
    counts.textContent = `${t("review_rows", { rows: summary.rows })} · ${summary.rowsWithErrors ? t("review_errors", { rows: summary.rowsWithErrors }) : t("review_no_errors")}${progress}`;
    grid.setHeader(summary.columnErrors);
    filter.disabled = checking;
    replaceAll.disabled = checking;
    selectAll.disabled = checking || summary.rows === 0;
    selectErrors.disabled = checking || summary.rowsWithErrors === 0;
    const empty = nothingToImport(summary, mapping);
    guard.hidden = empty === null;
    guardText.textContent = empty ? t(empty) : "";
    const state = submitState(summary, mapping, config.importer.allowInvalid);
    submit.textContent = state.anyway ? t("submit_anyway") : t("submit");
    submit.disabled = state.disabled;
    // Shown as text beside the button: a title needs a mouse to be read.
    submitHint.textContent = state.reason ? t(state.reason) : "";
    del.textContent = t("delete_rows", { count: grid.selected.size });
    del.disabled = checking || grid.selected.size === 0;
  };
  worker.onValidation = (s) => {
    const before = summary.checked;
    summary = s;
    update();
    grid.checked(before, s.checked);
    if (s.checked === s.rows) performance.mark("intake:checked");
  };
  grid.onSelect = update;
  grid.onEdited = update;
  const filter = h("input", { type: "checkbox", id: "errors-only", "data-testid": "errors-only" });
  filter.addEventListener("change", () => {
    errorsOnly = filter.checked;
    grid.reset();
    update();
  });
  const find = h("input", { id: "find", type: "search" });
  const replacement = h("input", { id: "replace" });
  const column = h("select", { "aria-label": t("in_column") }, h("option", { value: "" }, t("all_columns")), ...columns.map((c, i) => h("option", { value: i }, c.label)));
  const replaced = h("span", { class: "hint", role: "status" });
  const replaceAll = h("button", { type: "button", onclick: async () => {
    const r = await worker.call({ op: "replace", find: find.value, replace: replacement.value, column: column.value === "" ? null : Number(column.value) });
    summary = r.summary;
    replaced.textContent = t("replaced", { count: r.replaced });
    update();
    grid.refresh();
  } }, t("replace_all"));
  const tools = h(
    "div",
    { class: "tools" },
    h("label", { class: "inline" }, filter, " ", t("errors_only")),
    h("label", { for: "find" }, t("find")), find,
    h("label", { for: "replace" }, t("replace_with")), replacement, column, replaceAll, replaced,
    selectAll, selectErrors,
    // Last: the flow tests find the delete button as .tools button:last-child.
    del,
  );
  update();
  frame(
    "review",
    h("div", { class: "review" }, notice ? h("p", { class: "warning", role: "alert" }, notice) : null, counts, guard, tools, grid.element, cellStatus),
    h("div", {}, h("button", { type: "button", "data-testid": "review-back", onclick: () => showMapping() }, t("back")), submitHint, submit),
  );
  grid.reset();
}

// ---- step 6: submit ---------------------------------------------------------

const RESUME_KEY = `intake:resume:${config.importer.key}`;

/** Identifies "the same rows" well enough to resume an upload after a reload. */
function fingerprint(): string {
  return [currentFile?.blob.size ?? 0, currentFile?.name ?? "", summary.rows, columns.map((c) => c.key).join(",")].join("|");
}

function storedResume(): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? "null") as (Session & { fingerprint: string }) | null;
    if (saved && saved.fingerprint === fingerprint()) return { importId: saved.importId, token: saved.token, maxChunkBytes: saved.maxChunkBytes };
  } catch {
    // Storage may be blocked in a third-party iframe; resuming then needs no reload.
  }
  return undefined;
}

/**
 * Keeps the import id and upload token (never rows) for this tab, so that the
 * same file submitted again after a reload of the iframe resumes the upload.
 */
function saveResume(session: Session): void {
  try {
    sessionStorage.setItem(RESUME_KEY, JSON.stringify({ ...session, fingerprint: fingerprint() }));
  } catch {
    // Storage blocked in a third-party iframe: the retry button still resumes.
  }
}

async function send(resume = storedResume()): Promise<void> {
  const bar = h("progress", { max: 1, value: 0, "aria-label": t("step_submit") });
  const status = h("p", { role: "status", "aria-live": "polite", "data-testid": "progress" }, t("sending", { sent: 0, total: summary.rows }));
  const cancel = h("button", { type: "button", onclick: () => void worker.call({ op: "cancel" }) }, t("cancel"));
  frame("submit", h("div", { class: "sending" }, bar, status), h("div", {}, cancel));
  worker.onProgress = (p) => {
    if (p.session) saveResume(p.session);
    bar.max = Math.max(1, p.rowsTotal);
    bar.value = p.rowsSent;
    status.textContent = p.retrying ? t("retrying") : t("sending", { sent: p.rowsSent, total: p.rowsTotal });
  };
  const clientMode = config.importer.mode === "client";
  let result: UploadResult;
  try {
    result = await worker.call({
      op: "upload",
      request: { importer: config.importer.key, columns: columns.map((c) => c.key), user: options.user, metadata: options.metadata, clientMode, resume },
    });
  } catch (err) {
    return fail(err instanceof WorkerError ? err.code : "network");
  }
  switch (result.status) {
    case "completed":
      // Only the import id and token are kept, never rows: enough to resume
      // after a reload of the iframe, useless once the import completed.
      try {
        sessionStorage.removeItem(RESUME_KEY);
      } catch {
        // Storage blocked: nothing was saved either.
      }
      if (result.clientRows) toHost({ type: "intake:data", channel: config.channel ?? "", data: { importId: result.importId, columns: columns.map((c) => c.key), rows: result.clientRows } });
      toHost({ type: "intake:complete", channel: config.channel ?? "", summary: { importId: result.importId, rows: result.rows, rowsWithErrors: result.rowsWithErrors } });
      return showDone(result.rows, result.rowsWithErrors);
    case "paused": {
      saveResume(result.session);
      const again = h("button", { type: "button", class: "primary", "data-testid": "resume", onclick: () => void send(result.session) }, t("retry"));
      frame("submit", h("div", { class: "sending" }, bar, h("p", { class: "warning", role: "alert" }, t("paused"))), h("div", {}, again));
      return;
    }
    case "refused":
      summary = await worker.call({ op: "summary" });
      return showReview(t("refused"));
    case "cancelled":
      return showReview();
    case "failed":
      showReview(t("err_server", { code: result.code }));
      toHost({ type: "intake:error", channel: config.channel ?? "", code: result.code, message: t("err_server", { code: result.code }) });
      return;
  }
}

// ---- step 7: done ------------------------------------------------------------

function showDone(rows: number, withErrors: number): void {
  const close = config.hostOrigin ? h("button", { type: "button", class: "primary", onclick: () => toHost({ type: "intake:close", channel: config.channel ?? "" }) }, t("close")) : null;
  frame(
    "done",
    h("div", { class: "done", "data-testid": "done" }, h("h2", {}, t("done_title")), h("p", {}, t("done_rows", { rows })), withErrors ? h("p", {}, t("done_errors", { rows: withErrors })) : null),
    close ? h("div", {}, close) : undefined,
  );
}

// ---- boot ----------------------------------------------------------------------

async function start(): Promise<void> {
  applyTheme(document.documentElement, { ...(config.importer.theme ?? {}), ...(options.theme ?? {}) });
  locale = pickLocale(options.locale, navigator.languages);
  t = translator(locale);
  document.documentElement.lang = locale;
  try {
    columns = await worker.call({ op: "configure", template: config.importer.template, locale: document.documentElement.lang, xlsURL: config.assets.xls });
  } catch {
    fail("no_template");
    return;
  }
  showUpload();
}

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && config.hostOrigin && !(e.target as HTMLElement).closest("input")) toHost({ type: "intake:close", channel: config.channel ?? "" });
});

if (config.hostOrigin && window.parent !== window) {
  window.addEventListener("message", (event: MessageEvent<ToFrame>) => {
    if (event.origin !== config.hostOrigin || event.source !== window.parent) return;
    const m = event.data;
    if (!m || m.type !== "intake:init" || m.channel !== config.channel) return;
    options = m.options ?? {};
    void start();
  });
  toHost({ type: "intake:ready", channel: config.channel ?? "" });
} else void start();
