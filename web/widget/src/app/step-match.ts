// Step 4: match the file's columns to the template's fields; then the
// worker maps and validates every row (the review step shows the result).
import { busy, fail, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
import { currentHints, currentLearned, headerNames, initialMapping, learnedChanges, propose } from "./state.ts";
import { resolveLearned } from "./learned.ts";
import type { Level } from "../mapping/index.ts";
import type { MessageKey } from "../i18n/i18n.ts";

/**
 * Asks the worker for the value hints of the current file and header row
 * (once per file and row): the shares of sampled values each template
 * column accepts. The values stay in the worker; a failure only means
 * matching by names alone.
 */
/**
 * Resolves the importer's hashed learned mappings against this file's
 * headers, once per file and header row.
 */
async function loadLearned(app: App): Promise<void> {
  const { state, config } = app;
  if (currentLearned(state) || state.info === null) return;
  const info = state.info;
  const headerRow = state.headerRow;
  try {
    const pairs = await resolveLearned(config.importer.key, headerNames(state, app.t), config.importer.learned ?? []);
    state.learned = { info, headerRow, pairs };
  } catch {
    // No Web Crypto (an insecure context): the dictionary alone then.
  }
}

/** What the matching needs besides the headers: value hints and learned pairs. */
function prepare(app: App): Promise<void> {
  return Promise.all([loadHints(app), loadLearned(app)]).then(() => undefined);
}

async function loadHints(app: App): Promise<void> {
  const { state } = app;
  if (currentHints(state) || state.info === null) return;
  const info = state.info;
  const headerRow = state.headerRow;
  try {
    const shares = await app.worker.call({ op: "hints", headerRow });
    state.hints = { info, headerRow, shares };
  } catch {
    // Names alone then.
  }
}

/**
 * Starts validating with the header row and matching shown while the user
 * looks at those steps: most people accept them, and then the review finds
 * the work done. Anything the user changes starts validation over. Not
 * while the review holds edits: coming back to these steps is no decision
 * to drop them.
 */
export function validateAhead(app: App): void {
  const { state } = app;
  if (state.summary.modified) return;
  void prepare(app)
    .then(() => app.worker.call({ op: "map", headerRow: state.headerRow, mapping: initialMapping(state, app.config.importer.template, app.t, currentLearned(state)) }))
    .catch(() => undefined);
}

const LEVEL_TEXT: Record<Level, MessageKey> = { exact: "map_level_exact", likely: "map_level_likely", guess: "map_level_guess", learned: "map_level_learned" };

/** The matching step, once the value hints are in. */
export function showMapping(app: App): void {
  void prepare(app).then(() => drawMapping(app));
}

function drawMapping(app: App): void {
  const { config, state, t } = app;
  const columns = state.columns;
  const headers = headerNames(state, t);
  const sample = state.preview[state.headerRow + 1] ?? [];
  const proposal = propose(config.importer.template, columns, headers, currentHints(state), currentLearned(state));
  const mapping = (state.mapping = initialMapping(state, config.importer.template, t, currentLearned(state)));
  validateAhead(app);
  const warning = h("p", { class: "warning", role: "status", "aria-live": "polite" });
  const next = h("button", { type: "button", class: "primary", "data-testid": "map-next", onclick: () => {
    performance.mark("intake:map-done");
    void app.go.validate();
  } }, t("next"));
  const check = (): void => {
    const missing = columns.filter((c, i) => c.required && mapping[i] === null).map((c) => c.label);
    const used = mapping.filter((m): m is number => m !== null);
    const messages: string[] = [];
    if (missing.length) messages.push(t("map_required_missing", { fields: missing.join(", ") }));
    if (new Set(used).size !== used.length) messages.push(t("map_duplicate"));
    warning.textContent = messages.join(" ");
  };
  // How sure the proposal is, in words (not only colour); gone once the user picks another column.
  const levelOf = (i: number): Level | null => (mapping[i] !== null && mapping[i] === proposal.mapping[i] ? (proposal.level[i] ?? null) : null);
  const rows = columns.map((c, i) => {
    const select = h("select", { id: `map-${i}`, "data-key": c.key, "aria-describedby": `map-level-${i} map-none-key` }, h("option", { value: "" }, t("map_none")), ...headers.map((name, s) => h("option", { value: s }, name || `#${s + 1}`)));
    select.value = mapping[i] === null ? "" : String(mapping[i]);
    const exampleOf = (source: number | null | undefined): string => (source == null ? "" : (sample[source] ?? ""));
    const example = h("td", { class: "sample" }, exampleOf(mapping[i]));
    const level = h("span", { id: `map-level-${i}`, class: "hint level", "data-testid": `map-level-${c.key}` });
    const showLevel = (): void => {
      const l = levelOf(i);
      level.dataset["level"] = l ?? "";
      level.textContent = l ? ` ${t(LEVEL_TEXT[l])}` : "";
    };
    showLevel();
    select.addEventListener("change", () => {
      mapping[i] = select.value === "" ? null : Number(select.value);
      example.textContent = exampleOf(mapping[i]);
      showLevel();
      check();
    });
    // "Not in my file" is one key away: Delete (or Backspace) on the list.
    select.addEventListener("keydown", (e) => {
      if ((e.key !== "Delete" && e.key !== "Backspace") || select.value === "") return;
      e.preventDefault();
      select.value = "";
      select.dispatchEvent(new Event("change"));
    });
    return h(
      "tr",
      { "data-column": c.key },
      h("th", { scope: "row" }, h("label", { for: `map-${i}` }, c.label), c.required ? h("span", { class: "req" }, ` (${t("required")})`) : null),
      h("td", {}, select, level),
      example,
    );
  });
  // Required fields still unmatched come first, where they are seen; the
  // order is set once, so a row does not move while the user works on it.
  const order = columns.map((_, i) => i);
  const first = (i: number): number => (columns[i]!.required && mapping[i] === null ? 0 : 1);
  order.sort((a, b) => first(a) - first(b) || a - b);
  check();
  performance.mark("intake:map-shown");
  frame(
    app,
    "map",
    h(
      "div",
      {},
      h("h2", {}, t("map_title")),
      warning,
      h("table", { class: "mapping" }, h("thead", {}, h("tr", {}, h("th", {}, t("map_field")), h("th", {}, t("map_source")), h("th", {}, t("map_sample")))), h("tbody", {}, ...order.map((i) => rows[i]!))),
      h("p", { class: "hint", id: "map-none-key" }, t("map_none_key")),
    ),
    h("div", {}, h("button", { type: "button", "data-testid": "map-back", onclick: () => void app.go.header() }, t("back")), next),
  );
}

/** Maps and validates with the matching shown, then opens the review. */
export async function validate(app: App): Promise<void> {
  const { state, t } = app;
  busy(app, "review", t("checking", { rows: Math.max(0, (state.info?.rows ?? 0) - state.headerRow - 1) }));
  try {
    // What the user changed in the proposal goes with the completion, for
    // the importer to propose next time (when it learns mappings).
    const { config, t: tr } = app;
    const headers = headerNames(state, tr);
    const learned = config.importer.learn
      ? learnedChanges(state, headers, propose(config.importer.template, state.columns, headers, currentHints(state), currentLearned(state)).mapping, state.mapping)
      : [];
    state.summary = await app.worker.call({ op: "map", headerRow: state.headerRow, mapping: state.mapping, learned });
    state.reviewed = { headerRow: state.headerRow, mapping: [...state.mapping] };
    performance.mark("intake:mapped");
    // Checked ahead while the user was on the steps before: done on arrival.
    if (state.summary.checked === state.summary.rows) performance.mark("intake:checked");
  } catch (err) {
    return fail(app, err instanceof WorkerError ? err.code : "parse_failed");
  }
  app.go.review();
}
