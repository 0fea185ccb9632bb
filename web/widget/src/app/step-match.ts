// Step 4: match the file's columns to the template's fields; then the
// worker maps and validates every row (the review step shows the result).
import { busy, fail, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
import { headerNames, initialMapping, propose } from "./state.ts";

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
  void app.worker.call({ op: "map", headerRow: state.headerRow, mapping: initialMapping(state, app.config.importer.template, app.t) }).catch(() => undefined);
}

export function showMapping(app: App): void {
  const { config, state, t } = app;
  const columns = state.columns;
  const headers = headerNames(state, t);
  const sample = state.preview[state.headerRow + 1] ?? [];
  const proposal = propose(config.importer.template, columns, headers);
  const mapping = (state.mapping = initialMapping(state, config.importer.template, t));
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
  const rows = columns.map((c, i) => {
    const select = h("select", { id: `map-${i}`, "data-key": c.key }, h("option", { value: "" }, t("map_none")), ...headers.map((name, s) => h("option", { value: s }, name || `#${s + 1}`)));
    select.value = mapping[i] === null ? "" : String(mapping[i]);
    const exampleOf = (source: number | null | undefined): string => (source == null ? "" : (sample[source] ?? ""));
    const example = h("td", { class: "sample" }, exampleOf(mapping[i]));
    select.addEventListener("change", () => {
      mapping[i] = select.value === "" ? null : Number(select.value);
      example.textContent = exampleOf(mapping[i]);
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
    app,
    "map",
    h("div", {}, h("h2", {}, t("map_title")), warning, h("table", { class: "mapping" }, h("thead", {}, h("tr", {}, h("th", {}, t("map_field")), h("th", {}, t("map_source")), h("th", {}, t("map_sample")))), h("tbody", {}, ...rows))),
    h("div", {}, h("button", { type: "button", "data-testid": "map-back", onclick: () => void app.go.header() }, t("back")), next),
  );
}

/** Maps and validates with the matching shown, then opens the review. */
export async function validate(app: App): Promise<void> {
  const { state, t } = app;
  busy(app, "review", t("checking", { rows: Math.max(0, (state.info?.rows ?? 0) - state.headerRow - 1) }));
  try {
    state.summary = await app.worker.call({ op: "map", headerRow: state.headerRow, mapping: state.mapping });
    state.reviewed = { headerRow: state.headerRow, mapping: [...state.mapping] };
    performance.mark("intake:mapped");
  } catch (err) {
    return fail(app, err instanceof WorkerError ? err.code : "parse_failed");
  }
  app.go.review();
}
